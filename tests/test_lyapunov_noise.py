"""The Lyapunov exponent of a system as it runs with its own noise (``lyapunov_exponent(..., noise=True)``)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import ddm_explore as ddm

A_RATE, B_NOISE = -0.2, 0.6


def _gbm():
    # dz = a z dt + b z dW (Itô): log|z| has drift a - b^2 / 2, the exponent of the random flow
    return ddm.SDE(drift=lambda z: A_RATE * z, diffusion=lambda z: B_NOISE * z[:, None], dim=1, noise_dim=1,
                   name="geometric Brownian motion", region=([0.5], [1.5]))


def test_multiplicative_noise_exponent_is_a_minus_half_b_squared():
    # reference: the closed form a - b^2 / 2 = -0.38 (noise-free: a = -0.2). Margin 0.03: the estimate's
    # standard deviation is b / sqrt(total time) = 0.6 / sqrt(8 x 1000) = 0.0067, the Euler bias at
    # dt = 0.01 is O(b^4 dt) = 0.001; the noise-free value is 0.18 away, so the test tells them apart
    kw = dict(t_max=1000.0, t_transient=10.0, dt=0.01, n_trials=8, scheme="euler", z0=np.ones(1))
    noisy = ddm.analysis.lyapunov_exponent(_gbm(), key=jax.random.key(0), noise=True, **kw)
    quiet = ddm.analysis.lyapunov_exponent(_gbm(), key=jax.random.key(0), **kw)
    assert abs(float(noisy.exponent) - (A_RATE - 0.5 * B_NOISE**2)) < 0.03
    assert abs(float(quiet.exponent) - A_RATE) < 1e-3
    assert noisy.attrs["with_noise"] == 1 and quiet.attrs["with_noise"] == 0


def test_additive_noise_leaves_a_linear_flow_exponents_unchanged():
    # OU with additive noise: the tangent map of x -> x + dt A x + g dW does not see the noise, so
    # the spectrum is the Euler map's log|1 - dt a| / dt for both, to float32 rounding (1e-4)
    ou = ddm.systems.ornstein_uhlenbeck(A=np.diag([1.0, 2.0]), g=np.eye(2))
    kw = dict(t_max=20.0, t_transient=5.0, dt=0.05, n_trials=2, n_exponents=2, scheme="euler")
    noisy = ddm.analysis.lyapunov_exponent(ou, key=jax.random.key(1), noise=True, **kw)
    expected = np.log(np.abs(1 - 0.05 * np.array([1.0, 2.0]))) / 0.05
    np.testing.assert_allclose(noisy.spectrum.values, np.broadcast_to(expected, (2, 2)), atol=1e-4)


def test_network_exponent_with_private_noise_differs_from_noise_free_only_by_its_noise():
    # a network with private noise: noise=True integrates all N neurons with it; with s = 0 both
    # routes are the same Euler map (to float32 rounding), with s = 0.1 the states differ
    net, _ = ddm.fit(ddm.systems.van_der_pol(), 64, key=jax.random.key(0), progress=False)
    kw = dict(t_max=20.0, t_transient=2.0, dt=0.01, n_trials=2, scheme="euler", z0=np.array([1.0, 0.0]))
    quiet = ddm.analysis.lyapunov_exponent(net.replace(gamma0=jnp.zeros_like(net.gamma0)), key=jax.random.key(2), noise=True, **kw)
    plain = ddm.analysis.lyapunov_exponent(net, key=jax.random.key(2), **kw)
    noisy = ddm.analysis.lyapunov_exponent(net.replace(private_noise=jnp.float32(0.1)), key=jax.random.key(2), noise=True, **kw)
    np.testing.assert_allclose(quiet.spectrum.values, plain.spectrum.values, atol=1e-4)
    assert np.all(np.abs(noisy.spectrum.values - plain.spectrum.values) > 1e-4)


def test_noise_needs_the_euler_scheme():
    with pytest.raises(ValueError, match=r"`noise=True`.*scheme=\"euler\""):
        ddm.analysis.lyapunov_exponent(ddm.systems.van_der_pol(), key=jax.random.key(0), t_max=1.0, noise=True)
    with pytest.raises(ValueError, match=r"`noise` must be True or False, got 'yes'"):
        ddm.analysis.lyapunov_exponent(ddm.systems.van_der_pol(), key=jax.random.key(0), t_max=1.0, noise="yes")
