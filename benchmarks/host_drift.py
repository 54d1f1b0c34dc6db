"""What a numpy drift costs: Lorenz-63 written five ways, each simulated, differentiated (the Lyapunov
estimator's tangent dynamics) and fitted, timed against the built-in JAX drift in the same run.

    python benchmarks/host_drift.py            # the table in README, "Bring your own system"
    python benchmarks/host_drift.py --quick    # shorter runs

The five: the built-in (``ddm.systems.lorenz63``, JAX); numpy of array functions only (translated
to jax.numpy at construction: runs as JAX); numpy with in-place writes, one point at a time and
vectorised (on the host through ``jax.pure_callback``, derivatives by central differences); and
the vectorised one with a numpy Jacobian (``jacobian=``). Times are the minimum over interleaved
rounds after one compiling run (``_common.race``); ratios are against the built-in.
"""

from __future__ import annotations

import argparse
import os
import warnings

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import numpy as np  # noqa: E402

import ddm_explore as ddm  # noqa: E402
from _common import device_line, print_table, race  # noqa: E402

SIGMA, RHO, BETA = 10.0, 28.0, 8.0 / 3.0
REGION = ((-25.0, -30.0, 0.0), (25.0, 30.0, 55.0))


def translatable(z):
    x, y, w = z
    return np.array([SIGMA * (y - x), x * (RHO - w) - y, x * y - BETA * w])


def one_point(z):
    out = np.empty(3)
    out[0] = SIGMA * (z[1] - z[0])
    out[1] = z[0] * (RHO - z[2]) - z[1]
    out[2] = z[0] * z[1] - BETA * z[2]
    return out


def vectorised(Z):
    out = np.empty_like(Z)
    out[..., 0] = SIGMA * (Z[..., 1] - Z[..., 0])
    out[..., 1] = Z[..., 0] * (RHO - Z[..., 2]) - Z[..., 1]
    out[..., 2] = Z[..., 0] * Z[..., 1] - BETA * Z[..., 2]
    return out


def jacobian(z):
    out = np.empty((3, 3))
    out[0] = (-SIGMA, SIGMA, 0.0)
    out[1] = (RHO - z[2], -1.0, -z[0])
    out[2] = (z[1], z[0], -BETA)
    return out


def systems() -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ddm.CallbackDriftWarning)
        kw = dict(dim=3, region=REGION, time_scale=10.0)
        return {"built-in (JAX)": ddm.systems.lorenz63(),
                "numpy, translated": ddm.SDE(drift=translatable, **kw),
                "numpy on the host, one point": ddm.SDE(drift=one_point, **kw),
                "numpy on the host, vectorised": ddm.SDE(drift=vectorised, **kw),
                "host, vectorised + host jacobian": ddm.SDE(drift=vectorised, jacobian=jacobian, **kw)}


def main(quick: bool):
    key = jax.random.key(0)
    n_trials, t_sim, t_lyap = 8, (20.0 if quick else 100.0), (20.0 if quick else 100.0)
    sdes = systems()
    occ_ds = ddm.simulate(sdes["built-in (JAX)"], t_max=200.0, dt=0.01, n_trials=2, key=key, record_every=10, progress=False)
    occ = ddm.occupation(occ_ds.z.sel(time=slice(50.0, None)))
    z0 = np.asarray(occ.sample(key, n_trials))
    rows, base = [], None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ddm.SampleSizeWarning)
        for name, sde in sdes.items():
            times = race({
                "simulate": lambda: ddm.simulate(sde, t_max=t_sim, dt=0.01, n_trials=n_trials, key=key, z0=z0,
                                                 deterministic=True, progress=False).z.values,
                "lyapunov": lambda: ddm.analysis.lyapunov_exponent(sde, key=key, t_max=t_lyap, t_transient=1.0, dt=0.05,
                                                                   n_trials=n_trials, n_exponents=3, z0=z0).spectrum.values,
                "fit": lambda: ddm.fit(sde, 128, key=key, sampler=occ, progress=False)[1].eps_f.values,
            }, rounds=2 if quick else 3)
            base = base or times
            rows.append([name, sde.backend, *[x for k in ("simulate", "lyapunov", "fit") for x in (times[k], times[k] / base[k])]])
    print_table(f"Lorenz-63 drifts: {n_trials} trials, simulate {int(t_sim / 0.01)} Euler steps, Lyapunov (3 exponents) "
                f"{int(t_lyap / 0.05)} RK4 steps, fit N = 128 (4096 points); seconds and ratio to the built-in",
                ["drift", "backend", "simulate s", "x", "lyapunov s", "x", "fit s", "x"], rows, device_line())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    main(parser.parse_args().quick)
