"""The increment estimator of drift and diffusion from trajectories observed every Delta (METHOD.md
section 9), on the network's own features, with its O(Delta) bias removed by the Itô–Taylor
expansion of the conditional moments.

For a Markov process with generator L, ``E[z_{k+j} - z_k | z_k] = sum_n (j Delta)^n / n! L^n id``.
The plain (Euler) target ``(z_{k+1} - z_k) / Delta`` therefore has mean ``f + (Delta / 2) L f + ...``
(``L f = (grad f) f + D : grad grad f``). The target ``sum_j c_j (z_{k+j} - z_k) / Delta`` with
``sum_j c_j j^n = [n == 1]`` for n = 1..q (the one-sided finite-difference weights; q = 2:
``(-z_{k+2} + 4 z_{k+1} - 3 z_k) / (2 Delta)``) has mean ``f + O(Delta^q)``. Its features are
evaluated at z_k only, so the noise in the later points is target noise, never noise in the
variables (the trap of a trapezoidal regression), and since the windows overlap and
``sum_j j c_j = 1`` its noise telescopes: the estimate's variance is that of the Euler estimate to
leading order. The diffusion follows the same way: the conditional covariance of the j-step
increment over ``j Delta`` is ``2 D + O(j Delta)``, and the Richardson weights a_j
(``sum_j a_j j^n = [n == 0]`` for n = 0..q-1) combine the lags to ``2 D + O(Delta^q)``. Each lag's
residual is taken about that lag's own regression (its conditional mean with every Itô–Taylor
term), not about ``j Delta f``: the squared mean ``(j Delta)^3 |L f|^2 / 4`` would otherwise enter,
which at Delta = 0.05 on Van der Pol is several times 2 D.
"""

from __future__ import annotations

import math

import numpy as np

from .._threads import gram_of_rows
from ._closed_form import ridge_from_gram

#: rows of one float64 Gram block (bounds the memory of the design when it is not aggregated)
GRAM_CHUNK = 1 << 16


def drift_weights(order: int) -> np.ndarray:
    """c_j (j = 1..order): ``sum_j c_j (z_{k+j} - z_k) / Delta`` estimates f to O(Delta^order).

    >>> drift_weights(2).tolist()
    [2.0, -0.5]
    """
    j = np.arange(1, order + 1, dtype=np.float64)
    V = j[None, :] ** np.arange(1, order + 1)[:, None]
    return np.linalg.solve(V, np.eye(order)[0])


def diffusion_weights(order: int) -> np.ndarray:
    """a_j (j = 1..order): ``sum_j a_j C_j / (j Delta)`` estimates g g^T to O(Delta^order), C_j the
    covariance of the j-step increment.

    >>> diffusion_weights(2).tolist()
    [2.0, -1.0]
    """
    j = np.arange(1, order + 1, dtype=np.float64)
    V = j[None, :] ** np.arange(order)[:, None]
    return np.linalg.solve(V, np.eye(order)[0])


def noise_factor(order: int) -> float:
    """The drift target's noise variance in units of ``tr(g g^T) / Delta``: ``c^T min(i, j) c``
    (1 for Euler, 2.5 for order 2); the held-out error of a perfect drift."""
    c = drift_weights(order)
    j = np.arange(1, order + 1)
    return float(c @ np.minimum.outer(j, j) @ c)


def lag_combinations(order: int, d: int):
    """How the drift and the Euler drift combine the regressions of the lagged increments: with
    target columns ``[(z_{k+1} - z_k) / Delta, ..., (z_{k+q} - z_k) / Delta, z]`` ((q + 1) d of
    them), the matrices C (t, d) that give ``sum_j c_j (z_{k+j} - z_k) / Delta + z`` (the drift's
    regression of ``f + z``) and ``(z_{k+1} - z_k) / Delta + z`` (Euler's)."""
    eye = np.eye(d)
    drift = np.concatenate([c * eye for c in drift_weights(order)] + [eye])
    euler = np.concatenate([eye] + [0 * eye] * (order - 1) + [eye])
    return drift, euler


def lag_targets(increments, zi, delta: float, order: int) -> np.ndarray:
    """The target columns of :func:`lag_combinations` (n, (q + 1) d) from increments (n, >= q, d)
    and the design positions zi (n, d)."""
    return np.concatenate([increments[:, j] / delta for j in range(order)] + [zi], axis=1)


def diffusion_targets(increments, means, delta: float, order: int) -> np.ndarray:
    """``sum_j a_j r_j r_j^T / (j Delta)`` (n, d, d) with ``r_j = z_{k+j} - z_k - m_j(z_k)``, m_j (n, q, d)
    the regression of the j-step increment on the features (its conditional mean, every Itô–Taylor
    term included, so no squared mean enters); its expectation is ``g g^T + O(Delta^order)``."""
    a = diffusion_weights(order)
    out = 0.0
    for j in range(1, order + 1):
        r = increments[:, j - 1] - means[:, j - 1]
        out = out + (a[j - 1] / (j * delta)) * np.einsum("ni,nj->nij", r, r)
    return out


def aggregate_rows(zi, bins, extent: float):
    """Windows that start in one cell of a grid of ``bins`` cells per dimension over
    ``[-extent, extent]^d`` (internal coordinates) share one design row, at the mean of their
    starts: the Gram matrix then costs the occupied cells, not the windows. Returns ``row`` (n,),
    the row of each window, ``positions`` (n_rows, d) and ``counts`` (n_rows,). Without ``bins``,
    when ``bins^d`` overflows, or when the cells would not halve the rows, every window is a row."""
    n, d = zi.shape
    identity = (np.arange(n), zi, np.ones(n))
    if bins is None or d * math.log2(bins) > 62:
        return identity
    cells = np.clip(np.floor((zi + extent) / (2 * extent) * bins), 0, bins - 1).astype(np.int64)
    codes = cells @ (np.int64(bins) ** np.arange(d, dtype=np.int64))
    uniq, row = np.unique(codes, return_inverse=True)
    if 2 * len(uniq) > n:
        return identity
    counts = np.bincount(row, minlength=len(uniq)).astype(np.float64)
    positions = np.stack([np.bincount(row, zi[:, i], len(uniq)) for i in range(d)], axis=1) / counts[:, None]
    return row, positions, counts


def row_sums(row, n_rows: int, Y, mask=None) -> np.ndarray:
    """Per-row sums (n_rows, t) of the targets Y (n, t) of the windows in ``mask``."""
    if mask is not None:
        row, Y = row[mask], Y[mask]
    return np.stack([np.bincount(row, Y[:, i], n_rows) for i in range(Y.shape[1])], axis=1)


def rates_product(rates, B, *, transpose: bool = False) -> np.ndarray:
    """``rates @ B`` (or ``rates^T @ B``) in float64 for float32 rates (n, N), in row chunks (no
    float64 copy of the whole design)."""
    chunks = range(0, rates.shape[0], GRAM_CHUNK)
    if transpose:
        return sum((rates[a:a + GRAM_CHUNK].astype(np.float64).T @ B[a:a + GRAM_CHUNK] for a in chunks),
                   np.zeros((rates.shape[1], B.shape[1])))
    return np.concatenate([rates[a:a + GRAM_CHUNK].astype(np.float64) @ B for a in chunks]) if len(chunks) else \
        np.zeros((0, B.shape[1]))


def weighted_gram(rates, weights) -> np.ndarray:
    """``X^T diag(w) X`` of the design ``X = [rates, 1]`` (float64), over the rows with w > 0, in
    chunks of GRAM_CHUNK rows (each split over the Gram's worker threads)."""
    keep = np.flatnonzero(weights > 0)
    p = rates.shape[1] + 1
    out = np.zeros((p, p))
    for a in range(0, len(keep), GRAM_CHUNK):
        idx = keep[a:a + GRAM_CHUNK]
        sw = np.sqrt(weights[idx])

        def rows(lo, hi, idx=idx, sw=sw):
            block = np.empty((hi - lo, p))
            block[:, :-1] = rates[idx[lo:hi]]
            block[:, -1] = 1.0
            return block * sw[lo:hi, None]

        out += gram_of_rows(len(idx), rows)
    return out


class Moments:
    """The sufficient statistics of a weighted regression on ``X = [rates, 1]``: ``XX`` (p, p),
    ``XY`` (p, t), ``YY`` (t, t) and the number of windows n; ``+`` and ``-`` combine splits."""

    def __init__(self, XX, XY, YY, n):
        self.XX, self.XY, self.YY, self.n = XX, XY, YY, float(n)

    @classmethod
    def of(cls, rates, XX, row, Y, mask=None):
        """The moments of the windows in ``mask`` with targets Y (n, t), given their Gram XX."""
        sums = row_sums(row, rates.shape[0], Y, mask)
        Ym = Y if mask is None else Y[mask]
        XY = np.concatenate([rates_product(rates, sums, transpose=True), sums.sum(0)[None]], axis=0)
        return cls(XX, XY, Ym.T @ Ym, len(Ym))

    def __sub__(self, other):
        return Moments(self.XX - other.XX, self.XY - other.XY, self.YY - other.YY, self.n - other.n)

    def combine(self, C):
        """The moments of the targets ``Y @ C``."""
        return Moments(self.XX, self.XY @ C, C.T @ self.YY @ C, self.n)

    def gram(self) -> np.ndarray:
        """``[X Y]^T [X Y]``, the form :func:`ridge_from_gram` solves from."""
        return np.block([[self.XX, self.XY], [self.XY.T, self.YY]])

    def solve(self, ridge: float) -> np.ndarray:
        """Ridge coefficients (p, t), the neuron columns penalised (the bias is not)."""
        p = self.XX.shape[0]
        return ridge_from_gram(self.gram(), p, self.n, ridge, p - 1)[0]

    def column_errors(self, beta) -> np.ndarray:
        """Mean squared error per target column of the coefficients beta on these windows."""
        n = max(self.n, 1.0)
        return (np.diag(self.YY) - 2 * np.sum(beta * self.XY, 0) + np.sum(beta * (self.XX @ beta), 0)) / n


def held_out_path(train: Moments, test: Moments, ridges, column_weights) -> np.ndarray:
    """Held-out mean squared error (weighted sum over columns) of the ridge fit on ``train`` for
    each ridge."""
    return np.array([float(test.column_errors(train.solve(r)) @ column_weights) for r in ridges])


def effective_parameters(moments: Moments, ridge: float) -> float:
    """``tr((A + ridge P)^-1 A)``, A the design's second-moment matrix and P the penalised
    coefficients: the number of parameters the fit spends on the noise."""
    p = moments.XX.shape[0]
    A = moments.XX / max(moments.n, 1.0)
    A_r = A.copy()
    A_r[np.arange(p - 1), np.arange(p - 1)] += ridge
    try:
        return float(np.trace(np.linalg.solve(A_r, A)))
    except np.linalg.LinAlgError:
        return float(p)
