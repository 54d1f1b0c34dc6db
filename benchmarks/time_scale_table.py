"""The time-scale rule measured: ``ddm.propose_time_scale`` on every built-in target, and Lorenz-63
fitted and run at time scales around the proposal.

    python benchmarks/time_scale_table.py            # both tables in README, "Bring your own system"
    python benchmarks/time_scale_table.py --quick    # the first table only

Table 1: the proposal T (rule: max(T_rate, T_step)), its two parts, the rates they come from (per
original time unit) and the dominant period, next to the time scale each built-in ships with.
Table 2: Lorenz-63 at T from 1 to 50 (each fitted by a 256-neuron low-rank network on its own
occupation measure): the held-out drift error, and the largest Lyapunov exponent (original
units; 0.906 is the reference) of target and network, both integrated by Euler at dt = 0.01, the
step the rule is stated for, and by RK4 at dt = 0.01 as the integrator-free reference.
"""

from __future__ import annotations

import argparse
import os
import warnings

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import numpy as np  # noqa: E402

import ddm_explore as ddm  # noqa: E402
from _common import device_line, print_table  # noqa: E402

S = ddm.systems
BUILT_INS = dict(lorenz63=S.lorenz63, rossler=S.rossler, van_der_pol=S.van_der_pol, stuart_landau=S.stuart_landau,
                 double_well=S.double_well, ring_wells=S.ring_wells, ornstein_uhlenbeck=S.ornstein_uhlenbeck,
                 multiplicative_ou=S.multiplicative_ou)


def proposals(key):
    rows = []
    for name, factory in BUILT_INS.items():
        sde = factory()
        r = ddm.propose_time_scale(sde, key=key)
        rows.append([name, sde.time_scale, float(r.time_scale), float(r.time_scale_rate), float(r.time_scale_step),
                     float(r.fastest_rate), float(r.fastest_rate_max), float(r.dominant_period)])
    print_table("propose_time_scale (dt = 0.01, Euler, rho = 2, quantile 0.9, tolerance 5%)",
                ["target", "built-in T", "proposed T", "T_rate", "T_step", "lambda_0.9", "lambda_max", "period"], rows)


def lorenz_sweep(key, scales=(1.0, 2.5, 5.0, 10.0, 20.0, 50.0)):
    rows = []
    for T in scales:
        sde = S.lorenz63(time_scale=T)
        occ_ds = ddm.simulate(sde, t_max=100.0 * T, dt=min(0.01, 0.001 * T), n_trials=4, key=key, record_every=10,
                              progress=False)
        occ = ddm.occupation(occ_ds.z.sel(time=slice(10.0 * T, None)))
        net, rep = ddm.fit(sde, 256, key=key, sampler=occ, progress=False)
        z0 = np.asarray(occ.sample(jax.random.key(1), 4))
        row = [T, float(rep.eps_f)]
        for scheme in ("euler", "rk4"):
            for s in (sde, net):
                try:
                    res = ddm.analysis.lyapunov_exponent(s, key=key, t_max=100.0 * T, t_transient=5.0 * T, dt=0.01,
                                                         n_trials=4, z0=z0, scheme=scheme)
                    row.append(f"{float(res.exponent_original):.3f} +- {float(res.exponent_sem) * T:.3f}")
                except (ValueError, FloatingPointError) as err:
                    row.append(type(err).__name__)
        rows.append(row)
    print_table("Lorenz-63 at time scale T: N = 256 low rank on its occupation measure; largest exponent (original "
                "units, 4 trials of 100 original units) at dt = 0.01",
                ["T", "eps_f", "target Euler", "network Euler", "target RK4", "network RK4"], rows)


def main(quick: bool):
    key = jax.random.key(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ddm.SampleSizeWarning)
        proposals(key)
        if not quick:
            lorenz_sweep(key)
    print("\n" + device_line())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    main(parser.parse_args().quick)
