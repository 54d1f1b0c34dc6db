"""Learning from data: networks fitted to simulated trajectories of built-in targets, against the truth.

Sections (``--only`` picks some):

- ``validation``: 64 trials (Lorenz 32) observed at Delta = 0.02 from five targets (double well,
  Van der Pol with noise, the 4-well ring with a current, Lorenz-63 with small noise, multiplicative
  OU; the double well 64 trials of 1000 tau, long against its ~54-tau hopping time);
  ``ddm.fit(data, 512, key=, solver=ddm.FromData(truth=sde))``; the network is then simulated (all N
  neurons, its own key) and its statistics compared with an independent run of the target, whose
  distance to a second target run is the floor, every run as long as the data; beside them the
  data's own distance and ``report.occupation_samples``.
- ``density``: the double well's stationary density, 64 trials of 200, 500 and 1000 tau from four data
  keys: the right-well mass and the exact 1-D energy distance of the data's occupation, of the fitted
  network's latent equation (its Fokker-Planck density) and of the network simulated, beside the floor.
- ``size``: Van der Pol, eps_f and eps_D against the number of trials and their length (N = 256).
- ``delta``: Van der Pol and the ring, eps_f and eps_D against Delta for the Euler target (order 1)
  and the multi-step targets (orders 2 and 3).
- ``bins``: the aggregation of the design on a grid, against one row per window.
- ``speed``: the fit from 64 trials x 10^4 observations at N = 512, beside Stochastic Force
  Inference on the same data.
- ``sfi``: the same trajectories through ``stochasticforceinference`` (the optional benchmark extra,
  ``pip install -e ".[bench]"``): drift error, diffusion estimate, entropy production (SFI's with a
  polynomial basis of degree 1-3, a lower bound; its error bar a jackknife over 8 groups of trials)
  and wall time, side by side with ours (the fitted network's latent equation, grid route).

    JAX_PLATFORMS=cpu python benchmarks/from_data_table.py
    JAX_PLATFORMS=cpu python benchmarks/from_data_table.py --only speed sfi
"""

from __future__ import annotations

import argparse
import time
import warnings

import jax
import numpy as np

import ddm_explore as ddm
from _common import device_line, print_table

A = ddm.analysis
#: the network's runs have their own key: run with the reference's key, its latent noise is the reference's
#: (their paths correlate 0.7 on the double well), which pulls its distribution towards the reference's
KEY_DATA, KEY_FIT, KEY_RUN, KEY_FLOOR, KEY_NET = 1, 0, 2, 3, 4


def observe(sde, *, n_trials, t_max, delta, dt=0.005, key=KEY_DATA, z0=None):
    """Trajectories of ``sde`` simulated at ``dt`` and observed every ``delta``: a DataArray."""
    every = int(round(delta / dt))
    return ddm.simulate(sde, t_max=t_max, dt=dt, n_trials=n_trials, key=jax.random.key(key), record_every=every,
                        z0=z0, progress=False).z


def run(system, *, n_trials, t_max, key, z0=None):
    return ddm.simulate(system, t_max=t_max, dt=0.01, n_trials=n_trials, key=jax.random.key(key), record_every=2,
                        z0=z0, progress=False).z


def cycle_stats(sde, net, _data):
    kw = dict(n_trials=16, t_max=200.0, z0=np.tile([2.0, 0.0], (16, 1)))
    lc = {name: A.limit_cycle(run(s, key=KEY_RUN, **kw), discard=0.25) for name, s in (("target", sde), ("network", net))}
    T, a = (float(lc["network"][v].mean() / lc["target"][v].mean()) for v in ("period", "amplitude"))
    return f"period ratio {T:.4f}, amplitude ratio {a:.4f}"


def run_size(data):
    """The data's trials and length: the target's runs that measure the floor must be as long as the
    data the network learned from (a longer floor run resolves the density better than the data can)."""
    return dict(n_trials=data.sizes["trial"], t_max=float(np.round(float(data.time[-1] - data.time[0]), 3)))


def density_floor(sde, net, data):
    """Target runs and a network run (its own key) of the data's size; the network's stationary distance
    to the reference run beside the floor (a second target run) and the data's own distance."""
    kw = run_size(data)
    ref, floor, z_net = run(sde, key=KEY_RUN, **kw), run(sde, key=KEY_FLOOR, **kw), run(net, key=KEY_NET, **kw)
    burn = dict(time=slice(20.0, None))
    d_net, d_floor, d_data = (float(A.stationary_distance(ref.sel(**burn), z.sel(**burn))) for z in (z_net, floor, data))
    return ref, floor, z_net, f"stationary distance {d_net:.3f} (floor {d_floor:.3f}, ratio {d_net / d_floor:.2f}; the data's own {d_data:.3f})"


def double_well_stats(sde, net, data):
    ref, floor, z_net, dens = density_floor(sde, net, data)
    c = np.array([[-1.0], [1.0]])
    n = [int(A.transitions(z, c, 0.5, min_transitions=0).counts.sum()) for z in (ref, floor, z_net)]
    return f"transitions {n[2]} (target {n[0]}, {n[1]}); {dens}"


def ring_stats(sde, net, data):
    ref, floor, z_net, dens = density_floor(sde, net, data)
    C = ddm.systems.ring_centres()
    tr = [A.transitions(z, C, 0.45, min_transitions=0) for z in (ref, floor, z_net)]
    fb = [f"{int(t.n_forward)}/{int(t.n_backward)}" for t in tr]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ep = [float(A.irreversibility(s, region=sde.region).entropy_production) for s in (sde, net)]
    return f"forward/backward {fb[2]} (target {fb[0]}, {fb[1]}); e_p {ep[1]:.3f} (target {ep[0]:.3f}); {dens}"


def lorenz_stats(sde, net, data):
    kw = dict(n_trials=8, t_max=400.0, z0=data.isel(trial=slice(0, 8), time=-1).values)
    ref, floor, z_net = (run(s, key=k, **kw).sel(time=slice(50.0, None)) for s, k in ((sde, KEY_RUN), (sde, KEY_FLOOR), (net, KEY_NET)))
    D, D0 = float(A.state_space_divergence(ref, z_net)), float(A.state_space_divergence(ref, floor))
    ly = A.lyapunov_exponent(net, key=jax.random.key(4), t_max=300.0, t_transient=20.0, dt=0.01, n_trials=8,
                             scheme="euler", z0=kw["z0"])
    lam = float(ly.exponent) * sde.time_scale
    return (f"D_stsp {D:.3f} (floor {D0:.3f}, ratio {D / D0:.2f}); exponent {lam:.3f} +- {float(ly.exponent_sem) * sde.time_scale:.3f} "
            f"(target {ddm.systems.LORENZ_EXPONENT}, {100 * (lam / ddm.systems.LORENZ_EXPONENT - 1):+.1f}%)")


def ou_stats(sde, net, data):
    return density_floor(sde, net, data)[3]


SYSTEMS = {
    # the double well hops every ~54 tau (Kramers): 64 x 1000 tau hold ~1200 hops (64 x 200 tau: ~240, whose
    # occupation is off the stationary density by ~0.03 in a well's mass; the ``density`` section)
    "double well (s = 0.1)": (lambda: ddm.systems.double_well(s=0.1), "additive", 1000.0, double_well_stats),
    "Van der Pol (sigma = 0.2)": (lambda: ddm.systems.van_der_pol(sigma=0.2), "additive", 200.0, cycle_stats),
    "4-well ring (c = 0.4, D = 0.1)": (lambda: ddm.systems.ring_wells(c=0.4), "additive", 200.0, ring_stats),
    "Lorenz-63 (noise 0.3)": (lambda: ddm.systems.lorenz63(noise=0.3), "additive", 400.0, lorenz_stats),
    "multiplicative OU": (lambda: ddm.systems.multiplicative_ou(), "multiplicative", 200.0, ou_stats),
}


def validation(args):
    rows = []
    for label, (make, noise, t_max, stats) in SYSTEMS.items():
        sde = make()
        n_trials = 32 if "Lorenz" in label else 64
        z0 = None
        if "Lorenz" in label:  # start on the attractor
            z0 = observe(sde, n_trials=n_trials, t_max=20.0, delta=0.02, key=9).isel(time=-1).values
        data = observe(sde, n_trials=n_trials, t_max=t_max, delta=0.02, z0=z0)
        t0 = time.perf_counter()
        net, rep = ddm.fit(data, args.n_neurons, key=jax.random.key(KEY_FIT), noise=noise, solver=ddm.FromData(truth=sde))
        fit_s = time.perf_counter() - t0
        rows.append([label, f"{n_trials} x {data.sizes['time']}", f"{float(rep.eps_f):.4f}", f"{float(rep.eps_D):.4f}",
                     f"{float(rep.drift_bias):.3f}", f"{float(rep.drift_standard_error):.4f}",
                     f"{float(rep.occupation_samples):.0f} ({float(rep.correlation_time):.2f})", f"{fit_s:.2f}",
                     stats(sde, net, data)])
        print(rows[-1], flush=True)
    print_table(f"Networks fitted to data (N = {args.n_neurons}, Delta = 0.02, order 2), simulated against the target",
                ["target", "trials x observations", "eps_f", "eps_D", "Euler bias (measured)", "predicted drift error (noise)",
                 "occupation samples (correlation time)", "fit s", "the network simulated (all neurons) against target runs"], rows,
                note="eps_f, eps_D: against the truth on the data's states; Euler bias: the relative difference of the "
                     "Euler drift estimate from the order-2 one on the same data (report.drift_bias); predicted drift error: "
                     "report.drift_standard_error; in brackets the target's two independent runs (the floor), every run "
                     "as long as the data (trials and length), and the data's own distance to the reference run")


def exact_density(f, D, x):
    """The 1-D stationary density of dz = f dt + sqrt(2 D) dW on the grid x: p ~ exp(int f / D) / D."""
    g = f / D
    integral = np.concatenate([[0.0], np.cumsum(0.5 * (g[1:] + g[:-1]) * np.diff(x))])
    p = np.exp(integral - integral.max()) / D
    return p / np.trapezoid(p, x)


def energy_distance_1d(p, q_or_states, x, scale):
    """The energy distance of stationary_distance (states divided by ``scale``), exactly in 1-D:
    ``sqrt(2 int (F - G)^2 dx / scale)``, F the CDF of the density p on x, G that of a density or of states."""
    F = np.concatenate([[0.0], np.cumsum(0.5 * (p[1:] + p[:-1]) * np.diff(x))])
    q = q_or_states
    if q.shape == x.shape:
        G = np.concatenate([[0.0], np.cumsum(0.5 * (q[1:] + q[:-1]) * np.diff(x))])
    else:
        G = np.searchsorted(np.sort(q), x, side="right") / len(q)
    return float(np.sqrt(2.0 * np.trapezoid((F - G) ** 2, x) / scale))


def density_table(args):
    """Where the double well's stationary density error comes from: the data's own occupation."""
    sde = ddm.systems.double_well(s=0.1)
    x = np.linspace(-2.5, 2.5, 5001)
    p_true = exact_density(x - x**3, float(sde.params["s"]), x)
    scale = float(np.sqrt(np.trapezoid(p_true * x**2, x)))
    rows = []
    for t_max in (200.0, 500.0, 1000.0):
        for key in (KEY_DATA, 11, 12, 13):
            data = observe(sde, n_trials=64, t_max=t_max, delta=0.02, key=key)
            net, rep = ddm.fit(data, args.n_neurons, key=jax.random.key(KEY_FIT), solver=ddm.FromData(truth=sde))
            X = x[:, None].astype(np.float32)
            p_net = exact_density(np.asarray(net.latent_drift(X), np.float64)[:, 0],
                                  np.asarray(net.latent_diffusion(X), np.float64)[:, 0, 0], x)
            states = data.values.reshape(-1)
            n_eff = float(rep.occupation_samples)
            rows.append([f"64 x {t_max:g}", f"{key}", f"{np.mean(states > 0):.3f}", f"{np.trapezoid(p_net[x > 0], x[x > 0]):.3f}",
                         f"{0.5 / np.sqrt(n_eff):.3f}", f"{energy_distance_1d(p_true, states, x, scale):.3f}",
                         f"{energy_distance_1d(p_true, p_net, x, scale):.3f}", f"{energy_distance_1d(p_net, states, x, scale):.3f}",
                         f"{float(rep.eps_f):.4f}", double_well_stats(sde, net, data) if key == KEY_DATA else ""])
            print(rows[-1], flush=True)
    print_table(f"Double well (s = 0.1, Delta = 0.02, N = {args.n_neurons}): the fitted network's stationary density "
                "follows the data's own occupation",
                ["trials x tau", "data key", "right-well mass: data", "network (latent equation)", "0.5 / sqrt(occupation samples)",
                 "energy distance to the exact density: data", "network", "network to data", "eps_f", "the network simulated"],
                rows, note="exact distances in 1-D from the CDFs (the exact density exp(-V / s); the network's from its latent drift "
                           "and diffusion, p ~ exp(int f / D) / D); the truth's right-well mass is 0.5; simulated runs as long as the data")


def size_table(args):
    sde = ddm.systems.van_der_pol(sigma=0.2)
    data = observe(sde, n_trials=64, t_max=200.0, delta=0.02)
    rows = []
    for n_trials in (8, 16, 32, 64):
        for t_len in (50.0, 100.0, 200.0):
            z = data.isel(trial=slice(0, n_trials)).sel(time=slice(0.0, t_len))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ddm.SampleSizeWarning)
                net, rep = ddm.fit(z, 256, key=jax.random.key(KEY_FIT), solver=ddm.FromData(truth=sde))
            rows.append([f"{n_trials}", f"{t_len:g}", f"{rep.attrs['n_increments']}", f"{float(rep.eps_f):.4f}",
                         f"{float(rep.drift_standard_error):.4f}", f"{float(rep.eps_D):.4f}", f"{rep.attrs['ridge']:.0e}"])
    print_table("Van der Pol (sigma = 0.2, Delta = 0.02, N = 256): errors against the amount of data",
                ["trials", "length (tau)", "increments", "eps_f", "predicted drift error", "eps_D", "ridge chosen"], rows)


def delta_table(args):
    rows = []
    for label, make in (("Van der Pol (sigma = 0.2)", lambda: ddm.systems.van_der_pol(sigma=0.2)),
                        ("4-well ring (c = 0.4)", lambda: ddm.systems.ring_wells(c=0.4))):
        sde = make()
        fine = observe(sde, n_trials=64, t_max=200.0, delta=0.01, dt=0.001)
        for delta in (0.01, 0.02, 0.05):
            z = fine.isel(time=slice(None, None, int(round(delta / 0.01))))
            out = [label, f"{delta:g}"]
            for order in (1, 2, 3):
                net, rep = ddm.fit(z, 256, key=jax.random.key(KEY_FIT), solver=ddm.FromData(order=order, truth=sde))
                out.append(f"{float(rep.eps_f):.4f} / {float(rep.eps_D):.4f}")
            out.append(f"{float(rep.drift_standard_error):.4f}")
            rows.append(out)
    print_table("eps_f / eps_D against Delta and the order of the target (64 trials x 200 tau, N = 256, simulated at dt = 0.001)",
                ["target", "Delta", "order 1 (Euler)", "order 2", "order 3", "predicted drift error (noise)"], rows)


def sfi_fit(data, degree, sde=None):
    """SFI on the trajectories (trials as independent particles): weak-noise constant diffusion, a
    polynomial force basis of ``degree``; returns (inference, seconds)."""
    from SFI import OverdampedLangevinInference, TrajectoryCollection
    from SFI.bases.monomials import monomials_up_to

    X = np.swapaxes(np.asarray(data.values, np.float64), 0, 1)
    t0 = time.perf_counter()
    inf = OverdampedLangevinInference(TrajectoryCollection.from_arrays(X=X, dt=float(data.time[1] - data.time[0])))
    inf.compute_diffusion_constant(method="WeakNoise")
    inf.infer_force_linear(monomials_up_to(degree, dim=data.sizes["latent"], rank="vector"))
    ep = inf.compute_entropy_production()
    jax.block_until_ready(inf.diffusion_average)
    return inf, ep, time.perf_counter() - t0


def sfi_jackknife(data, degree, groups=8):
    """Jackknife standard error of SFI's entropy production over ``groups`` groups of trials."""
    idx = np.array_split(np.arange(data.sizes["trial"]), groups)
    vals = np.array([sfi_fit(data.isel(trial=np.setdiff1d(np.arange(data.sizes["trial"]), g)), degree)[1]["Sdot"] for g in idx])
    return float(np.sqrt((groups - 1) / groups * np.sum((vals - vals.mean()) ** 2)))


def sfi_table(args):
    try:
        import SFI  # noqa: F401
    except ImportError:
        print("\nstochasticforceinference is not installed (pip install -e '.[bench]'): SFI's side is left out")
        return
    rows = []
    for label, make in (("Van der Pol (sigma = 0.2)", lambda: ddm.systems.van_der_pol(sigma=0.2)),
                        ("4-well ring (c = 0.4)", lambda: ddm.systems.ring_wells(c=0.4))):
        sde = make()
        data = observe(sde, n_trials=64, t_max=200.0, delta=0.02)
        Z = data.values.reshape(-1, 2)[::97]
        F = np.asarray(sde.latent_drift(Z), np.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ep_true = float(A.irreversibility(sde, region=sde.region).entropy_production)
        D_true = float(np.asarray(sde.latent_diffusion(Z[:1]))[0, 0, 0])
        t0 = time.perf_counter()
        net, rep = ddm.fit(data, args.n_neurons, key=jax.random.key(KEY_FIT), solver=ddm.FromData(truth=sde))
        ours_s = time.perf_counter() - t0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ep_net = float(A.irreversibility(net, region=sde.region).entropy_production)
        rows.append([label, f"ddm.fit (N = {args.n_neurons})", f"{float(rep.eps_f):.4f}",
                     f"{float(rep.diffusion[0, 0]):.5f}, {float(rep.diffusion[1, 1]):.5f}", f"{ep_net:.3f}", f"{ours_s:.2f}",
                     f"truth: D = {D_true:g}, e_p = {ep_true:.3f}"])
        for degree in (1, 2, 3):
            inf, ep, sfi_s = sfi_fit(data, degree)
            Fi = np.asarray(inf.force_inferred(jax.numpy.asarray(Z)), np.float64)
            eps = float(np.sqrt(np.mean((Fi - F) ** 2) / np.mean(F**2)))
            D = np.asarray(inf.diffusion_average)
            se = sfi_jackknife(data, degree) if degree == 3 else float("nan")
            rows.append([label, f"SFI, polynomials of degree {degree}", f"{eps:.4f}", f"{D[0, 0]:.5f}, {D[1, 1]:.5f}",
                         f"{ep['Sdot']:.3f}" + (f" +- {se:.3f} (jackknife)" if degree == 3 else ""), f"{sfi_s:.2f}", ""])
            print(rows[-1], flush=True)
    print_table("The same trajectories (64 trials x 200 tau, Delta = 0.02) through ddm.fit and Stochastic Force Inference",
                ["target", "method", "eps_f (truth, data's states)", "D_11, D_22", "entropy production", "wall s", ""], rows,
                note="SFI: OverdampedLangevinInference, compute_diffusion_constant('WeakNoise'), infer_force_linear on "
                     "monomials_up_to(degree), compute_entropy_production() (Sdot, a lower bound that rises with the basis); "
                     "its wall time includes its JIT compilation. Ours: the network's latent equation by the grid route "
                     "(ddm.analysis.irreversibility). Every built-in drift here is a cubic polynomial, SFI's degree-3 basis holds it exactly.")


def speed(args):
    sde = ddm.systems.van_der_pol(sigma=0.1)
    data = observe(sde, n_trials=64, t_max=100.0, delta=0.01).isel(time=slice(0, 10_000))
    fit = lambda: ddm.fit(data, 512, key=jax.random.key(KEY_FIT))  # noqa: E731
    fit()
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        net, rep = fit()
        times.append(time.perf_counter() - t0)
    line = (f"ddm.fit from {data.sizes['trial']} trials x {data.sizes['time']} observations at N = 512: "
            f"{min(times):.2f} s (best of 3, after one warm-up; {rep.attrs['n_design_rows']} design rows for "
            f"{rep.attrs['n_increments']} increments)")
    try:
        import SFI  # noqa: F401

        _, _, first = sfi_fit(data, 3)
        _, _, second = sfi_fit(data, 3)
        line += f"; SFI (polynomials of degree 3) on the same data: {first:.2f} s first call, {second:.2f} s second"
        line += f"; ratio SFI / ddm.fit {second / min(times):.1f}"
    except ImportError:
        line += "; stochasticforceinference not installed, SFI's time left out"
    print("\n" + line)


def bins_table(args):
    sde = ddm.systems.van_der_pol(sigma=0.2)
    data = observe(sde, n_trials=32, t_max=200.0, delta=0.02)
    rows = []
    for bins in (64, 128, 256, 512, None):
        t0 = time.perf_counter()
        net, rep = ddm.fit(data, 256, key=jax.random.key(KEY_FIT), solver=ddm.FromData(bins=bins, truth=sde))
        rows.append([str(bins), f"{rep.attrs['n_design_rows']}", f"{float(rep.eps_f):.5f}", f"{float(rep.eps_D):.5f}",
                     f"{time.perf_counter() - t0:.2f}"])
    print_table("The design aggregated on a grid of `bins` cells per dimension (Van der Pol, sigma = 0.2, 32 x 200 tau, "
                "Delta = 0.02, N = 256)", ["bins", "design rows", "eps_f", "eps_D", "fit s"], rows,
                note="bins = None: one row per window")


SECTIONS = dict(speed=speed, validation=validation, density=density_table, size=size_table, delta=delta_table, sfi=sfi_table, bins=bins_table)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", nargs="*", default=list(SECTIONS), choices=list(SECTIONS))
    p.add_argument("--n-neurons", type=int, default=512)
    args = p.parse_args()
    print(device_line(), flush=True)
    for name in args.only:
        SECTIONS[name](args)


if __name__ == "__main__":
    main()
