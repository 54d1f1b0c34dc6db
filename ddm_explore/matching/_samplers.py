"""Sampling measures rho of latent points for drift–diffusion matching (METHOD.md section 3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from .._checks import as_array, check_int, check_key, check_region


@dataclass(frozen=True)
class Sampler:
    """A sampling measure: ``sample(key, n) -> (n, d)`` and the box ``extent`` that the network's
    embedding is scaled to."""

    kind: str
    dim: int
    extent: tuple
    draw: Callable

    def sample(self, key, n: int) -> jax.Array:
        key = check_key("key", key)
        n = check_int("n", n)
        return self.draw(key, n)

    def describe(self) -> str:
        low, high = self.extent
        return f"{self.kind} over [{', '.join(f'{a:.3g}' for a in low)}] .. [{', '.join(f'{b:.3g}' for b in high)}]"


def box(low, high) -> Sampler:
    """Uniform measure on the box [low, high] (two length-d sequences).

    >>> box([-1, -2], [1, 2]).sample(jax.random.key(0), 3).shape
    (3, 2)
    """
    low_a = as_array("low", low)
    dim = max(low_a.size, 1)
    lo, hi = check_region("(low, high)", (low, high), dim)
    lo_j, hi_j = jnp.asarray(lo, jnp.float32), jnp.asarray(hi, jnp.float32)
    return Sampler("box", dim, (lo, hi),
                   lambda key, n: jax.random.uniform(key, (n, dim), minval=lo_j, maxval=hi_j))


def gaussian(mean, std) -> Sampler:
    """Gaussian measure N(mean, diag(std^2)); the embedding is scaled to mean +- 2.5 std.

    >>> gaussian([0.0], [2.0]).extent[1].tolist()
    [5.0]
    """
    mean_a = as_array("mean", mean, ndim=1)
    std_a = as_array("std", std, ndim=1)
    if std_a.shape != mean_a.shape:
        raise ValueError(f"`std` must have the shape of `mean` {mean_a.shape}, got {std_a.shape}")
    if np.any(std_a <= 0):
        raise ValueError(f"`std` must be > 0 in every dimension, got {std_a.tolist()}")
    m_j, s_j = jnp.asarray(mean_a, jnp.float32), jnp.asarray(std_a, jnp.float32)
    dim = mean_a.size
    return Sampler("gaussian", dim, (mean_a - 2.5 * std_a, mean_a + 2.5 * std_a),
                   lambda key, n: m_j + s_j * jax.random.normal(key, (n, dim)))


def occupation(points) -> Sampler:
    """Occupation measure of trajectories: draws (with replacement) from recorded states.

    Parameters
    ----------
    points : xarray.Dataset from :func:`ddm_explore.simulate`, its ``"z"`` DataArray
        (trial, time, latent), or an (n, d) array.
    """
    if isinstance(points, xr.Dataset):
        if "z" not in points:
            raise ValueError(f"`points` Dataset must hold a 'z' variable, got variables {list(points.data_vars)}")
        points = points["z"]
    if xr is not None and isinstance(points, xr.DataArray):
        if "latent" not in points.dims:
            raise ValueError(f"`points` DataArray must have a 'latent' dimension, got dims {points.dims}")
        points = points.transpose(..., "latent").values.reshape(-1, points.sizes["latent"])
    arr = as_array("points", points, ndim=2)
    if arr.shape[0] < 2:
        raise ValueError(f"`points` must hold at least 2 states, got shape {arr.shape}")
    lo, hi = arr.min(axis=0), arr.max(axis=0)
    if np.any(hi <= lo):
        raise ValueError(f"`points` must span a non-degenerate region in every latent dimension, got min {lo.tolist()} and max {hi.tolist()}")
    pts = jnp.asarray(arr, jnp.float32)
    return Sampler("occupation", arr.shape[1], (lo, hi),
                   lambda key, n: pts[jax.random.randint(key, (n,), 0, pts.shape[0])])
