"""Recorded trajectories as the input of ``fit`` (METHOD.md section 9): the checks at the API boundary
(dims, a uniform time coordinate, matching latent dimensions) and the windows of consecutive
observations that the increment estimator regresses, with missing values dropped per window."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from .._checks import _show

#: relative tolerance on the spacing of the time coordinate (float32 times accumulate rounding)
TIME_RTOL = 1e-4
#: segments (trials, or time blocks of them when there are fewer trials) behind ``occupation_samples``
MIN_SEGMENTS = 8


def is_trajectory_data(obj) -> bool:
    """Whether ``fit``'s target is recorded data (a DataArray, a simulate() Dataset, or a list of
    DataArrays) rather than an SDE."""
    if isinstance(obj, (xr.DataArray, xr.Dataset)):
        return True
    return isinstance(obj, (list, tuple)) and len(obj) > 0 and all(isinstance(a, (xr.DataArray, xr.Dataset)) for a in obj)


@dataclass(frozen=True)
class Trajectories:
    """Checked trajectories: ``trials``, a tuple of (n_time, d) float64 arrays (NaN kept, one per
    trial, lengths may differ), observed every ``delta`` time units."""

    trials: tuple
    delta: float
    name: str
    latent: tuple

    @property
    def dim(self) -> int:
        return self.trials[0].shape[1]

    @property
    def input_dim(self) -> int:
        return 0

    @property
    def n_trials(self) -> int:
        return len(self.trials)

    @property
    def n_observations(self) -> int:
        return sum(t.shape[0] for t in self.trials)

    @property
    def n_missing(self) -> int:
        """Observations (time points of a trial) with a NaN in any latent coordinate."""
        return int(sum(np.sum(~np.all(np.isfinite(t), axis=1)) for t in self.trials))

    def finite_points(self) -> np.ndarray:
        """Every observed state without a NaN, (n, d)."""
        pts = np.concatenate(self.trials, axis=0)
        return pts[np.all(np.isfinite(pts), axis=1)]

    def segments(self, min_segments: int = MIN_SEGMENTS) -> list:
        """The trials, each cut into equal time blocks when there are fewer than ``min_segments``
        trials (so that there are at least that many), NaN rows removed; segments of fewer than 2
        observations are left out."""
        cuts = max(1, -(-min_segments // self.n_trials))
        out = []
        for Z in self.trials:
            ok = np.isfinite(Z @ np.ones(Z.shape[1]))  # a NaN in any coordinate (a BLAS pass, not an axis reduction)
            for block, keep in zip(np.array_split(Z, cuts), np.array_split(ok, cuts)):
                block = block if keep.all() else block[keep]  # a view when nothing is missing
                if len(block) >= 2:
                    out.append(block)
        return out

    def occupation_samples(self, min_segments: int = MIN_SEGMENTS):
        """How many independent states the data's occupation is worth, and the correlation time.

        The mean of a stationary segment of L observations has variance ``Var(z) tau / L`` (tau
        the integrated autocorrelation time, in observations), so ``sum_s L_s (m_s - m)^2 / (S - 1)``
        over the S segments (:meth:`segments`) estimates ``Var(z) tau``, and the data hold
        ``n_eff = n Var(z) / (Var(z) tau)`` independent states (n the observations): smallest over
        the latent coordinates, tau at least one observation. A fit from the data
        reproduces their occupation (the likelihood of a drift depends on the path through its
        occupation and end points), so a well's mass p is known to about ``sqrt(p (1 - p) / n_eff)``.

        Returns ``(n_eff, tau * delta)``; NaN for both with fewer than 2 segments.

        Examples
        --------
        >>> import numpy as np, xarray as xr
        >>> z = np.random.default_rng(0).normal(size=(16, 500, 1))   # independent states: tau = 1
        >>> n_eff, tau = as_trajectories(xr.DataArray(z, dims=("trial", "time", "latent"),
        ...                                           coords={"time": np.arange(500.0)})).occupation_samples()
        >>> n_eff, tau
        (8000.0, 1.0)
        """
        segs = self.segments(min_segments)
        if len(segs) < 2:
            return float("nan"), float("nan")
        L = np.array([len(s) for s in segs], np.float64)
        shift = segs[0][0]  # sums about one observed state (no cancellation for data far from 0)
        sums = np.stack([np.ones(len(s)) @ (s - shift) for s in segs])
        squares = np.stack([np.ones(len(s)) @ (s - shift) ** 2 for s in segs])
        means = sums / L[:, None] + shift
        m = L @ means / L.sum()
        var = np.maximum(squares.sum(0) / L.sum() - (m - shift) ** 2, 0.0)  # the pooled variance
        spread = L @ (means - m) ** 2 / (len(segs) - 1)  # Var(z) tau per coordinate
        tau = np.where(var > 0, spread / np.where(var > 0, var, 1.0), 1.0)
        tau = float(np.max(np.maximum(tau, 1.0)))
        return float(L.sum() / tau), tau * self.delta

    def windows(self, order: int):
        """The windows ``z_k, z_{k+1}, ..., z_{k+order}`` of every trial with no NaN in them.

        Returns ``starts`` (n, d), ``increments`` (n, order, d) with ``z_{k+j} - z_k`` for
        j = 1..order, ``trial`` (n,) and ``position`` (n,), the window's start as a fraction of its
        trial's length (for splits by time block), and the number of windows dropped for NaN.
        """
        starts, incs, trial, position, dropped = [], [], [], [], 0
        for i, Z in enumerate(self.trials):
            n = Z.shape[0] - order
            if n < 1:
                continue
            stack = np.stack([Z[j:j + n] for j in range(order + 1)], axis=1)  # (n, order + 1, d)
            ok = np.all(np.isfinite(stack), axis=(1, 2))
            dropped += int(n - ok.sum())
            stack = stack[ok]
            starts.append(stack[:, 0])
            incs.append(stack[:, 1:] - stack[:, :1])
            trial.append(np.full(len(stack), i))
            position.append(np.flatnonzero(ok) / n)
        if not starts or sum(len(s) for s in starts) == 0:
            raise ValueError(f"`data` has no window of {order + 1} consecutive observations without NaN "
                             f"({self.n_trials} trials of lengths {[t.shape[0] for t in self.trials][:8]})")
        return (np.concatenate(starts), np.concatenate(incs), np.concatenate(trial), np.concatenate(position), dropped)


def as_trajectories(data) -> Trajectories:
    """Check and normalise ``fit``'s data: a DataArray with dims (trial, time, latent) or (time,
    latent) and a uniform numeric time coordinate, a Dataset holding such a ``z`` (as
    :func:`ddm_explore.simulate` returns), or a list of them (their lengths may differ; their
    time steps and latent dimensions must agree). NaN marks a missing observation; +-inf is an
    error."""
    arrays = list(data) if isinstance(data, (list, tuple)) else [data]
    if not arrays:
        raise ValueError("`data` must hold at least one trajectory array, got an empty list")
    trials, deltas, latent, names = [], [], None, []
    for i, a in enumerate(arrays):
        where = "`data`" if len(arrays) == 1 else f"`data`[{i}]"
        a = _as_dataarray(where, a)
        values, delta = _checked_values(where, a)
        if latent is None:
            latent = tuple(a.latent.values.tolist()) if "latent" in a.coords else tuple(range(values.shape[-1]))
        elif values.shape[-1] != len(latent):
            raise ValueError(f"{where} has {values.shape[-1]} latent dimensions but `data`[0] has {len(latent)}: "
                             f"every array must describe the same latent variables")
        if deltas and not np.isclose(delta, deltas[0], rtol=TIME_RTOL):
            raise ValueError(f"{where} is observed every {delta:.6g} time units but `data`[0] every {deltas[0]:.6g}: "
                             f"resample to one observation step")
        deltas.append(delta)
        trials.extend(values[j] for j in range(values.shape[0]))
        names.append(str(a.name) if a.name is not None else "data")
    name = names[0] if len(set(names)) == 1 else "data"
    return Trajectories(trials=tuple(trials), delta=float(deltas[0]), name=name, latent=latent)


def _as_dataarray(where: str, a) -> xr.DataArray:
    if isinstance(a, xr.Dataset):
        if "z" not in a:
            raise ValueError(f"{where} Dataset must hold a 'z' variable (trial, time, latent), got variables {list(a.data_vars)}")
        if "u" in a:
            raise ValueError(f"{where} has inputs (a 'u' variable): fitting recorded data with inputs is not supported; "
                             f"pass trajectories recorded with constant zero input")
        a = a["z"]
    if not isinstance(a, xr.DataArray):
        raise ValueError(f"{where} must be an xarray DataArray with dims (trial, time, latent), got {_show(a)}")
    dims = set(a.dims)
    if a.ndim not in (2, 3) or not {"time", "latent"} <= dims or (a.ndim == 3 and "trial" not in dims):
        raise ValueError(f"{where} must have dims (trial, time, latent) or (time, latent), got {a.dims}")
    return a.transpose("trial", "time", "latent") if a.ndim == 3 else a.transpose("time", "latent").expand_dims("trial")


def _checked_values(where: str, a: xr.DataArray):
    """The values (trial, time, latent) as float64 and the time step, with clear errors."""
    if a.sizes["time"] < 2:
        raise ValueError(f"{where} needs at least 2 time points, got {a.sizes['time']}")
    if a.sizes["latent"] < 1 or a.sizes["trial"] < 1:
        raise ValueError(f"{where} must have at least one trial and one latent dimension, got sizes {dict(a.sizes)}")
    if "time" not in a.coords:
        raise ValueError(f"{where} needs a 'time' coordinate (the observation times), got coordinates {list(a.coords)}")
    try:
        t = np.asarray(a.time.values, np.float64)
        values = np.asarray(a.values, np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where} and its time coordinate must be numeric, got dtypes {a.dtype} and {a.time.dtype} ({err})") from None
    steps = np.diff(t)
    if not np.all(np.isfinite(steps)) or steps.min() <= 0 or not np.allclose(steps, steps[0], rtol=TIME_RTOL):
        raise ValueError(f"{where} must have a uniform, increasing time coordinate, got steps from {steps.min():.6g} to "
                         f"{steps.max():.6g} (resample, or split the trajectory where the step changes)")
    if np.any(np.isinf(values)):
        raise ValueError(f"{where} holds infinite values ({int(np.isinf(values).sum())}): mark missing observations with NaN")
    return values, float(np.mean(steps))
