"""Sweeps of whole experiments (fit + simulate + analysis, any Python) over a parameter grid, each
grid point a Dask task: an embedded ``distributed.LocalCluster`` by default, a user's cluster
(e.g. SLURM through dask-jobqueue) through its ``Client``; in this process when Dask is absent.

Dask is an optional extra (``pip install "ddm_explore[cluster]"``); it is loaded (importlib) when
a sweep runs on it, never at package import (importing distributed costs about a second).
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import numbers
import os
import traceback
import warnings

import numpy as np
import xarray as xr

from .._checks import _show
from .._progress import progress_bar
from ._sweep import grid_axes

#: what ``client=`` takes besides a ``distributed.Client``: run every point in this process
SERIAL = "serial"
MISSING_DASK = ("dask.distributed is not installed, so the {n} grid points run one after another in this "
                "process; for a local or SLURM cluster install the extra: pip install \"ddm_explore[cluster]\"")


class SerialFallbackWarning(UserWarning):
    """``run_grid`` ran the grid in this process because dask.distributed is not installed."""


def run_grid(experiment, grid: dict, *, client=None, retries: int = 2, progress: bool = True,
             n_workers: int | None = None) -> xr.Dataset:
    """Run ``experiment`` at every point of a parameter grid, each point a Dask task, and combine the
    results into one Dataset over the grid.

    Each point is one call ``experiment(**point)`` (any Python: ``ddm.fit`` + ``ddm.simulate`` +
    analysis). A worker that crashes or is killed costs only the point it ran: Dask reschedules
    that point on another worker (``retries`` times). A point whose function raises is not retried
    (it would raise again): it is recorded as failed, with its error message in ``error``, and
    every other point completes. Keys must come from the point (a seed axis:
    ``jax.random.key(seed)``), never from the order of execution, so the result is the serial run's
    whatever the cluster (bitwise on one machine type: each point runs the same code on the same
    inputs; tested against ``client="serial"``).

    Parameters
    ----------
    experiment : callable
        ``experiment(**point) -> xarray.Dataset or dict of arrays``; picklable (a module-level
        function, or a closure cloudpickle can send). Every point must return the same variables
        with the same shapes.
    grid : dict of str -> 1-D sequence
        The axes, e.g. ``dict(c=[0.0, 0.5], D=[0.05, 0.1], seed=range(4))``.
    client : distributed.Client, "serial" or None
        None (default): an embedded ``LocalCluster`` of ``n_workers`` single-threaded worker
        processes, closed at the end. A Client: its cluster (a ``dask_jobqueue.SLURMCluster``,
        a ``LocalCluster``, ...). ``"serial"``: in this process, one point after another. Without
        dask installed, None falls back to serial with a :class:`SerialFallbackWarning`.
    retries : int
        How many times a point whose worker died is run again (Dask's ``retries``; for the
        embedded cluster also the scheduler's ``allowed-failures``) before it is recorded as
        failed.
    progress : bool
        A progress bar over the points (tqdm: a widget in Jupyter, text elsewhere).
    n_workers : int, optional
        Workers of the embedded LocalCluster (default: the usable cores, at most the points).

    Returns
    -------
    xarray.Dataset
        The experiment's variables with the grid's axes in front (coordinates: the grid values),
        ``failed`` (bool) and ``error`` (the message, "" where the point succeeded) over the grid;
        a failed point's values are NaN. attrs: ``n_points``, ``n_failed``, ``executor``.

    Examples
    --------
    >>> import numpy as np, ddm_explore as ddm
    >>> def point(a, b):
    ...     return dict(total=np.float64(a + b), pair=np.array([a, b]))
    >>> ds = ddm.run_grid(point, dict(a=[1.0, 2.0], b=[10.0, 20.0, 30.0]), client="serial", progress=False)
    >>> ds.total.dims, float(ds.total.sel(a=2.0, b=30.0)), int(ds.failed.sum())
    (('a', 'b'), 32.0, 0)
    """
    if not callable(experiment):
        raise ValueError(f"`experiment` must be callable as experiment(**point), got {_show(experiment)}")
    axes = grid_axes(grid)
    if isinstance(retries, bool) or not isinstance(retries, numbers.Integral) or retries < 0:
        raise ValueError(f"`retries` must be an integer >= 0, got {_show(retries)}")
    if n_workers is not None and (isinstance(n_workers, bool) or not isinstance(n_workers, numbers.Integral) or n_workers < 1):
        raise ValueError(f"`n_workers` must be an integer >= 1 or None, got {_show(n_workers)}")
    names = list(axes)
    shape = tuple(a.size for a in axes.values())
    points = [{k: axes[k][i].item() for k, i in zip(names, idx)} for idx in itertools.product(*(range(s) for s in shape))]
    if client is None and not has_dask():
        warnings.warn(SerialFallbackWarning(MISSING_DASK.format(n=len(points))), stacklevel=2)
        client = SERIAL
    if isinstance(client, str) and client == SERIAL:
        results, executor = _serial(experiment, points, progress), "serial"
    elif client is None:
        results, executor = _local_cluster(experiment, points, retries, progress, n_workers)
    elif _is_client(client):
        results, executor = _on_client(client, experiment, points, retries, progress), f"dask {client.scheduler_info().get('address', '')}"
    else:
        raise ValueError(f"`client` must be a distributed.Client, \"serial\" or None (an embedded LocalCluster), got {_show(client)}")
    return combine_points(results, axes, executor)


def has_dask() -> bool:
    """Whether the optional extra (dask.distributed) is installed."""
    return importlib.util.find_spec("distributed") is not None


def _is_client(obj) -> bool:
    return type(obj).__name__ == "Client" and hasattr(obj, "submit") and hasattr(obj, "gather")


def run_point(experiment, point: dict):
    """One point: ``("ok", Dataset)`` or, when the experiment raises, ``("failed", message)``
    (the traceback's last frames: the message says which point and what went wrong)."""
    try:
        out = experiment(**point)
        return "ok", as_dataset(out)
    except Exception as err:  # noqa: BLE001  a failing point is a result, not the end of the sweep
        where = "".join(traceback.format_exception(err)[-3:]).strip()
        return "failed", f"{type(err).__name__}: {err}\n{where}"


def as_dataset(out) -> xr.Dataset:
    """An experiment's output as a Dataset: a Dataset as it is; a dict of arrays with dims
    ``{name}_dim_0, ...`` per variable."""
    if isinstance(out, xr.Dataset):
        return out
    if isinstance(out, xr.DataArray):
        return out.to_dataset(name=out.name or "value")
    if isinstance(out, dict) and out and all(isinstance(k, str) for k in out):
        data = {}
        for k, v in out.items():
            arr = np.asarray(v)
            if arr.dtype == object:
                raise ValueError(f"the experiment's output {k!r} must be a numeric array, got {_show(v)}")
            data[k] = (tuple(f"{k}_dim_{i}" for i in range(arr.ndim)), arr)
        return xr.Dataset(data)
    raise ValueError(f"the experiment must return an xarray.Dataset or a non-empty dict of arrays, got {_show(out)}")


def _serial(experiment, points, progress):
    out = []
    with progress_bar(progress, len(points), "grid points") as bar:
        for p in points:
            out.append(run_point(experiment, p))
            bar.update(1)
    return out


def _local_cluster(experiment, points, retries, progress, n_workers):
    """An embedded LocalCluster of single-threaded worker processes for this sweep."""
    dask, distributed = importlib.import_module("dask"), importlib.import_module("distributed")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    n = n_workers or max(1, min(cores, len(points)))
    with dask.config.set({"distributed.scheduler.allowed-failures": retries}):
        with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            with distributed.Client(cluster) as client:
                return _on_client(client, experiment, points, retries, progress), f"LocalCluster({n} workers)"


def _on_client(client, experiment, points, retries, progress):
    """Every point a task on the client's cluster; a task that still fails after its retries (its
    worker died each time) is a failed point with Dask's message."""
    distributed = importlib.import_module("distributed")
    futures = [client.submit(run_point, experiment, p, retries=retries, pure=False) for p in points]
    index = {f.key: i for i, f in enumerate(futures)}
    results = [None] * len(points)
    with progress_bar(progress, len(points), "grid points") as bar:
        for fut in distributed.as_completed(futures):
            i = index[fut.key]
            if fut.status == "finished":
                results[i] = fut.result()
            else:
                err = fut.exception()
                results[i] = "failed", f"{type(err).__name__}: {err} (the task failed {retries + 1} times on the cluster)"
            bar.update(1)
    return results


def combine_points(results, axes: dict, executor: str) -> xr.Dataset:
    """The points' Datasets as one Dataset over the grid (C order of ``axes``); failed points NaN."""
    names = list(axes)
    shape = tuple(a.size for a in axes.values())
    ok = [r[1] for r in results if r[0] == "ok"]
    errors = np.array([r[1] if r[0] == "failed" else "" for r in results], dtype=object).reshape(shape)
    failed = errors != ""
    data, coords = {}, {k: v for k, v in axes.items()}
    if ok:
        first = ok[0]
        for name, var in first.data_vars.items():
            dtype = var.dtype if not failed.any() or var.dtype.kind in "fc" else np.dtype(np.float64)
            arr = np.full(shape + var.shape, np.nan if dtype.kind in "fc" else 0, dtype=dtype)
            for flat, r in enumerate(results):
                if r[0] == "ok":
                    v = r[1][name] if name in r[1] else None
                    if v is None or v.shape != var.shape:
                        raise ValueError(f"the experiment returned {name!r} with shape {None if v is None else v.shape} at "
                                         f"point {flat} but {var.shape} at the first point: every point must return the "
                                         f"same variables and shapes")
                    arr[np.unravel_index(flat, shape)] = v.values
            data[name] = (tuple(names) + var.dims, arr, var.attrs)
        coords.update({k: c for k, c in first.coords.items() if k not in names})
    data["failed"] = (tuple(names), failed, dict(long_name="the point raised, or its worker died after every retry"))
    data["error"] = (tuple(names), errors.astype(str), dict(long_name="the point's error message (\"\" if it succeeded)"))
    attrs = dict(ok[0].attrs) if ok else {}
    attrs.update(n_points=len(results), n_failed=int(failed.sum()), executor=executor)
    return xr.Dataset(data, coords=coords, attrs=attrs)
