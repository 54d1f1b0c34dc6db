"""Higher-dimensional latents: held-out eps_f against N and d, the fit's cost, and Lorenz-96 embedded.

Targets by latent dimension d: 2 Van der Pol (its box, fresh test draws), 3 Lorenz-63 (T = 10),
6, 10, 20 Lorenz-96 (F = 8, T = 6). The chaotic ones are fitted on the occupation measure of
8 target runs (Euler, dt = 0.01, recorded every 0.1 tau, transient dropped) and their eps_f is
measured on the states of 4 *independent* runs (``ddm.occupation(train, test=...)``).

Sections (each printed, and appended to ``--out`` as it comes):

1. feature scan at N = 1024: the latent gain (dense rows) and the row options at a small gain;
   1b. the sampling measure: a box over the states' extent against their occupation measure;
2. the table: held-out eps_f, wall time and peak memory of each fit against N and d, for the
   default embedding and the alternatives (``--neurons`` sets the N columns);
3. the embedding claims for Lorenz-96, d = 10 and 20, at ``--claim-neurons``: the network as
   simulated (all N neurons, the solver ``ddm.check_dt`` finds accurate at dt = 0.01), its
   largest Lyapunov exponent against the target's (RK4 tangent method; and the scipy reference
   ``ddm.systems.LORENZ96_EXPONENT``), and D_stsp of its states against the floor of two
   independent target runs of the same length (Gaussian mixtures in d dimensions, and the binned
   D_stsp averaged over the blocks of 3 consecutive coordinates).

Peak memory: the largest resident-set growth of the process during the fit (``/proc/self/statm``
sampled every 10 ms), i.e. what that fit needed beyond what the process already held.

    JAX_PLATFORMS=cpu python benchmarks/latent_dim_table.py                     # everything (~35 min on 2 cores)
    python benchmarks/latent_dim_table.py --neurons 256,1024,16384 --dims 10    # other columns
    python benchmarks/latent_dim_table.py --sections table --neurons 16384 --dims 10 \
        --embeddings '10:cyclic k=3, gain 0.2'                                  # one row of the table
    python benchmarks/latent_dim_table.py --gpu                                 # one d = 10 fit at N = 4096, timed
"""

from __future__ import annotations

import argparse
import functools
import os
import threading
import time
import warnings

import jax
import numpy as np

import ddm_explore as ddm

S, A = ddm.systems, ddm.analysis
GPU_NEURONS = 4096  # N of the --gpu check
GAIN = 0.2  # the small latent gain that the scan selects for d >= 6 (README, "Higher-dimensional latents")
OPTIONS = {
    "default": lambda d: ddm.Embedding(),
    f"dense, gain {GAIN}": lambda d: ddm.Embedding(latent_gain=GAIN),
    f"cyclic k=3, gain {GAIN}": lambda d: ddm.Embedding(latent_gain=GAIN, rows=ddm.SparseRows(k=3, pattern="cyclic"))
    if d >= 3 else None,
}


class Log:
    """Print and append to a file at once, so a long run leaves its results as they come."""

    def __init__(self, path):
        self.path = path
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    def __call__(self, line=""):
        print(line, flush=True)
        if self.path:
            with open(self.path, "a") as f:
                f.write(line + "\n")


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def timed_fit(sde, N, sampler, embedding, key):
    """(net, report, wall seconds, peak RSS growth in MiB) of one fit."""
    base, peak, done = _rss(), [0], threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], _rss())
            time.sleep(0.01)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    t = time.perf_counter()
    net, report = ddm.fit(sde, N, key=key, sampler=sampler, embedding=embedding, progress=False)
    wall = time.perf_counter() - t
    done.set()
    thread.join()
    return net, report, wall, max(peak[0], _rss()) - base >> 20


def _runs(sde, key, n_trials, t_max, t_transient):
    ds = ddm.simulate(sde, t_max=t_max, dt=0.01, n_trials=n_trials, key=key, record_every=10, progress=False)
    return ds.z.sel(time=slice(t_transient, None))


@functools.lru_cache(maxsize=None)
def target(d: int):
    """(sde, sampler, description) for latent dimension d."""
    if d == 2:
        return S.van_der_pol(), None, "Van der Pol, box, fresh test draws"
    sde, length, transient = (S.lorenz63(), 1000.0, 100.0) if d == 3 else (S.lorenz96(dim=d), 1200.0, 60.0)
    train = _runs(sde, jax.random.key(101), 8, length, transient)
    test = _runs(sde, jax.random.key(202), 4, length / 2, transient)
    return sde, ddm.occupation(train, test=test), f"{sde.name}, occupation of 8 x {length:g} tau, tested on 4 independent runs"


def scan(log, dims, key):
    """Section 1: eps_f at N = 1024 against the latent gain and the row options."""
    gains = (0.1, 0.2, 0.4, 0.8, 1.5)
    rows = {"random k=2": ddm.SparseRows(k=2), "random k=3": ddm.SparseRows(k=3),
            "cyclic k=3": ddm.SparseRows(k=3, pattern="cyclic")}
    log("\n## 1. Feature scan, N = 1024: held-out eps_f\n")
    log("| d | " + " | ".join(f"dense, gain {g}" for g in gains) + " | " + " | ".join(f"{r}, gain {GAIN}" for r in rows) + " |")
    log("|---|" + "---|" * (len(gains) + len(rows)))
    for d in dims:
        sde, sampler, _ = target(d)
        cells = [float(ddm.fit(sde, 1024, key=key, sampler=sampler, embedding=ddm.Embedding(latent_gain=g),
                               progress=False)[1].eps_f) for g in gains]
        for r in rows.values():
            ok = r.k <= d
            cells.append(float(ddm.fit(sde, 1024, key=key, sampler=sampler, progress=False,
                                       embedding=ddm.Embedding(latent_gain=GAIN, rows=r))[1].eps_f) if ok else float("nan"))
        log(f"| {d} | " + " | ".join("-" if np.isnan(c) else f"{c:.2g}" for c in cells) + " |")


def box_vs_occupation(log, dims, key):
    """Section 1b: the sampling measure. A box over the training states' extent against their
    occupation measure, N = 1024; eps_f on the same independent attractor states for both."""
    log("\n## 1b. Sampling measure, N = 1024: eps_f on independent attractor states\n")
    log("| d | embedding | box of the states' extent | occupation measure |")
    log("|---|---|---|---|")
    for d in [d for d in dims if d >= 6]:
        sde, sampler, _ = target(d)
        Z = np.asarray(sampler.sample_test(jax.random.key(7), 4096))
        lo, hi = sampler.extent
        for name in (f"dense, gain {GAIN}", f"cyclic k=3, gain {GAIN}"):
            eps = [ddm.matching_errors(ddm.fit(sde, 1024, key=key, sampler=s, embedding=OPTIONS[name](d), progress=False)[0],
                                       sde, Z)[0] for s in (ddm.box(lo, hi), sampler)]
            log(f"| {d} | {name} | {eps[0]:.2g} | {eps[1]:.2g} |")


def table(log, dims, neurons, key, embeddings=None):
    """Section 2: eps_f, wall time and peak memory against N and d, per embedding option
    (``embeddings``: {d: [option names]} to run only those, e.g. the best one per d at N = 16384)."""
    log("\n## 2. Held-out eps_f (fit wall s, peak MiB) against N\n")
    log("| d | target | embedding | " + " | ".join(f"N = {N}" for N in neurons) + " |")
    log("|---|---|---|" + "---|" * len(neurons))
    for d in dims:
        sde, sampler, desc = target(d)
        for name, make in OPTIONS.items():
            emb = make(d)
            if emb is None or (embeddings is not None and name not in embeddings.get(d, ())):
                continue
            cells = []
            for N in neurons:
                _, rep, wall, mib = timed_fit(sde, N, sampler, emb, key)
                cells.append(f"{float(rep.eps_f):.2g} ({wall:.1f} s, {mib} MiB)")
                print(f"  d={d} {name} N={N}: {cells[-1]}", flush=True)
            log(f"| {d} | {desc} | {name} | " + " | ".join(cells) + " |")


def _blocks_dstsp(a, b):
    """Binned D_stsp averaged over the blocks of 3 consecutive coordinates (d divisible or not:
    the last block wraps around the ring)."""
    d = a.sizes["latent"]
    vals = [float(A.state_space_divergence(a.isel(latent=[(s + j) % d for j in range(3)]),
                                           b.isel(latent=[(s + j) % d for j in range(3)]), method="bins"))
            for s in range(0, d, 3)]
    return float(np.mean(vals))


def claims(log, dims, N, key):
    """Section 3: Lorenz-96 networks as simulated: exponent and attractor statistics."""
    log(f"\n## 3. Lorenz-96 embedded, N = {N}, the network simulated in all N neurons\n")
    log("| d | embedding | eps_f | solver | lambda_max tgt / net (ref) | net / tgt | D_stsp gmm net / floor | "
        "D_stsp 3-blocks net / floor | verdict |")
    log("|---|---|---|---|---|---|---|---|---|")
    for d in dims:
        sde, sampler, _ = target(d)
        reports = {s: ddm.check_dt(sde, 0.01, solver=s) for s in ("euler", "heun")}
        solver = "euler" if reports["euler"].accurate else "heun"
        print(f"  d={d} check_dt: {reports['euler']} | {reports['heun']}", flush=True)
        for name in (f"cyclic k=3, gain {GAIN}", f"dense, gain {GAIN}", "default"):
            log(_claim_row(d, sde, sampler, N, name, OPTIONS[name](d), solver, key))


def _claim_row(d, sde, sampler, N, name, emb, solver, key):
    net, rep = ddm.fit(sde, N, key=key, sampler=sampler, embedding=emb, progress=False)
    t_max, t_tr, n = 1260.0, 60.0, 8
    z0 = [np.asarray(sampler.sample(jax.random.key(s), n)) for s in (11, 12, 13)]
    runs = []
    for system, k, start in ((sde, 21, z0[0]), (sde, 22, z0[1]), (net, 23, z0[2])):
        ds = ddm.simulate(system, t_max=t_max, dt=0.01, n_trials=n, key=jax.random.key(k), z0=start,
                          record_every=10, progress=False, solver=solver, check_accuracy=False)
        runs.append(ds.z.sel(time=slice(t_tr, None)))
    ref, floor_run, net_run = runs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ddm.SampleSizeWarning)
        g_net, g_floor = (float(A.state_space_divergence(ref, r, method="gmm")) for r in (net_run, floor_run))
        b_net, b_floor = _blocks_dstsp(ref, net_run), _blocks_dstsp(ref, floor_run)
    lyap = dict(key=jax.random.key(31), t_max=600.0, t_transient=60.0, dt=0.06, n_trials=4, z0=z0[2][:4])
    lam_t = float(A.lyapunov_exponent(sde, **lyap).exponent_original)
    lam_n = float(A.lyapunov_exponent(net, **lyap).exponent_original)
    ratio = lam_n / lam_t
    ok = abs(ratio - 1) <= 0.1 and g_net <= 2 * g_floor and b_net <= 2 * b_floor
    return (f"| {d} | {name} | {float(rep.eps_f):.2g} | {solver} | {lam_t:.3f} / {lam_n:.3f} ({S.LORENZ96_EXPONENT[d]}) | "
            f"{ratio:.3f} | {g_net:.3g} / {g_floor:.3g} ({g_net / g_floor:.2f}x) | {b_net:.3g} / {b_floor:.3g} "
            f"({b_net / b_floor:.2f}x) | {'pass' if ok else 'FAIL'} |")


def gpu_check(log, key):
    """One d = 10 fit at N = GPU_NEURONS (the first includes compilation; the second is timed again)."""
    sde, sampler, desc = target(10)
    for attempt in ("first (with compilation)", "second"):
        _, rep, wall, mib = timed_fit(sde, GPU_NEURONS, sampler, OPTIONS[f"cyclic k=3, gain {GAIN}"](10), key)
        log(f"latent_dim_table --gpu: Lorenz-96 d = 10, N = {GPU_NEURONS}, cyclic k=3 gain {GAIN}, {attempt}: "
            f"eps_f {float(rep.eps_f):.2g}, fit {wall:.1f} s, peak RSS growth {mib} MiB ({jax.devices()[0]})")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--neurons", default="256,512,1024,2048,4096", help="N columns of the table, comma-separated")
    p.add_argument("--dims", default="2,3,6,10,20", help="latent dimensions of the scan and the table")
    p.add_argument("--claim-neurons", type=int, default=2048, help="N of the Lorenz-96 embedding claims")
    p.add_argument("--sections", default="scan,box,table,claims", help="which of scan, box, table, claims to run")
    p.add_argument("--gpu", action="store_true", help="only one d = 10 fit at N = 4096 and its timing (< 60 s on a GPU)")
    p.add_argument("--embeddings", default=None,
                   help="table rows to run, as d:name pairs separated by ';' (names: " + "; ".join(map(repr, OPTIONS))
                        + "), e.g. '10:cyclic k=3, gain 0.2;2:default'; default all")
    p.add_argument("--out", default=None, help="also append every result line to this file")
    args = p.parse_args()
    embeddings = None
    if args.embeddings:
        embeddings = {}
        for item in args.embeddings.split(";"):
            d, sep, name = item.partition(":")
            if not sep or name.strip() not in OPTIONS or not d.strip().isdigit():
                p.error(f"--embeddings: {item!r} is not d:name with name one of {'; '.join(map(repr, OPTIONS))}")
            embeddings.setdefault(int(d), []).append(name.strip())
    log, key = Log(args.out), jax.random.key(0)
    t0 = time.perf_counter()
    if args.gpu:
        gpu_check(log, key)
        return
    dims, neurons = [int(v) for v in args.dims.split(",")], [int(v) for v in args.neurons.split(",")]
    log(f"# latent_dim_table: {jax.devices()[0].platform}, {os.cpu_count()} CPU cores visible, "
        f"{time.strftime('%Y-%m-%d %H:%M')}")
    sections = args.sections.split(",")
    if "scan" in sections:
        scan(log, dims, key)
    if "box" in sections:
        box_vs_occupation(log, dims, key)
    if "table" in sections:
        table(log, dims, neurons, key, embeddings)
    if "claims" in sections:
        claims(log, [d for d in dims if d in (10, 20)], args.claim_neurons, key)
    log(f"\ntotal {(time.perf_counter() - t0) / 60:.1f} minutes wall, load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
