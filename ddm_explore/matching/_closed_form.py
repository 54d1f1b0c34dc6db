"""The closed form of drift–diffusion matching for low-rank connectivity (METHOD.md section 3).

The drift term of the loss is a ridge regression of ``f + z`` on the design ``[phi(x0 + M z), u, 1]``
(the network's own float32 rates as features), solved in float64 from one Gram product; the
diffusion is matched by a constant loading (additive noise) or by a regression of the symmetric
square root of ``g g^T`` on the rates (multiplicative noise).

For large networks (``data.streamed``: the rates are recomputed per block of points, never stored
whole) the Gram matrix is accumulated block by block (:func:`ddm_explore._threads.streamed_gram`),
in float64 or in float32 blocks summed in float64 followed by float64 iterative refinement of the
solution against the exact residual (a streamed pass over the points), and solved without copies
of it beyond the one factor.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg

try:  # JAX before enable_x64 moved to the top level
    from jax.experimental import enable_x64 as _experimental_x64
except ImportError:
    _experimental_x64 = None

from .._threads import gram, gram_of_rows, streamed_gram, symmetrise_upper

#: points per block of the streamed Gram matrix and of the streamed passes over the points
BLOCK_ROWS = 2048
#: points per block of the Gram matrix accumulated on the accelerator
DEVICE_BLOCK_ROWS = 8192


def _float64_on_device():
    """A context in which JAX computes in float64 (``jax.enable_x64``; older JAX versions have it as
    ``jax.experimental.enable_x64``)."""
    return jax.enable_x64(True) if hasattr(jax, "enable_x64") else _experimental_x64()


def ridge_from_gram(G, p, n, ridge, n_penalised, penalty=None):
    """Ridge solution from the Gram matrix ``G = [X Y]^T [X Y]`` of the design X (n, p) and the
    targets Y; returns (beta, mean squared residual summed over Y's columns). ``penalty`` (length
    n_penalised) adds to the ridge per coefficient. Normal equations in float64 by Cholesky: a
    float32 solve stalls at a few percent error on these ill-conditioned features."""
    A = G[:p, :p] / n
    rhs = G[:p, p:] / n
    A_ridge = A.copy()
    A_ridge[np.arange(n_penalised), np.arange(n_penalised)] += ridge if penalty is None else ridge + penalty
    try:
        beta = scipy.linalg.cho_solve(scipy.linalg.cho_factor(A_ridge, check_finite=False), rhs, check_finite=False)
    except np.linalg.LinAlgError:
        beta = np.linalg.lstsq(A_ridge, rhs, rcond=None)[0]
    # ||X beta - Y||^2 / n expanded in the Gram matrix (no second pass over the n rows)
    mse = np.trace(G[p:, p:]) / n - 2.0 * np.sum(beta * rhs) + np.sum(beta * (A @ beta))
    return beta, max(float(mse), 0.0)


def ridge_solve(X, Y, ridge, n_penalised):
    """Solve ``min ||X beta - Y||^2 / n + ridge ||beta[:n_penalised]||^2`` in float64."""
    p = X.shape[1]
    Y2 = np.asarray(Y, np.float64).reshape(X.shape[0], -1)
    beta = ridge_from_gram(gram(np.concatenate([X, Y2], axis=1)), p, X.shape[0], ridge, n_penalised)[0]
    return beta.reshape((p,) + np.shape(Y)[1:])


def psd_sqrt(S):
    """Symmetric PSD square roots of a stack of symmetric matrices (n, d, d); continuous even
    where S is singular, unlike the Cholesky factor."""
    w, V = np.linalg.eigh(0.5 * (S + np.swapaxes(S, -1, -2)))
    return (V * np.sqrt(np.clip(w, 0.0, None))[..., None, :]) @ np.swapaxes(V, -1, -2)


def design_gram(data, *, float32: bool = False):
    """The Gram matrix of ``[phi, u, 1, f + z]`` over the training points, built in row blocks:
    two blocks from the stored rates, or for streamed data (``data.streamed``) blocks of
    ``BLOCK_ROWS`` points whose rates are computed as they are used (``float32``: each block's
    product in float32, see :func:`ddm_explore._threads.streamed_gram`)."""
    n, N, k, d = data.n, data.n_neurons, data.input_dim, data.dim
    p = N + k + 1
    Y = data.F + data.z
    dtype = np.float32 if float32 else np.float64

    def rows(a, b):
        out = np.empty((b - a, p + d), dtype)
        out[:, :N] = data.rate_rows(a, b)
        out[:, N:N + k] = data.U[a:b]
        out[:, N + k] = 1.0
        out[:, p:] = Y[a:b]
        return out

    if data.streamed:
        return streamed_gram(n, rows, p + d, block_rows=BLOCK_ROWS, float32=float32)
    return gram_of_rows(n, rows)


@partial(jax.jit, donate_argnums=0)
def _device_gram_step(G, template, zi, extra):
    X = jnp.concatenate([template.manifold_rates(zi).astype(jnp.float64), extra], axis=1)
    return G + jnp.matmul(X.T, X, precision=jax.lax.Precision.HIGHEST)


def device_design_gram(data) -> np.ndarray:
    """The design Gram matrix of streamed data accumulated on JAX's default device (an
    accelerator) in float64: each block of ``DEVICE_BLOCK_ROWS`` points has its float32 rates made
    there and exactly widened to float64, so the result is the float64 Gram of the host path up
    to the order of summation. Returned to the host."""
    n = data.n
    extra = np.concatenate([data.U, np.ones((n, 1)), data.F + data.z], axis=1)
    width = data.n_neurons + extra.shape[1]
    with _float64_on_device():
        G = jnp.zeros((width, width), jnp.float64)
        for a in range(0, n, DEVICE_BLOCK_ROWS):
            b = min(a + DEVICE_BLOCK_ROWS, n)
            G = _device_gram_step(G, data.template, jnp.asarray(data.z[a:b], jnp.float32), jnp.asarray(extra[a:b]))
        return np.asarray(G)


def device_cholesky_solve(A: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``A^-1 rhs`` by a float64 Cholesky factorisation on JAX's default device (NaN where A is
    not positive definite, like LAPACK's failure)."""
    with _float64_on_device():
        factor = jax.scipy.linalg.cho_factor(jnp.asarray(A, jnp.float64))
        return np.asarray(jax.scipy.linalg.cho_solve(factor, jnp.asarray(rhs, jnp.float64)))


def _design_rows(data, a, b, rates):
    """Rows a..b of the drift design ``[phi, u, 1]`` in float64 (float32 rates are exact in it)."""
    N, k = data.n_neurons, data.input_dim
    X = np.empty((b - a, N + k + 1))
    X[:, :N] = rates
    X[:, N:N + k] = data.U[a:b]
    X[:, N + k] = 1.0
    return X


def _streamed_products(data, V):
    """``X^T Y / n`` and ``X^T X V / n`` (p, d each), exact in float64, from one streamed pass over
    the points (X the drift design, Y = f + z)."""
    Y = data.F + data.z
    XtY, XtXV = np.zeros(V.shape), np.zeros(V.shape)
    for a, b, rates in data.rate_blocks(BLOCK_ROWS):
        X = _design_rows(data, a, b, rates)
        XtY += X.T @ Y[a:b]
        XtXV += X.T @ (X @ V)
    return XtY / data.n, XtXV / data.n


def _streamed_mse(data, beta) -> float:
    """``||X beta - Y||^2 / n`` by a streamed pass."""
    Y = data.F + data.z
    total = 0.0
    for a, b, rates in data.rate_blocks(BLOCK_ROWS):
        e = _design_rows(data, a, b, rates) @ beta - Y[a:b]
        total += float(np.sum(e * e))
    return total / data.n


def _upper_handle(G):
    """G's memory as a Fortran-ordered array (G symmetric: the same matrix), for LAPACK in place."""
    return G if G.flags.f_contiguous else G.T


def _factor_in_place(G, p, diag):
    """Upper Cholesky factor R of the whole augmented Gram ``[X Y]^T [X Y] + diag(n diag, c)``,
    computed in G's own upper triangle (no copy of G): its leading block R11 is the factor of the
    normal equations' matrix and ``R12 = R11^-T X^T Y`` carries the solution. The trailing block
    gets ``c`` = its trace added so that it factors whatever the residual's size. Where the leading
    block is not positive definite in float64 (a float32-accumulated G: its rounding, ~1e-7 of the
    diagonal, exceeds a ridge of 1e-9), G's upper triangle is restored from the lower one (which
    LAPACK leaves alone) and shifted up by ``tau`` times the mean diagonal. Returns (the
    Fortran-ordered factor, the saved diagonal of G, the diagonal added to the leading block)."""
    H = _upper_handle(G)
    width = H.shape[0]
    saved = H.diagonal().copy()
    trailing = max(float(np.sum(saved[p:])), 1.0)
    for tau in (0.0, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4):
        added = diag + tau * np.sum(saved[:p]) / p
        idx = np.arange(width)
        H[idx, idx] = saved + np.r_[added, np.full(width - p, trailing)]
        _, info = scipy.linalg.lapack.dpotrf(H, lower=0, clean=0, overwrite_a=1)
        if info == 0:
            return H, saved, added
        symmetrise_upper(H, source="lower")
        if info > p:  # only the trailing block failed (it cannot, with its shift): no retry helps
            break
    H[np.arange(width), np.arange(width)] = saved
    raise np.linalg.LinAlgError("the design's Gram matrix is not positive definite even with a shift of 1e-4")


def _restore(H, saved):
    """G again from its factored form: the upper triangle from the lower one, the saved diagonal."""
    symmetrise_upper(H, source="lower")
    H[np.arange(H.shape[0]), np.arange(H.shape[0])] = saved


def _leading_solve(H, p, r, trans: int = 0):
    """``R11^-1 r`` (``trans=1``: ``R11^-T r``) with R11 the leading (p, p) block of the upper factor
    H: one triangular solve with the whole factor and a zero-padded right-hand side (for
    ``trans=0`` the padded rows solve to 0; for ``trans=1`` the leading rows do not depend on
    them), so no copy of the block is made."""
    pad = np.zeros((H.shape[0], r.shape[1]), order="F")
    pad[:p] = r
    x, info = scipy.linalg.lapack.dtrtrs(H, pad, lower=0, trans=trans)
    if info:
        raise np.linalg.LinAlgError("the design's Cholesky factor is singular")
    return x[:p]


def _factor_solve(H, p, r):
    """``R11^-1 R11^-T r``: the normal equations' solve with the factor H."""
    return _leading_solve(H, p, _leading_solve(H, p, r, trans=1))


def refined_ridge(G, data, ridge, penalty=None, *, refine: int = 0, device: bool = False):
    """The drift's ridge solution from the streamed Gram matrix G with no copy of G: the augmented
    Gram is factored in G's own memory (:func:`_factor_in_place`) and G is restored from its lower
    triangle afterwards. With ``refine`` > 0, that solve is the preconditioner of ``refine``
    conjugate gradient steps on the exact float64 normal equations (each a streamed pass over the
    points): the steps that take a float32-accumulated G to the float64 solution. Returns (beta,
    mean squared residual)."""
    n, N, k = data.n, data.n_neurons, data.input_dim
    p = N + k + 1
    diag = np.zeros(p)
    diag[:N] = ridge if penalty is None else ridge + penalty
    if device:  # the O(p^3) factorisation on the accelerator (a device Gram: no refinement needed)
        A = G[:p, :p] / n
        A[np.arange(p), np.arange(p)] += diag
        beta = device_cholesky_solve(A, G[:p, p:] / n)
        del A
        if np.all(np.isfinite(beta)):
            mse = np.trace(G[p:, p:]) / n - 2.0 * np.sum(beta * G[:p, p:]) / n + np.sum(beta * (G[:p, :p] @ beta)) / n
            return beta, max(float(mse), 0.0)
    H, saved, added = _factor_in_place(G, p, n * diag)
    try:
        R12 = H[:p, p:].copy()  # R11^-T X^T Y
        beta = _leading_solve(H, p, R12)  # R11^-1 R12
        if not refine:
            # ||X beta - Y||^2 = Y^T Y - R12^T R12 - beta^T diag beta (the penalised residual, from the factor)
            mse = (float(np.sum(saved[p:])) - float(np.sum(R12 * R12)) - float(np.sum(added[:, None] * beta * beta))) / n
            return beta, max(mse, 0.0)
        rhs, AV = _streamed_products(data, beta)
        r = rhs - AV - diag[:, None] * beta  # the exact residual of the normal equations
        z = n * _factor_solve(H, p, r)
        direction, rz = z.copy(), np.sum(r * z, 0)
        for _ in range(refine):  # preconditioned CG, one column of beta per latent coordinate
            q = _streamed_products(data, direction)[1] + diag[:, None] * direction
            alpha = rz / np.where(np.sum(direction * q, 0) > 0, np.sum(direction * q, 0), np.inf)
            beta = beta + alpha * direction
            r = r - alpha * q
            z = n * _factor_solve(H, p, r)
            rz_new = np.sum(r * z, 0)
            direction = z + np.where(rz > 0, rz_new / np.where(rz > 0, rz, 1.0), 0.0) * direction
            rz = rz_new
        return beta, _streamed_mse(data, beta)
    finally:
        _restore(H, saved)


def closed_form(data, G, *, ridge: float, noise: str, refine: int = 0, device: bool = False) -> dict:
    """Readout, latent bias and input weights, and the noise loading that minimise the matching
    loss for a low-rank network with the embedding of ``data``; internal coordinates. With
    private noise (``data.variances``), the rates are the smoothed ones and their variance is a
    penalty on the readout (weighted by ``data.variance_penalty``; 1: the expected loss over the
    off-manifold fluctuation). Streamed data is solved by :func:`refined_ridge` (``refine`` steps
    of refinement: for a G accumulated in float32; ``device``: the factorisation on the accelerator)."""
    n, N, k = data.n, data.n_neurons, data.input_dim
    penalty = data.readout_penalty()
    if data.streamed:
        beta, mse_f = refined_ridge(G, data, ridge, penalty, refine=refine, device=device)
    else:
        beta, mse_f = ridge_from_gram(G, N + k + 1, n, ridge, N, penalty)
    out = dict(W=beta[:N], B_lat=beta[N:N + k].T, b_lat=beta[N + k], mse_f=mse_f)
    out["gamma0"], out["Gamma"] = diffusion_loading(data, data.S, ridge=ridge, noise=noise, G=G)
    return out


def diffusion_loading(data, S, *, ridge: float, noise: str, G=None):
    """The latent loading (gamma0, Gamma) whose ``G G^T`` matches S (n, d, d) at the training
    points: its mean for additive noise; for multiplicative noise a regression of the symmetric
    square root of S on the rates (``G(r) = gamma0 + Gamma r``); for streamed data from the rates'
    block of the design Gram matrix ``G`` and a streamed pass for the cross products."""
    if noise == "additive":
        return psd_sqrt(S.mean(0)[None])[0], None
    n, N, d = data.n, data.n_neurons, data.dim
    R = psd_sqrt(S)  # (n, d, d), R R^T = S
    if data.streamed:
        coef = _streamed_loading_regression(data, G, R.reshape(n, d * d), ridge)
    else:
        Xn = np.concatenate([data.rates.astype(np.float64), np.ones((n, 1))], axis=1)
        coef = ridge_solve(Xn, R.reshape(n, d * d), ridge, N)
    return coef[N].reshape(d, d), coef[:N].T.reshape(d, d, N)


def _streamed_loading_regression(data, G, Rf, ridge):
    """Ridge coefficients (N + 1, d^2) of Rf (n, d^2) on ``[phi, 1]``: ``[phi, 1]^T [phi, 1]`` is
    a block of the design Gram G, the cross products come from one streamed pass."""
    if G is None:
        raise ValueError("the multiplicative loading of streamed data needs the design Gram matrix `G`")
    n, N, k = data.n, data.n_neurons, data.input_dim
    idx = np.r_[0:N, N + k]
    A = G[:N + 1, :N + 1] / n if k == 0 else G[np.ix_(idx, idx)] / n
    A[np.arange(N), np.arange(N)] += ridge
    rhs = np.zeros((N + 1, Rf.shape[1]))
    for a, b, rates in data.rate_blocks(BLOCK_ROWS):
        rhs[:N] += rates.astype(np.float64).T @ Rf[a:b]
        rhs[N] += Rf[a:b].sum(0)
    try:
        return scipy.linalg.cho_solve(scipy.linalg.cho_factor(A.T, overwrite_a=True, check_finite=False), rhs / n,
                                      check_finite=False)
    except np.linalg.LinAlgError:
        A = G[np.ix_(idx, idx)] / n
        A[np.arange(N), np.arange(N)] += ridge
        return np.linalg.lstsq(A, rhs / n, rcond=None)[0]


def closed_form_loss(data, sol, lambda_D: float) -> float:
    """The matching loss the closed form minimised, on the training points (drift + diffusion)."""
    loss_f = sol["mse_f"] / (np.mean(np.sum(data.F**2, -1)) or 1.0)
    s_D2 = np.mean(np.sum(data.S**2, (-1, -2)))
    loss_D = _diffusion_residual(data, sol["gamma0"], sol["Gamma"]) / s_D2 if s_D2 > 0 else 0.0
    return float(loss_f + lambda_D * loss_D)


def _diffusion_residual(data, g0, Gam) -> float:
    """``mean ||G(r) G(r)^T - S||_F^2`` over the training points (rates in blocks when streamed)."""
    if not data.streamed:
        Gs = g0 if Gam is None else g0 + np.einsum("ijn,sn->sij", Gam, data.rates)
        res = Gs @ np.swapaxes(Gs, -1, -2) - data.S
        return np.mean(np.sum(res**2, (-1, -2)))
    total = 0.0
    for a, b, rates in data.rate_blocks(BLOCK_ROWS):
        Gs = g0 if Gam is None else g0 + np.einsum("ijn,sn->sij", Gam, rates)
        res = Gs @ np.swapaxes(Gs, -1, -2) - data.S[a:b]
        total += float(np.sum(res**2))
    return total / data.n
