"""Milstein's scheme (Itô) for state-dependent noise, with the commutative correction."""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from ._base import AbstractSolver
from ._euler import Euler


@dataclass(frozen=True)
class Milstein(AbstractSolver):
    """Itô–Milstein: Euler–Maruyama plus the correction of the noise's change over the step.

    ``x' = x + f dt + g dW + 1/2 sum_jk (L^j g_k) (dW_j dW_k - delta_jk dt)`` with
    ``L^j = sum_i g_ij d/dx_i``. The correction is computed as two directional derivatives of
    ``y -> g(y) w`` (the system's ``state_noise``): along ``g(x) dW`` with ``w = dW``, and the
    Itô term ``sum_j (L^j g_j) dt`` along each column ``g_j``: m + 1 forward-mode derivatives
    (``jax.jvp``), or with ``derivative_free=True`` differences of ``state_noise`` (one
    one-sided difference along ``g dW``, central differences of step ``sqrt(dt)`` along each
    ``g_j``; the errors stay within the scheme's order), for a diffusion JAX cannot
    differentiate.

    The double Itô integrals ``I_jk`` enter through their symmetric part
    ``(dW_j dW_k - delta_jk dt) / 2``, which is exact when the noise is *commutative*
    (``L^j g_k = L^k g_j``: one channel, diagonal noise ``g_ii(z_i)``, additive noise): there the
    scheme has strong order 1. For non-commutative noise (e.g. ``multiplicative_ou``, whose
    ``g = h(z) I``, or a network with multiplicative noise) the Lévy areas
    ``(I_jk - I_kj) / 2`` are left out: they need random numbers beyond the Brownian increments
    that every solver shares, and an approximation to strong order 1 costs O(1/dt) of them per
    step. There the strong order is 1/2, as Euler–Maruyama's, with a smaller constant, and the
    weak order 1. For additive noise the correction vanishes and the step is Euler–Maruyama's
    (the same numbers). One drift evaluation per step.

    Parameters
    ----------
    derivative_free : bool
        Differences of ``state_noise`` instead of ``jax.jvp`` (m + 1 and 2 m + 2 extra noise
        evaluations per step respectively).

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> ds = ddm.simulate(ddm.systems.state_dependent_ou(), t_max=1.0, dt=0.01, key=jax.random.key(0),
    ...                   solver=ddm.Milstein(), progress=False)
    >>> ds.attrs["method"]
    'Milstein'
    """

    derivative_free: bool = False

    name = "milstein"
    method = "Milstein"
    ode_order = 1
    strong_order = (1.0, 1.0)  # state-dependent: commutative noise (1/2 otherwise, see above)
    weak_order = (1.0, 1.0)

    def __post_init__(self):
        if not isinstance(self.derivative_free, bool):
            raise ValueError(f"`derivative_free` must be True or False, got {self.derivative_free!r}")

    def step(self, terms, x, dw, zp):
        x_new = Euler().step(terms, x, dw, zp)
        if terms.deterministic or not terms.state_dependent:
            return x_new
        correction = self._differences if self.derivative_free else self._derivatives
        return x_new + 0.5 * correction(terms, x, dw)

    @staticmethod
    def _columns(terms, x):
        """The unit increments e_j (n, m), one per channel: ``noise(x, e_j) = g_j(x)``."""
        eye = jnp.eye(terms.noise_dim, dtype=x.dtype)
        return [jnp.broadcast_to(eye[j], (x.shape[0], terms.noise_dim)) for j in range(terms.noise_dim)]

    def _derivatives(self, terms, x, dw):
        """``sum_jk (L^j g_k) dW_j dW_k - dt sum_j L^j g_j`` by forward-mode derivatives (one per
        channel in a Python loop: under ``vmap`` the contractions of a network's loading lower to
        slower batched products)."""
        def along(w):  # the derivative of y -> g(y) w along g(x) w
            return jax.jvp(lambda y: terms.noise(y, w), (x,), (terms.noise(x, w),))[1]
        ito = sum(along(e) for e in self._columns(terms, x))
        return along(dw) - terms.dt * ito

    def _differences(self, terms, x, dw):
        """The same correction from differences of ``state_noise``: one-sided along ``g dW``
        (its second-order error is odd in dW: mean zero, O(dt^1.5)), central along ``g_j`` with
        step ``h = sqrt(dt)`` (error O(dt) on a term of size dt)."""
        v = terms.noise(x, dw)
        jv = terms.noise(x + v, dw) - v
        h = jnp.sqrt(terms.dt)

        def column(w):
            gj = terms.noise(x, w)
            return (terms.noise(x + h * gj, w) - terms.noise(x - h * gj, w)) / (2.0 * h)
        ito = sum(column(e) for e in self._columns(terms, x))
        return jv - terms.dt * ito
