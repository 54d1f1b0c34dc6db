"""E4: episodic (sequential) memory: a rotational current drives the state around the ring of wells."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._checks import check_positive
from ..sdes import systems
from ._memory import transition_sweep


def e4_episodic_sequences(*, key, n_neurons: int = 128, cs=(0.0, 0.2, 0.4), D: float = 0.15, t_max: float = 400.0,
                          n_trials: int = 64, ratio_min: float = 10.0, reversible_ratio_max: float = 1.5,
                          rate_difference_max: float = 0.2) -> xr.Dataset:
    """E4: autonomous sequential visiting of the wells driven by a rotational current c (no input).

    Runs :func:`transition_sweep` over c for the ring target and a network fitted to each
    (independent noise): forward/backward transitions around the ring, cycle time, rates.

    Parameters
    ----------
    key : PRNG key
    n_neurons : int
    cs : sequence of float
        The current strengths of ``ring_wells(c=c, D=D)``.
    D : float
    t_max : float
        Length of every trial (tau).
    n_trials : int
    ratio_min : float
        Verdict: the forward/backward ratio at the largest c must be at least this (target and network).
    reversible_ratio_max : float
        Verdict: at c = 0 (when in ``cs``) the ratio must lie strictly between 1 / this and this.
    rate_difference_max : float
        Verdict: the network's transition rates must be within this (relative) of the target's.
        The default bands suit the default sample (64 trials x 400 tau, as METHOD.md E4); shorter
        runs need wider ones (README, "The notebook gallery and the paper's figures").

    Returns
    -------
    Dataset of :func:`transition_sweep`, check line in attrs.
    """
    check_positive("ratio_min", ratio_min)
    check_positive("rate_difference_max", rate_difference_max)
    if not check_positive("reversible_ratio_max", reversible_ratio_max) > 1:
        raise ValueError(f"`reversible_ratio_max` must be > 1, got {reversible_ratio_max}")
    centres = systems.ring_centres()
    ds = transition_sweep(lambda c: systems.ring_wells(c=c, D=D), {"c": list(cs)}, centres, radius=0.45,
                          t_max=t_max, n_trials=n_trials, network=n_neurons, key=key)
    ratio = ds.forward_backward_ratio
    top = float(ratio.isel(c=-1).min())
    zero = ratio.sel(c=0.0) if 0.0 in list(cs) else None
    rate_gap = float(np.abs(ds.transition_rate.sel(system="network") / ds.transition_rate.sel(system="target") - 1).max())
    ok = (top >= ratio_min and rate_gap <= rate_difference_max
          and (zero is None or bool(np.all(np.abs(np.log(zero.values)) < np.log(reversible_ratio_max)))))
    zero_txt = "" if zero is None else f", at c = 0: {', '.join(f'{float(v):.2f}' for v in zero.values)} (~1)"
    ds.attrs["check"] = (f"forward/backward ratio at c = {cs[-1]}: target {float(ratio.sel(system='target').isel(c=-1)):.0f}, "
                         f"network {float(ratio.sel(system='network').isel(c=-1)):.0f} (>= {ratio_min:g}){zero_txt}; "
                         f"max rate difference {100 * rate_gap:.0f}% (<= {100 * rate_difference_max:g}): "
                         f"{'PASS' if ok else 'FAIL'}")
    ds.attrs["passed"] = int(ok)
    return ds
