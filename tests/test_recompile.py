"""Changing only values (not shapes) never recompiles the jitted kernels of simulate and fit."""

import jax
import jax.numpy as jnp
import numpy as np

import ddm_explore as ddm
from ddm_explore.matching import _fit
from ddm_explore.simulate import _simulate


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
    sizes = _simulate._segment._cache_size(), _fit._target_fields._cache_size()
    ddm.simulate(vdp, dt=0.005, key=jax.random.key(1), z0=np.array([1.0, 0.0]), **{**kw, "t_max": 0.1})
    ddm.fit(vdp, 32, key=jax.random.key(1), ridge=1e-6, latent_gain=1.2, progress=False)
    assert (_simulate._segment._cache_size(), _fit._target_fields._cache_size()) == sizes
