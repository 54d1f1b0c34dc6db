"""The noise of the Euler–Maruyama kernel: mean, variance, independence (fixed keys, stated margins)."""

import jax
import jax.numpy as jnp
import numpy as np

import ddm_explore as ddm


def _moments_ok(x, n_sigma=5.0):
    """Sample mean 0 and variance 1 within n_sigma standard errors (var of s^2 is 2/n for normals)."""
    n = x.size
    assert abs(x.mean()) < n_sigma / np.sqrt(n), x.mean()
    assert abs(x.var() - 1.0) < n_sigma * np.sqrt(2.0 / n), x.var()


def _leaky_net(N, *, private, gamma):
    """A network with J = 0: drift -x + b, so the noise of each step can be read off exactly."""
    rng = np.random.default_rng(0)
    M, x0 = ddm.network.make_embedding(jax.random.key(0), N, 2)
    f32 = lambda a: jnp.asarray(a, jnp.float32)  # noqa: E731
    return ddm.Network(M=f32(M), x0=f32(x0), W=f32(np.zeros((N, 2))), J_full=None, b=f32(rng.normal(size=N)),
                       B=f32(np.zeros((N, 0))), gamma0=f32(gamma * np.eye(2)), Gamma=None,
                       private_noise=f32(private), centre=f32(np.zeros(2)), scale=f32(np.ones(2)),
                       region_low=f32(-np.ones(2)), region_high=f32(np.ones(2)))


def test_private_noise_of_the_kernel_has_the_stated_mean_variance_and_independence():
    N, T, dt, s = 64, 512, 0.01, 0.3
    net = _leaky_net(N, private=s, gamma=0.0)
    kw = dict(t_max=2 * dt, dt=dt, n_trials=T, z0=np.zeros(2), record_every=1, record_neurons=True, progress=False)
    x = ddm.simulate(net, key=jax.random.key(3), **kw).x.values.astype(np.float64)  # (T, 3, N)
    xd = ddm.simulate(net, key=jax.random.key(3), deterministic=True, **kw).x.values.astype(np.float64)
    e1 = x[:, 1] - xd[:, 1]                      # s sqrt(dt) xi_1
    e2 = x[:, 2] - xd[:, 2] - (1 - dt) * e1      # s sqrt(dt) xi_2 (linear drift)
    xi1, xi2 = e1 / (s * np.sqrt(dt)), e2 / (s * np.sqrt(dt))
    # margins: 5 standard errors; the float32 state rounds xi at ~1e-4, far below them
    _moments_ok(xi1)
    _moments_ok(xi2)
    n = xi1.size
    assert abs(np.corrcoef(xi1.ravel(), xi2.ravel())[0, 1]) < 5 / np.sqrt(n)          # across steps
    assert abs(np.corrcoef(xi1[:, :-1].ravel(), xi1[:, 1:].ravel())[0, 1]) < 5 / np.sqrt(n)  # across neurons
    assert abs(np.corrcoef(xi1[:-1].ravel(), xi1[1:].ravel())[0, 1]) < 5 / np.sqrt(n)        # across trials


def test_latent_noise_of_the_kernel_lives_in_span_M_with_variance_gamma_squared_dt():
    N, T, dt, g = 64, 4096, 0.01, 0.5
    net = _leaky_net(N, private=0.0, gamma=g)
    kw = dict(t_max=dt, dt=dt, n_trials=T, z0=np.zeros(2), record_every=1, record_neurons=True, progress=False)
    e = (ddm.simulate(net, key=jax.random.key(4), **kw).x.values[:, 1]
         - ddm.simulate(net, key=jax.random.key(4), deterministic=True, **kw).x.values[:, 1]).astype(np.float64)
    M = np.asarray(net.M, np.float64)
    w = e @ M / N / (g * np.sqrt(dt))  # latent increments, standard normal
    off = e - w @ M.T * g * np.sqrt(dt)
    assert np.max(np.abs(off)) < 1e-5  # nothing off the manifold (float32 rounding only)
    for c in range(2):
        _moments_ok(w[:, c])
    assert abs(np.corrcoef(w[:, 0], w[:, 1])[0, 1]) < 5 / np.sqrt(T)
