"""Integration along a given Brownian path: the solvers of ``simulate`` driven by the caller's increments."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from .._checks import as_array, check_positive
from .._system import check_system
from ._check_dt import check_stable_dt, warn_if_inaccurate
from ._inputs import as_schedule, value_at
from ._simulate import _dataset
from ._solver import as_solver, step_terms


def simulate_path(target, dW, *, dt: float, z0, solver="euler", inputs=None, private_dW=None,
                  record_neurons: bool = False, check_accuracy: bool = True) -> xr.Dataset:
    """Integrate a target SDE or a network along given Brownian increments, recording every step.

    The same solver steps as :func:`ddm_explore.simulate`, but the noise is the caller's: the
    increments ``dW`` (not normals; ``dW ~ N(0, dt)``) of the latent channels and, for a network
    with private noise, ``private_dW`` of its N neurons. Refining one Brownian path (a coarse
    increment is the sum of the fine ones over its step) measures a solver's strong convergence,
    and two solvers can be compared on the same path. Every step is recorded.

    Parameters
    ----------
    target : SDE or Network
    dW : (n_trials, n_steps, noise_dim) array
        Latent Brownian increments of every step.
    dt : float
        The time step.
    z0 : (d,) or (n_trials, d)
        Latent start (a network starts on its manifold).
    solver : str or solver object
        As in :func:`ddm_explore.simulate`.
    inputs : Schedule or array, optional
        As in :func:`ddm_explore.simulate` (held at the value of each step's start).
    private_dW : (n_trials, n_steps, N) array
        Increments of the private noise; required exactly when ``target.private_noise > 0``
        (the step adds ``private_noise * private_dW``).
    record_neurons : bool
        Also return the neuron states "x" (network only).
    check_accuracy : bool
        As in :func:`ddm_explore.simulate`.

    Returns
    -------
    xarray.Dataset
        ``z`` (trial, time, latent) at ``0, dt, ..., n_steps dt``; ``x`` with ``record_neurons``.

    Examples
    --------
    >>> import numpy as np, jax, ddm_explore as ddm
    >>> gbm = ddm.SDE(drift=lambda z, u: 0.5 * z, diffusion=lambda z: 0.3 * z[:, None], dim=1, noise_dim=1,
    ...               region=([0.5], [2.0]))
    >>> dW = np.random.default_rng(0).normal(0.0, 0.1, (4, 100, 1))  # dt = 0.01
    >>> ds = ddm.simulation.simulate_path(gbm, dW, dt=0.01, z0=[1.0], solver="milstein")
    >>> exact = np.exp((0.5 - 0.3**2 / 2) * 1.0 + 0.3 * dW.sum(axis=1))  # the solution on this path
    >>> bool(np.abs(ds.z.values[:, -1] - exact).max() < 0.01)
    True
    """
    check_system("target", target)
    dt = check_positive("dt", dt)
    solver = as_solver("solver", solver)
    dW = as_array("dW", dW, ndim=3)
    n_trials, n_steps, m = dW.shape
    if m != target.noise_dim or n_steps < 1 or n_trials < 1:
        raise ValueError(f"`dW` must have shape (n_trials, n_steps >= 1, noise_dim={target.noise_dim}), got {dW.shape}")
    width = target.state_dim
    private = float(target.private_noise) > 0
    if private != (private_dW is not None):
        raise ValueError(f"`private_dW` is required exactly when the target has private noise (private_noise="
                         f"{float(target.private_noise):g}), got {'None' if private_dW is None else 'an array'}")
    if private:
        private_dW = as_array("private_dW", private_dW, shape=(n_trials, n_steps, width))
    if record_neurons and not target.has_neurons:
        raise ValueError("`record_neurons`=True needs a Network target; an SDE has no neurons")
    z0 = as_array("z0", z0)
    z0 = np.broadcast_to(z0, (n_trials, target.dim)) if z0.shape == (target.dim,) else z0
    if z0.shape != (n_trials, target.dim):
        raise ValueError(f"`z0` must have shape ({target.dim},) or (n_trials={n_trials}, {target.dim}), got {z0.shape}")
    sched = as_schedule(inputs, input_dim=target.input_dim, n_trials=n_trials)
    check_stable_dt(target, dt)
    if not isinstance(check_accuracy, bool):
        raise ValueError(f"`check_accuracy` must be True or False, got {check_accuracy!r}")
    if check_accuracy:
        warn_if_inaccurate(target, dt, solver)

    x0 = target.initial_state(jnp.asarray(z0, jnp.float32))
    zp = jnp.asarray(np.swapaxes(private_dW, 0, 1), jnp.float32) if private else jnp.zeros((n_steps, n_trials, 0), jnp.float32)
    xs = _path(target, x0, jnp.asarray(np.swapaxes(dW, 0, 1), jnp.float32), zp, jnp.asarray(sched.breaks, jnp.float32),
               jnp.asarray(sched.values, jnp.float32), jnp.float32(dt), solver=solver, private=private)
    xs = np.concatenate([np.asarray(x0)[None], np.asarray(xs)])  # (time, trial, width)
    z_rec = np.asarray(target.readout(jnp.asarray(xs)), np.float32)
    ds = _dataset(target, z_rec, xs if record_neurons else None, sched, np.arange(n_steps + 1) * dt)
    ds.attrs.update(**target.describe(), dt=dt, t_max=n_steps * dt, n_trials=n_trials, record_every=1, n_steps=n_steps,
                    deterministic=0, method=solver.method, brownian_path="given increments")
    return ds


@partial(jax.jit, static_argnames=("solver", "private"))
def _path(system, x, dW, zp, breaks, values, dt, *, solver, private):
    """All states (n_steps, n_trials, width) along the increments dW (n_steps, n_trials, m)."""
    has_inputs = values.shape[-1] > 0
    scale = system.private_noise if private else None

    def one_step(x, inp):
        step, dw, z = inp
        u = value_at(breaks, values, step * dt) if has_inputs else values[:, 0]
        terms = step_terms(system, u, dt, fused=None, private_scale=scale, deterministic=False)
        x = solver.step(terms, x, dw, z)
        return x, x

    return jax.lax.scan(one_step, x, (jnp.arange(dW.shape[0]), dW, zp))[1]
