"""Piecewise-constant input schedules u(t), shared by target and network simulations."""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from .._checks import as_array


@dataclass(frozen=True)
class Schedule:
    """A piecewise-constant input u(t) in R^k, optionally different per trial.

    ``values[:, i]`` holds on ``breaks[i-1] <= t < breaks[i]`` (with breaks[-1] = -inf and
    breaks[n] = +inf), so ``values`` has one more piece than ``breaks``.

    Attributes
    ----------
    breaks : (n_pieces - 1,) increasing times
    values : (n_trials or 1, n_pieces, k)
    """

    breaks: np.ndarray
    values: np.ndarray

    @property
    def input_dim(self) -> int:
        return self.values.shape[-1]

    @property
    def n_trials(self) -> int:
        return self.values.shape[0]

    def __call__(self, t) -> np.ndarray:
        """u at times t (...,): shape (n_trials or 1, ..., k)."""
        idx = np.searchsorted(self.breaks, np.asarray(t, np.float64), side="right")
        return self.values[:, idx]



def value_at(breaks, values, t):
    """The input at one time t inside compiled code, from a schedule's ``breaks`` and ``values``
    as arrays: (n_trials or 1, k). The simulation kernel evaluates its schedule with this."""
    return values[:, jnp.searchsorted(breaks, t, side="right")]


def piecewise(breaks, values) -> Schedule:
    """Schedule holding ``values[i]`` between ``breaks[i-1]`` and ``breaks[i]``.

    Parameters
    ----------
    breaks : (n_pieces - 1,) increasing times
    values : (n_pieces, k), or (n_trials, n_pieces, k) for a schedule per trial

    Examples
    --------
    >>> s = piecewise([1.0, 2.0], [[0.0], [1.0], [0.0]])
    >>> s([0.5, 1.5, 2.5])[0, :, 0].tolist()
    [0.0, 1.0, 0.0]
    """
    b = as_array("breaks", breaks)
    b = b.reshape(-1)
    if b.size > 1 and not np.all(np.diff(b) > 0):
        raise ValueError(f"`breaks` must be strictly increasing, got {b.tolist()}")
    v = as_array("values", values)
    if v.ndim == 2:
        v = v[None]
    if v.ndim != 3:
        raise ValueError(f"`values` must have shape (n_pieces, k) or (n_trials, n_pieces, k), got {v.shape}")
    if v.shape[1] != b.size + 1:
        raise ValueError(f"`values` must hold len(breaks) + 1 = {b.size + 1} pieces, got {v.shape[1]}")
    return Schedule(b, v)


def constant(u, *, n_trials: int | None = None) -> Schedule:
    """A constant input: u of shape (k,), or (n_trials, k) for one value per trial.

    >>> constant([0.5, 0.0]).values.shape
    (1, 1, 2)
    """
    v = as_array("u", u)
    if v.ndim == 1:
        v = v[None]
    if v.ndim != 2:
        raise ValueError(f"`u` must have shape (k,) or (n_trials, k), got {v.shape}")
    return Schedule(np.zeros((0,)), v[:, None, :])


def as_schedule(inputs, *, input_dim: int, n_trials: int) -> Schedule:
    """Normalise the ``inputs`` argument of simulate: None, a constant array or a Schedule."""
    if inputs is None:
        return Schedule(np.zeros((0,)), np.zeros((1, 1, input_dim)))
    sched = inputs if isinstance(inputs, Schedule) else constant(inputs)
    if sched.input_dim != input_dim:
        raise ValueError(f"`inputs` must have width input_dim={input_dim}, got width {sched.input_dim}")
    if sched.n_trials not in (1, n_trials):
        raise ValueError(f"`inputs` holds {sched.n_trials} per-trial schedules but n_trials={n_trials}")
    return sched
