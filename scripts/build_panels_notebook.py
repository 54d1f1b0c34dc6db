"""Write and execute notebooks/panels.ipynb, the classroom app (outputs committed; nbval re-checks them).

    .venv/bin/python scripts/build_panels_notebook.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _notebook_build import build, code, md, show  # noqa: E402

CELLS = [
    md("""# Panels · drift–diffusion matching, live

Pick a target SDE and move its sliders; retrain a rate network on it; watch the network's latent
trajectories and its neurons, its attractor transitions and how its connectivity encodes the
dynamics. The panels share one state: a change of target or a retrain in one panel reaches the
others. Every panel keeps its current data in `.result` (an `xarray.Dataset`).

Run it as an app: `voila notebooks/panels.ipynb` (or open it in JupyterLab). **Time:** about a
minute to start on 2 CPU cores (first compilations)."""),
    code("""import jax
import ddm_explore as ddm
from ddm_explore.panels import (DecompositionPanel, PanelState, Playground, TrainPanel, TrajectoryPanel,
                                TransitionPanel)

# four wells on a ring with a rotational current c: memories (c = 0) and sequences (c > 0)
state = PanelState("ring_wells", c=0.5, D=0.1, h=0.3, key=jax.random.key(0))
net, report = state.retrain(128)
# every panel is built, its figure in its final state, before any is shown
playground, train, trajectories = Playground(state), TrainPanel(state), TrajectoryPanel(state)
transitions, decompositions = TransitionPanel(state), DecompositionPanel(state)
print(f"{state.target.name}: N = {net.n_neurons}, eps_f <= 0.01: {float(report.eps_f) <= 0.01}")"""),
    md("""## 1 · SDE playground
Drift field (grey arrows), nullclines f1 = 0 and f2 = 0 (dashed), sample paths (green) and the
stationary histograms of the second half of the paths. Other targets are in the menu."""),
    show("playground"),
    md("""## 2 · Train
`low_rank` is solved in closed form (instant); `full` and `symmetric` run Adam for the chosen
number of steps. Settings take effect on **Retrain**."""),
    show("train"),
    md("""## 3 · Latent trajectories
The network (solid) and the target (dotted) from the same starts, and the rates of the first
neurons in trial 0. The network runs in all its neurons; **private noise** gives each neuron its
own noise: with **plain fit** the network fitted without it falls apart as s grows, with
**fitted for this noise** a network fitted for that s holds."""),
    show("trajectories"),
    md("""## 4 · Attractor transitions (ring_wells)
Eight trials start in the wells (trial i in well i mod 4). A **cue** button pushes towards that
well from t = 5 for the chosen time (associative recall: try c = 0); **c** drives the trials
around the ring on their own (episodic sequences). Middle: the well each trial is in (grey: in
transit); right: how often each transition happened. The network is simulated when it was
fitted to the current target, otherwise the target itself (the readout says which): after a
change of c, press Retrain to see the network again."""),
    show("transitions"),
    md("""## 5 · Decompositions
Top: the network's connectivity J, its symmetric and antisymmetric parts J_S, J_A, and its split
J = J_rev + J_irr into the part that gives the stationary density and the part that drives the
current. Bottom: the reversible and irreversible drifts, the probability current over the
stationary density, and (button) the entropy production against c, for the target and for a
network fitted at each c."""),
    show("decompositions"),
    md("""Pull the data out of any panel:"""),
    code("""panels = (playground, train, trajectories, transitions, decompositions)
for p in panels:
    print(type(p).__name__, sorted(p.result.data_vars)[:8])
print("transitions simulated:", transitions.result.attrs["simulated"])
print("panels drawn without errors:", all(p.error is None for p in panels))"""),
]


NOTEBOOKS = {"panels": CELLS}


if __name__ == "__main__":
    build(NOTEBOOKS, [])
