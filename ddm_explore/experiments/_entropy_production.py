"""Entropy production against the nonequilibrium strength c: the target's and that of a network fitted at each c."""

from __future__ import annotations

import jax
import numpy as np
import xarray as xr

from .._checks import _show, as_array, check_int, check_key
from ..analysis import asymmetry_index, irreversibility
from ..matching import fit
from .._system import is_sde


def _entropy_production_vs_current(factory, cs, *, key, n_neurons, n_grid, fit_networks, fit_kwargs):
    """The Dataset of :func:`entropy_production_vs_current` and the networks it fitted (in c order)."""
    if not callable(factory):
        raise ValueError(f"`factory` must be a callable c -> ddm.SDE, got {_show(factory)}")
    key = check_key("key", key)
    cs = as_array("cs", cs, ndim=1)
    if cs.size == 0:
        raise ValueError("`cs` must hold at least one value of c, got an empty sequence")
    n_neurons = check_int("n_neurons", n_neurons, minimum=2)
    n_grid = check_int("n_grid", n_grid, minimum=3)
    ep_t, ep_n, asym, nets = [], [], [], []
    for i, c in enumerate(cs.tolist()):
        sde = factory(c=c)
        if not is_sde(sde):
            raise ValueError(f"`factory` must return a ddm.SDE, got {type(sde).__name__} for c = {c}")
        ep_t.append(float(irreversibility(sde, n_grid=n_grid).entropy_production))
        if fit_networks:
            net, _ = fit(sde, n_neurons, key=jax.random.fold_in(key, i), progress=False, **(fit_kwargs or {}))
            ep_n.append(float(irreversibility(net, n_grid=n_grid).entropy_production))
            asym.append(asymmetry_index(np.asarray(net.J, np.float64)))
            nets.append(net)
        else:
            ep_n.append(np.nan)
            asym.append(np.nan)
    ds = xr.Dataset(
        dict(entropy_production_target=("c", ep_t, dict(long_name="e_p of the target", units="1/tau")),
             entropy_production_network=("c", ep_n, dict(long_name="e_p of a network fitted at each c", units="1/tau")),
             asymmetry=("c", asym, dict(long_name="||J_A||_F / ||J||_F of each fitted network"))),
        coords=dict(c=cs.tolist()),
        attrs=dict(n_neurons=n_neurons if fit_networks else 0, n_grid=n_grid, networks=int(fit_networks)))
    return ds, nets


def entropy_production_vs_current(factory, cs, *, key, n_neurons: int = 256, n_grid: int = 80,
                                  fit_networks: bool = True, fit_kwargs=None) -> xr.Dataset:
    """Entropy production of a target family against its nonequilibrium strength c, and of networks fitted to it.

    For every c the target ``factory(c=c)`` is built and the grid route of
    :func:`ddm_explore.analysis.irreversibility` gives its entropy production; with
    ``fit_networks`` a network is fitted to it (``ddm.fit(target, n_neurons, key=fold_in(key, i),
    **fit_kwargs)`` for the i-th c) and measured the same way.

    Parameters
    ----------
    factory : callable
        ``factory(c=c) -> SDE`` of dimension d <= 2, e.g.
        ``lambda c: ddm.systems.ring_wells(c=c, D=0.1, current="potential")``.
    cs : 1-D sequence of float
        The values of c.
    key : PRNG key
        Fit keys are folded from it.
    n_neurons : int
    n_grid : int
        Cells per dimension of the Fokker–Planck grid.
    fit_networks : bool
        Fit and measure a network at every c (default); without, the network's values are NaN.
    fit_kwargs : dict, optional
        Passed to ``ddm.fit``.

    Returns
    -------
    xarray.Dataset
        ``entropy_production_target``, ``entropy_production_network`` and ``asymmetry``
        (||J_A|| / ||J|| of each network) over ``c``; sizes in attrs.

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> ds = ddm.experiments.entropy_production_vs_current(
    ...     lambda c: ddm.systems.ornstein_uhlenbeck(w=c, s=0.5), [0.0, 1.0], key=jax.random.key(0),
    ...     n_grid=40, fit_networks=False)
    >>> ds.entropy_production_target.dims, bool(ds.entropy_production_target[0] < 1e-6)
    (('c',), True)
    """
    ds, _ = _entropy_production_vs_current(factory, cs, key=key, n_neurons=n_neurons, n_grid=n_grid,
                                           fit_networks=fit_networks, fit_kwargs=fit_kwargs)
    return ds
