"""Drift of an SDE or a network's latent SDE on a regular grid, as xarray (for maps and panels)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from .._checks import _show, as_array, check_int, check_region
from ..network._network import Network
from ..sdes._sde import SDE


def _grid(target, n_grid, region):
    if not isinstance(target, (SDE, Network)):
        raise ValueError(f"`target` must be a ddm.SDE or a fitted Network, got {_show(target)}")
    if target.dim > 2:
        raise ValueError(f"a drift grid needs a latent dimension d <= 2, got d={target.dim} for `target` ({_show(target)})")
    n = check_int("n_grid", n_grid, minimum=2)
    low, high = check_region("region", target.region if region is None else region, target.dim)
    axes = [np.linspace(lo, hi, n) for lo, hi in zip(low, high)]
    Z = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, target.dim)
    return axes, Z


def _drift_at(target, Z, u):
    """Evaluated op by op (not jitted): a new parameter value costs no compilation."""
    Z = jnp.asarray(Z, jnp.float32)
    k = target.input_dim
    U = jnp.broadcast_to(jnp.asarray(np.zeros(k) if u is None else as_array("u", u, shape=(k,)), jnp.float32), (Z.shape[0], k))
    if isinstance(target, Network):
        return np.asarray(target.latent_drift(Z, U), np.float64)
    return np.asarray(jax.vmap(target.latent_drift)(Z, U), np.float64)


def _dataset(axes, values, name, attrs, target, n_grid, u):
    d = len(axes)
    dims = tuple(f"grid_{i}" for i in range(d))
    coords = {f"grid_{i}": (f"grid_{i}", a, dict(units="latent units", long_name=f"z{i + 1}")) for i, a in enumerate(axes)}
    coords["latent"] = np.arange(d)
    ds = xr.Dataset({name: (dims + ("latent",), values.reshape(tuple(len(a) for a in axes) + (d,)), attrs)}, coords=coords)
    ds.attrs.update(system=getattr(target, "name", ""), n_grid=int(n_grid),
                    u=str(np.zeros(target.input_dim).tolist() if u is None else np.asarray(u).tolist()))
    if isinstance(target, SDE):
        ds.attrs["system_params"] = str(target.params)
    return ds


def drift_field(target, n_grid: int = 21, *, region=None, u=None) -> xr.Dataset:
    """The latent drift f(z, u) of an SDE or a network on a regular grid over a box (d = 1 or 2).

    Parameters
    ----------
    target : SDE or Network
    n_grid : int
        Grid points per dimension (>= 2), end points included.
    region : (low, high), optional
        The box; default ``target.region`` (a network's: the region it was fitted on).
    u : (k,) array, optional
        A constant input (default zero).

    Returns
    -------
    xarray.Dataset
        ``drift`` (grid_0[, grid_1], latent): the components of f at each grid point.

    Examples
    --------
    >>> import ddm_explore as ddm
    >>> ds = ddm.analysis.drift_field(ddm.systems.van_der_pol(), 5)
    >>> ds.drift.dims, ds.drift.shape
    (('grid_0', 'grid_1', 'latent'), (5, 5, 2))
    >>> ds.drift.sel(grid_0=0.0, grid_1=1.5).values.tolist()
    [1.5, 1.5]
    """
    axes, Z = _grid(target, n_grid, region)
    f = _drift_at(target, Z, u)
    return _dataset(axes, f, "drift", dict(long_name="latent drift f(z, u)", units="latent units / tau"), target, n_grid, u)


def drift_error_field(net, target, n_grid: int = 21, *, region=None, u=None) -> xr.Dataset:
    """Drift of a network and of its target on one grid, and their relative error map.

    ``error(z) = |f_net(z) - f(z)| / sqrt(mean_grid |f|^2)``: the grid's analogue of eps_f
    (METHOD.md section 3), so ``sqrt(mean(error^2))`` is eps_f on the grid.

    Parameters
    ----------
    net : Network
    target : SDE
    n_grid : int
    region : (low, high), optional
        Default: the target's region.
    u : (k,) array, optional

    Returns
    -------
    xarray.Dataset
        ``drift_target``, ``drift_network`` (grid..., latent) and ``error`` (grid...); attrs
        ``eps_f_grid``.

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> sde = ddm.systems.van_der_pol()
    >>> net, _ = ddm.fit(sde, 64, key=jax.random.key(0))
    >>> ds = ddm.analysis.drift_error_field(net, sde, 5)
    >>> ds.error.dims, bool(ds.attrs["eps_f_grid"] < 0.1)
    (('grid_0', 'grid_1'), True)
    """
    if not isinstance(net, Network):
        raise ValueError(f"`net` must be a fitted Network, got {_show(net)}")
    if not isinstance(target, SDE):
        raise ValueError(f"`target` must be a ddm.SDE, got {_show(target)}")
    if net.dim != target.dim:
        raise ValueError(f"`net` has latent dimension {net.dim} but `target` has {target.dim}")
    axes, Z = _grid(target, n_grid, region)
    f = _drift_at(target, Z, u)
    fn = _drift_at(net, Z, u)
    scale = float(np.sqrt(np.mean(np.sum(f**2, -1)))) or 1.0
    err = np.sqrt(np.sum((fn - f) ** 2, -1)) / scale
    ds = _dataset(axes, f, "drift_target", dict(long_name="target drift", units="latent units / tau"), target, n_grid, u)
    ds["drift_network"] = (ds.drift_target.dims, fn.reshape(ds.drift_target.shape), dict(long_name="network drift", units="latent units / tau"))
    ds["error"] = (ds.drift_target.dims[:-1], err.reshape(ds.drift_target.shape[:-1]), dict(long_name="relative drift error |f_net - f| / rms|f|"))
    ds.attrs["eps_f_grid"] = float(np.sqrt(np.mean(err**2)))
    ds.attrs["n_neurons"] = net.n_neurons
    return ds
