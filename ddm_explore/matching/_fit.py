"""Drift–diffusion matching: fit a rate network to a target SDE (METHOD.md section 3)."""

from __future__ import annotations

import functools
import math
import time
import warnings
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax
import scipy.linalg
import xarray as xr

from .._checks import as_array, check_choice, check_int, check_key, check_positive
from .._progress import progress_bar
from .._threads import gram, gram_of_rows, one_blas_thread
from ..network._network import CONNECTIVITIES, NOISE_MODES, Network, make_embedding
from ._samplers import Sampler, box

METHODS = ("lstsq", "adam", "preconditioned")
#: relative shift of the rate second-moment matrix inverted by the preconditioner
PRECONDITION_SHIFT = 1e-4
INITS = ("lstsq", "random")


# ---------------------------------------------------------------------------------------------
# training data
# ---------------------------------------------------------------------------------------------
def _draw_inputs(target, key, n):
    k = target.input_dim
    if k == 0:
        return jnp.zeros((n, 0), jnp.float32)
    lo, hi = target.input_region
    return jax.random.uniform(key, (n, k), minval=jnp.asarray(lo, jnp.float32), maxval=jnp.asarray(hi, jnp.float32))


@jax.jit
def _target_fields(target, Z, U):
    g = jax.vmap(target.noise_loading)(Z)
    return jax.vmap(target.latent_drift)(Z, U), g @ jnp.swapaxes(g, -1, -2)


def _evaluate_target(target, Z, U):
    """Drift (n, d) and g g^T (n, d, d) of the target at the points, with a clear error if non-finite."""
    F, S = _target_fields(target, Z, U)
    F, S = np.asarray(F, np.float64), np.asarray(S, np.float64)
    for name, arr in (("drift", F), ("diffusion", S)):
        bad = ~np.all(np.isfinite(arr.reshape(arr.shape[0], -1)), axis=1)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"the target's `{name}` is non-finite at z={np.asarray(Z[i]).tolist()}"
                             f" ({int(bad.sum())} of {bad.size} sampled points): shrink the sampling region or fix the function")
    return F, S


def _psd_sqrt(S):
    """Symmetric PSD square roots of a stack of symmetric matrices (n, d, d); continuous even
    where S is singular, unlike the Cholesky factor."""
    w, V = np.linalg.eigh(0.5 * (S + np.swapaxes(S, -1, -2)))
    return (V * np.sqrt(np.clip(w, 0.0, None))[..., None, :]) @ np.swapaxes(V, -1, -2)


@jax.jit
def _features(zi, M, x0):
    """Rates ``tanh(x0 + M z)`` (n, N) at internal latent points, in float32: exactly the features
    the network computes when it runs."""
    return jnp.tanh(x0 + zi @ M.T)


def _ridge(X, Y, ridge, n_penalised):
    """Solve min ||X beta - Y||^2 / n + ridge ||beta[:n_penalised]||^2 in float64 (normal equations,
    Cholesky): the float32 solve stalls at a few percent error on these ill-conditioned features."""
    p = X.shape[1]
    Y2 = np.asarray(Y, np.float64).reshape(X.shape[0], -1)
    return _ridge_from_gram(gram(np.concatenate([X, Y2], axis=1)), p, X.shape[0], ridge, n_penalised)[0].reshape((p,) + np.shape(Y)[1:])


def _ridge_from_gram(G, p, n, ridge, n_penalised):
    """Ridge solution from the Gram matrix ``G = [X Y]^T [X Y]`` of the design X (n, p) and the
    targets Y; returns (beta, mean squared residual summed over Y's columns)."""
    A = G[:p, :p] / n
    rhs = G[:p, p:] / n
    A_ridge = A.copy()
    A_ridge[np.arange(n_penalised), np.arange(n_penalised)] += ridge
    try:
        beta = scipy.linalg.cho_solve(scipy.linalg.cho_factor(A_ridge, check_finite=False), rhs, check_finite=False)
    except np.linalg.LinAlgError:
        beta = np.linalg.lstsq(A_ridge, rhs, rcond=None)[0]
    # ||X beta - Y||^2 / n expanded in the Gram matrix (no second pass over the n rows)
    mse = np.trace(G[p:, p:]) / n - 2.0 * np.sum(beta * rhs) + np.sum(beta * (A @ beta))
    return beta, max(float(mse), 0.0)


# ---------------------------------------------------------------------------------------------
# the loss (used by the optax route; the closed form minimises the same terms)
# ---------------------------------------------------------------------------------------------
def _connectivity(params, connectivity):
    if connectivity == "symmetric":
        return 0.5 * (params["A"] + params["A"].T)
    return params["J"]


def _drift_internal(params, connectivity, M, Phi, zi, U):
    N = M.shape[0]
    if connectivity == "low_rank":
        rec = Phi @ params["W"] + params["b_lat"]
    else:
        J = _connectivity(params, connectivity)
        rec = (Phi @ J.T + params["b"]) @ M / N
    return -zi + rec + U @ params["B_lat"].T


def _diffusion_internal(params, noise, Phi):
    if noise == "additive":
        G = params["gamma0"]
        return jnp.broadcast_to(G @ G.T, (Phi.shape[0],) + G.shape)
    G = params["gamma0"] + jnp.einsum("ijn,sn->sij", params["Gamma"], Phi)
    return G @ jnp.swapaxes(G, -1, -2)


def matching_loss(params, batch, *, connectivity, noise, M, x0, weights):
    """The drift–diffusion matching loss L of METHOD.md section 3 on a batch of latent points.

    ``batch`` holds internal coordinates ``zi`` (n, d), inputs ``U`` (n, k), features
    ``Phi = phi(x0 + M zi)`` (n, N), target drift ``F`` (n, d) and ``S = g g^T`` (n, d, d).
    ``weights`` holds ``s_f2``, ``s_D2``, ``lambda_D``, ``lambda_inv``, ``l2``.
    Returns (loss, parts) with parts a dict of the terms.
    """
    N = M.shape[0]
    f = _drift_internal(params, connectivity, M, batch["Phi"], batch["zi"], batch["U"])
    drift = jnp.mean(jnp.sum((f - batch["F"]) ** 2, -1)) / weights["s_f2"]
    S = _diffusion_internal(params, noise, batch["Phi"])
    diff = jnp.mean(jnp.sum((S - batch["S"]) ** 2, (-1, -2))) / weights["s_D2"]
    if connectivity == "low_rank":
        inv = jnp.zeros(())
        norm = jnp.sum(params["W"] ** 2)
    else:
        J = _connectivity(params, connectivity)
        E = batch["Phi"] @ J.T + params["b"] - x0
        E = E - (E @ M) @ M.T / N
        inv = jnp.mean(jnp.sum(E**2, -1)) / N
        norm = jnp.sum(J**2)
    loss = drift + weights["lambda_D"] * diff + weights["lambda_inv"] * inv + weights["l2"] * norm
    return loss, dict(drift=drift, diffusion=diff, invariance=inv)


# ---------------------------------------------------------------------------------------------
# fit
# ---------------------------------------------------------------------------------------------
def fit(target, n_neurons: int = 256, *, key, connectivity: str = "low_rank", noise: str = "additive",
        method: str | None = None, sampler: Sampler | None = None, optimizer=None,
        n_samples: int | None = None, n_test: int = 2048, ridge: float = 1e-9,
        lambda_D: float = 1.0, lambda_inv: float = 1.0, l2: float = 0.0, steps: int | None = None,
        batch_size: int = 512, init: str | None = None, init_gain: float | None = None,
        latent_gain: float = 1.5, offset_scale: float = 2.5, private_noise: float = 0.0,
        precondition: bool | None = None, progress: bool = True):
    """Train a rate network so that its latent drift and diffusion match a target SDE.

    Minimises the drift–diffusion matching loss (METHOD.md section 3) over points drawn from a
    sampling measure; no simulation or backpropagation through time. For ``low_rank``
    connectivity and ``method="lstsq"`` the drift term is a ridge regression in the readout
    weights W, solved in closed form in float64, and the diffusion is matched in closed form too
    (constant loading for additive noise; a regression of the symmetric square root of
    ``g g^T`` on the rates for multiplicative noise). ``method="adam"`` minimises the full loss
    with any optax transformation (``optimizer``), minibatched, and is the route for ``full``
    and ``symmetric`` connectivity (their off-manifold drift is penalised by ``lambda_inv``).
    ``method="preconditioned"`` minimises the same loss by full-batch gradient descent with the
    gradients preconditioned (``precondition``) and a zoom line search (``optax.sgd(1)`` chained
    with ``optax.scale_by_zoom_linesearch``): the fast route from a random start, for every
    connectivity (Van der Pol, N = 256, random start: eps_f ~ 0.002 in 100 steps; a symmetric
    network on the reversible OU process: 2e-4).

    Embedding (decides the error): the user's coordinates are mapped to internal ones by
    ``z = latent_gain * (z_user - centre) / half_width`` of the sampler's extent, so the sampling
    region spans ``[-latent_gain, latent_gain]`` whatever the target's scale; M is a random
    Gaussian matrix with orthonormalised columns scaled to ``M^T M = N I`` (neuron gains ``|m_i|``
    chi-distributed, directions isotropic) and x0 is uniform on ``[-offset_scale, offset_scale]``
    projected off span(M). Every neuron's input is then O(1) and the tanh features are
    well conditioned.

    Parameters
    ----------
    target : SDE
        The target (a built-in from ``ddm.systems`` or a user's ``ddm.SDE``).
    n_neurons : int
        N, at least the latent dimension d.
    key : PRNG key
        Draws the embedding, the training and held-out points and any initialisation.
    connectivity : {"low_rank", "full", "symmetric"}
    noise : {"additive", "multiplicative"}
    method : {"lstsq", "adam", "preconditioned"}, optional
        Default "lstsq" for low_rank, "adam" otherwise.
    sampler : Sampler, optional
        ``ddm.box``, ``ddm.gaussian`` or ``ddm.occupation``; default: a box over ``target.region``.
    optimizer : optax.GradientTransformation, optional
        For ``method="adam"``; default Adam with a cosine-decayed learning rate from 1e-3
        (warm start) or 1e-2 (random start). L-BFGS (``optax.lbfgs()``) works too.
    n_samples, n_test : int
        Training and held-out points (default n_samples = max(4096, 8 N)).
    ridge : float
        Ridge penalty of the closed form, relative to features of unit scale. Keeps the readout
        weights moderate, so the manifold has no spurious attractors close to it.
    lambda_D, lambda_inv, l2 : float
        Weights of the diffusion term, the off-manifold penalty (full/symmetric) and the
        squared norm of the connectivity, for the optax route.
    steps, batch_size : int
        Optax steps (default 2000 for "adam", 100 for "preconditioned") and minibatch size
        ("preconditioned" always uses the full batch).
    precondition : bool, optional
        Scale every gradient by a fixed approximation of the inverse Hessian of its quadratic
        part of the loss before the optimizer sees it. The drift and off-manifold terms are
        quadratic in the connectivity, with the rates' second-moment matrix ``C = E[phi phi^T]``
        on the training points as the presynaptic factor of their Hessian (the input factor of
        K-FAC) and ``2 / s_f2`` (on the manifold) or ``2 lambda_inv / N`` (off it) as the
        postsynaptic one: connectivity gradients are multiplied by ``(C + delta I)^-1``
        (``delta = 1e-4 tr(C) / N``) on the rate side and by the inverse postsynaptic factor on
        the neuron side; for symmetric connectivity (``J = (A + A^T) / 2``, whose Hessian acts as
        ``(Delta C + C Delta) / 2``) by the inverse of that operator, ``2 / (lam_i + lam_j)`` in
        C's eigenbasis; biases, input weights and the noise loading by their own curvature
        scales. This removes the features' ill-conditioning (condition numbers of 1e9 for tanh
        rates) that makes plain gradient methods crawl. The line search of an optax chain
        still sees the true gradient. Default True for "preconditioned", False for "adam".
    init : {"lstsq", "random"}, optional
        Start of the optax route: the closed-form solution (warm start; the default for
        low_rank and full), or a random start (the default for symmetric, where the symmetrised
        closed form would push the drift far off the manifold). Full and symmetric starts add a
        random bulk ``init_gain * X / sqrt(N)`` (symmetrised for symmetric), X standard normal.
    init_gain : float, optional
        Strength of that bulk: default 0.5 (full), 0.1 (symmetric).
    latent_gain, offset_scale : float
        Embedding scales described above.
    private_noise : float
        Standard deviation of independent per-neuron noise added in simulations.
    progress : bool
        Show a progress bar for the optax route.

    Returns
    -------
    net : Network
    report : xarray.Dataset
        ``loss`` (step), held-out ``eps_f`` and ``eps_D`` (NaN when the target has no noise),
        ``weight_rms``; sizes and settings in attrs.

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> net, report = ddm.fit(ddm.systems.van_der_pol(), 128, key=jax.random.key(0))
    >>> bool(report.eps_f < 0.02)
    True
    """
    from ..sdes._sde import SDE

    if not isinstance(target, SDE):
        raise ValueError(f"`target` must be a ddm.SDE (e.g. ddm.systems.van_der_pol()), got {type(target).__name__}")
    key = check_key("key", key)
    N = check_int("n_neurons", n_neurons)
    d, k = target.dim, target.input_dim
    if N < d:
        raise ValueError(f"`n_neurons` must be >= the latent dimension {d}, got {N}")
    check_choice("connectivity", connectivity, CONNECTIVITIES)
    check_choice("noise", noise, NOISE_MODES)
    if method is None:
        method = "lstsq" if connectivity == "low_rank" else "adam"
    check_choice("method", method, METHODS)
    if method == "lstsq" and connectivity != "low_rank":
        raise ValueError(f"`method`='lstsq' is the closed form for connectivity='low_rank' only; "
                         f"use method='adam' for connectivity={connectivity!r}")
    if init is None:
        init = "random" if connectivity == "symmetric" else "lstsq"
    check_choice("init", init, INITS)
    if init_gain is None:
        init_gain = 0.1 if connectivity == "symmetric" else 0.5
    n_samples = check_int("n_samples", n_samples if n_samples is not None else max(4096, 8 * N), minimum=2)
    n_test = check_int("n_test", n_test, minimum=2)
    ridge = check_positive("ridge", ridge, allow_zero=True)
    lambda_D = check_positive("lambda_D", lambda_D, allow_zero=True)
    lambda_inv = check_positive("lambda_inv", lambda_inv, allow_zero=True)
    l2 = check_positive("l2", l2, allow_zero=True)
    steps = check_int("steps", steps if steps is not None else (100 if method == "preconditioned" else 2000))
    batch_size = check_int("batch_size", batch_size)
    init_gain = check_positive("init_gain", init_gain, allow_zero=True)
    latent_gain = check_positive("latent_gain", latent_gain)
    offset_scale = check_positive("offset_scale", offset_scale, allow_zero=True)
    private_noise = check_positive("private_noise", private_noise, allow_zero=True)
    if optimizer is not None and method != "adam":
        raise ValueError(f"`optimizer` is used by method='adam' only; got method={method!r}")
    if precondition is None:
        precondition = method == "preconditioned"
    if not isinstance(precondition, (bool, np.bool_)):
        raise ValueError(f"`precondition` must be True or False, got {precondition!r}")
    if precondition and method == "lstsq":
        raise ValueError("`precondition` applies to the optax routes (method='adam' or 'preconditioned'), not to method='lstsq'")
    if optimizer is not None and not isinstance(optimizer, optax.GradientTransformation):
        raise ValueError(f"`optimizer` must be an optax transformation such as optax.adam(1e-3), got {type(optimizer).__name__}")
    if sampler is None:
        sampler = box(*target.region)
    if not isinstance(sampler, Sampler):
        raise ValueError(f"`sampler` must come from ddm.box, ddm.gaussian or ddm.occupation, got {type(sampler).__name__}")
    if sampler.dim != d:
        raise ValueError(f"`sampler` draws {sampler.dim}-dimensional points but the target has dim={d}")

    t_start = time.perf_counter()
    k_embed, k_train, k_test, k_utrain, k_utest, k_init, k_opt = jax.random.split(key, 7)
    lo, hi = (np.asarray(e, np.float64) for e in sampler.extent)
    centre = (lo + hi) / 2
    scale = (hi - lo) / 2 / latent_gain
    M, x0 = make_embedding(k_embed, N, d, offset_scale=offset_scale)

    Z = sampler.sample(k_train, n_samples)
    U = _draw_inputs(target, k_utrain, n_samples)
    F, S = _evaluate_target(target, Z, U)
    zi = (np.asarray(Z, np.float64) - centre) / scale
    Fi = F / scale
    Si = S / np.outer(scale, scale)
    Ud = np.asarray(U, np.float64)
    # design [phi(x0 + M z), u, 1] and targets Y as one float64 array, so one Gram product gives
    # X^T X, X^T Y and Y^T Y; the rates are the network's own float32 ones
    p = N + k + 1
    Phi = np.asarray(_features(zi.astype(np.float32), M.astype(np.float32), x0.astype(np.float32)))
    Y = Fi + zi

    def rows(a, b):
        out = np.empty((b - a, p + d))
        out[:, :N] = Phi[a:b]
        out[:, N:N + k] = Ud[a:b]
        out[:, N + k] = 1.0
        out[:, p:] = Y[a:b]
        return out

    # closed form: drift by ridge regression, diffusion by regression of the PSD square root
    G = gram_of_rows(n_samples, rows)
    beta, mse_f = _ridge_from_gram(G, p, n_samples, ridge, N)
    W, B_lat, b_lat = beta[:N], beta[N:N + k].T, beta[N + k]
    if noise == "additive":
        gamma0 = _psd_sqrt(Si.mean(0)[None])[0]
        Gamma = None
    else:
        R = _psd_sqrt(Si)  # (n, d, d), R R^T = g g^T
        Xn = np.concatenate([Phi.astype(np.float64), np.ones((n_samples, 1))], axis=1)
        coef = _ridge(Xn, R.reshape(n_samples, d * d), ridge, N)
        Gamma = coef[:N].T.reshape(d, d, N)
        gamma0 = coef[N].reshape(d, d)

    interrupted = False
    f32 = lambda a: None if a is None else jnp.asarray(a, jnp.float32)  # noqa: E731
    if method == "lstsq":
        J_full = None
        b = x0 + M @ b_lat
        # the loss the closed form minimised, on the training points (drift + diffusion terms)
        loss_f = mse_f / (np.mean(np.sum(Fi**2, -1)) or 1.0)
        Gs = gamma0 if Gamma is None else gamma0 + np.einsum("ijn,sn->sij", Gamma, Phi)
        res_D = Gs @ np.swapaxes(Gs, -1, -2) - Si
        s_D2 = np.mean(np.sum(Si**2, (-1, -2)))
        loss_D = np.mean(np.sum(res_D**2, (-1, -2))) / s_D2 if s_D2 > 0 else 0.0
        history = np.array([loss_f + lambda_D * loss_D])
    else:
        params = dict(B_lat=B_lat, gamma0=gamma0)
        if noise == "multiplicative":
            params["Gamma"] = Gamma
        bulk = np.asarray(jax.random.normal(k_init, (N, N)), np.float64) / np.sqrt(N)
        if init == "random":
            rng_w = np.asarray(jax.random.normal(jax.random.fold_in(k_init, 1), (N, d)), np.float64) / np.sqrt(N)
            params.update(B_lat=np.zeros_like(B_lat), gamma0=np.eye(d) * 0.1)
            if noise == "multiplicative":
                params["Gamma"] = np.zeros_like(Gamma)
            W0, b_lat0 = rng_w, np.zeros(d)
        else:
            W0, b_lat0 = W, b_lat
        if connectivity == "low_rank":
            params.update(W=W0, b_lat=b_lat0)
        elif connectivity == "full":
            params.update(J=M @ W0.T + init_gain * bulk, b=x0 + M @ b_lat0)
        else:
            Jlr = M @ W0.T
            params.update(A=0.5 * (Jlr + Jlr.T) + init_gain * 0.5 * (bulk + bulk.T), b=x0 + M @ b_lat0)
        params = jax.tree_util.tree_map(f32, params)
        data = dict(zi=zi, U=Ud, Phi=Phi, F=Fi, S=Si)
        data = jax.tree_util.tree_map(f32, data)
        s_D2 = float(np.mean(np.sum(Si**2, (-1, -2))))
        weights = dict(s_f2=float(np.mean(np.sum(Fi**2, -1))) or 1.0, s_D2=s_D2 or 1.0,
                       lambda_D=lambda_D if s_D2 > 0 else 0.0, lambda_inv=lambda_inv, l2=l2)
        if method == "preconditioned":
            optimizer, batch_size = _line_search_gd(), n_samples
        elif optimizer is None:
            optimizer = default_optimizer(1e-3 if init == "lstsq" else 1e-2, steps)
        P = _preconditioner(G, N, n_samples, Ud, Si, weights, connectivity) if precondition else None
        params, history, interrupted = _optax_loop(
            params, data, optimizer, k_opt, steps=steps, batch_size=min(batch_size, n_samples),
            loss_kw=dict(connectivity=connectivity, noise=noise, M=f32(M), x0=f32(x0), weights=weights),
            preconditioner=P, progress=progress)
        params = jax.tree_util.tree_map(lambda a: np.asarray(a, np.float64), params)
        B_lat, gamma0 = params["B_lat"], params["gamma0"]
        Gamma = params.get("Gamma")
        if connectivity == "low_rank":
            W, b = params["W"], x0 + M @ params["b_lat"]
            J_full = None
        else:
            J_full = params["J"] if connectivity == "full" else 0.5 * (params["A"] + params["A"].T)
            W, b = None, params["b"]
    B = M @ B_lat
    bad = [name for name, a in (("J", W if J_full is None else J_full), ("b", b), ("noise loading", gamma0))
           if not np.all(np.isfinite(a))]
    if bad:
        raise FloatingPointError(f"fit produced non-finite {', '.join(bad)}: lower the learning rate of `optimizer`, "
                                 f"raise `ridge`, or shrink the sampling region")
    arrays = jax.device_put({name: None if a is None else np.asarray(a, np.float32) for name, a in dict(
        M=M, x0=x0, W=W, J_full=J_full, b=b, B=B.reshape(N, k), gamma0=gamma0, Gamma=Gamma,
        private_noise=np.float32(private_noise), centre=centre, scale=scale, region_low=lo, region_high=hi).items()})
    net = Network(**arrays, connectivity=connectivity, noise=noise, name=f"{target.name} network")
    fit_seconds = time.perf_counter() - t_start

    eps_f, eps_D = matching_errors(net, target, sampler.sample(k_test, n_test), _draw_inputs(target, k_utest, n_test))
    weight_rms = float(np.sqrt(np.mean(np.square(W, dtype=np.float64)))) if J_full is None else float(np.sqrt(np.mean(np.square(J_full))) * math.sqrt(N))
    report = xr.Dataset(
        dict(loss=("step", np.asarray(history, np.float64), dict(long_name="matching loss (training batch)")),
             eps_f=((), eps_f, dict(long_name="held-out relative drift error", n_test=n_test)),
             eps_D=((), eps_D, dict(long_name="held-out relative diffusion error", n_test=n_test)),
             weight_rms=((), weight_rms, dict(long_name="RMS readout weight (low_rank) or sqrt(N) RMS J"))),
        coords=dict(step=np.arange(len(history))),
        attrs=dict(target=target.name, target_params=str(target.params), n_neurons=N, dim=d, input_dim=k,
                   connectivity=connectivity, noise=noise, method=method, sampler=sampler.describe(),
                   n_samples=n_samples, n_test=n_test, ridge=ridge, lambda_D=lambda_D, lambda_inv=lambda_inv,
                   l2=l2, steps=steps if method != "lstsq" else 0, precondition=int(bool(precondition)), latent_gain=latent_gain,
                   offset_scale=offset_scale, fit_seconds=fit_seconds, interrupted=int(interrupted)))
    return net, report


fit = one_blas_thread(fit)  # the float64 closed form: see ddm_explore/_threads.py


def matching_errors(net, target, Z, U=None):
    """Relative drift and diffusion errors of a network against a target at points Z (n, d).

    ``eps_f = sqrt(E||f_net - f||^2 / E||f||^2)``, ``eps_D`` likewise with D (METHOD.md section 3);
    eps_D is NaN when the target's diffusion is zero.
    """
    Z = jnp.asarray(Z, jnp.float32)
    U = jnp.zeros((Z.shape[0], target.input_dim), jnp.float32) if U is None else jnp.asarray(U, jnp.float32)
    sums = np.asarray(_error_sums(net, target, Z, U), np.float64)
    eps_f = float(np.sqrt(sums[0] / sums[1])) if sums[1] > 0 else float("nan")
    eps_D = float(np.sqrt(sums[2] / sums[3])) if sums[3] > 0 else float("nan")
    return eps_f, eps_D


@jax.jit
def _error_sums(net, target, Z, U):
    """Squared drift and diffusion errors and norms at the points, summed: one compiled call."""
    f, S = _target_fields(target, Z, U)
    D = 0.5 * S
    fn, Dn = net.latent_drift(Z, U), net.latent_diffusion(Z)
    return jnp.stack([jnp.sum((fn - f) ** 2), jnp.sum(f**2), jnp.sum((Dn - D) ** 2), jnp.sum(D**2)])


@functools.lru_cache(maxsize=64)
def _with_extra_args(optimizer):
    """One wrapped transformation per optimizer object, so the jitted chunk below compiles once
    per optimizer (and shapes), not once per fit."""
    return optax.with_extra_args_support(optimizer)


@functools.lru_cache(maxsize=1)
def _line_search_gd():
    """The optimizer of ``method="preconditioned"``: a unit gradient step scaled by a zoom line
    search (one object, so its compiled chunk is reused). L-BFGS was measured slower here: its
    curvature pairs would need the preconditioner inside its two-loop recursion."""
    return optax.chain(optax.sgd(1.0), optax.scale_by_zoom_linesearch(max_linesearch_steps=20))


def precondition_gradients(grads, P, M):
    """Scale each parameter's gradient by a fixed approximation of the inverse Hessian of its
    quadratic part of the loss (see ``fit(precondition=...)``); ``P`` holds the factored inverse
    rate second-moment matrix (``V``, ``s``) and the curvature scales of the loss terms."""
    V, s = P["V"], P["s"]
    N = M.shape[0]
    rates = lambda G: ((G @ V) * s) @ V.T  # noqa: E731  G (C + delta)^-1 on the rate (presynaptic) side
    # neuron (postsynaptic) side of J and b: on-manifold drift error vs off-manifold penalty
    post = lambda G: P["on"] * (M @ (M.T @ G)) / N + P["off"] * (G - M @ (M.T @ G) / N)  # noqa: E731
    out = dict(grads)
    if "W" in out:
        out["W"] = P["on"] * rates(out["W"].T).T
    if "b_lat" in out:
        out["b_lat"] = P["on"] * out["b_lat"]
    if "J" in out:
        out["J"] = post(rates(out["J"]))
    if "A" in out:  # J = (A + A^T) / 2: its Hessian is (Delta C + C Delta) / 2 on the rate side, and
        # the inverse of that Lyapunov operator is diagonal in C's eigenbasis: 2 / (lam_i + lam_j)
        g = V.T @ (0.5 * (out["A"] + out["A"].T)) @ V
        lam = 1.0 / s
        out["A"] = P["off"] * (V @ (g * (2.0 / (lam[:, None] + lam[None, :]))) @ V.T)
    if "b" in out:
        out["b"] = post(out["b"][:, None])[:, 0]
    if "B_lat" in out:
        out["B_lat"] = P["input"] * out["B_lat"]
    if "gamma0" in out:
        out["gamma0"] = P["diff"] * out["gamma0"]
    if "Gamma" in out:
        out["Gamma"] = P["diff"] * rates(out["Gamma"])
    return out


def _preconditioner(G, N, n, Ud, Si, weights, connectivity):
    """The fixed preconditioner of ``fit(precondition=True)`` from the Gram matrix of the rates."""
    lam, V = np.linalg.eigh(G[:N, :N] / n)  # kept factored: an explicit float32 inverse of a matrix
    s = 1.0 / (np.clip(lam, 0.0, None) + PRECONDITION_SHIFT * np.sum(lam) / N)  # this ill-conditioned is noise
    low = connectivity == "low_rank"
    # Hessians of the quadratic terms: drift 2 C / s_f2 (times 1/N through the readout M^T / N for J),
    # off-manifold 2 lambda_inv C / N; a diffusion loading at the target, about 8 mean(S) / s_D2
    on = 0.5 * weights["s_f2"] * (1.0 if low else N)
    off = 0.5 * N / weights["lambda_inv"] if weights["lambda_inv"] > 0 else on
    u2 = np.mean(Ud**2, axis=0) if Ud.shape[1] else np.ones(0)
    s_bar = float(np.mean(np.trace(Si, axis1=-2, axis2=-1))) / max(Si.shape[-1], 1)
    diff = weights["s_D2"] / (8.0 * s_bar * max(weights["lambda_D"], 1e-12)) if s_bar > 0 else 1.0
    f32 = lambda a: jnp.asarray(a, jnp.float32)  # noqa: E731
    return dict(V=f32(V), s=f32(s), on=f32(on), off=f32(off), input=f32(0.5 * weights["s_f2"] / np.where(u2 > 0, u2, 1.0)),
                diff=f32(diff))


@functools.lru_cache(maxsize=64)
def default_optimizer(learning_rate: float, steps: int):
    """Adam with a cosine decay to 1% over ``steps`` (the optimizer ``fit`` uses when none is
    given); the same object for the same arguments, so repeated fits reuse compiled code."""
    return optax.adam(optax.cosine_decay_schedule(learning_rate, steps, alpha=1e-2))


@partial(jax.jit, static_argnames=("tx", "batch_size", "connectivity", "noise", "chunk"))
def _run_chunk(p, state, start, data, key, M, x0, weights, P, *, tx, batch_size, connectivity, noise, chunk):
    """``chunk`` optimiser steps in one ``lax.scan``; everything numeric is traced, so a new fit
    with the same shapes and settings reuses the compiled program."""
    n = data["zi"].shape[0]

    def loss_fn(q, batch):
        return matching_loss(q, batch, connectivity=connectivity, noise=noise, M=M, x0=x0, weights=weights)[0]

    def step(carry, i):
        q, st = carry
        if batch_size >= n:  # full batch: the same loss every step (what L-BFGS's line search needs)
            batch = data
        else:
            idx = jax.random.randint(jax.random.fold_in(key, i), (batch_size,), 0, n)
            batch = jax.tree_util.tree_map(lambda a: a[idx], data)
        value, grad = jax.value_and_grad(loss_fn)(q, batch)
        direction = grad if P is None else precondition_gradients(grad, P, M)  # the line search keeps the true gradient
        updates, st = tx.update(direction, st, q, value=value, grad=grad, value_fn=lambda r: loss_fn(r, batch))
        return (optax.apply_updates(q, updates), st), value

    (p, state), values = jax.lax.scan(step, (p, state), start + jnp.arange(chunk))
    return p, state, values


def _optax_loop(params, data, optimizer, key, *, steps, batch_size, loss_kw, progress, preconditioner=None, chunk=50):
    """Minibatched optax training in jitted ``lax.scan`` chunks; keeps the best parameters seen and
    returns them with the loss history if interrupted (KeyboardInterrupt)."""
    try:
        tx = _with_extra_args(optimizer)
    except TypeError:  # an unhashable transformation: wrap it for this fit only
        tx = optax.with_extra_args_support(optimizer)
    lk = dict(loss_kw)
    static = dict(tx=tx, batch_size=batch_size, connectivity=lk.pop("connectivity"), noise=lk.pop("noise"), chunk=chunk)
    weights = {k: jnp.float32(v) for k, v in lk.pop("weights").items()}

    def run_chunk(p, state, start):
        return _run_chunk(p, state, start, data, key, lk["M"], lk["x0"], weights, preconditioner, **static)

    state = tx.init(params)
    history, best, best_loss, interrupted = [], params, np.inf, False
    n_chunks = -(-steps // chunk)
    with progress_bar(progress, n_chunks * chunk, "fit (optax)") as bar:
        try:
            for c in range(n_chunks):
                new_params, new_state, values = run_chunk(params, state, c * chunk)
                values = np.asarray(values)
                if not np.all(np.isfinite(values)):
                    bad = c * chunk + int(np.argmax(~np.isfinite(values)))
                    raise FloatingPointError(f"training loss became non-finite at step {bad}: lower the learning rate "
                                             f"of `optimizer` (or raise `ridge`/`l2`); the best parameters so far had loss {best_loss:.3g}")
                params, state = new_params, new_state
                history.extend(values.tolist())
                if values[-1] < best_loss:
                    best, best_loss = params, float(values[-1])
                bar.update(chunk)
                bar.set_postfix_str(f"loss {values[-1]:.3g}")
        except KeyboardInterrupt:
            interrupted = True
            warnings.warn(f"fit interrupted after {len(history)} steps: returning the best parameters so far", stacklevel=3)
    if not history:
        history = [np.nan]
    return best, np.asarray(history[:steps]), interrupted
