"""E3: associative memory: cued recall of four wells on a ring, network against target."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._checks import check_positive
from ..sdes import systems
from ._memory import recall_sweep


def e3_associative_memory(*, key, n_neurons: int = 128, amplitudes=(0.0, 0.5, 1.0, 2.0, 3.0),
                          durations=(2.0, 5.0), n_trials: int = 64, D: float = 0.1, accuracy_gap_max: float = 0.05,
                          recall_min: float = 0.95, chance_tolerance: float = 0.1) -> xr.Dataset:
    """E3: cued recall in a network fitted to four wells on a ring (c = 0), against the target.

    Runs :func:`recall_sweep` (balanced start/cue design, target and network driven by the same
    noise draws) over cue amplitude x duration.

    Parameters
    ----------
    key : PRNG key
    n_neurons : int
    amplitudes, durations : sequences of float
        The cue grid; the check reads its first amplitude as "no cue" and its last cell as the
        strongest, longest cue.
    n_trials : int
        Trials per grid cell.
    D : float
        Noise of the target ``ring_wells(c=0, D=D)``.
    accuracy_gap_max : float
        Verdict: the network's accuracy must be within this of the target's in every cell.
    recall_min : float
        Verdict: the strongest, longest cue must recall at least this often (target and network).
    chance_tolerance : float
        Verdict: the mean accuracy at the first amplitude must be within this of chance (1/K).

    Returns
    -------
    Dataset of :func:`recall_sweep`, check line in attrs.
    """
    for name, value in (("accuracy_gap_max", accuracy_gap_max), ("recall_min", recall_min),
                        ("chance_tolerance", chance_tolerance)):
        check_positive(name, value)
    sde = systems.ring_wells(c=0.0, D=D)
    centres = systems.ring_centres()
    ds = recall_sweep(sde, centres, amplitudes=list(amplitudes), durations=list(durations), radius=0.45,
                      n_trials=n_trials, network=n_neurons, settle=5.0, key=key)
    acc = ds.accuracy
    chance = float(ds.chance)
    gap = float(np.abs(acc.sel(system="network") - acc.sel(system="target")).max())
    top = float(acc.isel(amplitude=-1, duration=-1).min())
    zero = float(acc.isel(amplitude=0).mean())
    ok = gap <= accuracy_gap_max and top >= recall_min and abs(zero - chance) <= chance_tolerance
    ds.attrs["check"] = (f"max |network - target| accuracy = {100 * gap:.1f} pp (<= {100 * accuracy_gap_max:g}), "
                         f"strongest cue {100 * top:.0f}% (>= {100 * recall_min:g}), zero cue {100 * zero:.0f}% "
                         f"(chance {100 * chance:.0f}): {'PASS' if ok else 'FAIL'}")
    ds.attrs["passed"] = int(ok)
    return ds
