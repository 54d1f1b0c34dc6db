"""A few cued trials on a landscape of attractors and what they show: the wells visited, transitions, recall."""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from .._checks import as_array, check_int, check_key, check_positive
from ..analysis import recall_accuracy, transitions
from ..inputs import cue
from ..simulation import simulate


def cued_trials(system, centres, *, key, cued=None, amplitude: float = 1.0, onset: float = 5.0,
                duration: float = 3.0, t_max: float = 40.0, n_trials: int = 8, dt: float = 0.01,
                record_every: int = 10) -> xr.Dataset:
    """Trials that start in the attractors (trial i in ``centres[i % K]``), optionally cued towards one of them.

    The cue is a pulse of size ``amplitude`` pointing at ``centres[cued]`` on
    [``onset``, ``onset + duration``) (:func:`ddm.inputs.cue`, the input in latent coordinates).
    Without a cue (``cued=None``) the trials run with a zero pulse of the same shape, so choosing
    a cue later does not recompile the simulation.

    Parameters
    ----------
    system : SDE or Network
        With inputs in the latent coordinates (e.g. ``ddm.systems.ring_wells()`` or a network
        fitted to it).
    centres : (K, d) array
        The attractors.
    key : PRNG key
        The noise.
    cued : int, optional
        Index of the cued attractor; None: no cue.
    amplitude, onset, duration : float
        The pulse (time in tau).
    t_max, dt : float
    n_trials, record_every : int

    Returns
    -------
    xarray.Dataset
        The ``ddm.simulate`` Dataset (``z``, ``u``, ...) with ``centres`` (state, latent); the cue
        in attrs (``cue`` = -1, ``cue_onset`` = NaN and ``cue_duration`` = 0 without one).

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> ds = ddm.experiments.cued_trials(ddm.systems.ring_wells(c=0.0), ddm.systems.ring_centres(K=4), cued=2,
    ...                                  amplitude=2.0, t_max=10.0, n_trials=4, key=jax.random.key(0))
    >>> ds.z.dims, ds.attrs["cue"]
    (('trial', 'time', 'latent'), 2)
    """
    key = check_key("key", key)
    C = as_array("centres", centres, ndim=2)
    K = C.shape[0]
    if cued is not None and (isinstance(cued, bool) or not isinstance(cued, (int, np.integer)) or not 0 <= cued < K):
        raise ValueError(f"`cued` must be None or an index in [0, {K}), got {cued!r}")
    amplitude = check_positive("amplitude", amplitude, allow_zero=True) if cued is not None else 0.0
    onset = check_positive("onset", onset, allow_zero=True)
    duration = check_positive("duration", duration)
    n_trials = check_int("n_trials", n_trials)
    schedule = cue(0 if cued is None else int(cued), amplitude, onset, duration, centres=C)
    ds = simulate(system, t_max=t_max, dt=dt, n_trials=n_trials, key=key, z0=C[np.arange(n_trials) % K],
                  inputs=schedule, record_every=record_every, progress=False)
    ds["centres"] = (("state", "latent"), C, dict(long_name="attractor centres"))
    ds.attrs.update(cue=-1 if cued is None else int(cued), cue_amplitude=amplitude,
                    cue_onset=onset if cued is not None else float("nan"), cue_duration=duration if cued is not None else 0.0,
                    n_trials=n_trials)
    return ds


def recall_readout(trials: xr.Dataset, radius: float, *, min_transitions: int = 0, at: float | None = None) -> xr.Dataset:
    """What a run of :func:`cued_trials` shows: the attractor of every point, the transitions and, with a cue, recall.

    Parameters
    ----------
    trials : xarray.Dataset
        From :func:`cued_trials`.
    radius : float
        A point within ``radius`` of a centre is in that attractor (-1: in transit).
    min_transitions : int
        See :func:`ddm_explore.analysis.transitions` (default 0: no sample-size warning).
    at : float, optional
        Time at which recall is read (the nearest recorded time, see
        :func:`ddm_explore.analysis.recall_accuracy`); default the end of the trials. Stored in
        attrs as ``recall_at``.

    Returns
    -------
    xarray.Dataset
        ``trials`` with the variables of :func:`ddm_explore.analysis.transitions` (``labels``,
        ``counts``, ``n_forward``, ...) and, with a cue, those of
        :func:`ddm_explore.analysis.recall_accuracy` (``recalled``, ``accuracy``, ...); ``radius``
        and ``notes`` (the sample-size warnings of the recall, as text) in attrs.

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> runs = ddm.experiments.cued_trials(ddm.systems.ring_wells(c=0.0), ddm.systems.ring_centres(K=4), cued=1,
    ...                                    amplitude=2.0, duration=10.0, t_max=20.0, n_trials=4, key=jax.random.key(0))
    >>> res = ddm.experiments.recall_readout(runs, 0.45)
    >>> res.counts.dims, 0.0 <= float(res.accuracy) <= 1.0
    (('from_state', 'to_state'), True)
    """
    if not isinstance(trials, xr.Dataset) or "centres" not in trials or "cue" not in trials.attrs:
        raise ValueError(f"`trials` must be the Dataset of ddm.experiments.cued_trials, got {type(trials).__name__}")
    radius = check_positive("radius", radius)
    C = trials.centres.values
    cued = int(trials.attrs["cue"])
    parts = [trials, transitions(trials.z, C, radius, min_transitions=min_transitions)]
    notes = []
    if cued >= 0:
        with warnings.catch_warnings(record=True) as caught:  # sample-size notes go to attrs["notes"]
            warnings.simplefilter("always")
            parts.append(recall_accuracy(trials.z, C, radius, cued, at=at))
        notes = [str(w.message) for w in caught]
    res = xr.merge(parts, combine_attrs="override")
    res.attrs.update(trials.attrs)
    recall_at = float(trials.time.values[-1]) if at is None else float(at)
    res.attrs.update(radius=radius, notes="; ".join(notes), recall_at=recall_at)
    return res
