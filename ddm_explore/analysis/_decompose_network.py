"""Network decomposition by irreversibility, J = J_rev + J_irr (METHOD.md section 5e)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import xarray as xr

from .._checks import check_positive
from .._system import check_network
from .._threads import one_blas_thread
from ..matching._closed_form import ridge_solve
from ..network._network import Network, firing_rates
from ._connectivity import asymmetry_index
from ._fields import check_input
from ._grid import check_grid_dim
from ._irreversibility import irreversibility


GAUGE = " (depends on the ridge: J_irr is fixed only up to the features' null space)"


def _weighted_rel_error(p, a, b) -> float:
    den = np.sum(p[..., None] * b**2)
    return float(np.sqrt(np.sum(p[..., None] * (a - b) ** 2) / den)) if den > 0 else float("nan")


def _f32(a):
    return jnp.asarray(a, jnp.float32)


@one_blas_thread
def decompose_network(net: Network, *, region=None, n_grid: int | None = None, u=None, ridge: float = 1e-7,
                      weight_floor: float = 1e-3, alphas=(0.0, 0.5, 1.0)):
    """Split a network's connectivity into a reversible and an irreversible part, ``J = J_rev + J_irr``.

    The network's latent SDE is decomposed on a grid (:func:`irreversibility`, d <= 2) into
    ``f_net = f_rev + f_irr``. The irreversible drift is represented by a low-rank connectivity
    ``J_irr = M W_irr^T``: W_irr solves the ridge regression of ``f_irr`` on the network's own
    features ``phi(x0 + M z)`` (internal coordinates, float64, the solver of :func:`ddm_explore.fit`),
    over all grid cells weighted by ``max(p / mean(p), weight_floor)``, so the fit is accurate where
    the network spends its time while the tails stay constrained. Then ``J_rev = J - J_irr``
    (``W_rev = W - W_irr`` for a low-rank network): the identity ``J = J_rev + J_irr`` holds
    exactly, and ``W_rev`` is the fit of ``f_rev + z`` (minus the bias) to the same accuracy as
    W_irr fits f_irr. A network with J_rev alone has drift ~ f_rev: it is reversible, with the
    same stationary density and no current (the report measures both); ``scale_irreversible``
    dials the nonequilibrium drive back in. J_irr is generally not J_A: a reversible latent SDE
    can need an asymmetric J, and J_irr need not be antisymmetric.

    What depends on the ridge and what does not. The features of N neurons over a 2-D manifold are
    nearly collinear, so W_irr is fixed only up to their (numerical) null space: the ridge solution
    is the minimum-norm W_irr among those that fit f_irr as well as it does (residual ``eps_irr``),
    and its norm, hence ``norm_ratio_irr``, ``alignment_irr_A`` and the asymmetry indices of J_rev
    and J_irr, move with the ridge (on the 4-well ring at N = 256: ||J_irr|| / ||J|| = 0.57, 0.21,
    0.11 at ridge 1e-9, 1e-7, 1e-5). What the network does does not: the fields J_irr and J_rev
    produce on the manifold (``f_irr_network``, ``f_rev_network``) and the entropy production of
    ``J_rev + alpha J_irr`` (``entropy_production_scaled``) are the same at any ridge small enough
    for the fit (tests/test_decompositions.py). Quote those; quote a connectivity norm only with
    its ridge.

    Parameters
    ----------
    net : Network
        d <= 2 (the grid route).
    region, n_grid, u
        As for :func:`irreversibility` (default: the fitted region, 100 cells per dimension in 2-D).
    ridge : float
        Ridge penalty of the regression (relative to features of unit scale).
    weight_floor : float
        Smallest relative weight of a grid cell in the regression.
    alphas : sequence of float
        The scales alpha at which e_p of ``J_rev + alpha J_irr`` is reported (grid route; 0 is
        net_rev, 1 is J itself).

    Returns
    -------
    net_rev : Network
        J_rev alone (low rank if ``net`` is; "full" otherwise); same embedding, bias, inputs, noise.
    net_irr : Network
        The container of J_irr (same fields otherwise); its dynamics are not meaningful alone.
    report : xarray.Dataset
        ``J_rev``, ``J_irr`` (post, pre) and ``W_irr`` (neuron, latent); scalars: asymmetry indices of
        J, J_rev and J_irr, ``alignment_irr_A`` (Frobenius cosine between J_irr and J_A),
        ``norm_ratio_irr`` ``||J_irr|| / ||J||``, ``eps_irr`` and ``eps_rev`` (p-weighted relative errors
        of the fitted f_irr and of net_rev's drift against f_rev), ``entropy_production`` of net and
        ``entropy_production_rev`` of net_rev, ``density_distance`` (total variation between their
        stationary densities); ``entropy_production_scaled`` (alpha), e_p of ``J_rev + alpha J_irr``;
        the fields ``p``, ``p_rev``, ``f_rev``, ``f_irr`` on the grid and the drifts the split
        produces there, ``f_irr_network`` (``M^T J_irr phi / N``, user units) and
        ``f_rev_network`` (net_rev's drift). The ridge in attrs; the ridge-dependent scalars say so
        in their ``long_name``.

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> net, _ = ddm.fit(ddm.systems.ornstein_uhlenbeck(w=1.0), 32, key=jax.random.key(0), progress=False)
    >>> net_rev, net_irr, rep = ddm.analysis.decompose_network(net, n_grid=30)
    >>> bool(rep.entropy_production_rev < 0.05 * rep.entropy_production)
    True
    >>> net_half = ddm.analysis.scale_irreversible(net_rev, net_irr, 0.5)  # half the drive
    """
    check_network("net", net)
    check_grid_dim("net", net, "decompose_network")
    u = check_input(net, u)
    ridge = check_positive("ridge", ridge, allow_zero=True)
    weight_floor = check_positive("weight_floor", weight_floor, allow_zero=True)
    ds = irreversibility(net, "grid", region=region, n_grid=n_grid, u=u)
    d, N = net.dim, net.n_neurons
    Z = np.stack(np.meshgrid(*[ds[f"z{i}"].values for i in range(d)], indexing="ij"), axis=-1)
    p = ds.p.values
    scale = np.asarray(net.scale, np.float64)
    zi = (Z.reshape(-1, d) - np.asarray(net.centre, np.float64)) / scale
    M = np.asarray(net.M, np.float64)
    Phi = firing_rates(np.asarray(net.x0, np.float64) + zi @ M.T, nonlinearity=net.nonlinearity)
    f_irr_int = ds.f_irr.values.reshape(-1, d) / scale
    w = np.maximum(p / p.mean(), weight_floor)
    # the outermost cells hold the walls' boundary layer (zero normal current): not f_irr of the
    # process on the whole space, so they are left out of the regression
    inner = np.zeros_like(w)
    inner[(slice(1, -1),) * d] = 1.0
    w = (w * inner).ravel()
    sw = np.sqrt(w / w.mean())[:, None]
    W_irr = ridge_solve(Phi * sw, f_irr_int * sw, ridge, N)

    J = np.asarray(net.J, np.float64)
    J_irr = M @ W_irr.T
    if net.W is not None:
        W_rev = np.asarray(net.W, np.float64) - W_irr
        net_rev = net.replace(W=_f32(W_rev))
        net_irr = net.replace(W=_f32(W_irr))
        J_rev = M @ W_rev.T
    else:
        J_rev = J - J_irr
        net_rev = net.replace(W=None, J_full=_f32(J_rev), connectivity="full")
        net_irr = net.replace(W=None, J_full=_f32(J_irr), connectivity="full")
    net_rev = net_rev.replace(name=f"{net.name} (J_rev)")
    net_irr = net_irr.replace(name=f"{net.name} (J_irr)")

    fitted_irr = (Phi @ W_irr) * scale
    eps_irr = _weighted_rel_error(p.ravel(), fitted_irr, ds.f_irr.values.reshape(-1, d))
    rev = irreversibility(net_rev, "grid", region=region, n_grid=n_grid, u=u)
    f_rev_net = rev.f.values.reshape(-1, d)
    eps_rev = _weighted_rel_error(p.ravel(), f_rev_net, ds.f_rev.values.reshape(-1, d))
    vol = float(np.prod([float(ds[f"z{i}"][1] - ds[f"z{i}"][0]) for i in range(d)]))
    tv = 0.5 * float(np.sum(np.abs(rev.p.values - p)) * vol)
    alphas, ep_scaled = _scaled_entropy_production(net_rev, net_irr, alphas, (rev, ds), region=region, n_grid=n_grid, u=u)
    J_A = 0.5 * (J - J.T)
    nA, nI = np.linalg.norm(J_A), np.linalg.norm(J_irr)
    align = float(np.sum(J_irr * J_A) / (nA * nI)) if nA > 0 and nI > 0 else float("nan")
    pp = ("post", "pre")
    gd = tuple(f"z{i}" for i in range(d))
    report = xr.Dataset(
        dict(J_rev=(pp, J_rev, dict(long_name="reversible connectivity J - J_irr")),
             J_irr=(pp, J_irr, dict(long_name="irreversible connectivity M W_irr^T, W_irr the minimum-norm fit at "
                                              "residual eps_irr" + GAUGE)),
             W_irr=(("neuron", "latent"), W_irr, dict(long_name="readout weights of f_irr (internal units)")),
             asymmetry=((), asymmetry_index(J), dict(long_name="||J_A|| / ||J|| of J")),
             asymmetry_rev=((), asymmetry_index(J_rev), dict(long_name="||J_A|| / ||J|| of J_rev" + GAUGE)),
             asymmetry_irr=((), asymmetry_index(J_irr), dict(long_name="||J_A|| / ||J|| of J_irr" + GAUGE)),
             alignment_irr_A=((), align, dict(long_name="<J_irr, J_A>_F / (||J_irr|| ||J_A||)" + GAUGE)),
             norm_ratio_irr=((), float(nI / np.linalg.norm(J)) if np.linalg.norm(J) > 0 else float("nan"),
                             dict(long_name="||J_irr||_F / ||J||_F" + GAUGE)),
             eps_irr=((), eps_irr, dict(long_name="p-weighted relative error of the fitted f_irr")),
             eps_rev=((), eps_rev, dict(long_name="p-weighted relative error of net_rev's drift against f_rev")),
             entropy_production=((), float(ds.entropy_production), dict(long_name="e_p of net", units="1 / tau")),
             entropy_production_rev=((), float(rev.entropy_production), dict(long_name="e_p of net_rev", units="1 / tau")),
             density_distance=((), tv, dict(long_name="total variation distance between the stationary densities of net and net_rev")),
             p=ds.p, p_rev=(gd, rev.p.values, dict(long_name="stationary density of net_rev")),
             entropy_production_scaled=(("alpha",), ep_scaled, dict(long_name="e_p of J_rev + alpha J_irr", units="1 / tau")),
             f_rev=ds.f_rev, f_irr=ds.f_irr,
             f_irr_network=(gd + ("latent",), fitted_irr.reshape(ds.f_irr.shape), dict(
                 long_name="drift J_irr produces on the manifold, M^T J_irr phi / N", units="latent units / tau")),
             f_rev_network=(gd + ("latent",), rev.f.values, dict(long_name="drift of net_rev (J_rev alone)",
                                                               units="latent units / tau"))),
        coords=dict(post=np.arange(N), pre=np.arange(N), neuron=np.arange(N), latent=np.arange(d), alpha=alphas,
                    **{c: ds[c].values for c in gd}),
        attrs=dict(network=net.name, n_neurons=N, dim=d, connectivity=net.connectivity, ridge=ridge,
                   weight_floor=weight_floor, n_grid=ds.attrs["n_grid"], region_low=ds.attrs["region_low"],
                   region_high=ds.attrs["region_high"], u=ds.attrs["u"]))
    return net_rev, net_irr, report


def _scaled_entropy_production(net_rev, net_irr, alphas, known, **grid):
    """The alphas as floats and the grid e_p of ``J_rev + alpha J_irr`` for each (alpha = 0 and 1 from
    the grid results ``known`` of net_rev and net)."""
    alphas = [float(a) for a in np.atleast_1d(np.asarray(alphas, np.float64))]
    if not alphas or not np.all(np.isfinite(alphas)):
        raise ValueError(f"`alphas` must be a non-empty sequence of finite numbers, got {alphas}")
    ep = [float(known[0].entropy_production) if a == 0.0 else float(known[1].entropy_production) if a == 1.0 else
          float(irreversibility(scale_irreversible(net_rev, net_irr, a), "grid", **grid).entropy_production) for a in alphas]
    return alphas, ep


def scale_irreversible(net_rev: Network, net_irr: Network, alpha: float) -> Network:
    """The network with connectivity ``J_rev + alpha J_irr``: alpha = 0 reversible, 1 the original.

    Parameters
    ----------
    net_rev, net_irr : Network
        The pair returned by :func:`decompose_network`.
    alpha : float
        Scale of the irreversible part (any real number; negative reverses the current).

    Returns
    -------
    Network

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> net, _ = ddm.fit(ddm.systems.ornstein_uhlenbeck(w=1.0), 32, key=jax.random.key(0), progress=False)
    >>> net_rev, net_irr, _ = ddm.analysis.decompose_network(net, n_grid=16)
    >>> back = ddm.analysis.scale_irreversible(net_rev, net_irr, 1.0)
    >>> bool(abs(back.J - net.J).max() < 1e-5)
    True
    """
    check_network("net_rev", net_rev)
    check_network("net_irr", net_irr)
    if net_rev.M.shape != net_irr.M.shape or not bool(np.allclose(np.asarray(net_rev.M), np.asarray(net_irr.M))):
        raise ValueError("`net_rev` and `net_irr` must share their embedding M (both from one decompose_network call)")
    alpha = float(alpha)
    if not np.isfinite(alpha):
        raise ValueError(f"`alpha` must be finite, got {alpha}")
    name = net_rev.name.replace(" (J_rev)", "") + f" (J_rev + {alpha:g} J_irr)"
    if net_rev.W is not None and net_irr.W is not None:
        return net_rev.replace(W=net_rev.W + alpha * net_irr.W, name=name)
    return net_rev.replace(W=None, J_full=net_rev.J + alpha * net_irr.J, connectivity="full", name=name)
