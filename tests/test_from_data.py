"""Fitting a network to recorded trajectories (METHOD.md section 9): ``ddm.fit(data, N, key=...)``.

Oracles: for a linear flow observed exactly (noise-free data of the Euler map that simulate runs),
the Euler and multi-step regressions converge to closed-form matrices, so the O(Delta) bias and its
removal are checked against linear algebra; for an exact OU process (sampled from its transition
density, not by the estimator's own scheme) the expected diffusion estimates of both targets are
closed-form functions of the AR(1) moments; stochastic built-in targets simulated by ddm.simulate
are compared with their formulas.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg
import xarray as xr

import ddm_explore as ddm

KEY = jax.random.key(0)
SPIRAL = np.array([[-0.5, -2.0], [2.0, -0.5]])


def _as_data(values, delta):
    """(trial, time, latent) values as the DataArray fit takes."""
    n_t = values.shape[1]
    return xr.DataArray(values, dims=("trial", "time", "latent"), coords=dict(time=np.arange(n_t) * delta))


@pytest.fixture(scope="module")
def spiral_data():
    sde = ddm.SDE(drift=lambda z: jnp.asarray(SPIRAL, jnp.float32) @ z, diffusion=np.zeros((2, 2)), dim=2, noise_dim=2,
                  region=([-2, -2], [2, 2]))
    dt, every = 0.001, 50
    ds = ddm.simulate(sde, t_max=10.0, dt=dt, n_trials=64, key=jax.random.key(3), record_every=every,
                      deterministic=True, progress=False)
    B = np.linalg.matrix_power(np.eye(2) + SPIRAL * dt, every)  # the observed map z_k -> z_{k+1}, exactly
    return ds.z, B, dt * every


@pytest.fixture(scope="module")
def vdp_data():
    sde = ddm.systems.van_der_pol(sigma=0.2)
    ds = ddm.simulate(sde, t_max=100.0, dt=0.01, n_trials=16, key=jax.random.key(1), record_every=2, progress=False)
    return sde, ds


def _rel(a, b):
    return float(np.sqrt(np.mean((np.asarray(a) - b) ** 2) / np.mean(b**2)))


def test_euler_bias_and_its_removal_match_the_closed_form(spiral_data):
    # noise-free linear data z_{k+1} = B z_k: the Euler regression converges to (B - I) / Delta, the
    # order-2 one to (4 (B - I) - (B^2 - I)) / (2 Delta); the network reproduces both within its
    # feature error (measured ~7e-5; margin 1e-3), and the truth A only at order 2 (Euler: 5% off)
    z, B, delta = spiral_data
    I = np.eye(2)
    oracles = {1: (B - I) / delta, 2: (4 * (B - I) - (B @ B - I)) / (2 * delta)}
    Z = z.values.reshape(-1, 2)[::37]
    truth = Z @ SPIRAL.T
    errors = {}
    for order, M in oracles.items():
        net, rep = ddm.fit(z, 128, key=KEY, solver=ddm.FromData(order=order))
        f = np.asarray(net.latent_drift(Z), np.float64)
        assert _rel(f, Z @ M.T) < 1e-3, order
        errors[order] = _rel(f, truth)
    euler_bias = _rel(Z @ oracles[1].T, truth)  # closed form, ~0.05
    assert euler_bias > 0.04 and abs(errors[1] - euler_bias) < 2e-3
    assert errors[2] < 0.005
    # the report measures the Euler bias on the data themselves (the order-2 fit as reference)
    assert abs(float(rep.drift_bias) - _rel(Z @ oracles[1].T, Z @ oracles[2].T)) < 2e-3


def _exact_ou(a, D, delta, n_trials, n_steps, seed):
    """OU dz = -a z dt + sqrt(2 D) dW sampled from its transition density (AR(1)), stationary start."""
    rng = np.random.default_rng(seed)
    S = D / a  # stationary variance per coordinate
    b, q = np.exp(-a * delta), np.sqrt(S * (1 - np.exp(-2 * a * delta)))
    z = np.empty((n_trials, n_steps, 2))
    z[:, 0] = rng.normal(0, np.sqrt(S), (n_trials, 2))
    for k in range(1, n_steps):
        z[:, k] = b * z[:, k - 1] + q * rng.normal(size=(n_trials, 2))
    return z


def test_diffusion_estimates_match_the_ar1_closed_form():
    # exact OU data (a = 1, D = 0.125, Delta = 0.05): with the regressions' drifts (B - I) / Delta and
    # the order-2 one, the residual covariances are AR(1) moments. Euler: D (1 - b^2) / (2 a Delta)
    # (4.8% low). Order 2: r_j = z_{k+j} - z_k - j Delta f2 = m_j z_k + noise with m_1 = (b - 1)^2 / 2,
    # m_2 = 2 (b - 1)^2, so E[T] = 2 (Q_1 + m_1^2 S) / Delta - (Q_2 + m_2^2 S) / (2 Delta), Q_j = S (1 - b^2j).
    # 64 x 4000 windows: standard error of each estimate ~0.4%; margin 1.5%
    a, D, delta = 1.0, 0.125, 0.05
    z = _as_data(_exact_ou(a, D, delta, 64, 4000, seed=0), delta)
    S, b = D / a, np.exp(-a * delta)
    Q = lambda j: S * (1 - b ** (2 * j))  # noqa: E731
    expected = {1: D * (1 - b**2) / (2 * a * delta),
                2: 0.5 * (2 * (Q(1) + ((b - 1) ** 2 / 2) ** 2 * S) / delta - (Q(2) + (2 * (b - 1) ** 2) ** 2 * S) / (2 * delta))}
    assert expected[1] / D < 0.96 and abs(expected[2] / D - 1) < 0.005
    for order, want in expected.items():
        net, rep = ddm.fit(z, 32, key=KEY, solver=ddm.FromData(order=order))
        est = np.diag(rep.diffusion.values)
        assert np.all(np.abs(est / want - 1) < 0.015), (order, est, want)
        # additive noise: the network's latent diffusion is the estimate (float32 rounding)
        np.testing.assert_allclose(np.asarray(net.latent_diffusion(jnp.zeros((1, 2))))[0], rep.diffusion.values,
                                   rtol=1e-5, atol=1e-8)
    assert float(rep.diffusion_bias) > 0.03  # the Euler estimate differs by its bias, measured on the data


def test_van_der_pol_from_data(vdp_data):
    # 16 trials x 100 tau at Delta = 0.02, N = 64: drift within 4% of the truth on the data's states
    # (measured 0.020; the noise alone predicts ~0.016), diffusion within 2% (measured 0.005)
    sde, ds = vdp_data
    net, rep = ddm.fit(ds.z, 64, key=KEY, solver=ddm.FromData(truth=sde))
    assert float(rep.eps_f) < 0.04 and float(rep.eps_D) < 0.02
    assert isinstance(net, ddm.Network) and net.connectivity == "low_rank"
    assert rep.attrs["n_increments"] == 16 * (ds.sizes["time"] - 2) and rep.attrs["n_dropped"] == 0
    assert rep.attrs["split"] == "trial" and rep.attrs["delta"] == pytest.approx(0.02)
    # the region and scaling come from the data
    np.testing.assert_allclose(np.asarray(net.region_low), ds.z.min(("trial", "time")).values, rtol=1e-6)
    # the chosen ridge is the held-out minimum of the path it reports
    assert rep.attrs["ridge"] == float(rep.ridge_candidate[int(np.argmin(rep.held_out_path.values))])
    # the held-out error sits just above the noise floor of the target (the drift's error is small)
    assert 1.0 <= float(rep.held_out_error / rep.held_out_floor) < 1.05
    # the fitted network runs: its noise-free cycle has the target's period within 2%
    kw = dict(t_max=100.0, dt=0.01, z0=[2.0, 0.0], record_every=5, deterministic=True, progress=False)
    T = [float(ddm.analysis.limit_cycle(ddm.simulate(s, key=KEY, **kw).z).period[0]) for s in (sde, net)]
    assert abs(T[1] / T[0] - 1) < 0.02


def test_multiplicative_noise_from_data():
    # multiplicative OU, 32 trials x 100 tau at Delta = 0.02: the state-dependent diffusion from the
    # regression of the squared residuals; the network's latent diffusion equals the estimate within
    # the square-root regression's error (measured 0.03) and the truth within 0.2 (measured ~0.1,
    # noise-limited; the additive fit, a constant, is 0.39 off)
    sde = ddm.systems.multiplicative_ou()
    ds = ddm.simulate(sde, t_max=100.0, dt=0.005, n_trials=32, key=jax.random.key(2), record_every=4, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ddm.SampleSizeWarning)
        net, rep = ddm.fit(ds.z, 64, key=KEY, noise="multiplicative", solver=ddm.FromData(truth=sde))
        _, rep_add = ddm.fit(ds.z, 64, key=KEY, solver=ddm.FromData(truth=sde))
    assert net.noise == "multiplicative" and net.Gamma is not None
    assert float(rep.eps_D_estimate) < 0.06
    assert float(rep.eps_D) < 0.2 < float(rep_add.eps_D)


def test_missing_values_are_dropped_per_window(vdp_data):
    sde, ds = vdp_data
    z = ds.z.copy()
    z[0, 100, 0] = np.nan  # removes the order-2 windows starting at 98, 99, 100
    z[3, 500:510, :] = np.nan  # ten missing observations: windows 498..509
    net, rep = ddm.fit(z, 64, key=KEY, solver=ddm.FromData(truth=sde))
    assert rep.attrs["n_missing"] == 11
    assert rep.attrs["n_dropped"] == 3 + 12
    assert rep.attrs["n_increments"] == 16 * (ds.sizes["time"] - 2) - 15
    assert np.isfinite(float(rep.eps_f)) and float(rep.eps_f) < 0.04


def test_a_list_of_arrays_of_different_lengths(vdp_data):
    sde, ds = vdp_data
    parts = [ds.z.isel(trial=slice(0, 8)), ds.z.isel(trial=slice(8, 16), time=slice(0, 3000))]
    net, rep = ddm.fit(parts, 64, key=KEY, solver=ddm.FromData(truth=sde))
    assert rep.attrs["n_trials"] == 16
    assert rep.attrs["n_increments"] == 8 * (ds.sizes["time"] - 2) + 8 * (3000 - 2)
    assert float(rep.eps_f) < 0.05


def test_few_trials_split_by_time_block_and_fixed_ridge(vdp_data):
    sde, ds = vdp_data
    net, rep = ddm.fit(ds.z.isel(trial=slice(0, 2)), 32, key=KEY, solver=ddm.FromData(ridge=1e-4))
    assert rep.attrs["split"] == "time" and rep.attrs["ridge"] == 1e-4 and rep.sizes["ridge_candidate"] == 1


def test_too_few_data_warn_with_the_variance():
    sde = ddm.systems.van_der_pol(sigma=0.2)
    z = ddm.simulate(sde, t_max=4.0, dt=0.01, n_trials=4, key=KEY, record_every=2, progress=False).z
    with pytest.warns(ddm.SampleSizeWarning, match="per feature"):
        _, rep = ddm.fit(z, 128, key=KEY)
    assert float(rep.samples_per_feature) < 10


def test_full_connectivity_from_data(vdp_data):
    # full J by the preconditioned route on the estimate at the data's states: as good as low rank
    sde, ds = vdp_data
    net, rep = ddm.fit(ds.z, 48, key=KEY, connectivity="full", solver=ddm.FromData(train=ddm.Preconditioned(steps=20), truth=sde),
                       progress=False)
    assert net.connectivity == "full" and rep.sizes["step"] == 20
    assert float(rep.eps_f) < 0.05


@pytest.mark.slow
def test_closing_the_loop_through_neurons():
    # a network's own neuron activity, with private noise, reduced by PCA to two components: the
    # latent variable is an affine image of the network's readout (the private noise lies off span M),
    # and the network refitted to it runs the recorded cycle. 16 trials x 200 tau: standard errors of
    # the mean period and amplitude ~1.4% and ~0.6% (measured ratios 1.011 and 1.007); margins 5% and 3%
    sde = ddm.systems.van_der_pol(sigma=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ddm.PrivateNoiseWarning)
        net, _ = ddm.fit(sde, 128, key=KEY, private_noise=0.03, progress=False)
    kw = dict(t_max=200.0, dt=0.01, n_trials=16, record_every=2, progress=False)
    rec = ddm.simulate(net, key=jax.random.key(1), record_neurons=True, z0=np.tile([2.0, 0.0], (16, 1)), **kw)
    y = ddm.reduce_neurons(rec.x, 2)
    assert y.dims == ("trial", "time", "latent") and y.attrs["components"].shape == (2, 128)
    Z = np.c_[rec.z.values.reshape(-1, 2), np.ones(rec.z.size // 2)]
    coef = np.linalg.lstsq(Z, y.values.reshape(-1, 2), rcond=None)[0]
    assert _rel(Z @ coef, y.values.reshape(-1, 2)) < 1e-3
    refit, rep = ddm.fit(y, 128, key=jax.random.key(2))
    lc_rec = ddm.analysis.limit_cycle(y, discard=0.25)
    lc_new = ddm.analysis.limit_cycle(ddm.simulate(refit, key=jax.random.key(3), z0=y.isel(time=0).values, **kw).z, discard=0.25)
    assert abs(float(lc_new.period.mean() / lc_rec.period.mean()) - 1) < 0.05
    assert abs(float(lc_new.amplitude.mean() / lc_rec.amplitude.mean()) - 1) < 0.03


BAD = [
    ("uneven time", lambda z: z.assign_coords(time=np.r_[z.time.values[:-1], z.time.values[-1] + 0.5]), r"`data` must have a uniform"),
    ("one time point", lambda z: z.isel(time=slice(0, 1)), r"`data` needs at least 2 time points, got 1"),
    ("no time coordinate", lambda z: z.drop_vars("time"), r"`data` needs a 'time' coordinate"),
    ("wrong dims", lambda z: z.rename(latent="channel"), r"`data` must have dims \(trial, time, latent\)"),
    ("latent mismatch", lambda z: [z, z.isel(latent=[0])], r"`data`\[1\] has 1 latent dimensions but `data`\[0\] has 2"),
    ("delta mismatch", lambda z: [z, z.isel(time=slice(None, None, 2))], r"`data`\[1\] is observed every"),
    ("infinite", lambda z: z.where(z.time != z.time[3], np.inf), r"`data` holds infinite values"),
    ("all missing", lambda z: z * np.nan, r"`data` must hold at least 2 observations without NaN"),
    ("no whole window", lambda z: z.where(z.time % 0.04 < 0.01), r"`data` has no window of 3 consecutive observations without NaN"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_data_names_data(case):
    _, change, message = case
    z = ddm.simulate(ddm.systems.van_der_pol(), t_max=1.0, dt=0.01, n_trials=4, key=KEY, record_every=2, progress=False).z
    with pytest.raises(ValueError, match=message):
        ddm.fit(change(z), 16, key=KEY)


BAD_OPTIONS = [
    (dict(solver=ddm.FromData), r"`solver` for recorded data must be ddm.FromData"),
    (dict(sampler=ddm.box([0, 0], [1, 1])), r"`sampler` does not apply to recorded data"),
    (dict(private_noise=0.1), r"`private_noise` is not supported when fitting recorded data"),
    (dict(ridge=1e-3), r"solver=ddm.FromData\(...\), not the keywords \['ridge'\]"),
    (dict(connectivity="full", solver=ddm.ClosedForm()), r"`solver`=ClosedForm\(\) is the closed form for connectivity='low_rank' only"),
    (dict(solver=ddm.FromData(train=ddm.Optax(steps=3))), r"connectivity='low_rank' from data is the closed form"),
]


@pytest.mark.parametrize("kwargs, message", BAD_OPTIONS)
def test_bad_options(kwargs, message):
    z = ddm.simulate(ddm.systems.van_der_pol(), t_max=1.0, dt=0.01, n_trials=4, key=KEY, record_every=2, progress=False).z
    with pytest.raises(ValueError, match=message):
        ddm.fit(z, 16, key=KEY, **kwargs)


@pytest.mark.parametrize("kwargs, message", [
    (dict(order=4), r"`order` must be 1, 2 or 3, got 4"),
    (dict(order=0), r"`order` must be >= 1, got 0"),
    (dict(ridge=-1.0), r"`ridge` must be >= 0, got -1.0"),
    (dict(ridge="best"), r"`ridge` must be a real number"),
    (dict(held_out=1.5), r"`held_out` must be a fraction in \(0, 1\), got 1.5"),
    (dict(bins=1), r"`bins` must be >= 2, got 1"),
    (dict(train="adam"), r"`train` must be ddm.Optax"),
    (dict(truth="vdp"), r"`truth` must be a ddm.SDE"),
])
def test_bad_from_data_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ddm.FromData(**kwargs)


def test_reduce_neurons_bad_inputs():
    x = xr.DataArray(np.zeros((2, 5, 3)), dims=("trial", "time", "neuron"))
    with pytest.raises(ValueError, match=r"`n_latent` must be <= the number of neurons 3, got 4"):
        ddm.reduce_neurons(x, 4)
    with pytest.raises(ValueError, match=r"`x` must be a DataArray"):
        ddm.reduce_neurons(np.zeros((2, 5, 3)), 1)


def test_weights_of_the_targets():
    # the multi-step weights are the one-sided finite-difference weights and Richardson's
    from ddm_explore.matching._increments import diffusion_weights, drift_weights, noise_factor

    np.testing.assert_allclose(drift_weights(3), [3.0, -1.5, 1.0 / 3.0])
    np.testing.assert_allclose(diffusion_weights(3), [3.0, -3.0, 1.0])
    assert noise_factor(1) == pytest.approx(1.0) and noise_factor(2) == pytest.approx(2.5)
    assert scipy.linalg.norm(drift_weights(2) @ np.arange(1, 3)) == pytest.approx(1.0)  # sum_j j c_j = 1
