"""Numerical honesty (reliability issue, item 6): every estimator reports the sample or grid it
came from, and warns (SampleSizeWarning) when the sample is too short for its usual precision,
while a long enough sample gives no warning."""

import warnings

import jax
import numpy as np
import pytest
import xarray as xr

import ddm_explore as ddm
from ddm_explore import SampleSizeWarning

A = ddm.analysis
RING = ddm.systems.ring_centres(K=4)


def traj(n_trials, n_time, d=2, seed=0, dt=0.1):
    rng = np.random.default_rng(seed)
    return xr.DataArray(rng.normal(size=(n_trials, n_time, d)), dims=("trial", "time", "latent"),
                        coords=dict(time=np.arange(n_time) * dt))


def no_sample_warning(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error", SampleSizeWarning)
        return fn(*args, **kw)


def test_state_space_divergence_carries_sizes_and_warns_when_short():
    with pytest.warns(SampleSizeWarning, match="state_space_divergence: .* occupied bins"):
        A.state_space_divergence(traj(1, 500, seed=1), traj(1, 500, seed=2))
    value = no_sample_warning(A.state_space_divergence, traj(4, 50_000, seed=1), traj(4, 50_000, seed=2))
    assert value.attrs["n_a"] == value.attrs["n_b"] == 200_000 and value.attrs["bins"] == 30
    assert 0 < value.attrs["occupied_bins"] <= 900 and value < 0.05  # a float all the same (measured 0.0024)


def test_power_spectrum_distance_carries_sizes_and_warns_when_short():
    with pytest.warns(SampleSizeWarning, match="shorter than nperseg"):
        A.power_spectrum_distance(traj(1, 300), traj(1, 300, seed=3))
    with pytest.warns(SampleSizeWarning, match="Welch segments"):
        A.power_spectrum_distance(traj(1, 2048), traj(1, 2048, seed=3))
    value = no_sample_warning(A.power_spectrum_distance, traj(4, 4096), traj(4, 4096, seed=3))
    assert value.attrs["n_segments"] == 4 * 7 and value.attrs["nperseg"] == 1024


def test_stationary_distance_carries_sizes_and_warns_when_short():
    with pytest.warns(SampleSizeWarning, match="fewer than n_points=2000"):
        A.stationary_distance(traj(1, 100), traj(1, 100, seed=4))
    value = no_sample_warning(A.stationary_distance, traj(2, 2000), traj(2, 2000, seed=4))
    assert value.attrs["n_points"] == 2000 and value.attrs["n_a"] == 4000


def test_recall_accuracy_warns_with_few_trials_per_memory():
    z = xr.DataArray(np.tile(RING[[1]], (8, 1))[:, None, :], dims=("trial", "time", "latent"))
    with pytest.warns(SampleSizeWarning, match="recall_accuracy: 8 trials"):
        rec = A.recall_accuracy(z, RING, 0.45, cued=1)
    assert float(rec.accuracy) == 1.0 and rec.attrs["n_trials"] == 8
    z = xr.DataArray(np.tile(RING[[1]], (40, 1))[:, None, :], dims=("trial", "time", "latent"))
    rec = no_sample_warning(A.recall_accuracy, z, RING, 0.45, cued=1)
    assert rec.attrs["trials_per_memory"] == str([0, 40, 0, 0])


def test_lyapunov_exponent_warns_when_imprecise():
    lorenz = ddm.systems.lorenz63()
    with pytest.warns(SampleSizeWarning, match="lyapunov_exponent: the standard error"):
        A.lyapunov_exponent(lorenz, key=jax.random.key(0), t_max=20.0, t_transient=10.0, dt=0.02, n_trials=4)
    # a linear flow: every trial gives the same exponent, so a short run is precise
    ou = ddm.systems.ornstein_uhlenbeck(w=1.0)
    res = no_sample_warning(A.lyapunov_exponent, ou, key=jax.random.key(0), t_max=20.0, t_transient=5.0, dt=0.02,
                            n_trials=4)
    assert abs(float(res.exponent) + 1.0) < 1e-3 and res.attrs["n_trials"] == 4


def test_limit_cycle_warns_with_few_cycles():
    t = np.arange(0, 200, 0.05)
    z = lambda t_end: xr.DataArray(np.sin(2 * np.pi * t[t < t_end] / 6.0)[None, :, None],  # noqa: E731
                                   dims=("trial", "time", "latent"), coords=dict(time=t[t < t_end]))
    with pytest.warns(SampleSizeWarning, match="limit_cycle: fewer than 5 full cycles"):
        A.limit_cycle(z(40.0), discard=0.5)
    res = no_sample_warning(A.limit_cycle, z(200.0), discard=0.5)
    assert abs(float(res.period[0]) - 6.0) < 0.01 and res.attrs["t_analysed"] > 99


def test_markov_and_lagged_covariance_warn_when_short():
    ds = ddm.simulate(ddm.systems.ornstein_uhlenbeck(w=1.0), t_max=20.0, dt=0.01, n_trials=1, key=jax.random.key(0),
                      record_every=10, progress=False)
    with pytest.warns(SampleSizeWarning, match="markov_entropy_production: .* transitions for"):
        A.markov_entropy_production(ds.z, 20, method="grid")
    long = ddm.simulate(ddm.systems.ornstein_uhlenbeck(w=1.0), t_max=500.0, dt=0.01, n_trials=8, key=jax.random.key(0),
                        record_every=10, progress=False)
    mk = no_sample_warning(A.markov_entropy_production, long.z, 3, method="grid")
    assert mk.attrs["n_transitions"] == 8 * 5000
    with pytest.warns(SampleSizeWarning, match="lagged_covariance"):
        A.lagged_covariance(traj(1, 12, d=4), lags=[2])
    cov = no_sample_warning(A.lagged_covariance, long.z, lags=[5])
    assert cov.attrs["n_samples_longest_lag"] == 8 * (5001 - 5)


def test_sample_irreversibility_warns_with_few_trials():
    ou = ddm.systems.ornstein_uhlenbeck(w=1.0, s=0.5)
    with pytest.warns(SampleSizeWarning, match="irreversibility: 2 trial"):
        A.irreversibility(ou, method="samples", key=jax.random.key(0), n_trials=2, t_max=20.0)


def test_transition_warnings_are_sample_size_warnings():
    ds = ddm.simulate(ddm.systems.ring_wells(c=0.4, D=0.15), t_max=5.0, dt=0.01, n_trials=2, key=jax.random.key(1),
                      record_every=10, z0=RING[0], progress=False)
    with pytest.warns(SampleSizeWarning, match="transitions: "):
        A.transitions(ds.z, RING, 0.45, cycle=[0, 1, 2, 3])


def test_estimate_is_a_float_that_survives_pickling():
    import pickle

    e = ddm.Estimate(0.5, n_points=10)
    back = pickle.loads(pickle.dumps(e))
    assert back == 0.5 and back.attrs == {"n_points": 10} and repr(back) == "0.5"
    assert type(e + 1.0) is float
