"""The closed form of drift–diffusion matching for low-rank connectivity (METHOD.md section 3).

The drift term of the loss is a ridge regression of ``f + z`` on the design ``[phi(x0 + M z), u, 1]``
(the network's own float32 rates as features), solved in float64 from one Gram product; the
diffusion is matched by a constant loading (additive noise) or by a regression of the symmetric
square root of ``g g^T`` on the rates (multiplicative noise).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from .._threads import gram, gram_of_rows


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


def design_gram(data):
    """The Gram matrix of ``[phi, u, 1, f + z]`` over the training points, built in row blocks."""
    n, N, k, d = data.n, data.n_neurons, data.input_dim, data.dim
    p = N + k + 1
    Y = data.F + data.z

    def rows(a, b):
        out = np.empty((b - a, p + d))
        out[:, :N] = data.rates[a:b]
        out[:, N:N + k] = data.U[a:b]
        out[:, N + k] = 1.0
        out[:, p:] = Y[a:b]
        return out

    return gram_of_rows(n, rows)


def closed_form(data, G, *, ridge: float, noise: str) -> dict:
    """Readout, latent bias and input weights, and the noise loading that minimise the matching
    loss for a low-rank network with the embedding of ``data``; internal coordinates. With
    private noise (``data.variances``), the rates are the smoothed ones and their variance is a
    penalty on the readout (weighted by ``data.variance_penalty``; 1: the expected loss over the
    off-manifold fluctuation)."""
    n, N, k = data.n, data.n_neurons, data.input_dim
    penalty = data.readout_penalty()
    beta, mse_f = ridge_from_gram(G, N + k + 1, n, ridge, N, penalty)
    out = dict(W=beta[:N], B_lat=beta[N:N + k].T, b_lat=beta[N + k], mse_f=mse_f)
    out["gamma0"], out["Gamma"] = diffusion_loading(data, data.S, ridge=ridge, noise=noise)
    return out


def diffusion_loading(data, S, *, ridge: float, noise: str):
    """The latent loading (gamma0, Gamma) whose ``G G^T`` matches S (n, d, d) at the training
    points: its mean for additive noise; for multiplicative noise a regression of the symmetric
    square root of S on the rates (``G(r) = gamma0 + Gamma r``)."""
    if noise == "additive":
        return psd_sqrt(S.mean(0)[None])[0], None
    n, N, d = data.n, data.n_neurons, data.dim
    R = psd_sqrt(S)  # (n, d, d), R R^T = S
    Xn = np.concatenate([data.rates.astype(np.float64), np.ones((n, 1))], axis=1)
    coef = ridge_solve(Xn, R.reshape(n, d * d), ridge, N)
    return coef[N].reshape(d, d), coef[:N].T.reshape(d, d, N)


def closed_form_loss(data, sol, lambda_D: float) -> float:
    """The matching loss the closed form minimised, on the training points (drift + diffusion)."""
    loss_f = sol["mse_f"] / (np.mean(np.sum(data.F**2, -1)) or 1.0)
    g0, Gam = sol["gamma0"], sol["Gamma"]
    Gs = g0 if Gam is None else g0 + np.einsum("ijn,sn->sij", Gam, data.rates)
    res_D = Gs @ np.swapaxes(Gs, -1, -2) - data.S
    s_D2 = np.mean(np.sum(data.S**2, (-1, -2)))
    loss_D = np.mean(np.sum(res_D**2, (-1, -2))) / s_D2 if s_D2 > 0 else 0.0
    return float(loss_f + lambda_D * loss_D)
