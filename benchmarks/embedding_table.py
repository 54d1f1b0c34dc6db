"""The embedding table: every built-in target, fitted by an asymmetric (low-rank, closed form) and a
symmetric (Hopfield-class, Adam) network, scored by ``ddm.analysis.embedding_report``.

    python benchmarks/embedding_table.py            # the table in the README (~10 minutes on 2 CPU cores)
    python benchmarks/embedding_table.py --quick    # shorter runs, for a smoke test

Columns: held-out eps_f and eps_D; D_stsp and D_H of the network against a reference target run,
next to the noise floor (a second, independent target run of the same length and settings);
largest Lyapunov exponent of target and noise-free network (original time units); limit-cycle
period and amplitude of latent component 0 (noise-free, '-' without a sustained oscillation);
fixed points in the target's region as stable/unstable/saddle counts.
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


def occupation_of(sde, *, t_max, key=1):
    ds = ddm.simulate(sde, t_max=t_max, dt=0.01, n_trials=4, key=jax.random.key(key), record_every=10, progress=False)
    return ddm.occupation(ds.z.sel(time=slice(100.0, None)))


def targets(quick):
    """(label, sde, low-rank fit options, report options, whether nonequilibrium)."""
    box_rep = dict(t_max=200.0 if quick else 500.0, t_transient=50.0, lyapunov_t_max=100.0 if quick else 200.0)
    chaos_rep = dict(t_max=600.0 if quick else 2000.0, t_transient=100.0, lyapunov_t_max=500.0 if quick else 1000.0,
                     lyapunov_dt=0.05)
    rossler_rep = dict(chaos_rep, lyapunov_t_max=1000.0 if quick else 2000.0)
    lorenz, rossler = S.lorenz63(), S.rossler()
    occ_t = 500.0 if quick else 1000.0
    return [
        ("OU reversible (w=0, s=0.5)", S.ornstein_uhlenbeck(w=0.0, s=0.5), dict(n_neurons=128), box_rep, False),
        ("OU rotational (w=1, s=0.5)", S.ornstein_uhlenbeck(w=1.0, s=0.5), dict(n_neurons=128), box_rep, True),
        ("double well (s=0.1)", S.double_well(), dict(n_neurons=64), box_rep, False),
        ("Van der Pol (mu=1)", S.van_der_pol(), dict(n_neurons=256), box_rep, True),
        ("Stuart-Landau (mu=1, b=0.5)", S.stuart_landau(b=0.5), dict(n_neurons=256), box_rep, True),
        ("4-well ring (c=0.4, D=0.1)", S.ring_wells(c=0.4), dict(n_neurons=512), box_rep, True),
        ("multiplicative OU (w=1)", S.multiplicative_ou(), dict(n_neurons=256, noise="multiplicative"), box_rep, True),
        ("Lorenz-63 (T=10)", lorenz, dict(n_neurons=512, sampler=occupation_of(lorenz, t_max=occ_t), ridge=1e-9),
         chaos_rep, True),
        ("Rossler (T=1)", rossler, dict(n_neurons=1024, sampler=occupation_of(rossler, t_max=occ_t), ridge=1e-11,
                                        n_samples=16384 if quick else 32768), rossler_rep, True),
    ]


def fmt(x, digits=2):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if x != 0 and (abs(x) < 1e-2 or abs(x) >= 1e4):
        return f"{x:.{digits}e}"
    return f"{x:.{digits + 1}g}" if abs(x) < 1 else f"{x:.{digits + 1}g}"


def row(label, conn, sde, net, report, fit_seconds, rep_kw, sampler, key):
    t0 = time.perf_counter()
    rep = ddm.analysis.embedding_report(net, sde, key=key, sampler=sampler, n_seeds=64, **rep_kw)
    sec = time.perf_counter() - t0
    g = lambda v, s: float(rep[v].sel(**s))  # noqa: E731
    fps = lambda s: "/".join(str(int(rep[k].sel(system=s))) for k in ("n_stable", "n_unstable", "n_saddle"))  # noqa: E731
    return [label, conn, str(net.n_neurons), fmt(float(report.eps_f)), fmt(float(report.eps_D)),
            f"{fmt(g('D_stsp', dict(comparison='network')))} / {fmt(g('D_stsp', dict(comparison='floor')))}",
            f"{fmt(g('D_H', dict(comparison='network')))} / {fmt(g('D_H', dict(comparison='floor')))}",
            f"{fmt(g('lyapunov', dict(system='target')), 1)} / {fmt(g('lyapunov', dict(system='network')), 1)}",
            f"{fmt(g('period', dict(system='target')))} / {fmt(g('period', dict(system='network')))}",
            f"{fmt(g('amplitude', dict(system='target')))} / {fmt(g('amplitude', dict(system='network')))}",
            f"{fps('target')} / {fps('network')}", f"{fit_seconds:.1f} + {sec:.0f}"]


HEADER = ["target", "J", "N", "eps_f", "eps_D", "D_stsp net / floor", "D_H net / floor", "lambda_max tgt / net",
          "period tgt / net", "amplitude tgt / net", "fixed pts s/u/saddle tgt / net", "fit + report s"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (smoke test)")
    parser.add_argument("--symmetric-steps", type=int, default=1500, help="Adam steps of the symmetric fits")
    args = parser.parse_args()
    t_start = time.perf_counter()
    rows = []
    for i, (label, sde, fit_kw, rep_kw, noneq) in enumerate(targets(args.quick)):
        key = jax.random.key(i)
        sampler = fit_kw.get("sampler") or ddm.box(*sde.region)
        kw = dict(fit_kw)
        N = kw.pop("n_neurons")
        net, report = ddm.fit(sde, N, key=key, progress=False, **kw)
        rows.append(row(label, "low rank", sde, net, report, float(report.attrs["fit_seconds"]), rep_kw, sampler,
                        jax.random.fold_in(key, 1)))
        print(" | ".join(rows[-1]), flush=True)
        sym_kw = {k: v for k, v in kw.items() if k in ("sampler", "noise")}
        net, report = ddm.fit(sde, 128, key=key, connectivity="symmetric", steps=args.symmetric_steps,
                              progress=False, **sym_kw)
        rows.append(row(label + (" *" if noneq else ""), "symmetric", sde, net, report,
                        float(report.attrs["fit_seconds"]), rep_kw, sampler, jax.random.fold_in(key, 1)))
        print(" | ".join(rows[-1]), flush=True)
    total = time.perf_counter() - t_start
    print()
    print("| " + " | ".join(HEADER) + " |")
    print("|" + "---|" * len(HEADER))
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()
    print(f"* nonequilibrium target. Low rank: closed form (float64 ridge); symmetric: Adam, {args.symmetric_steps} "
          f"steps, N = 128. Lorenz-63 and Rossler fitted and scored on the occupation measure of 4 x "
          f"{500 if args.quick else 1000} tau target runs; exponents in original time units "
          f"(Lorenz: simulation time = 10 x original; reference 0.906; Rossler 0.071).")
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, {os.cpu_count()} CPU cores visible; "
          f"total {total / 60:.1f} minutes wall, {time.process_time() / 60:.1f} CPU-minutes of this process "
          f"(1-minute load average at the end: {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
