"""Drift of an SDE or a network's latent SDE on the grid of :mod:`._grid`, as xarray (for maps and panels)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._checks import _show
from .._system import check_network, check_sde
from .._system import check_system
from ._fields import check_input, fields
from ._grid import grid_axes, grid_coords, grid_points, grid_region


def _grid(target, n_grid, region):
    """Axes, cell-centre points (n, d) and the box of the grid of ``target``."""
    if target.dim > 2:
        raise ValueError(f"a drift grid needs a latent dimension d <= 2, got d={target.dim} for `target` ({_show(target)})")
    low, high = grid_region(target, region)
    axes = grid_axes(low, high, n_grid)
    return axes, grid_points(axes).reshape(-1, target.dim), (low, high)


def _drift_at(target, Z, u):
    """The drift f (n, d) at points Z (n, d): jitted and chunked by :func:`fields`, whose
    parameters are traced, so a new parameter value reuses the compiled program."""
    f, _, _ = fields(target, Z, u, derivatives=False)
    return f


def _dataset(axes, values, name, attrs, target, box, n_grid, u):
    coords = grid_coords(axes)
    dims = tuple(f"z{i}" for i in range(len(axes))) + ("latent",)
    ds = xr.Dataset({name: (dims, values.reshape(tuple(len(a) for a in axes) + (len(axes),)), attrs)}, coords=coords)
    ds.attrs.update(**target.describe(), n_grid=int(n_grid), u=str(u.tolist()),
                    region_low=np.asarray(box[0]).tolist(), region_high=np.asarray(box[1]).tolist())
    return ds


def drift_field(target, n_grid: int = 21, *, region=None, u=None) -> xr.Dataset:
    """The latent drift f(z, u) of an SDE or a network at the cell centres of a grid over a box (d = 1 or 2).

    The grid is that of every field on a box (:func:`irreversibility` with ``method="grid"``,
    :func:`decompose_connectivity`): ``n_grid`` cells per dimension, evaluated at their centres.

    Parameters
    ----------
    target : SDE or Network
    n_grid : int
        Grid cells per dimension (>= 3).
    region : (low, high), optional
        The box; default ``target.region`` (a network's: the region it was fitted on).
    u : (k,) array, optional
        A constant input (default zero).

    Returns
    -------
    xarray.Dataset
        ``drift`` (z0[, z1], latent): the components of f at each cell centre.

    Examples
    --------
    >>> import ddm_explore as ddm
    >>> ds = ddm.analysis.drift_field(ddm.systems.van_der_pol(), 5)
    >>> ds.drift.dims, ds.drift.shape
    (('z0', 'z1', 'latent'), (5, 5, 2))
    >>> ds.z1.values.round(6).tolist()  # the centres of 5 cells on [-3, 3]
    [-2.4, -1.2, 0.0, 1.2, 2.4]
    >>> ds.drift.sel(z0=0.0, z1=1.2, method="nearest").values.round(6).tolist()  # (z2, mu (1 - z1^2) z2 - z1)
    [1.2, 1.2]
    """
    check_system("target", target)
    axes, Z, box = _grid(target, n_grid, region)
    u = check_input(target, u)
    f = _drift_at(target, Z, u)
    return _dataset(axes, f, "drift", dict(long_name="latent drift f(z, u)", units="latent units / tau"), target, box, n_grid, u)


def drift_error_field(net, target, n_grid: int = 21, *, region=None, u=None) -> xr.Dataset:
    """Drift of a network and of its target on one grid, and their relative error map.

    ``error(z) = |f_net(z) - f(z)| / sqrt(mean_grid |f|^2)``: the grid's analogue of eps_f
    (METHOD.md section 3), so ``sqrt(mean(error^2))`` is eps_f on the grid. The grid is that of
    :func:`drift_field`.

    Parameters
    ----------
    net : Network
    target : SDE
    n_grid : int
        Grid cells per dimension (>= 3).
    region : (low, high), optional
        Default: the target's region.
    u : (k,) array, optional
        The target's input (default: zero). A network without inputs (e.g. one learnt from a
        recording made at one input) is compared at its own drift, with the target's at ``u``;
        a network whose inputs differ in number from the target's in any other way is refused.

    Returns
    -------
    xarray.Dataset
        ``drift_target``, ``drift_network`` (z0[, z1], latent) and ``error`` (z0[, z1]); attrs
        ``eps_f_grid``.

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> sde = ddm.systems.van_der_pol()
    >>> net, _ = ddm.fit(sde, 64, key=jax.random.key(0))
    >>> ds = ddm.analysis.drift_error_field(net, sde, 5)
    >>> ds.error.dims, bool(ds.attrs["eps_f_grid"] < 0.1)
    (('z0', 'z1'), True)
    """
    check_network("net", net)
    check_sde("target", target)
    if net.dim != target.dim:
        raise ValueError(f"`net` has latent dimension {net.dim} but `target` has {target.dim}")
    if net.input_dim not in (0, target.input_dim):
        raise ValueError(f"`net` takes {net.input_dim} inputs but `target` takes {target.input_dim}: "
                         f"a network is compared with its own target (or, without inputs, at the target's `u`)")
    axes, Z, box = _grid(target, n_grid, region)
    u = check_input(target, u)
    f = _drift_at(target, Z, u)
    fn = _drift_at(net, Z, u if net.input_dim else check_input(net, None))
    scale = float(np.sqrt(np.mean(np.sum(f**2, -1)))) or 1.0
    err = np.sqrt(np.sum((fn - f) ** 2, -1)) / scale
    ds = _dataset(axes, f, "drift_target", dict(long_name="target drift", units="latent units / tau"), target, box, n_grid, u)
    ds["drift_network"] = (ds.drift_target.dims, fn.reshape(ds.drift_target.shape), dict(long_name="network drift", units="latent units / tau"))
    ds["error"] = (ds.drift_target.dims[:-1], err.reshape(ds.drift_target.shape[:-1]), dict(long_name="relative drift error |f_net - f| / rms|f|"))
    ds.attrs["eps_f_grid"] = float(np.sqrt(np.mean(err**2)))
    ds.attrs["n_neurons"] = net.n_neurons
    return ds
