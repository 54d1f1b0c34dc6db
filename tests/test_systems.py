"""The built-in target library and how well networks embed it (issue: system library and metrics)."""

import jax
import numpy as np
import pytest

import ddm_explore as ddm

S = ddm.systems
A = ddm.analysis
KEY = jax.random.key(0)

# (factory, N, noise mode) of every built-in target fitted on its box
BOX_TARGETS = {
    "OU reversible": (lambda: S.ornstein_uhlenbeck(w=0.0, s=0.5), 128, "additive"),
    "OU rotational": (lambda: S.ornstein_uhlenbeck(w=1.0, s=0.5), 128, "additive"),
    "double well": (lambda: S.double_well(), 64, "additive"),
    "Van der Pol": (lambda: S.van_der_pol(), 128, "additive"),
    "Stuart-Landau": (lambda: S.stuart_landau(b=0.5), 128, "additive"),
    "ring wells": (lambda: S.ring_wells(c=0.4), 256, "additive"),
    "multiplicative OU": (lambda: S.multiplicative_ou(), 128, "multiplicative"),
}


def _occupation(sde, *, key, t_max=1000.0, n_trials=4):
    ds = ddm.simulate(sde, t_max=t_max, dt=0.01, n_trials=n_trials, key=jax.random.key(key), record_every=10,
                      progress=False)
    return ddm.occupation(ds.z.sel(time=slice(100.0, None)))


@pytest.fixture(scope="module")
def lorenz_fit():
    """Lorenz-63 (time_scale 10), N = 256 low rank on the occupation measure."""
    sde = S.lorenz63()
    sampler = _occupation(sde, key=1)
    net, report = ddm.fit(sde, 256, key=KEY, sampler=sampler, progress=False)
    return sde, sampler, net, report


@pytest.fixture(scope="module")
def rossler_fit():
    """Rössler, N = 256 low rank on the occupation measure."""
    sde = S.rossler()
    sampler = _occupation(sde, key=1)
    net, report = ddm.fit(sde, 256, key=KEY, sampler=sampler, progress=False)
    return sde, sampler, net, report


@pytest.mark.parametrize("name", list(BOX_TARGETS))
def test_every_box_target_is_embedded(name):
    """Fixed key. Margins: eps_f 0.01 (measured at most 6.3e-4, Van der Pol at N = 128), eps_D 0.05
    (measured at most 1.9e-4, multiplicative OU)."""
    factory, N, noise = BOX_TARGETS[name]
    sde = factory()
    net, report = ddm.fit(sde, N, key=KEY, noise=noise, progress=False)
    assert float(report.eps_f) <= 0.01, float(report.eps_f)
    assert float(report.eps_D) <= 0.05, float(report.eps_D)  # every box target has noise to match


def test_chaotic_targets_are_embedded_on_their_occupation_measure(lorenz_fit, rossler_fit):
    """Fixed keys (occupation runs and fits). Margin: eps_f 0.01 (measured 1.1e-4 Lorenz, 1.8e-4 Rössler)."""
    for sde, _, _, report in (lorenz_fit, rossler_fit):
        assert float(report.eps_f) <= 0.01, (sde.name, float(report.eps_f))
        assert np.isnan(float(report.eps_D))  # noise-free targets: no diffusion to match


def test_lorenz_target_exponent_is_0906():
    res = A.lyapunov_exponent(S.lorenz63(), key=KEY, t_max=2000.0, t_transient=100.0, dt=0.05, n_trials=8)
    # measured 0.903 with standard error 0.006: the 3% band is about 4.5 standard errors wide
    assert abs(float(res.exponent_original) - 0.906) <= 0.03 * 0.906, float(res.exponent_original)
    assert res.attrs["time_scale"] == 10.0
    assert abs(float(res.exponent) * 10.0 - float(res.exponent_original)) < 1e-9


@pytest.mark.slow
def test_lorenz_network_is_chaotic_with_the_right_exponent_and_geometry(lorenz_fit):
    sde, sampler, net, _ = lorenz_fit
    # D_stsp criterion on means over 4 independent (reference, floor, network) triples of 8 x 900 tau
    # runs; one pair scatters by tens of percent. Measured with these keys: network 0.039 +- 0.020,
    # floor 0.027 +- 0.010 (ratio 1.43, the bar is 2); exponent 0.896 +- 0.017 (the band is +-0.091).
    rep = ddm.experiments.embedding_report(net, sde, key=jax.random.key(2), sampler=sampler, t_max=1000.0, t_transient=100.0,
                                           lyapunov=dict(t_max=500.0, dt=0.05), n_seeds=64, n_floor_pairs=4)
    lam = float(rep.lyapunov.sel(system="network"))
    assert abs(lam - 0.906) <= 0.1 * 0.906, lam  # original time units
    floor, model = float(rep.D_stsp.sel(comparison="floor")), float(rep.D_stsp.sel(comparison="network"))
    assert rep.D_stsp_pairs.sizes["pair"] == 4 and np.isclose(floor, float(rep.D_stsp_pairs.sel(comparison="floor").mean()))
    assert model <= 2.0 * floor, (model, floor)
    assert float(rep.D_H.sel(comparison="network")) <= 0.1
    # the three fixed points (origin and C+-) are all saddles, in the network too
    assert rep.n_saddle.values.tolist() == [3, 3]


@pytest.mark.slow
def test_rossler_network_is_chaotic_with_its_attractor(rossler_fit):
    sde, sampler, net, _ = rossler_fit
    # the same averaged criterion as for Lorenz-63 (4 triples of 8 x 900 tau runs). Measured with these
    # keys: network 6.2e-4 +- 1.2e-4, floor 1.03e-3 +- 1.9e-4 (ratio 0.60); exponent 0.061 +- 0.003.
    rep = ddm.experiments.embedding_report(net, sde, key=jax.random.key(2), sampler=sampler, t_max=1000.0, t_transient=100.0,
                                           lyapunov=dict(t_max=1000.0, dt=0.05), n_seeds=64, n_floor_pairs=4)
    lam, sem = float(rep.lyapunov.sel(system="network")), float(rep.lyapunov_sem.sel(system="network"))
    assert lam > 5 * sem > 0, (lam, sem)  # positive by more than 5 standard errors
    floor, model = float(rep.D_stsp.sel(comparison="floor")), float(rep.D_stsp.sel(comparison="network"))
    assert model <= 2.0 * floor, (model, floor)


def _cycle(system, z0):
    ds = ddm.simulate(system, t_max=80.0, dt=0.01, n_trials=1, key=jax.random.key(1), z0=z0, record_every=2,
                      deterministic=True, progress=False)
    return A.limit_cycle(ds.z, discard=0.5)


@pytest.mark.parametrize("name", ["Van der Pol", "Stuart-Landau"])
def test_limit_cycle_period_and_amplitude_within_3_percent(name):
    """Fixed key, noise-free runs. Measured: period and amplitude within 0.03% of the target's (bar 3%);
    Stuart-Landau's amplitude 1.0006 (bar 0.01) and period 12.582 = 4 pi + 0.13% (bar 2%)."""
    factory, N, noise = BOX_TARGETS[name]
    sde = factory()
    net, _ = ddm.fit(sde, N, key=KEY, progress=False)
    tgt, mod = _cycle(sde, [1.0, 0.0]), _cycle(net, [1.0, 0.0])
    for q in ("period", "amplitude"):
        a, b = float(mod[q][0]), float(tgt[q][0])
        assert abs(a - b) <= 0.03 * b, (q, a, b)
    if name == "Stuart-Landau":  # the known cycle: radius sqrt(mu), period 2 pi / (omega - b mu)
        assert abs(float(tgt.amplitude[0]) - 1.0) < 0.01
        assert abs(float(tgt.period[0]) - 2 * np.pi / 0.5) < 0.02 * 2 * np.pi / 0.5


@pytest.mark.slow
def test_symmetric_fits_fail_on_nonequilibrium_targets():
    """Judged on the networks as simulated (all 128 neurons, noise-free). Fixed keys. Stuart-Landau: no cycle
    in the full simulation (the target's own run cycles, period 12.58). Lorenz-63: no chaos, the largest
    exponent of the full N-dimensional flow is negative in every trial (bar < 0; measured <= -0.24), where
    the target's is 0.906. (Their eps_f, 0.60 and 0.70, are no part of the verdict.)"""
    sl = S.stuart_landau()
    net, rep = ddm.fit(sl, 128, key=KEY, connectivity="symmetric", steps=1000, progress=False)
    assert np.isfinite(float(_cycle(sl, [1.0, 0.0]).period[0]))
    assert np.isnan(float(_cycle(net, [1.0, 0.0]).period[0]))  # no cycle: it settles
    lz = S.lorenz63()
    sampler = _occupation(lz, key=1, t_max=500.0)
    net, rep = ddm.fit(lz, 128, key=KEY, sampler=sampler, connectivity="symmetric", steps=1000, progress=False)
    res = A.lyapunov_exponent(net, key=KEY, t_max=500.0, t_transient=100.0, dt=0.05, n_trials=4,
                              z0=np.asarray(sampler.sample(KEY, 4)))
    assert float(res.spectrum.max()) < 0.0  # no chaos in any trial


def test_multiplicative_ou_stationary_second_moment():
    # oracle: p ~ (1 + a r^2)^-n, n = 1 + 1/(a s^2)  =>  E|z|^2 = 1 / (a (n - 2)) = 1/3 at s = 0.5, a = 1
    sde = S.multiplicative_ou(w=1.0, s=0.5, a=1.0)
    net, rep = ddm.fit(sde, 256, key=KEY, noise="multiplicative", progress=False)
    assert float(rep.eps_D) <= 0.05
    for system in (sde, net):
        ds = ddm.simulate(system, t_max=220.0, dt=0.01, n_trials=64, key=jax.random.key(3), z0=[0.0, 0.0],
                          record_every=10, progress=False)
        r2 = float((ds.z.sel(time=slice(20.0, None)) ** 2).sum("latent").mean())
        # 64 x 200 time units (correlation time ~0.5): standard error ~1.5%; margin 6%
        assert abs(r2 - 1 / 3) <= 0.06 / 3, (system, r2)


def test_parameters_are_validated():
    with pytest.raises(ValueError, match="time_scale"):
        S.lorenz63(time_scale=0.0)
    with pytest.raises(ValueError, match="sigma"):
        S.stuart_landau(sigma=-1.0)
    with pytest.raises(ValueError, match="`a`"):
        S.multiplicative_ou(a=-1.0)
    with pytest.raises(ValueError, match="`c`"):
        S.rossler(c=float("nan"))
