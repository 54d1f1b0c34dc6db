"""Targets with state-dependent (multiplicative) diffusion."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .._checks import as_array, check_positive
from ._linear import _linear_drift
from ._sde import SDE


def multiplicative_ou(*, w: float = 1.0, s: float = 0.5, a: float = 1.0,
                      region=((-2.5, -2.5), (2.5, 2.5))) -> SDE:
    """Rotational Ornstein–Uhlenbeck process whose noise grows with the distance from the origin (d = 2).

        dz = -A z dt + s sqrt(1 + a |z|^2) dW,   A = [[1, -w], [w, 1]]

    so ``D(z) = (s^2 / 2)(1 + a |z|^2) I``. The stationary density is radial and the same for
    every w (the rotation runs along its level sets):
    ``p(z) ~ (1 + a |z|^2)^-(1 + 1 / (a s^2))`` (see :func:`multiplicative_ou_density`);
    w != 0 makes it a nonequilibrium steady state. An additive-noise network cannot match
    this diffusion: fit it with ``noise="multiplicative"``.

    Parameters
    ----------
    w : float
        Rotation rate.
    s : float
        Noise amplitude at the origin, >= 0.
    a : float
        Growth of the noise variance with |z|^2, >= 0 (0: the additive rotational OU).
    region : (low, high)
        Sampling box, default [-2.5, 2.5]^2.

    Examples
    --------
    >>> sde = multiplicative_ou(w=1.0, s=0.5, a=1.0)
    >>> sde.latent_diffusion(jnp.array([1.0, 0.0])).round(4).tolist()
    [[0.25, 0.0], [0.0, 0.25]]
    """
    w = float(as_array("w", w, ndim=0))
    s = check_positive("s", s, allow_zero=True)
    a = check_positive("a", a, allow_zero=True)
    A = np.array([[1.0, -w], [w, 1.0]])
    return SDE(drift=_linear_drift, diffusion=_multiplicative_loading, dim=2, noise_dim=2,
               name="multiplicative OU", region=region, params=dict(w=w, s=s, a=a), theta=dict(A=A, s=s, a=a))


def _multiplicative_loading(z, p):
    return p["s"] * jnp.sqrt(1.0 + p["a"] * jnp.sum(z**2)) * jnp.eye(2, dtype=jnp.float32)


def multiplicative_ou_density(z, *, s: float = 0.5, a: float = 1.0) -> np.ndarray:
    """Normalised stationary density of :func:`multiplicative_ou` at points z (..., 2), any w.

    ``p(z) = (n - 1) a / pi * (1 + a |z|^2)^-n`` with ``n = 1 + 1 / (a s^2)`` (from the
    zero-flux condition ``-z p = grad(q p)``, ``q = s^2 (1 + a |z|^2) / 2``).

    Examples
    --------
    >>> round(float(multiplicative_ou_density(np.zeros(2), s=0.5, a=1.0)), 4)
    1.2732
    """
    s = check_positive("s", s)
    a = check_positive("a", a)
    z = as_array("z", z)
    n = 1.0 + 1.0 / (a * s**2)
    return (n - 1.0) * a / np.pi * (1.0 + a * np.sum(z**2, axis=-1)) ** (-n)


def state_dependent_ou(*, s: float = 0.3) -> SDE:
    """Ornstein–Uhlenbeck drift ``f(z) = -z`` with state-dependent diffusion ``g(z) = s (1 + z1^2 / 4) I`` (d = 2).

    The noise grows along z1 only, so an additive-noise network cannot match it: fit it with
    ``noise="multiplicative"``.

    Parameters
    ----------
    s : float
        Noise amplitude at z1 = 0, >= 0.

    Examples
    --------
    >>> sde = state_dependent_ou(s=0.3)
    >>> D = sde.latent_diffusion(jnp.array([2.0, 0.0]))  # (s (1 + 1))^2 / 2 on the diagonal
    >>> round(float(D[0, 0]), 4), float(D[0, 1])
    (0.18, 0.0)
    """
    s = check_positive("s", s, allow_zero=True)
    return SDE(drift=lambda z, u: -z, diffusion=lambda z: s * (1 + z[0] ** 2 / 4) * jnp.eye(2), dim=2,
               noise_dim=2, name="state-dependent OU", region=([-2, -2], [2, 2]), params=dict(s=s))
