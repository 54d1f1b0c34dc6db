"""Training by optax (METHOD.md section 3): the loss of :mod:`._loss` minimised over minibatches
in jitted ``lax.scan`` chunks, with an optional fixed preconditioner of the gradients."""

from __future__ import annotations

import functools
import warnings
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._progress import progress_bar
from ._loss import combine, matching_loss

#: relative shift of the rate second-moment matrix inverted by the preconditioner
PRECONDITION_SHIFT = 1e-4
#: optimiser steps per compiled chunk
CHUNK = 50


@functools.lru_cache(maxsize=64)
def default_optimizer(learning_rate: float, steps: int):
    """Adam with a cosine decay to 1% over ``steps``; the same object for the same arguments, so
    repeated fits reuse compiled code."""
    return optax.adam(optax.cosine_decay_schedule(learning_rate, steps, alpha=1e-2))


@functools.lru_cache(maxsize=1)
def line_search_gd():
    """A unit gradient step scaled by a zoom line search (one object, so its compiled chunk is
    reused); used with the preconditioner, whose directions are already well scaled."""
    return optax.chain(optax.sgd(1.0), optax.scale_by_zoom_linesearch(max_linesearch_steps=20))


@functools.lru_cache(maxsize=64)
def _with_extra_args(optimizer):
    """One wrapped transformation per optimizer object, so the jitted chunk compiles once per
    optimizer (and shapes), not once per fit."""
    return optax.with_extra_args_support(optimizer)


def preconditioner(G, N, n, U, S, weights, connectivity):
    """The fixed preconditioner from the Gram matrix of the rates (see :class:`ddm_explore.Optax`).

    The drift and off-manifold terms are quadratic in the connectivity with the rates'
    second-moment matrix ``C = E[phi phi^T]`` as the presynaptic factor of their Hessian; its
    inverse is kept factored (``V``, ``s``): an explicit float32 inverse of a matrix this
    ill-conditioned is noise."""
    lam, V = np.linalg.eigh(G[:N, :N] / n)
    s = 1.0 / (np.clip(lam, 0.0, None) + PRECONDITION_SHIFT * np.sum(lam) / N)
    low = connectivity == "low_rank"
    # Hessians of the quadratic terms: drift 2 C / s_f2 (times 1/N through the readout M^T / N for J),
    # off-manifold 2 lambda_inv C / N; a diffusion loading at the target, about 8 mean(S) / s_D2
    on = 0.5 * weights["s_f2"] * (1.0 if low else N)
    off = 0.5 * N / weights["lambda_inv"] if weights["lambda_inv"] > 0 else on
    u2 = np.mean(U**2, axis=0) if U.shape[1] else np.ones(0)
    s_bar = float(np.mean(np.trace(S, axis1=-2, axis2=-1))) / max(S.shape[-1], 1)
    diff = weights["s_D2"] / (8.0 * s_bar * max(weights["lambda_D"], 1e-12)) if s_bar > 0 else 1.0
    f32 = lambda a: jnp.asarray(a, jnp.float32)  # noqa: E731
    # the latent bias and input weights live in span(M) as b = x0 + M b_lat, B = M B_lat: their
    # gradients are M g_lat / N, so a latent step of size c is N c in these coordinates
    return dict(V=f32(V), s=f32(s), on=f32(on), off=f32(off), diff=f32(diff),
                input=f32(0.5 * weights["s_f2"] / np.where(u2 > 0, u2, 1.0) * N),
                bias=f32(on * N if low else 0.0))


def precondition_gradients(grads, P, M, symmetric: bool):
    """Scale each field of a gradient Network by a fixed approximation of the inverse Hessian of
    its quadratic part of the loss."""
    V, s = P["V"], P["s"]
    N = M.shape[0]
    rates = lambda G: ((G @ V) * s) @ V.T  # noqa: E731  G (C + delta)^-1 on the rate (presynaptic) side
    # neuron (postsynaptic) side of J and b: on-manifold drift error vs off-manifold penalty
    post = lambda G: P["on"] * (M @ (M.T @ G)) / N + P["off"] * (G - M @ (M.T @ G) / N)  # noqa: E731
    out = {}
    if grads.W is not None:
        out.update(W=P["on"] * rates(grads.W.T).T, b=P["bias"] * grads.b)
    elif symmetric:  # J = (A + A^T) / 2: its Hessian is (Delta C + C Delta) / 2 on the rate side, and
        # the inverse of that Lyapunov operator is diagonal in C's eigenbasis: 2 / (lam_i + lam_j)
        g = V.T @ (0.5 * (grads.J_full + grads.J_full.T)) @ V
        lam = 1.0 / s
        out.update(J_full=P["off"] * (V @ (g * (2.0 / (lam[:, None] + lam[None, :]))) @ V.T), b=post(grads.b[:, None])[:, 0])
    else:
        out.update(J_full=post(rates(grads.J_full)), b=post(grads.b[:, None])[:, 0])
    out.update(B=P["input"] * grads.B, gamma0=P["diff"] * grads.gamma0)
    if grads.Gamma is not None:
        out["Gamma"] = P["diff"] * rates(grads.Gamma)
    return grads.replace(**out)


@partial(jax.jit, static_argnames=("tx", "batch_size", "symmetric", "chunk"))
def _run_chunk(p, state, start, frozen, data, key, weights, P, *, tx, batch_size, symmetric, chunk):
    """``chunk`` optimiser steps in one ``lax.scan``; everything numeric is traced, so a new fit
    with the same shapes and settings reuses the compiled program."""
    n = data["zi"].shape[0]

    def loss_fn(q, batch):
        return matching_loss(combine(q, frozen), batch, weights=weights, symmetric=symmetric)[0]

    def step(carry, i):
        q, st = carry
        if batch_size >= n:  # full batch: the same loss every step (what a line search needs)
            batch = data
        else:
            idx = jax.random.randint(jax.random.fold_in(key, i), (batch_size,), 0, n)
            batch = jax.tree_util.tree_map(lambda a: a[idx], data)
        value, grad = jax.value_and_grad(loss_fn)(q, batch)
        direction = grad if P is None else precondition_gradients(grad, P, frozen["M"], symmetric)
        updates, st = tx.update(direction, st, q, value=value, grad=grad, value_fn=lambda r: loss_fn(r, batch))
        return (optax.apply_updates(q, updates), st), value

    (p, state), values = jax.lax.scan(step, (p, state), start + jnp.arange(chunk))
    return p, state, values


def train(params, frozen, data, optimizer, key, *, steps, batch_size, weights, symmetric, progress, P=None):
    """Run exactly ``steps`` optimiser steps from the trainable network ``params``; returns the
    best parameters seen, the loss history and whether training was interrupted (KeyboardInterrupt
    returns the best parameters so far)."""
    try:
        tx = _with_extra_args(optimizer)
    except TypeError:  # an unhashable transformation: wrap it for this fit only
        tx = optax.with_extra_args_support(optimizer)
    weights = {k: jnp.float32(v) for k, v in weights.items()}
    state = tx.init(params)
    history, best, best_loss, interrupted = [], params, np.inf, False
    static = dict(tx=tx, batch_size=batch_size, symmetric=symmetric)
    with progress_bar(progress, steps, "fit (optax)") as bar:
        try:
            for start in range(0, steps, CHUNK):
                size = min(CHUNK, steps - start)
                new_params, new_state, values = _run_chunk(params, state, start, frozen, data, key, weights, P,
                                                           chunk=size, **static)
                values = np.asarray(values)
                if not np.all(np.isfinite(values)):
                    bad = start + int(np.argmax(~np.isfinite(values)))
                    raise FloatingPointError(f"training loss became non-finite at step {bad}: lower the learning rate "
                                             f"of `optimizer` (or raise `ridge`/`l2`); the best parameters so far had loss {best_loss:.3g}")
                params, state = new_params, new_state
                history.extend(values.tolist())
                if values[-1] < best_loss:
                    best, best_loss = params, float(values[-1])
                bar.update(size)
                bar.set_postfix_str(f"loss {values[-1]:.3g}")
        except KeyboardInterrupt:
            interrupted = True
            warnings.warn(f"fit interrupted after {len(history)} steps: returning the best parameters so far", stacklevel=3)
    return best, np.asarray(history if history else [np.nan]), interrupted
