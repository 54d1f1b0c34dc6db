"""Changing only values (not shapes) never recompiles the jitted kernels of simulate and fit."""

import jax
import jax.numpy as jnp
import numpy as np

import ddm_explore as ddm
from ddm_explore.matching import _data, _optax
from ddm_explore.simulation import _simulate


def test_network_simulation_values_do_not_grow_the_cache(vdp_fit):
    net, _ = vdp_fit
    kw = dict(t_max=0.2, n_trials=4, record_every=5, progress=False)
    ddm.simulate(net, dt=0.01, key=jax.random.key(0), **kw)
    size = _simulate._segment._cache_size()
    other = net.replace(W=net.W * 1.1, b=net.b + 0.01, gamma0=net.gamma0 * 2.0)  # a "slider" on the weights
    for dt, k, n, z0 in ((0.01, 1, net, None), (0.01, 2, other, np.array([0.5, -0.5])), (0.02, 3, other, None)):
        ddm.simulate(n, t_max=0.2 if dt == 0.01 else 0.4, dt=dt, key=jax.random.key(k), z0=z0,
                     n_trials=4, record_every=5, progress=False)
    assert _simulate._segment._cache_size() == size
    # private noise: its value is traced too (switching it on from 0 is one new program)
    ddm.simulate(net.replace(private_noise=jnp.float32(0.1)), dt=0.01, key=jax.random.key(0), **kw)
    size = _simulate._segment._cache_size()
    ddm.simulate(net.replace(private_noise=jnp.float32(0.3)), dt=0.01, key=jax.random.key(5), **kw)
    assert _simulate._segment._cache_size() == size


def test_sde_simulation_and_closed_form_fit_values_do_not_grow_the_cache(vdp):
    kw = dict(t_max=0.2, n_trials=4, record_every=5, progress=False)
    ddm.simulate(vdp, dt=0.01, key=jax.random.key(0), **kw)
    ddm.fit(vdp, 32, key=jax.random.key(0), progress=False)
    sizes = _simulate._segment._cache_size(), _data._target_fields._cache_size()
    ddm.simulate(vdp, dt=0.005, key=jax.random.key(1), z0=np.array([1.0, 0.0]), **{**kw, "t_max": 0.1})
    ddm.fit(vdp, 32, key=jax.random.key(1), ridge=1e-6, latent_gain=1.2, progress=False)
    assert (_simulate._segment._cache_size(), _data._target_fields._cache_size()) == sizes


def test_new_parameter_values_of_a_built_in_system_never_recompile():
    """A slider on a system parameter builds a new SDE; its values are traced leaves, so the
    simulation, fit, drift-field and fixed-point programs compiled for the first value serve all."""
    from ddm_explore.analysis import _fields, _fixed_points

    def use(sde, k):
        ddm.simulate(sde, t_max=0.2, dt=0.01, n_trials=4, record_every=5, key=jax.random.key(k), progress=False)
        ddm.fit(sde, 32, key=jax.random.key(k), progress=False)
        if sde.dim <= 2:
            ddm.analysis.drift_field(sde, 9)
        ddm.analysis.fixed_points(sde, key=jax.random.key(k), n_seeds=16)

    def sizes():
        return (_simulate._segment._cache_size(), _data._target_fields._cache_size(),
                _fields._fields._cache_size(), _fixed_points._newton._cache_size())

    for factory, values in ((ddm.systems.van_der_pol, [dict(mu=1.0), dict(mu=2.5, sigma=0.3)]),
                            (ddm.systems.ring_wells, [dict(c=0.0), dict(c=0.7, D=0.2, h=0.5, k=1.5)]),
                            (ddm.systems.lorenz63, [dict(), dict(rho=20.0, noise=0.5)]),
                            (ddm.systems.multiplicative_ou, [dict(), dict(w=2.0, s=0.3, a=0.5)]),
                            (ddm.systems.ornstein_uhlenbeck, [dict(w=0.0), dict(w=2.0, s=0.4)])):
        first, second = (factory(**v) for v in values)
        use(first, 0)
        before = sizes()
        use(second, 1)
        assert sizes() == before, factory.__name__
        # and the values are really used: the drift differs where the parameters matter
        z = np.asarray(second.region[1]) * 0.5
        u = np.ones(second.input_dim) * 0.3
        assert not np.allclose(first.latent_drift(z, u), second.latent_drift(z, u)), factory.__name__


def test_user_sde_with_theta_shares_compiled_code():
    def drift(z, u, theta):
        return -theta["rate"] * z

    def make(rate, s):
        return ddm.SDE(drift=drift, diffusion=s * jnp.eye(1), dim=1, noise_dim=1, region=([-1.0], [1.0]),
                       theta={"rate": rate})

    a = ddm.simulate(make(0.5, 0.1), t_max=1.0, dt=0.01, key=jax.random.key(0), z0=np.ones(1), deterministic=True,
                     progress=False)
    size = _simulate._segment._cache_size()
    b = ddm.simulate(make(2.0, 0.3), t_max=1.0, dt=0.01, key=jax.random.key(0), z0=np.ones(1), deterministic=True,
                     progress=False)
    assert _simulate._segment._cache_size() == size
    # Euler: z(1) = (1 - rate dt)^100
    assert abs(float(a.z[0, -1, 0]) - 0.995**100) < 1e-4
    assert abs(float(b.z[0, -1, 0]) - 0.98**100) < 1e-4


def test_optax_fits_reuse_the_compiled_training_chunk():
    """A second optax fit with the same shapes and settings (new target values, key, ridge) does
    not recompile the training loop."""
    kw = dict(connectivity="full", steps=50, batch_size=64, n_samples=256, n_test=64, progress=False)
    ddm.fit(ddm.systems.van_der_pol(mu=1.0), 16, key=jax.random.key(0), **kw)
    size = _optax._run_chunk._cache_size()
    net, report = ddm.fit(ddm.systems.van_der_pol(mu=2.0), 16, key=jax.random.key(1), ridge=1e-6, **kw)
    assert _optax._run_chunk._cache_size() == size
    assert np.isfinite(report.loss.values).all() and report.loss.size == 50
