"""Training: closed form at N = 512, the preconditioned optax route from a random start (low-rank
and full J; unpreconditioned L-BFGS as the reference), a warm start, and time-to-accuracy against
backpropagation through time (BPTT) at equal wall time, on Van der Pol (2-D).

    .venv/bin/python benchmarks/bench_training.py
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

sys.path.insert(0, os.path.dirname(__file__))
import ddm_explore as ddm  # noqa: E402
from _common import device_line, print_table  # noqa: E402
from ddm_explore.matching._fit import matching_errors  # noqa: E402


def bptt(target, template, *, key, seconds, horizon=40, dt=0.05, n_traj=64, lr=1e-2):
    """Train W and the latent bias of a low-rank network by BPTT on deterministic trajectories of
    the target (random starts in its region, ``horizon`` Euler steps), for ``seconds`` of wall
    time; return the held-out eps_f reached and the steps taken."""
    N, d = template.M.shape
    lo, hi = (jnp.asarray(a, jnp.float32) for a in target.region)
    k_w, k_z, k_test = jax.random.split(key, 3)
    params = dict(W=jax.random.normal(k_w, (N, d)) / np.sqrt(N), b_lat=jnp.zeros(d))
    M, x0 = template.M, template.x0

    def net_of(p):
        return template.replace(W=p["W"], b=x0 + M @ p["b_lat"])

    def rollout(step, z):
        return jax.lax.scan(lambda z, _: (step(z), z), z, None, length=horizon)[1]

    def loss(p, z0):
        net = net_of(p)
        x = net.embed(z0)
        xs = jax.lax.scan(lambda x, _: (x + dt * net.neuron_drift(x), net.readout(x)), x, None, length=horizon)[1]
        zs = jax.vmap(lambda z: rollout(lambda y: y + dt * target.latent_drift(y, jnp.zeros(0)), z))(z0)
        return jnp.mean((xs - jnp.swapaxes(zs, 0, 1)) ** 2)

    opt = optax.adam(lr)
    state = opt.init(params)

    @jax.jit
    def step(p, s, k):
        z0 = jax.random.uniform(k, (n_traj, d), minval=lo, maxval=hi)
        g = jax.grad(loss)(p, z0)
        u, s = opt.update(g, s, p)
        return optax.apply_updates(p, u), s

    params, state = step(params, state, k_z)  # compile outside the clock
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        params, state = step(params, state, jax.random.fold_in(k_z, n))
        jax.block_until_ready(params)
        n += 1
    Z = np.asarray(jax.random.uniform(k_test, (2048, d), minval=lo, maxval=hi))
    return matching_errors(net_of(params), target, Z)[0], n


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurons", type=int, default=512)
    ap.add_argument("--steps", type=int, default=100, help="steps of the preconditioned route")
    ap.add_argument("--lbfgs-steps", type=int, default=300, help="steps of the unpreconditioned L-BFGS reference")
    args = ap.parse_args(argv)
    vdp = ddm.systems.van_der_pol(mu=1.0, sigma=0.1)
    N = args.neurons
    rows = []

    ddm.fit(vdp, N, key=jax.random.key(0), progress=False)  # compile
    times = []
    for s in range(1, 11):
        t = time.perf_counter()
        net, rep = ddm.fit(vdp, N, key=jax.random.key(s), progress=False)
        times.append(time.perf_counter() - t)
    rows.append([f"closed form (lstsq), N = {N}, after compilation: best of 10", min(times), float(rep.eps_f), ""])
    rows.append([f"closed form (lstsq), N = {N}, after compilation: median of 10", float(np.median(times)), float(rep.eps_f), ""])

    # the optax route from a random start, N = 256, full batch, compile included
    n_opt = 256
    runs = {}
    for conn in ("low_rank", "full"):
        t = time.perf_counter()
        net_o, rep_o = ddm.fit(vdp, n_opt, key=jax.random.key(0), connectivity=conn, method="preconditioned",
                               init="random", steps=args.steps, progress=False)
        runs[conn] = (time.perf_counter() - t, float(rep_o.eps_f), net_o)
        rows.append([f"preconditioned, random start, {conn} J, N = {n_opt}, {args.steps} steps (incl. compile)",
                     runs[conn][0], runs[conn][1], ""])
    t = time.perf_counter()
    _, rep_l = ddm.fit(vdp, n_opt, key=jax.random.key(0), method="adam", init="random", optimizer=optax.lbfgs(),
                       steps=args.lbfgs_steps, batch_size=4096, progress=False)
    rows.append([f"optax L-BFGS, no preconditioning, random start, low_rank J, {args.lbfgs_steps} steps (incl. compile)",
                 time.perf_counter() - t, float(rep_l.eps_f), ""])
    t = time.perf_counter()
    _, rep_w = ddm.fit(vdp, n_opt, key=jax.random.key(0), connectivity="full", method="preconditioned", steps=20,
                       progress=False)
    rows.append([f"preconditioned, warm start from the closed form, full J, N = {n_opt}, 20 steps", time.perf_counter() - t,
                 float(rep_w.eps_f), ""])

    t_opt, eps_opt, net_o = runs["low_rank"]
    template = net_o.replace(W=jnp.zeros_like(net_o.M))
    eps_b, n_b = bptt(vdp, template, key=jax.random.key(5), seconds=t_opt)
    rows.append([f"BPTT (Adam, 64 trajectories x 40 steps), the low-rank run's wall time, {n_b} steps", t_opt, eps_b,
                 f"{eps_b / eps_opt:.3g}x"])
    print_table(f"Training on Van der Pol ({device_line()})",
                ["method", "wall s", "held-out eps_f", "eps_f / preconditioned's"], rows)


if __name__ == "__main__":
    main()
