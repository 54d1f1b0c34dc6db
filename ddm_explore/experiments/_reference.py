"""Reference trajectories for the embedding report: the target's own runs, or trajectories from
elsewhere (another integrator, data) split into independent subsets."""

from __future__ import annotations

import math
import numbers

import numpy as np
import xarray as xr

from .._checks import _show, as_array


def reference_trajectories(reference, dim: int) -> xr.DataArray:
    """``reference`` as a float64 DataArray (trial, time, latent) with a uniform time coordinate.

    Accepts a DataArray (trial, time, latent) with a ``time`` coordinate, a Dataset holding one
    as ``"z"``, or a pair ``(array, dt)`` of a (trial, time, latent) array and its time step.

    >>> import numpy as np
    >>> reference_trajectories((np.zeros((2, 5, 1)), 0.1), 1).time.values.tolist()
    [0.0, 0.1, 0.2, 0.30000000000000004, 0.4]
    """
    if isinstance(reference, xr.Dataset):
        if "z" not in reference:
            raise ValueError(f"`reference` Dataset must hold a 'z' variable, got variables {list(reference.data_vars)}")
        reference = reference["z"]
    if isinstance(reference, tuple):
        if len(reference) != 2:
            raise ValueError(f"`reference` as a tuple must be (array, dt), got a tuple of length {len(reference)}")
        arr, dt = reference
        arr = as_array("reference[0] (trajectories)", arr)
        if arr.ndim != 3:
            raise ValueError(f"`reference` must be a (trial, time, latent) array, got shape {arr.shape}")
        if isinstance(dt, bool) or not isinstance(dt, numbers.Real) or not (math.isfinite(dt) and dt > 0):
            raise ValueError(f"`reference` time step dt must be a number > 0, got {_show(dt)}")
        reference = xr.DataArray(arr, dims=("trial", "time", "latent"), coords=dict(time=np.arange(arr.shape[1]) * float(dt)))
    if not isinstance(reference, xr.DataArray):
        raise ValueError(f"`reference` must be a DataArray (trial, time, latent) with a time coordinate, a Dataset "
                         f"with 'z', or a pair (array, dt); got {_show(reference)}")
    if set(reference.dims) != {"trial", "time", "latent"}:
        raise ValueError(f"`reference` must have dims (trial, time, latent), got {reference.dims}")
    ref = reference.transpose("trial", "time", "latent")
    if "time" not in ref.coords:
        raise ValueError("`reference` needs a time coordinate (its recording step); pass reference=(array, dt) otherwise")
    values = as_array("reference", ref.values)
    _check_shape(values, dim)
    t = as_array("reference time coordinate", ref.time.values, ndim=1)
    steps = np.diff(t)
    if not (np.all(steps > 0) and np.allclose(steps, steps.mean(), rtol=1e-4, atol=0.0)):
        raise ValueError(f"`reference` must be recorded at a uniform time step, got steps from {steps.min():.6g} "
                         f"to {steps.max():.6g}")
    return xr.DataArray(values, dims=("trial", "time", "latent"), coords=dict(time=t, latent=np.arange(dim)))


def _check_shape(values: np.ndarray, dim: int):
    n_trials, n_time, d = values.shape
    if d != dim:
        raise ValueError(f"`reference` must have the latent dimension of `net` ({dim}), got {d} (shape {values.shape})")
    if n_trials < 2:
        raise ValueError(f"`reference` must hold at least 2 trials (two independent subsets make the floor), "
                         f"got {n_trials} (shape {values.shape})")
    if n_time < 4:
        raise ValueError(f"`reference` must hold at least 4 time steps per trial, got {n_time}")


def reference_step(ref: xr.DataArray) -> float:
    """The recording step of checked reference trajectories."""
    t = ref.time.values
    return float((t[-1] - t[0]) / (len(t) - 1))


def split_reference(ref: xr.DataArray, n_pairs: int):
    """K pairs of disjoint, equally large groups of trials: (first groups, second groups, group size)."""
    n = ref.sizes["trial"]
    size = n // (2 * n_pairs)
    if size < 1:
        raise ValueError(f"`n_floor_pairs`={n_pairs} needs at least {2 * n_pairs} trials in `reference` (two disjoint "
                         f"groups per pair), got {n}")
    groups = [ref.isel(trial=slice(i * size, (i + 1) * size)) for i in range(2 * n_pairs)]
    return groups[0::2], groups[1::2], size


def matched_recording(sim: dict, simulate_kwargs, dt_ref: float, t_transient: float, n_time: int):
    """Settings of a network run recorded at the reference's step ``dt_ref``: the integration step
    (the requested ``dt`` or the next smaller divisor of ``dt_ref``), ``record_every``, the run
    length ``t_max`` (the transient, rounded up to whole records, plus a reference trial) and the
    number of leading records to drop."""
    if simulate_kwargs and "record_every" in simulate_kwargs:
        raise ValueError(f"`simulate_kwargs` may not set record_every with `reference`: the network is recorded at the "
                         f"reference's step {dt_ref:g}, got record_every={simulate_kwargs['record_every']!r}")
    every = max(1, math.ceil(dt_ref / sim["dt"] - 1e-9))
    n_skip = math.ceil(t_transient / dt_ref - 1e-9)
    settings = dict(sim, dt=dt_ref / every, record_every=every)
    return settings, (n_skip + n_time - 1) * dt_ref, n_skip


def describe_reference(ref: xr.DataArray, n_pairs: int, size: int) -> str:
    dur = reference_step(ref) * (ref.sizes["time"] - 1)
    return (f"external reference, {ref.sizes['trial']} trials x {dur:.4g} tau ({n_pairs} pair(s) of disjoint "
            f"{size}-trial groups: network against the first of each pair, the floor between the two)")
