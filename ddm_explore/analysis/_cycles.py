"""Limit-cycle measurements on recorded latent trajectories."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._estimates import warn_sample


def limit_cycle(z: xr.DataArray, *, component: int = 0, discard: float = 0.5, amplitude_floor: float | None = None,
                amplitude_rtol: float = 1e-4) -> xr.Dataset:
    """Period and amplitude of an oscillation in one latent component, per trial.

    The period is the mean interval between upward crossings of the component's mean
    (linearly interpolated), the amplitude half the peak-to-peak range; the first ``discard``
    fraction of the record is dropped as transient. A trial oscillates when it has at least three
    crossings and an amplitude above the floor; otherwise (no sustained oscillation) it gets NaN.

    The floor is absolute: ``amplitude_floor`` in latent units, or by default ``amplitude_rtol``
    times the state scale of the trial (the largest ``|z|`` of any latent component in the
    analysed record). A noise-free float32 run that settles on a fixed point keeps wandering in
    the last bits of its state (about 1e-6 of it: a symmetric network on the rotational OU
    process showed "period 1.41, amplitude 1.5e-6" at |z| ~ 0.15), and a floor relative to the
    component's own values cannot tell that from a cycle.

    Parameters
    ----------
    z : DataArray (trial, time, latent), e.g. ``simulate(...).z``
    component : int
        Which latent dimension.
    discard : float
        Fraction of the record dropped at the start, in [0, 1).
    amplitude_floor : float, optional
        Smallest amplitude that counts as an oscillation, in latent units (e.g. a few times the
        noise level); overrides ``amplitude_rtol``.
    amplitude_rtol : float
        Default floor, relative to the trial's state scale (1e-4: a hundred times float32
        rounding at a fixed point, far below any cycle this package fits).

    Returns
    -------
    Dataset with ``period``, ``amplitude`` and ``n_cycles`` (trial; 0 below the floor).
    """
    if not isinstance(z, xr.DataArray) or set(z.dims) != {"trial", "time", "latent"}:
        raise ValueError(f"`z` must be a DataArray with dims (trial, time, latent), got {type(z).__name__} {getattr(z, 'dims', None)}")
    if not 0 <= discard < 1:
        raise ValueError(f"`discard` must be in [0, 1), got {discard}")
    if component not in range(z.sizes["latent"]):
        raise ValueError(f"`component` must be in 0..{z.sizes['latent'] - 1}, got {component}")
    if amplitude_floor is not None and not (np.isfinite(amplitude_floor) and amplitude_floor >= 0):
        raise ValueError(f"`amplitude_floor` must be a finite number >= 0 or None, got {amplitude_floor}")
    if not (np.isfinite(amplitude_rtol) and amplitude_rtol >= 0):
        raise ValueError(f"`amplitude_rtol` must be a finite number >= 0, got {amplitude_rtol}")
    t = z.time.values
    keep = t >= t[0] + discard * (t[-1] - t[0])
    t = t[keep]
    states = z.transpose("trial", "time", "latent").values[:, keep]
    series = states[..., component]
    scales = np.abs(states).max(axis=(1, 2)) if states.size else np.zeros(len(series))
    periods, amps, counts = [], [], []
    for s, scale in zip(series, scales):
        c = s - s.mean()
        idx = np.nonzero((c[:-1] < 0) & (c[1:] >= 0))[0]
        tc = t[idx] + (t[idx + 1] - t[idx]) * (-c[idx]) / (c[idx + 1] - c[idx])
        floor = amplitude_rtol * scale if amplitude_floor is None else amplitude_floor
        above = 0.5 * (s.max() - s.min()) > floor
        ok = above and len(tc) >= 3
        periods.append(np.mean(np.diff(tc)) if ok else np.nan)
        amps.append(0.5 * (s.max() - s.min()) if ok else np.nan)
        counts.append(max(len(tc) - 1, 0) if above else 0)
    dims = ("trial",)
    if any(0 < c < 5 for c in counts):
        warn_sample("limit_cycle", f"fewer than 5 full cycles in some trials ({min(c for c in counts if c > 0)} at least): "
                    f"the period is imprecise; simulate longer")
    return xr.Dataset(dict(period=(dims, np.array(periods), dict(units="tau")),
                           amplitude=(dims, np.array(amps), dict(units="latent units")),
                           n_cycles=(dims, np.array(counts))),
                      coords=dict(trial=z.trial.values), attrs=dict(component=component, discard=discard, n_trials=len(counts),
                                 amplitude_floor=amplitude_floor if amplitude_floor is not None else "",
                                 amplitude_rtol=amplitude_rtol,
                                 t_analysed=float(t[-1] - t[0]) if t.size else 0.0))
