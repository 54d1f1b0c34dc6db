"""Cue pulses, cue sequences and constant tilts: input schedules for attractor experiments.

Every builder returns a :class:`~ddm_explore.simulation._inputs.Schedule`, so the same input drives
a target SDE and a fitted network (``ddm.simulate(..., inputs=...)``).
"""

from __future__ import annotations

import numpy as np

from .._checks import _show, as_array, check_int
from ._inputs import Schedule


def cue_directions(target, *, centres=None, origin=None) -> np.ndarray:
    """Unit input vectors pointing at memories: (n, k) for n targets.

    ``target`` is a memory index, an array of indices (one per trial), a direction vector (k,) or
    an array of directions (n, k). An index j gives ``(centres[j] - origin) / |centres[j] - origin|``;
    a direction is normalised to unit length.

    Parameters
    ----------
    target : int, (n,) ints, (k,) or (n, k) floats
    centres : (K, k) array, optional
        The memories' centres, in the input's coordinates; required when ``target`` holds indices.
    origin : (k,) array, optional
        Where the directions start from (default the origin).

    Returns
    -------
    (n, k) float64 array of unit vectors (n = 1 for a single target).

    Examples
    --------
    >>> cue_directions(1, centres=[[2.0, 0.0], [0.0, 3.0]]).tolist()
    [[0.0, 1.0]]
    """
    arr = np.asarray(target)
    if arr.dtype.kind in "iu":
        if centres is None:
            raise ValueError(f"`centres` is required when `target` holds memory indices, got target={_show(target)}")
        C = as_array("centres", centres, ndim=2)
        idx = arr.reshape(-1)
        bad = (idx < 0) | (idx >= C.shape[0])
        if bad.any():
            raise ValueError(f"`target` indices must be in 0..{C.shape[0] - 1} (one per centre), got {_show(target)}")
        o = np.zeros(C.shape[1]) if origin is None else as_array("origin", origin, shape=(C.shape[1],))
        vec = C[idx] - o
    else:
        vec = as_array("target", target)
        if vec.ndim == 1:
            vec = vec[None]
        if vec.ndim != 2:
            raise ValueError(f"`target` must be a memory index, indices (n,), a direction (k,) or directions (n, k), got shape {vec.shape}")
    norm = np.linalg.norm(vec, axis=-1, keepdims=True)
    if np.any(norm == 0):
        raise ValueError("`target` gives a zero direction (a centre at the origin, or a zero vector): pass `origin` or a non-zero direction")
    return vec / norm


def pulses(onsets, durations, vectors) -> Schedule:
    """Sum of rectangular pulses: pulse p equals ``vectors[..., p, :]`` on [onset_p, onset_p + duration_p).

    The building block of :func:`cue` and :func:`cue_sequence`. Onsets and durations may differ per
    trial; the schedule's breaks are the union of all pulse edges, and overlapping pulses add.

    Parameters
    ----------
    onsets, durations : (n_pulses,) or (n_trials, n_pulses)
    vectors : (n_pulses, k) or (n_trials, n_pulses, k)

    Returns
    -------
    Schedule (one per trial when any argument is per trial).

    Examples
    --------
    >>> s = pulses([1.0, 2.0], [2.0, 2.0], [[1.0], [10.0]])
    >>> s([0.5, 1.5, 2.5, 3.5, 4.5])[0, :, 0].tolist()
    [0.0, 1.0, 11.0, 10.0, 0.0]
    """
    on = as_array("onsets", onsets)
    du = as_array("durations", durations)
    vec = as_array("vectors", vectors)
    if vec.ndim == 2:
        vec = vec[None]
    if vec.ndim != 3:
        raise ValueError(f"`vectors` must have shape (n_pulses, k) or (n_trials, n_pulses, k), got {vec.shape}")
    n_pulses = vec.shape[1]
    on = np.atleast_2d(on) if on.ndim <= 1 else on
    du = np.atleast_2d(du) if du.ndim <= 1 else du
    try:
        n_trials = np.broadcast_shapes(on.shape[:1], du.shape[:1], vec.shape[:1])[0]
        on = np.broadcast_to(on, (n_trials, n_pulses))
        du = np.broadcast_to(du, (n_trials, n_pulses))
    except ValueError:
        raise ValueError(f"`onsets` {on.shape}, `durations` {du.shape} and `vectors` {vec.shape} must agree on "
                         f"(n_trials, n_pulses) = (n or 1, {n_pulses})") from None
    if np.any(du < 0):
        raise ValueError(f"`durations` must be >= 0, got {_show(du)}")
    vec = np.broadcast_to(vec, (n_trials,) + vec.shape[1:])
    breaks = np.unique(np.concatenate([on.reshape(-1), (on + du).reshape(-1)]))
    # piece i covers [breaks[i-1], breaks[i]); evaluate each pulse at a point inside every piece
    mids = np.concatenate([[breaks[0] - 1.0], (breaks[:-1] + breaks[1:]) / 2, [breaks[-1] + 1.0]]) if breaks.size \
        else np.zeros(1)
    active = (on[:, :, None] <= mids[None, None, :]) & (mids[None, None, :] < (on + du)[:, :, None])  # (n, P, pieces)
    values = np.einsum("npq,npk->nqk", active.astype(np.float64), vec)
    return Schedule(breaks, values)


def cue(target, amplitude, onset, duration, *, centres=None, origin=None) -> Schedule:
    """A cue pulse: an input of size ``amplitude`` pointing at a memory, on for [onset, onset + duration).

    Every argument may be given per trial (arrays of length n_trials), e.g. each trial cued to a
    different memory with a different amplitude: the schedule then holds one input per trial.

    Parameters
    ----------
    target : int, (n_trials,) ints, (k,) or (n_trials, k) floats
        Index of the cued memory in ``centres``, or the cue's direction (see :func:`cue_directions`).
    amplitude : float or (n_trials,)
        Length of the input vector during the pulse.
    onset, duration : float or (n_trials,)
        When the pulse starts and how long it lasts (time units tau).
    centres : (K, k) array, optional
        The memories' centres (e.g. ``ddm.systems.ring_centres(K=4)``); needed for indices.
    origin : (k,) array, optional
        Directions point from here to the centres (default the origin).

    Returns
    -------
    Schedule of input width k.

    Examples
    --------
    >>> import ddm_explore as ddm
    >>> s = ddm.inputs.cue(1, 0.8, onset=2.0, duration=3.0, centres=ddm.systems.ring_centres(K=4))
    >>> s([1.0, 3.0, 6.0])[0].round(3).tolist()
    [[0.0, 0.0], [0.0, 0.8], [0.0, 0.0]]
    """
    dirs = cue_directions(target, centres=centres, origin=origin)  # (n or 1, k)
    amp = as_array("amplitude", amplitude).reshape(-1, 1)
    on = as_array("onset", onset).reshape(-1, 1)
    du = as_array("duration", duration).reshape(-1, 1)
    sizes = {len(a) for a in (dirs, amp, on, du)} - {1}
    if len(sizes) > 1:
        raise ValueError(f"per-trial `target`, `amplitude`, `onset` and `duration` must have one length, got "
                         f"{len(dirs)}, {len(amp)}, {len(on)}, {len(du)}")
    return pulses(on, du, (amp * dirs)[:, None, :])


def cue_sequence(targets, amplitude, onsets, duration, *, centres=None, origin=None) -> Schedule:
    """A sequence of cue pulses: memory ``targets[i]`` cued on [onsets[i], onsets[i] + duration).

    Parameters
    ----------
    targets : (n_cues,) ints, or (n_trials, n_cues) ints for a sequence per trial
    amplitude : float, (n_cues,) or (n_trials, n_cues)
    onsets : (n_cues,) or (n_trials, n_cues)
    duration : float, (n_cues,) or (n_trials, n_cues)
    centres, origin : see :func:`cue`

    Returns
    -------
    Schedule

    Examples
    --------
    >>> import ddm_explore as ddm
    >>> C = ddm.systems.ring_centres(K=4)
    >>> s = ddm.inputs.cue_sequence([1, 2], 1.0, onsets=[0.0, 5.0], duration=2.0, centres=C)
    >>> s([1.0, 3.0, 6.0])[0].round(3).tolist()
    [[0.0, 1.0], [0.0, 0.0], [-1.0, 0.0]]
    """
    t = np.asarray(targets)
    if t.dtype.kind not in "iu" or t.ndim not in (1, 2):
        raise ValueError(f"`targets` must be memory indices of shape (n_cues,) or (n_trials, n_cues), got {_show(targets)}")
    t2 = t if t.ndim == 2 else t[None]
    n_tr, n_cues = t2.shape
    dirs = cue_directions(t2.reshape(-1), centres=centres, origin=origin).reshape(n_tr, n_cues, -1)
    amp = as_array("amplitude", amplitude)
    if amp.ndim > 2 or (amp.ndim >= 1 and amp.shape[-1] not in (1, n_cues)):
        raise ValueError(f"`amplitude` must be a number, one per cue ({n_cues}) or (n_trials, {n_cues}), got shape {amp.shape}")
    amp = amp if amp.ndim == 2 else np.broadcast_to(amp, (n_tr, n_cues))
    on = as_array("onsets", onsets)
    if on.shape[-1] != n_cues:
        raise ValueError(f"`onsets` must hold one time per cue ({n_cues}), got shape {on.shape}")
    return pulses(on, as_array("duration", duration), amp[..., None] * dirs)


def tilt(target, amplitude, *, centres=None, origin=None) -> Schedule:
    """A constant input of size ``amplitude`` towards a memory (or along a direction), at all times.

    >>> tilt([1.0, 1.0], 2.0).values.round(3).tolist()
    [[[1.414, 1.414]]]
    """
    dirs = cue_directions(target, centres=centres, origin=origin)
    amp = as_array("amplitude", amplitude).reshape(-1, 1)
    return Schedule(np.zeros((0,)), (amp * dirs)[:, None, :])


def superpose(*schedules: Schedule) -> Schedule:
    """The sum of several schedules (e.g. a constant tilt plus a cue); per-trial schedules broadcast.

    >>> import ddm_explore as ddm
    >>> s = superpose(ddm.inputs.constant([0.5]), ddm.inputs.piecewise([1.0], [[0.0], [1.0]]))
    >>> s([0.0, 2.0])[0, :, 0].tolist()
    [0.5, 1.5]
    """
    if not schedules or not all(isinstance(s, Schedule) for s in schedules):
        raise ValueError(f"`schedules` must be one or more ddm.inputs schedules, got {[type(s).__name__ for s in schedules]}")
    widths = {s.input_dim for s in schedules}
    if len(widths) > 1:
        raise ValueError(f"schedules must have one input width, got {sorted(widths)}")
    trials = {s.n_trials for s in schedules} - {1}
    if len(trials) > 1:
        raise ValueError(f"per-trial schedules must have one number of trials, got {sorted(trials)}")
    breaks = np.unique(np.concatenate([s.breaks for s in schedules]))
    mids = np.concatenate([[breaks[0] - 1.0], (breaks[:-1] + breaks[1:]) / 2, [breaks[-1] + 1.0]]) if breaks.size \
        else np.zeros(1)
    n = max(trials) if trials else 1
    values = sum(np.broadcast_to(s(mids), (n, mids.size, s.input_dim)) for s in schedules)
    return Schedule(breaks, np.asarray(values, np.float64))


def balanced_cue_design(K: int, n_trials: int):
    """Start and cued memories for a recall experiment: every (start, cue) pair equally often.

    Trial i starts in memory ``i % K`` and is cued to ``(i // K) % K``, so with ``n_trials`` a
    multiple of K^2 every pair occurs equally often and an uninformative cue scores 1/K.

    Returns
    -------
    start, cued : (n_trials,) int arrays

    >>> [a.tolist() for a in balanced_cue_design(2, 4)]
    [[0, 1, 0, 1], [0, 0, 1, 1]]
    """
    K = check_int("K", K, minimum=2)
    n_trials = check_int("n_trials", n_trials)
    i = np.arange(n_trials)
    return i % K, (i // K) % K
