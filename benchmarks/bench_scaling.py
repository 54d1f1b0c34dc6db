"""How the costs grow: fit time and peak memory against N and against the number of samples,
simulation time per step against N, trials and steps, with the least-squares exponent of each
curve (cost ~ size^a), and the three ways of solving the closed form at large N.

Every fit runs in a fresh process (``one`` below), so its peak RSS is its own; results are
appended to a JSON-lines file as they come (``--out``) and the tables are printed from it.

    python benchmarks/bench_scaling.py                        # N = 256 ... 4096 (minutes on 2 cores)
    python benchmarks/bench_scaling.py --max-neurons 16384    # ... and 8192, 16384 (tens of minutes)
    python benchmarks/bench_scaling.py --only solvers --solver-neurons 4096   # (a) / (b) / (c)
    python benchmarks/bench_scaling.py --table results.jsonl  # the tables of an earlier run
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux


def measure_fit(spec: dict) -> dict:
    """One closed-form fit of Van der Pol: wall time, peak RSS, tracemalloc's peak (numpy's host
    arrays), held-out eps_f. ``spec``: neurons, samples (None: the default 8 N), solver
    ({"streaming", "precision", "refine"} of ddm.ClosedForm, or "kernel": the samples' feature
    space, see :func:`kernel_fit`)."""
    import jax

    import ddm_explore as ddm

    target = ddm.systems.van_der_pol()
    key = jax.random.key(spec.get("seed", 0))
    if spec.get("solver") != "kernel" and spec["neurons"] <= 4096:  # compile outside the timing (larger N: the
        # compilation is seconds of minutes)
        ddm.fit(target, spec["neurons"], key=key, n_samples=spec.get("samples"),
                solver=ddm.ClosedForm(**(spec.get("solver") or {})), progress=False)
    tracemalloc.start()
    t = time.perf_counter()
    if spec.get("solver") == "kernel":
        eps_f, W = kernel_fit(target, spec["neurons"], spec["samples"], key=key)
    else:
        solver = ddm.ClosedForm(**(spec.get("solver") or {}))
        _, report = ddm.fit(target, spec["neurons"], key=key, n_samples=spec.get("samples"), solver=solver, progress=False)
        eps_f = float(report.eps_f)
    wall = time.perf_counter() - t
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return dict(spec, wall_s=wall, peak_rss_mib=_peak_rss_mib(), numpy_peak_mib=traced, eps_f=eps_f)


def kernel_fit(target, n_neurons, n_samples, *, key):
    """(c) The closed form in the samples' feature space, for n < N: with the features
    ``X = [phi, 1]`` (the bias unpenalised), ``beta_phi = phi^T alpha`` where
    ``(K + n ridge I) alpha = Y - 1 c`` and ``K = phi phi^T`` (n x n, accumulated over blocks of
    neurons, never n x N), c from the unpenalised column's projected equation. Cost n^2 N instead
    of n N^2 (and N^3 / 3). Returns (held-out eps_f, W)."""
    import jax
    import jax.numpy as jnp
    import scipy.linalg

    import ddm_explore as ddm
    from ddm_explore.matching._data import draw_inputs, evaluate_target
    from ddm_explore.matching._fit import _check_sampler, _f32, _low_rank_fields, _template
    from ddm_explore.matching._solvers import Embedding

    ridge = 1e-9
    sampler = _check_sampler(None, target)
    k_embed, k_train, k_test, k_utrain, k_utest, _, _ = jax.random.split(key, 7)
    M, x0, template = _template(target, sampler, n_neurons, Embedding(), k_embed, "low_rank", "additive")
    Z = sampler.sample_train(k_train, n_samples)
    F, S = evaluate_target(target, Z, draw_inputs(target, k_utrain, n_samples))
    centre, scale = np.asarray(template.centre, np.float64), np.asarray(template.scale, np.float64)
    zi = (np.asarray(Z, np.float64) - centre) / scale
    Y = F / scale + zi
    zf = jnp.asarray(zi, jnp.float32)
    K = np.zeros((n_samples, n_samples))
    cols = 2048
    rates_of = jax.jit(lambda Mb, xb: jnp.tanh(xb + zf @ Mb.T))
    Mf, xf = np.asarray(template.M), np.asarray(template.x0)
    for a in range(0, n_neurons, cols):  # K = sum over neuron blocks of phi_b phi_b^T
        P = np.asarray(rates_of(Mf[a:a + cols], xf[a:a + cols]), np.float64)
        K = scipy.linalg.blas.dsyrk(1.0, P, beta=1.0, c=K, trans=0, lower=0, overwrite_c=1)
    K = np.triu(K) + np.triu(K, 1).T
    K[np.diag_indices(n_samples)] += n_samples * ridge
    factor = scipy.linalg.cho_factor(K, overwrite_a=True, check_finite=False)
    one = np.ones((n_samples, 1))
    KiY, Ki1 = scipy.linalg.cho_solve(factor, Y, check_finite=False), scipy.linalg.cho_solve(factor, one, check_finite=False)
    c = (one.T @ KiY) / (one.T @ Ki1)  # the unpenalised bias
    alpha = KiY - Ki1 @ c
    W = np.zeros((n_neurons, target.dim))
    for a in range(0, n_neurons, cols):
        W[a:a + cols] = np.asarray(rates_of(Mf[a:a + cols], xf[a:a + cols]), np.float64).T @ alpha
    sol = dict(W=W, b_lat=c[0], B_lat=np.zeros((target.dim, 0)), gamma0=np.eye(target.dim) * 0.0, Gamma=None)
    net = template.replace(**_f32(_low_rank_fields(sol, M, x0)))
    eps = ddm.matching_errors(net, target, sampler.sample_test(k_test, 2048), draw_inputs(target, k_utest, 2048))
    return eps[0], W


def measure_simulation(spec: dict) -> dict:
    """Seconds per step of ``ddm.simulate`` on a low-rank (or full-J) network of N neurons
    (:func:`random_low_rank`; a fit at N = 16384 would cost minutes): the best of three runs after one that compiles, ``record_every`` 10, noise on."""
    import jax
    import jax.numpy as jnp

    import ddm_explore as ddm

    key = jax.random.key(0)
    net = random_low_rank(spec["neurons"], key=key)  # a step costs the same whatever the weights' values
    if spec.get("full"):
        net = net.replace(J_full=jnp.asarray(net.J), W=None, connectivity="full")
    run = dict(t_max=spec["steps"] * 0.01, dt=0.01, n_trials=spec["trials"], key=key, record_every=10, progress=False,
               check_accuracy=False)
    ddm.simulate(net, **run)
    wall = float("inf")
    for _ in range(3):  # the minimum of three: the machine is shared
        t = time.perf_counter()
        ddm.simulate(net, **run)
        wall = min(wall, time.perf_counter() - t)
    return dict(spec, wall_s=wall, s_per_step=wall / spec["steps"], peak_rss_mib=_peak_rss_mib())


def random_low_rank(n_neurons: int, *, key):
    """A stable low-rank network of N neurons (d = 2, ``J = 0.5 M M^T / N``, latent noise 0.1) for
    timing the simulation without a fit."""
    import jax.numpy as jnp

    from ddm_explore.network import Network, make_embedding

    M, x0 = make_embedding(key, n_neurons, 2, offset_scale=2.5)
    f32 = lambda a: jnp.asarray(a, jnp.float32)  # noqa: E731
    return Network(M=f32(M), x0=f32(x0), W=f32(0.5 * M / n_neurons), J_full=None, b=f32(x0), B=jnp.zeros((n_neurons, 0)),
                   gamma0=0.1 * jnp.eye(2), Gamma=None, private_noise=f32(0.0), centre=jnp.zeros(2), scale=jnp.ones(2),
                   region_low=-jnp.ones(2), region_high=jnp.ones(2))


def run_one(spec: dict, out: str | None, timeout: float) -> dict | None:
    """``spec`` measured in a fresh process; appended to ``out``."""
    cmd = [sys.executable, os.path.abspath(__file__), "--one", json.dumps(spec)]
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        print(f"  timed out after {timeout:.0f} s: {spec}", flush=True)
        return None
    if res.returncode != 0:
        print(f"  failed: {spec}\n{res.stderr[-2000:]}", flush=True)
        return None
    row = json.loads(res.stdout.strip().splitlines()[-1])
    row["load_avg"] = os.getloadavg()[0]
    print("  " + json.dumps(row), flush=True)
    if out:
        with open(out, "a") as f:
            f.write(json.dumps(row) + "\n")
    return row


def exponent(x, y) -> float:
    """Least-squares slope of log y against log x (cost ~ x^slope)."""
    x, y = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    return float(np.polyfit(x, y, 1)[0]) if len(x) >= 2 else float("nan")


def specs(args) -> list[dict]:
    out = []
    Ns = [n for n in (256, 512, 1024, 2048, 4096, 8192, 16384) if n <= args.max_neurons]
    if args.only in (None, "fit"):
        out += [dict(kind="fit", neurons=n, samples=None) for n in Ns]
    if args.only in (None, "samples"):
        out += [dict(kind="fit", sweep="samples", neurons=1024, samples=s) for s in (4096, 8192, 16384, 32768, 65536)]
    if args.only in (None, "simulate"):
        out += [dict(kind="simulate", sweep="neurons", neurons=n, trials=16, steps=1000) for n in Ns]
        out += [dict(kind="simulate", sweep="trials", neurons=1024, trials=t, steps=1000) for t in (4, 16, 64, 256)]
        out += [dict(kind="simulate", sweep="steps", neurons=1024, trials=16, steps=s) for s in (500, 1000, 2000, 4000)]
        out += [dict(kind="simulate", sweep="full", neurons=n, trials=16, steps=200, full=True) for n in Ns]
    if args.only in (None, "solvers"):
        N = args.solver_neurons
        out += [dict(kind="fit", sweep="solvers", neurons=N, samples=None, solver=None),
                dict(kind="fit", sweep="solvers", neurons=N, samples=None, solver=dict(streaming=True)),
                dict(kind="fit", sweep="solvers", neurons=N, samples=None, solver=dict(streaming=True, precision="float32", refine=40))]
        out += [dict(kind="fit", sweep="solvers", neurons=N, samples=s, solver="kernel") for s in (N // 4, N // 2)]
    return out


def tables(rows: list[dict]) -> None:
    from _common import print_table

    fits = [r for r in rows if r["kind"] == "fit" and "sweep" not in r]
    if fits:
        body = [[str(r["neurons"]), str(r.get("samples") or max(4096, 8 * r["neurons"])),
                 f"{r['wall_s']:.2f}", f"{r['peak_rss_mib']:.0f}", f"{r['numpy_peak_mib']:.0f}", f"{r['eps_f']:.2g}",
                 f"{r['load_avg']:.1f}"] for r in fits]
        big = [r for r in fits if r["neurons"] >= 1024]
        note = (f"fitted exponents (N >= 1024): time ~ N^{exponent([r['neurons'] for r in big], [r['wall_s'] for r in big]):.2f}, "
                f"numpy peak memory ~ N^{exponent([r['neurons'] for r in big], [r['numpy_peak_mib'] for r in big]):.2f}")
        print_table("closed-form fit against N (Van der Pol, n = max(4096, 8 N), one process each)",
                    ["N", "samples", "fit s", "peak RSS MiB", "numpy peak MiB", "eps_f", "load"], body, note)
    samp = [r for r in rows if r.get("sweep") == "samples"]
    if samp:
        body = [[str(r["samples"]), f"{r['wall_s']:.2f}", f"{r['peak_rss_mib']:.0f}", f"{r['eps_f']:.2g}"] for r in samp]
        note = f"fitted exponent: time ~ n^{exponent([r['samples'] for r in samp], [r['wall_s'] for r in samp]):.2f}"
        print_table("closed-form fit against the number of samples (N = 1024)", ["samples", "fit s", "peak RSS MiB", "eps_f"],
                    body, note)
    for sweep, label in (("neurons", "N"), ("trials", "trials"), ("steps", "steps"), ("full", "N (full J)")):
        sim = [r for r in rows if r["kind"] == "simulate" and r.get("sweep") == sweep]
        if not sim:
            continue
        key = {"neurons": "neurons", "trials": "trials", "steps": "steps", "full": "neurons"}[sweep]
        body = [[str(r[key]), f"{r['wall_s']:.3f}", f"{1e6 * r['s_per_step']:.1f}", f"{r['peak_rss_mib']:.0f}"] for r in sim]
        big = [r for r in sim if r[key] >= (1024 if key == "neurons" else 0)]
        note = (f"fitted exponent of the run's time: ~ {label}^"
                f"{exponent([r[key] for r in big], [r['wall_s'] for r in big]):.2f}"
                + (" (N >= 1024)" if key == "neurons" else ""))
        print_table(f"simulation against {label} (low rank unless said; 16 trials, 1,000 steps of 0.01 (full J: 200), "
                    "record every 10; best of three runs)",
                    [label, "wall s", "us per step", "peak RSS MiB"], body, note)
    sol = [r for r in rows if r.get("sweep") == "solvers"]
    if sol:
        body = [[_solver_name(r), str(r.get("samples") or 8 * r["neurons"]), f"{r['wall_s']:.2f}", f"{r['peak_rss_mib']:.0f}",
                 f"{r['eps_f']:.3g}"] for r in sol]
        print_table(f"the closed form's solvers at N = {sol[0]['neurons']}", ["solver", "samples", "fit s", "peak RSS MiB", "eps_f"], body)


def _solver_name(r) -> str:
    s = r.get("solver")
    if s == "kernel":
        return "(c) samples' feature space (n < N)"
    if not s:
        return "stored rates, float64 Gram (the default up to N = 4096)"
    if s.get("precision") == "float32":
        return f"(b) streamed, float32 blocks + {s.get('refine')} float64 CG steps"
    return "(a) streamed, float64 Gram + Cholesky"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--max-neurons", type=int, default=4096)
    p.add_argument("--only", choices=("fit", "samples", "simulate", "solvers"))
    p.add_argument("--solver-neurons", type=int, default=4096)
    p.add_argument("--out", default=None, help="append each result to this JSON-lines file")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds per measurement")
    p.add_argument("--table", default=None, help="print the tables of a JSON-lines file and stop")
    p.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.one:
        spec = json.loads(args.one)
        print(json.dumps((measure_fit if spec["kind"] == "fit" else measure_simulation)(spec)))
        return
    sys.path.insert(0, HERE)
    if args.table:
        with open(args.table) as f:
            tables([json.loads(line) for line in f if line.strip()])
        return
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
    rows = [r for r in (run_one(s, args.out, args.timeout) for s in specs(args)) if r is not None]
    tables(rows)


if __name__ == "__main__":
    main()
