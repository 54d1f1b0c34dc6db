"""Limit-cycle measurements on recorded latent trajectories."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._estimates import warn_sample


def limit_cycle(z: xr.DataArray, *, component: int = 0, discard: float = 0.5) -> xr.Dataset:
    """Period and amplitude of an oscillation in one latent component, per trial.

    The period is the mean interval between upward crossings of the component's mean
    (linearly interpolated), the amplitude half the peak-to-peak range; the first ``discard``
    fraction of the record is dropped as transient. Trials with fewer than three crossings
    (no sustained oscillation) get NaN.

    Parameters
    ----------
    z : DataArray (trial, time, latent), e.g. ``simulate(...).z``
    component : int
        Which latent dimension.
    discard : float
        Fraction of the record dropped at the start, in [0, 1).

    Returns
    -------
    Dataset with ``period``, ``amplitude`` and ``n_cycles`` (trial).
    """
    if not isinstance(z, xr.DataArray) or set(z.dims) != {"trial", "time", "latent"}:
        raise ValueError(f"`z` must be a DataArray with dims (trial, time, latent), got {type(z).__name__} {getattr(z, 'dims', None)}")
    if not 0 <= discard < 1:
        raise ValueError(f"`discard` must be in [0, 1), got {discard}")
    if component not in range(z.sizes["latent"]):
        raise ValueError(f"`component` must be in 0..{z.sizes['latent'] - 1}, got {component}")
    t = z.time.values
    keep = t >= t[0] + discard * (t[-1] - t[0])
    t = t[keep]
    series = z.isel(latent=component).transpose("trial", "time").values[:, keep]
    periods, amps, counts = [], [], []
    for s in series:
        c = s - s.mean()
        idx = np.nonzero((c[:-1] < 0) & (c[1:] >= 0))[0]
        tc = t[idx] + (t[idx + 1] - t[idx]) * (-c[idx]) / (c[idx + 1] - c[idx])
        ok = len(tc) >= 3 and (s.max() - s.min()) > 1e-6 * max(1.0, abs(s).max())
        periods.append(np.mean(np.diff(tc)) if ok else np.nan)
        amps.append(0.5 * (s.max() - s.min()) if ok else np.nan)
        counts.append(max(len(tc) - 1, 0))
    dims = ("trial",)
    if any(0 < c < 5 for c in counts):
        warn_sample("limit_cycle", f"fewer than 5 full cycles in some trials ({min(c for c in counts if c > 0)} at least): "
                    f"the period is imprecise; simulate longer")
    return xr.Dataset(dict(period=(dims, np.array(periods), dict(units="tau")),
                           amplitude=(dims, np.array(amps), dict(units="latent units")),
                           n_cycles=(dims, np.array(counts))),
                      coords=dict(trial=z.trial.values), attrs=dict(component=component, discard=discard, n_trials=len(counts),
                                 t_analysed=float(t[-1] - t[0]) if t.size else 0.0))
