"""The limit-cycle detector: a fixed point in float32 is not an oscillation; a real small cycle is."""

import jax
import numpy as np
import pytest
import xarray as xr

import ddm_explore as ddm

A = ddm.analysis


def _record(values, dt):
    values = np.asarray(values)
    return xr.DataArray(values[None], dims=("trial", "time", "latent"), coords=dict(time=dt * np.arange(len(values))))


@pytest.mark.slow
def test_a_network_settling_on_a_fixed_point_has_no_cycle():
    """The symmetric row of the rotational OU process in the embedding table (N = 128, 1500 Adam steps,
    the report's keys and start): its noise-free run from t = 50 relaxes onto a fixed point, and
    float32 rounding leaves component 0 wandering by 1.5e-6 with three mean crossings. Before the
    amplitude floor it was reported as a cycle of period 1.41 and amplitude 1.52e-6; the floor
    (1e-4 x the state scale 0.15 here, 1.5e-5) is 10x above that amplitude."""
    sde = ddm.systems.ornstein_uhlenbeck(w=1.0, s=0.5)
    net, _ = ddm.fit(sde, 128, key=jax.random.key(1), connectivity="symmetric", steps=1500, progress=False)
    keys = jax.random.split(jax.random.fold_in(jax.random.key(1), 1), 10)
    z0 = np.asarray(ddm.box(*sde.region).sample(keys[8], 1))
    ds = ddm.simulate(net, t_max=500.0, dt=0.01, n_trials=1, key=keys[9], z0=z0, record_every=10,
                      deterministic=True, progress=False)
    cyc = A.limit_cycle(ds.z.sel(time=slice(50.0, None)), discard=0.0)
    assert np.isnan(float(cyc.period[0])) and np.isnan(float(cyc.amplitude[0]))
    assert int(cyc.n_cycles[0]) == 0


def test_a_small_real_cycle_still_counts():
    """Stuart-Landau at mu = 0.01 (radius 0.1, period 2 pi / (1 - 0.5 mu)), noise-free from the cycle at
    dt = 1e-3 (Euler's own growth, omega^2 dt / 2 = 5e-4, moves the radius to 0.1025): period within 1%
    (measured 0.02%), amplitude within 4% of 0.1 (measured +1.9%)."""
    sde = ddm.systems.stuart_landau(mu=0.01, b=0.5)
    ds = ddm.simulate(sde, t_max=80.0, dt=1e-3, n_trials=1, key=jax.random.key(0), z0=[0.1, 0.0], record_every=20,
                      deterministic=True, progress=False)
    cyc = A.limit_cycle(ds.z, discard=0.5)
    period = 2 * np.pi / (1.0 - 0.5 * 0.01)
    assert abs(float(cyc.period[0]) - period) <= 0.01 * period, float(cyc.period[0])
    assert abs(float(cyc.amplitude[0]) - 0.1) <= 0.004, float(cyc.amplitude[0])


def test_the_floor_is_absolute_and_relative_to_the_state_scale():
    """Around an offset of 10 the default floor is 1e-4 x 10.01 = 1e-3: a cycle of amplitude 1e-2 counts
    (period within 0.1%), a wiggle of 1e-5 (1e-6 of the state, about ten float32 ulps at 10) does not;
    ``amplitude_floor`` sets the floor in latent units instead."""
    t = 0.05 * np.arange(2000)
    for a, counts in ((1e-2, True), (1e-5, False)):
        z = _record(np.stack([10.0 + a * np.sin(t), a * np.cos(t)], -1).astype(np.float32), 0.05)
        period = float(A.limit_cycle(z).period[0])
        assert np.isfinite(period) == counts, (a, period)
        if counts:
            assert abs(period - 2 * np.pi) <= 1e-3 * 2 * np.pi
    z = _record(np.stack([np.sin(t), np.cos(t)], -1), 0.05)
    assert np.isfinite(float(A.limit_cycle(z, amplitude_floor=0.5).period[0]))
    assert np.isnan(float(A.limit_cycle(z, amplitude_floor=2.0).period[0]))
    with pytest.raises(ValueError, match="amplitude_floor"):
        A.limit_cycle(z, amplitude_floor=-1.0)
