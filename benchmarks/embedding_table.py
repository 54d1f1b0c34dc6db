"""The embedding table: every built-in target, fitted by an asymmetric (low-rank, closed form) and a
symmetric (Hopfield-class, Adam) network, and Van der Pol also by a full-J network (preconditioned
descent from the closed form, the recipe for full J), scored by ``ddm.experiments.embedding_report``.

    python benchmarks/embedding_table.py            # the table in the README (< 10 minutes on 2 CPU cores)
    python benchmarks/embedding_table.py --quick    # shorter runs, for a smoke test

Columns: held-out eps_f and eps_D; D_stsp and D_H of the network against a reference target run,
next to the noise floor (the same reference against a second, independent target run of the
same length and settings), each the mean (+- standard deviation) over K independent
(reference, floor run, network run) triples, and the ratio of the two D_stsp means; largest
Lyapunov exponent of target and noise-free network (original time units); limit-cycle period and
amplitude of latent component 0 (noise-free, '-' without a sustained oscillation); fixed points
in the target's region as stable/unstable/saddle counts. After the table, every criterion of
the embedding standard is checked and printed with its measured value. Every verdict on what a
network does comes from simulating all its neurons (D_stsp, D_H, period, amplitude, the exponent
of the full N-dimensional flow), never from eps_f: a symmetric network fails a nonequilibrium
target when its runs stay more than FLOOR_FACTOR times the floor away from the target's in
D_stsp or D_H, and, for the oscillators and chaotic targets, when it has no cycle or no chaos.
"""

from __future__ import annotations

import argparse
import math
import os
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import numpy as np  # noqa: E402

import ddm_explore as ddm  # noqa: E402

S = ddm.systems
# K triples averaged for the box targets and for Lorenz-63 / Rossler; run length of the chaotic ones (tau)
BOX_PAIRS, CHAOS_PAIRS, CHAOS_T = 8, 4, 2000.0
# the embedding standard's bar on D_stsp and D_H, as multiples of the target's own floor
FLOOR_FACTOR = 2.0


def occupation_of(sde, *, t_max, n_trials, key=1):
    """Occupation measure of target runs; the same shapes as the report's target runs, so they
    share one compiled program."""
    ds = ddm.simulate(sde, t_max=t_max, dt=0.01, n_trials=n_trials, key=jax.random.key(key), record_every=10,
                      progress=False)
    return ddm.occupation(ds.z.sel(time=slice(100.0, None)))


def targets(quick):
    """(label, sde, low-rank fit options, report options, whether nonequilibrium)."""
    box_rep = dict(t_max=200.0 if quick else 500.0, t_transient=50.0,
                   lyapunov=dict(t_max=100.0 if quick else 200.0, dt=0.05), n_floor_pairs=BOX_PAIRS)
    chaos_rep = dict(t_max=600.0 if quick else CHAOS_T, t_transient=100.0,
                     lyapunov=dict(t_max=500.0 if quick else 1000.0, dt=0.05), n_floor_pairs=CHAOS_PAIRS)
    lorenz, rossler = S.lorenz63(), S.rossler()
    occ = dict(t_max=chaos_rep["t_max"], n_trials=8 * CHAOS_PAIRS)
    return [
        ("OU reversible (w=0, s=0.5)", S.ornstein_uhlenbeck(w=0.0, s=0.5), dict(n_neurons=256), box_rep, False),
        ("OU rotational (w=1, s=0.5)", S.ornstein_uhlenbeck(w=1.0, s=0.5), dict(n_neurons=256), box_rep, True),
        ("double well (s=0.1)", S.double_well(), dict(n_neurons=64), box_rep, False),
        ("Van der Pol (mu=1)", S.van_der_pol(), dict(n_neurons=256), box_rep, True),
        ("Stuart-Landau (mu=1, b=0.5)", S.stuart_landau(b=0.5), dict(n_neurons=256), box_rep, True),
        # the ring's steep walls (rates ~100 at the box corners) need the default step 0.01
        ("4-well ring (c=0.4, D=0.1)", S.ring_wells(c=0.4), dict(n_neurons=512), dict(box_rep, lyapunov=dict(box_rep["lyapunov"], dt=0.01)), True),
        ("multiplicative OU (w=1)", S.multiplicative_ou(), dict(n_neurons=256, noise="multiplicative"), box_rep, True),
        ("Lorenz-63 (T=10)", lorenz, dict(n_neurons=256, sampler=occupation_of(lorenz, **occ)), chaos_rep, True),
        ("Rossler (T=1)", rossler, dict(n_neurons=256, sampler=occupation_of(rossler, **occ)), chaos_rep, True),
    ]


def fmt(x, digits=2):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if x != 0 and (abs(x) < 1e-2 or abs(x) >= 1e4):
        return f"{x:.{digits}e}"
    return f"{x:.{digits + 1}g}" if abs(x) < 1 else f"{x:.{digits + 1}g}"


def mean_sd(rep, var, comparison):
    m, sd = (float(rep[v].sel(comparison=comparison)) for v in (var, var + "_sd"))
    return fmt(m) if not math.isfinite(sd) else f"{fmt(m)} ± {fmt(sd, 1)}"


def row(label, conn, sde, net, report, fit_seconds, rep_kw, sampler, key):
    t0 = time.perf_counter()
    rep = ddm.experiments.embedding_report(net, sde, key=key, sampler=sampler, n_seeds=64, **rep_kw)
    sec = time.perf_counter() - t0
    g = lambda v, s: float(rep[v].sel(**s))  # noqa: E731
    fps = lambda s: "/".join(str(int(rep[k].sel(system=s))) for k in ("n_stable", "n_unstable", "n_saddle"))  # noqa: E731
    ratio = g("D_stsp", dict(comparison="network")) / g("D_stsp", dict(comparison="floor"))
    cells = [label, conn, str(net.n_neurons), fmt(float(report.eps_f)), fmt(float(report.eps_D)),
            f"{mean_sd(rep, 'D_stsp', 'network')} / {mean_sd(rep, 'D_stsp', 'floor')}", f"{ratio:.2f}",
            f"{fmt(g('D_H', dict(comparison='network')))} / {fmt(g('D_H', dict(comparison='floor')))}",
            f"{fmt(g('lyapunov', dict(system='target')))} / {fmt(g('lyapunov', dict(system='network')))}",
            f"{fmt(g('period', dict(system='target')))} / {fmt(g('period', dict(system='network')))}",
            f"{fmt(g('amplitude', dict(system='target')))} / {fmt(g('amplitude', dict(system='network')))}",
            f"{fps('target')} / {fps('network')}", f"{fit_seconds:.1f} + {sec:.0f}"]
    return cells, rep, report


HEADER = ["target", "J", "N", "eps_f", "eps_D", "D_stsp net / floor (mean ± sd)", "ratio", "D_H net / floor",
          "lambda_max tgt / net", "period tgt / net", "amplitude tgt / net", "fixed pts s/u/saddle tgt / net",
          "fit + report s"]


def checks(label, rep, report, noneq, symmetric):
    """(criterion, measured, holds) of the embedding standard for one row."""
    g = lambda v, **s: float(rep[v].sel(**s))  # noqa: E731
    out = []
    eps_f, eps_D = float(report.eps_f), float(report.eps_D)
    if symmetric:
        if noneq:
            r_stsp = g("D_stsp", comparison="network") / g("D_stsp", comparison="floor")
            r_h = g("D_H", comparison="network") / g("D_H", comparison="floor")
            out.append((f"symmetric: simulated runs off the target's (D_stsp or D_H > {FLOOR_FACTOR:g} x floor)",
                        f"D_stsp {r_stsp:.3g} x, D_H {r_h:.3g} x", max(r_stsp, r_h) > FLOOR_FACTOR))
            lam = g("lyapunov", system="network")
            if label.startswith(("Lorenz", "Rossler")):
                out.append(("symmetric: no chaos (lambda_max < 0)", f"{lam:.3g}", lam < 0))
            if label.startswith(("Van der Pol", "Stuart")):
                per = g("period", system="network")
                out.append(("symmetric: no limit cycle", "-" if not math.isfinite(per) else f"period {per:.3g}",
                            not math.isfinite(per)))
        return out
    out.append(("eps_f <= 0.01", f"{eps_f:.3g}", eps_f <= 0.01))
    if math.isfinite(eps_D):
        out.append(("eps_D <= 0.05", f"{eps_D:.3g}", eps_D <= 0.05))
    ratio = g("D_stsp", comparison="network") / g("D_stsp", comparison="floor")
    if label.startswith("Lorenz"):
        lam = g("lyapunov", system="network")
        out.append(("lambda_max within 10% of 0.906", f"{lam:.3f}", abs(lam - 0.906) <= 0.1 * 0.906))
        out.append(("D_stsp <= 2 x floor (means)", f"{ratio:.2f} x", ratio <= FLOOR_FACTOR))
        dh = g("D_H", comparison="network")
        out.append(("D_H <= 0.1", f"{dh:.3g}", dh <= 0.1))
    if label.startswith("Rossler"):
        lam, sem = g("lyapunov", system="network"), g("lyapunov_sem", system="network")
        out.append(("lambda_max > 0", f"{lam:.3f} ± {sem:.3f}", lam > 0))
        out.append(("D_stsp <= 2 x floor (means)", f"{ratio:.2f} x", ratio <= FLOOR_FACTOR))
    if label.startswith(("Van der Pol", "Stuart")):
        for q in ("period", "amplitude"):
            t, n = g(q, system="target"), g(q, system="network")
            out.append((f"{q} within 3%", f"{abs(n - t) / t * 100:.2f}%", abs(n - t) <= 0.03 * t))
    return out


# A Network's name is a static field of its pytree, so networks fitted to different targets
# ("Van der Pol network", "Stuart-Landau network") would each compile their own simulation,
# Lyapunov and fixed-point programs; one common name lets networks of equal shapes share them.
# Most of this table's CPU time is compilation, so the table also keeps shapes equal where it can
# (N = 256 for the low-rank d = 2 and d = 3 targets, equal run lengths within each group).


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (smoke test)")
    parser.add_argument("--symmetric-steps", type=int, default=1500, help="Adam steps of the symmetric fits")
    args = parser.parse_args()
    t_start, c_start = time.perf_counter(), time.process_time()
    rows, results = [], []
    for i, (label, sde, fit_kw, rep_kw, noneq) in enumerate(targets(args.quick)):
        key = jax.random.key(i)
        sampler = fit_kw.get("sampler") or ddm.box(*sde.region)
        kw = dict(fit_kw)
        N = kw.pop("n_neurons")
        net, report = ddm.fit(sde, N, key=key, progress=False, **kw)
        net = net.replace(name="network")  # shares compiled programs (see the note above main)
        cells, rep, report = row(label, "low rank", sde, net, report, float(report.attrs["fit_seconds"]), rep_kw,
                                 sampler, jax.random.fold_in(key, 1))
        rows.append(cells)
        results += [(label + ", low rank", c) for c in checks(label, rep, report, noneq, False)]
        print(" | ".join(rows[-1]), flush=True)
        if label.startswith("Van der Pol"):  # full J: the recipe, judged like the low-rank network
            net, report = ddm.fit(sde, 128, key=key, connectivity="full", solver=ddm.Preconditioned(), progress=False)
            net = net.replace(name="network")
            cells, rep, report = row(label, "full", sde, net, report, float(report.attrs["fit_seconds"]), rep_kw,
                                     sampler, jax.random.fold_in(key, 1))
            rows.append(cells)
            results += [(label + ", full", c) for c in checks(label, rep, report, noneq, False)]
            print(" | ".join(rows[-1]), flush=True)
        sym_kw = {k: v for k, v in kw.items() if k in ("sampler", "noise")}
        net, report = ddm.fit(sde, 128, key=key, connectivity="symmetric", steps=args.symmetric_steps,
                              progress=False, **sym_kw)
        net = net.replace(name="network")
        cells, rep, report = row(label + (" *" if noneq else ""), "symmetric", sde, net, report,
                                 float(report.attrs["fit_seconds"]), rep_kw, sampler, jax.random.fold_in(key, 1))
        rows.append(cells)
        results += [(label + ", symmetric", c) for c in checks(label, rep, report, noneq, True)]
        print(" | ".join(rows[-1]), flush=True)
    total, cpu = time.perf_counter() - t_start, time.process_time() - c_start
    print()
    print("| " + " | ".join(HEADER) + " |")
    print("|" + "---|" * len(HEADER))
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()
    print(f"* nonequilibrium target. Low rank: closed form (float64 ridge); full: ddm.Preconditioned() (100 steps, "
          f"warm start from the closed form), N = 128; symmetric: Adam, {args.symmetric_steps} "
          f"steps, N = 128. Every run: 8 trials, dt = 0.01, every 10th step recorded, starts jittered by 1% "
          f"(relative). D_stsp, D_H: mean over K independent (reference, floor, network) triples, K = {BOX_PAIRS} "
          f"for the box targets (runs of {200 if args.quick else 500} tau, first 50 dropped) and K = {CHAOS_PAIRS} "
          f"for Lorenz-63 and Rossler (runs of {600 if args.quick else 2000} tau, first 100 dropped), which are "
          f"fitted and scored on the occupation measure of {8 * CHAOS_PAIRS} target runs of the same length; "
          f"exponents in original time units (Lorenz: simulation time = 10 x original; reference 0.906; "
          f"Rossler 0.071).")
    print()
    print("Checks:")
    for where, (criterion, value, holds) in results:
        print(f"  {'PASS' if holds else 'FAIL'}  {where}: {criterion}: {value}")
    print()
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, {os.cpu_count()} CPU cores visible; "
          f"total {total / 60:.1f} minutes wall, {cpu / 60:.1f} CPU-minutes of this process "
          f"(1-minute load average at the end: {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
