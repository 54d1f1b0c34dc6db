"""How the embedding's rows are drawn: which latent coordinates each neuron sees.

Every option draws ``M`` (N, d) with ``M^T M = N I`` exactly and an offset ``x0`` with
``M^T x0 = 0`` (the network's readout ``z = M^T x / N`` relies on both), and differs only in the
rows: ``DenseRows`` (the default: isotropic Gaussian directions, ``make_embedding``, unchanged) or
``SparseRows(k)`` (each neuron sees k of the d coordinates). Measured for d = 6-20 (README,
"Higher-dimensional latents", ``benchmarks/latent_dim_table.py``): random supports do no better
than dense rows at equal latent gain; supports that follow a ring-coupled target's neighbourhoods
(``pattern="cyclic"``, Lorenz-96) give 3x (d = 10) to 40x (d = 20) lower held-out drift errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import numpy as np
from scipy.linalg import hadamard

from .._checks import _show, check_choice, check_int
from ._network import make_embedding

#: where a sparse neuron's k coordinates come from: anywhere, or a run of k neighbours on a ring
PATTERNS = ("random", "cyclic")


@dataclass(frozen=True)
class DenseRows:
    """Dense rows: M Gaussian with its columns orthonormalised and scaled to ``M^T M = N I``, so
    every neuron sees every latent coordinate along an isotropic random direction (the default
    embedding, bit for bit ``make_embedding``).

    Examples
    --------
    >>> import jax
    >>> M, x0 = DenseRows().draw(jax.random.key(0), 64, 3, offset_scale=2.5)
    >>> M.shape, bool(abs(M.T @ M / 64 - np.eye(3)).max() < 1e-12)
    ((64, 3), True)
    """

    def draw(self, key, n_neurons: int, dim: int, *, offset_scale: float):
        return make_embedding(key, n_neurons, dim, offset_scale=offset_scale)

    def describe(self) -> str:
        return "dense"


@dataclass(frozen=True)
class SparseRows:
    """Sparse rows: each neuron sees ``k`` of the d latent coordinates (its other entries are 0).

    Neurons come in groups of g (g = 1 for k = 1, 2 for k = 2, else the smallest power of two
    >= k) that share a support S of k coordinates and the magnitudes of their weights,
    ``|m_ia| = a_a`` with a_a the absolute values of k standard normals; their signs are the
    rows of a g x g Sylvester-Hadamard matrix restricted to k columns, whose columns are
    orthogonal, so each group contributes nothing off the diagonal of ``M^T M``. The columns are
    then scaled to norm sqrt(N): ``M^T M = N I`` holds exactly and every row keeps its support.
    ``N mod g`` leftover neurons see one coordinate each. Supports are drawn uniformly among the
    k-subsets (``pattern="random"``) or as runs of k neighbours on a ring of the coordinates
    (``pattern="cyclic"``: ``(s, s+1, ..., s+k-1) mod d``, for ring-coupled systems such as
    Lorenz-96), with start coordinates cycled so every coordinate is covered equally.
    x0 is uniform on ``[-offset_scale, offset_scale]`` projected off span(M), as for dense rows.

    Parameters
    ----------
    k : int
        Coordinates per neuron, 1 <= k <= d (checked when drawn, against the target's d).
    pattern : {"random", "cyclic"}

    Examples
    --------
    >>> import jax
    >>> M, x0 = SparseRows(k=2).draw(jax.random.key(0), 64, 10, offset_scale=2.5)
    >>> sorted(set((M != 0).sum(axis=1).tolist())), bool(abs(M.T @ M / 64 - np.eye(10)).max() < 1e-12)
    ([2], True)
    """

    k: int = 2
    pattern: str = "random"

    def __post_init__(self):
        object.__setattr__(self, "k", check_int("k", self.k))
        check_choice("pattern", self.pattern, PATTERNS)

    @property
    def group_size(self) -> int:
        """Neurons per support (the Hadamard order that makes k sign columns orthogonal)."""
        return 1 if self.k == 1 else 1 << (self.k - 1).bit_length()

    def draw(self, key, n_neurons: int, dim: int, *, offset_scale: float):
        """``(M, x0)`` in float64 for N = ``n_neurons`` neurons and d = ``dim`` coordinates."""
        if self.k > dim:
            raise ValueError(f"`k` of SparseRows must be <= the latent dimension {dim}, got {self.k}")
        k_support, k_mag, k_perm, k_x = jax.random.split(key, 4)
        g, n_groups = self.group_size, n_neurons // self.group_size
        supports = self._supports(k_support, n_groups, dim)
        mags = np.abs(np.asarray(jax.random.normal(k_mag, (n_groups, self.k)), np.float64))
        signs = hadamard(g).astype(np.float64)[:, : self.k]  # (g, k), orthogonal columns
        M = np.zeros((n_neurons, dim))
        rows = np.arange(n_groups * g).reshape(n_groups, g)
        M[rows[:, :, None], supports[:, None, :]] = mags[:, None, :] * signs[None, :, :]
        rest = np.arange(n_groups * g, n_neurons)  # leftovers: one coordinate each, cycled
        M[rest, rest % dim] = 1.0
        empty = np.flatnonzero(np.sum(M**2, axis=0) == 0)
        if empty.size:
            raise ValueError(f"`n_neurons` = {n_neurons} leaves latent coordinates {empty.tolist()} unseen by SparseRows(k={self.k}): "
                             f"use at least {g * dim} neurons")
        # a random order of the neurons, so neuron index carries no structure
        M = M[np.asarray(jax.random.permutation(k_perm, n_neurons))]
        M = M * np.sqrt(n_neurons / np.sum(M**2, axis=0))
        x0 = np.asarray(jax.random.uniform(k_x, (n_neurons,), minval=-offset_scale, maxval=offset_scale), np.float64)
        x0 = x0 - M @ (M.T @ x0) / n_neurons
        return M, x0

    def _supports(self, key, n_groups: int, dim: int) -> np.ndarray:
        """(n_groups, k) coordinate indices; the first coordinate of each support cycles through
        0..d-1 (a random rotation of that cycle), so every coordinate is used."""
        k_start, k_rest = jax.random.split(key)
        first = (np.arange(n_groups) + int(jax.random.randint(k_start, (), 0, dim))) % dim
        if self.pattern == "cyclic":
            return (first[:, None] + np.arange(self.k)[None, :]) % dim
        # the other k - 1 coordinates: a uniform (k-1)-subset of the remaining d - 1
        scores = np.asarray(jax.random.uniform(k_rest, (n_groups, dim)), np.float64)
        scores[np.arange(n_groups), first] = np.inf
        others = np.argsort(scores, axis=1)[:, : self.k - 1]
        return np.concatenate([first[:, None], others], axis=1)

    def describe(self) -> str:
        return f"sparse k={self.k}" + ("" if self.pattern == "random" else f" ({self.pattern})")


def check_rows(rows):
    """The ``rows`` option of ``ddm.Embedding``: a DenseRows or SparseRows."""
    if not isinstance(rows, (DenseRows, SparseRows)):
        raise ValueError(f"`rows` must be ddm.DenseRows() or ddm.SparseRows(k=...), got {_show(rows)}")
    return rows


def row_supports(M) -> list:
    """The latent coordinates each neuron sees: for each row of M (N, d), the indices of its nonzero
    entries (a list of N integer arrays)."""
    M = np.asarray(M)
    return [np.flatnonzero(row) for row in M]
