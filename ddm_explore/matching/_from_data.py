"""``fit`` on recorded trajectories (METHOD.md section 9): the network's readout is the ridge
regression of the increments on its own features, the ridge chosen on held-out trajectories, the
O(Delta) bias removed by a multi-step target (``_increments``); its noise loading is the residual
covariance (additive) or a regression of the squared residuals on the features (multiplicative).
``ddm.fit(data, N, key=...)`` comes here when ``data`` is an xarray DataArray (or a list of them)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional, Union

import jax
import numpy as np
import xarray as xr

from .._checks import _show, check_choice, check_int, check_key, check_positive
from .._estimates import warn_sample
from .._system import is_sde
from .._threads import one_blas_thread
from ..network._network import CONNECTIVITIES, NOISE_MODES
from ._closed_form import design_gram, diffusion_loading, psd_sqrt
from ._data import TrainingData, _rates
from ._data_input import as_trajectories
from ._errors import matching_errors
from ._fit import _check_finite, _f32, _low_rank_fields, _report, _solver_attrs, _template, _train
from ._increments import (Moments, aggregate_rows, diffusion_targets, effective_parameters, held_out_path, lag_combinations,
                          lag_targets, noise_factor, rates_product, weighted_gram)
from ._legacy import EMBEDDING_KEYWORDS, resolve_options
from ._samplers import occupation
from ._solvers import ClosedForm, Optax, Preconditioned, default_solver, default_start

#: the ridges ``ridge="auto"`` tries (relative to features of unit scale)
RIDGES = tuple(10.0 ** np.arange(-10, 0))
#: rows of one rates evaluation (bounds the float32 design's memory per call)
RATES_CHUNK = 1 << 15
#: states of the data (evenly thinned) on which eps_f and eps_D are measured against ``truth``
EVALUATION_STATES = 1 << 16
#: a SampleSizeWarning below this many windows per feature, or above this predicted drift error
MIN_SAMPLES_PER_FEATURE, MAX_DRIFT_STANDARD_ERROR = 10.0, 0.1


@dataclass(frozen=True)
class FromData:
    """How ``ddm.fit`` learns from recorded trajectories (``solver=ddm.FromData(...)``).

    Parameters
    ----------
    order : int
        1: the Euler target ``(z_{k+1} - z_k) / Delta``, biased by ``(Delta / 2) L f``; q = 2, 3:
        the multi-step target ``sum_j c_j (z_{k+j} - z_k) / Delta``, unbiased to O(Delta^q), with the
        same variance to leading order; the diffusion likewise (default 2, README "Learning from
        data" has the measurements).
    ridge : float or "auto"
        The ridge penalty, or "auto": the one of ``ridges`` with the smallest held-out one-step error.
    ridges : tuple of float
        The candidates of ``ridge="auto"``.
    held_out : float
        Fraction of the trials (of each trial's time, the last block, with fewer than 4 trials) held
        out to choose the ridge; the final fit uses all the data.
    bins : int or None
        Windows starting in one cell of a grid of ``bins`` cells per latent dimension share one
        design row (their targets summed), so the cost grows with the occupied cells, not the
        observations; a start moves by at most 1 / (2 bins) of the data's extent. None: one row per
        window (also chosen when the cells would not halve the rows).
    train : Optax or Preconditioned, optional
        For full or symmetric connectivity, the optax route that matches the network to the
        estimated drift and diffusion on the data's states (default: the connectivity's default).
    truth : SDE, optional
        The process that generated the data, when known (validation): the report's ``eps_f`` and
        ``eps_D`` are then measured against it on the data's own states (all of them, evenly thinned
        to at most max(n_test, 65536): the occupation measure, its sparse tails included), else NaN.
    """

    order: int = 2
    ridge: Union[float, str] = "auto"
    ridges: tuple = RIDGES
    held_out: float = 0.25
    bins: Optional[int] = 256
    train: Optional[Union[Optax, Preconditioned]] = None
    truth: object = None

    def __post_init__(self):
        check_int("order", self.order)
        if self.order > 3:
            raise ValueError(f"`order` must be 1, 2 or 3, got {self.order}")
        if self.ridge != "auto":
            object.__setattr__(self, "ridge", check_positive("ridge", self.ridge, allow_zero=True))
        ridges = tuple(check_positive("ridges", r, allow_zero=True) for r in np.atleast_1d(np.asarray(self.ridges, float)))
        if not ridges:
            raise ValueError(f"`ridges` must hold at least one ridge, got {_show(self.ridges)}")
        object.__setattr__(self, "ridges", ridges)
        held = check_positive("held_out", self.held_out)
        if held >= 1:
            raise ValueError(f"`held_out` must be a fraction in (0, 1), got {held}")
        if self.bins is not None:
            check_int("bins", self.bins, minimum=2)
        if self.train is not None and not isinstance(self.train, (Optax, Preconditioned)):
            raise ValueError(f"`train` must be ddm.Optax(...) or ddm.Preconditioned(...), got {_show(self.train)}")
        if self.truth is not None and not is_sde(self.truth):
            raise ValueError(f"`truth` must be a ddm.SDE (the process that generated the data), got {_show(self.truth)}")


@dataclass(frozen=True)
class Design:
    """The data as the regression sees them (internal coordinates): per window its design ``row``,
    ``increments`` (n, q, d) and held-out flag; per row its
    ``positions``, ``counts`` and float32 ``rates``; the Gram moments of all windows and of the
    held-out ones."""

    row: np.ndarray
    increments: np.ndarray
    test: np.ndarray
    positions: np.ndarray
    counts: np.ndarray
    rates: np.ndarray
    XX: np.ndarray
    XX_test: np.ndarray
    split: str
    dropped: int


def as_from_data(connectivity: str, solver) -> FromData:
    """The data route's options from ``fit``'s ``solver``: FromData as it is; ClosedForm(ridge) its
    ridge; Optax or Preconditioned the optax stage for full and symmetric J."""
    if isinstance(solver, ClosedForm) and connectivity != "low_rank":
        raise ValueError(f"`solver`=ClosedForm() is the closed form for connectivity='low_rank' only; use "
                         f"ddm.FromData(train=ddm.Optax() or ddm.Preconditioned()) for connectivity={connectivity!r}")
    if solver is None:
        solver = FromData()
    elif isinstance(solver, ClosedForm):
        solver = FromData(ridge=solver.ridge)
    elif isinstance(solver, (Optax, Preconditioned)):
        solver = FromData(train=solver)
    if not isinstance(solver, FromData):
        raise ValueError(f"`solver` for recorded data must be ddm.FromData(...) (or ddm.ClosedForm, ddm.Optax, "
                         f"ddm.Preconditioned), got {_show(solver)}")
    if connectivity == "low_rank" and solver.train is not None:
        raise ValueError(f"connectivity='low_rank' from data is the closed form: drop `train`={_show(solver.train)}")
    if connectivity != "low_rank" and solver.train is None:
        solver = FromData(**{**solver.__dict__, "train": default_solver(connectivity)})
    return solver


def _rates_of(template, zi) -> np.ndarray:
    """The template's float32 rates at internal points zi (n, d), in chunks of one compiled shape."""
    n = zi.shape[0]
    out = np.empty((n, template.n_neurons), np.float32)
    chunk = RATES_CHUNK >> 2 * int(np.clip(np.floor(np.log(RATES_CHUNK / max(n, 1)) / np.log(4)), 0, 5))
    for a in range(0, n, chunk):
        block = np.zeros((chunk, zi.shape[1]), np.float32)
        block[:min(chunk, n - a)] = zi[a:a + chunk]
        out[a:a + chunk] = np.asarray(_rates(template, block))[:min(chunk, n - a)]
    return out


def _held_out_windows(trial, position, n_trials, fraction, key):
    """The held-out windows: whole trials (a random ``fraction`` of them, at least one) when there
    are 4 or more, else the last ``fraction`` of each trial's time."""
    if n_trials >= 4:
        n_out = max(1, int(round(fraction * n_trials)))
        out = np.asarray(jax.random.permutation(key, n_trials))[:n_out]
        return np.isin(trial, out), "trial"
    return position >= 1.0 - fraction, "time"


def build_design(traj, template, opts: FromData, key) -> Design:
    """Windows, targets, the held-out split and the (aggregated) design of the data."""
    starts, incs, trial, position, dropped = traj.windows(opts.order)
    centre, scale = np.asarray(template.centre, np.float64), np.asarray(template.scale, np.float64)
    zi, incs = (starts - centre) / scale, incs / scale
    extent = float(np.max(np.abs(np.asarray(template.region_high, np.float64) - centre) / scale))
    row, positions, counts = aggregate_rows(zi, opts.bins, extent)
    test, split = _held_out_windows(trial, position, traj.n_trials, opts.held_out, key)
    if test.all() or not test.any():
        raise ValueError(f"`data` is too short to hold out a fraction {opts.held_out} of it: "
                         f"{traj.n_trials} trials, {len(zi)} windows")
    rates = _rates_of(template, positions)
    counts_test = np.bincount(row[test], minlength=len(counts)).astype(np.float64)
    return Design(row=row, increments=incs, test=test, positions=positions, counts=counts, rates=rates,
                  XX=weighted_gram(rates, counts), XX_test=weighted_gram(rates, counts_test), split=split,
                  dropped=dropped)


def _fit_targets(des: Design, Y, ridge_rule, ridges, column_weights, C=None):
    """Ridge fit of the window targets Y (n, t) on the design, the ridge given or chosen by the
    held-out error of the combined targets ``Y @ C`` (default: Y itself). Returns (beta (p, t) from
    all windows, ridge, held-out path, all-window moments)."""
    total = Moments.of(des.rates, des.XX, des.row, Y)
    test = Moments.of(des.rates, des.XX_test, des.row, Y, des.test)
    C = np.eye(Y.shape[1]) if C is None else C
    grid = ridges if ridge_rule == "auto" else (ridge_rule,)
    path = held_out_path((total - test).combine(C), test.combine(C), grid, column_weights)
    ridge = grid[int(np.argmin(path))]
    return total.solve(ridge), ridge, (np.asarray(grid), path), total


def _lags(des: Design, opts: FromData, scale, delta: float):
    """The regressions of every lag's increment (and of z) on the features, the ridge chosen by the
    held-out error of the order-q drift (user units)."""
    pos = des.positions[des.row]
    C, _ = lag_combinations(opts.order, pos.shape[1])
    Y = lag_targets(des.increments, pos, delta, opts.order)
    return _fit_targets(des, Y, opts.ridge, opts.ridges, scale**2, C)


def _at_rows(des: Design, beta) -> np.ndarray:
    """``[rates, 1] @ beta`` at the design rows (n_rows, t)."""
    return rates_product(des.rates, beta[:-1]) + beta[-1]


def _diffusion(des: Design, means, opts: FromData, noise: str, scale, delta: float):
    """g g^T (internal) at the design rows (n_rows, d, d), the multiplicative fit's ridge and path."""
    d = des.positions.shape[1]
    T = diffusion_targets(des.increments, means[des.row], delta, opts.order)
    if noise == "additive":
        S = T.mean(0)
        return np.broadcast_to(0.5 * (S + S.T), (len(des.counts), d, d)), np.nan, None
    w = np.outer(scale, scale).reshape(-1) ** 2
    beta, ridge, path, _ = _fit_targets(des, T.reshape(len(T), d * d), opts.ridge, opts.ridges, w)
    S = _at_rows(des, beta).reshape(-1, d, d)
    return 0.5 * (S + np.swapaxes(S, 1, 2)), ridge, path


def estimate(traj, template, opts: FromData, noise: str, key) -> dict:
    """Drift and diffusion of the data on the template's features (internal coordinates)."""
    scale = np.asarray(template.scale, np.float64)
    des = build_design(traj, template, opts, key)
    q, d = opts.order, des.positions.shape[1]
    beta_lags, ridge, path, moments = _lags(des, opts, scale, traj.delta)
    C, C_euler = lag_combinations(q, d)
    beta = beta_lags @ C
    fitted = _at_rows(des, np.concatenate([beta_lags, beta, beta_lags @ C_euler], axis=1))
    means = traj.delta * fitted[:, :q * d].reshape(-1, q, d)  # E[z_{k+j} - z_k | z_k] per row
    f_rows = fitted[:, (q + 1) * d:(q + 2) * d] - des.positions
    f1_rows = fitted[:, (q + 2) * d:] - des.positions
    S_rows, ridge_S, path_S = _diffusion(des, means, opts, noise, scale, traj.delta)
    S1 = diffusion_targets(des.increments, means[des.row], traj.delta, 1).mean(0)
    train_error = moments.combine(C).column_errors(beta) @ scale**2
    y = (lag_targets(des.increments, 0 * des.increments[:, 0], traj.delta, q) @ C) * scale  # the drift target, user units
    target_power = float(np.mean(np.sum(y**2, 1)))
    return dict(design=des, beta=beta, f_rows=f_rows, f1_rows=f1_rows, S_rows=S_rows, S1=S1, ridge=ridge, path=path,
                ridge_S=ridge_S, path_S=path_S, moments=moments,
                loss=float(train_error / target_power) if target_power > 0 else np.nan)


def _statistics(est: dict, traj, scale, order: int) -> dict:
    """What the report says about the estimate: the measured Euler bias, the held-out error against
    its noise floor, the windows per feature and the drift error the noise alone predicts."""
    des, w = est["design"], est["design"].counts
    f_q = est["f_rows"] * scale
    f_1 = est["f1_rows"] * scale
    ss = np.outer(scale, scale)
    S_mean = np.einsum("r,rij->ij", w, est["S_rows"]) / w.sum() * ss
    n, n_features = len(des.row), des.rates.shape[1] + 1
    tr_noise = max(float(np.trace(S_mean)), 0.0) / traj.delta  # the Euler target's noise variance per window
    f2 = float(w @ np.sum(f_q**2, 1) / w.sum())
    df = effective_parameters(est["moments"], est["ridge"])
    S1 = est["S1"] * ss
    n_eff, tau = traj.occupation_samples()
    return dict(occupation_samples=n_eff, correlation_time=tau,
        drift_bias=float(np.sqrt(w @ np.sum((f_1 - f_q) ** 2, 1) / (w @ np.sum(f_q**2, 1)))) if f2 > 0 else np.nan,
        diffusion_bias=float(np.linalg.norm(S1 - S_mean) / np.linalg.norm(S_mean)) if np.any(S_mean) else np.nan,
        held_out_floor=noise_factor(order) * tr_noise, samples_per_feature=n / n_features,
        drift_standard_error=float(np.sqrt(tr_noise * df / n / f2)) if f2 > 0 else np.nan,
        effective_parameters=df, diffusion=0.5 * S_mean)


def _warn_if_few(stats: dict, n_windows: int, N: int):
    spf, se = stats["samples_per_feature"], stats["drift_standard_error"]
    if spf < MIN_SAMPLES_PER_FEATURE or se > MAX_DRIFT_STANDARD_ERROR:
        warn_sample("fit", f"{n_windows} increments for {N + 1} features ({spf:.1f} per feature) and a predicted "
                    f"relative drift error of {se:.3f} from the noise alone: record more or longer trials, or fit "
                    f"fewer neurons", stacklevel=7)


def _sample_rows(des: Design, est: dict, n: int, key) -> TrainingData:
    """``n`` design rows drawn by their counts, as training points of the estimated drift and
    diffusion (internal coordinates): the occupation measure of the data."""
    cdf = np.cumsum(des.counts) / des.counts.sum()
    idx = np.minimum(np.searchsorted(cdf, np.asarray(jax.random.uniform(key, (n,)), np.float64)), len(cdf) - 1)
    z = des.positions[idx]
    return TrainingData(z=z, U=np.zeros((n, 0)), F=est["f_rows"][idx], S=np.ascontiguousarray(est["S_rows"][idx]),
                        rates=des.rates[idx])


def _network(template, M, x0, est, sample, opts, connectivity, noise, keys, progress):
    """The fitted network: the low-rank closed form of the estimate, then for full or symmetric J
    the optax stage on the estimate at the data's states."""
    N, d = M.shape
    beta = est["beta"]
    ridge = est["ridge"]
    if noise == "additive":
        gamma0, Gamma = diffusion_loading(sample, est["S_rows"][:1], ridge=ridge, noise="additive")
    else:
        gamma0, Gamma = diffusion_loading(sample, sample.S, ridge=ridge, noise="multiplicative")
    sol = dict(W=beta[:N], b_lat=beta[N], B_lat=np.zeros((d, 0)), gamma0=gamma0, Gamma=Gamma, mse_f=np.nan)
    if connectivity == "low_rank":
        return template.replace(**_f32(_low_rank_fields(sol, M, x0))), np.array([est["loss"]]), False
    G = design_gram(sample)
    start = default_start(connectivity, opts.train)
    return _train(opts.train, start, template, M, x0, sample, G, sol, connectivity, keys, progress)


def _data_sampler(traj):
    """The occupation measure of the data's states; its extent is the network's region."""
    pts = traj.finite_points()
    lo, hi = (pts.min(0), pts.max(0)) if len(pts) else (np.zeros(traj.dim), np.zeros(traj.dim))
    if len(pts) < 2 or np.any(hi <= lo):
        raise ValueError(f"`data` must hold at least 2 observations without NaN that span every latent dimension, got "
                         f"{len(pts)} spanning [{', '.join(f'{a:.3g}' for a in lo)}] .. [{', '.join(f'{b:.3g}' for b in hi)}]")
    return occupation(pts)


def _check_arguments(traj, N, connectivity, noise, sampler, private_noise, legacy):
    if N < traj.dim:
        raise ValueError(f"`n_neurons` must be >= the latent dimension {traj.dim}, got {N}")
    check_choice("connectivity", connectivity, CONNECTIVITIES)
    check_choice("noise", noise, NOISE_MODES)
    if sampler is not None:
        raise ValueError(f"`sampler` does not apply to recorded data (their states are the sampling measure), got {_show(sampler)}")
    if not (isinstance(private_noise, (int, float)) and private_noise == 0):
        raise ValueError(f"`private_noise` is not supported when fitting recorded data, got {_show(private_noise)}")
    wrong = sorted(set(legacy) - set(EMBEDDING_KEYWORDS))
    if wrong:
        raise ValueError(f"fitting recorded data takes its settings in solver=ddm.FromData(...), not the keywords {wrong}")


@one_blas_thread
def fit_data(data, n_neurons: int = 256, *, key, connectivity: str = "low_rank", noise: str = "additive", solver=None,
             sampler=None, embedding=None, n_samples: int | None = None, n_test: int = 2048, private_noise=0.0,
             progress: bool = True, **legacy):
    """``ddm.fit`` on recorded trajectories (see :func:`ddm_explore.fit` and :class:`FromData`).

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> sde = ddm.systems.van_der_pol(sigma=0.2)
    >>> ds = ddm.simulate(sde, t_max=100.0, dt=0.01, n_trials=16, key=jax.random.key(1), record_every=2, progress=False)
    >>> net, report = ddm.fit(ds.z, 64, key=jax.random.key(0), solver=ddm.FromData(truth=sde))
    >>> round(report.attrs["delta"], 6), report.attrs["n_increments"]
    (0.02, 79984)
    >>> bool(report.eps_f < 0.05), bool(report.eps_D < 0.05)
    (True, True)
    """
    traj = as_trajectories(data)
    key = check_key("key", key)
    N = check_int("n_neurons", n_neurons)
    _check_arguments(traj, N, connectivity, noise, sampler, private_noise, legacy)
    opts = as_from_data(connectivity, solver)
    embedding = resolve_options(connectivity, opts.train or ClosedForm(), embedding, legacy)[1]
    n_samples = check_int("n_samples", n_samples if n_samples is not None else max(4096, 8 * N), minimum=2)
    n_test = check_int("n_test", n_test, minimum=2)

    t_start = time.perf_counter()
    k_embed, k_split, k_rows, k_init, k_opt = jax.random.split(key, 5)
    points = _data_sampler(traj)
    M, x0, template = _template(traj, points, N, embedding, k_embed, connectivity, noise)
    est = estimate(traj, template, opts, noise, k_split)
    sample = _sample_rows(est["design"], est, n_samples, k_rows)
    net, history, interrupted = _network(template, M, x0, est, sample, opts, connectivity, noise, (k_init, k_opt), progress)
    _check_finite(net)
    net = net.replace(name=f"{traj.name} network", private_noise=jax.device_put(np.float32(0.0)))
    fit_seconds = time.perf_counter() - t_start
    scale = np.asarray(template.scale, np.float64)
    stats = _statistics(est, traj, scale, opts.order)
    _warn_if_few(stats, len(est["design"].row), N)
    eps = (np.nan, np.nan)
    if opts.truth is not None:  # on the data's own states, evenly thinned (the tails, where errors are largest, included)
        pts = traj.finite_points()
        n_test = min(len(pts), max(n_test, EVALUATION_STATES))
        eps = matching_errors(net, opts.truth, pts[np.linspace(0, len(pts) - 1, n_test).round().astype(int)])
    attrs = _attrs(traj, est, opts, N, connectivity, noise, points, n_samples, n_test, fit_seconds, interrupted, embedding)
    report = _report(net, history, eps, attrs,
                     est["beta"][:N] if connectivity == "low_rank" else None)
    return net, _data_report(report, net, est, stats, sample, template)


def _attrs(traj, est, opts, N, connectivity, noise, points, n_samples, n_test, fit_seconds, interrupted, embedding):
    des = est["design"]
    solver = dict(method="increments", solver=repr(opts), steps=0, precondition=0) if opts.train is None else \
        dict(_solver_attrs(opts.train), solver=repr(opts))
    solver["ridge"] = float(est["ridge"])  # the drift regression's (the optax stage's warm start)
    return dict(target=traj.name, target_params="", n_neurons=N, dim=traj.dim, input_dim=0, connectivity=connectivity,
                noise=noise, sampler=points.describe(), n_samples=n_samples, n_test=n_test, fit_seconds=fit_seconds,
                interrupted=int(interrupted), **solver, latent_gain=embedding.latent_gain,
                offset_scale=embedding.offset_scale, nonlinearity=embedding.nonlinearity, private_noise=0.0,
                data_route=1, delta=traj.delta, order=opts.order, n_trials=traj.n_trials,
                n_observations=traj.n_observations, n_missing=traj.n_missing, n_increments=len(des.row),
                n_dropped=des.dropped, n_design_rows=len(des.counts), held_out=opts.held_out,
                split=des.split, truth=opts.truth.name if opts.truth is not None else "")


def _data_report(report: xr.Dataset, net, est, stats, sample, template) -> xr.Dataset:
    """The data route's variables beside the fit's usual ones."""
    grid, path = est["path"]
    floor = stats["held_out_floor"]
    i = int(np.argmin(path))
    z_user = np.asarray(template.centre, np.float64) + np.asarray(template.scale, np.float64) * sample.z
    D_est = 0.5 * sample.S * np.outer(template.scale, template.scale)
    D_net = np.asarray(net.latent_diffusion(z_user.astype(np.float32)), np.float64)
    eps_D_est = float(np.sqrt(np.sum((D_net - D_est) ** 2) / np.sum(D_est**2))) if np.any(D_est) else np.nan
    out = report.assign_coords(ridge_candidate=grid)
    out["held_out_path"] = ("ridge_candidate", path, dict(
        long_name="held-out mean squared one-step error of the drift target against the ridge", units="(latent / tau)^2"))
    scalars = dict(
        held_out_error=(path[i], "held-out mean squared one-step error of the drift target at the chosen ridge"),
        held_out_floor=(floor, "the part of held_out_error a perfect drift leaves (the increments' noise)"),
        drift_bias=(stats["drift_bias"], "relative RMS difference of the Euler drift estimate from the order-q one "
                                         "(the O(Delta) bias of the Euler estimate, measured on the data)"),
        diffusion_bias=(stats["diffusion_bias"], "relative difference of the Euler diffusion estimate from the order-q one"),
        samples_per_feature=(stats["samples_per_feature"], "increments per feature of the regression"),
        drift_standard_error=(stats["drift_standard_error"], "relative drift error the increments' noise alone predicts "
                                                             "(its variance: tr(g g^T) / Delta x effective parameters / increments)"),
        effective_parameters=(stats["effective_parameters"], "tr((A + ridge)^-1 A) of the drift regression"),
        eps_D_estimate=(eps_D_est, "relative difference of the network's latent diffusion from the estimate at the data's states"),
        occupation_samples=(stats["occupation_samples"], "independent states the data's occupation is worth (from the spread of "
                                                         "the trials' means): the fit reproduces this occupation, so a "
                                                         "stationary mass p is known to about sqrt(p (1 - p) / occupation_samples)"),
        correlation_time=(stats["correlation_time"], "integrated autocorrelation time of the slowest latent coordinate (tau)"))
    for name, (value, long_name) in scalars.items():
        out[name] = ((), float(value), dict(long_name=long_name))
    out["diffusion"] = (("latent_i", "latent_j"), stats["diffusion"], dict(
        long_name="estimated diffusion D = g g^T / 2 (its mean over the data for multiplicative noise)", units="latent^2 / tau"))
    return out
