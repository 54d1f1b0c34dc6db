"""E5: decompositions: entropy production against c, and the fitted network's split J = J_rev + J_irr."""

from __future__ import annotations

import xarray as xr

from .._checks import check_positive
from ..analysis import decompose_network
from ..sdes import systems
from ._entropy_production import _entropy_production_vs_current


def e5_decompositions(*, key, n_neurons: int = 256, cs=(0.0, 0.5, 1.0), D: float = 0.1, n_grid: int = 80,
                      ep_difference_max: float = 0.1, reversible_ep_fraction_max: float = 0.01,
                      rev_only_ep_max: float = 0.05) -> xr.Dataset:
    """E5: entropy production against the nonequilibrium strength c, target and network, and the
    network's split ``J = J_rev + J_irr`` at the largest c.

    Target: four wells on a ring with ``f = -(I + c R) grad V`` (stationary density exp(-V/D) for
    every c, ``f_irr = -c R grad V``). :func:`entropy_production_vs_current` fits a low-rank network
    at each c and gives e_p of target and network (grid route of
    :func:`ddm_explore.analysis.irreversibility`). At the largest c,
    :func:`ddm_explore.analysis.decompose_network` splits the network; the J_rev-only network must be
    reversible (e_p near zero) with the same stationary density.

    Parameters
    ----------
    key : PRNG key
    n_neurons : int
    cs : sequence of float
        The values of c, the first one 0 (detailed balance) and the last one the largest.
    D : float
        Noise of the target.
    n_grid : int
        Cells per dimension of the Fokker–Planck grid.
    ep_difference_max : float
        Verdict: the network's e_p must be within this (relative) of the target's at every c where
        the target's is not negligible (above 1e-6 of the largest).
    reversible_ep_fraction_max : float
        Verdict: the target's e_p at the first c must be below this fraction of that at the last.
    rev_only_ep_max : float
        Verdict: the J_rev-only network's e_p must be at most this fraction of the full network's.

    Returns
    -------
    Dataset with ``entropy_production_target``, ``entropy_production_network``, ``asymmetry`` (c);
    ``J_rev``, ``J_irr`` of the network at the largest c and the scalars of its split: the
    ridge-free ``entropy_production_rev`` and ``entropy_production_half`` (J_rev + J_irr / 2), and
    ``norm_ratio_irr``, ``alignment_irr_A``, which depend on the ridge (in attrs); check line in attrs.
    """
    for name, value in (("ep_difference_max", ep_difference_max), ("reversible_ep_fraction_max", reversible_ep_fraction_max),
                        ("rev_only_ep_max", rev_only_ep_max)):
        check_positive(name, value)
    sweep, nets = _entropy_production_vs_current(lambda c: systems.ring_wells(c=c, D=D, current="potential"), cs,
                                                 key=key, n_neurons=n_neurons, n_grid=n_grid, fit_networks=True,
                                                 fit_kwargs=None)
    _, _, rep = decompose_network(nets[-1], n_grid=n_grid)
    ds = xr.merge([sweep, xr.Dataset(
        dict(J_rev=rep.J_rev, J_irr=rep.J_irr,
             entropy_production_rev=((), float(rep.entropy_production_rev)),
             density_distance_rev=((), float(rep.density_distance)),
             entropy_production_half=((), float(rep.entropy_production_scaled.sel(alpha=0.5)), dict(
                 long_name="e_p of J_rev + J_irr / 2 (does not depend on the ridge)", units="1/tau")),
             alignment_irr_A=((), float(rep.alignment_irr_A), rep.alignment_irr_A.attrs),
             norm_ratio_irr=((), float(rep.norm_ratio_irr), rep.norm_ratio_irr.attrs)))], combine_attrs="drop")
    ds.attrs = dict(n_neurons=n_neurons, D=D, n_grid=n_grid, target="4-well ring, -(I + cR) grad V",
                    ridge=rep.attrs["ridge"])
    ep_t, ep_n = sweep.entropy_production_target.values.tolist(), sweep.entropy_production_network.values.tolist()
    top = ep_t[-1]
    # relative differences where the target's e_p is not ~0 (c = 0 is reversible: e_p ~ 0 for both)
    rel = max(abs(a - b) / max(b, 1e-12) for a, b in zip(ep_n, ep_t) if b > 1e-6 * top)
    rev = float(rep.entropy_production_rev) / ep_n[-1]
    ok = rel <= ep_difference_max and ep_t[0] < reversible_ep_fraction_max * top and rev <= rev_only_ep_max
    ds.attrs["check"] = (f"e_p target/network at c = {cs[-1]}: {ep_t[-1]:.2f}/{ep_n[-1]:.2f} (max rel. diff "
                         f"{100 * rel:.1f}% <= {100 * ep_difference_max:g}), "
                         f"c = 0: {'< 1e-6' if ep_t[0] < 1e-6 else f'{ep_t[0]:.1e}'}; J_rev-only e_p / full = {rev:.3f} "
                         f"(<= {rev_only_ep_max:g}), density TV = {float(rep.density_distance):.2f}: {'PASS' if ok else 'FAIL'}")
    ds.attrs["passed"] = int(ok)
    return ds
