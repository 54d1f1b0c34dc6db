"""The one grid of every field on a box (drift maps, error maps, irreversibility, decompositions):
``n_grid`` cells per dimension, evaluated at the cell centres, dimensions ``z0``, ``z1``, ..."""

from __future__ import annotations

import numpy as np

from .._checks import _show, check_int, check_region


def grid_region(target, region):
    """The box of a grid: ``region`` if given, else the SDE's region or the network's fitted one."""
    if region is None:
        region = target.region
    return check_region("region", region, target.dim)


def grid_axes(low, high, n_grid) -> list[np.ndarray]:
    """Cell centres of a uniform grid of ``n_grid`` cells per dimension over the box.

    Examples
    --------
    >>> [a.tolist() for a in grid_axes([-1.0], [1.0], 4)]
    [[-0.75, -0.25, 0.25, 0.75]]
    """
    n = check_int("n_grid", n_grid, minimum=3)
    return [lo + (hi - lo) * (np.arange(n) + 0.5) / n for lo, hi in zip(low, high)]


def grid_points(axes) -> np.ndarray:
    """All grid points (n_1, ..., n_d, d) of the axes, 'ij' indexing."""
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)


def grid_coords(axes) -> dict:
    """xarray coordinates z0, z1, ... of a grid (user units) plus the latent index."""
    coords = {f"z{i}": ((f"z{i}",), a, dict(units="latent units", long_name=f"latent coordinate z{i}")) for i, a in enumerate(axes)}
    coords["latent"] = np.arange(len(axes))
    return coords


def check_grid_dim(name: str, target, what: str):
    """A ValueError naming ``name`` when the target's latent dimension is above 2."""
    if target.dim > 2:
        raise ValueError(f"{what} needs a latent dimension d <= 2, got d={target.dim} for `{name}` "
                         f"({_show(target)}); use method='samples' for d > 2")
