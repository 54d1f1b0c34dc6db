"""Write and execute notebooks/panels.ipynb, the classroom app (outputs committed; nbval re-checks them).

    .venv/bin/python scripts/build_panels_notebook.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _notebook_build import build, code, describe_widgets, md, show  # noqa: E402

CELLS = [
    md("""# Drift–diffusion matching, live

Pick a target system and move its sliders; train a network of rate neurons to follow it; watch
the network's latent state and its neurons, its memories and sequences, and how its connections
encode the dynamics. The panels are linked: a new target or a retrained network in one panel
reaches all the others. Hover over a control to see what it does; **Reset** puts a panel back.

*Time runs in units of tau, the neurons' time constant. The first page takes about a minute on a
small server (the first computations are compiled).*"""),
    code("""import jax
from ddm_explore.panels import (DecompositionPanel, PanelState, Playground, TrainPanel, TrajectoryPanel,
                                TransitionPanel)

# four memories on a ring with a rotational current c: memories (c = 0) and sequences (c > 0)
state = PanelState("ring_wells", c=0.5, D=0.1, h=0.3, key=jax.random.key(0))
_ = state.retrain(128)
# every panel is built, its figure in its final state, before any is shown
playground, train, trajectories = Playground(state), TrainPanel(state), TrajectoryPanel(state)
transitions, decompositions = TransitionPanel(state), DecompositionPanel(state)"""),
    md("""## 1 · The target system
Its drift (grey arrows: where the state is pushed), the nullclines where one component of the
drift is zero (dashed), sample paths (green) and where the state spends its time (histograms of
the second half of the paths). Other systems are in the menu."""),
    show("playground"),
    md("""## 2 · Train a network
A network of N rate neurons, `dx = (-x + J tanh(x) + b) dt + noise` (time in tau), is fitted so
that its latent state follows the target. **low rank** is solved exactly (instant); **full** and
**symmetric** connectivity are trained for the chosen number of steps. Settings take effect on
**Retrain**. The error numbers say how far the network's drift and noise are from the target's."""),
    show("train"),
    md("""## 3 · Latent trajectories and neurons
The network (red, all its neurons simulated) and the target (dotted) from the same starts, and
the rates tanh(x) of the first neurons. **Private noise** gives each neuron its own noise: with
**plain fit** the network fitted without it falls apart as s grows, with **fitted for this noise**
a network fitted for that s holds."""),
    show("trajectories"),
    md("""## 4 · Memories and sequences (the ring of wells)
Trials start in the wells (trial i in well i mod 4). A **cue** button pushes towards that well
for a while (recall a memory: try c = 0); the **rotational current c** carries the trials around
the ring on their own (a sequence). Middle: the well each trial is in over time (grey: between
wells); right: how often each transition happened. The network is simulated when it was fitted
to the current target, otherwise the target itself (the text says which): after a change of c,
press Retrain to see the network again."""),
    show("transitions"),
    md("""## 5 · How the connections encode the dynamics
Top: the network's connections J, split into symmetric and antisymmetric parts J_S, J_A, and into
the part that shapes where the state spends its time (J_rev) and the part that drives it around
(J_irr). Middle: the reversible and irreversible drifts and the probability current over the
stationary density. Bottom (button): the entropy production, the price of the circulation,
against the current c, for the target and for a network fitted at each c."""),
    show("decompositions"),
    code("""# checked when the notebook is tested (nbval): every panel drew without an error
assert all(p.error is None for p in (playground, train, trajectories, transitions, decompositions))
assert transitions.result.attrs["simulated"] == "network" and float(state.report.eps_f) <= 0.01"""),
]


NOTEBOOKS = {"panels": CELLS}


if __name__ == "__main__":
    build(NOTEBOOKS, [], after=describe_widgets)
