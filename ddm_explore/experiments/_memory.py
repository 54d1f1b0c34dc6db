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
from .._system import System, check_sde, is_sde
from ..simulation import simulate
from ._settings import simulate_settings


def _systems(network, *, fitted_allowed: bool) -> tuple:
    """The systems a sweep runs: the target, and a network unless ``network`` is None."""
    if network is None:
        return ("target",)
    if isinstance(network, System) and network.has_neurons and fitted_allowed:
        return ("target", "network")
    if isinstance(network, bool) or not isinstance(network, (int, np.integer)) or network < 2:
        wanted = "a fitted ddm.Network, " if fitted_allowed else ""
        raise ValueError(f"`network` must be {wanted}a number of neurons (>= 2) or None, got {_show(network)}")
    return ("target", "network")


def _network_for(target, network, fit_kwargs, key):
    """A fitted network (and its report, None when it was given)."""
    if isinstance(network, System):
        return network, None
    return fit(target, int(network), key=key, progress=False, **(fit_kwargs or {}))


def recall_sweep(target, centres, *, amplitudes, durations, radius, key, n_trials: int = 64, network=256,
                 fit_kwargs=None, cue_centres=None, onset: float = 1.0, settle: float = 10.0, simulate_kwargs=None,
                 paired: bool = True) -> xr.Dataset:
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
    network : Network, int or None
        A fitted network; or the number of neurons of one to fit with
        ``ddm.fit(target, network, **fit_kwargs)`` (default 256); None: the target only.
    fit_kwargs : dict, optional
    cue_centres : (K, k) array, optional
        The memories in input coordinates, giving the cue directions (default ``centres``).
    onset, settle : float
    simulate_kwargs : dict, optional
        Settings of ``ddm.simulate`` (default ``dt=0.01, record_every=10``); the sweep sets the
        trials, their starts, inputs and length.
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
    ...                                    radius=0.45, n_trials=16, settle=1.0, key=jax.random.key(0), network=None)
    >>> float(res.accuracy.sel(system="target", amplitude=0.0, duration=1.0))
    0.25
    """
    if check_sde("target", target).input_dim == 0:
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
    systems = _systems(network, fitted_allowed=True)
    sim = simulate_settings(simulate_kwargs, ("t_max", "n_trials", "key", "z0", "inputs", "progress"))
    dt = sim["dt"]
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
            system, report = _network_for(target, network, fit_kwargs, k_fit)
            eps_f = float(report.eps_f) if report is not None else np.nan
        k_run = k_sim if paired else jax.random.fold_in(k_sim, s)
        ds = simulate(system, t_max=t_max, n_trials=n_total, key=k_run, z0=z0, inputs=sched, progress=False, **sim)
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
                   n_neurons=0 if network is None else int(getattr(network, "n_neurons", network)), radius=float(radius),
                   onset=onset, settle=settle, t_max=t_max, dt=dt, record_every=int(sim["record_every"]),
                   design="start i % K, cue (i // K) % K",
                   noise="shared between target and network (same key)" if paired else "independent"))


def transition_sweep(factory, grid: dict, centres, *, radius, key, t_max: float, n_trials: int = 64, network=256,
                     fit_kwargs=None, cycle=None, simulate_kwargs=None, min_transitions: int = 10,
                     paired: bool = False) -> xr.Dataset:
    """Autonomous transitions (episodic sequences) over a parameter grid, for target and network.

    For every point of the grid (e.g. ``{"c": [0, 0.4], "D": [0.1, 0.15]}``) the target
    ``factory(**point)`` is built, a network is fitted to it (once per point, ``ddm.fit``), both are
    simulated from trials that start at the attractors (trial i at ``centres[i % K]``), with
    independent noise draws (or shared ones with ``paired=True``), and
    :func:`ddm_explore.analysis.transitions` is applied.

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
    n_trials : int
    network : int or None
        Neurons of the network fitted at every point with ``ddm.fit(target, network, **fit_kwargs)``
        (default 256); None: the target only.
    fit_kwargs : dict, optional
        Passed to ``ddm.fit``.
    cycle : sequence of int, optional
        Ring order (see :func:`ddm_explore.analysis.transitions`).
    simulate_kwargs : dict, optional
        Settings of ``ddm.simulate`` (default ``dt=0.01, record_every=10``), e.g. ``inputs`` (the
        same input for every run); the sweep sets the trials, their starts and length.
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
    ...                                        key=jax.random.key(0), network=None, min_transitions=0)
    >>> res.n_forward.dims
    ('system', 'c')
    """
    if not callable(factory):
        raise ValueError(f"`factory` must be a callable returning a ddm.SDE, got {_show(factory)}")
    if not isinstance(grid, dict) or not grid:
        raise ValueError(f"`grid` must be a non-empty dict of parameter name -> values, got {_show(grid)}")
    key = check_key("key", key)
    n_trials = check_int("n_trials", n_trials)
    systems = _systems(network, fitted_allowed=False)
    sim = simulate_settings(simulate_kwargs, ("t_max", "n_trials", "key", "z0", "progress"))
    names = list(grid)
    values = [list(np.atleast_1d(grid[n])) for n in names]
    shape = tuple(len(v) for v in values)
    k_fit, k_sim = jax.random.split(key)
    out, eps, K = {}, np.full(shape, np.nan), None
    for flat, idx in enumerate(itertools.product(*(range(s) for s in shape))):
        point = {n: values[j][i] for j, (n, i) in enumerate(zip(names, idx))}
        target = factory(**point)
        if not is_sde(target):
            raise ValueError(f"`factory` must return a ddm.SDE, got {type(target).__name__} for {point}")
        C = as_array("centres", centres(**point) if callable(centres) else centres)
        if C.ndim == 1 and target.dim == 1:
            C = C[:, None]
        K = C.shape[0] if K is None else K
        z0 = C[np.arange(n_trials) % K]
        for s, name in enumerate(systems):
            system = target
            if name == "network":
                system, report = _network_for(target, network, fit_kwargs, jax.random.fold_in(k_fit, flat))
                eps[idx] = float(report.eps_f)
            k_run = jax.random.fold_in(jax.random.fold_in(k_sim, flat), 0 if paired else s)
            ds = simulate(system, t_max=t_max, n_trials=n_trials, key=k_run, z0=z0, progress=False, **sim)
            for v, x in _transition_row(ds.z, C, radius, cycle, min_transitions, f"{name} at {point}").items():
                out.setdefault(v, np.full((len(systems),) + shape + np.shape(x), np.nan))[(s,) + idx] = x
    dims = ("system",) + tuple(names)
    data = {v: (dims + ("state",) * (a.ndim - len(dims)), a, dict(units=_UNITS[v]) if v in _UNITS else {})
            for v, a in out.items()}
    data["eps_f"] = (tuple(names), eps, dict(long_name="held-out drift error of the network"))
    coords = dict(system=list(systems), state=np.arange(K), **{n: values[j] for j, n in enumerate(names)})
    return xr.Dataset(data, coords=coords,
                      attrs=dict(n_trials=n_trials, t_max=float(t_max), total_time=float(n_trials * t_max),
                                 dt=sim["dt"], record_every=int(sim["record_every"]), radius=float(radius),
                                 n_neurons=0 if network is None else int(network), start="trial i at centres[i % K]",
                                 noise="shared between target and network (same key)" if paired else "independent"))


#: the scalars of :func:`ddm_explore.analysis.transitions` that the sweep keeps, per grid point
_SCALARS = ("n_forward", "n_backward", "forward_backward_ratio", "forward_fraction", "forward_fraction_se",
            "net_flux", "mean_cycle_time", "n_transitions")
_UNITS = dict(net_flux="1/tau", mean_cycle_time="tau", transition_rate="1/tau", dwell_time_mean_all="tau",
              dwell_time_mean="tau", escape_rate="1/tau")


def _transition_row(z, C, radius, cycle, min_transitions, where) -> dict:
    """The sweep's numbers for one system at one grid point; sample-size warnings say where."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tr = transitions(z, C, radius, cycle=cycle, min_transitions=min_transitions)
    for w in caught:
        warnings.warn(f"{where}: {w.message}", w.category, stacklevel=3)
    row = {v: float(tr[v]) for v in _SCALARS}
    occ, dep = float(tr.occupancy.sum()), float(tr.n_departures.sum())
    row["transition_rate"] = dep / occ if occ > 0 else np.nan
    row["dwell_time_mean_all"] = occ / dep if dep > 0 else np.nan
    row["dwell_time_mean"] = tr.dwell_time_mean.values
    row["escape_rate"] = tr.escape_rate.values
    return row
