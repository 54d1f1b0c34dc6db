"""Input checks at the API boundary: every error names the argument and the value received."""

from __future__ import annotations

import numbers

import jax
import numpy as np


def _show(value, limit: int = 80) -> str:
    text = repr(value)
    if isinstance(value, (np.ndarray, jax.Array)):
        text = f"array of shape {tuple(value.shape)} and dtype {value.dtype}"
        if value.size <= 8:
            text += f": {np.asarray(value).tolist()}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_positive(name: str, value, *, allow_zero: bool = False) -> float:
    """A finite real number > 0 (or >= 0)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        if isinstance(value, (np.ndarray, jax.Array)) and np.ndim(value) == 0:
            value = float(value)
        else:
            raise ValueError(f"`{name}` must be a real number, got {_show(value)}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"`{name}` must be finite, got {value}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"`{name}` must be {bound}, got {value}")
    return value


def check_int(name: str, value, *, minimum: int = 1) -> int:
    """An integer >= minimum."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise ValueError(f"`{name}` must be an integer, got {_show(value)}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {value}")
    return value


def check_choice(name: str, value, choices) -> str:
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"`{name}` must be one of {options}; got {_show(value)}")
    return value


def as_array(name: str, value, *, shape=None, ndim=None, finite: bool = True) -> np.ndarray:
    """Convert to a float64 numpy array and check shape and finiteness.

    `shape` may contain None for any length.
    """
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"`{name}` must be a numeric array, got {_show(value)} ({err})") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"`{name}` must have {ndim} dimension(s), got shape {arr.shape}")
    if shape is not None:
        ok = arr.ndim == len(shape) and all(s is None or s == a for s, a in zip(shape, arr.shape))
        if not ok:
            want = "(" + ", ".join("n" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"`{name}` must have shape {want}, got {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite, got {_show(value)}")
    return arr


def check_key(name: str, key) -> jax.Array:
    """A JAX PRNG key (raw uint32[2] or typed)."""
    if key is None:
        raise ValueError(f"`{name}` is required: pass e.g. {name}=jax.random.key(0)")
    if isinstance(key, (jax.Array, np.ndarray)):
        if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key) and key.shape == ():
            return key
        if key.dtype == np.uint32 and key.shape == (2,):
            return jax.random.wrap_key_data(jax.numpy.asarray(key))
    raise ValueError(f"`{name}` must be a JAX PRNG key such as jax.random.key(0), got {_show(key)}")


def check_region(name: str, region, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """A box (low, high) of two length-dim sequences with low < high."""
    if not isinstance(region, (tuple, list)) or len(region) != 2:
        raise ValueError(f"`{name}` must be a pair (low, high) of length-{dim} sequences, got {_show(region)}")
    low = as_array(f"{name}[0] (low)", region[0])
    high = as_array(f"{name}[1] (high)", region[1])
    low = np.broadcast_to(low, (dim,)).copy() if low.ndim == 0 else low
    high = np.broadcast_to(high, (dim,)).copy() if high.ndim == 0 else high
    if low.shape != (dim,) or high.shape != (dim,):
        raise ValueError(f"`{name}` must hold two length-{dim} sequences, got shapes {low.shape} and {high.shape}")
    if not np.all(high > low):
        raise ValueError(f"`{name}` must have low < high in every dimension, got low={low.tolist()}, high={high.tolist()}")
    return low, high
