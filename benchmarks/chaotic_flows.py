"""Bring your own dynamics: well-known chaotic flows written in numpy, embedded and scored as a user would.

Each flow below is a plain numpy right-hand side with its standard parameters (no JAX, no time
scale, no region). For each one, as a new user would:

1. ``ddm.SDE(drift=f, dim=d)``: an ODE target (no noise), its drift routed by the constructor
   (numpy read as ``jax.numpy`` where it only uses array functions, else a host callback);
2. ``ddm.propose_time_scale`` on states of a scipy run gives T, and ``sde.time_scaled(T)`` the
   target a tau = 1 network follows;
3. references integrated by scipy's DOP853 (rtol 1e-9) in the original time, recorded every
   0.1 tau: a training set (8 trials) and a reference set (16 trials, 2 independent groups of 8),
   every trial ``--length`` tau from its own state on the attractor;
4. ``ddm.fit(sde, N, key=, sampler=ddm.occupation(training set))`` (region from the sampler,
   held-out eps_f on the trials it did not train on);
5. ``ddm.experiments.embedding_report(net, sde, reference=reference set)``: the network simulated
   (all N neurons, dt = 0.01, by the solver the helper recommends, ``attrs["solver"]``, unless
   ``--solver`` names one) as long as a reference trial from jittered reference
   states, D_stsp (bins, d = 3; Gaussian mixtures, d = 4) and D_H against the floor between the two
   reference groups, and the largest Lyapunov exponents of target and network (RK4 tangent method),
   in original time units.

A flow *passes* when the network's exponent is within 20% of the target's and D_stsp is at most
twice the floor. Printed per flow: dimension, T, the exponent of target and network, D_stsp
network / floor, D_H network / floor, held-out eps_f (fit's held-out trials, and on the reference
states), the warnings of ``embedding_report``, the time, and the pass count.

    JAX_PLATFORMS=cpu python benchmarks/chaotic_flows.py                 # all flows, N = 512, the helper's solver
    JAX_PLATFORMS=cpu python benchmarks/chaotic_flows.py --solver euler  # every network run by Euler
    JAX_PLATFORMS=cpu python benchmarks/chaotic_flows.py --only lorenz sprott_b --n-neurons 256
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from scipy.integrate import solve_ivp  # noqa: E402

import ddm_explore as ddm  # noqa: E402
from _common import device_line, print_table  # noqa: E402


def lorenz(z):
    x, y, w = z
    return np.array([10.0 * (y - x), x * (28.0 - w) - y, x * y - 8.0 / 3.0 * w])


def rossler(z):
    x, y, w = z
    return np.array([-y - w, x + 0.2 * y, 0.2 + w * (x - 5.7)])


def chen(z):
    x, y, w = z
    return np.array([35.0 * (y - x), -7.0 * x - x * w + 28.0 * y, x * y - 3.0 * w])


def lu(z):
    x, y, w = z
    return np.array([36.0 * (y - x), -x * w + 20.0 * y, x * y - 3.0 * w])


def rabinovich_fabrikant(z):
    # alpha = 1.1, gamma = 0.87 (the other standard set, alpha = 0.14, gamma = 0.1, is barely chaotic from
    # this start: exponent -0.0015 on our run, 0.017 by a scipy two-trajectory estimate over 300 time units)
    x, y, w = z
    a, g = 1.1, 0.87
    return np.array([y * (w - 1.0 + x * x) + g * x, x * (3.0 * w + 1.0 - x * x) + g * y, -2.0 * w * (a + x * y)])


def thomas(z):
    x, y, w = z
    b = 0.208186
    return np.array([np.sin(y) - b * x, np.sin(w) - b * y, np.sin(x) - b * w])


def halvorsen(z):
    x, y, w = z
    a = 1.89
    return np.array([-a * x - 4 * y - 4 * w - y * y, -a * y - 4 * w - 4 * x - w * w, -a * w - 4 * x - 4 * y - x * x])


def aizawa(z):
    x, y, w = z
    a, b, c, d, e, f = 0.95, 0.7, 0.6, 3.5, 0.25, 0.1
    return np.array([(w - b) * x - d * y, d * x + (w - b) * y,
                     c + a * w - w**3 / 3.0 - (x * x + y * y) * (1.0 + e * w) + f * w * x**3])


def dadras(z):
    x, y, w = z
    return np.array([y - 3.0 * x + 2.7 * y * w, 1.7 * y - x * w + w, 2.0 * x * y - 9.0 * w])


def rucklidge(z):
    x, y, w = z
    return np.array([-2.0 * x + 6.7 * y - y * w, x, -w + y * y])


def shimizu_morioka(z):
    x, y, w = z
    return np.array([y, x - 0.75 * y - x * w, -0.45 * w + x * x])


def genesio_tesi(z):
    x, y, w = z
    return np.array([y, w, -x - 1.1 * y - 0.44 * w + x * x])


def burke_shaw(z):
    x, y, w = z
    return np.array([-10.0 * (x + y), -y - 10.0 * x * w, 10.0 * x * y + 4.272])


def sprott(case):
    """Sprott's simplest chaotic flows (Phys. Rev. E 50, R647, 1994), cases B-S."""
    rhs = dict(
        B=lambda x, y, w: (y * w, x - y, 1 - x * y),
        C=lambda x, y, w: (y * w, x - y, 1 - x * x),
        D=lambda x, y, w: (-y, x + w, x * w + 3 * y * y),
        E=lambda x, y, w: (y * w, x * x - y, 1 - 4 * x),
        F=lambda x, y, w: (y + w, -x + 0.5 * y, x * x - w),
        G=lambda x, y, w: (0.4 * x + w, x * w - y, -x + y),
        H=lambda x, y, w: (-y + w * w, x + 0.5 * y, x - w),
        I=lambda x, y, w: (-0.2 * y, x + w, x + y * y - w),
        J=lambda x, y, w: (2 * w, -2 * y + w, -x + y + y * y),
        K=lambda x, y, w: (x * y - w, x - y, x + 0.3 * w),
        L=lambda x, y, w: (y + 3.9 * w, 0.9 * x * x - y, 1 - x),
        M=lambda x, y, w: (-w, -x * x - y, 1.7 + 1.7 * x + y),
        N=lambda x, y, w: (-2 * y, x + w * w, 1 + y - 2 * w),
        O=lambda x, y, w: (y, x - w, x + x * w + 2.7 * y),
        P=lambda x, y, w: (2.7 * y + w, -x + y * y, x + y),
        Q=lambda x, y, w: (-w, x - y, 3.1 * x + y * y + 0.5 * w),
        R=lambda x, y, w: (0.9 - y, 0.4 + w, x * y - w),
        S=lambda x, y, w: (-x - 4 * y, x + w * w, 1 + x),
    )[case]

    def f(z):
        return np.array(rhs(z[0], z[1], z[2]))

    f.__name__ = f"sprott_{case.lower()}"
    return f


def lorenz_stenflo(z):
    x, y, w, v = z
    return np.array([2.0 * (y - x) + 1.5 * v, x * (26.0 - w) - y, x * y - 0.7 * w, -x - 2.0 * v])


def hyper_rossler(z):
    x, y, w, v = z
    return np.array([-y - w, x + 0.25 * y + v, 3.0 + x * w, -0.5 * w + 0.05 * v])


#: name -> (numpy right-hand side, a starting state in the basin)
FLOWS = {
    "lorenz": (lorenz, [1.0, 1.0, 20.0]),
    "rossler": (rossler, [1.0, 1.0, 0.0]),
    "chen": (chen, [-3.0, 2.0, 20.0]),
    "lu": (lu, [1.0, 1.0, 10.0]),
    "rabinovich_fabrikant": (rabinovich_fabrikant, [-1.0, 0.0, 0.5]),
    "thomas": (thomas, [0.1, 0.0, 0.0]),
    "halvorsen": (halvorsen, [-1.48, -1.51, 2.04]),
    "aizawa": (aizawa, [0.1, 0.0, 0.0]),
    "dadras": (dadras, [1.0, 1.0, 1.0]),
    "rucklidge": (rucklidge, [1.0, 0.0, 4.5]),
    "shimizu_morioka": (shimizu_morioka, [0.1, 0.0, 0.0]),
    "genesio_tesi": (genesio_tesi, [0.1, 0.1, 0.1]),
    "burke_shaw": (burke_shaw, [0.6, 0.0, 0.0]),
    **{f"sprott_{c.lower()}": (sprott(c), start) for c, start in dict(
        B=[0.1, 0.1, 0.1], C=[0.1, 0.1, 0.1], D=[0.1, 0.1, 0.1], E=[0.1, 0.1, 0.1], F=[0.1, 0.1, 0.1],
        G=[0.1, 0.1, 0.1], H=[0.1, 0.1, 0.1], I=[0.1, 0.1, 0.1], J=[2.0, 0.0, 0.0], K=[0.1, 0.1, 0.1],
        L=[0.1, 0.1, 0.1], M=[0.1, 0.1, 0.1], N=[0.1, 0.1, 0.1], O=[0.1, 0.1, 0.1], P=[0.1, 0.1, 0.1],
        Q=[0.1, 0.1, 0.1], R=[0.1, 0.1, 0.1], S=[0.1, 0.1, 0.1]).items()},
    "lorenz_stenflo": (lorenz_stenflo, [1.0, 1.0, 1.0, 1.0]),
    "hyper_rossler": (hyper_rossler, [-10.0, -6.0, 0.0, 10.0]),
}


def attractor(f, start, *, t_transient=200.0, t_run=400.0, n=4000):
    """States on the attractor: a scipy DOP853 run from ``start``, its transient dropped (original time)."""
    sol = solve_ivp(lambda t, z: f(z), (0.0, t_transient + t_run), np.asarray(start, float), method="DOP853",
                    rtol=1e-9, atol=1e-9, t_eval=np.linspace(t_transient, t_transient + t_run, n))
    if not sol.success or not np.all(np.isfinite(sol.y)):
        raise RuntimeError(f"scipy could not integrate from {start}: {sol.message}")
    return sol.y.T


def trajectories(f, states, T, *, n_trials, length, step=0.1, seed):
    """``n_trials`` DOP853 trials of ``length`` tau (original time length / T), recorded every ``step``
    tau, each from its own attractor state: a DataArray (trial, time, latent) in tau."""
    rng = np.random.default_rng(seed)
    starts = states[rng.choice(len(states), n_trials, replace=False)]
    times = np.arange(0.0, length + 1e-9, step)
    out = []
    for z0 in starts:
        sol = solve_ivp(lambda t, z: f(z), (0.0, times[-1] / T), z0, method="DOP853", rtol=1e-9, atol=1e-9,
                        t_eval=times / T)
        out.append(sol.y.T)
    return xr.DataArray(np.stack(out).astype(np.float32), dims=("trial", "time", "latent"),
                        coords=dict(time=times), attrs=dict(source="scipy DOP853, rtol 1e-9"))


def score(name, f, start, args, key):
    t0 = time.perf_counter()
    states = attractor(f, start)
    d = states.shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ddm.CallbackDriftWarning)
        raw = ddm.SDE(drift=f, dim=d, name=name)
    proposal = ddm.propose_time_scale(raw, key=key, points=states, dt=args.dt)
    T = float(proposal.time_scale)
    solver = proposal.attrs["solver"] if args.solver == "auto" else args.solver
    sde = raw.time_scaled(T)
    train = trajectories(f, states, T, n_trials=8, length=args.length, seed=1)
    reference = trajectories(f, states, T, n_trials=16, length=args.length, seed=2)
    net, rep = ddm.fit(sde, args.n_neurons, key=key, sampler=ddm.occupation(train), progress=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ddm.EmbeddingWarning)
        warnings.simplefilter("ignore", ddm.SampleSizeWarning)
        er = ddm.experiments.embedding_report(
            net, sde, key=key, reference=reference, t_transient=20.0, n_seeds=16,
            lyapunov=dict(t_max=args.lyapunov_length, dt=args.dt),
            simulate_kwargs=dict(dt=args.dt, **({} if solver == "euler" else dict(solver=solver))))
    lam_t, lam_n = (float(er.lyapunov.sel(system=s)) for s in ("target", "network"))
    dn, df = (float(er.D_stsp.sel(comparison=c)) for c in ("network", "floor"))
    hn, hf = (float(er.D_H.sel(comparison=c)) for c in ("network", "floor"))
    ok = bool(abs(lam_n - lam_t) <= 0.2 * abs(lam_t) and dn <= 2 * df)
    problems = "; ".join(str(w.message).split(":")[0] for w in caught if issubclass(w.category, ddm.EmbeddingWarning))
    return ok, [name, f"{d}", f"{T:.3g}", solver, f"{lam_t:.3g}", f"{lam_n:.3g}", f"{dn:.3g} / {df:.3g}", f"{hn:.3g} / {hf:.3g}",
                f"{float(rep.eps_f):.2g} / {float(er.eps_f):.2g}", problems or "-", f"{time.perf_counter() - t0:.0f}",
                "pass" if ok else "FAIL"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n-neurons", type=int, default=512)
    p.add_argument("--solver", default="auto", help="ddm.simulate's solver for the network runs (default: the one "
                                                    "ddm.propose_time_scale recommends, attrs['solver'])")
    p.add_argument("--dt", type=float, default=0.01)
    p.add_argument("--length", type=float, default=300.0, help="tau per reference trial")
    p.add_argument("--lyapunov-length", type=float, default=300.0, help="tau averaged per exponent trial")
    p.add_argument("--only", nargs="*", default=None, help="flow names to run")
    args = p.parse_args()
    print(device_line())
    key = jax.random.key(0)
    rows, passed = [], 0
    names = [n for n in FLOWS if not args.only or n in args.only]
    for name in names:
        f, start = FLOWS[name]
        try:
            ok, row = score(name, f, start, args, key)
        except Exception as exc:  # a flow that cannot be run is a failure with its reason, not the end of the table
            ok, row = False, [name, "", "", "", "", "", "", "", "", f"{type(exc).__name__}: {str(exc)[:120]}", "", "FAIL"]
        passed += ok
        rows.append(row)
        print(" | ".join(row), flush=True)
    print_table(f"Chaotic flows in numpy, N = {args.n_neurons}, network runs by {args.solver} at dt = {args.dt}",
                ["flow", "d", "T", "solver", "exponent target", "exponent network", "D_stsp net / floor", "D_H net / floor",
                 "eps_f held out (fit / reference)", "warnings", "s", "verdict"], rows,
                note=f"passed {passed} of {len(rows)}: exponent within 20% and D_stsp <= 2x floor "
                     f"(exponents in original time units; {args.length:g} tau per reference trial)")


if __name__ == "__main__":
    main()
