"""Sampling measures rho of latent points for drift–diffusion matching (METHOD.md section 3), and
the held-out part that a fit's errors are measured on."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from .._checks import _show, as_array, check_int, check_key, check_region

#: the default fraction of an occupation sampler's recorded states held out for the fit's errors
HELD_OUT = 0.2
#: margin of the region taken from a sampler's extent when the target has none (fraction of the range)
REGION_MARGIN = 0.1


@dataclass(frozen=True)
class Sampler:
    """A sampling measure: ``sample(key, n) -> (n, d)`` and the box ``extent`` that the network's
    embedding is scaled to.

    ``fit`` trains on ``sample_train`` and measures its errors on ``sample_test``; for the box and
    the Gaussian both are fresh draws of the measure (``sample``), for an occupation sampler they
    come from disjoint parts of the recorded states (``held_out`` says how they were split)."""

    kind: str
    dim: int
    extent: tuple
    draw: Callable
    draw_train: Callable | None = None
    draw_test: Callable | None = None
    held_out: str = "fresh draws of the measure"
    n_train_states: int | None = None
    n_test_states: int | None = None

    def sample(self, key, n: int) -> jax.Array:
        """``n`` draws of the measure (for an occupation sampler: of all its recorded states)."""
        key = check_key("key", key)
        n = check_int("n", n)
        return self.draw(key, n)

    def sample_train(self, key, n: int) -> jax.Array:
        """``n`` training points: draws of the training states (the measure itself for box and Gaussian)."""
        key = check_key("key", key)
        n = check_int("n", n)
        return (self.draw_train or self.draw)(key, n)

    def sample_test(self, key, n: int) -> jax.Array:
        """``n`` test points: draws of the held-out states (fresh draws of the measure for box and Gaussian)."""
        key = check_key("key", key)
        n = check_int("n", n)
        return (self.draw_test or self.draw)(key, n)

    def describe(self) -> str:
        low, high = self.extent
        return f"{self.kind} over [{', '.join(f'{a:.3g}' for a in low)}] .. [{', '.join(f'{b:.3g}' for b in high)}]"


def box(low, high) -> Sampler:
    """Uniform measure on the box [low, high] (two length-d sequences).

    >>> box([-1, -2], [1, 2]).sample(jax.random.key(0), 3).shape
    (3, 2)
    """
    low_a = as_array("low", low)
    dim = max(low_a.size, 1)
    lo, hi = check_region("(low, high)", (low, high), dim)
    lo_j, hi_j = jnp.asarray(lo, jnp.float32), jnp.asarray(hi, jnp.float32)
    return Sampler("box", dim, (lo, hi),
                   lambda key, n: jax.random.uniform(key, (n, dim), minval=lo_j, maxval=hi_j))


def gaussian(mean, std) -> Sampler:
    """Gaussian measure N(mean, diag(std^2)); the embedding is scaled to mean +- 2.5 std.

    >>> gaussian([0.0], [2.0]).extent[1].tolist()
    [5.0]
    """
    mean_a = as_array("mean", mean, ndim=1)
    std_a = as_array("std", std, ndim=1)
    if std_a.shape != mean_a.shape:
        raise ValueError(f"`std` must have the shape of `mean` {mean_a.shape}, got {std_a.shape}")
    if np.any(std_a <= 0):
        raise ValueError(f"`std` must be > 0 in every dimension, got {std_a.tolist()}")
    m_j, s_j = jnp.asarray(mean_a, jnp.float32), jnp.asarray(std_a, jnp.float32)
    dim = mean_a.size
    return Sampler("gaussian", dim, (mean_a - 2.5 * std_a, mean_a + 2.5 * std_a),
                   lambda key, n: m_j + s_j * jax.random.normal(key, (n, dim)))


def occupation(points, *, held_out: float | None = None, test=None) -> Sampler:
    """Occupation measure of trajectories: draws (with replacement) from recorded states.

    States of one trajectory are strongly correlated, so errors measured at draws of the states a
    network was trained on are not held out (they come out several times too low). The recorded
    states are therefore split: ``fit`` trains on one part (``sample_train``) and reports eps_f and
    eps_D on the other (``sample_test``):

    - with a ``trial`` dimension of at least 2 trials: the last ``round(held_out * n_trials)``
      trials (at least 1, at most n_trials - 1) are held out;
    - otherwise (one trial, a DataArray without trials, an (n, d) array, taken as one time
      series): the last ``held_out`` fraction of each trial's time steps (a contiguous block).

    ``held_out=0`` keeps every state for training and draws the test points from them as well
    (not held out: the behaviour before this split). ``test`` gives independent test states,
    used as they are (then every state of ``points`` trains). ``sample`` draws from all states of
    ``points`` (starting points of simulations); the extent that the embedding is scaled to is
    that of the training states.

    Parameters
    ----------
    points : xarray.Dataset from :func:`ddm_explore.simulate`, its ``"z"`` DataArray
        (trial, time, latent), or an (n, d) array.
    held_out : float in [0, 1), optional
        Fraction of trials (or of each trial's time steps) held out; default 0.2.
    test : same forms as ``points``, optional
        Independent test states (e.g. another simulation); excludes ``held_out``.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> z = xr.DataArray(np.random.default_rng(0).normal(size=(8, 50, 2)), dims=("trial", "time", "latent"))
    >>> s = occupation(z)
    >>> s.held_out, s.n_train_states, s.n_test_states
    ('trials 6-7 of 8 (25% of the states)', 300, 100)
    >>> occupation(z.isel(trial=0)).held_out
    'time block: the last 20% of the time series (10 of 50 states)'
    """
    if test is not None and held_out is not None:
        raise ValueError(f"`held_out` and `test` exclude each other (the test states are given), got held_out={held_out!r}")
    fraction = HELD_OUT if held_out is None else _check_fraction(held_out)
    blocks = _blocks(points)
    if sum(len(b) for b in blocks) < 2:
        raise ValueError(f"`points` must hold at least 2 states, got shape {_shape_of(blocks)}")
    _check_spread("points", np.concatenate(blocks))
    if test is not None:
        train, test_arr = np.concatenate(blocks), np.concatenate(_blocks(test, "test"))
        if len(test_arr) < 1:
            raise ValueError(f"`test` must hold at least 1 state, got shape {test_arr.shape}")
        if test_arr.shape[1] != train.shape[1]:
            raise ValueError(f"`test` must have the latent dimension of `points` ({train.shape[1]}), got {test_arr.shape[1]}")
        how = f"independent test states given by the user ({len(test_arr)} states)"
    elif fraction == 0:
        train = test_arr = np.concatenate(blocks)
        how = "not held out: the test points are drawn from the training states"
    else:
        train, test_arr, how = _split(blocks, fraction, _is_trials(points))
    lo, hi = _check_spread("points", train, "training states (after holding out the test states)")
    everything = np.concatenate(blocks)
    return Sampler("occupation", train.shape[1], (lo, hi), _draws(everything), draw_train=_draws(train),
                   draw_test=_draws(test_arr), held_out=how, n_train_states=len(train), n_test_states=len(test_arr))


def _draws(arr: np.ndarray) -> Callable:
    pts = jnp.asarray(arr, jnp.float32)
    return lambda key, n: pts[jax.random.randint(key, (n,), 0, pts.shape[0])]


def _check_fraction(held_out) -> float:
    if isinstance(held_out, bool) or not isinstance(held_out, numbers.Real) or not 0.0 <= float(held_out) < 1.0:
        raise ValueError(f"`held_out` must be a fraction in [0, 1), got {_show(held_out)}")
    return float(held_out)


def _check_spread(name, arr, what="states"):
    lo, hi = arr.min(axis=0), arr.max(axis=0)
    if np.any(hi <= lo):
        raise ValueError(f"`{name}` must span a non-degenerate region in every latent dimension ({what}), "
                         f"got min {lo.tolist()} and max {hi.tolist()}")
    return lo, hi


def _is_trials(points) -> bool:
    z = points["z"] if isinstance(points, xr.Dataset) else points
    return isinstance(z, xr.DataArray) and "trial" in z.dims and z.sizes["trial"] >= 2


def _blocks(points, name="points") -> list:
    """The recorded states as a list of (n_i, d) arrays, time in order: one per trial (or per
    series along ``time``), or one for an (n, d) array."""
    if isinstance(points, xr.Dataset):
        if "z" not in points:
            raise ValueError(f"`{name}` Dataset must hold a 'z' variable, got variables {list(points.data_vars)}")
        points = points["z"]
    if not isinstance(points, xr.DataArray):
        return [as_array(name, points, ndim=2)]
    if "latent" not in points.dims:
        raise ValueError(f"`{name}` DataArray must have a 'latent' dimension, got dims {points.dims}")
    d = points.sizes["latent"]
    if "trial" in points.dims:
        order = ("trial", "time", ..., "latent") if "time" in points.dims else ("trial", ..., "latent")
        arr = as_array(name, points.transpose(*order).values)
        return list(arr.reshape(points.sizes["trial"], -1, d))
    if "time" in points.dims:
        arr = as_array(name, points.transpose(..., "time", "latent").values)
        return list(arr.reshape(-1, points.sizes["time"], d))
    return [as_array(name, points.values).reshape(-1, d)]


def _shape_of(blocks) -> tuple:
    return (sum(len(b) for b in blocks), blocks[0].shape[1])


def _split(blocks, fraction, by_trial):
    """Training and held-out states and the sentence that says how they were split."""
    n_states = sum(len(b) for b in blocks)
    if by_trial:
        n = len(blocks)
        k = min(max(1, round(fraction * n)), n - 1)
        train, test = np.concatenate(blocks[:n - k]), np.concatenate(blocks[n - k:])
        which = f"trial {n - 1}" if k == 1 else f"trials {n - k}-{n - 1}"
        return train, test, f"{which} of {n} ({len(test) / n_states:.0%} of the states)"
    if min(len(b) for b in blocks) < 2:
        raise ValueError(f"`points` must hold at least 2 time steps per trial to hold out a time block, "
                         f"got {min(len(b) for b in blocks)}")
    cut = [min(max(1, round(fraction * len(b))), len(b) - 1) for b in blocks]
    train = np.concatenate([b[:len(b) - c] for b, c in zip(blocks, cut)])
    test = np.concatenate([b[len(b) - c:] for b, c in zip(blocks, cut)])
    if len(blocks) == 1:
        return train, test, f"time block: the last {fraction:.0%} of the time series ({len(test)} of {n_states} states)"
    same = len({len(b) for b in blocks}) == 1
    steps = f"{cut[0]} of {len(blocks[0])} time steps" if same else f"{len(test)} of {n_states} states"
    return train, test, f"time block: the last {fraction:.0%} of each trial ({steps})"


def target_region(target, sampler: Sampler | None = None, *, margin: float = REGION_MARGIN):
    """The latent box of ``target``: its ``region``, or when it has none (``region=None``) the
    extent of ``sampler`` widened by ``margin`` of its range on each side.

    The one place matching and the experiments read a target's region from.

    >>> import numpy as np
    >>> s = box([0.0], [1.0])
    >>> [a.tolist() for a in target_region(None, s)]
    [[-0.1], [1.1]]
    """
    region = getattr(target, "region", None)
    if region is not None:
        return region
    if sampler is None:
        raise ValueError("the target has no `region` (region=None): pass `sampler=`, e.g. "
                         "sampler=ddm.occupation(ddm.simulate(sde, ..., z0=...)), so the box comes from its states")
    lo, hi = (np.asarray(e, np.float64) for e in sampler.extent)
    pad = margin * (hi - lo)
    return lo - pad, hi + pad


def default_sampler(target, sampler: Sampler | None = None) -> Sampler:
    """``sampler`` if given, else a box over the target's region (an error naming ``sampler`` when
    the target has none)."""
    if sampler is not None:
        return sampler
    if getattr(target, "region", None) is None:
        raise ValueError("`sampler` is required when the target has no `region` (region=None): pass e.g. "
                         "sampler=ddm.occupation(trajectories) (the region is then the states' extent plus 10%)")
    return box(*target.region)
