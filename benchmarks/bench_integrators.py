"""The solvers of ddm.simulate: cost per step against Euler–Maruyama, and accuracy at equal cost.

Cost: wall time of ``ddm.simulate`` with each solver on the same problem, in the same
interleaved rounds (minimum kept), as a ratio to Euler–Maruyama: a target SDE (Van der Pol,
8,192 trials), a full-J network of N = 1,024 neurons with additive noise, and a low-rank one with
multiplicative noise (Milstein's correction is m + 1 forward-mode derivatives of the noise).

Accuracy at equal cost: error against wall time over a range of steps, each solver timed by the
same kernel (``ddm.simulate`` on 4,096 trials, the starts repeated, so the steps' work rather than
a call's fixed cost is timed) and its error measured on one path:

* Lorenz-63 (the built-in, T = 10), noise-free, 64 starts on the attractor, one original time
  unit (t = 10): RMS end-point error against scipy's DOP853 in float64 (rtol 1e-12);
* Van der Pol with noise (mu = 1, sigma = 0.3), 128 trials, t = 5.12: RMS end-point error on one
  Brownian path (``ddm.simulation.simulate_path``, coarse increments the sums of the fine ones)
  against Heun at dt = 1/6400;
* state-dependent noise: ``dX = X / 2 dt + sqrt(1 + X^2) dW`` (commutative, exact solution
  ``sinh(W + asinh x0)``) and the built-in ``multiplicative_ou`` (non-commutative; reference
  Milstein at dt = 1/6400 on the same path), 256 trials, t = 1: Euler against Milstein.

    .venv/bin/python benchmarks/bench_integrators.py
    .venv/bin/python benchmarks/bench_integrators.py --skip-cost    # accuracy tables only
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from scipy.integrate import solve_ivp

sys.path.insert(0, os.path.dirname(__file__))
import ddm_explore as ddm  # noqa: E402
from _common import device_line, networks, print_table, race  # noqa: E402
from ddm_explore.simulation import simulate_path  # noqa: E402

SOLVERS = ("euler", "heun", "milstein")


def timed(target, *, steps, dt, n_trials, solver, deterministic=False, z0=None, record_every=10):
    """A closure running ``ddm.simulate`` (accuracy check included, as a user runs it)."""
    z0 = np.zeros((n_trials, target.dim)) if z0 is None else z0

    def run():
        return ddm.simulate(target, t_max=steps * dt, dt=dt, n_trials=n_trials, key=jax.random.key(1), z0=z0,
                            record_every=record_every, deterministic=deterministic, solver=solver, progress=False).z.values
    return run


def kernel_cost(args):
    vdp = ddm.systems.van_der_pol(mu=1.0, sigma=0.3)
    _, full = networks(args.neurons, key=jax.random.key(0))
    mnet, _ = ddm.fit(ddm.systems.multiplicative_ou(), args.neurons, key=jax.random.key(0), noise="multiplicative",
                      progress=False)
    z0 = np.asarray(jax.random.uniform(jax.random.key(3), (args.net_trials, 2), minval=-1.5, maxval=1.5))
    problems = {"Van der Pol SDE, 8192 trials": (vdp, 8192, np.zeros((8192, 2))),
                f"full-J network N = {args.neurons}, additive noise, {args.net_trials} trials": (full, args.net_trials, z0),
                f"low-rank network N = {args.neurons}, multiplicative noise, {args.net_trials} trials": (mnet, args.net_trials, z0)}
    rows = []
    for label, (target, n_trials, start) in problems.items():
        fns = {s: timed(target, steps=args.steps, dt=0.01, n_trials=n_trials, solver=s, z0=start) for s in SOLVERS}
        best = race(fns, rounds=args.repeats)
        t_check = _check_time(target, rounds=args.repeats)
        for s in SOLVERS:
            rows.append([label, s, best[s], 1e6 * best[s] / args.steps, best[s] / best["euler"], t_check / best[s]])
    print_table(f"Cost per step: {args.steps} steps of dt = 0.01, record every 10 ({device_line()})",
                ["problem", "solver", "wall s", "us per step", "ratio to Euler", "share of the accuracy check"], rows,
                note="The step check (stability and accuracy, check_accuracy=True by default) is part of every timed "
                     "run; its share is its own time (ddm.check_dt, timed alone) over the run's.")


def _check_time(target, *, rounds):
    """Wall time of the step check that ``simulate`` runs (stability and accuracy), compiled."""
    ddm.check_dt(target, 0.01)
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        ddm.check_dt(target, 0.01)
        best = min(best, time.perf_counter() - t)
    return best


def _lorenz_reference(z0, t, sde):
    p = {k: float(v) for k, v in sde.params.items() if k in ("sigma", "rho", "beta", "time_scale")}

    def f(_, z):
        x, y, w = z
        return np.array([p["sigma"] * (y - x), x * (p["rho"] - w) - y, x * y - p["beta"] * w]) / p["time_scale"]
    return np.stack([solve_ivp(f, (0.0, t), z, method="DOP853", rtol=1e-12, atol=1e-12).y[:, -1] for z in z0])


def lorenz_accuracy(args):
    sde = ddm.systems.lorenz63()
    warm = ddm.simulate(sde, t_max=50.0, dt=0.01, n_trials=64, key=jax.random.key(0), deterministic=True,
                        record_every=5000, progress=False)
    z0 = np.asarray(warm.z.values[:, -1], np.float64)  # 64 starts on the attractor
    t = 10.0
    ref = _lorenz_reference(z0, t, sde)
    grid = {"euler": (0.02, 0.01, 0.005, 0.0025, 0.00125), "heun": (0.08, 0.04, 0.02, 0.01, 0.005)}
    _accuracy_table(f"Lorenz-63 (T = 10) noise-free, 64 starts on the attractor, t = {t:g} (one original time unit): "
                    f"RMS end-point error against DOP853", sde, grid, t, z0,
                    lambda solver, dt: _rms(timed(sde, steps=int(round(t / dt)), dt=dt, n_trials=64, solver=solver,
                                                   deterministic=True, z0=z0, record_every=int(round(t / dt)))()[:, -1] - ref),
                    deterministic=True, rounds=args.repeats)


def _rms(e):
    return float(np.sqrt(np.mean(np.sum(np.asarray(e, np.float64) ** 2, axis=-1))))


def _coarsen(dW, factor):
    n, steps, m = dW.shape
    return dW.reshape(n, steps // factor, factor, m).sum(axis=2)


def _path_errors(sde, t, z0, grid, fine_dt, reference, *, seed):
    """Errors on one Brownian path: the solvers at the grid's steps against ``reference``
    (a function of the fine increments, or a solver name run at ``fine_dt``)."""
    n_fine = int(round(t / fine_dt))
    dW = np.random.default_rng(seed).normal(0.0, np.sqrt(fine_dt), (z0.shape[0], n_fine, sde.noise_dim))
    if callable(reference):
        ref = reference(dW)
    else:
        ref = simulate_path(sde, dW, dt=fine_dt, z0=z0, solver=reference, check_accuracy=False).z.values[:, -1]
    errors = {}
    for solver, dts in grid.items():
        for dt in dts:
            z = simulate_path(sde, _coarsen(dW, int(round(dt / fine_dt))), dt=dt, z0=z0, solver=solver,
                              check_accuracy=False).z.values[:, -1]
            errors[solver, dt] = _rms(z - ref)
    return errors


def _accuracy_table(title, sde, grid, t, z0, error_of, *, deterministic=False, rounds=3, time_trials=4096):
    """Time every (solver, dt) with the kernel and print error against wall time. The timed runs
    repeat the starts up to ``time_trials`` trials, so the steps' work, not the fixed cost of a
    call, is what is timed."""
    z_time = np.resize(z0, (time_trials, z0.shape[1]))
    fns = {(s, dt): timed(sde, steps=int(round(t / dt)), dt=dt, n_trials=time_trials, solver=s, z0=z_time,
                          deterministic=deterministic, record_every=int(round(t / dt)))
           for s, dts in grid.items() for dt in dts}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ddm.AccuracyWarning)  # the coarse steps are meant to be coarse
        best = race(fns, rounds=rounds)
        errors = error_of if isinstance(error_of, dict) else {k: error_of(*k) for k in fns}
    rows = [[s, dt, best[s, dt] * 1e3, errors[s, dt]] for (s, dt) in fns]
    print_table(title, ["solver", "dt", f"wall ms ({time_trials} trials)", "error"], rows)


def vdp_accuracy(args):
    sde = ddm.systems.van_der_pol(mu=1.0, sigma=0.3)
    t, fine = 5.12, 1.0 / 6400
    z0 = np.asarray(jax.random.uniform(jax.random.key(4), (128, 2), minval=-2.0, maxval=2.0), np.float64)
    grid = {"euler": (0.04, 0.02, 0.01, 0.005, 0.0025), "heun": (0.08, 0.04, 0.02, 0.01, 0.005)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ddm.AccuracyWarning)
        errors = _path_errors(sde, t, z0, grid, fine, "heun", seed=5)
    _accuracy_table(f"Van der Pol (mu = 1, sigma = 0.3), 128 trials, t = {t:g}: RMS end-point error on one Brownian "
                    f"path against Heun at dt = 1/6400", sde, grid, t, z0, errors, rounds=args.repeats)


def multiplicative_accuracy(args):
    sinh_sde = ddm.SDE(drift=lambda z, u: 0.5 * z, diffusion=lambda z: jnp.sqrt(1 + z**2)[:, None], dim=1, noise_dim=1,
                       name="sinh", region=([-1.0], [1.0]))
    t, fine = 1.0, 1.0 / 6400
    grid = {"euler": (0.02, 0.01, 0.005, 0.0025), "milstein": (0.04, 0.02, 0.01, 0.005)}
    z0 = np.full((256, 1), 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ddm.AccuracyWarning)
        errors = _path_errors(sinh_sde, t, z0, grid, fine, lambda dW: np.sinh(dW.sum(axis=1) + np.arcsinh(0.5)), seed=6)
    _accuracy_table("dX = X/2 dt + sqrt(1 + X^2) dW (commutative), 256 trials, t = 1: RMS error on one path against "
                    "the exact sinh(W + asinh 0.5)", sinh_sde, grid, t, z0, errors, rounds=args.repeats)
    mou = ddm.systems.multiplicative_ou()
    z0 = np.asarray(jax.random.uniform(jax.random.key(7), (256, 2), minval=-2.0, maxval=2.0), np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ddm.AccuracyWarning)
        errors = _path_errors(mou, t, z0, grid, fine, "milstein", seed=8)
    _accuracy_table("multiplicative_ou (non-commutative noise), 256 trials, t = 1: RMS error on one path against "
                    "Milstein at dt = 1/6400", mou, grid, t, z0, errors, rounds=args.repeats)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurons", type=int, default=1024)
    ap.add_argument("--net-trials", type=int, default=64)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=5, help="interleaved timing rounds (minimum kept)")
    ap.add_argument("--skip-cost", action="store_true", help="only the accuracy tables")
    args = ap.parse_args(argv)
    if not args.skip_cost:
        kernel_cost(args)
    lorenz_accuracy(args)
    vdp_accuracy(args)
    multiplicative_accuracy(args)


if __name__ == "__main__":
    main()
