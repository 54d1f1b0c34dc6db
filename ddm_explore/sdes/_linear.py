"""Ornstein–Uhlenbeck processes, including the rotational (nonequilibrium) family."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import scipy.linalg

from .._checks import as_array, check_positive
from ._sde import SDE


def ou_stationary_covariance(A, g) -> np.ndarray:
    """Stationary covariance S of ``dz = -A z dt + g dW``: the solution of A S + S A^T = g g^T.

    Examples
    --------
    >>> ou_stationary_covariance([[1.0, -2.0], [2.0, 1.0]], 0.5 * np.eye(2)).round(4).tolist()
    [[0.125, 0.0], [0.0, 0.125]]
    """
    A = as_array("A", A, ndim=2)
    g = as_array("g", g, ndim=2)
    if np.any(np.linalg.eigvals(A).real <= 0):
        raise ValueError(f"`A` must have eigenvalues with positive real part for a stationary OU process, got {np.linalg.eigvals(A).tolist()}")
    return scipy.linalg.solve_continuous_lyapunov(A, g @ g.T)


def ornstein_uhlenbeck(A=None, g=None, *, w: float = 0.0, s: float = 1.0, dim: int = 2, region=None) -> SDE:
    """Ornstein–Uhlenbeck process ``dz = -A z dt + g dW``.

    With ``A`` and ``g`` omitted it is the rotational family of METHOD.md section 6,
    ``A = [[1, -w], [w, 1]]``, ``g = s I`` (d = 2), whose stationary covariance is
    ``(s^2 / 2) I`` and whose entropy production rate is ``2 w^2``: reversible at ``w = 0``.

    Parameters
    ----------
    A : (d, d) array, optional
        Drift matrix, eigenvalues with positive real part.
    g : (d, m) array, optional
        Constant noise loading; ``D = g g^T / 2``.
    w : float
        Rotation rate of the default family.
    s : float
        Noise amplitude of the default family (``g = s I``).
    dim : int
        d for the default family when ``A`` is omitted: 2 uses the rotation, other values give
        ``A = I``.
    region : (low, high), optional
        Default: +-4 stationary standard deviations around 0.

    Examples
    --------
    >>> sde = ornstein_uhlenbeck(w=1.0, s=0.5)
    >>> sde.latent_drift(jnp.array([1.0, 0.0])).tolist()
    [-1.0, -1.0]
    """
    if A is None:
        w = float(as_array("w", w, ndim=0))
        s = check_positive("s", s, allow_zero=True)
        A = np.array([[1.0, -w], [w, 1.0]]) if dim == 2 else np.eye(dim)
        if g is None:
            g = s * np.eye(A.shape[0])
        params = dict(w=w, s=s) if dim == 2 else dict(s=s)
    else:
        params = {}
    A = as_array("A", A, ndim=2)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"`A` must be square, got shape {A.shape}")
    d = A.shape[0]
    g = as_array("g", np.eye(d) if g is None else g, ndim=2)
    if g.shape[0] != d:
        raise ValueError(f"`g` must have {d} rows to match `A`, got shape {g.shape}")
    if region is None:
        S = ou_stationary_covariance(A, g)
        half = 4.0 * np.sqrt(np.maximum(np.diag(S), 1e-6))
        region = (-half, half)
    params.update(A=A.tolist(), g=g.tolist())
    return SDE(drift=_linear_drift, diffusion=g, dim=d, noise_dim=g.shape[1],
               name="Ornstein–Uhlenbeck", region=region, params=params, theta=dict(A=A))


def _linear_drift(z, u, p):
    return -p["A"] @ z
