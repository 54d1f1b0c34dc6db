"""Drift and diffusion of an SDE or a network's latent SDE on points and grids (float64 out)."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from .._checks import as_array

#: points evaluated per jitted call
_CHUNK = 16384


def check_input(target, u) -> np.ndarray:
    """A constant input u (k,), default zeros."""
    k = target.input_dim
    if u is None:
        return np.zeros(k, np.float32)
    return as_array("u", u, shape=(k,)).astype(np.float32)


@partial(jax.jit, static_argnames=("derivatives",))
def _fields(system, Z, u, *, derivatives):
    # one point at a time under vmap, although the calls are batched: the same arithmetic for
    # every system as the one-point evaluations that the grid's values were checked against
    f = jax.vmap(lambda z: system.latent_drift(z, u))(Z)
    D = jax.vmap(system.latent_diffusion)(Z)
    dD = jax.vmap(jax.jacfwd(system.latent_diffusion))(Z) if derivatives else jnp.zeros(D.shape + (Z.shape[-1],))
    return f, D, dD


def chunked(fn, Z, chunk=_CHUNK):
    """Apply a jitted ``fn`` to Z (n, d) in chunks of one shape (the last one padded), so it
    compiles once; returns its outputs concatenated, as float64 numpy arrays."""
    Z = np.asarray(Z, np.float32)
    n = len(Z)
    size = min(chunk, max(n, 1))
    out = []
    for s in range(0, max(n, 1), size):
        Zc = Z[s:s + size]
        m = len(Zc)
        if m < size:
            Zc = np.concatenate([Zc, np.repeat(Zc[-1:] if m else np.zeros((1, Z.shape[1]), np.float32), size - m, 0)])
        res = fn(jnp.asarray(Zc))
        out.append([np.asarray(a, np.float64)[:m] for a in (res if isinstance(res, tuple) else (res,))])
    parts = [np.concatenate(p) for p in zip(*out)]
    return tuple(parts) if len(parts) > 1 else parts[0]


def fields(target, Z, u=None, *, derivatives: bool = True):
    """Drift f (n, d), diffusion D (n, d, d) and its derivatives dD[..., k, l, m] = d_m D_kl
    (n, d, d, d; zeros when D is constant) at points Z (n, d), all float64."""
    u = jnp.asarray(check_input(target, u))
    derivatives = bool(derivatives) and not target.constant_diffusion
    return chunked(lambda Zc: _fields(target, Zc, u, derivatives=derivatives), Z)

