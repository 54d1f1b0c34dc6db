"""Write and execute the gallery notebooks (their outputs are committed and nbval re-checks them).

    .venv/bin/python scripts/build_notebooks.py            # all
    .venv/bin/python scripts/build_notebooks.py 01 06      # those whose name starts so
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat as nbf

ROOT = Path(__file__).resolve().parent.parent
NB = ROOT / "notebooks"
md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell


def ignore_output(cell):
    """nbval: don't compare this cell's output (plotly JSON carries random trace ids)."""
    cell.metadata.setdefault("tags", []).append("nbval-ignore-output")
    return cell


def show(expr: str):
    return ignore_output(code(expr))


def collapsed(src: str, title: str = "Solution"):
    """A solution cell, collapsed in JupyterLab (source hidden until clicked)."""
    cell = code(src)
    cell.metadata["jupyter"] = {"source_hidden": True}
    cell.metadata.setdefault("tags", []).append("solution")
    return cell


NOTEBOOKS: dict[str, list] = {}

NOTEBOOKS["00_quickstart"] = [
    md("""# 00 · Quickstart: embed Van der Pol in a rate network

**What it shows:** train a 256-neuron rate network by drift–diffusion matching so that its 2-D latent
subspace carries the Van der Pol oscillator, then simulate all 256 neurons and compare the latent
trajectory with the target's. **Time:** about 15 s on 2 CPU cores."""),
    code("""import jax
import numpy as np
import plotly.graph_objects as go
import ddm_explore as ddm

sde = ddm.systems.van_der_pol(mu=1.0, sigma=0.1)
sde"""),
    md("""Fit: the closed-form (ridge) solution for a low-rank network, `J = M W^T`. The report is an
`xarray.Dataset` with the held-out relative errors of drift (`eps_f`) and diffusion (`eps_D`)."""),
    code("""net, report = ddm.fit(sde, n_neurons=256, key=jax.random.key(0), progress=False)
print(f"N = {net.n_neurons}, eps_f = {float(report.eps_f):.4f} (<= 0.005: {float(report.eps_f) <= 0.005}), "
      f"eps_D = {float(report.eps_D):.4f}")"""),
    md("""Simulate the network (all N neurons, Euler–Maruyama) and the target, from the same start and
with noise switched off, then measure the limit cycle."""),
    code("""kw = dict(t_max=40.0, dt=0.01, z0=[1.0, 0.0], record_every=5, deterministic=True, progress=False)
sim_net = ddm.simulate(net, key=jax.random.key(1), **kw)
sim_sde = ddm.simulate(sde, key=jax.random.key(1), **kw)
cyc_net = ddm.analysis.limit_cycle(sim_net.z)
cyc_sde = ddm.analysis.limit_cycle(sim_sde.z)
ratio_T = float(cyc_net.period[0] / cyc_sde.period[0])
ratio_A = float(cyc_net.amplitude[0] / cyc_sde.amplitude[0])
print(f"period ratio = {ratio_T:.3f}, amplitude ratio = {ratio_A:.3f}, within 3%: {abs(ratio_T - 1) < 0.03 and abs(ratio_A - 1) < 0.03}")"""),
    show("""fig = go.Figure()
for name, ds in (("target", sim_sde), ("network", sim_net)):
    z = ds.z.isel(trial=0)
    fig.add_scatter(x=z.sel(latent=0).values, y=z.sel(latent=1).values, mode="lines", name=name)
fig.update_layout(xaxis_title="z1", yaxis_title="z2", width=500, height=450, title="Latent trajectories")
fig.show()"""),
    md("""With noise on: 8 noisy trials of the network, recording the neurons too."""),
    show("""noisy = ddm.simulate(net, t_max=20.0, dt=0.01, n_trials=8, key=jax.random.key(2), record_every=10,
                     record_neurons=True, progress=False)
print(dict(noisy.sizes))
rates = np.tanh(noisy.x.isel(trial=0).values[:, :40].T)
go.Figure(go.Heatmap(z=rates, x=noisy.time.values, colorscale="RdBu", zmid=0)).update_layout(
    title="rates of 40 neurons, trial 0", xaxis_title="time (tau)", yaxis_title="neuron", height=350).show()"""),
]

NOTEBOOKS["01_e1_embedding"] = [
    md("""# 01 · E1 — Embedding drift and diffusion

**What it shows:** drift–diffusion matching recovers the drift *and* the diffusion of five targets in a
256-neuron network: a reversible OU process (w = 0), a nonequilibrium rotational OU process (w = 1), the
double well, an OU process with anisotropic noise, and one with state-dependent noise (matched by
rate-gated, multiplicative network noise). The check compares held-out errors with their bounds and
the stationary histograms of network and target with the sampling floor (two independent target runs).
**Time:** about 45 s on 2 CPU cores."""),
    code("""import jax
import ddm_explore as ddm
from ddm_explore import paper
from ddm_explore.panels.paper_figures import plot_e1

ds = paper.e1_embedding(key=jax.random.key(0))
print(ds.attrs["check"])"""),
    code("""for name in ds.target.values:
    sel = ds.sel(target=name)
    print(f"{str(name):>16}: eps_f = {float(sel.eps_f):.3f}, eps_D = {float(sel.eps_D):.3f}, "
          f"TV = {float(sel.hist_distance):.2f} (floor {float(sel.hist_floor):.2f})")"""),
    show("plot_e1(ds).show()"),
]

NOTEBOOKS["05_e5_decompositions"] = [
    md("""# 05 · E5 — Irreversibility: reversible and irreversible drift, entropy production

**What it shows:** for four wells on a ring with drift `f = -(I + c R) grad V` (the stationary density is
`exp(-V / D)` for every c; `f_irr = -c R grad V`), the entropy production rate `e_p` of the target and of a
fitted 256-neuron network, from a finite-volume Fokker–Planck solve on an 80 x 80 grid, for c = 0, 0.5, 1.
At c = 1 the network's connectivity is split into `J = J_rev + J_irr`: the network with `J_rev` alone is
reversible (`e_p` near zero) with the same stationary density. **Time:** about 20 s on 2 CPU cores."""),
    code("""import jax
from ddm_explore import paper
from ddm_explore.panels.paper_figures import plot_e5

ds = paper.e5_decompositions(key=jax.random.key(0))
print(ds.attrs["check"])"""),
    code("""for c in ds.c.values:
    print(f"c = {c:.1f}: e_p target = {float(ds.entropy_production_target.sel(c=c)):.2f}, "
          f"network = {float(ds.entropy_production_network.sel(c=c)):.2f}, asymmetry index = {float(ds.asymmetry.sel(c=c)):.2f}")
print(f"alignment of J_irr with J_A (Frobenius cosine): {float(ds.alignment_irr_A):.2f}")"""),
    md("""Note the asymmetry index: a low-rank `J = M W^T` is strongly asymmetric even at c = 0, where the latent
SDE is reversible. Asymmetric connectivity and time-irreversibility are not the same thing."""),
    show("plot_e5(ds).show()"),
]

NOTEBOOKS["06_symmetric_vs_asymmetric"] = [
    md("""# 06 · Why Hopfield networks cannot do this

**What it shows:** a network with symmetric connectivity `J = J^T` (the Hopfield class) has a Lyapunov
(energy) function `E(x) = sum_i int_0^{phi(x_i)} phi^{-1}(r) dr - 1/2 phi^T J phi - b^T phi`, which decreases
along every noise-free trajectory. So its dynamics can only settle on fixed points: no limit cycle, no
chaos, no probability currents. We fit the best symmetric network we can (Adam, from a random start) and an
asymmetric low-rank one (closed form) to the Van der Pol oscillator and simulate both without noise.
**Time:** about 25 s on 2 CPU cores."""),
    code("""import jax
from ddm_explore import paper
from ddm_explore.panels.paper_figures import plot_symmetric_vs_asymmetric

ds = paper.symmetric_vs_asymmetric(key=jax.random.key(0))
print(ds.attrs["check"])"""),
    md("""The symmetric network's trajectory runs into a fixed point (black dot); the asymmetric one follows
the target's limit cycle. The asymmetry index `||J_A||_F / ||J||_F` of the symmetric fit is exactly zero."""),
    show("plot_symmetric_vs_asymmetric(ds).show()"),
]


def write(name: str, cells: list) -> Path:
    nb = nbf.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = NB / f"{name}.ipynb"
    nbf.write(nb, path)
    return path


def execute(path: Path) -> None:
    env = dict(os.environ, PLOTLY_RENDERER="plotly_mimetype")
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                    "--ExecutePreprocessor.timeout=600", str(path)], check=True, env=env, cwd=NB)


def main(prefixes: list[str]) -> None:
    for name, cells in NOTEBOOKS.items():
        if prefixes and not any(name.startswith(p) for p in prefixes):
            continue
        path = write(name, cells)
        execute(path)
        print("built", path.name, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
