"""Matching the network that runs with private noise (METHOD.md section 8).

With private noise s per neuron, a low-rank network's state leaves the manifold by e, an OU
process of rate 1 with per-neuron variance ``sigma_i^2 = (s^2 / 2)(1 - |m_i|^2 / N)``, independent
of z. The latent drift the network really has is ``-z + W^T phi(x0 + M z + e) + ...``, so matching
it in expectation over e is a ridge regression on the Gaussian-smoothed rates
``phibar_i(z) = E[phi(a_i + sigma_i xi)]`` with the extra penalty ``sum_i vbar_i W_i^2``
(``v_i = Var[phi(a_i + sigma_i xi)]``, its mean over the samples). The fluctuation also drives z: a
coloured latent noise of covariance ``V(z) = W^T diag(v(z)) W`` and correlation time 1, whose
white-noise equivalent is ``Q = (s^2 / N) I + R V + V R^T`` (the first term: the private noise
projected on the manifold), R the linear response of z to the fluctuation. For a frozen local
Jacobian A, ``R = (I - A)^-1`` (METHOD.md section 8); here R is integrated along the target's own
flow from each point, ``R = int exp(-u) Phi_u du`` with Phi_u its tangent map, which also holds on
limit cycles and attractors, where the frozen Jacobian leaves a neutral direction or expands. The
latent noise loading is matched to ``g g^T`` minus the points' mean Q; the part of ``g g^T`` below
``Q`` cannot be matched at this N and s, and is reported.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from .._estimates import PrivateNoiseWarning
from .._steps import rk4_step
from ._closed_form import closed_form, diffusion_loading

#: Gauss–Hermite nodes of the smoothed rates (probabilists' weight exp(-x^2 / 2))
N_NODES = 10
#: the fluctuation's linear response is integrated over this many time constants, in steps of
RESPONSE_HORIZON, RESPONSE_STEP = 8.0, 0.02
#: the largest fraction of the points' Q left out of their mean (points the flow carries away from
#: an unstable state, where a sampling box puts far more weight than the process does)
TRIM = 0.1
#: a warning is issued when more than this fraction of the target's diffusion cannot be matched
UNMATCHED_WARNING = 0.05
#: the weights of the fluctuation's variance in the drift regression that ``variance_penalty="auto"``
#: tries, smallest first (1: the plain expected loss of METHOD.md section 8); the first whose
#: induced noise leaves at most ``AUTO_UNMATCHED`` of the target's diffusion unmatched is kept
VARIANCE_PENALTIES = (0.03, 0.1, 0.3, 1.0)
AUTO_UNMATCHED = 0.01


@dataclass(frozen=True)
class PrivateNoise:
    """The private noise a network is fitted for: ``ddm.fit(..., private_noise=ddm.PrivateNoise(s))``
    (a plain number s means ``PrivateNoise(s)``).

    Parameters
    ----------
    level : float
        s, the standard deviation of each neuron's own noise (>= 0; 0: none).
    variance_penalty : float or "auto"
        lambda >= 0, the weight of the readout penalty ``lambda sum_i vbar_i W_i^2`` in the drift
        regression on the smoothed rates. lambda = 1 is the expected loss over the fluctuation
        (METHOD.md section 8), which counts the fluctuation's variance as drift error; but that
        variance is noise, matched by lowering the latent noise loading, so the penalty is needed
        only to keep the noise it induces below the target's diffusion. ``"auto"`` (the default)
        takes the smallest of ``VARIANCE_PENALTIES`` (0.03, 0.1, 0.3, 1) whose closed-form readout
        leaves at most 1% of the target's diffusion unmatched (1 when none does): on the built-ins
        at N = 1024, s = 0.1 that is 0.03, where the smoothed drift error fell from 0.6% to 0.2% and
        the Stuart–Landau amplitude bias from 0.4% to 0.1% against lambda = 1.

    >>> PrivateNoise(0.1).variance_penalty
    'auto'
    """

    level: float
    variance_penalty: float | str = "auto"

    def __post_init__(self):
        names = ("level",) if self.variance_penalty == "auto" else ("level", "variance_penalty")
        for name in names:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v) or v < 0:
                extra = ' or "auto"' if name == "variance_penalty" else ""
                raise ValueError(f"`{name}` of PrivateNoise must be a finite number >= 0{extra}, got {v!r}")
            object.__setattr__(self, name, float(v))

    @property
    def penalties(self) -> tuple:
        """The weights to try, in order."""
        return VARIANCE_PENALTIES if self.variance_penalty == "auto" else (self.variance_penalty,)


def as_private_noise(value) -> PrivateNoise:
    """``private_noise`` as given to ``fit``: a number s or a :class:`PrivateNoise`."""
    if isinstance(value, PrivateNoise):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(value):
        raise ValueError(f"`private_noise` must be a finite number >= 0 or a ddm.PrivateNoise, got {value!r}")
    if value < 0:
        raise ValueError(f"`private_noise` must be >= 0, got {value!r}")
    return PrivateNoise(float(value))


def choose_variance_penalty(data, G, R, model: PrivateNoise, *, ridge: float, noise: str):
    """``data`` with the variance penalty of ``model``: its number, or for "auto" the first of
    ``VARIANCE_PENALTIES`` whose closed-form readout induces a noise that leaves at most
    ``AUTO_UNMATCHED`` of the target's diffusion unmatched (the last one when none does).
    Returns (that data, its closed-form solution), so the fit does not solve it again."""
    for lam in model.penalties:
        trial = replace(data, variance_penalty=lam)
        sol = closed_form(trial, G, ridge=ridge, noise=noise)
        unmatched = matched_loading(trial, sol["W"], R, model.level, noise, ridge)[2]
        if not unmatched > AUTO_UNMATCHED:  # NaN (a target without diffusion): nothing to match, keep the first
            return trial, sol
    return trial, sol


def off_manifold_std(M, s: float) -> np.ndarray:
    """Stationary standard deviation of each neuron's off-manifold part under private noise s:
    ``sqrt((s^2 / 2)(1 - |m_i|^2 / N))`` (exact for a low-rank network)."""
    M = np.asarray(M, np.float64)
    N = M.shape[0]
    return np.sqrt(0.5 * s**2 * np.clip(1.0 - np.sum(M**2, axis=1) / N, 0.0, None))


@jax.jit
def _smoothed(template, zi, sigma):
    x, w = np.polynomial.hermite_e.hermegauss(N_NODES)
    x, w = jnp.asarray(x, jnp.float32), jnp.asarray(w / w.sum(), jnp.float32)
    a = template.x0 + zi @ template.M.T  # (n, N)

    def node(carry, xw):
        m1, m2 = carry
        r = template.phi(a + xw[0] * sigma)
        return (m1 + xw[1] * r, m2 + xw[1] * r * r), None

    zeros = jnp.zeros_like(a)
    (m1, m2), _ = jax.lax.scan(node, (zeros, zeros), jnp.stack([x, w], axis=1))
    return m1, jnp.maximum(m2 - m1 * m1, 0.0)


def smoothed_rates(template, zi, sigma):
    """``E[phi(a + sigma xi)]`` and ``Var[phi(a + sigma xi)]`` (n, N) at internal points zi (n, d),
    by Gauss–Hermite quadrature, float32."""
    m1, var = _smoothed(template, jnp.asarray(zi, jnp.float32), jnp.asarray(sigma, jnp.float32))
    return np.asarray(m1), np.asarray(var)


@partial(jax.jit, static_argnames=("n_steps",))
def _responses(target, Z, U, dt, *, n_steps):
    """``int_0^H exp(-u) Phi_u(z) du`` (n, d, d) in user coordinates: the tangent map Phi_u of the
    target's noise-free flow from each point, by RK4 with its exact linearisation, weighted by the
    fluctuation's correlation exp(-u) (trapezoid rule)."""
    d = Z.shape[1]

    def one(z, u):
        def rk4(x):
            return rk4_step(lambda y: target.latent_drift(y, u), x, dt)

        def step(carry, k):
            x, Phi, R = carry
            x_new, lin = jax.linearize(rk4, x)
            Phi_new = jax.vmap(lin, in_axes=1, out_axes=1)(Phi)
            R = R + 0.5 * dt * (jnp.exp(-k * dt) * Phi + jnp.exp(-(k + 1) * dt) * Phi_new)
            return (x_new, Phi_new, R), None

        init = (z, jnp.eye(d, dtype=z.dtype), jnp.zeros((d, d), z.dtype))
        return jax.lax.scan(step, init, jnp.arange(n_steps, dtype=z.dtype))[0][2]

    return jax.vmap(one)(Z, U)


def response_kernels(target, Z, U, scale, *, horizon: float = RESPONSE_HORIZON, dt: float = RESPONSE_STEP) -> np.ndarray:
    """The linear response of z to a fluctuation of correlation time 1 at the points (n, d, d),
    internal coordinates: ``R(z) = int_0^H exp(-u) Phi_u(z) du``. For a constant Jacobian A it is
    ``(I - A)^-1 (I - exp((A - I) H))``; along a limit cycle or an attractor the flow's own tangent
    map replaces the frozen local Jacobian. NaN where the flow diverges."""
    R = np.asarray(_responses(target, jnp.asarray(Z, jnp.float32), jnp.asarray(U, jnp.float32), jnp.float32(dt),
                              n_steps=int(round(horizon / dt))), np.float64)
    return R * scale[None, None, :] / scale[None, :, None]


def induced_diffusion(W, var, R, s: float, N: int) -> np.ndarray:
    """The white-noise equivalent ``Q(z)`` (n, d, d) of the latent noise the private noise induces
    (in ``g g^T`` units, internal coordinates): ``(s^2 / N) I + R V + V R^T`` with
    ``V = W^T diag(v) W`` the fluctuation's covariance and R its linear response
    (:func:`response_kernels`; ``(I - A)^-1`` for a constant Jacobian, METHOD.md section 8)."""
    d = W.shape[1]
    V = np.einsum("ni,nj,sn->sij", W, W, var, optimize=True)
    K = R @ V
    return (s**2 / N) * np.eye(d)[None] + K + np.swapaxes(K, -1, -2)


def mean_induced_diffusion(Q, s: float, N: int):
    """The mean of the points' Q (d, d) without the non-finite ones and the ``TRIM`` largest, and
    the mask of the points that entered it."""
    good = np.all(np.isfinite(Q.reshape(len(Q), -1)), axis=1)
    if not good.any():
        return (s**2 / N) * np.eye(Q.shape[-1]), good
    size = np.linalg.norm(np.where(good[:, None], Q.reshape(len(Q), -1), np.inf), axis=1)
    good &= size <= np.quantile(size[good], 1.0 - TRIM)
    return np.mean(Q[good], axis=0), good


def reduced_diffusion(S, Q):
    """``S - Q`` clipped to be positive semi-definite (stacks of (d, d)), and the fraction of S's
    Frobenius norm that the clipping removed (the part that cannot be matched; NaN when S = 0)."""
    w, V = np.linalg.eigh(0.5 * (S - Q + np.swapaxes(S - Q, -1, -2)))
    kept = (V * np.clip(w, 0.0, None)[..., None, :]) @ np.swapaxes(V, -1, -2)
    lost = (V * np.clip(-w, 0.0, None)[..., None, :]) @ np.swapaxes(V, -1, -2)
    norm = np.linalg.norm(S.reshape(len(S), -1), axis=1).sum()
    return kept, float(np.linalg.norm(lost.reshape(len(S), -1), axis=1).sum() / norm) if norm > 0 else float("nan")


def matched_loading(data, W, R, s: float, noise: str, ridge: float):
    """The latent noise loading that, with the noise the private noise induces through the readout
    W (N, d), gives the target's diffusion; returns (gamma0, Gamma, unmatched fraction, the mean
    induced Q (d, d), internal coordinates)."""
    Q = induced_diffusion(W, data.variances, R, s, data.n_neurons)
    Q_mean, good = mean_induced_diffusion(Q, s, data.n_neurons)
    if noise == "additive":
        S_red, lost = reduced_diffusion(data.S.mean(0)[None], Q_mean[None])
    else:
        S_red, lost = reduced_diffusion(data.S, np.where(good[:, None, None], Q, Q_mean))
    return (*diffusion_loading(data, S_red, ridge=ridge, noise=noise), lost, Q_mean)


def warn_if_unmatched(lost: float, N: int, s: float, induced=None):
    if np.isnan(lost):  # a target without diffusion: any induced noise is more than it has
        warnings.warn(f"private_noise={s:g} at n_neurons={N}: the target has no diffusion, but the private noise gives "
                      f"the latent state a diffusion of about {np.trace(induced) / len(induced):.3g} per coordinate "
                      f"(report.induced_diffusion); use more neurons or less private noise to reduce it",
                      PrivateNoiseWarning, stacklevel=3)
    elif lost > UNMATCHED_WARNING:
        warnings.warn(f"private_noise={s:g} at n_neurons={N}: {100 * lost:.0f}% of the target's diffusion cannot be "
                      f"matched (the latent noise the private noise induces exceeds it); use more neurons or less "
                      f"private noise", PrivateNoiseWarning, stacklevel=3)
