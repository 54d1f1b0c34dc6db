"""Simulation of a target SDE or a rate network (METHOD.md section 4): one solver step per time
step (Euler–Maruyama by default, ``_solver/``); the loop, the recording and the noise streams here."""

from __future__ import annotations

import math
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from .._checks import as_array, check_int, check_key, check_positive
from .._progress import progress_bar
from .._system import check_system, require_region
from ._check_dt import check_stable_dt, warn_if_inaccurate, with_check_region
from ._inputs import as_schedule, value_at
from ._noise import counter_normal_pair, counter_normals, key_words
from ._solver import AbstractSolver, Euler, as_solver, step_terms

#: recorded floats per segment: bounds the device memory of one jitted call
_SEGMENT_BUDGET = 8_000_000
#: noise floats drawn at once: bounds the memory of one chunk's noise when record_every is long
_DRAW_BUDGET = 4_000_000
#: latent channels added by fused multiply-adds (more: one matmul per step)
_FUSED_CHANNELS = 8
#: fold_in tag of the private-noise stream (its counters are hashed per step, see _noise.py)
_PRIVATE_STREAM = 0x70726976
#: fold_in tag of the latent-noise stream
_LATENT_STREAM = 0x6C61746E


class Plan(NamedTuple):
    """The static shape of one segment's compiled loop: ``n_records`` chunks of ``record_every``
    steps, latent noise drawn ``draw_every`` steps at a time. ``split=2``: every chunk (an even
    number of steps, twice the user's odd ``record_every``) also records its middle state, so
    private noise stays paired. ``solver``: the step (a hashable solver object)."""

    n_records: int
    record_every: int
    draw_every: int
    n_noise: int
    deterministic: bool
    record_neurons: bool
    private: bool
    split: int = 1
    solver: AbstractSolver = Euler()


def _steps(system, x, key, breaks, values, dt, plan):
    """The step functions of a segment: ``advance`` (one step of the plan's solver), the private
    normals (hashed from counters inside the step, _noise.py) and the latent draws; returns a
    dict of them."""
    sqdt = jnp.sqrt(dt)
    n_private = x.shape[1] if plan.private and not plan.deterministic else 0
    # with an even number of steps per block, one Threefry call and one Box–Muller transform serve two steps
    paired = bool(n_private) and plan.draw_every % 2 == 0
    if n_private:
        k0, k1 = key_words(jax.random.fold_in(key, _PRIVATE_STREAM + 2 * int(paired)))
        private_scale = system.private_noise * sqdt
    # a constant noise loading with few channels: L dW as broadcast multiply-adds that fuse with the
    # step's elementwise work (no small matmul per step)
    L = None if plan.deterministic or plan.n_noise > _FUSED_CHANNELS else system.fused_noise_columns()
    has_inputs = values.shape[-1] > 0

    def advance(x, step, dw, private_normals):
        u = value_at(breaks, values, step * dt) if has_inputs else values[:, 0]
        terms = step_terms(system, u, dt, fused=L, private_scale=private_scale if n_private else None,
                           deterministic=plan.deterministic)
        return plan.solver.step(terms, x, dw, private_normals)

    def one_step(x, inp):
        step, dw = inp
        zp = counter_normals(k0, k1, step.astype(jnp.uint32), x.shape) if n_private else None
        return advance(x, step, dw, zp), None

    def next_normals(first_step):  # xi of an even step: the second word of its pair counter
        return counter_normal_pair(k0, k1, (first_step // 2).astype(jnp.uint32), x.shape)[1]

    # Paired steps carry c = x + i xi: the state and the private normals of the next step in one
    # complex64 array. The pair counter q gives the normals of steps 2q - 1 and 2q; the step 2q - 1
    # normals enter the state at once and the step 2q ones ride in the carry, so the cipher and
    # the transform run once, in the pass that writes the carry (two real outputs would be two
    # passes, each recomputing the cipher).
    def pair_of_steps(c, step, dw):  # step: the first of the two, even; returns the carry and the middle state
        x_mid = advance(jnp.real(c), step, dw[0], jnp.imag(c))
        za, zb = counter_normal_pair(k0, k1, (step // 2 + 1).astype(jnp.uint32), x_mid.shape)
        return jax.lax.complex(advance(x_mid, step + 1, dw[1], za), zb), x_mid

    if not plan.deterministic:  # latent normals: Threefry counters (position, first step of the block)
        l0, l1 = key_words(jax.random.fold_in(key, _LATENT_STREAM))

    def draw(first_step, n):  # the latent noise of n steps, drawn at once: m numbers per trial-step
        shape = (n, x.shape[0])
        if plan.deterministic:
            return jnp.zeros(shape + (0,), x.dtype)
        return counter_normals(l0, l1, first_step.astype(jnp.uint32), shape + (plan.n_noise,)) * sqdt

    return dict(one_step=one_step, next_normals=next_normals, pair_of_steps=pair_of_steps, draw=draw, paired=paired)


def _record_loop(system, steps, plan):
    """The scan body that advances one chunk of ``record_every`` steps and records its end (and,
    for ``split=2``, its middle); returns (one_record, state) with ``state`` the carry's real part."""
    one_step, pair_of_steps, draw, paired = steps["one_step"], steps["pair_of_steps"], steps["draw"], steps["paired"]
    record_every, draw_every = plan.record_every, plan.draw_every
    n_blocks = record_every // draw_every

    def two_steps(c, inp):
        return pair_of_steps(c, *inp)[0], None

    def pairs(c, first_step, dW):  # len(dW) / 2 pairs of steps from the even step first_step
        steps_ = first_step + jnp.arange(0, dW.shape[0], 2)
        return jax.lax.scan(two_steps, c, (steps_, dW.reshape((dW.shape[0] // 2, 2) + dW.shape[1:])))[0]

    def block(x, first_step):  # draw_every steps with their latent noise drawn at once
        dW = draw(first_step, draw_every)
        if paired:
            return pairs(x, first_step, dW)
        return jax.lax.scan(one_step, x, (first_step + jnp.arange(draw_every), dW))[0]

    state = jnp.real if paired else (lambda c: c)

    def records_of(x):
        return system.readout(x), x if plan.record_neurons else jnp.zeros((0,), x.dtype)

    def one_record(c, j):  # j: global index of the record this chunk ends at
        first = (j - 1) * record_every
        if plan.split == 2:  # record_every = 2 r, r odd: the middle record falls after the first step of pair h
            h = (record_every // 2 - 1) // 2
            dW = draw(first, record_every)
            c = pairs(c, first, dW[:2 * h])
            c, x_mid = pair_of_steps(c, first + 2 * h, dW[2 * h:2 * h + 2])
            c = pairs(c, first + 2 * h + 2, dW[2 * h + 2:])
            mid, end = records_of(x_mid), records_of(jnp.real(c))
            return c, jax.tree.map(lambda a, b: jnp.stack([a, b]), mid, end)
        if n_blocks == 1:
            c = block(c, first)
        else:  # bounds the memory of the drawn noise when record_every is long
            c = jax.lax.fori_loop(0, n_blocks, lambda b, c: block(c, first + b * draw_every), c)
        return c, records_of(state(c))

    return one_record, state


@partial(jax.jit, static_argnames=("plan",))
def _segment(system, x, key, first_record, breaks, values, dt, *, plan):
    """Advance ``plan.n_records * plan.record_every`` steps; return the final state and the records."""
    steps = _steps(system, x, key, breaks, values, dt, plan)
    one_record, state = _record_loop(system, steps, plan)
    c = jax.lax.complex(x, steps["next_normals"]((first_record - 1) * plan.record_every)) if steps["paired"] else x
    c, records = jax.lax.scan(one_record, c, first_record + jnp.arange(plan.n_records))
    if plan.split == 2:  # (chunks, 2, ...) -> (records, ...)
        records = jax.tree.map(lambda a: a.reshape((2 * plan.n_records,) + a.shape[2:]), records)
    return state(c), records


def _plan(target, n_trials, n_rec, record_every, deterministic, record_neurons, width, solver=Euler()):
    """Segments and chunks of a run: (plan, records per segment, number of segments)."""
    private = float(target.private_noise) > 0
    per_record = n_trials * (target.dim + (width if record_neurons else 0))
    cap = max(1, min(n_rec, _SEGMENT_BUDGET // max(per_record, 1), max(1, 200_000 // record_every)))
    n_seg = -(-n_rec // cap)
    seg_len = -(-n_rec // n_seg)
    drawn = n_trials * target.noise_dim  # latent noise floats per step (private noise is made in the step)
    # private noise is generated for two steps at a time: an odd record_every runs in chunks of
    # two records (2 record_every steps, latent noise drawn at once) when they fit the draw budget
    split = 2 if private and not deterministic and record_every % 2 and 2 * record_every * drawn <= _DRAW_BUDGET else 1
    seg_len += seg_len % split
    n_seg = -(-n_rec // seg_len)  # an even seg_len may need fewer segments
    chunk = record_every * split
    sizes = [b for b in range(1, chunk + 1) if chunk % b == 0]
    draw_every = max(b for b in sizes if b * drawn <= _DRAW_BUDGET or b == 1)
    if private and chunk % 2 == 0 and draw_every % 2:  # even blocks pair the private noise
        draw_every = max([b for b in sizes if b % 2 == 0 and b * drawn <= _DRAW_BUDGET], default=2)
    plan = Plan(n_records=seg_len // split, record_every=chunk, draw_every=draw_every, n_noise=target.noise_dim,
                deterministic=bool(deterministic), record_neurons=bool(record_neurons), private=private, split=split,
                solver=solver)
    return plan, seg_len, n_seg


def simulate(target, *, t_max: float, dt: float, n_trials: int = 1, key, z0=None, inputs=None,
             record_every: int = 1, record_neurons: bool = False, deterministic: bool = False,
             progress: bool = True, solver="euler", check_accuracy: bool = True) -> xr.Dataset:
    """Simulate a target SDE or a network, batched over trials (Euler–Maruyama by default).

    A network is integrated in all N neurons (``dx = [-x + J phi(x) + B u + b] dt + Sigma(x) dW``)
    and read out as ``z = M^T x / N`` in the user's coordinates; its noise is drawn only in the
    channels it lives in: d latent channels, plus N private ones when ``net.private_noise > 0``.
    Only every ``record_every``-th step is kept, so memory grows with the recorded length, not
    the step count.

    Parameters
    ----------
    target : SDE or Network
    t_max, dt : float
        Duration and time step (time in units of the neuronal time constant).
    n_trials : int
    key : PRNG key
        Draws the noise (and z0 when it is omitted). Same key, same numbers.
    z0 : (d,) or (n_trials, d), optional
        Latent start; a network starts on the manifold at ``x0 + M z0``. Default: uniform in the
        target's region.
    inputs : Schedule or (k,) / (n_trials, k) array, optional
        A piecewise-constant input (``ddm.inputs``); default zero.
    record_every : int
        Keep every k-th step (times 0, k dt, 2 k dt, ...).
    record_neurons : bool
        Also return the neuron states "x" (network only).
    deterministic : bool
        Switch the noise off.
    progress : bool
        Show a progress bar.
    solver : str or solver object
        The step: ``"euler"`` (Euler–Maruyama, the default), ``"heun"`` (stochastic Heun: order
        2 without noise, strong order 1 with additive noise), ``"milstein"`` (Itô–Milstein, for
        state-dependent noise), or an object such as ``ddm.Heun()`` (README, "Solvers"). Every
        solver sees the same Brownian increments and private noise for the same key.
    check_accuracy : bool
        Warn (``ddm.AccuracyWarning``) when one step of ``dt`` has a relative local error above
        5% on the noise-free system (step doubling at 16 points of the region, see
        ``ddm.check_dt``); False skips the check.

    Returns
    -------
    xarray.Dataset
        ``z`` (trial, time, latent); ``x`` (trial, time, neuron) with ``record_neurons``; ``u``
        (trial, time, input) when the system has inputs. Settings in attrs.

    Raises
    ------
    FloatingPointError
        When a state becomes non-finite: the message names the trial and time.

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> ds = ddm.simulate(ddm.systems.double_well(), t_max=1.0, dt=0.01, n_trials=3,
    ...                   key=jax.random.key(0), record_every=10, progress=False)
    >>> ds.z.dims, ds.z.shape
    (('trial', 'time', 'latent'), (3, 11, 1))
    """
    check_system("target", target)
    key = check_key("key", key)
    t_max = check_positive("t_max", t_max)
    dt = check_positive("dt", dt)
    n_trials = check_int("n_trials", n_trials)
    record_every = check_int("record_every", record_every)
    n_steps = int(round(t_max / dt))
    if n_steps < 1 or not math.isclose(n_steps * dt, t_max, rel_tol=1e-6, abs_tol=1e-9):
        raise ValueError(f"`t_max` must be a positive multiple of `dt`, got t_max={t_max} and dt={dt}")
    n_rec = n_steps // record_every
    if n_rec < 1:
        raise ValueError(f"`record_every`={record_every} exceeds the number of steps {n_steps}: nothing would be recorded")
    if record_neurons and not target.has_neurons:
        raise ValueError("`record_neurons`=True needs a Network target; an SDE has no neurons")
    d = target.dim
    k_z0, k_noise = jax.random.split(key)
    if z0 is None:
        lo, hi = require_region(target, "simulate's random starts", "z0=")
        z0 = np.asarray(jax.random.uniform(k_z0, (n_trials, d), minval=jnp.asarray(lo, jnp.float32), maxval=jnp.asarray(hi, jnp.float32)))
    z0 = as_array("z0", z0)
    if z0.shape == (d,):
        z0 = np.broadcast_to(z0, (n_trials, d))
    if z0.shape != (n_trials, d):
        raise ValueError(f"`z0` must have shape ({d},) or (n_trials={n_trials}, {d}), got {z0.shape}")
    sched = as_schedule(inputs, input_dim=target.input_dim, n_trials=n_trials)
    solver = as_solver("solver", solver)
    if not isinstance(check_accuracy, bool):
        raise ValueError(f"`check_accuracy` must be True or False, got {check_accuracy!r}")
    checked = with_check_region(target, z0)
    check_stable_dt(checked, dt)
    if check_accuracy:
        warn_if_inaccurate(checked, dt, solver)

    x = target.initial_state(z0)
    width = x.shape[1]
    plan, seg_len, n_seg = _plan(target, n_trials, n_rec, record_every, deterministic, record_neurons, width, solver)
    split = plan.split
    breaks = jnp.asarray(sched.breaks, jnp.float32)
    values = jnp.asarray(sched.values, jnp.float32)
    z_rec = np.empty((n_rec + 1, n_trials, d), np.float32)
    z_rec[0] = np.asarray(target.readout(x))
    x_rec = np.empty((n_rec + 1, n_trials, width), np.float32) if record_neurons else None
    if record_neurons:
        x_rec[0] = np.asarray(x)
    with progress_bar(progress and n_seg > 1, n_seg, f"simulate {getattr(target, 'name', '')}") as bar:
        for s in range(n_seg):
            start = s * seg_len
            x, (zs, xs) = _segment(target, x, k_noise, start // split + 1, breaks, values, jnp.float32(dt), plan=plan)
            take = min(seg_len, n_rec - start)
            zs = np.asarray(zs[:take])
            z_rec[start + 1:start + 1 + take] = zs
            if record_neurons:
                x_rec[start + 1:start + 1 + take] = np.asarray(xs[:take])
            _raise_if_nonfinite(zs, start + 1, record_every, dt)
            bar.update(1)

    ds = _dataset(target, z_rec, x_rec, sched, np.arange(n_rec + 1) * record_every * dt)
    ds.attrs.update(**target.describe(), dt=dt, t_max=t_max, n_trials=n_trials, record_every=record_every, n_steps=n_steps,
                    deterministic=int(bool(deterministic)), method=solver.method,
                    key=str(np.asarray(jax.random.key_data(key)).tolist()))
    return ds


def _dataset(target, z_rec, x_rec, sched, times) -> xr.Dataset:
    """The records (time, trial, ...) as a Dataset over (trial, time, ...)."""
    n_trials, d = z_rec.shape[1], z_rec.shape[2]
    coords = dict(trial=np.arange(n_trials), time=times, latent=np.arange(d))
    data = dict(z=(("trial", "time", "latent"), np.swapaxes(z_rec, 0, 1), dict(long_name="latent state", units="latent units")))
    if x_rec is not None:
        coords["neuron"] = np.arange(x_rec.shape[2])
        data["x"] = (("trial", "time", "neuron"), np.swapaxes(x_rec, 0, 1), dict(long_name="neuron state"))
    if target.input_dim:
        coords["input"] = np.arange(target.input_dim)
        u = np.broadcast_to(sched(times), (n_trials, len(times), target.input_dim))
        data["u"] = (("trial", "time", "input"), u.astype(np.float32), dict(long_name="input"))
    ds = xr.Dataset(data, coords=coords)
    ds.time.attrs.update(units="tau", long_name="time (neuronal time constants)")
    return ds


def _raise_if_nonfinite(zs, first_record, record_every, dt):
    bad = ~np.isfinite(zs).all(axis=-1)  # (records, trials)
    if bad.any():
        r, trial = np.argwhere(bad)[0]
        rec = first_record + int(r)
        t_hi, t_lo = rec * record_every * dt, (rec - 1) * record_every * dt
        raise FloatingPointError(
            f"simulation diverged: trial {int(trial)} became non-finite between t={t_lo:.6g} and t={t_hi:.6g} "
            f"(steps {(rec - 1) * record_every}..{rec * record_every}); try a smaller `dt`, a smaller noise or a "
            f"start inside the fitted region")
