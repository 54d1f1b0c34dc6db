"""Euler–Maruyama simulation of a full-J rate network against its matmul roofline and peers.

Problem (issue #8): N = 256 neurons, 256 trials, 2,000 steps of dt = 0.01, latent recorded every
10 steps, float32. Variants: latent noise (d = 2 channels), private per-neuron noise (N + d
channels), low-rank J via its factorisation. The roofline is the same matmul chain
``x += dt (-x + J tanh(x) + b)`` in a jitted ``lax.scan`` with no noise and no recording, measured
in the same run. Peers (optional extra ``bench``): diffrax (Euler, UnsafeBrownianPath, one
batched state) and torchsde (Euler), on the identical problem with the same noise dimension.

    .venv/bin/python benchmarks/bench_simulation.py            # the issue's problem
    .venv/bin/python benchmarks/bench_simulation.py --neurons 1024 --trials 1024   # bigger
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import ddm_explore as ddm  # noqa: E402
from _common import device_line, networks, print_table, race  # noqa: E402


def roofline(J, b, x, *, steps, dt):
    @jax.jit
    def chain(x):
        def step(x, _):
            return x + dt * (-x + jnp.tanh(x) @ J.T + b), None
        return jax.lax.scan(step, x, None, length=steps)[0]
    return lambda: chain(x)


def ours(net, z0, *, steps, dt, record_every, deterministic=False):
    def run():
        ds = ddm.simulate(net, t_max=steps * dt, dt=dt, n_trials=z0.shape[0], key=jax.random.key(1), z0=z0,
                          record_every=record_every, deterministic=deterministic, progress=False)
        return ds.z.values
    return run


def diffrax_run(net, x, *, steps, dt, record_every, private):
    import diffrax
    import lineax as lx

    T, N = x.shape
    d = net.dim
    M, G0, J, b, s = net.M, net.gamma0, net.J, net.b, net.private_noise
    m = d + (N if private else 0)
    shape = jax.ShapeDtypeStruct((T, m), jnp.float32)

    def loading(dw):  # the same channels as ddm.simulate: d latent (+ N private)
        out = (dw[:, :d] @ G0.T) @ M.T
        return out + s * dw[:, d:] if private else out

    drift = diffrax.ODETerm(lambda t, y, args: -y + jnp.tanh(y) @ J.T + b)
    ts = jnp.arange(steps // record_every + 1) * record_every * dt

    @jax.jit
    def solve(x, key):
        bm = diffrax.UnsafeBrownianPath(shape=shape, key=key)
        diff = diffrax.ControlTerm(lambda t, y, args: lx.FunctionLinearOperator(loading, shape), bm)
        sol = diffrax.diffeqsolve(diffrax.MultiTerm(drift, diff), diffrax.Euler(), 0.0, steps * dt, dt, x,
                                  saveat=diffrax.SaveAt(ts=ts), max_steps=steps + 1,
                                  stepsize_controller=diffrax.ConstantStepSize(), adjoint=diffrax.ForwardMode())
        return sol.ys @ M / N
    return lambda: solve(x, jax.random.key(2))


def torchsde_run(net, x, *, steps, dt, record_every, private):
    import torch
    import torchsde

    torch.set_num_threads(os.cpu_count() or 1)
    T, N = x.shape
    d = net.dim
    t = lambda a: torch.tensor(np.asarray(a, np.float32))  # noqa: E731
    M, G0, J, b, s = t(net.M), t(net.gamma0), t(net.J), t(net.b), float(net.private_noise)
    L = M @ G0  # (N, d) loading of the latent channels
    if private:
        L = torch.cat([L, s * torch.eye(N)], dim=1)  # (N, d + N)

    class SDE(torch.nn.Module):
        noise_type, sde_type = "general", "ito"

        def f(self, t_, y):
            return -y + torch.tanh(y) @ J.T + b

        def g(self, t_, y):
            return L.expand(y.shape[0], *L.shape)

    sde, y0 = SDE(), t(x)
    ts = torch.arange(steps // record_every + 1, dtype=torch.float32) * record_every * dt

    def run():
        with torch.no_grad():
            return torchsde.sdeint(sde, y0, ts, method="euler", dt=dt).numpy()
    return run


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurons", type=int, default=256)
    ap.add_argument("--trials", type=int, default=256)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--record-every", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=10, help="interleaved timing rounds (minimum kept)")
    ap.add_argument("--no-peers", action="store_true", help="skip diffrax and torchsde")
    ap.add_argument("--no-torchsde", action="store_true", help="skip torchsde (minutes on 2 cores)")
    args = ap.parse_args(argv)
    N, T, steps, rec, dt = args.neurons, args.trials, args.steps, args.record_every, 0.01
    low, full = networks(N, key=jax.random.key(0))
    private = full.replace(private_noise=jnp.float32(0.1))
    z0 = np.asarray(jax.random.uniform(jax.random.key(3), (T, 2), minval=-2.0, maxval=2.0))
    x = full.embed(z0)
    gflop = 2.0 * T * N * N * steps / 1e9  # the N x N matmul of every trial-step

    labels = {"roof": "roofline: jitted lax.scan matmul chain, no noise",
              "latent": "ddm.simulate, full J, latent noise (m = 2)",
              "private": "ddm.simulate, full J, private noise (m = N + 2)",
              "free": "ddm.simulate, full J, noise-free"}
    fns = {"roof": roofline(full.J, full.b, x, steps=steps, dt=dt),
           "latent": ours(full, z0, steps=steps, dt=dt, record_every=rec),
           "private": ours(private, z0, steps=steps, dt=dt, record_every=rec),
           "free": ours(full, z0, steps=steps, dt=dt, record_every=rec, deterministic=True)}
    if not args.no_peers:
        if importlib.util.find_spec("diffrax") is None:
            print("(diffrax not installed: pip install -e '.[bench]')")
        else:
            for priv, tag, net in ((False, "latent", full), (True, "private", private)):
                fns[("diffrax Euler, UnsafeBrownianPath", tag)] = diffrax_run(net, x, steps=steps, dt=dt, record_every=rec, private=priv)
    best = race(fns, rounds=args.repeats)  # interleaved rounds: the same background load for every method
    t_roof = best.pop("roof")
    res = {labels[k]: best.pop(k) for k in ("latent", "private", "free")}
    peers = best  # what is left: the peers, keyed (name, noise)
    rows = [[labels["roof"], t_roof, gflop / t_roof, 1.0, "", ""]]
    if not args.no_peers and not args.no_torchsde:
        if importlib.util.find_spec("torchsde") is None:
            print("(torchsde not installed: pip install -e '.[bench]')")
        else:  # nothing to compile: one timed run; latent noise only (the private case takes minutes on 2 cores)
            fn = torchsde_run(full, x, steps=steps, dt=dt, record_every=rec, private=False)
            t0 = time.perf_counter()
            fn()
            peers[("torchsde euler", "latent")] = time.perf_counter() - t0
    for label, t in res.items():
        tag = "private" if "private" in label else "latent"
        vs = [f"{peers[(p, tag)] / t:.2f}x" if (p, tag) in peers else "-" for p in
              ("diffrax Euler, UnsafeBrownianPath", "torchsde euler")] if "free" not in label else ["", ""]
        rows.append([label, t, gflop / t, t_roof / t, *vs])
    for (name, tag), t in peers.items():
        rows.append([f"{name}, {tag} noise", t, gflop / t, t_roof / t, "", ""])
    print_table(f"Simulation, full J: N = {N}, {T} trials, {steps} steps, record every {rec} ({device_line()})",
                ["method", "wall s", "GFLOP/s", "fraction of roofline", "speed-up vs diffrax", "speed-up vs torchsde"], rows)

    # low rank: the factorisation, against the same kernel run noise-free
    low_priv = low.replace(private_noise=jnp.float32(0.1))
    best = race({"free": ours(low, z0, steps=steps, dt=dt, record_every=rec, deterministic=True),
                 "latent": ours(low, z0, steps=steps, dt=dt, record_every=rec),
                 "private": ours(low_priv, z0, steps=steps, dt=dt, record_every=rec)}, rounds=args.repeats)
    t_free = best["free"]
    rows = [["ddm.simulate, low-rank J, noise-free", t_free, 1.0]]
    for label, key in (("ddm.simulate, low-rank J, latent noise", "latent"), ("ddm.simulate, low-rank J, private noise", "private")):
        rows.append([label, best[key], t_free / best[key]])
    print_table(f"Simulation, low-rank J (rank 2, factorised): N = {N}, {T} trials, {steps} steps",
                ["method", "wall s", "fraction of noise-free"], rows)


if __name__ == "__main__":
    main()
