"""The stationary density of a network fitted to recorded data (METHOD.md section 9, README "Learning from
data"): the fit reproduces the data's own occupation, so the density is as good as the data hold it, and
the report says how much that is (``occupation_samples``).

Oracles: the integrated autocorrelation time of an AR(1) process, (1 + phi) / (1 - phi) in steps; the
double well's exact stationary density exp(-V / s) and independent runs of the target itself (the floor).
"""

import jax
import numpy as np
import scipy.signal
import xarray as xr

import ddm_explore as ddm
from ddm_explore.matching._data_input import as_trajectories


def _ar1(phi, n_trials, n_time, seed):
    """Stationary AR(1) trajectories x_t = phi x_{t-1} + e_t (unit innovations), (trial, time): filtered
    noise after a burn-in of 400 steps (phi^400 < 1e-18)."""
    e = np.random.default_rng(seed).normal(size=(n_trials, n_time + 400))
    return scipy.signal.lfilter([1.0], [1.0, -phi], e, axis=1)[:, 400:]


def _as_data(x, delta):
    return xr.DataArray(x[..., None], dims=("trial", "time", "latent"), coords=dict(time=np.arange(x.shape[1]) * delta))


def test_occupation_samples_match_the_ar1_correlation_time():
    # tau_int = (1 + phi) / (1 - phi) = 19 steps; with 64 segments the spread of their means is a variance
    # estimate of 63 degrees of freedom, relative sd sqrt(2 / 63) = 0.18: margin 0.35 (~2 sd), measured +0.19
    phi, delta = 0.9, 0.05
    x = _ar1(phi, 64, 4000, seed=1)
    n_eff, tau = as_trajectories(_as_data(x, delta)).occupation_samples()
    tau_true = (1 + phi) / (1 - phi)
    assert abs(tau / delta / tau_true - 1) < 0.35
    assert abs(n_eff * tau_true / x.size - 1) < 0.35
    # two long trials: cut into 4 blocks each (8 segments, 7 degrees of freedom, sd 0.53): a factor 2.5
    # (~2.5 sd up, ~1.1 down; measured 1.93)
    y = _ar1(phi, 2, 64_000, seed=2)
    n_eff2, tau2 = as_trajectories(_as_data(y, delta)).occupation_samples()
    assert 1 / 2.5 < tau2 / delta / tau_true < 2.5
    # a list of trials of different lengths (each segment's mean weighted by its length): the same tau
    # (margins as above; measured -0.10 and +0.11)
    w = _ar1(phi, 64, 6000, seed=3)
    parts = [_as_data(w[:32, :2000], delta), _as_data(w[32:], delta)]
    n_eff3, tau3 = as_trajectories(parts).occupation_samples()
    assert abs(tau3 / delta / tau_true - 1) < 0.35
    assert abs(n_eff3 * tau_true / (32 * 8000) - 1) < 0.35


def _exact_right_mass(f, D, x):
    """Mass on z > 0 of the 1-D stationary density p ~ exp(int f / D) / D on the grid x."""
    g = f / D
    integral = np.concatenate([[0.0], np.cumsum(0.5 * (g[1:] + g[:-1]) * np.diff(x))])
    p = np.exp(integral - integral.max()) / D
    return float(np.trapezoid(np.where(x > 0, p, 0.0), x) / np.trapezoid(p, x))


def test_double_well_stationary_density_within_twice_its_floor():
    # 64 trials x 1000 tau of the double well (s = 0.1: Kramers time ~54 tau, ~1200 hops) observed every 0.05;
    # a 64-neuron fit. Every run is as long as the data and has its own key (a run that shares the reference's
    # key shares its noise and tracks it). The floor: the rms distance from the reference run of the target's
    # own runs of that size, three independent ones and the data (one more).
    sde = ddm.systems.double_well(s=0.1)
    sim = dict(t_max=1000.0, dt=0.01, n_trials=64, record_every=5, progress=False)
    data = ddm.simulate(sde, key=jax.random.key(1), **sim).z
    net, report = ddm.fit(data, 64, key=jax.random.key(0), solver=ddm.FromData(truth=sde))
    burn = dict(time=slice(20.0, None))
    ref, *others = (ddm.simulate(sde, key=jax.random.key(k), **sim).z.sel(**burn) for k in (100, 101, 102, 103))
    z_net = ddm.simulate(net, key=jax.random.key(200), **sim).z.sel(**burn)
    distance = ddm.analysis.stationary_distance
    floor = float(np.sqrt(np.mean([float(distance(ref, z)) ** 2 for z in (*others, data.sel(**burn))])))
    # the network's run carries the data's sampling error and its own beside the reference's, so the expected
    # ratio is ~sqrt(3 / 2) = 1.2: margin 2x (measured 0.040 against 0.041; 0.97-1.32 over six data keys)
    assert float(distance(ref, z_net)) < 2.0 * floor
    # the mechanism: the fit's latent equation holds the data's occupation (its right-well mass within 0.01 of
    # the data's: measured 0.0016, at most 0.0042 over six data keys), which is off the truth's 0.5 by its own
    # sampling error ~0.5 / sqrt(n_eff) (0.016: margin 3x)
    x = np.linspace(-2.5, 2.5, 5001)
    X = x[:, None].astype(np.float32)
    mass = _exact_right_mass(np.asarray(net.latent_drift(X), np.float64)[:, 0],
                             np.asarray(net.latent_diffusion(X), np.float64)[:, 0, 0], x)
    data_mass = float(np.mean(data.values > 0))
    assert abs(mass - data_mass) < 0.01
    n_eff = float(report.occupation_samples)
    assert 500 < n_eff < 5000  # ~64 x 1000 / 54 = 1200 independent states (measured 946)
    assert abs(data_mass - 0.5) < 3 * 0.5 / np.sqrt(n_eff)
