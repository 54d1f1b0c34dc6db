"""Drift and diffusion of an SDE or a network's latent SDE at points (float64 out); grids are in _grid.py."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from .._checks import as_array
from ..network._network import Network
from ..sdes._sde import SDE

#: points evaluated per jitted call
_CHUNK = 16384


def check_system(name: str, target):
    """An SDE or a fitted Network, else a ValueError naming the argument."""
    if not isinstance(target, (SDE, Network)):
        raise ValueError(f"`{name}` must be a ddm.SDE or a fitted Network, got {type(target).__name__}")
    return target


def check_input(target, u) -> np.ndarray:
    """A constant input u (k,), default zeros."""
    k = target.input_dim
    if u is None:
        return np.zeros(k, np.float32)
    return as_array("u", u, shape=(k,)).astype(np.float32)


def constant_diffusion(target) -> bool:
    """True when D does not depend on z (an SDE with a constant loading, an additive-noise network)."""
    if isinstance(target, Network):
        return target.Gamma is None
    return target.has_constant_diffusion


def latent_sde(net: Network) -> SDE:
    """The latent SDE of a network on its manifold, ``dz = f_net(z, u) dt + g_net(z) dW``, as an SDE.

    Simulating it costs d dimensions instead of N; for a low-rank network with its noise in
    span(M) it is the same process as the network's readout.
    """
    if net.Gamma is None:  # additive noise: a constant loading, simulated without evaluating the rates
        diffusion = np.asarray(net.scale, np.float64)[:, None] * np.asarray(net.gamma0, np.float64)
    else:
        diffusion = _net_loading
    # the network is a traced parameter: latent SDEs of networks of one shape share compiled code
    return SDE(drift=_net_drift, diffusion=diffusion, dim=net.dim, noise_dim=net.dim, input_dim=net.input_dim,
               name=f"{net.name} (latent SDE)", region=net.region, theta=dict(net=net))


def _net_drift(z, u, p):
    return p["net"].latent_drift(z, u)


def _net_loading(z, p):
    return p["net"].noise_loading(z)


@partial(jax.jit, static_argnames=("derivatives",))
def _sde_fields(target, Z, u, *, derivatives):
    f = jax.vmap(lambda z: target.latent_drift(z, u))(Z)
    D = jax.vmap(target.latent_diffusion)(Z)
    dD = jax.vmap(jax.jacfwd(target.latent_diffusion))(Z) if derivatives else jnp.zeros(D.shape + (Z.shape[-1],))
    return f, D, dD


@partial(jax.jit, static_argnames=("derivatives",))
def _net_fields(net, Z, u, *, derivatives):
    f = jax.vmap(lambda z: net.latent_drift(z, u))(Z)
    D = jax.vmap(net.latent_diffusion)(Z)
    dD = jax.vmap(jax.jacfwd(net.latent_diffusion))(Z) if derivatives else jnp.zeros(D.shape + (Z.shape[-1],))
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
    derivatives = bool(derivatives) and not constant_diffusion(target)
    if isinstance(target, Network):
        return chunked(lambda Zc: _net_fields(target, Zc, u, derivatives=derivatives), Z)
    return chunked(lambda Zc: _sde_fields(target, Zc, u, derivatives=derivatives), Z)
