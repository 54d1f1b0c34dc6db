"""Is a time step good enough? Stability (the fastest linear rate) and accuracy (step doubling)."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from .._checks import check_int, check_positive
from .._system import check_system
from ._solver import as_solver, step_terms

#: default bound on the relative local error of a step (see :func:`check_dt`)
ACCURACY_RTOL = 0.05
#: the fraction of the largest admissible step that the suggestion gives
_SAFETY = 0.9
#: the noise-free burst before the accuracy estimate: this long (time units), at most this many steps
BURST_TIME, BURST_STEPS = 0.5, 50


class AccuracyWarning(UserWarning):
    """The time step of a simulation gives a relative local error above the stated tolerance
    (:func:`ddm_explore.check_dt`); the message says which ``dt`` would do."""


@dataclass(frozen=True)
class DtReport:
    """What :func:`check_dt` found for one system, step and solver.

    Attributes
    ----------
    dt : float
    solver : str
        The solver's name.
    fastest_rate : float
        Largest |eigenvalue| of the latent drift's Jacobian over the points (and a network's
        leak rate), per unit time.
    stable : bool
        ``dt * fastest_rate <= 2``.
    stable_dt : float
        The largest stable step, ``2 / fastest_rate`` (inf for a system without a rate).
    local_error : float
        Relative local error of one step (see :func:`check_dt`); nan when the noise-free flow
        became non-finite from every point.
    rtol : float
    accurate : bool
        ``local_error <= rtol`` (False for nan).
    suggested_dt : float
        A step that meets ``rtol`` (``dt`` itself when it does): ``0.9 dt (rtol / local_error)^(1/p)``
        with p the solver's order on a noise-free system, and at most ``1 / fastest_rate``.
    """

    dt: float
    solver: str
    fastest_rate: float
    stable: bool
    stable_dt: float
    local_error: float
    rtol: float
    accurate: bool
    suggested_dt: float

    def __str__(self) -> str:
        verdict = "ok" if self.stable and self.accurate else f"use dt <= {self.suggested_dt:.3g}"
        if math.isnan(self.local_error):
            verdict = "not estimated: the noise-free flow diverged from every point"
        return (f"dt={self.dt:g} ({self.solver}): fastest rate {self.fastest_rate:.3g}, stable up to dt={self.stable_dt:.3g}; "
                f"relative local error {self.local_error:.3g} (rtol {self.rtol:g}): {verdict}")


def check_dt(system, dt: float, *, solver="euler", rtol: float = ACCURACY_RTOL, n_points: int = 16) -> DtReport:
    """Check a time step for a system and solver: stability and the relative local error.

    Stability: the fastest linear rate, the largest |eigenvalue| of the latent drift's Jacobian
    over 64 fixed points of the region (and a network's leak rate 1); ``dt * rate <= 2`` is the
    real-axis stability bound of Euler–Maruyama and of Heun alike. The Jacobian comes from
    ``jax.jacfwd``; when JAX cannot differentiate the drift (a ``jax.pure_callback`` without a JVP
    rule), from central differences of ``latent_drift`` evaluated eagerly (steps 1e-3 of the
    region's width).

    Accuracy, by step doubling on the noise-free system. From ``n_points`` fixed points of the
    region (states ``initial_state(z)``, input zero) the solver first runs a noise-free burst of
    half a time unit (at most 50 steps of ``dt``), so the estimate is made where the flow goes (on
    its attractors and the way there) rather than in the corners of the sampling box, whose fast
    transients decay within a few steps. From the burst's ends: one step of ``dt`` against two of
    ``dt / 2``, computed as displacements from that end (so float32 rounding of the state does
    not enter). Their difference, times ``2^p / (2^p - 1)`` (p the solver's order on a noise-free
    system), estimates the error of the ``dt`` step (Richardson); over the displacement it is the
    step's relative local error, ``dt |f' f| / (2 |f|)`` to leading order for Euler. The
    estimate is the ratio of the summed errors to the summed displacements over the points (their
    displacement-weighted mean): near a fixed point a step hardly moves, and its "error" would be
    the float32 rounding of the drift. For a linear drift of rate lambda it is ``lambda dt / 2``,
    the relative bias Euler–Maruyama gives an Ornstein–Uhlenbeck process's stationary variance:
    the default ``rtol = 0.05`` bounds such biases by 5%. The noise's own discretisation error
    (which depends on the path) is not part of it. Points whose burst becomes non-finite are
    left out (nan when all are).

    Parameters
    ----------
    system : SDE or Network
    dt : float
    solver : str or solver object
        ``"euler"``, ``"heun"``, ``"milstein"`` or e.g. ``ddm.Heun()``.
    rtol : float
        Tolerance on the relative local error.
    n_points : int
        Points of the accuracy estimate (the cost: the burst and 3 steps of each).

    Returns
    -------
    DtReport

    Examples
    --------
    >>> import ddm_explore as ddm
    >>> rep = ddm.check_dt(ddm.systems.ornstein_uhlenbeck(), 0.01)
    >>> rep.stable, rep.accurate, round(rep.local_error, 3)
    (True, True, 0.005)
    >>> ddm.check_dt(ddm.systems.ornstein_uhlenbeck(), 0.2).suggested_dt < 0.2
    True
    """
    check_system("system", system)
    dt = check_positive("dt", dt)
    solver = as_solver("solver", solver)
    rtol = check_positive("rtol", rtol)
    n_points = check_int("n_points", n_points)
    rate = max(_fastest_rate(system, 64), float(system.leak_rate))
    error = local_error(system, dt, solver, n_points)
    stable_dt = 2.0 / rate if rate > 0 else float("inf")
    suggested = dt if not error > rtol else _suggest(dt, error, rtol, solver)
    if dt * rate > 2.0:
        suggested = min(suggested, 1.0 / rate)
    return DtReport(dt=dt, solver=solver.name, fastest_rate=rate, stable=dt * rate <= 2.0, stable_dt=stable_dt,
                    local_error=error, rtol=rtol, accurate=error <= rtol, suggested_dt=float(suggested))


def warn_if_inaccurate(system, dt: float, solver, *, rtol: float = ACCURACY_RTOL, stacklevel: int = 3) -> None:
    """Issue an :class:`AccuracyWarning` when one step of ``dt`` has a relative local error above
    ``rtol`` (the accuracy half of :func:`check_dt`)."""
    error = local_error(system, dt, solver, 16)
    if error > rtol:
        good = _suggest(dt, error, rtol, solver)
        kind = "network" if system.has_neurons else "SDE"
        warnings.warn(AccuracyWarning(
            f"`dt`={dt:g} gives a relative local error of {error:.2g} per step for this {kind} with solver "
            f"{solver.name!r} (above rtol={rtol:g}; step doubling on the noise-free system): use dt <= {good:.2g}, "
            f"or a higher-order solver; check_accuracy=False skips this check (ddm.check_dt reports it)"),
            stacklevel=stacklevel)


def _suggest(dt, error, rtol, solver):
    """The step whose error, scaled as dt^p from the measured one, is 0.9^p of rtol."""
    return _SAFETY * dt * (rtol / error) ** (1.0 / solver.ode_order)


def local_error(system, dt: float, solver, n_points: int) -> float:
    """The relative local error of one ``dt`` step at the ends of noise-free bursts from
    ``n_points`` points of the region, their displacement-weighted mean (:func:`check_dt`)."""
    x = system.initial_state(jnp.asarray(_points(system, n_points)))
    n_burst = min(int(math.ceil(BURST_TIME / dt)), BURST_STEPS)
    x, coarse, fine = (np.asarray(a, np.float64) for a in _doubling(system, x, jnp.float32(dt), n_burst, solver=solver))
    richardson = 2.0**solver.ode_order / (2.0**solver.ode_order - 1.0)
    with np.errstate(invalid="ignore", over="ignore"):  # a diverged point is inf or nan: left out below
        err = richardson * np.linalg.norm(coarse - fine, axis=-1)
        disp = np.linalg.norm(fine, axis=-1)
    keep = np.isfinite(err) & np.isfinite(disp)
    # the displacement-weighted mean of the points' ratios: near a fixed point a step hardly moves
    # and its error is float32 rounding of the drift, which must not count at full weight
    if not keep.any():
        return float("nan")  # the noise-free flow left the floats from every point: nothing to estimate
    total = float(np.sum(disp[keep]))
    return float(np.sum(err[keep]) / total) if total > 0 else 0.0


@partial(jax.jit, static_argnames=("solver",))
def _doubling(system, x, dt, n_burst, *, solver):
    """From the states x (n, state_dim), ``n_burst`` noise-free steps of dt; from where they end,
    x_b, one step of dt and two of dt / 2, as displacements from x_b (the drift evaluated at
    ``x_b + y``, so the float32 rounding of x_b does not enter them). Returns (x_b, one step, two
    half steps)."""
    u = jnp.zeros((x.shape[0], system.input_dim), x.dtype)

    def terms(h):
        return step_terms(system, u, h, fused=None, private_scale=None, deterministic=True)
    x = jax.lax.fori_loop(0, n_burst, lambda i, x: solver.step(terms(dt), x, None, None), x)

    def shifted(y, h):
        t = terms(h)
        return solver.step(t._replace(drift=lambda y: t.drift(x + y)), y, None, None)
    y0 = jnp.zeros_like(x)
    return x, shifted(y0, dt), shifted(shifted(y0, 0.5 * dt), 0.5 * dt)


def with_check_region(target, z0):
    """``target`` itself, or for an SDE without a region (``region=None``) a copy whose region is the
    box of the starting points ``z0`` (n, d) widened by 10% of their range (at least 0.1 per side):
    the points the step checks evaluate the drift at."""
    if getattr(target, "region", None) is not None:
        return target
    z0 = np.asarray(z0, np.float64).reshape(-1, target.dim)
    lo, hi = z0.min(axis=0), z0.max(axis=0)
    pad = np.maximum(0.1 * (hi - lo), 0.1)
    return target.replace(region=((lo - pad).tolist(), (hi + pad).tolist()))


def check_stable_dt(target, dt: float, *, n_points: int = 64):
    """Raise if ``dt`` is too large for a stable Euler step on the fastest linear timescale of
    the latent drift (max |eigenvalue| of its Jacobian over points of the region; for a network,
    also the unit leak of the neurons). The Jacobian is JAX's (``jax.jacfwd``), or central
    differences of ``latent_drift`` evaluated eagerly when JAX cannot differentiate the drift."""
    lam = max(_fastest_rate(target, n_points), target.leak_rate)
    if dt * lam > 2.0:
        kind = "network" if target.has_neurons else "SDE"
        raise ValueError(f"`dt`={dt} is too large for stable Euler–Maruyama integration of this {kind}: its fastest "
                         f"rate is about {lam:.3g} per unit time, so use dt <= {1.0 / lam:.3g}")


def _points(target, n_points):
    """A fixed, deterministic low-discrepancy set of points in the region (n_points, d)."""
    lo, hi = (np.asarray(a, np.float32) for a in target.region)
    u = np.linspace(0.0, 1.0, n_points, dtype=np.float32)
    return lo + (hi - lo) * np.stack([(u * (1 + 0.618034 * i)) % 1.0 for i in range(len(lo))], axis=-1)


def _fastest_rate(target, n_points):
    pts = _points(target, n_points)
    try:
        jac = _jacobians(target, jnp.asarray(pts))
    except Exception:  # JAX cannot differentiate the drift (e.g. a pure_callback without a JVP rule)
        jac = _difference_jacobians(target, pts)
    jac = np.asarray(jac, np.float64)
    if not np.all(np.isfinite(jac)):
        return 0.0  # non-finite parameters: the run itself reports where the state diverges
    ev = np.linalg.eigvals(jac)
    return float(np.nanmax(np.abs(ev))) if np.all(np.isfinite(ev)) else 0.0


@jax.jit
def _jacobians(system, pts):
    """Jacobians of the latent drift at the points (n, d, d)."""
    return jax.vmap(jax.jacfwd(lambda z: system.latent_drift(z)))(pts)


def _difference_jacobians(system, pts):
    """Central-difference Jacobians of the latent drift (n, d, d), evaluated eagerly (no tracing
    through the drift beyond what ``latent_drift`` does itself)."""
    lo, hi = (np.asarray(a, np.float64) for a in system.region)
    h = 1e-3 * (hi - lo)
    cols = []
    for i in range(pts.shape[1]):
        e = np.zeros(pts.shape[1], np.float32)
        e[i] = h[i]
        up, down = (np.asarray(system.latent_drift(jnp.asarray(pts + s * e)), np.float64) for s in (1.0, -1.0))
        cols.append((up - down) / (2.0 * h[i]))
    return np.stack(cols, axis=-1)
