"""Memory experiments on a grid, for a target SDE and its fitted network in one call (METHOD.md E3, E4):
cued recall and autonomous transitions."""

from __future__ import annotations

import itertools
import warnings

import jax
import numpy as np
import xarray as xr

from .._checks import _show, as_array, check_int, check_key, check_positive
from ..analysis import recall_accuracy, transitions
from ..inputs import balanced_cue_design, cue
from ..matching import fit
from ..network import Network
from ..sdes import SDE
from ..simulation import simulate


def _network_for(target, network, n_neurons, fit_kwargs, key):
    if network is not None:
        if not isinstance(network, Network):
            raise ValueError(f"`network` must be a fitted ddm.Network or None, got {type(network).__name__}")
        return network, None
    net, report = fit(target, n_neurons, key=key, progress=False, **(fit_kwargs or {}))
    return net, report


def recall_sweep(target, centres, *, amplitudes, durations, radius, key, n_trials: int = 64,
                 network=None, n_neurons: int = 256, fit_kwargs=None, cue_centres=None, onset: float = 1.0,
                 settle: float = 10.0, dt: float = 0.01, record_every: int = 10, systems=("target", "network"), paired: bool = True) -> xr.Dataset:
    """Cued recall (associative memory) over a grid of cue amplitudes x durations, target and network.

    Every grid cell runs ``n_trials`` trials in the balanced design of
    :func:`ddm.inputs.balanced_cue_design`: trial i starts at memory ``i % K`` and is cued to
    memory ``(i // K) % K`` by a pulse (:func:`ddm.inputs.cue`) from ``onset`` for the cell's
    duration; recall is read at the end, ``settle`` time units after the longest cue. An
    uninformative cue scores 1/K. The whole grid is one simulation per system (per-trial
    schedules). With ``paired=True`` target and network share the noise draws (same key), so the
    difference of their accuracies is a paired comparison (common random numbers): it measures
    how the network's dynamics differ, not sampling noise.

    Parameters
    ----------
    target : SDE
        A target with inputs (e.g. ``ddm.systems.ring_wells(c=0)``).
    centres : (K, d) array
        The memories, in latent coordinates; trials start exactly there.
    amplitudes, durations : sequences of float
        The grid.
    radius : float
        Recall radius (see :func:`ddm_explore.analysis.recall_accuracy`).
    key : PRNG key
        Fit and simulation keys are split from it.
    n_trials : int
        Trials per grid cell (a multiple of K^2 keeps the design balanced).
    network : Network, optional
        A fitted network; by default one is fitted with ``ddm.fit(target, n_neurons, **fit_kwargs)``.
    n_neurons : int
    fit_kwargs : dict, optional
    cue_centres : (K, k) array, optional
        The memories in input coordinates, giving the cue directions (default ``centres``).
    onset, settle, dt : float
    record_every : int
    systems : tuple of {"target", "network"}
        Which systems to run.
    paired : bool
        Drive target and network with the same noise draws (default) or with independent ones.

    Returns
    -------
    xarray.Dataset
        ``accuracy``, ``accuracy_se``, ``in_transit`` (system, amplitude, duration); ``chance``;
        ``eps_f`` (held-out drift error of the network's fit, when fitted). Settings and sample
        sizes in attrs.

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> sde = ddm.systems.ring_wells(c=0.0, D=0.1)
    >>> res = ddm.experiments.recall_sweep(sde, ddm.systems.ring_centres(K=4), amplitudes=[0.0], durations=[1.0],
    ...                                    radius=0.45, n_trials=16, settle=1.0, key=jax.random.key(0), systems=("target",))
    >>> float(res.accuracy.sel(system="target", amplitude=0.0, duration=1.0))
    0.25
    """
    if not isinstance(target, SDE) or target.input_dim == 0:
        raise ValueError(f"`target` must be a ddm.SDE with inputs (input_dim > 0), got {_show(target)}")
    key = check_key("key", key)
    C = as_array("centres", centres)
    if C.ndim == 1 and target.dim == 1:
        C = C[:, None]
    if C.ndim != 2 or C.shape[1] != target.dim:
        raise ValueError(f"`centres` must have shape (K, {target.dim}), got {C.shape}")
    K = C.shape[0]
    if cue_centres is None:
        if target.input_dim != target.dim:
            raise ValueError(f"`cue_centres` (K, {target.input_dim}) is required: the inputs ({target.input_dim}-d) "
                             f"are not in the latent coordinates ({target.dim}-d)")
        cue_centres = C
    Cu = as_array("cue_centres", cue_centres, shape=(K, target.input_dim))
    amps = as_array("amplitudes", amplitudes, ndim=1)
    durs = as_array("durations", durations, ndim=1)
    if np.any(amps < 0) or np.any(durs <= 0):
        raise ValueError(f"`amplitudes` must be >= 0 and `durations` > 0, got {amps.tolist()} and {durs.tolist()}")
    n_trials = check_int("n_trials", n_trials)
    onset, settle = check_positive("onset", onset, allow_zero=True), check_positive("settle", settle, allow_zero=True)
    bad = set(systems) - {"target", "network"}
    if bad or not systems:
        raise ValueError(f"`systems` must name 'target' and/or 'network', got {_show(systems)}")
    k_fit, k_sim = jax.random.split(key)

    start, cued = balanced_cue_design(K, n_trials)
    cells = list(itertools.product(range(len(amps)), range(len(durs))))
    n_total = len(cells) * n_trials
    amp_tr = np.repeat([amps[a] for a, _ in cells], n_trials)
    dur_tr = np.repeat([durs[b] for _, b in cells], n_trials)
    cued_tr = np.tile(cued, len(cells))
    z0 = C[np.tile(start, len(cells))]
    sched = cue(cued_tr, amp_tr, onset, dur_tr, centres=Cu)
    t_max = float(np.round((onset + durs.max() + settle) / dt) * dt)

    acc = np.full((len(systems), len(amps), len(durs)), np.nan)
    se, transit = acc.copy(), acc.copy()
    eps_f = np.nan
    for s, name in enumerate(systems):
        system = target
        if name == "network":
            system, report = _network_for(target, network, n_neurons, fit_kwargs, k_fit)
            eps_f = float(report.eps_f) if report is not None else np.nan
        k_run = k_sim if paired else jax.random.fold_in(k_sim, s)
        ds = simulate(system, t_max=t_max, dt=dt, n_trials=n_total, key=k_run, z0=z0, inputs=sched,
                      record_every=record_every, progress=False)
        rec = recall_accuracy(ds.z.isel(time=[-1]), C, radius, cued_tr)
        correct = rec.correct.values.reshape(len(cells), n_trials).mean(1)
        in_tr = (rec.recalled.values < 0).reshape(len(cells), n_trials).mean(1)
        for c, (a, b) in enumerate(cells):
            acc[s, a, b], transit[s, a, b] = correct[c], in_tr[c]
    se = np.sqrt(acc * (1 - acc) / n_trials)
    dims = ("system", "amplitude", "duration")
    return xr.Dataset(
        dict(accuracy=(dims, acc, dict(long_name="recall accuracy")),
             accuracy_se=(dims, se, dict(long_name="binomial standard error of the accuracy")),
             in_transit=(dims, transit, dict(long_name="fraction of trials in transit at read-out")),
             chance=((), 1.0 / K), eps_f=((), eps_f, dict(long_name="held-out drift error of the network"))),
        coords=dict(system=list(systems), amplitude=("amplitude", amps, dict(units="input units")),
                    duration=("duration", durs, dict(units="tau"))),
        attrs=dict(target=target.name, target_params=str(target.params), n_trials_per_cell=n_trials,
                   n_neurons=int(network.n_neurons) if network is not None else n_neurons, radius=float(radius),
                   onset=onset, settle=settle, t_max=t_max, dt=dt, record_every=record_every,
                   design="start i % K, cue (i // K) % K",
                   noise="shared between target and network (same key)" if paired else "independent"))


def transition_sweep(factory, grid: dict, centres, *, radius, key, t_max: float, n_trials: int = 64,
                     n_neurons: int = 256, fit_kwargs=None, cycle=None, dt: float = 0.01,
                     record_every: int = 10, inputs=None, systems=("target", "network"),
                     min_transitions: int = 10, paired: bool = False) -> xr.Dataset:
    """Autonomous transitions (episodic sequences) over a parameter grid, for target and network.

    For every point of the grid (e.g. ``{"c": [0, 0.4], "D": [0.1, 0.15]}``) the target
    ``factory(**point)`` is built, a network is fitted to it (once per point, ``ddm.fit``), both are
    simulated from trials that start at the attractors (trial i at ``centres[i % K]``), with
    independent noise draws (or shared ones with ``paired=True``), and :func:`ddm_explore.analysis.transitions` is
    applied.

    Parameters
    ----------
    factory : callable
        ``factory(**point) -> SDE``, e.g. ``lambda c, D: ddm.systems.ring_wells(c=c, D=D)``.
    grid : dict
        Parameter name -> sequence of values; the grid is their product.
    centres : (K, d) array, or callable ``centres(**point) -> (K, d)``
        The attractors in latent coordinates.
    radius : float
    key : PRNG key
    t_max : float
        Duration of every trial.
    n_trials, n_neurons : int
    fit_kwargs : dict, optional
        Passed to ``ddm.fit``.
    cycle : sequence of int, optional
        Ring order (see :func:`ddm_explore.analysis.transitions`).
    dt : float
    record_every : int
    inputs : Schedule or array, optional
        The same input for every run (default none).
    systems : tuple of {"target", "network"}
    min_transitions : int
        See :func:`ddm_explore.analysis.transitions`.
    paired : bool
        Drive target and network with the same noise draws (default: independent ones).

    Returns
    -------
    xarray.Dataset
        Over (system, *grid names): ``n_forward``, ``n_backward``, ``forward_backward_ratio``,
        ``forward_fraction``, ``forward_fraction_se``, ``net_flux``, ``mean_cycle_time``,
        ``n_transitions``, ``transition_rate`` (all departures / all occupancy),
        ``dwell_time_mean_all`` (its inverse); ``dwell_time_mean`` and ``escape_rate`` also per
        ``state``; ``eps_f`` of each fit. Sample sizes in attrs.

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> res = ddm.experiments.transition_sweep(lambda c: ddm.systems.ring_wells(c=c, D=0.15), {"c": [0.4]},
    ...                                        ddm.systems.ring_centres(K=4), radius=0.45, t_max=20.0, n_trials=8,
    ...                                        key=jax.random.key(0), systems=("target",), min_transitions=0)
    >>> res.n_forward.dims
    ('system', 'c')
    """
    if not callable(factory):
        raise ValueError(f"`factory` must be a callable returning a ddm.SDE, got {_show(factory)}")
    if not isinstance(grid, dict) or not grid:
        raise ValueError(f"`grid` must be a non-empty dict of parameter name -> values, got {_show(grid)}")
    key = check_key("key", key)
    n_trials = check_int("n_trials", n_trials)
    bad = set(systems) - {"target", "network"}
    if bad or not systems:
        raise ValueError(f"`systems` must name 'target' and/or 'network', got {_show(systems)}")
    names = list(grid)
    values = [list(np.atleast_1d(grid[n])) for n in names]
    shape = tuple(len(v) for v in values)
    k_fit, k_sim = jax.random.split(key)
    scalars = ("n_forward", "n_backward", "forward_backward_ratio", "forward_fraction", "forward_fraction_se",
               "net_flux", "mean_cycle_time", "n_transitions")
    out = {v: np.full((len(systems),) + shape, np.nan) for v in scalars + ("transition_rate", "dwell_time_mean_all")}
    per_state, eps = None, np.full(shape, np.nan)
    K = None
    for flat, idx in enumerate(itertools.product(*(range(s) for s in shape))):
        point = {n: values[j][i] for j, (n, i) in enumerate(zip(names, idx))}
        target = factory(**point)
        if not isinstance(target, SDE):
            raise ValueError(f"`factory` must return a ddm.SDE, got {type(target).__name__} for {point}")
        C = as_array("centres", centres(**point) if callable(centres) else centres)
        if C.ndim == 1 and target.dim == 1:
            C = C[:, None]
        if K is None:
            K = C.shape[0]
            per_state = {v: np.full((len(systems),) + shape + (K,), np.nan) for v in ("dwell_time_mean", "escape_rate")}
        z0 = C[np.arange(n_trials) % K]
        for s, name in enumerate(systems):
            system = target
            if name == "network":
                system, report = _network_for(target, None, n_neurons, fit_kwargs, jax.random.fold_in(k_fit, flat))
                eps[idx] = float(report.eps_f)
            ds = simulate(system, t_max=t_max, dt=dt, n_trials=n_trials, key=jax.random.fold_in(jax.random.fold_in(k_sim, flat), 0 if paired else s), z0=z0,
                          inputs=inputs, record_every=record_every, progress=False)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                tr = transitions(ds.z, C, radius, cycle=cycle, min_transitions=min_transitions)
            for w in caught:
                warnings.warn(f"{name} at {point}: {w.message}", stacklevel=2)
            for v in scalars:
                out[v][(s,) + idx] = float(tr[v])
            occ, dep = float(tr.occupancy.sum()), float(tr.n_departures.sum())
            out["transition_rate"][(s,) + idx] = dep / occ if occ > 0 else np.nan
            out["dwell_time_mean_all"][(s,) + idx] = occ / dep if dep > 0 else np.nan
            per_state["dwell_time_mean"][(s,) + idx] = tr.dwell_time_mean.values
            per_state["escape_rate"][(s,) + idx] = tr.escape_rate.values
    dims = ("system",) + tuple(names)
    units = dict(net_flux="1/tau", mean_cycle_time="tau", transition_rate="1/tau", dwell_time_mean_all="tau",
                 dwell_time_mean="tau", escape_rate="1/tau")
    data = {v: (dims, a, dict(units=units[v]) if v in units else {}) for v, a in out.items()}
    data.update({v: (dims + ("state",), a, dict(units=units[v])) for v, a in per_state.items()})
    data["eps_f"] = (tuple(names), eps, dict(long_name="held-out drift error of the network"))
    coords = dict(system=list(systems), state=np.arange(K), **{n: values[j] for j, n in enumerate(names)})
    return xr.Dataset(data, coords=coords,
                      attrs=dict(n_trials=n_trials, t_max=float(t_max), total_time=float(n_trials * t_max), dt=dt,
                                 record_every=record_every, radius=float(radius), n_neurons=n_neurons,
                                 start="trial i at centres[i % K]",
                                 noise="shared between target and network (same key)" if paired else "independent"))
