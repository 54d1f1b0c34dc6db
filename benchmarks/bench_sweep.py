"""Sweeps of whole experiments: the same grid of fit + simulate + analyse points run one after
another, on a Dask LocalCluster of 2 workers (ddm.run_grid), and as one vmapped program of
traceable fits (ddm.sweep over ddm.fit_traceable); ratios measured in this run.

    python benchmarks/bench_sweep.py               # the three routes on a 4 x 4 grid (mu x seed)
    python benchmarks/bench_sweep.py --engines     # Dask vs Ray: startup and per-task overhead
    python benchmarks/bench_sweep.py --gpu         # 1,000 vmapped fits (N = 64) on the default device
    python benchmarks/bench_sweep.py --accuracy    # held-out eps_f: float32 traceable fit vs float64 ddm.fit
"""

from __future__ import annotations

import argparse
import importlib.util
import time

import jax
import jax.numpy as jnp
import numpy as np

import ddm_explore as ddm

N, DT, STEPS, TRIALS = 64, 0.02, 500, 8
VDP = ddm.systems.van_der_pol()  # built once, outside any trace: its mu is replaced by a traced value


def experiment(mu, seed):
    """One point: fit Van der Pol(mu), simulate the network, measure its amplitude (any Python)."""
    net, report = ddm.fit(ddm.systems.van_der_pol(mu=mu), N, key=jax.random.key(seed), progress=False)
    ds = ddm.simulate(net, t_max=STEPS * DT, dt=DT, n_trials=TRIALS, key=jax.random.key(1000 + seed),
                      z0=np.array([0.5, 0.0]), check_accuracy=False)
    return dict(eps_f=report.eps_f.values, amplitude=np.abs(ds.z.sel(latent=0)).max().values)


def traced_point(mu, seed, *, n_neurons=N, steps=STEPS):
    """The same point as one traceable program: fit, an Euler–Maruyama loop of the N neurons (the
    network's own drift and noise methods), the amplitude."""
    net, err = ddm.fit_traceable(VDP, n_neurons, key=jax.random.key(seed), theta=dict(mu=mu))
    x = jnp.broadcast_to(net.embed(jnp.array([0.5, 0.0])), (TRIALS, n_neurons))
    dw = jax.random.normal(jax.random.key(1000 + seed), (steps, TRIALS, 2)) * jnp.sqrt(DT)

    def step(x, w):
        x = x + DT * net.neuron_drift(x) + net.neuron_noise(x, w)
        return x, jnp.abs(net.readout(x)[:, 0]).max()

    return dict(eps_f=err["eps_f"], amplitude=jax.lax.scan(step, x, dw)[1].max())


def routes(grid):
    rows = []
    t = time.perf_counter()
    serial = ddm.run_grid(experiment, grid, client="serial", progress=False)
    rows.append(("serial (one process)", time.perf_counter() - t, serial))
    if importlib.util.find_spec("distributed") is not None:
        t = time.perf_counter()
        cluster = ddm.run_grid(experiment, grid, n_workers=2, progress=False)
        rows.append(("LocalCluster(2), startup included", time.perf_counter() - t, cluster))
    t = time.perf_counter()
    traced = ddm.sweep(traced_point, grid)
    first = time.perf_counter() - t
    t = time.perf_counter()
    traced = ddm.sweep(traced_point, grid)
    rows.append(("vmapped traceable fits, compile included", first, traced))
    rows.append(("vmapped traceable fits, compiled", time.perf_counter() - t, traced))
    base = rows[0][1]
    n = int(np.prod([len(v) for v in grid.values()]))
    print(f"\n## {n} points: fit (N = {N}) + simulate ({TRIALS} trials x {STEPS} steps) + amplitude\n")
    print("| route | wall s | per point s | speed-up vs serial |\n|---|---|---|---|")
    for name, sec, _ in rows:
        print(f"| {name} | {sec:.2f} | {sec / n:.3f} | {base / sec:.2f}x |")
    if len(rows) > 3:
        same = all(np.array_equal(rows[0][2][v].values, rows[1][2][v].values) for v in ("eps_f", "amplitude"))
        print(f"\nLocalCluster result bitwise equal to serial: {same}")
    rel = np.abs(traced.eps_f.values / serial.eps_f.values - 1).max()
    print(f"traceable float32 fit vs float64 fit: max relative difference of held-out eps_f {rel:.2e}")


def _tiny_fit(seed):
    return float(ddm.fit(ddm.systems.van_der_pol(), 32, key=jax.random.key(seed), progress=False)[1].eps_f)


def _noop(i):
    return i


def engines(n_tasks=20):
    """Startup (cluster + a worker that has imported ddm_explore and compiled a fit) and per-task
    overhead (no-op tasks; small fits against the same fits in this process) of Dask and Ray."""
    _tiny_fit(0)  # compiled once, as each worker's first fit is (timed as part of the startup)
    t = time.perf_counter()
    [_tiny_fit(i) for i in range(n_tasks)]
    local = (time.perf_counter() - t) / n_tasks
    print(f"\n## engines (2 workers, {n_tasks} tasks): in-process small fit {local * 1e3:.1f} ms\n")
    print("| engine | startup + first fit s | no-op task ms | small-fit task ms | ratio to in-process |\n|---|---|---|---|---|")
    if importlib.util.find_spec("distributed") is not None:
        distributed = importlib.import_module("distributed")
        t = time.perf_counter()
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c, \
                distributed.Client(c) as client:
            client.gather(client.map(_tiny_fit, [0, 1], pure=False))
            start = time.perf_counter() - t
            t = time.perf_counter()
            client.gather(client.map(_noop, range(n_tasks), pure=False))
            noop = (time.perf_counter() - t) / n_tasks
            t = time.perf_counter()
            client.gather(client.map(_tiny_fit, range(n_tasks), pure=False))
            fit = (time.perf_counter() - t) / n_tasks
        print(f"| dask.distributed LocalCluster | {start:.1f} | {noop * 1e3:.1f} | {fit * 1e3:.1f} | {fit / local:.2f} |")
    if importlib.util.find_spec("ray") is not None:
        ray = importlib.import_module("ray")
        t = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        fit_r, noop_r = ray.remote(_tiny_fit), ray.remote(_noop)
        ray.get([fit_r.remote(0), fit_r.remote(1)])
        start = time.perf_counter() - t
        t = time.perf_counter()
        ray.get([noop_r.remote(i) for i in range(n_tasks)])
        noop = (time.perf_counter() - t) / n_tasks
        t = time.perf_counter()
        ray.get([fit_r.remote(i) for i in range(n_tasks)])
        fit = (time.perf_counter() - t) / n_tasks
        ray.shutdown()
        print(f"| ray (local) | {start:.1f} | {noop * 1e3:.1f} | {fit * 1e3:.1f} | {fit / local:.2f} |")


def gpu(n_mu=25, n_seed=40, n_neurons=64):
    """1,000 small fits (Van der Pol over mu x seed) as one vmapped program, timed."""
    vdp = ddm.systems.van_der_pol()
    grid = dict(mu=np.linspace(0.2, 3.0, n_mu), seed=np.arange(n_seed))

    def point(mu, seed):
        return ddm.fit_traceable(vdp, n_neurons, key=jax.random.key(seed), theta=dict(mu=mu))[1]

    t = time.perf_counter()
    ds = ddm.sweep(point, grid)
    first = time.perf_counter() - t
    t = time.perf_counter()
    ds = ddm.sweep(point, grid)
    again = time.perf_counter() - t
    n = n_mu * n_seed
    print(f"\n## {n} vmapped fits (N = {n_neurons}, {max(4096, 8 * n_neurons)} samples each) on {jax.devices()[0]}"
          f" x {len(jax.devices())}: {first:.1f} s with compilation, {again:.2f} s compiled "
          f"({again / n * 1e3:.2f} ms per fit); eps_f median {np.median(ds.eps_f.values):.2e}, "
          f"max {np.max(ds.eps_f.values):.2e}; bar: < 60 s -> {'PASS' if first < 60 else 'FAIL'}")


def accuracy(sizes=(64, 256, 1024), seeds=(0, 1)):
    """Held-out eps_f (and eps_D) of the float32 traceable fit against the float64 ddm.fit, on the
    same embedding, training and test points (the same key), over several targets."""
    S = ddm.systems
    targets = [("Van der Pol", S.van_der_pol(), "additive"), ("ring, c = 1 (inputs)", S.ring_wells(c=1.0), "additive"),
               ("Stuart-Landau", S.stuart_landau(), "additive"), ("double well", S.double_well(), "additive"),
               ("Lorenz-63", S.lorenz63(), "additive"), ("multiplicative OU", S.multiplicative_ou(), "multiplicative")]
    print("\n| target | N | seed | eps_f float64 fit | eps_f float32 traceable | ratio |\n|---|---|---|---|---|---|")
    worst = 0.0
    for n in sizes:
        for name, target, noise in targets:
            for seed in seeds:
                _, rep = ddm.fit(target, n, key=jax.random.key(seed), noise=noise, progress=False)
                err = ddm.fit_traceable(target, n, key=jax.random.key(seed), noise=noise)[1]
                ratio = float(err["eps_f"]) / float(rep.eps_f)
                worst = max(worst, abs(ratio - 1))
                print(f"| {name} | {n} | {seed} | {float(rep.eps_f):.3e} | {float(err['eps_f']):.3e} | {ratio:.4f} |", flush=True)
    print(f"\nlargest relative difference: {worst:.2%}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gpu", action="store_true", help="only the 1,000 vmapped fits")
    ap.add_argument("--engines", action="store_true", help="only Dask vs Ray startup and per-task overhead")
    ap.add_argument("--mu", type=int, default=4, help="points along mu")
    ap.add_argument("--seeds", type=int, default=4, help="points along the seed axis")
    ap.add_argument("--accuracy", action="store_true", help="only the float32 / float64 accuracy table")
    args = ap.parse_args()
    if args.accuracy:
        return accuracy()
    if args.gpu:
        return gpu()
    if args.engines:
        return engines()
    routes(dict(mu=np.linspace(0.5, 2.0, args.mu), seed=np.arange(args.seeds)))


if __name__ == "__main__":
    main()
