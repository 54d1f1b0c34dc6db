"""Compile time as the user meets it: the quickstart's first fit + simulate in a fresh process.

    .venv/bin/python benchmarks/bench_compile.py
"""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = """
import json, time
t0 = time.perf_counter()
import jax, ddm_explore as ddm
t1 = time.perf_counter()
vdp = ddm.systems.van_der_pol(mu=1.0, sigma=0.1)
net, report = ddm.fit(vdp, 256, key=jax.random.key(0), progress=False)
t2 = time.perf_counter()
ds = ddm.simulate(net, t_max=20.0, dt=0.01, n_trials=64, key=jax.random.key(1), record_every=10, progress=False)
t3 = time.perf_counter()
ds = ddm.simulate(net, t_max=20.0, dt=0.01, n_trials=64, key=jax.random.key(2), record_every=10, progress=False)
t4 = time.perf_counter()
print(json.dumps(dict(imp=t1 - t0, fit=t2 - t1, sim=t3 - t2, sim_again=t4 - t3)))
"""

if __name__ == "__main__":
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print("\n## First fit + simulate in a fresh process (quickstart: Van der Pol, N = 256, 64 trials, 2,000 steps)\n")
    print("| stage | wall s |\n|---|---|")
    for name, key in (("import ddm_explore", "imp"), ("first fit (closed form, compiles)", "fit"),
                      ("first simulate (compiles)", "sim"), ("second simulate (compiled)", "sim_again")):
        print(f"| {name} | {r[key]:.2f} |")
    print(f"| **first fit + simulate** | **{r['fit'] + r['sim']:.2f}** |")
