"""Attractor transitions: labelling, counts, dwell times, cyclic flux, recall (METHOD.md 5b)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._checks import _show, as_array, check_int, check_positive
from .._estimates import warn_sample

#: fewer departures than this from a state make its rate and mean dwell time unreliable
MIN_TRANSITIONS = 10


def _check_z(z, min_times=1):
    if not isinstance(z, xr.DataArray) or set(z.dims) != {"trial", "time", "latent"}:
        raise ValueError(f"`z` must be a DataArray with dims (trial, time, latent) such as simulate(...).z, "
                         f"got {type(z).__name__} {getattr(z, 'dims', '')}")
    if z.sizes["time"] < min_times:
        raise ValueError(f"`z` must hold at least {min_times} times, got {z.sizes['time']}")
    return z.transpose("trial", "time", "latent")


def _check_centres(centres, d):
    C = as_array("centres", centres)
    if C.ndim == 1 and d == 1:
        C = C[:, None]
    if C.ndim != 2 or C.shape[1] != d or C.shape[0] < 1:
        raise ValueError(f"`centres` must have shape (K, {d}) (one row per attractor, in z's coordinates), got {C.shape}")
    return C


def attractor_labels(z, centres, radius) -> xr.DataArray:
    """Nearest-attractor label of every recorded point: index of the nearest centre when it lies
    within ``radius``, else -1 ("in transit").

    Parameters
    ----------
    z : DataArray (trial, time, latent)
    centres : (K, d) array
        The attractors, in z's coordinates.
    radius : float
        Distance within which a point belongs to an attractor.

    Returns
    -------
    DataArray (trial, time) of ints.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> z = xr.DataArray(np.array([[[-1.0], [0.1], [0.9]]]), dims=("trial", "time", "latent"))
    >>> attractor_labels(z, [[-1.0], [1.0]], 0.3).values.tolist()
    [[0, -1, 1]]
    """
    z = _check_z(z)
    C = _check_centres(centres, z.sizes["latent"])
    radius = check_positive("radius", radius)
    v = z.values
    dist2 = np.zeros(v.shape[:2] + (C.shape[0],), np.float64)
    for j, c in enumerate(C):  # one centre at a time keeps memory at (trial, time)
        dist2[..., j] = np.sum((v - c) ** 2, axis=-1)
    nearest = np.argmin(dist2, axis=-1)
    inside = np.take_along_axis(dist2, nearest[..., None], -1)[..., 0] <= radius**2
    lab = np.where(inside, nearest, -1)
    return xr.DataArray(lab, dims=("trial", "time"), coords=dict(trial=z.trial.values, time=z.time.values),
                        attrs=dict(long_name="nearest attractor (-1: in transit)", radius=radius))


def transitions(z, centres, radius, *, cycle=None, min_transitions: int = MIN_TRANSITIONS) -> xr.Dataset:
    """Transitions between attractors in recorded trajectories: counts, dwell times, rates, cyclic flux.

    Each point is labelled by its nearest attractor within ``radius`` (-1: in transit). A trial's
    *state* is the last attractor it visited (milestoning): it changes only when the trajectory
    arrives at a different attractor, so excursions into transit that return to the same attractor
    are not transitions. A transition i -> j is such an arrival; ``counts[i, j]`` = n_ij and
    ``net_counts`` = n_ij - n_ji (the net flux between i and j).

    Times (per state i): ``occupancy`` T_i is the time spent in state i, from the first arrival on
    (censored stretches at the ends of trials included); ``rate[i, j] = n_ij / T_i`` and
    ``escape_rate[i] = sum_j n_ij / T_i`` are the maximum-likelihood rates of a Markov jump process,
    and ``dwell_time_mean[i] = T_i / sum_j n_ij = 1 / escape_rate[i]`` is the mean dwell time with the
    censored dwells accounted for. ``dwell_time`` lists the complete dwells only (arrival to next
    arrival), whose plain mean ``dwell_time_mean_complete`` is biased short when dwells are not much
    shorter than the trials. Transitions faster than the recording interval are missed.

    Around a ring (``cycle``: the attractors in ring order, default 0..K-1 when K >= 3), forward
    transitions go from ``cycle[m]`` to ``cycle[m+1]`` (cyclically), backward ones the other way;
    ``net_flux = (n_forward - n_backward) / total_time`` (per trial and unit time) and
    ``mean_cycle_time = K / net_flux`` (NaN when the net flux is not positive).
    ``forward_fraction = n_forward / (n_forward + n_backward)`` with its binomial standard error:
    a reversible system has forward_fraction = 1/2.

    Parameters
    ----------
    z : DataArray (trial, time, latent)
        E.g. ``ddm.simulate(...).z``.
    centres : (K, d) array
        The attractors in z's coordinates (e.g. ``ddm.systems.ring_centres(K=4)``).
    radius : float
        Distance within which a point belongs to an attractor.
    cycle : sequence of int, optional
        The ring order of the attractors (a permutation of 0..K-1, or of a subset).
    min_transitions : int
        A warning is issued when a state has fewer departures than this (its rate is unreliable),
        or the ring fewer forward + backward transitions.

    Returns
    -------
    xarray.Dataset
        ``labels``, ``last_state`` (trial, time); ``counts``, ``net_counts``, ``rate`` (from_state,
        to_state); ``occupancy``, ``n_departures``, ``escape_rate``, ``dwell_time_mean``,
        ``dwell_time_mean_complete`` (state); ``dwell_time`` (dwell) with coordinates
        ``dwell_state`` and ``dwell_trial``; scalars ``n_transitions``, ``n_forward``, ``n_backward``,
        ``forward_backward_ratio``, ``forward_fraction``, ``forward_fraction_se``, ``net_flux``,
        ``mean_cycle_time``. Sample sizes and settings in attrs.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> path = np.array([0, 0, 1, 1, 1, 2, 2, 0, 0, 0])  # attractor visited at each time
    >>> C = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    >>> z = xr.DataArray(C[path][None], dims=("trial", "time", "latent"), coords=dict(time=np.arange(10.0)))
    >>> tr = transitions(z, C, 0.3, min_transitions=0)
    >>> tr.counts.values.tolist()
    [[0, 1, 0], [0, 0, 1], [1, 0, 0]]
    >>> int(tr.n_forward), tr.dwell_time.values.tolist()
    (3, [3.0, 2.0])
    """
    z = _check_z(z, min_times=2)
    C = _check_centres(centres, z.sizes["latent"])
    K = C.shape[0]
    min_transitions = check_int("min_transitions", min_transitions, minimum=0)
    labels = attractor_labels(z, C, radius)
    lab = labels.values
    n, T = lab.shape
    t = z.time.values.astype(np.float64)
    if not np.all(np.diff(t) > 0):
        raise ValueError("`z.time` must be strictly increasing")

    # milestoning: forward-fill the last attractor visited
    idx = np.where(lab >= 0, np.arange(T), -1)
    idx = np.maximum.accumulate(idx, axis=1)
    state = np.where(idx >= 0, np.take_along_axis(lab, np.maximum(idx, 0), 1), -1)
    jump = (state[:, 1:] != state[:, :-1]) & (state[:, :-1] >= 0)
    tr_trial, tr_step = np.nonzero(jump)  # row-major: ordered by trial, then time
    src, dst = state[tr_trial, tr_step], state[tr_trial, tr_step + 1]
    arrival = t[tr_step + 1]
    counts = np.zeros((K, K), np.int64)
    np.add.at(counts, (src, dst), 1)

    dt_int = np.diff(t)  # interval [t_m, t_m+1] belongs to the state at t_m
    occupancy = np.array([np.sum(dt_int * (state[:, :-1] == i)) for i in range(K)], np.float64)
    departures = counts.sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(occupancy[:, None] > 0, counts / occupancy[:, None], np.nan)
        escape = np.where(occupancy > 0, departures / occupancy, np.nan)
        dwell_mean = np.where(departures > 0, occupancy / np.maximum(departures, 1), np.nan)

    same_trial = tr_trial[1:] == tr_trial[:-1]
    dwell = (arrival[1:] - arrival[:-1])[same_trial]
    dwell_state = dst[:-1][same_trial]
    dwell_trial = tr_trial[1:][same_trial]
    dwell_complete = np.array([dwell[dwell_state == i].mean() if np.any(dwell_state == i) else np.nan for i in range(K)])

    total_time = float(n * (t[-1] - t[0]))
    cycle, ring_stats = _ring_statistics(counts, cycle, total_time)
    ring, n_fwd, n_bwd = cycle is not None, ring_stats["n_forward"], ring_stats["n_backward"]
    n_ring = n_fwd + n_bwd

    few = [i for i in range(K) if occupancy[i] > 0 and departures[i] < min_transitions]
    if few:
        warn_sample("transitions", f"states {few} have fewer than {min_transitions} departures "
                    f"({departures[few].tolist()}): their rates and mean dwell times are unreliable; "
                    f"simulate more or longer trials")
    if ring and n_ring < min_transitions:
        warn_sample("transitions", f"only {n_ring} forward + backward transitions around the ring (fewer than "
                    f"{min_transitions}): the forward/backward ratio and net flux are unreliable")

    states = np.arange(K)
    per_tau = dict(units="1/tau")
    ds = xr.Dataset(
        dict(labels=labels,
             last_state=(("trial", "time"), state, dict(long_name="last attractor visited (-1: none yet)")),
             counts=(("from_state", "to_state"), counts, dict(long_name="transitions n_ij")),
             net_counts=(("from_state", "to_state"), counts - counts.T, dict(long_name="net transitions n_ij - n_ji")),
             rate=(("from_state", "to_state"), rate, dict(long_name="transition rate n_ij / T_i", **per_tau)),
             occupancy=("state", occupancy, dict(long_name="time in state (all trials)", units="tau")),
             n_departures=("state", departures, dict(long_name="transitions out of the state")),
             escape_rate=("state", escape, dict(long_name="rate of leaving the state", **per_tau)),
             dwell_time_mean=("state", dwell_mean, dict(long_name="mean dwell time (censoring included)", units="tau")),
             dwell_time_mean_complete=("state", dwell_complete, dict(long_name="mean of complete dwells", units="tau")),
             dwell_time=("dwell", dwell, dict(long_name="complete dwell time", units="tau")),
             n_transitions=((), int(counts.sum())),
             **{name: ((), value) for name, value in ring_stats.items() if name not in ("net_flux", "mean_cycle_time")},
             net_flux=((), ring_stats["net_flux"], dict(long_name="net forward transitions per trial and unit time", **per_tau)),
             mean_cycle_time=((), ring_stats["mean_cycle_time"], dict(long_name="time for one net turn of the ring", units="tau"))),
        coords=dict(trial=z.trial.values, time=z.time.values, state=states, from_state=states, to_state=states,
                    dwell_state=("dwell", dwell_state), dwell_trial=("dwell", dwell_trial)),
        attrs=dict(radius=float(radius), n_attractors=K, centres=str(np.round(C, 6).tolist()),
                   cycle=str(list(np.asarray(cycle).tolist())) if ring else "none",
                   n_trials=n, duration=float(t[-1] - t[0]), total_time=total_time,
                   record_interval=float(np.median(dt_int)), n_transitions=int(counts.sum()),
                   n_complete_dwells=int(dwell.size), min_transitions=min_transitions))
    ds.time.attrs.update(z.time.attrs)
    return ds


def _ring_statistics(counts, cycle, total_time):
    """Forward and backward transitions around the ring ``cycle`` (default 0..K-1 for K >= 3) and
    what follows from them; returns (cycle or None, dict of scalars)."""
    K = counts.shape[0]
    if cycle is None:
        cycle = list(range(K)) if K >= 3 else None
    if cycle is None:
        nan = float("nan")
        return None, dict(n_forward=0, n_backward=0, forward_backward_ratio=nan, forward_fraction=nan,
                          forward_fraction_se=nan, net_flux=nan, mean_cycle_time=nan)
    cyc = np.asarray(cycle)
    if cyc.dtype.kind not in "iu" or cyc.ndim != 1 or len(cyc) < 3 or len(set(cyc.tolist())) != len(cyc) \
            or cyc.min() < 0 or cyc.max() >= K:
        raise ValueError(f"`cycle` must list >= 3 distinct attractor indices in 0..{K - 1} in ring order, got {_show(cycle)}")
    nxt = np.roll(cyc, -1)
    n_fwd, n_bwd = int(counts[cyc, nxt].sum()), int(counts[nxt, cyc].sum())
    n_ring = n_fwd + n_bwd
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = n_fwd / n_bwd if n_bwd else (np.inf if n_fwd else np.nan)
        frac = n_fwd / n_ring if n_ring else np.nan
        frac_se = np.sqrt(frac * (1 - frac) / n_ring) if n_ring else np.nan
        net_flux = (n_fwd - n_bwd) / total_time
        cycle_time = len(cycle) / net_flux if net_flux > 0 else np.nan
    return cycle, dict(n_forward=n_fwd, n_backward=n_bwd, forward_backward_ratio=float(ratio), forward_fraction=float(frac),
                       forward_fraction_se=float(frac_se), net_flux=float(net_flux), mean_cycle_time=float(cycle_time))


def recall_accuracy(z, centres, radius, cued, *, at=None) -> xr.Dataset:
    """Fraction of trials that end in the cued memory (cue experiments, METHOD.md E3).

    A trial recalls memory j when its point at time ``at`` lies within ``radius`` of centre j;
    trials in transit count as failures.

    Parameters
    ----------
    z : DataArray (trial, time, latent)
    centres : (K, d) array
    radius : float
    cued : int or (n_trials,) ints
        The memory each trial was cued to.
    at : float, optional
        Time of the read-out (the nearest recorded time); default the last.

    Returns
    -------
    xarray.Dataset
        ``recalled`` (trial; -1 in transit), ``correct`` (trial); scalars ``accuracy``,
        ``accuracy_se`` (binomial standard error), ``chance`` (1/K) and ``in_transit`` (fraction).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> z = xr.DataArray(np.array([[[1.0]], [[-1.0]], [[0.0]]]), dims=("trial", "time", "latent"))
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # three trials: a SampleSizeWarning
    ...     float(recall_accuracy(z, [[-1.0], [1.0]], 0.3, cued=[1, 1, 1]).accuracy)
    0.3333333333333333
    """
    z = _check_z(z)
    C = _check_centres(centres, z.sizes["latent"])
    n = z.sizes["trial"]
    cued_arr = np.broadcast_to(np.asarray(cued), (n,)) if np.ndim(cued) == 0 else np.asarray(cued)
    if cued_arr.dtype.kind not in "iu" or cued_arr.shape != (n,) or cued_arr.min() < 0 or cued_arr.max() >= C.shape[0]:
        raise ValueError(f"`cued` must be a memory index in 0..{C.shape[0] - 1} or one per trial ({n}), got {_show(cued)}")
    times = np.asarray(z.time.values, np.float64)
    i_at = times.size - 1 if at is None else int(np.argmin(np.abs(times - check_positive("at", at, allow_zero=True))))
    t_at = float(times[i_at])
    lab = attractor_labels(z.isel(time=[i_at]), C, radius).values[:, 0]
    correct = lab == cued_arr
    acc = float(correct.mean())
    per_cue = np.bincount(cued_arr, minlength=C.shape[0])
    used = per_cue[per_cue > 0]
    if used.min() < 20:
        warn_sample("recall_accuracy", f"{int(used.min())} trials for some cued memory (fewer than 20): the accuracy "
                    f"has a binomial standard error up to {0.5 / np.sqrt(used.min()):.2f}; use more trials")
    return xr.Dataset(
        dict(recalled=("trial", lab, dict(long_name="memory at read-out (-1: in transit)")),
             correct=("trial", correct),
             cued=("trial", cued_arr),
             accuracy=((), acc), accuracy_se=((), float(np.sqrt(acc * (1 - acc) / n))),
             chance=((), 1.0 / C.shape[0]), in_transit=((), float(np.mean(lab < 0)))),
        coords=dict(trial=z.trial.values),
        attrs=dict(radius=float(radius), at=t_at, n_trials=n, n_attractors=C.shape[0],
                   trials_per_memory=str(per_cue.tolist())))
