"""embedding_report against reference trajectories from elsewhere (scipy's DOP853), and its
warnings when a network's runs do not look like the reference."""

import warnings

import jax
import numpy as np
import pytest
import scipy.integrate
import xarray as xr

import ddm_explore as ddm
from ddm_explore.experiments._embedding_checks import embedding_problems

KEY = jax.random.key(0)
VDP = ddm.systems.van_der_pol()


def _lorenz(t, z, sigma=10.0, rho=28.0, beta=8.0 / 3.0):
    x, y, w = z
    return [sigma * (y - x), x * (rho - w) - y, x * y - beta * w]


def _dop853_lorenz(n_trials, t_len, dt, seed, time_scale=10.0):
    """Lorenz-63 integrated by scipy's DOP853 (rtol = atol = 1e-9) from random starts, 5 original
    time units of transient dropped, recorded every ``dt`` tau (tau = time_scale x original time)."""
    rng = np.random.default_rng(seed)
    t_eval = 5.0 + np.arange(int(round(t_len / dt)) + 1) * dt / time_scale
    out = [scipy.integrate.solve_ivp(_lorenz, (0.0, t_eval[-1]), rng.normal(size=3) * 5 + [0.0, 0.0, 25.0],
                                     method="DOP853", t_eval=t_eval, rtol=1e-9, atol=1e-9).y.T for _ in range(n_trials)]
    return xr.DataArray(np.stack(out), dims=("trial", "time", "latent"), coords=dict(time=np.arange(len(t_eval)) * dt))


@pytest.fixture(scope="module")
def lorenz_net():
    lz = ddm.systems.lorenz63()
    ds = ddm.simulate(lz, t_max=400.0, dt=0.01, n_trials=4, key=jax.random.key(1), record_every=10, progress=False)
    net, _ = ddm.fit(lz, 256, key=KEY, sampler=ddm.occupation(ds.z.sel(time=slice(100.0, None))), progress=False)
    return lz, net


@pytest.fixture(scope="module")
def dop853():
    return _dop853_lorenz(8, 200.0, 0.1, seed=0)


def _quiet(fn, *args, **kw):
    """Call with EmbeddingWarning as an error (and sample-size warnings silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ddm.SampleSizeWarning)
        warnings.simplefilter("error", ddm.EmbeddingWarning)
        return fn(*args, **kw)


def test_report_against_a_dop853_reference(lorenz_net, dop853):
    """Lorenz-63, N = 256 on the occupation measure of its own Euler runs, scored against 8 DOP853
    trials x 200 tau (split 4 / 4). Fixed keys and seed. Measured: D_stsp network 0.048 against the
    floor 0.049 (bar: 2.5 x floor, one pair); D_H 0.051 against 0.075 (bar 0.1); eps_f at the
    reference's states 2.7e-4 (bar 0.01)."""
    lz, net = lorenz_net
    rep = _quiet(ddm.experiments.embedding_report, net, lz, key=KEY, reference=dop853, t_transient=20.0,
                 lyapunov=False, n_seeds=16)
    assert rep.attrs["reference"].startswith("external reference, 8 trials x 200 tau (1 pair(s) of disjoint 4-trial")
    assert rep.attrs["problems"] == "none"
    assert (rep.attrs["n_trials"], rep.attrs["dt"], rep.attrs["record_every"], rep.attrs["t_max"]) == (4, 0.01, 10, 220.0)
    # the floor is the two halves of the reference, compared directly
    first, second = dop853.isel(trial=slice(0, 4)), dop853.isel(trial=slice(4, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ddm.SampleSizeWarning)
        assert float(rep.D_stsp.sel(comparison="floor")) == ddm.analysis.state_space_divergence(first, second)
        assert float(rep.D_H.sel(comparison="floor")) == ddm.analysis.power_spectrum_distance(first, second)
    floor, model = (float(rep.D_stsp.sel(comparison=c)) for c in ("floor", "network"))
    assert model <= 2.5 * floor, (model, floor)
    assert float(rep.D_H.sel(comparison="network")) <= 0.1
    assert float(rep.eps_f) < 0.01
    assert rep.attrs["held_out"].startswith("the external reference's states")
    # without the SDE, from the array and its step: the same network runs, no target numbers
    bare = _quiet(ddm.experiments.embedding_report, net, key=KEY, reference=(dop853.values, 0.1), t_transient=20.0,
                  lyapunov=False, n_seeds=16)
    np.testing.assert_array_equal(bare.D_stsp.values, rep.D_stsp.values)
    assert np.isnan(float(bare.eps_f)) and np.isnan(float(bare.period.sel(system="target")))
    assert int(bare.n_saddle.sel(system="target")) == -1 and bare.attrs["target"] == "external reference"
    assert int(bare.n_saddle.sel(system="network")) == int(rep.n_saddle.sel(system="network"))


def _embedding_warnings(*args, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore", ddm.SampleSizeWarning)
        warnings.simplefilter("always", ddm.EmbeddingWarning)
        rep = ddm.experiments.embedding_report(*args, **kw)
    return rep, [str(w.message) for w in caught if issubclass(w.category, ddm.EmbeddingWarning)]


@pytest.fixture(scope="module")
def vdp_reference():
    ds = ddm.simulate(VDP, t_max=120.0, dt=0.01, n_trials=4, key=jax.random.key(3), record_every=10, progress=False)
    return ds.z.sel(time=slice(20.0, None))


def test_a_network_that_leaves_the_reference_warns(vdp_reference):
    """Van der Pol's network (amplitude 2) against a reference of half its size: measured 77% of
    its states outside the reference's widened box (bar 5%)."""
    net, _ = ddm.fit(VDP, 128, key=KEY, progress=False)
    rep, found = _embedding_warnings(net, key=KEY, reference=0.5 * vdp_reference, lyapunov=False, n_seeds=16,
                                     t_transient=20.0)
    assert len(found) == 1 and "left the reference's attractor" in found[0], found
    assert rep.attrs["problems"].startswith("the network left")
    # the same network against its own target's runs: nothing to warn about
    rep = _quiet(ddm.experiments.embedding_report, net, VDP, key=KEY, t_max=60.0, t_transient=10.0, n_trials=2,
                 lyapunov=False, n_seeds=16)
    assert rep.attrs["problems"] == "none"


def test_a_network_of_a_damped_target_warns(vdp_reference):
    """A network fitted to a damped rotation (OU, w = 1, s = 0.05) scored against Van der Pol's
    runs: it settles near the origin (measured late-time spread 0.024 of the reference's, bar 0.2)
    and its noise-free run has no period where Van der Pol's has 6.71."""
    net, _ = ddm.fit(ddm.systems.ornstein_uhlenbeck(w=1.0, s=0.05), 64, key=KEY, progress=False)
    rep, found = _embedding_warnings(net, VDP, key=KEY, reference=vdp_reference, lyapunov=False, n_seeds=16,
                                     t_transient=20.0)
    assert len(found) == 2, found
    assert "collapsed" in found[0] and "does not oscillate" in found[1], found


def test_a_network_of_a_non_chaotic_target_warns():
    """Lorenz-63 at rho = 10 (two stable foci) fitted on its box, scored against Lorenz-63 at
    rho = 28: measured exponents 0.93 +- 0.15 (target) and -0.53 (network; bar 0.1 x the
    target's) and a late-time spread 0.034 of the reference's (bar 0.2)."""
    lz = ddm.systems.lorenz63()
    net, _ = ddm.fit(ddm.systems.lorenz63(rho=10.0), 128, key=KEY, progress=False)
    ds = ddm.simulate(lz, t_max=200.0, dt=0.01, n_trials=2, key=jax.random.key(1), record_every=10, progress=False)
    rep, found = _embedding_warnings(net, lz, key=KEY, sampler=ddm.occupation(ds.z.sel(time=slice(50.0, None))),
                                     t_max=60.0, t_transient=20.0, n_trials=4, lyapunov=dict(t_max=40.0, dt=0.05),
                                     n_seeds=16)
    assert any("collapsed" in f for f in found) and any("not chaotic" in f for f in found), found
    lam = rep.lyapunov.values
    assert lam[0] > 0.5 and lam[1] < 0.0


def _runs(values, dt=0.1):
    values = np.asarray(values, np.float64)
    return [xr.DataArray(values, dims=("trial", "time", "latent"), coords=dict(time=np.arange(values.shape[1]) * dt))]


def test_embedding_problems_at_their_stated_bars():
    t = np.arange(2000) * 0.1
    cycle = np.stack([np.cos(t), np.sin(t)], axis=-1)[None].repeat(2, axis=0)  # range [-1, 1]: box +-1.2
    ref = _runs(cycle)
    assert embedding_problems(ref, _runs(cycle)) == []
    # escape: 1.25 x the cycle puts about 41% of the states outside +-1.2; 1.15 x none of them
    assert "left the reference's attractor" in embedding_problems(ref, _runs(1.25 * cycle))[0]
    assert embedding_problems(ref, _runs(1.15 * cycle)) == []
    # collapse: the spread ratio is the scale factor (bar 0.2)
    assert "collapsed" in embedding_problems(ref, _runs(0.15 * cycle))[0]
    assert embedding_problems(ref, _runs(0.25 * cycle)) == []
    # chaos: the target's exponent positive by more than 3 standard errors, the network's below 0.1 of it
    assert "not chaotic" in embedding_problems(ref, _runs(cycle), (0.9, 0.05), (0.02, 0.01))[0]
    assert embedding_problems(ref, _runs(cycle), (0.9, 0.2), (0.02, 0.01)) == []
    assert embedding_problems(ref, _runs(cycle), (0.05, -0.5), (0.02, 0.01)) == []  # 2.5 standard errors
    # oscillation: the target's run has a period, the network's none
    assert "does not oscillate" in embedding_problems(ref, _runs(cycle), period=(6.3, np.nan))[0]
    assert embedding_problems(ref, _runs(cycle), period=(np.nan, np.nan)) == []


def _z(shape, dt=0.1):
    return xr.DataArray(np.random.default_rng(0).normal(size=shape), dims=("trial", "time", "latent"),
                        coords=dict(time=np.arange(shape[1]) * dt))


@pytest.fixture(scope="module")
def vdp_net():
    return ddm.fit(VDP, 32, key=KEY, progress=False)[0]


BAD = [
    ("no sde nor reference", dict(), r"`sde` is required unless `reference`"),
    ("wrong dims", dict(reference=_z((2, 10, 2)).isel(trial=0)), r"`reference` must have dims \(trial, time, latent\)"),
    ("wrong latent size", dict(reference=_z((2, 10, 3))), r"`reference` must have the latent dimension of `net` \(2\), got 3"),
    ("one trial", dict(reference=_z((1, 10, 2))), r"`reference` must hold at least 2 trials .* got 1"),
    ("non-uniform time", dict(reference=_z((2, 10, 2)).assign_coords(time=np.r_[0.0, 0.1, 0.3, np.arange(3, 10) * 0.1 + 0.1])),
     r"`reference` must be recorded at a uniform time step, got steps from 0.1 to 0.2"),
    ("array without dt", dict(reference=np.zeros((2, 10, 2))), r"`reference` must be a DataArray .* or a pair \(array, dt\); got array"),
    ("negative dt", dict(reference=(np.zeros((2, 10, 2)), -0.1)), r"`reference` time step dt must be a number > 0, got -0.1"),
    ("array of the wrong rank", dict(reference=(np.zeros((10, 2)), 0.1)), r"`reference` must be a \(trial, time, latent\) array, got shape \(10, 2\)"),
    ("no time coordinate", dict(reference=xr.DataArray(np.zeros((2, 10, 2)), dims=("trial", "time", "latent"))),
     r"`reference` needs a time coordinate"),
    ("too few trials for the pairs", dict(reference=_z((3, 10, 2)), n_floor_pairs=2), r"`n_floor_pairs`=2 needs at least 4 trials"),
    ("record_every with a reference", dict(reference=_z((2, 10, 2)), simulate_kwargs=dict(record_every=5)),
     r"`simulate_kwargs` may not set record_every with `reference`.*got record_every=5"),
    ("too short", dict(reference=_z((2, 3, 2))), r"`reference` must hold at least 4 time steps per trial, got 3"),
]


@pytest.mark.parametrize("case, kw, message", BAD, ids=[c[0] for c in BAD])
def test_bad_references(vdp_net, case, kw, message):
    with pytest.raises(ValueError, match=message):
        ddm.experiments.embedding_report(vdp_net, key=KEY, lyapunov=False, **kw)
