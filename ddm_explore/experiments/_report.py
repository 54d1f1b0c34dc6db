"""One table of how well a network embeds a target SDE."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from .._checks import check_int, check_key, check_positive
from ..analysis import (fixed_points, limit_cycle, lyapunov_exponent, power_spectrum_distance, state_space_divergence,
                        stationary_distance)
from ..matching import Sampler, box, matching_errors
from .._system import check_network, check_sde
from ..simulation import simulate
from ._settings import simulate_settings


def _start_points(sampler: Sampler, key, n: int, jitter: float) -> np.ndarray:
    """``n`` draws ``z0`` of ``sampler`` moved to ``z0 (1 + jitter xi)``, xi standard normal."""
    z0 = np.asarray(sampler.sample(key, n), np.float64)
    if jitter > 0:
        z0 = z0 * (1.0 + jitter * np.asarray(jax.random.normal(jax.random.fold_in(key, 1), z0.shape), np.float64))
    return z0


def embedding_report(net, sde, *, key, sampler: Sampler | None = None, n_test: int = 2048, t_max: float = 500.0,
                     n_trials: int = 8, t_transient: float = 50.0, bins: int = 30, lyapunov=True, n_seeds: int = 128,
                     n_floor_pairs: int = 1, start_jitter: float = 0.01, simulate_kwargs=None) -> xr.Dataset:
    """Embedding quality of a fitted network against its target, gathered in one Dataset.

    - ``eps_f``, ``eps_D``: held-out relative drift and diffusion errors at ``n_test`` fresh
      points of ``sampler`` (METHOD.md section 3).
    - ``D_stsp`` (d <= 3), ``D_H`` and ``stationary_distance`` between a reference target run
      and the network run (``comparison="network"``), and between the reference run and a second,
      independent target run of the same length and settings (``comparison="floor"``, the
      noise floor). Every run: ``n_trials`` trials of length ``t_max`` from independent
      starting points drawn from ``sampler``, with the systems' own noise, the first
      ``t_transient`` dropped, simulated with ``simulate_kwargs``. With
      ``n_floor_pairs`` = K > 1 there are K independent (reference, floor run, network run)
      triples; ``comparison="floor"`` of triple k compares its reference with its floor run and
      ``"network"`` the same reference with its network run; the headline values are means over
      the K triples (``*_sd``: their standard deviation, ``*_pairs``: each triple). A single
      floor pair scatters by tens of percent, so average several before comparing a model with
      its floor.
    - Starting points: sampler draws ``z0`` moved to ``z0 (1 + start_jitter xi)``, xi standard
      normal per coordinate. A deterministic target started at recorded states of one trajectory
      (an ``occupation`` sampler of the same target) would otherwise continue that trajectory
      bit for bit, so two "independent" runs would share most of their states and the floor
      would be far too low; the small relative jitter lets chaos separate them within the
      transient, and keeps the sign of every coordinate (a coordinate that must stay positive,
      such as Rössler's z3, stays positive).
    - ``lyapunov`` (system): the largest Lyapunov exponent of the noise-free target (its drift)
      and network (its full N-dimensional flow), in the target's original time units
      (``sde.params["time_scale"]`` when it has one), with its standard error over trials.
    - ``period``, ``amplitude`` (system): limit-cycle period and amplitude of latent component 0
      on one noise-free run of each from the same start (NaN without a sustained oscillation).
    - ``n_stable``, ``n_unstable``, ``n_saddle`` (system): fixed points of the latent drift in
      the target's region.

    Parameters
    ----------
    net : Network
        Fitted to ``sde``.
    sde : SDE
    key : PRNG key
        Draws test points, starting points, noise and Lyapunov frames.
    sampler : Sampler, optional
        Test points and starting points; default a box over ``sde.region`` (use the
        occupation measure for chaotic targets).
    n_test : int
    t_max, n_trials, t_transient :
        Length, number and dropped transient of the runs (time in tau).
    bins : int
        Bins per dimension of D_stsp.
    lyapunov : bool or dict
        Estimate the exponents (the slowest part): True, or a dict ``t_max=``, ``dt=`` of their
        averaging time and RK4 step (default the runs' ``t_max`` and ``dt``; the same ``n_trials``
        and transient as the runs); False skips them.
    n_seeds : int
        Newton seeds for the fixed points.
    n_floor_pairs : int
        K >= 1 independent (reference, floor, network) triples to average D_stsp, D_H and the
        stationary distance over (default 1: one pair, as a single comparison). The K runs of
        each system are simulated as one batch of ``K * n_trials`` trials, so the cost grows far
        less than K-fold.
    start_jitter : float
        Relative perturbation of the starting points (>= 0; 0: the sampler's draws as they are).
    simulate_kwargs : dict, optional
        Settings of every ``ddm.simulate`` run (default ``dt=0.01, record_every=10``).

    Returns
    -------
    xarray.Dataset
        Scalars ``eps_f``, ``eps_D``; ``D_stsp``, ``D_H``, ``stationary_distance`` (comparison,
        means over the triples), their ``*_sd`` (comparison, NaN for K = 1) and ``*_pairs``
        (comparison, pair);
        ``lyapunov``, ``lyapunov_sem``, ``period``, ``amplitude``, ``n_stable``, ``n_unstable``,
        ``n_saddle`` (system); sizes and settings in attrs.

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
    check_sde("sde", sde)
    if net.dim != sde.dim or net.input_dim != sde.input_dim:
        raise ValueError(f"`net` (d={net.dim}, k={net.input_dim}) does not match `sde` (d={sde.dim}, k={sde.input_dim})")
    key = check_key("key", key)
    n_test = check_int("n_test", n_test, minimum=2)
    t_max = check_positive("t_max", t_max)
    t_transient = check_positive("t_transient", t_transient, allow_zero=True)
    if t_transient >= t_max:
        raise ValueError(f"`t_transient` must be shorter than `t_max`={t_max}, got {t_transient}")
    n_trials = check_int("n_trials", n_trials)
    n_pairs = check_int("n_floor_pairs", n_floor_pairs)
    start_jitter = check_positive("start_jitter", start_jitter, allow_zero=True)
    sim = simulate_settings(simulate_kwargs, ("t_max", "n_trials", "key", "z0", "deterministic", "progress"))
    lyap_kw = _lyapunov_settings(lyapunov, t_max, sim["dt"])
    if sampler is None:
        sampler = box(*sde.region)
    if not isinstance(sampler, Sampler) or sampler.dim != sde.dim:
        raise ValueError(f"`sampler` must be a {sde.dim}-dimensional ddm.box/gaussian/occupation sampler, got {sampler!r}")
    keys = jax.random.split(key, 10)
    T = float(sde.params.get("time_scale", 1.0))
    eps_f, eps_D = _held_out_errors(net, sde, sampler, keys[0], keys[1], n_test)

    def run(system, k_start, k_noise, *, trials=n_trials, deterministic=False, z0=None):
        if z0 is None:
            z0 = _start_points(sampler, k_start, trials, start_jitter)
        ds = simulate(system, t_max=t_max, n_trials=trials, key=k_noise, z0=z0, deterministic=deterministic,
                      progress=False, **sim)
        return ds.z.sel(time=slice(t_transient, None))

    # trajectories: reference target run, independent target run (floor), network run; K triples
    ref, other, model = (_split(run(system, keys[i], keys[i + 1], trials=n_pairs * n_trials), n_pairs, n_trials)
                         for system, i in ((sde, 2), (sde, 4), (net, 6)))
    traj = _trajectory_metrics(ref, other, model, bins, sde.dim)

    # noise-free: cycles, Lyapunov exponents, fixed points
    z0 = np.asarray(sampler.sample(keys[8], 1))
    cyc = [limit_cycle(run(s, None, keys[9], trials=1, deterministic=True, z0=z0), discard=0.0) for s in (sde, net)]
    lyap, lyap_sem = [np.nan, np.nan], [np.nan, np.nan]
    if lyap_kw is not None:
        starts = np.asarray(sampler.sample(keys[8], n_trials))
        for i, s in enumerate((sde, net)):
            r = lyapunov_exponent(s, key=keys[9], t_transient=t_transient, n_trials=n_trials, z0=starts, time_scale=T,
                                  **lyap_kw)
            lyap[i], lyap_sem[i] = float(r.exponent_original), float(r.exponent_sem) * T
    fps = [fixed_points(s, key=keys[9], n_seeds=n_seeds, region=sde.region) for s in (sde, net)]
    count = lambda kind: (("system",), [int((fp.stability == kind).sum()) for fp in fps])  # noqa: E731

    attrs = dict(target=sde.name, target_params=str(sde.params), n_neurons=net.n_neurons, dim=sde.dim,
                 connectivity=net.connectivity, noise=net.noise, sampler=sampler.describe(), n_test=n_test,
                 t_max=t_max, dt=sim["dt"], n_trials=n_trials, record_every=sim["record_every"], t_transient=t_transient,
                 bins=bins, time_scale=T, lyapunov_t_max=lyap_kw["t_max"] if lyap_kw else 0.0,
                 lyapunov_dt=lyap_kw["dt"] if lyap_kw else sim["dt"], n_seeds=n_seeds, n_floor_pairs=n_pairs,
                 start_jitter=start_jitter)
    return xr.Dataset(
        dict(eps_f=((), eps_f, dict(long_name="held-out relative drift error")),
             eps_D=((), eps_D, dict(long_name="held-out relative diffusion error")),
             **traj,
             lyapunov=(("system",), lyap, dict(long_name="largest Lyapunov exponent", units="1/original time unit")),
             lyapunov_sem=(("system",), lyap_sem, dict(units="1/original time unit")),
             period=(("system",), [float(c.period[0]) for c in cyc], dict(units="tau")),
             amplitude=(("system",), [float(c.amplitude[0]) for c in cyc], dict(units="latent units")),
             n_stable=count("stable"), n_unstable=count("unstable"), n_saddle=count("saddle")),
        coords=dict(comparison=["network", "floor"], system=["target", "network"], pair=np.arange(n_pairs)),
        attrs=attrs)


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


def _held_out_errors(net, sde, sampler, k_points, k_inputs, n_test):
    """eps_f and eps_D at ``n_test`` fresh points of ``sampler`` (inputs uniform over the input region)."""
    Z = sampler.sample(k_points, n_test)
    U = None
    if sde.input_dim:
        lo, hi = sde.input_region
        U = jax.random.uniform(k_inputs, (n_test, sde.input_dim), minval=jnp.asarray(lo, jnp.float32),
                               maxval=jnp.asarray(hi, jnp.float32))
    return matching_errors(net, sde, Z, U)


def _split(z, n_pairs, n_trials):
    """K groups of ``n_trials`` consecutive trials."""
    return [z.isel(trial=slice(k * n_trials, (k + 1) * n_trials)) for k in range(n_pairs)]


def _trajectory_metrics(ref, other, model, bins, dim) -> dict:
    """D_stsp (d <= 3), D_H and the stationary distance of each triple: means, spreads and each pair."""
    n_pairs = len(ref)

    def per_pair(metric):  # (comparison, pair)
        return np.array([[metric(r, m) for r, m in zip(ref, model)], [metric(r, o) for r, o in zip(ref, other)]])

    pairs = dict(D_stsp=per_pair(lambda a, b: state_space_divergence(a, b, bins)) if dim <= 3
                 else np.full((2, n_pairs), np.nan),
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
