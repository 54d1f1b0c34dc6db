"""A time scale T for a target: how much to slow it down so that a tau = 1 network can follow it
(the rule in README, "Bring your own system")."""

from __future__ import annotations

import numpy as np
import xarray as xr
import jax
import jax.numpy as jnp

from .._checks import as_array, check_choice, check_int, check_key, check_positive
from .._system import check_sde, require_region
from ..simulation._simulate import simulate

SCHEMES = ("euler", "heun", "rk4")
#: the integrators ``propose_time_scale`` chooses between, cheapest first (network steps per step)
SOLVERS = (("euler", 1), ("heun", 2))
#: records kept of the sample trajectories (every 5th of 5 x this many steps)
_RECORDS = 4000


def _amplification(scheme: str, x):
    """The one-step factor R(x) of the scheme on dz/dt = lambda z, x = lambda dt."""
    if scheme == "euler":
        return 1 + x
    if scheme == "heun":
        return 1 + x + x**2 / 2
    return 1 + x + x**2 / 2 + x**3 / 6 + x**4 / 24


def rate_error(scheme: str, h: float) -> float:
    """Relative error of the scheme's growth rate ``log R(h lambda^) / h`` against lambda at the step
    h = |lambda| dt, the worse of a decaying (lambda^ = -1) and an oscillating (lambda^ = i) mode."""
    return max(abs(np.log(complex(_amplification(scheme, h * lam))) / h - lam) for lam in (-1.0, 1j))


def largest_accurate_step(scheme: str, tolerance: float) -> float:
    """The largest h = |lambda| dt at which :func:`rate_error` is within ``tolerance``; by bisection
    (the error grows with h on [0, 2.5])."""
    lo, hi = 1e-6, 2.5
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if rate_error(scheme, mid) <= tolerance else (lo, mid)
    return lo


def recommend_solver(h: float, tolerance: float) -> str:
    """The cheapest of :data:`SOLVERS` whose growth-rate error at the step h = |lambda| dt is within
    ``tolerance``; the most accurate one if none is."""
    for name, _ in SOLVERS:
        if rate_error(name, h) <= tolerance:
            return name
    return SOLVERS[-1][0]


@jax.jit
def _jacobians(sde, Z):
    return jax.vmap(jax.jacfwd(lambda z: sde.latent_drift(z)))(Z)


def _sample_states(sde, key, n_trials):
    """Noise-free trajectories from starts in the region, at a step that resolves the fastest rate in
    the region: (states (n, d) after the first fifth, trajectories (trial, time, latent), dt)."""
    lo, hi = (np.asarray(a, np.float64) for a in require_region(sde, "propose_time_scale's sample trajectories",
                                                                 "points= (states of the system, e.g. from ddm.simulate)"))
    u = (np.arange(64) + 0.5) / 64
    pts = lo + (hi - lo) * np.stack([(u * (1 + 0.618034 * i)) % 1.0 for i in range(len(lo))], axis=-1)
    jac = np.asarray(_jacobians(sde, jnp.asarray(pts, jnp.float32)), np.float64)
    lam = float(np.max(np.abs(np.linalg.eigvals(jac)))) if np.all(np.isfinite(jac)) else 0.0
    dt = 0.05 / max(lam, 1e-6)
    ds = simulate(sde, t_max=5 * _RECORDS * dt, dt=dt, n_trials=n_trials, key=key, record_every=5, deterministic=True,
                  progress=False)
    z = ds.z.isel(time=slice(_RECORDS // 5, None))
    return z.values.reshape(-1, sde.dim), z.values, 5 * dt


def _dominant_period(sde, traj, dt_record) -> float:
    """Period of the highest peak of the power spectrum of the drift along the trajectories (the
    velocity: slow drifts of the position, such as Lorenz's lobe switching, weigh less)."""
    n_trials, n_time, d = traj.shape
    v = np.asarray(sde.latent_drift(jnp.asarray(traj.reshape(-1, d), jnp.float32)), np.float64).reshape(traj.shape)
    v = v - v.mean(axis=1, keepdims=True)
    power = (np.abs(np.fft.rfft(v * np.hanning(n_time)[None, :, None], axis=1)) ** 2).sum(axis=(0, 2))
    freq = np.fft.rfftfreq(n_time, dt_record)
    if power.size < 3 or not np.any(power[1:] > 0):
        return float("nan")
    i = 1 + int(np.argmax(power[1:]))
    shift = 0.0
    if 1 < i < power.size - 1 and np.all(power[i - 1:i + 2] > 0):  # a parabola through the log peak
        a, b, c = np.log(power[i - 1:i + 2])
        shift = 0.5 * (a - c) / (a - 2 * b + c) if a - 2 * b + c < 0 else 0.0
    return float(1.0 / ((i + shift) * (freq[1] - freq[0])))


def propose_time_scale(sde, *, key, points=None, dt: float = 0.01, scheme: str = "euler", rho: float = 2.0,
                       quantile: float = 0.9, tolerance: float = 0.05, n_trials: int = 8,
                       solver_tolerance: float = 0.005) -> xr.Dataset:
    """A time scale T so that a tau = 1 network can follow the target at time step ``dt``.

    The rule (rates per original time unit s of the target; t = T s is simulation time):

    1. *rate*: the fastest latent rates, the ``quantile`` of the spectral radius ``|eig J_f(z)|``
       of the drift's Jacobian over sampled states, must be at most ``rho`` per tau once slowed:
       ``T_rate = lambda_q / rho`` (default rho = 2, the fastest rates of order the neurons' leak;
       Lorenz-63's built-in T = 10 is this rule at rho ~ 2);
    2. *step*: the integrator must be accurate at ``dt`` on the fastest rate seen anywhere,
       ``lambda_max / T * dt <= h(scheme, tolerance)``, where h is the largest step at which the
       scheme's growth rate of a decaying and of an oscillating mode is within ``tolerance``
       (0.095 for Euler and 1.3 for RK4 at 5%): ``T_step = lambda_max dt / h``;

    and ``T = max(T_rate, T_step)``. With T fixed, the *solver* is the cheapest of Euler and Heun
    whose growth-rate error on the fastest rate, ``lambda_max / T * dt`` per step, is within
    ``solver_tolerance`` (default 0.5%): the attractor statistics of a chaotic flow need more than
    the 5% of the step rule (in ``benchmarks/chaotic_flows.py`` Euler, at 1-2% on the fastest rate,
    failed 17 of the 30 flows that Heun embeds, 5 of them by diverging; Heun's error there is
    about 1e-4). At rho = 2 and dt = 0.01 that is Heun; Euler once ``lambda_max dt / T <= 0.01``
    (dt = 0.005 or less at rho = 2). The dominant period of the sample trajectories (the peak of
    the spectrum of the velocity) is reported beside it, with ``T_period = 2 pi / period / rho``.

    Parameters
    ----------
    sde : SDE
        The target; its current ``time_scale`` T0 is accounted for (rates are converted to original
        units), so ``sde.time_scaled(float(res.rescale))`` gives the proposed one.
    key : PRNG key
        Draws the starts of the sample trajectories.
    points : (n, d) array, optional
        States to evaluate the Jacobian on (e.g. the occupation measure); default noise-free
        trajectories from starts in ``sde.region`` (then the dominant period is measured too).
    dt : float
        The time step the network will be simulated with.
    scheme : {"euler", "rk4"}
    rho : float
        Largest latent rate per tau allowed (the margin to the leak: below 1 the latent dynamics are
        slower than the neurons' relaxation, which the private-noise and full-rank routes assume).
    quantile : float
        Of the spectral radius over the states, in (0, 1] (1: the maximum).
    tolerance : float
        Relative error of the fastest rate allowed to the integrator.
    n_trials : int
        Sample trajectories.
    solver_tolerance : float
        Relative growth-rate error of the fastest rate allowed to the recommended solver.

    Returns
    -------
    xarray.Dataset
        ``time_scale`` (the proposal), ``rescale`` (``time_scale / sde.time_scale``),
        ``fastest_rate`` (lambda_q) and ``fastest_rate_max`` (per original time unit),
        ``dominant_period`` (original time units, NaN with ``points``), ``time_scale_rate``,
        ``time_scale_step``, ``time_scale_period``, ``rate_error_euler`` and ``rate_error_heun`` (at the
        proposed T and dt); the rule's settings in attrs, and ``attrs["solver"]``, the recommended
        integrator: ``ddm.simulate(net, ..., solver=res.attrs["solver"])``.

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> res = ddm.propose_time_scale(ddm.systems.lorenz63(), key=jax.random.key(0))
    >>> 5 < float(res.time_scale) < 20, float(res.time_scale_rate) > float(res.time_scale_step)
    (True, True)
    >>> res.attrs["solver"]
    'heun'
    """
    check_sde("sde", sde)
    key = check_key("key", key)
    dt = check_positive("dt", dt)
    check_choice("scheme", scheme, SCHEMES)
    rho = check_positive("rho", rho)
    quantile = check_positive("quantile", quantile)
    if quantile > 1:
        raise ValueError(f"`quantile` must be in (0, 1], got {quantile}")
    tolerance = check_positive("tolerance", tolerance)
    n_trials = check_int("n_trials", n_trials)
    solver_tolerance = check_positive("solver_tolerance", solver_tolerance)
    T0 = float(sde.time_scale)
    period = float("nan")
    if points is None:
        Z, traj, dt_record = _sample_states(sde, key, n_trials)
        period = _dominant_period(sde, traj, dt_record) / T0
    else:
        Z = as_array("points", points)
        Z = Z.reshape(-1, Z.shape[-1]) if Z.ndim >= 2 and Z.shape[-1] == sde.dim else None
        if Z is None or Z.shape[0] < 1:
            raise ValueError(f"`points` must have shape (n, {sde.dim}) (states of the system), got {np.shape(points)}")
    jac = np.asarray(_jacobians(sde, jnp.asarray(Z, jnp.float32)), np.float64)
    radius = np.max(np.abs(np.linalg.eigvals(jac[np.all(np.isfinite(jac), axis=(1, 2))])), axis=-1) * T0
    if radius.size == 0:
        raise ValueError("the drift's Jacobian is non-finite at every sampled state: pass `points` inside its domain")
    lam_q, lam_max = float(np.quantile(radius, quantile)), float(radius.max())
    h = largest_accurate_step(scheme, tolerance)
    T_rate, T_step = lam_q / rho, lam_max * dt / h
    T = max(T_rate, T_step)
    h_run = lam_max * dt / T  # the fastest rate's |lambda| dt per step once slowed by T
    errors = {name: rate_error(name, h_run) for name, _ in SOLVERS}
    per = "1/original time unit"
    return xr.Dataset(
        dict(time_scale=((), T, dict(long_name="proposed time scale (simulation time per original time unit)")),
             rescale=((), T / T0, dict(long_name="factor to the current time scale: sde.time_scaled(rescale)")),
             fastest_rate=((), lam_q, dict(units=per, long_name=f"{quantile:g} quantile of |eig J_f| over the states")),
             fastest_rate_max=((), lam_max, dict(units=per, long_name="largest |eig J_f| over the states")),
             dominant_period=((), period, dict(units="original time unit", long_name="period of the velocity spectrum's peak")),
             time_scale_rate=((), T_rate, dict(long_name="T of the rate rule, fastest_rate / rho")),
             time_scale_step=((), T_step, dict(long_name=f"T of the step rule, fastest_rate_max dt / {h:.3g}")),
             time_scale_period=((), 2 * np.pi / period / rho if np.isfinite(period) else float("nan"),
                                dict(long_name="2 pi / dominant_period / rho, for comparison")),
             **{f"rate_error_{name}": ((), err, dict(long_name=f"relative growth-rate error of {name} on the fastest rate at T and dt"))
                for name, err in errors.items()}),
        attrs=dict(system=sde.name, current_time_scale=T0, dt=dt, scheme=scheme, rho=rho, quantile=quantile,
                   tolerance=tolerance, largest_accurate_step=h, n_states=int(Z.shape[0]),
                   solver=recommend_solver(h_run, solver_tolerance), solver_tolerance=solver_tolerance,
                   rule="T = max(fastest_rate / rho, fastest_rate_max * dt / largest_accurate_step)"))
