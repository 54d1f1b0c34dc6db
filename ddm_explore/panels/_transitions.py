"""Panel 4: attractor transitions on the ring of wells: cued recall and autonomous sequences."""

from __future__ import annotations

import html

import ipywidgets as widgets
import jax
import numpy as np
import plotly.graph_objects as go

from .. import experiments as _experiments
from ..sdes import systems as _systems
from ._common import Panel, labelled, slider
from ._plots import figure, gapped
from ._state import SYSTEMS, PanelState
from ._text import param_label, param_tooltip, params_text, system_title

#: the target this panel drives
SYSTEM = "ring_wells"
#: trials per update (trial i starts in well i % K): the trial-count slider's (min, max, step, default)
TRIALS = (8, 64, 8, 24)
N_TRIALS = TRIALS[3]
#: the cue's size and duration sliders: (min, max, step, default). At the defaults recall is far
#: above chance at c = 0 and at c = 0.5 (the notebook's target), for the target and its network
CUE_SIZE = (0.0, 3.0, 0.1, 2.5)
CUE_DURATION = (0.5, 20.0, 0.5, 5.0)
#: recall is read this long after the cue ends (time in tau): where the cue left the state, before a
#: current (c > 0) carries it on to the next well
RECALL_DELAY = 1.0
T_MAX = 40.0
DT = 0.01
RECORD_EVERY = 10
#: when the cue switches on (time units tau)
ONSET = 5.0
#: well colours (index -1, in transit, is grey)
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


class TransitionPanel(Panel):
    """Attractor transitions on the K-well ring (``ddm.systems.ring_wells``): cue a well for
    input-driven recall, or raise the nonequilibrium strength c for autonomous sequences.

    Every update runs ``ddm.experiments.cued_trials``: as many trials as the trial-count slider
    says (default ``N_TRIALS``) of ``T_MAX`` time units, trial i starting in well i % K, the cue
    (when one is chosen) a pulse of the chosen amplitude towards that well from t = ``ONSET`` for
    the chosen duration; ``ddm.experiments.recall_readout`` reads the wells, transitions and recall
    (``RECALL_DELAY`` tau after the cue ends) off the paths. It simulates the network when one is
    fitted to the current target (``state.network_is_current``), else the target itself, and
    says which. The c slider changes the shared target (the other panels follow).

    Attributes
    ----------
    widget : ipywidgets.VBox
    cue : ToggleButtons (one button per well, and "no cue");  amplitude, duration, c, radius :
    FloatSlider;  n_trials, seed : IntSlider;  use_ring : Button (make ring_wells the target);
    reset : Button
    readout : HTML (what was simulated, forward/backward transitions, recall accuracy)
    figure : plotly FigureWidget
        Latent paths with the wells, the well each trial is in over time (-1: in transit), and
        the transition-count matrix.
    result : xarray.Dataset
        That of ``ddm.experiments.recall_readout``: ``z``, ``u`` (trial, time, ...), ``centres``, the
        ``ddm.analysis.transitions`` variables (``labels``, ``counts``, ``n_forward``, ...) and, with
        a cue, those of ``ddm.analysis.recall_accuracy`` (``recalled``, ``accuracy``, ...);
        ``simulated`` ("network" or "target") and the settings in attrs.

    Examples
    --------
    >>> from ddm_explore.panels import PanelState, TransitionPanel
    >>> tp = TransitionPanel(PanelState("ring_wells", c=0.0))
    >>> tp.cue.value = 2
    >>> tp.result.attrs["simulated"], tp.result.attrs["cue"], tp.result.counts.dims
    ('target', 2, ('from_state', 'to_state'))
    """

    def __init__(self, state: PanelState | None = None):
        super().__init__(state if state is not None else PanelState(SYSTEM))
        params = SYSTEMS[SYSTEM]["params"]
        self.cue = widgets.ToggleButtons(options=self._cue_options(4), value=-1, description="cue well",
                                         tooltips=self._cue_tooltips(4), style=dict(button_width="58px"))
        self.amplitude = slider("cue strength", CUE_SIZE, "ddm-cue-amplitude",
                                "how hard the cue pushes towards its well (an input in latent units per tau)")
        self.duration = slider("cue duration", CUE_DURATION, "ddm-cue-duration",
                               f"how long the cue lasts, from t = {ONSET:g} tau (time in tau)")
        self.c = slider(param_label(SYSTEM, "c"), params["c"], "ddm-transitions-c", param_tooltip(SYSTEM, "c"))
        self.radius = slider("well radius", (0.2, 0.8, 0.05, 0.45), "ddm-transitions-radius",
                             "a state closer than this to a well's centre counts as in that well")
        self.n_trials = labelled(widgets.IntSlider(value=TRIALS[3], min=TRIALS[0], max=TRIALS[1], step=TRIALS[2],
                                                   description="trials", continuous_update=False),
                                 "how many trials to simulate (more trials: a surer recall estimate, a slower update)",
                                 "ddm-transitions-trials")
        self.seed = labelled(widgets.IntSlider(value=0, min=0, max=50, description="random seed", continuous_update=False),
                             "which noise: the same seed gives the same trials")
        self.use_ring = widgets.Button(description="use the ring of wells", icon="circle-o", layout=dict(width="200px"),
                                       tooltip="make the four memories on a ring the target of every panel")
        self.readout = widgets.HTML(value="")
        for w, css in ((self.cue, "ddm-cue"), (self.seed, "ddm-transitions-seed"), (self.use_ring, "ddm-use-ring"),
                       (self.readout, "ddm-transitions-readout")):
            w.add_class(css)
        self._syncing = False
        self._runs = None
        self._sync_from_state()
        for w in (self.cue, self.amplitude, self.duration, self.radius, self.n_trials, self.seed):
            w.observe(self._on_control, "value")
        self.c.observe(self._on_c, "value")
        self.use_ring.on_click(lambda _: self.run(self.state.set_target, SYSTEM))
        self.state.observe(self._on_state, "target")
        self.state.observe(self._on_state, "network")
        self.run(self._draw)
        self._assemble([self.use_ring, self.cue, self.amplitude, self.duration, self.c, self.radius, self.n_trials,
                        self.seed, self.readout], "ddm-transitions")

    def _defaults(self):
        return {self.cue: -1, self.amplitude: CUE_SIZE[3], self.duration: CUE_DURATION[3], self.radius: 0.45,
                self.n_trials: TRIALS[3], self.seed: 0}

    # controls -----------------------------------------------------------------------------
    @staticmethod
    def _cue_options(K):
        return [("none", -1)] + [(str(j), j) for j in range(K)]

    @staticmethod
    def _cue_tooltips(K):
        return ["no cue: the trials run on their own"] + [f"push towards well {j}" for j in range(K)]

    def _sync_from_state(self):
        """Show the shared target's c and K on the controls (without acting on them)."""
        st = self.state
        if st.system != SYSTEM:
            return
        self._syncing = True
        try:
            if self.c.value != st.params["c"]:
                self.c.value = st.params["c"]
            K = st.target.params["K"]
            if len(self.cue.options) != K + 1:
                self.cue.options = self._cue_options(K)
                self.cue.tooltips = self._cue_tooltips(K)
                self.cue.value = -1
        finally:
            self._syncing = False

    def _on_control(self, change):
        if not self._syncing:
            self._redraw()

    def _on_c(self, change):
        if self._syncing:
            return
        if self.state.system != SYSTEM:
            self._fail(ValueError(f"the current c belongs to the ring of wells, but the target is the "
                                  f"{system_title(self.state.system)}: press 'use the ring of wells' first"))
            return
        self.run(self.state.set_target, c=change["new"])

    def _on_state(self, state):
        self._sync_from_state()
        self.run(self._draw)

    # compute (library calls) ----------------------------------------------------------------
    def _compute(self):
        st = self.state
        if st.system != SYSTEM:
            raise ValueError(f"this panel needs the ring of wells as the target, not the {system_title(st.system)}: "
                             f"press 'use the ring of wells'")
        p = st.target.params
        C = _systems.ring_centres(K=p["K"], k=p["k"], h=p["h"])
        use_net = st.network_is_current and st.net.input_dim == st.target.input_dim
        system = st.net if use_net else st.target
        cued = int(self.cue.value) if self.cue.value >= 0 else None
        amplitude = float(self.amplitude.value) if cued is not None else 0.0
        duration = float(self.duration.value)
        seed, n_trials = int(self.seed.value), int(self.n_trials.value)
        tag = (id(system), cued, amplitude, duration, seed, n_trials)
        if self._runs is None or self._runs[0] != tag:  # the radius changes the read-out only
            runs = _experiments.cued_trials(system, C, cued=cued, amplitude=amplitude, onset=ONSET, duration=duration,
                                            t_max=T_MAX, n_trials=n_trials, dt=DT, record_every=RECORD_EVERY,
                                            key=jax.random.fold_in(st.key, seed))
            self._runs = (tag, runs)
        res = _experiments.recall_readout(self._runs[1], float(self.radius.value),
                                          at=min(ONSET + duration + RECALL_DELAY, T_MAX))
        res.attrs.update(simulated="network" if use_net else "target", system=st.target.name,
                         system_params=str(st.target.params), seed=seed)
        if use_net:
            res.attrs.update(n_neurons=st.net.n_neurons, connectivity=st.net.connectivity)
        return res

    # draw -----------------------------------------------------------------------------------
    def _layout_key(self, res):
        return res.sizes["state"]

    def _new_figure(self, res):
        K = res.sizes["state"]
        fig = figure(3, titles=("latent paths and wells", "well of each trial (grey: in transit)",
                                "transitions: from well (row) to well (column)"), legend=True)
        fig.add_trace(go.Scatter(mode="lines", name="paths", line=dict(color="#888", width=1)), 1, 1)
        fig.add_trace(go.Scatter(mode="lines", name="well radius", line=dict(color="black", width=1, dash="dot")), 1, 1)
        fig.add_trace(go.Scatter(mode="markers+text", name="well centres (numbered)", textposition="top center",
                                 marker=dict(size=9, color=[COLOURS[j % len(COLOURS)] for j in range(K)])), 1, 1)
        # discrete colours: -1 grey, well j the colour of its centre on the left
        levels = ["#dddddd"] + [COLOURS[j % len(COLOURS)] for j in range(K)]
        scale = []
        for i, col in enumerate(levels):
            scale += [(i / len(levels), col), ((i + 1) / len(levels), col)]
        fig.add_trace(go.Heatmap(name="well", colorscale=scale, zmin=-1.5, zmax=K - 0.5, showscale=False, showlegend=False,
                                 hovertemplate="time %{x}<br>trial %{y}<br>well %{z}<extra></extra>"), 1, 2)
        fig.add_trace(go.Scatter(mode="lines", name="cue on", fill="toself", fillcolor="rgba(255,215,0,0.25)",
                                 line=dict(color="rgba(200,160,0,0.8)", width=1)), 1, 2)
        fig.add_trace(go.Heatmap(name="counts", colorscale="Blues", texttemplate="%{z}", showscale=False, showlegend=False,
                                 hovertemplate="from well %{y} to well %{x}: %{z}<extra></extra>"), 1, 3)
        fig.update_xaxes(title_text="z1", row=1, col=1)
        fig.update_yaxes(title_text="z2", scaleanchor="x", row=1, col=1)
        fig.update_xaxes(title_text="time (tau)", row=1, col=2)
        fig.update_yaxes(title_text="trial", row=1, col=2)
        fig.update_xaxes(title_text="to well", dtick=1, row=1, col=3)
        fig.update_yaxes(title_text="from well", dtick=1, autorange="reversed", row=1, col=3)
        fig.layout.meta = dict(panel="transitions")
        return fig

    def _fill(self, fig, res):
        t = fig.data
        z = res.z.values
        C = res.centres.values
        K = len(C)
        r = float(res.attrs["radius"])
        t[0].x, t[0].y = gapped(z[..., 0], z[..., 1])
        angle = np.linspace(0.0, 2 * np.pi, 41)
        circles = C[:, None, :] + r * np.stack([np.cos(angle), np.sin(angle)], -1)[None]  # (K, 41, 2)
        t[1].x, t[1].y = gapped(circles[..., 0], circles[..., 1])
        t[2].x, t[2].y, t[2].text = C[:, 0], C[:, 1], [str(j) for j in range(K)]
        time = res.time.values
        t[3].x, t[3].y, t[3].z = time, res.trial.values, res.labels.values
        if res.attrs["cue"] >= 0:
            on, off = res.attrs["cue_onset"], res.attrs["cue_onset"] + res.attrs["cue_duration"]
            lo, hi = -0.5, res.sizes["trial"] - 0.5
            t[4].x, t[4].y = [on, on, off, off, on], [lo, hi, hi, lo, lo]
        else:
            t[4].x, t[4].y = [], []
        states = list(range(K))
        t[5].x, t[5].y, t[5].z = states, states, res.counts.values
        p = self.state.params
        who = "the network fitted to" if res.attrs["simulated"] == "network" else "the target:"
        fig.layout.title = dict(text=f"simulated: {who} {system_title(SYSTEM)}, {params_text(SYSTEM, p)}", font=dict(size=13))

    def _write_readout(self, res):
        a = res.attrs
        if a["simulated"] == "network":
            who = (f"<b>network</b> ({a['n_neurons']} neurons, {a['connectivity'].replace('_', ' ')}, fitted to this "
                   f"target)")
        else:
            who = "<b>target</b> (no network fitted to this target: press Retrain in the Train panel)"
        parts = [f"turns around the ring, forward / backward: {int(res.n_forward)} / {int(res.n_backward)}; "
                 f"net flow {float(res.net_flux):.3f} turns per trial and tau"]
        if a["cue"] >= 0:
            parts.append(f"recall of well {a['cue']} ({a['recall_at'] - a['cue_onset'] - a['cue_duration']:g} tau after "
                         f"the cue): {float(res.accuracy):.2f} ± {float(res.accuracy_se):.2f} of {a['n_trials']} trials "
                         f"(chance {float(res.chance):.2f})")
            if a["notes"]:
                parts.append("few trials for a sure estimate: raise the number of trials")
        self.readout.value = "<br>".join([f"simulated: {who}"] + [html.escape(p) for p in parts])
