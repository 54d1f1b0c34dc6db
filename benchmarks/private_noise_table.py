"""The network as it runs: built-in targets embedded in networks with private neuron noise.

For each target, private noise level s and size N, a plain fit (``ddm.fit(sde, N)`` then run with
``private_noise=s``) and a noise-aware fit (``ddm.fit(sde, N, private_noise=s)``, METHOD.md section 8)
are simulated in all N neurons with their private noise; each statistic is compared with the
target's own run-to-run spread, measured from ``--target-keys`` K independent runs of the same
length, and each network's from ``--network-keys`` K' runs of its own (keys 1 ... K'): a network
*holds* when the mean of every statistic over its K' runs is as close to the target's mean as one
more target run would be, ``|mean' - mean| <= 2 sd sqrt(1 + 1/K)`` (sd: the standard deviation over
the K target runs). The network's mean estimates what its typical run gives; one run (K' = 1)
would also count the run's own noise against the network, which decides nothing for rare counts
such as the ring's backward turns (0.25 per target run). Both fits sample the target's occupation measure (one
independent target run), which puts the fit's accuracy where the system lives.

Statistics: 4-well ring (c = 0.4): forward and backward transitions; Van der Pol and Stuart–Landau:
cycle period and amplitude; OU (w = 1): the stationary covariance entries; Lorenz-63 (T = 10, no
noise of its own): the state-space divergence D_stsp to one reference target run, whose spread over
the target's own runs is the floor, and the largest Lyapunov exponent (per tau) of the system as it
runs (``lyapunov_exponent(..., noise=True)``: the network with its private noise in all N neurons),
which holds within two standard errors (the estimates' over 8 trials per network key, combined with
the target estimates' sd); D_stsp's mean over the network's runs must be at most twice
the floor. ``--symmetric`` adds the symmetric-J route on the reversible OU process (w = 0), where a
symmetric network can embed the target.

    JAX_PLATFORMS=cpu python benchmarks/private_noise_table.py              # N = 256, 1024
    JAX_PLATFORMS=cpu python benchmarks/private_noise_table.py --sizes 256 1024 4096 --symmetric
"""

from __future__ import annotations

import argparse
import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np

import ddm_explore as ddm
from _common import device_line, print_table

A = ddm.analysis
RUN = dict(t_max=200.0, dt=0.01, n_trials=32, record_every=10)


def ring_stats(ds):
    tr = A.transitions(ds.z, ddm.systems.ring_centres(), 0.45, min_transitions=0)
    return {"forward": float(tr.n_forward), "backward": float(tr.n_backward)}


def cycle_stats(ds):
    lc = A.limit_cycle(ds.z, discard=0.25)
    return {"period": float(lc.period.mean()), "amplitude": float(lc.amplitude.mean())}


def covariance_stats(ds):
    z = ds.z.sel(time=slice(20.0, None)).values.reshape(-1, ds.sizes["latent"])
    C = np.cov(z.T)
    return {"S00": float(C[0, 0]), "S01": float(C[0, 1]), "S11": float(C[1, 1])}


class Divergence:
    """D_stsp of a run to one fixed reference run of the target (the floor: the target's own runs),
    and the largest Lyapunov exponent of the system as it runs (``noise=True``: a network with its
    private noise in all N neurons), started on the reference's last states."""

    def __init__(self, sde, run_kw):
        self.ref = ddm.simulate(sde, key=jax.random.key(99), progress=False, **run_kw).z.sel(time=slice(100.0, None))

    def __call__(self, ds):
        return {"D_stsp": float(A.state_space_divergence(ds.z.sel(time=slice(100.0, None)), self.ref))}

    def exponent(self, system, key):
        """(exponent per tau, its standard error over 8 trials of 300 tau)."""
        ly = A.lyapunov_exponent(system, key=key, t_max=300.0, t_transient=20.0, dt=0.01, n_trials=8, scheme="euler",
                                 z0=self.ref.isel(time=-1).values, noise=True)
        return float(ly.exponent), float(ly.exponent_sem)


LORENZ_RUN = dict(t_max=600.0, dt=0.01, n_trials=8, record_every=10)

TARGETS = {
    "4-well ring (c = 0.4)": (lambda: ddm.systems.ring_wells(c=0.4), ring_stats),
    "Van der Pol": (lambda: ddm.systems.van_der_pol(mu=1.0, sigma=0.1), cycle_stats),
    "Stuart-Landau": (lambda: ddm.systems.stuart_landau(), cycle_stats),
    "OU (w = 1)": (lambda: ddm.systems.ornstein_uhlenbeck(w=1.0, s=0.5), covariance_stats),
    "Lorenz-63 (T = 10)": (lambda: ddm.systems.lorenz63(), "divergence"),
}
#: symmetric connectivity (``--symmetric``): a reversible target a symmetric network can embed, fitted
#: by the preconditioned route (the noise-aware terms enter its loss)
SYMMETRIC = {
    "OU (w = 0), symmetric J": (lambda: ddm.systems.ornstein_uhlenbeck(w=0.0, s=0.5), covariance_stats),
}


def run(system, stats, key):
    run_kw = LORENZ_RUN if isinstance(stats, Divergence) else RUN
    return stats(ddm.simulate(system, key=key, progress=False, **run_kw))


def spread(sde, stats, keys):
    runs = [run(sde, stats, jax.random.key(k)) for k in keys]
    return {name: (np.mean([r[name] for r in runs]), np.std([r[name] for r in runs], ddof=1)) for name in runs[0]}


def network_runs(system, stats, keys):
    """Each statistic's (mean, sd) over the network's runs with ``keys`` (Lorenz: with the exponent as
    it runs, as (mean, standard error of the mean))."""
    runs = [with_exponent(run(system, stats, jax.random.key(k)), stats, system, jax.random.key(k)) for k in keys]
    sd = (lambda x: float(np.std(x, ddof=1))) if len(runs) > 1 else (lambda x: float("nan"))
    out = {n: (float(np.mean([r[n] for r in runs])), sd([r[n] for r in runs])) for n in runs[0] if n != "exponent"}
    if "exponent" in runs[0]:
        lams, sems = zip(*(r["exponent"] for r in runs))
        out["exponent"] = (float(np.mean(lams)), float(np.sqrt(np.sum(np.square(sems))) / len(runs)))
    return out


def holds(values, target, n_keys) -> bool:
    """The network's mean statistics (over its runs) against the target's spread over n_keys runs:
    as close to the target's mean as one more target run would be."""
    if "D_stsp" in values:  # a divergence: at most twice the floor; the exponent within 2 standard errors
        (lam, sem), (lam_t, sd_t) = values["exponent"], target["exponent"]
        return values["D_stsp"][0] <= 2 * target["D_stsp"][0] and abs(lam - lam_t) <= 2 * np.hypot(sem, sd_t)
    return all(abs(values[n][0] - m) <= 2 * sd * np.sqrt(1 + 1 / n_keys) + 1e-12 for n, (m, sd) in target.items())


def fmt_stats(values, target=None) -> str:
    if target is not None:
        return ", ".join(f"{target[n][0]:.4g} ± {target[n][1]:.2g}" for n in values)
    return ", ".join(f"{v[0]:.4g} ± {v[1]:.2g}" if isinstance(v, tuple) else f"{v:.4g}" for v in values.values())


def with_exponent(values, stats, system, key):
    """Adds the exponent of the system as it runs (Lorenz rows)."""
    if isinstance(stats, Divergence):
        values = dict(values, exponent=stats.exponent(system, key))
    return values


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 1024])
    p.add_argument("--noise", type=float, nargs="+", default=[0.01, 0.03, 0.1])
    p.add_argument("--target-keys", type=int, default=8)
    p.add_argument("--network-keys", type=int, default=4, help="runs of each network, averaged (keys 1 ...)")
    p.add_argument("--symmetric", action="store_true", help="add the symmetric-J route on the reversible OU (w = 0)")
    p.add_argument("--variance-penalty", default=None, type=lambda v: v if v == "auto" else float(v),
                   help="weight of the fluctuation's variance in the noise-aware regression (default: ddm.PrivateNoise's)")
    p.add_argument("--only", nargs="*", default=None, help="targets whose name starts with one of these")
    args = p.parse_args()
    print(device_line())
    print(f"noise-aware fits: {ddm.PrivateNoise(0.0) if args.variance_penalty is None else ddm.PrivateNoise(0.0, args.variance_penalty)}")
    warnings.simplefilter("ignore", ddm.SampleSizeWarning)
    rows, smallest = [], []
    targets = dict(TARGETS, **(SYMMETRIC if args.symmetric else {}))
    for label, (make, stats) in targets.items():
        fit_kw = dict(connectivity="symmetric", solver=ddm.Preconditioned()) if label in SYMMETRIC else {}
        if args.only and not any(label.startswith(o) for o in args.only):
            continue
        sde = make()
        stats = Divergence(sde, LORENZ_RUN) if stats == "divergence" else stats
        target = spread(sde, stats, range(100, 100 + args.target_keys))
        if isinstance(stats, Divergence):  # the target's exponent: mean and sd over independent estimates
            lams = [stats.exponent(sde, jax.random.key(k))[0] for k in range(100, 100 + args.target_keys)]
            target["exponent"] = (float(np.mean(lams)), float(np.std(lams, ddof=1)))
        occ_kw = LORENZ_RUN if isinstance(stats, Divergence) else RUN
        occ = ddm.simulate(sde, key=jax.random.key(7), progress=False, **occ_kw)
        sampler = ddm.occupation(occ.z.sel(time=slice(100.0 if isinstance(stats, Divergence) else 20.0, None)))
        names = ", ".join(target)
        rows.append([label, "target", "-", "-", names, fmt_stats({n: 0 for n in target}, target), "", ""])
        best = {}
        for N in args.sizes:
            plain, _ = ddm.fit(sde, N, key=jax.random.key(0), sampler=sampler, progress=False, **fit_kw)
            for s in args.noise:
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ddm.PrivateNoiseWarning)
                    noise = ddm.PrivateNoise(s) if args.variance_penalty is None else ddm.PrivateNoise(s, args.variance_penalty)
                    aware, rep = ddm.fit(sde, N, key=jax.random.key(0), sampler=sampler, private_noise=noise, progress=False,
                                         **fit_kw)
                fit_s = time.perf_counter() - t0
                plain_s = plain.replace(private_noise=jnp.float32(s))
                net_keys = range(1, 1 + args.network_keys)
                v_plain, v_aware = network_runs(plain_s, stats, net_keys), network_runs(aware, stats, net_keys)
                ok_p, ok_a = holds(v_plain, target, args.target_keys), holds(v_aware, target, args.target_keys)
                if ok_a:
                    best.setdefault(s, N)
                rows.append([label, f"{N}", f"{s:g}", f"{float(rep.eps_f):.2g} / {float(rep.unmatched_diffusion):.2g} / {rep.attrs['variance_penalty']:g}",
                             f"{fmt_stats(v_plain)} ({'holds' if ok_p else 'off'})",
                             f"{fmt_stats(v_aware)} ({'holds' if ok_a else 'off'})", f"{fit_s:.1f}", ""])
                print(" | ".join(rows[-1]), flush=True)
        smallest.append([label] + [str(best.get(s, f"> {max(args.sizes)}")) for s in args.noise])
    print_table("Private noise: plain vs noise-aware networks, simulated in all neurons",
                ["target", "N", "s", "aware eps_f / unmatched / lambda", "plain network", "noise-aware network", "fit s", ""],
                rows, note=f"target rows: mean ± sd over {args.target_keys} independent target runs "
                           f"({RUN['n_trials']} trials x {RUN['t_max']:g} tau; Lorenz {LORENZ_RUN['n_trials']} x {LORENZ_RUN['t_max']:g}); "
                           f"network columns: mean ± sd over {args.network_keys} runs of each network (the exponent: mean ± its "
                           f"standard error); holds: every statistic's network mean within mean ± 2 sd sqrt(1 + 1/K) of the "
                           f"target's (as close as one more target run would be), D_stsp's mean at most twice the floor")
    print_table("Smallest N at which the noise-aware network holds", ["target"] + [f"s = {s:g}" for s in args.noise],
                smallest)


if __name__ == "__main__":
    main()
