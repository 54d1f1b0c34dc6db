"""Lyapunov exponents of a deterministic flow by the tangent-space (QR) method."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from .._estimates import warn_sample
from .._checks import as_array, check_choice, check_int, check_key, check_positive
from .._steps import euler_step, rk4_step
from .._system import check_system, require_region
from ..simulation._check_dt import check_stable_dt, with_check_region

SCHEMES = ("rk4", "euler")


def _stepper(f, dt, scheme):
    step = euler_step if scheme == "euler" else rk4_step
    return lambda x: step(f, x, dt)


def _noisy_stepper(system, u, dt):
    """The Euler–Maruyama step of the system with its own noise, ``x -> x + f dt + Sigma(x) dW
    + s dB`` for given standard normals (latent xi (d,), private eta (n,)): a random map whose
    Jacobian (at fixed noise) carries the tangent vectors."""
    sqdt = jnp.sqrt(dt)

    def step(x, xi, eta):
        y = x + dt * system.state_drift(x[None], u[None])[0] + system.state_noise(x[None], sqdt * xi[None])[0]
        return y + system.private_noise * sqdt * eta

    return step


@partial(jax.jit, static_argnames=("n_blocks", "renorm_every", "scheme", "noise"))
def _tangent_run(system, X, V, dt, key, *, n_blocks, renorm_every, scheme, noise=False):
    """Advance states X (trials, n) and tangent frames V (trials, k, n) by n_blocks * renorm_every
    steps, re-orthonormalising (QR) after every block; return the final X, V and the log growth
    factors log|diag R| of every block (n_blocks, trials, k). With ``noise`` the state takes
    Euler–Maruyama steps with the system's own noise (drawn from ``key``)."""
    u = jnp.zeros((system.input_dim,), jnp.float32)
    step = _stepper(lambda x: system.state_drift(x[None], u[None])[0], dt, scheme)
    noisy = _noisy_stepper(system, u, dt)
    m = system.noise_dim

    def one_trial(x, V, k):
        def inner(carry, i):
            x, V = carry
            if noise:
                kx = jax.random.fold_in(k, i)
                xi, eta = jax.random.normal(kx, (m,)), jax.random.normal(jax.random.fold_in(kx, 1), x.shape)
                y, lin = jax.linearize(lambda x_: noisy(x_, xi, eta), x)
            else:
                y, lin = jax.linearize(step, x)
            return (y, jax.vmap(lin)(V)), None

        def block(carry, b):
            (x, V), _ = jax.lax.scan(inner, carry, b * renorm_every + jnp.arange(renorm_every))
            Q, R = jnp.linalg.qr(V.T)  # columns of V.T are the tangent vectors
            return (x, Q.T), jnp.log(jnp.abs(jnp.diagonal(R)))

        (x, V), logs = jax.lax.scan(block, (x, V), jnp.arange(n_blocks))
        return x, V, logs

    X, V, logs = jax.vmap(one_trial)(X, V, jax.random.split(key, X.shape[0]))
    return X, V, jnp.swapaxes(logs, 0, 1)


def lyapunov_exponent(target, *, key, t_max: float = 1000.0, t_transient: float = 100.0, dt: float = 0.01,
                      n_trials: int = 4, n_exponents: int = 1, renorm_every: int = 10, scheme: str = "rk4",
                      z0=None, time_scale: float | None = None, noise: bool = False) -> xr.Dataset:
    """Largest Lyapunov exponent(s) of the noise-free flow of a target SDE or a network (or, with
    ``noise=True``, of the system as it runs with its own noise).

    Standard tangent-space method: the state is integrated with a fixed-step RK4 (or Euler) map
    ``x -> step(x)`` and ``n_exponents`` tangent vectors are carried by its exact Jacobian (JAX
    ``linearize``); every ``renorm_every`` steps they are re-orthonormalised by QR and
    ``log|diag R|`` is accumulated. The exponents are these sums divided by the elapsed time,
    after a transient ``t_transient`` (state and tangent frame run but not counted).
    An SDE contributes its drift ``f(z, 0)`` (noise off, d dimensions); a network its full
    N-dimensional noise-free flow ``net.neuron_drift(x) = -x + J phi(x) + b`` started on its
    manifold at ``net.embed(z0)``; the same step scheme is used for both.

    Parameters
    ----------
    target : SDE or Network
    key : PRNG key
        Draws the starting points (uniform in ``target.region``) and the initial tangent frames.
    t_max, t_transient, dt : float
        Averaging time, discarded transient and step, in simulation time units (tau).
    n_trials : int
        Independent starting points, integrated in parallel.
    n_exponents : int
        How many of the leading exponents (1: the largest only).
    renorm_every : int
        Steps between QR re-orthonormalisations.
    scheme : {"rk4", "euler"}
    z0 : (d,) or (n_trials, d), optional
        Starting points in latent (user) coordinates instead of random ones.
    noise : bool
        False (default): the noise-free flow. True: the state takes Euler–Maruyama steps with the
        system's own noise (an SDE's diffusion; a network's latent noise loading and its private
        noise in all N neurons) and the tangent vectors are carried by the Jacobian of that random
        step at the drawn noise: the top exponent of the random dynamical system, the exponent of
        the network that runs (``scheme`` must be "euler"; the noise comes from ``key``).
    time_scale : float, optional
        Simulation time per original time unit of the target (``lorenz63(time_scale=T)``):
        ``exponent_original = exponent * time_scale``. Default: ``target.params["time_scale"]``
        for an SDE that has one, else 1.

    Returns
    -------
    xarray.Dataset
        ``spectrum`` (trial, rank) per trial (rank 0 the largest), ``exponent`` (the largest, mean over trials, per
        tau), ``exponent_sem`` (its standard error over trials) and ``exponent_original`` (the
        largest in the target's original time units); settings in attrs.

    Examples
    --------
    >>> import jax, numpy as np, ddm_explore as ddm
    >>> ou = ddm.systems.ornstein_uhlenbeck(A=np.diag([1.0, 2.0]), g=np.eye(2))
    >>> res = ddm.analysis.lyapunov_exponent(ou, key=jax.random.key(0), t_max=20.0, t_transient=5.0,
    ...                                      dt=0.05, n_trials=1, n_exponents=2)
    >>> res.spectrum.values.round(3).tolist()
    [[-1.0, -2.0]]
    """
    check_system("target", target)
    key = check_key("key", key)
    t_max = check_positive("t_max", t_max)
    t_transient = check_positive("t_transient", t_transient, allow_zero=True)
    dt = check_positive("dt", dt)
    n_trials = check_int("n_trials", n_trials)
    renorm_every = check_int("renorm_every", renorm_every)
    check_choice("scheme", scheme, SCHEMES)
    if not isinstance(noise, (bool, np.bool_)):
        raise ValueError(f"`noise` must be True or False, got {noise!r}")
    if noise and scheme != "euler":
        raise ValueError(f"`noise=True` integrates with Euler–Maruyama steps: pass scheme=\"euler\", got scheme={scheme!r}")
    width = target.state_dim
    n_exponents = check_int("n_exponents", n_exponents)
    if n_exponents > width:
        raise ValueError(f"`n_exponents` must be <= the state dimension {width}, got {n_exponents}")
    if time_scale is None:
        time_scale = target.time_scale
    time_scale = check_positive("time_scale", time_scale)
    block_t = renorm_every * dt
    n_blocks = int(round(t_max / block_t))
    if n_blocks < 1:
        raise ValueError(f"`t_max`={t_max} is shorter than one renormalisation block (renorm_every * dt = {block_t})")
    n_transient = int(round(t_transient / block_t))

    k_z, k_v = jax.random.split(key)
    k_w = jax.random.fold_in(key, 0x6E6F6973)  # the noise of noise=True (k_z, k_v as without it)
    d = target.dim
    if z0 is None:
        lo, hi = (np.asarray(a, np.float32) for a in require_region(target, "lyapunov_exponent's random starts", "z0="))
        z0 = np.asarray(jax.random.uniform(k_z, (n_trials, d), minval=lo, maxval=hi))
    z0 = as_array("z0", z0)
    if z0.shape == (d,):
        z0 = np.broadcast_to(z0, (n_trials, d))
    if z0.shape != (n_trials, d):
        raise ValueError(f"`z0` must have shape ({d},) or (n_trials={n_trials}, {d}), got {z0.shape}")
    check_stable_dt(with_check_region(target, z0), dt)
    X = target.initial_state(z0)
    V = jax.random.normal(k_v, (n_trials, width, n_exponents))
    V = jnp.swapaxes(jnp.linalg.qr(V)[0], 1, 2)  # (trials, k, width), orthonormal rows
    kw = dict(renorm_every=renorm_every, scheme=scheme, noise=bool(noise))
    dt32 = jnp.float32(dt)
    if n_transient:
        X, V, _ = _tangent_run(target, X, V, dt32, jax.random.fold_in(k_w, 0), n_blocks=n_transient, **kw)
    X, V, logs = _tangent_run(target, X, V, dt32, jax.random.fold_in(k_w, 1), n_blocks=n_blocks, **kw)
    logs = np.asarray(logs, np.float64)
    if not np.all(np.isfinite(logs)) or not np.all(np.isfinite(np.asarray(X))):
        raise FloatingPointError("the flow diverged while estimating Lyapunov exponents: use a smaller `dt` or "
                                 "starting points `z0` inside the attractor's basin")
    spectrum = logs.sum(axis=0) / (n_blocks * block_t)  # (trials, k)
    largest = spectrum[:, 0]
    sem = float(largest.std(ddof=1) / np.sqrt(n_trials)) if n_trials > 1 else float("nan")
    units = "1/tau"
    if n_trials < 2:
        warn_sample("lyapunov_exponent", "one trial: no standard error; use n_trials >= 2 to see the precision")
    elif abs(largest.mean()) > 0 and sem > 0.1 * abs(largest.mean()) and abs(largest.mean()) * n_blocks * block_t > 1.0:
        warn_sample("lyapunov_exponent", f"the standard error over trials ({sem:.3g}) exceeds 10% of the exponent "
                    f"({largest.mean():.3g}): use a longer t_max or more trials")
    attrs = dict(**target.describe(),
                 t_max=n_blocks * block_t, t_transient=n_transient * block_t, dt=dt, n_trials=n_trials,
                 renorm_every=renorm_every, scheme=scheme, state_dim=width, time_scale=time_scale, with_noise=int(bool(noise)),
                 method="tangent space, QR re-orthonormalisation")
    return xr.Dataset(
        dict(spectrum=(("trial", "rank"), spectrum, dict(units=units, long_name="Lyapunov exponents per trial")),
             exponent=((), float(largest.mean()), dict(units=units, long_name="largest Lyapunov exponent")),
             exponent_sem=((), sem, dict(units=units, long_name="standard error over trials")),
             exponent_original=((), float(largest.mean()) * time_scale,
                                dict(units="1/original time unit", long_name="largest Lyapunov exponent, original time units"))),
        coords=dict(trial=np.arange(n_trials), rank=np.arange(n_exponents)), attrs=attrs)
