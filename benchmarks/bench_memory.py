"""Peak memory of long simulations: 10^5 and 10^6 steps with record_every = 1,000, each in a fresh
subprocess, so the peak resident set size (RSS) of one run is not hidden by another's.

    .venv/bin/python benchmarks/bench_memory.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

CHILD = """
import json, resource, sys, time, jax, ddm_explore as ddm
steps = int(sys.argv[1])
net, _ = ddm.fit(ddm.systems.van_der_pol(), 64, key=jax.random.key(0), progress=False)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
ds = ddm.simulate(net, t_max=steps * 0.01, dt=0.01, n_trials=16, key=jax.random.key(1), record_every=1000,
                  progress=False)
wall = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(dict(steps=steps, records=ds.sizes["time"], before=before, peak=peak, wall=wall)))
"""


def main():
    sys.path.insert(0, os.path.dirname(__file__))
    from _common import print_table

    rows = []
    for steps in (100_000, 1_000_000):
        out = subprocess.run([sys.executable, "-c", CHILD, str(steps)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append([f"{steps:,}", str(r["records"]), r["before"], r["peak"], r["wall"]])
    print_table("Memory: low-rank Van der Pol network, N = 64, 16 trials, record_every = 1,000",
                ["steps", "records", "RSS after fit (MiB)", "peak RSS (MiB)", "wall s"], rows,
                note=f"peak RSS ratio 10^6 / 10^5 steps: {rows[1][3] / rows[0][3]:.3f}")


if __name__ == "__main__":
    t = time.perf_counter()
    main()
    print(f"\n(total {time.perf_counter() - t:.1f} s)")
