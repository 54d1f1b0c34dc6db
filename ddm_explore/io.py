"""Save and load fitted networks: a zip of .npy arrays plus JSON metadata, never pickle."""

from __future__ import annotations

import io as _io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from ._system import check_network
from .network._network import CONNECTIVITIES, NOISE_MODES, NONLINEARITIES, Network

FORMAT = "ddm_explore.network"
FORMAT_VERSION = 1
_ARRAYS = ("M", "x0", "W", "J_full", "b", "B", "gamma0", "Gamma", "private_noise", "centre", "scale",
           "region_low", "region_high")
_STATIC = ("connectivity", "noise", "nonlinearity", "name")


def save(net: Network, path) -> Path:
    """Write a network to ``path`` atomically (a temporary file in the same folder, then
    ``os.replace``): an interrupted save leaves any previous file intact.

    The file is a zip holding ``meta.json`` (format, version, static fields) and one ``.npy``
    per array; it is read back without pickle.
    """
    check_network("net", net)
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"`path` must be a file path, got the directory {str(path)!r}")
    meta = dict(format=FORMAT, version=FORMAT_VERSION, **{k: getattr(net, k) for k in _STATIC}, time_scale=net.time_scale,
                arrays=[k for k in _ARRAYS if getattr(net, k) is not None])
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as zf:
            zf.writestr("meta.json", json.dumps(meta))
            for k in meta["arrays"]:
                buf = _io.BytesIO()
                np.save(buf, np.asarray(getattr(net, k)), allow_pickle=False)
                zf.writestr(f"{k}.npy", buf.getvalue())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(path) -> Network:
    """Read a network written by :func:`save`; a truncated, foreign or newer file gives a
    ``ValueError`` that says which."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"`path` does not name a file: {str(path)!r}")
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "meta.json" not in names:
                raise ValueError(f"`path` {str(path)!r} is not a ddm_explore network file (no meta.json)")
            meta = json.loads(zf.read("meta.json"))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise ValueError(f"`path` {str(path)!r} is not a ddm_explore network file (format {meta.get('format') if isinstance(meta, dict) else None!r})")
            if not isinstance(meta.get("version"), int) or meta["version"] > FORMAT_VERSION:
                raise ValueError(f"`path` {str(path)!r} has format version {meta.get('version')!r}, newer than this "
                                 f"ddm_explore reads ({FORMAT_VERSION}): upgrade ddm_explore")
            arrays = {}
            for k in meta.get("arrays", []):
                if k not in _ARRAYS:
                    raise ValueError(f"`path` {str(path)!r} holds an unknown array {k!r}")
                arr = np.load(_io.BytesIO(zf.read(f"{k}.npy")), allow_pickle=False)
                if arr.dtype.kind != "f":
                    raise ValueError(f"`path` {str(path)!r} holds array {k!r} of dtype {arr.dtype}, expected floats")
                arrays[k] = arr
    except ValueError as err:
        if str(err).startswith("`path`"):
            raise
        raise ValueError(f"`path` {str(path)!r} is truncated or corrupt: {err}") from None
    except (zipfile.BadZipFile, EOFError, KeyError, json.JSONDecodeError, UnicodeDecodeError, OSError) as err:
        raise ValueError(f"`path` {str(path)!r} is truncated or corrupt: {type(err).__name__}: {err}") from None
    static = {k: meta.get(k) for k in _STATIC}
    if static["connectivity"] not in CONNECTIVITIES or static["noise"] not in NOISE_MODES or static["nonlinearity"] not in NONLINEARITIES:
        raise ValueError(f"`path` {str(path)!r} has invalid settings {static}")
    missing = [k for k in _ARRAYS if k not in arrays and k not in ("W", "J_full", "Gamma")]
    if missing:
        raise ValueError(f"`path` {str(path)!r} lacks arrays {missing}")
    _check_shapes(path, arrays)
    fields = {k: (jnp.asarray(arrays[k]) if k in arrays else None) for k in _ARRAYS}
    time_scale = meta.get("time_scale", 1.0)  # files written before networks recorded it: 1
    if isinstance(time_scale, bool) or not isinstance(time_scale, (int, float)) or not time_scale > 0:
        raise ValueError(f"`path` {str(path)!r} has an invalid time_scale {time_scale!r}")
    return Network(**fields, **static, time_scale=float(time_scale))


def _check_shapes(path, a):
    """The arrays must fit together: M (N, d), x0 (N,), W (N, d) or J_full (N, N), ..."""
    if a["M"].ndim != 2:
        raise ValueError(f"`path` {str(path)!r} has an embedding M of shape {a['M'].shape}, expected (N, d)")
    N, d = a["M"].shape
    k = a["B"].shape[1] if a["B"].ndim == 2 else -1
    want = dict(x0=(N,), W=(N, d), J_full=(N, N), b=(N,), B=(N, k), gamma0=(d, d), Gamma=(d, d, N),
                private_noise=(), centre=(d,), scale=(d,), region_low=(d,), region_high=(d,))
    for name, shape in want.items():
        if name in a and a[name].shape != shape:
            raise ValueError(f"`path` {str(path)!r} has array {name!r} of shape {a[name].shape}, expected {shape}")
    if ("W" in a) == ("J_full" in a):
        raise ValueError(f"`path` {str(path)!r} must hold exactly one of W (low rank) and J_full")
