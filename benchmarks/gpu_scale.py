"""Large networks on one accelerator, each against the card's own matmul roofline measured in the
same run: the closed-form fit at N = 16384 (float64 Gram accumulated and factored on the device)
and the simulation of that network with low-rank and with full J (1 GiB of float32).

The precision of float32 matmuls is set explicitly for every timed call: ``"float32"`` (full
float32, no TF32) and ``"tensorfloat32"`` (TF32 tensor cores: 10-bit mantissa products); the
rooflines of both, and of float64 (the fit's Gram), are measured first.

    python benchmarks/gpu_scale.py               # on the GPU machine (benchmarks/gpu_check.sh runs it)
    JAX_PLATFORMS=cpu python benchmarks/gpu_scale.py --dry-run   # tiny sizes on the CPU
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ddm_explore as ddm  # noqa: E402
from _common import device_line, print_table  # noqa: E402
from ddm_explore.matching._closed_form import _float64_on_device  # noqa: E402

PRECISIONS = ("float32", "tensorfloat32")


def _timed(fn, repeats=3):
    """Minimum wall time of ``fn()`` over ``repeats`` runs after one untimed (compiling) run."""
    jax.block_until_ready(fn())
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        jax.block_until_ready(fn())
        best = min(best, time.perf_counter() - t)
    return best


def roofline(n: int, dtype, precision: str) -> float:
    """FLOP/s of a jitted chain of 8 square n x n matmuls (the product fed back, normalised)."""
    a = jax.random.normal(jax.random.key(1), (n, n), dtype) / np.sqrt(n)
    b = jax.random.normal(jax.random.key(2), (n, n), dtype) / np.sqrt(n)

    @jax.jit
    def chain(x):
        for _ in range(8):
            x = x @ b
        return x

    with jax.default_matmul_precision(precision):
        t = _timed(lambda: chain(a))
    return 8 * 2 * n**3 / t


def fit_case(N: int, n_samples: int):
    """The closed-form fit of Van der Pol at N (streamed rates; Gram on the device when it is an
    accelerator): wall time of the whole ``fit`` (first call, compilation included), and the
    FLOPs of its Gram (2 n p^2) and Cholesky (p^3 / 3)."""
    key = jax.random.key(0)
    target = ddm.systems.van_der_pol(sigma=0.1)
    t = time.perf_counter()
    net, report = ddm.fit(target, N, key=key, n_samples=n_samples, solver=ddm.ClosedForm(streaming=True), progress=False)
    wall = time.perf_counter() - t
    p = N + 2 + target.dim
    return net, float(report.eps_f), wall, 2.0 * n_samples * p**2 + p**3 / 3.0


def simulate_case(net, trials: int, steps: int, precision: str):
    """Seconds of ``ddm.simulate`` (second call) with the matmul precision set, and the step's
    FLOPs: ``2 N^2`` per trial for full J, ``4 N d`` for low rank (the factorised product)."""
    run = dict(t_max=steps * 0.01, dt=0.01, n_trials=trials, key=jax.random.key(0), record_every=10, progress=False,
               check_accuracy=False)
    with jax.default_matmul_precision(precision):
        ddm.simulate(net, **run)
        t = time.perf_counter()
        ds = ddm.simulate(net, **run)
        wall = time.perf_counter() - t
    assert np.all(np.isfinite(ds.z.values)), "the simulation diverged"
    N, d = net.n_neurons, net.dim
    per_step = 2.0 * N * N if net.J_full is not None else 4.0 * N * d
    return wall, per_step * trials * steps


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dry-run", action="store_true", help="tiny sizes (checks the script on a CPU)")
    p.add_argument("--neurons", type=int, default=16384)
    args = p.parse_args(argv)
    dry = args.dry_run
    N = 256 if dry else args.neurons
    n_samples = 4096 if dry else 8 * N
    size = 256 if dry else 8192
    trials, steps = (8, 100) if dry else (256, 500)
    print(device_line(), f"| matmul roofline n = {size}", flush=True)

    roof = {prec: roofline(size, jnp.float32, prec) for prec in PRECISIONS}
    with _float64_on_device():
        roof["float64"] = roofline(size // 2, jnp.float64, "highest")
    print_table("matmul rooflines (jitted chain of 8 square products)", ["precision", "TFLOP/s"],
                [[k, f"{v / 1e12:.3g}"] for k, v in roof.items()])

    net, eps_f, wall, flops = fit_case(N, n_samples)
    where = "the device" if jax.default_backend() != "cpu" else "the host"
    rows = [[f"fit N = {N}, n = {n_samples} (float64 Gram + Cholesky on {where})", "float64", f"{wall:.2f}",
             f"{flops / wall / 1e12:.3g}", f"{flops / wall / roof['float64']:.2f}", f"eps_f {eps_f:.2g}"]]
    print(f"fit done: {wall:.1f} s, eps_f {eps_f:.3g}", flush=True)
    full = net.replace(J_full=jnp.asarray(net.J), W=None, connectivity="full")  # 1 GiB at N = 16384
    for label, system in (("low-rank J", net), ("full J", full)):
        for prec in PRECISIONS:
            t, fl = simulate_case(system, trials, steps, prec)
            rows.append([f"simulate {label}, N = {N}, {trials} trials x {steps} steps", prec, f"{t:.3f}",
                         f"{fl / t / 1e12:.3g}", f"{fl / t / roof[prec]:.2f}", f"{1e6 * t / steps:.0f} us/step"])
            print(f"simulate {label} {prec}: {t:.2f} s", flush=True)
    print_table(f"large networks against the roofline of their precision ({device_line()})",
                ["case", "precision", "wall s", "TFLOP/s", "fraction of roofline", "note"], rows,
                "fit: first call (compilation included); simulate: second call; low-rank steps are memory-bound "
                "(O(N d) work), so their fraction of the matmul roofline is small by nature")


if __name__ == "__main__":
    main()
