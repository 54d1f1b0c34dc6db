"""One table of how well a network embeds a target SDE."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from .._checks import check_int, check_key, check_positive
from ..analysis import (fixed_points, limit_cycle, lyapunov_exponent, power_spectrum_distance, state_space_divergence,
                        stationary_distance)
from ..matching import Sampler, matching_errors, occupation
from ..matching._samplers import REGION_MARGIN, default_sampler, target_region
from .._system import check_network, check_sde
from ..simulation import simulate
from ._embedding_checks import embedding_problems, warn_embedding
from ._reference import (describe_reference, matched_recording, reference_step, reference_trajectories,
                         split_reference)
from ._settings import simulate_settings

#: held-out points of the report's eps_f and eps_D
N_TEST = 2048


def _start_points(sampler: Sampler, key, n: int, jitter: float) -> np.ndarray:
    """``n`` draws ``z0`` of ``sampler`` moved to ``z0 (1 + jitter xi)``, xi standard normal."""
    z0 = np.asarray(sampler.sample(key, n), np.float64)
    if jitter > 0:
        z0 = z0 * (1.0 + jitter * np.asarray(jax.random.normal(jax.random.fold_in(key, 1), z0.shape), np.float64))
    return z0


def embedding_report(net, sde=None, *, key, reference=None, sampler: Sampler | None = None, t_max: float = 500.0,
                     n_trials: int = 8, t_transient: float = 50.0, bins: int = 30, lyapunov=True, n_seeds: int = 128,
                     n_floor_pairs: int = 1, start_jitter: float = 0.01, simulate_kwargs=None) -> xr.Dataset:
    """Embedding quality of a fitted network against its target, gathered in one Dataset.

    - ``eps_f``, ``eps_D``: relative drift and diffusion errors at 2048 held-out points
      (``sampler.sample_test``: fresh draws of a box or Gaussian, the held-out states of an
      occupation sampler; with ``reference`` and no ``sampler``, the reference's states) (METHOD.md
      section 3); NaN without ``sde``.
    - ``D_stsp``, ``D_H`` and ``stationary_distance`` between reference trajectories and the
      network run (``comparison="network"``), and between the reference and a second, independent
      set of the same size (``comparison="floor"``, the noise floor). D_stsp bins d <= 3 latent
      dimensions and uses the Gaussian-mixture estimate above (see
      :func:`~ddm_explore.analysis.state_space_divergence`).

      *Simulated reference* (``reference=None``): every run is ``n_trials`` trials of length
      ``t_max`` of the target from independent starting points drawn from ``sampler``, with the
      systems' own noise, the first ``t_transient`` dropped, simulated with ``simulate_kwargs``.
      With ``n_floor_pairs`` = K > 1 there are K independent (reference, floor run, network run)
      triples; ``comparison="floor"`` of triple k compares its reference with its floor run and
      ``"network"`` the same reference with its network run; the headline values are means over
      the K triples (``*_sd``: their standard deviation, ``*_pairs``: each triple). A single floor
      pair scatters by tens of percent, so average several before comparing a model with its floor.

      *External reference* (``reference=`` trajectories from elsewhere, e.g. integrated by scipy or
      recorded): its trials are split into 2 K disjoint groups of ``n_ref // (2 K)`` trials (at
      least 2 trials; trials left over are unused); pair k compares group 2k with a network run
      of as many trials (``"network"``) and with group 2k + 1 (``"floor"``). The network runs as
      long as a reference trial plus ``t_transient`` (dropped), recorded at the reference's step
      (its integration step the ``simulate_kwargs`` dt, or the next smaller divisor of that
      step), from jittered reference states. The reference is used as given: drop its transient
      first. ``t_max`` and ``n_trials`` do not shape these runs (``n_trials`` still sets the
      Lyapunov trials).
    - Starting points: draws ``z0`` moved to ``z0 (1 + start_jitter xi)``, xi standard normal per
      coordinate (from ``sampler``, or from the reference's states). A deterministic target started
      at recorded states of one trajectory would otherwise continue that trajectory bit for bit, so
      two "independent" runs would share most of their states and the floor would be far too low;
      the small relative jitter lets chaos separate them within the transient, and keeps the sign
      of every coordinate (a coordinate that must stay positive, such as Rössler's z3, stays
      positive).
    - ``lyapunov`` (system): the largest Lyapunov exponent of the noise-free target (its drift)
      and network (its full N-dimensional flow), in the target's original time units
      (``sde.time_scale``), with its standard error over trials.
    - ``period``, ``amplitude`` (system): limit-cycle period and amplitude of latent component 0
      on one noise-free run of each from the same start (NaN without a sustained oscillation).
    - ``n_stable``, ``n_unstable``, ``n_saddle`` (system): fixed points of the latent drift in
      the target's region (``sde.region``; without one, the extent of ``sampler`` or of the
      reference widened by 10% of its range).
    - Without ``sde`` (an external reference alone) the target's eps, exponent, period and
      amplitude are NaN and its fixed-point counts -1.
    - Warnings (:class:`ddm_explore.EmbeddingWarning`, also listed in ``attrs["problems"]``): the
      network's runs leave the reference's attractor (more than 5% of their states outside the
      reference's box widened by 10% of its range), collapse (late-time spread, the standard
      deviation over the second half of each trial, below 0.2 of the reference's in some
      coordinate), lose the target's chaos (the target's exponent positive by more than 3
      standard errors, the network's below 0.1 of it) or its oscillation (the target's
      noise-free run has a period, the network's none).

    Parameters
    ----------
    net : Network
        Fitted to ``sde``.
    sde : SDE, optional
        The target; required unless ``reference`` is given.
    key : PRNG key
        Draws test points, starting points, noise and Lyapunov frames.
    reference : DataArray (trial, time, latent), Dataset with ``"z"``, or (array, dt), optional
        External reference trajectories with a uniform time step (a DataArray needs a ``time``
        coordinate; an array comes with its step ``dt``); at least 2 trials.
    sampler : Sampler, optional
        Test points and starting points; default a box over ``sde.region`` (use the occupation
        measure for chaotic targets; required when the target has no region and no ``reference``
        is given). With ``reference``: the test points only.
    t_max, n_trials, t_transient :
        Length, number and dropped transient of the runs (time in tau).
    bins : int
        Bins per dimension of D_stsp (d <= 3).
    lyapunov : bool or dict
        Estimate the exponents (the slowest part): True, or a dict ``t_max=``, ``dt=`` of their
        averaging time and RK4 step (default the runs' length and ``dt``; ``n_trials`` trials and
        the runs' transient); False skips them.
    n_seeds : int
        Newton seeds for the fixed points.
    n_floor_pairs : int
        K >= 1 independent (reference, floor, network) triples to average D_stsp, D_H and the
        stationary distance over (default 1: one pair, as a single comparison). The K runs of
        each system are simulated as one batch of ``K * n_trials`` trials, so the cost grows far
        less than K-fold.
    start_jitter : float
        Relative perturbation of the starting points (>= 0; 0: the draws as they are).
    simulate_kwargs : dict, optional
        Settings of every ``ddm.simulate`` run (default ``dt=0.01, record_every=10``; with
        ``reference`` the recording step is the reference's).

    Returns
    -------
    xarray.Dataset
        Scalars ``eps_f``, ``eps_D``; ``D_stsp``, ``D_H``, ``stationary_distance`` (comparison,
        means over the triples), their ``*_sd`` (comparison, NaN for K = 1) and ``*_pairs``
        (comparison, pair);
        ``lyapunov``, ``lyapunov_sem``, ``period``, ``amplitude``, ``n_stable``, ``n_unstable``,
        ``n_saddle`` (system); sizes and settings in attrs, with ``reference`` (where the
        reference trajectories came from), ``held_out`` (what eps_f was measured on) and
        ``problems`` (the warnings' sentences, "none" without).

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> sde = ddm.systems.van_der_pol()
    >>> net, _ = ddm.fit(sde, 64, key=jax.random.key(0), progress=False)
    >>> rep = ddm.experiments.embedding_report(net, sde, key=jax.random.key(1), t_max=40.0, t_transient=10.0,
    ...                                        n_trials=2, lyapunov=False, n_seeds=16)
    >>> bool(rep.eps_f < 0.05), rep.period.dims
    (True, ('system',))
    """
    check_network("net", net)
    if sde is None and reference is None:
        raise ValueError("`sde` is required unless `reference` trajectories are given")
    if sde is not None:
        check_sde("sde", sde)
        if net.dim != sde.dim or net.input_dim != sde.input_dim:
            raise ValueError(f"`net` (d={net.dim}, k={net.input_dim}) does not match `sde` (d={sde.dim}, k={sde.input_dim})")
    key = check_key("key", key)
    t_max = check_positive("t_max", t_max)
    t_transient = check_positive("t_transient", t_transient, allow_zero=True)
    if reference is None and t_transient >= t_max:
        raise ValueError(f"`t_transient` must be shorter than `t_max`={t_max}, got {t_transient}")
    n_trials = check_int("n_trials", n_trials)
    n_pairs = check_int("n_floor_pairs", n_floor_pairs)
    start_jitter = check_positive("start_jitter", start_jitter, allow_zero=True)
    sim = simulate_settings(simulate_kwargs, ("t_max", "n_trials", "key", "z0", "deterministic", "progress"))
    if sampler is not None and (not isinstance(sampler, Sampler) or sampler.dim != net.dim):
        raise ValueError(f"`sampler` must be a {net.dim}-dimensional ddm.box/gaussian/occupation sampler, got {sampler!r}")
    keys = jax.random.split(key, 10)
    if reference is None:
        sampler = default_sampler(sde, sampler)
        plan = dict(starts=sampler, sim=sim, t_run=t_max, t_drop=t_transient, t_record=t_max)
        ref, other, model = (_split(_run(system, _start_points(sampler, keys[i], n_pairs * n_trials, start_jitter),
                                         keys[i + 1], plan), n_pairs, n_trials) for system, i in ((sde, 2), (sde, 4), (net, 6)))
        source = (f"simulated target, {2 * n_pairs} run(s) of {n_trials} trials x {t_max - t_transient:.4g} tau "
                  f"(reference and floor run of each pair independent)")
    else:
        traj = reference_trajectories(reference, net.dim)
        plan, (ref, other, model), source = _external_runs(net, traj, keys, n_pairs, t_transient, start_jitter,
                                                           sim, simulate_kwargs)
    test = sampler if sampler is not None else plan["starts"]
    eps_f, eps_D = _held_out_errors(net, sde, test, keys[0], keys[1], N_TEST) if sde is not None else (np.nan, np.nan)
    lyap_kw = _lyapunov_settings(lyapunov, plan["t_record"], plan["sim"]["dt"])
    system = _system_metrics(net, sde, plan, keys, lyap_kw, n_trials, t_transient, n_seeds)
    problems = embedding_problems(ref, model, system["lyapunov"][1], system["lyapunov_sem"][1], system["period"][1])
    warn_embedding(problems, net.name)
    attrs = dict(target=sde.name if sde is not None else "external reference",
                 target_params=str(sde.params) if sde is not None else "", n_neurons=net.n_neurons, dim=net.dim,
                 connectivity=net.connectivity, noise=net.noise, sampler=test.describe(), n_test=N_TEST,
                 held_out=_held_out_text(sde, sampler, test), reference=source,
                 t_max=plan["t_run"], dt=plan["sim"]["dt"], n_trials=model[0].sizes["trial"],
                 record_every=plan["sim"]["record_every"], t_transient=t_transient, bins=bins,
                 time_scale=system.pop("time_scale"), lyapunov_t_max=lyap_kw["t_max"] if lyap_kw else 0.0,
                 lyapunov_dt=lyap_kw["dt"] if lyap_kw else plan["sim"]["dt"], n_seeds=n_seeds, n_floor_pairs=n_pairs,
                 start_jitter=start_jitter, problems="; ".join(problems) or "none")
    return xr.Dataset(
        dict(eps_f=((), eps_f, dict(long_name="held-out relative drift error")),
             eps_D=((), eps_D, dict(long_name="held-out relative diffusion error")),
             **_trajectory_metrics(ref, other, model, bins), **system),
        coords=dict(comparison=["network", "floor"], system=["target", "network"], pair=np.arange(n_pairs)),
        attrs=attrs)


def _run(system, z0, k_noise, plan, deterministic=False) -> xr.DataArray:
    """One ``simulate`` run of ``plan`` (its settings, length and dropped transient) from ``z0``."""
    ds = simulate(system, t_max=plan["t_run"], n_trials=len(z0), key=k_noise, z0=z0, deterministic=deterministic,
                  progress=False, **plan["sim"])
    return ds.z.sel(time=slice(plan["t_drop"], None))


def _external_runs(net, traj, keys, n_pairs, t_transient, start_jitter, sim, simulate_kwargs):
    """The plan, the (reference, floor, network) groups and the source of an external reference."""
    firsts, seconds, size = split_reference(traj, n_pairs)
    dt_ref = reference_step(traj)
    rec, t_run, n_skip = matched_recording(sim, simulate_kwargs, dt_ref, t_transient, traj.sizes["time"])
    starts = occupation(traj, held_out=0)
    plan = dict(starts=starts, sim=rec, t_run=t_run, t_drop=(n_skip - 0.5) * dt_ref,
                t_record=dt_ref * (traj.sizes["time"] - 1))
    z = _run(net, _start_points(starts, keys[6], n_pairs * size, start_jitter), keys[7], plan)
    return plan, (firsts, seconds, _split(z, n_pairs, size)), describe_reference(traj, n_pairs, size)


def _system_metrics(net, sde, plan, keys, lyap_kw, n_trials, t_transient, n_seeds) -> dict:
    """Noise-free cycles, largest Lyapunov exponents and fixed-point counts of (target, network):
    data variables over ``system``, and the time scale; NaN (counts -1) for a missing target."""
    systems = (sde, net)
    T = sde.time_scale if sde is not None else 1.0
    z0 = np.asarray(plan["starts"].sample(keys[8], 1))
    cyc = [None if s is None else limit_cycle(_run(s, z0, keys[9], plan, deterministic=True), discard=0.0)
           for s in systems]
    lyap, lyap_sem = [np.nan, np.nan], [np.nan, np.nan]
    if lyap_kw is not None:
        starts = np.asarray(plan["starts"].sample(keys[8], n_trials))
        for i, s in enumerate(systems):
            if s is not None:
                r = lyapunov_exponent(s, key=keys[9], t_transient=t_transient, n_trials=n_trials, z0=starts,
                                      time_scale=T, **lyap_kw)
                lyap[i], lyap_sem[i] = float(r.exponent_original), float(r.exponent_sem) * T
    region = target_region(sde, plan["starts"], margin=REGION_MARGIN)
    fps = [None if s is None else fixed_points(s, key=keys[9], n_seeds=n_seeds, region=region) for s in systems]
    count = lambda kind: (("system",), [-1 if fp is None else int((fp.stability == kind).sum()) for fp in fps])  # noqa: E731
    return dict(lyapunov=(("system",), lyap, dict(long_name="largest Lyapunov exponent", units="1/original time unit")),
                lyapunov_sem=(("system",), lyap_sem, dict(units="1/original time unit")),
                period=(("system",), [np.nan if c is None else float(c.period[0]) for c in cyc], dict(units="tau")),
                amplitude=(("system",), [np.nan if c is None else float(c.amplitude[0]) for c in cyc],
                           dict(units="latent units")),
                n_stable=count("stable"), n_unstable=count("unstable"), n_saddle=count("saddle"), time_scale=T)


def _lyapunov_settings(lyapunov, t_max, dt):
    """``lyapunov_exponent``'s ``t_max`` and ``dt`` from ``embedding_report(lyapunov=...)``; None to skip."""
    if lyapunov is False:
        return None
    if lyapunov is True:
        return dict(t_max=t_max, dt=dt)
    if not isinstance(lyapunov, dict) or set(lyapunov) - {"t_max", "dt"}:
        raise ValueError(f"`lyapunov` must be True, False or a dict with t_max and/or dt, got {lyapunov!r}")
    return dict(t_max=check_positive("lyapunov['t_max']", lyapunov.get("t_max", t_max)),
                dt=check_positive("lyapunov['dt']", lyapunov.get("dt", dt)))


def _held_out_text(sde, sampler, test) -> str:
    if sde is None:
        return "no target: eps_f and eps_D not measured"
    if sampler is None:
        return "the external reference's states (held out unless the network was fitted on them)"
    return test.held_out


def _held_out_errors(net, sde, sampler, k_points, k_inputs, n_test):
    """eps_f and eps_D at ``n_test`` held-out points of ``sampler`` (inputs uniform over the input region)."""
    Z = sampler.sample_test(k_points, n_test)
    U = None
    if sde.input_dim:
        lo, hi = sde.input_region
        U = jax.random.uniform(k_inputs, (n_test, sde.input_dim), minval=jnp.asarray(lo, jnp.float32),
                               maxval=jnp.asarray(hi, jnp.float32))
    return matching_errors(net, sde, Z, U)


def _split(z, n_pairs, n_trials):
    """K groups of ``n_trials`` consecutive trials."""
    return [z.isel(trial=slice(k * n_trials, (k + 1) * n_trials)) for k in range(n_pairs)]


def _trajectory_metrics(ref, other, model, bins) -> dict:
    """D_stsp (bins for d <= 3, Gaussian mixtures above), D_H and the stationary distance of each
    triple: means, spreads and each pair."""
    n_pairs = len(ref)

    def per_pair(metric):  # (comparison, pair)
        return np.array([[metric(r, m) for r, m in zip(ref, model)], [metric(r, o) for r, o in zip(ref, other)]])

    pairs = dict(D_stsp=per_pair(lambda a, b: state_space_divergence(a, b, bins)),
                 D_H=per_pair(power_spectrum_distance), stationary_distance=per_pair(stationary_distance))
    names = dict(D_stsp=dict(long_name="state-space divergence", units="nats"),
                 D_H=dict(long_name="power-spectrum Hellinger distance"),
                 stationary_distance=dict(long_name="energy distance of occupation measures"))
    traj = {}
    for name, v in pairs.items():
        traj[name] = (("comparison",), v.mean(axis=1), dict(names[name], n_floor_pairs=n_pairs))
        traj[name + "_sd"] = (("comparison",), v.std(axis=1, ddof=1) if n_pairs > 1 else np.full(2, np.nan),
                              dict(names[name], long_name=names[name]["long_name"] + ", standard deviation over pairs"))
        traj[name + "_pairs"] = (("comparison", "pair"), v, names[name])
    return traj
