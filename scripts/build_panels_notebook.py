"""Write and execute notebooks/panels.ipynb, the classroom app (outputs committed; nbval re-checks them).

    .venv/bin/python scripts/build_panels_notebook.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat as nbf

ROOT = Path(__file__).resolve().parent.parent
PATH = ROOT / "notebooks" / "panels.ipynb"
md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell


def show(src):
    """A cell that displays widgets: nbval does not compare its output (widget ids, trace uids)."""
    cell = code(src)
    cell.metadata["tags"] = ["nbval-ignore-output"]
    return cell


CELLS = [
    md("""# Panels · drift–diffusion matching, live

Pick a target SDE and move its sliders; retrain a rate network on it; watch the network's latent
trajectories and its neurons. The panels share one state: a retrain in the Train panel reaches the
trajectory panel. Every panel keeps its current data in `.result` (an `xarray.Dataset`).

Run it as an app: `voila notebooks/panels.ipynb` (or open it in JupyterLab). **Time:** about 30 s
to start on 2 CPU cores (first compilations)."""),
    code("""import jax
import ddm_explore as ddm
from ddm_explore.panels import PanelState, Playground, TrainPanel, TrajectoryPanel

state = PanelState("van_der_pol", mu=1.0, sigma=0.1, key=jax.random.key(0))
net, report = state.retrain(128)
# build every panel before any is shown: under Voila a widget shown while the kernel is still
# busy with a later cell can fail to initialise in the page and leave the app unresponsive
playground, train, trajectories = Playground(state), TrainPanel(state), TrajectoryPanel(state)
print(f"{state.target.name}: N = {net.n_neurons}, eps_f <= 0.01: {float(report.eps_f) <= 0.01}")"""),
    md("""## 1 · SDE playground
Drift field (grey arrows), nullclines f1 = 0 and f2 = 0 (dashed), sample paths (green) and the
stationary histograms of the second half of the paths."""),
    show("playground"),
    md("""## 2 · Train
`low_rank` is solved in closed form (instant); `full` and `symmetric` run Adam for the chosen
number of steps. Settings take effect on **Retrain**."""),
    show("train"),
    md("""## 3 · Latent trajectories
The network (solid) and the target (dotted) from the same starts, and the rates of the first
neurons in trial 0."""),
    show("trajectories"),
    md("""Pull the data out of any panel:"""),
    code("""print(sorted(playground.result.data_vars), sorted(train.result.data_vars), sorted(trajectories.result.data_vars))
print("panels drawn without errors:", all(p.error is None for p in (playground, train, trajectories)))"""),
]


def main() -> int:
    nb = nbf.v4.new_notebook(cells=CELLS)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    PATH.write_text(nbf.writes(nb))
    env = dict(os.environ, PLOTLY_RENDERER="plotly_mimetype", PYTHONHASHSEED="0")
    env.setdefault("JAX_PLATFORMS", "cpu")
    return subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace", "--ExecutePreprocessor.store_widget_state=False",
                           str(PATH)], cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
