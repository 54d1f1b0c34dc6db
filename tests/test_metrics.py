"""Embedding-quality metrics: D_stsp, D_H, stationary distance, Lyapunov exponents, fixed points, report."""

import jax
import numpy as np
import pytest
import xarray as xr

import ddm_explore as ddm

A = ddm.analysis
KEY = jax.random.key(0)


def _traj(x, dt=0.1):
    x = np.asarray(x, np.float64)
    return xr.DataArray(x, dims=("trial", "time", "latent"), coords=dict(time=np.arange(x.shape[1]) * dt))


def test_state_space_divergence_zero_for_same_and_grows_with_shift():
    """Fixed seed, 2 x 20000 normal samples. Measured: floor 0.067, shifts 0.11, 0.24, 0.67 (each step
    at least 1.6 times the last), 1.81 at a shift of 100."""
    rng = np.random.default_rng(0)
    a = _traj(rng.normal(size=(2, 20000, 3)))
    b = _traj(rng.normal(size=(2, 20000, 3)))
    assert A.state_space_divergence(a, a) == pytest.approx(0.0, abs=1e-12)
    floor = A.state_space_divergence(a, b)
    shifts = [A.state_space_divergence(a, b + s) for s in (0.25, 0.5, 1.0)]
    assert floor < shifts[0] < shifts[1] < shifts[2]
    # escaping mass is counted in the edge bins, not dropped
    assert A.state_space_divergence(a, b + 100.0) > 1.0


def test_state_space_divergence_checks_inputs():
    a = _traj(np.zeros((1, 10, 4)))
    with pytest.raises(ValueError, match="d=4"):
        A.state_space_divergence(a, a, method="bins")
    with pytest.raises(ValueError, match="`b`"):
        A.state_space_divergence(_traj(np.zeros((1, 10, 2))), np.zeros((1, 10, 2)))
    with pytest.raises(ValueError, match="bins"):
        A.state_space_divergence(_traj(np.ones((1, 10, 2))), _traj(np.ones((1, 10, 2))), bins=1)


def test_power_spectrum_distance_sees_frequency_not_amplitude_or_phase():
    t = np.arange(8192) * 0.1
    wave = lambda w, amp=1.0, ph=0.0: _traj((amp * np.sin(w * t + ph))[None, :, None])  # noqa: E731
    assert A.power_spectrum_distance(wave(1.0), wave(1.0, 3.0, 1.0)) < 1e-3
    near, far = A.power_spectrum_distance(wave(1.0), wave(1.05)), A.power_spectrum_distance(wave(1.0), wave(2.0))
    assert near < far and far > 0.9
    with pytest.raises(ValueError, match="same time step"):
        A.power_spectrum_distance(wave(1.0), _traj(np.sin(t)[None, :, None], dt=0.2))


def test_stationary_distance_shift_and_scale_free():
    """Fixed seed, 3000 samples. Measured d0 = 0.024 and d1 = 0.92 against the bar 0.1."""
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(1, 3000, 2)), rng.normal(size=(1, 3000, 2))
    d0 = A.stationary_distance(_traj(a), _traj(b))
    d1 = A.stationary_distance(_traj(a), _traj(b + 1.0))
    assert d0 < 0.1 < d1
    assert A.stationary_distance(_traj(10 * a), _traj(10 * b + 10.0)) == pytest.approx(d1, rel=1e-9)


def test_lyapunov_of_linear_flows_is_exact():
    """Fixed keys. Margins: 1e-4 for the OU itself (measured 3e-7), 5e-3 for the fitted network
    (measured 3.2e-4: its eps_f is 1.2e-4)."""
    ou = ddm.systems.ornstein_uhlenbeck(A=np.diag([0.3, 0.5]), g=0.1 * np.eye(2))
    res = A.lyapunov_exponent(ou, key=KEY, t_max=50.0, t_transient=40.0, dt=0.05, n_trials=2, n_exponents=2)
    assert np.allclose(res.spectrum.values, [[-0.3, -0.5]] * 2, atol=1e-4)
    assert res.exponent.attrs["units"] == "1/tau"
    # the network's full N-dimensional flow: the latent exponents, then the leak -1 off the manifold
    net, rep = ddm.fit(ou, 64, key=KEY, progress=False)
    assert float(rep.eps_f) < 1e-3
    res = A.lyapunov_exponent(net, key=KEY, t_max=50.0, t_transient=40.0, dt=0.05, n_trials=1, n_exponents=3)
    assert np.allclose(res.spectrum.values[0], [-0.3, -0.5, -1.0], atol=5e-3), res.spectrum.values
    assert res.attrs["state_dim"] == 64


def test_lyapunov_euler_and_rk4_agree_on_a_cycle():
    # a limit cycle has largest exponent 0 (the phase direction); noise-free, fixed key: measured
    # 3e-8 with both schemes against the bar 0.01
    sl = ddm.systems.stuart_landau(sigma=0.0)
    for scheme in ("rk4", "euler"):
        res = A.lyapunov_exponent(sl, key=KEY, t_max=200.0, t_transient=20.0, dt=0.01, n_trials=2, scheme=scheme)
        assert abs(float(res.exponent)) < 0.01, (scheme, float(res.exponent))


def test_lyapunov_checks_inputs():
    sl = ddm.systems.stuart_landau()
    with pytest.raises(ValueError, match="scheme"):
        A.lyapunov_exponent(sl, key=KEY, scheme="rk45")
    with pytest.raises(ValueError, match="n_exponents"):
        A.lyapunov_exponent(sl, key=KEY, n_exponents=3)
    with pytest.raises(ValueError, match="key"):
        A.lyapunov_exponent(sl, key=None)
    with pytest.raises(ValueError, match="dt"):
        A.lyapunov_exponent(ddm.systems.lorenz63(time_scale=1.0), key=KEY, dt=0.5)


def test_fixed_points_of_lorenz_and_van_der_pol():
    fp = A.fixed_points(ddm.systems.lorenz63(), key=KEY, n_seeds=128)
    c = np.sqrt(8.0 / 3.0 * 27.0)
    assert np.allclose(fp.z.values, [[-c, -c, 27.0], [0.0, 0.0, 0.0], [c, c, 27.0]], atol=1e-3)
    assert fp.stability.values.tolist() == ["saddle"] * 3
    vdp = ddm.systems.van_der_pol(mu=1.0)
    fp = A.fixed_points(vdp, key=KEY, n_seeds=32)
    assert fp.sizes["point"] == 1 and fp.stability.values.tolist() == ["unstable"]
    assert np.allclose(fp.eigenvalues.values[0], [0.5 + 0.8660254j, 0.5 - 0.8660254j], atol=1e-4)
    net, _ = ddm.fit(vdp, 128, key=KEY, progress=False)
    fpn = A.fixed_points(net, key=KEY, n_seeds=32)
    assert fpn.sizes["point"] == 1 and fpn.stability.values.tolist() == ["unstable"]
    assert np.allclose(fpn.z.values, 0.0, atol=0.01)
    assert np.allclose(fpn.eigenvalues.values, fp.eigenvalues.values, atol=0.02)


def test_fixed_points_with_input_tilt_the_double_well():
    # f = z - z^3 + u (ring wells take inputs; the double well does not: use an SDE with one)
    sde = ddm.SDE(drift=lambda z, u: z - z**3 + u, diffusion=0.1 * np.ones((1, 1)), dim=1, noise_dim=1,
                  input_dim=1, region=([-2.0], [2.0]))
    fp = A.fixed_points(sde, key=KEY, n_seeds=64, u=[1.0])  # z - z^3 + 1 = 0 has one real root
    assert fp.sizes["point"] == 1 and abs(float(fp.z[0, 0]) - 1.3247180) < 1e-4
    with pytest.raises(ValueError, match="`u`"):
        A.fixed_points(sde, key=KEY, u=[1.0, 2.0])


def test_embedding_report_on_van_der_pol():
    """Fixed key. Measured: eps_f 6.4e-4 (bar 0.01), eps_D 0 (1e-3); D_stsp network 0.0241 against
    the floor 0.0261 (bar: twice the floor); D_H 0.010 (0.1); periods 6.7131 and 6.7114 (3%);
    largest exponents 2e-5 and 7e-6 (0.05)."""
    vdp = ddm.systems.van_der_pol()
    net, _ = ddm.fit(vdp, 128, key=KEY, progress=False)
    rep = ddm.experiments.embedding_report(net, vdp, key=KEY, t_max=200.0, t_transient=20.0, n_trials=4,
                                           lyapunov=dict(t_max=100.0), n_seeds=32)
    assert float(rep.eps_f) < 0.01 and float(rep.eps_D) < 1e-3
    assert rep.D_stsp.dims == ("comparison",) and rep.lyapunov.dims == ("system",)
    assert float(rep.D_stsp.sel(comparison="network")) <= 2 * float(rep.D_stsp.sel(comparison="floor"))
    assert float(rep.D_H.sel(comparison="network")) < 0.1
    assert abs(float(rep.period.sel(system="network")) - float(rep.period.sel(system="target"))) < 0.03 * 6.66
    assert np.all(np.abs(rep.lyapunov.values) < 0.05)  # a limit cycle: largest exponent 0
    assert rep.n_unstable.values.tolist() == [1, 1]
    assert rep.attrs["n_neurons"] == 128
    # one triple by default: no spread
    assert rep.sizes["pair"] == 1 and np.isnan(rep.D_stsp_sd.values).all()
    assert np.allclose(rep.D_stsp.values, rep.D_stsp_pairs.values[:, 0])
    with pytest.raises(ValueError, match="`sde`"):
        ddm.experiments.embedding_report(net, ddm.systems.lorenz63(), key=KEY)
    with pytest.raises(ValueError, match="n_floor_pairs"):
        ddm.experiments.embedding_report(net, vdp, key=KEY, n_floor_pairs=0)
    with pytest.raises(ValueError, match="start_jitter"):
        ddm.experiments.embedding_report(net, vdp, key=KEY, start_jitter=-0.1)
    # K = 3 independent (reference, floor, network) triples: means, spreads and each triple
    rep = ddm.experiments.embedding_report(net, vdp, key=KEY, t_max=200.0, t_transient=20.0, n_trials=4, lyapunov=False,
                                           n_seeds=32, n_floor_pairs=3)
    assert rep.attrs["n_floor_pairs"] == 3
    for name in ("D_stsp", "D_H", "stationary_distance"):
        pairs = rep[name + "_pairs"]
        assert pairs.dims == ("comparison", "pair") and pairs.shape == (2, 3)
        assert np.allclose(rep[name].values, pairs.values.mean(axis=1))
        assert np.allclose(rep[name + "_sd"].values, pairs.values.std(axis=1, ddof=1))
        assert len(np.unique(pairs.values)) == 6  # six independent comparisons, no run reused


def test_report_starts_make_runs_of_a_deterministic_target_independent():
    """Without jitter, runs of a noise-free target started at recorded states of one of its own
    trajectories continue that trajectory bit for bit, so two 'independent' runs share states;
    the relative jitter separates them (and keeps every coordinate's sign)."""
    from ddm_explore.experiments._report import _start_points

    lz = ddm.systems.lorenz63()
    occ = ddm.occupation(ddm.simulate(lz, t_max=200.0, dt=0.01, n_trials=1, key=KEY, record_every=10,
                                      progress=False).z)

    def shared_fraction(jitter):
        runs = []
        for k in (1, 2):
            z0 = _start_points(occ, jax.random.key(k), 4, jitter)
            ds = ddm.simulate(lz, t_max=300.0, dt=0.01, n_trials=4, key=jax.random.key(k), z0=z0, record_every=10,
                              progress=False)
            runs.append([bytes(row) for row in ds.z.values.reshape(-1, 3)])
        first = set(runs[0])
        return np.mean([row in first for row in runs[1]])

    assert shared_fraction(0.0) > 0.3
    assert shared_fraction(0.01) == 0.0
    z0, moved = (_start_points(occ, jax.random.key(3), 64, j) for j in (0.0, 0.01))
    assert np.all(np.sign(moved) == np.sign(z0)) and 0 < np.abs(moved / z0 - 1).max() < 0.06
