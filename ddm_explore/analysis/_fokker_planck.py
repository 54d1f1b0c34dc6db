"""Finite-volume Fokker–Planck operator on a box with zero-flux walls (METHOD.md section 5d).

Cells of a uniform grid (d <= 2). The flux along dimension k is written, with q = D_kk p,

    J_k = f_k p - sum_l d_l (D_kl p) = a_k p - d_k (D_kk p) - sum_{l != k} D_kl d_l p,
    a_k = f_k - sum_{l != k} d_l D_kl,

and its drift–diffusion part ``(a_k / D_kk) q - d_k q`` is discretised by the Scharfetter–Gummel
(exponential fitting) flux ``(B(-Pe) q_L - B(Pe) q_R) / h``, ``Pe = a_k h / D_kk`` at the face,
``B(x) = x / (e^x - 1)``: exact for constant coefficients in one dimension, positive and stable
for any cell Péclet number, and correct for a D_kk that varies in space. Cross-diffusion
terms (l != k) use central differences of p averaged onto the face. Fluxes through the box's
walls are zero, so the operator conserves mass and the stationary density is its null vector.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spl


def bernoulli(x) -> np.ndarray:
    """B(x) = x / (e^x - 1), with B(0) = 1, accurate near 0 and for large |x|."""
    x = np.asarray(x, np.float64)
    out = np.empty_like(x)
    small = np.abs(x) < 1e-6
    out[small] = 1.0 - x[small] / 2.0
    xs = x[~small]
    out[~small] = xs / np.expm1(xs)
    return out


def _faces(shape, k):
    """Index slices of the left and right cells of the interior faces along axis k."""
    left = [slice(None)] * len(shape)
    right = [slice(None)] * len(shape)
    left[k], right[k] = slice(0, shape[k] - 1), slice(1, shape[k])
    return tuple(left), tuple(right)


def _cell_gradient(shape, h, l) -> sp.csr_matrix:
    """Sparse d_l at cell centres: central differences inside, one-sided at the walls."""
    n = shape[l]
    main = sp.diags([np.r_[-1.0, np.zeros(n - 2), 1.0], np.r_[1.0, 0.5 * np.ones(n - 2)], np.r_[-0.5 * np.ones(n - 2), -1.0]],
                    [0, 1, -1], shape=(n, n)) / h[l]
    ops = [sp.identity(m, format="csr") for m in shape]
    ops[l] = main
    out = ops[0]
    for o in ops[1:]:
        out = sp.kron(out, o, format="csr")
    return out


def face_points(axes, k) -> np.ndarray:
    """Points (n_faces..., d) at the interior faces along axis k."""
    Z = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
    left, right = _faces(Z.shape[:-1], k)
    return 0.5 * (Z[left] + Z[right])


def flux_operators(axes, D_cell, f_face, D_face, dD_face):
    """Sparse maps from cell densities p to the interior face fluxes J_k, one per dimension.

    ``D_cell`` (cells..., d, d); for each k, ``f_face[k]`` (faces..., d), ``D_face[k]``
    (faces..., d, d) and ``dD_face[k]`` (faces..., d, d, d) with dD[..., a, b, m] = d_m D_ab.
    """
    shape = tuple(len(a) for a in axes)
    d = len(shape)
    h = [a[1] - a[0] for a in axes]
    n = int(np.prod(shape))
    idx = np.arange(n).reshape(shape)
    grads = [_cell_gradient(shape, h, l) for l in range(d)] if d > 1 else []
    ops = []
    for k in range(d):
        left, right = _faces(shape, k)
        iL, iR = idx[left].ravel(), idx[right].ravel()
        m = iL.size
        Dkk_face = D_face[k][..., k, k].ravel()
        div_off = np.zeros(m)
        for l in range(d):
            if l != k:
                div_off += dD_face[k][..., k, l, l].ravel()
        a = f_face[k][..., k].ravel() - div_off
        pe = a * h[k] / Dkk_face
        cL = bernoulli(-pe) * D_cell[left][..., k, k].ravel() / h[k]
        cR = -bernoulli(pe) * D_cell[right][..., k, k].ravel() / h[k]
        rows = np.r_[np.arange(m), np.arange(m)]
        F = sp.csr_matrix((np.r_[cL, cR], (rows, np.r_[iL, iR])), shape=(m, n))
        for l in range(d):
            if l == k:
                continue
            Dkl = D_face[k][..., k, l].ravel()
            if not np.any(Dkl):
                continue
            # average of d_l p over the two cells of the face
            avg = sp.csr_matrix((np.full(2 * m, 0.5), (rows, np.r_[iL, iR])), shape=(m, n))
            F = F - sp.diags(Dkl) @ (avg @ grads[l])
        ops.append(F.tocsr())
    return ops


def divergence_operators(axes):
    """Sparse maps from interior face fluxes along k to cells: -(J_{+} - J_{-}) / h (walls carry none)."""
    shape = tuple(len(a) for a in axes)
    h = [a[1] - a[0] for a in axes]
    n = int(np.prod(shape))
    idx = np.arange(n).reshape(shape)
    out = []
    for k in range(len(shape)):
        left, right = _faces(shape, k)
        iL, iR = idx[left].ravel(), idx[right].ravel()
        m = iL.size
        cols = np.r_[np.arange(m), np.arange(m)]
        out.append(sp.csr_matrix((np.r_[-np.ones(m), np.ones(m)] / h[k], (np.r_[iL, iR], cols)), shape=(n, m)))
    return out


def stationary_density(L, cell_volume: float) -> np.ndarray:
    """Null vector of the generator L (columns sum to zero), normalised to sum(p) * volume = 1.

    One equation of ``L p = 0`` is redundant (mass conservation), so it is replaced by the
    normalisation and the system solved by sparse LU.
    """
    n = L.shape[0]
    r = n // 2
    A = L.tolil(copy=True)
    A[r, :] = np.full(n, cell_volume)
    rhs = np.zeros(n)
    rhs[r] = 1.0
    p = spl.spsolve(A.tocsc(), rhs)
    if not np.all(np.isfinite(p)):
        raise FloatingPointError("the Fokker–Planck solve failed (singular operator): the grid may split into "
                                 "disconnected parts; check that the diffusion is positive definite on the region")
    return p


def centre_current(axes, face_flux) -> np.ndarray:
    """Current at cell centres (cells..., d): the mean of the two faces of each cell along k
    (wall faces carry zero flux)."""
    shape = tuple(len(a) for a in axes)
    out = np.zeros(shape + (len(shape),))
    for k, J in enumerate(face_flux):
        fshape = list(shape)
        fshape[k] -= 1
        J = J.reshape(fshape)
        pad = [(0, 0)] * len(shape)
        pad[k] = (1, 1)
        Jp = np.pad(J, pad)
        left, right = _faces(Jp.shape, k)
        out[..., k] = 0.5 * (Jp[left] + Jp[right])
    return out
