"""Symmetric and antisymmetric parts of a network's connectivity and their drift fields
(METHOD.md section 5c)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import xarray as xr

from .._checks import check_int
from .._threads import one_blas_thread
from .._system import check_network
from ..network._network import Network, firing_rates
from ._fields import check_input
from ._grid import grid_axes, grid_coords, grid_points, grid_region


def asymmetry_index(J) -> float:
    """``||J_A||_F / ||J||_F`` with ``J_A = (J - J^T) / 2``: 0 for symmetric, 1 for antisymmetric J."""
    J = np.asarray(J, np.float64)
    norm = np.linalg.norm(J)
    return float(np.linalg.norm(0.5 * (J - J.T)) / norm) if norm > 0 else 0.0


def connectivity_drifts(net: Network, z, u=None):
    """Latent drift contributions of J_S and J_A at user points z (n, d), in user units.

    Returns ``(f_rest, f_S, f_A)`` with ``f_S = M^T J_S phi / N``, ``f_A = M^T J_A phi / N``
    (scaled to user coordinates) and ``f_rest`` the leak, bias and input terms
    ``-z + M^T (b + B u) / N``, so that ``f_net = f_rest + f_S + f_A``.
    """
    z = np.asarray(z, np.float64)
    M = np.asarray(net.M, np.float64)
    J = np.asarray(net.J, np.float64)
    N = net.n_neurons
    scale = np.asarray(net.scale, np.float64)
    centre = np.asarray(net.centre, np.float64)
    zi = (z - centre) / scale
    r = firing_rates(np.asarray(net.x0, np.float64) + zi @ M.T, nonlinearity=net.nonlinearity)
    JS, JA = 0.5 * (J + J.T), 0.5 * (J - J.T)
    ext = np.asarray(net.b, np.float64)
    if net.input_dim:
        ext = ext + np.asarray(u, np.float64) @ np.asarray(net.B, np.float64).T
    f_rest = scale * (-zi + ext @ M / N)
    f_S = scale * ((r @ JS.T) @ M / N)
    f_A = scale * ((r @ JA.T) @ M / N)
    return f_rest, f_S, f_A


@one_blas_thread
def decompose_connectivity(net: Network, *, n_grid: int = 40, region=None, u=None) -> xr.Dataset:
    """Split a network's connectivity into symmetric and antisymmetric parts (METHOD.md 5c).

    ``J_S = (J + J^T) / 2`` and ``J_A = (J - J^T) / 2``; their latent drift contributions on the
    manifold ``f_S = M^T J_S phi(x0 + M z) / N`` and ``f_A`` likewise (user coordinates), with
    ``f_net = f_rest + f_S + f_A`` (``f_rest = -z + M^T (b + B u) / N``); the asymmetry index
    ``||J_A||_F / ||J||_F``; the eigenvalues of J. A symmetric J gives the network an energy
    function: its deterministic dynamics settle to fixed points. Asymmetry is needed for
    currents, but it is not irreversibility: a low-rank ``J = M W^T`` is asymmetric even when the
    latent SDE it carries is reversible (compare :func:`decompose_network`).

    Parameters
    ----------
    net : Network
    n_grid : int
        Grid points per latent dimension for the drift fields (d <= 2; none for d > 2).
    region : (low, high), optional
        Box of the grid; default the region the network was fitted on.
    u : (k,) array, optional
        A constant input in ``f_rest`` (default zero).

    Returns
    -------
    xarray.Dataset
        ``J``, ``J_S``, ``J_A`` (post, pre); ``asymmetry`` (scalar); ``eigenvalues`` of J (mode,
        complex, by decreasing real part); for d <= 2 ``f``, ``f_rest``, ``f_S``, ``f_A``
        (z0[, z1], latent) on the grid.

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> net, _ = ddm.fit(ddm.systems.ornstein_uhlenbeck(w=1.0), 32, key=jax.random.key(0), progress=False)
    >>> ds = ddm.analysis.decompose_connectivity(net, n_grid=8)
    >>> ds.f_A.dims, 0 < float(ds.asymmetry) < 1
    (('z0', 'z1', 'latent'), True)
    """
    check_network("net", net)
    n_grid = check_int("n_grid", n_grid, minimum=3)
    u = check_input(net, u)
    J = np.asarray(net.J, np.float64)
    N = net.n_neurons
    JS, JA = 0.5 * (J + J.T), 0.5 * (J - J.T)
    ev = np.linalg.eigvals(J)
    ev = ev[np.lexsort((-ev.imag, -ev.real))]
    pp = ("post", "pre")
    data = dict(J=(pp, J, dict(long_name="connectivity J (post, pre)")),
                J_S=(pp, JS, dict(long_name="symmetric part (J + J^T) / 2")),
                J_A=(pp, JA, dict(long_name="antisymmetric part (J - J^T) / 2")),
                asymmetry=((), asymmetry_index(J), dict(long_name="||J_A||_F / ||J||_F")),
                eigenvalues=(("mode",), ev, dict(long_name="eigenvalues of J")))
    coords = dict(post=np.arange(N), pre=np.arange(N), mode=np.arange(N))
    attrs = dict(network=net.name, n_neurons=N, dim=net.dim, connectivity=net.connectivity, u=u.tolist())
    if net.dim <= 2:
        low, high = grid_region(net, region)
        axes = grid_axes(low, high, n_grid)
        Z = grid_points(axes)
        f_rest, f_S, f_A = (a.reshape(Z.shape) for a in connectivity_drifts(net, Z.reshape(-1, net.dim), u))
        f = np.asarray(net.latent_drift(Z.reshape(-1, net.dim), jnp.broadcast_to(u, (Z[..., 0].size, net.input_dim))),
                       np.float64).reshape(Z.shape)
        vd = tuple(f"z{i}" for i in range(net.dim)) + ("latent",)
        unit = "latent units / tau"
        data.update(f=(vd, f, dict(long_name="network latent drift", units=unit)),
                    f_rest=(vd, f_rest, dict(long_name="-z + M^T (b + B u) / N", units=unit)),
                    f_S=(vd, f_S, dict(long_name="M^T J_S phi / N", units=unit)),
                    f_A=(vd, f_A, dict(long_name="M^T J_A phi / N", units=unit)))
        coords.update(grid_coords(axes))
        attrs.update(n_grid=n_grid, region_low=np.asarray(low).tolist(), region_high=np.asarray(high).tolist())
    return xr.Dataset(data, coords=coords, attrs=attrs)
