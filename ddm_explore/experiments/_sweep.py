"""Parameter sweeps sharded over all JAX devices (``jax.sharding``)."""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from .._threads import one_blas_thread


def sweep(fn, grid: dict, *, devices=None, batch_size: int | None = None) -> xr.Dataset:
    """Evaluate ``fn`` on every point of a parameter grid, the points sharded over JAX devices.

    The grid's Cartesian product is flattened, padded to a multiple of the device count and laid
    out along one mesh axis, so each device evaluates ``jax.vmap(fn)`` on its share in one jitted
    call (``batch_size`` splits a large grid into several such calls). The result does not depend
    on the number of devices: each point's computation is the same; only where it runs changes.

    Several CPU devices of one process (forced with ``--xla_force_host_platform_device_count``, for
    tests) evaluate their shares one after another, with the same per-device batches.

    Multi-GPU: every local GPU is used by default. Multi-host: call
    ``jax.distributed.initialize()`` first on every host, run the same script on each; the mesh
    then spans ``jax.devices()`` (all hosts' devices) and every host receives the full result.

    Parameters
    ----------
    fn : callable
        ``fn(**point) -> pytree of arrays``, traceable by JAX (jit/vmap): e.g. a matching loss, a
        network's latent drift at fixed points, or a ``lax.scan`` Euler–Maruyama kernel. A seed
        axis of the grid is passed as an integer; build keys inside with ``jax.random.key(seed)``.
    grid : dict of str -> 1-D sequence
        The axes, e.g. ``dict(c=[0.5, 1.0], sigma=[0.1, 0.2], seed=range(8))``.
    devices : sequence of jax.Device, optional
        Default ``jax.devices()``.
    batch_size : int, optional
        Grid points per jitted call (rounded up to a multiple of the device count); default all.

    Returns
    -------
    xarray.Dataset
        One variable per leaf of ``fn``'s output (named by its path; ``"value"`` for a single
        array), dims = the grid's axes then ``dim_0, dim_1, ...`` of the output; the grid as
        coordinates; ``n_devices`` and ``n_points`` in attrs.

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> ds = ddm.sweep(lambda a, seed: a * jax.random.normal(jax.random.key(seed)), dict(a=[1.0, 2.0], seed=[0, 1]))
    >>> ds.value.dims, ds.value.shape
    (('a', 'seed'), (2, 2))
    """
    if not callable(fn):
        raise ValueError(f"`fn` must be callable, got {type(fn).__name__}")
    axes = grid_axes(grid)
    devices = list(jax.devices() if devices is None else devices)
    n_dev = len(devices)
    names = list(axes)
    shape = tuple(a.size for a in axes.values())
    n = int(np.prod(shape))
    idx = np.array(list(itertools.product(*(range(s) for s in shape))), dtype=np.int64).reshape(n, len(shape))
    flat = {k: axes[k][idx[:, i]] for i, k in enumerate(names)}
    per_call = n if batch_size is None else max(1, int(batch_size))
    per_call = -(-per_call // n_dev) * n_dev
    mesh = Mesh(np.array(devices), ("grid",))
    sharding = NamedSharding(mesh, PartitionSpec("grid"))
    run = jax.jit(jax.vmap(lambda point: fn(**point)), out_shardings=sharding)
    if n_dev > 1 and all(d.platform == "cpu" for d in devices):
        run, sharding = _one_device_at_a_time(fn, devices), None

    # one BLAS thread: LAPACK calls on CPU (a traceable fit's QR) spin-wait on a busy machine otherwise
    outs = one_blas_thread(lambda: [_call(run, flat, start, per_call, sharding) for start in range(0, n, per_call)])()
    out = jax.tree_util.tree_map(lambda *a: np.concatenate(a, axis=0), *outs)

    leaves = jax.tree_util.tree_leaves_with_path(out)
    data = {}
    for path, leaf in leaves:
        key = jax.tree_util.keystr(path, simple=True, separator="/") or "value"
        arr = leaf.reshape(shape + leaf.shape[1:])
        dims = tuple(names) + tuple(f"dim_{i}" for i in range(leaf.ndim - 1))
        data[key] = (dims, arr)
    return xr.Dataset(data, coords={k: v for k, v in axes.items()},
                      attrs=dict(n_devices=n_dev, n_points=n, points_per_call=per_call))


def grid_axes(grid) -> dict:
    """The axes of a grid, checked: name -> non-empty 1-D numpy array (the order of ``grid``)."""
    if not isinstance(grid, dict) or not grid:
        raise ValueError(f"`grid` must be a non-empty dict of name -> 1-D values, got {grid!r:.80}")
    axes = {}
    for name, values in grid.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"`grid` keys must be names (keyword arguments of the function), got {name!r}")
        try:
            arr = np.asarray(list(values) if not isinstance(values, np.ndarray) else values)
        except TypeError:
            raise ValueError(f"`grid[{name!r}]` must be a non-empty 1-D sequence, got {values!r:.80}") from None
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"`grid[{name!r}]` must be a non-empty 1-D sequence, got shape {arr.shape}")
        axes[name] = arr
    return axes


def _one_device_at_a_time(fn, devices):
    """Several CPU devices of one process (``--xla_force_host_platform_device_count``): each device
    evaluates ``vmap(fn)`` on its share, as in the sharded call, but one device after another. Two
    forced CPU devices running LAPACK calls at once (a traceable fit's QR and eigh) deadlocked
    intermittently in the sharded call (XLA's CPU runtime; measured on 2 cores); the points and
    each device's batch are those of the sharded call, so the results are the same."""
    run = jax.jit(jax.vmap(lambda point: fn(**point)))

    def call(chunk):
        m = len(next(iter(chunk.values()))) // len(devices)
        outs = [jax.block_until_ready(run({k: jax.device_put(v[i * m:(i + 1) * m], dev) for k, v in chunk.items()}))
                for i, dev in enumerate(devices)]
        return jax.tree_util.tree_map(lambda *a: np.concatenate([np.asarray(x) for x in a]), *outs)

    return call


def _call(run, flat, start, per_call, sharding):
    """One jitted call on the points [start, start + per_call), padded to per_call."""
    chunk = {k: v[start:start + per_call] for k, v in flat.items()}
    m = len(next(iter(chunk.values())))
    pad = per_call - m  # repeat the last point: padded results are dropped
    chunk = {k: np.concatenate([v, np.repeat(v[-1:], pad)]) for k, v in chunk.items()}
    chunk = {k: jnp.asarray(v) if sharding is None else jax.device_put(jnp.asarray(v), sharding) for k, v in chunk.items()}
    res = run(chunk)
    return jax.tree_util.tree_map(lambda a, m=m: np.asarray(a)[:m], res)
