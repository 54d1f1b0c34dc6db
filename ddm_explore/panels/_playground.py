"""Panel 1: the SDE playground."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
import xarray as xr

from .. import analysis as _analysis
from ..simulation import simulate as _simulate
from ._common import Panel, labelled, slider
from ._plots import arrows, figure, fill_fixed_points, fixed_point_traces, gapped
from ._state import SYSTEMS, PanelState, available_systems
from ._text import SYSTEM_TEXT, param_label, param_tooltip, params_text, system_title

N_TRIALS = 8
N_GRID = 17


class Playground(Panel):
    """SDE playground: choose a target and its parameters; see its drift field, nullclines,
    fixed points, sample paths and stationary histogram.

    Attributes
    ----------
    widget : ipywidgets.VBox
        What to display.
    system : Dropdown;  sliders : dict of parameter name -> FloatSlider;  fixed_points : Checkbox
    figure : plotly FigureWidget
    result : xarray.Dataset
        ``z`` (trial, time, latent) sample paths, ``drift`` on the grid (d <= 2), and
        ``fixed_point`` (point, latent) when shown.

    Examples
    --------
    >>> from ddm_explore.panels import PanelState, Playground
    >>> pg = Playground(PanelState("double_well"))
    >>> pg.sliders["s"].value = 0.2
    >>> pg.result.attrs["system_params"]
    "{'s': 0.2}"
    """

    def __init__(self, state: PanelState | None = None):
        super().__init__(state if state is not None else PanelState())
        self.system = labelled(widgets.Dropdown(options=[(system_title(n), n) for n in available_systems()],
                                                value=self.state.system, description="system"),
                               "the target system: its drift, noise and sample paths are drawn", "ddm-system")
        self.about = widgets.HTML(value="")
        self.about.add_class("ddm-about")
        self.fixed_points = labelled(widgets.Checkbox(value=False, description="fixed points", indent=False),
                                     "mark the states where the drift is zero: filled circle stable, open circle "
                                     "unstable, cross saddle", "ddm-fixed-points")
        self.sliders = {}
        self._syncing = False
        self.slider_box = widgets.VBox()
        self._build_sliders()
        self.system.observe(self._on_system, "value")
        self.fixed_points.observe(self._redraw, "value")
        self.state.observe(self._on_target, "target")
        self.run(self._draw)
        self._assemble([self.system, self.about, self.slider_box, self.fixed_points], "ddm-playground")

    def _defaults(self):
        return {self.fixed_points: False}

    def _reset(self):
        """The current system with its default parameters, fixed points off."""
        with self._hold():
            self.fixed_points.value = False
        defaults = {p: spec[3] for p, spec in SYSTEMS[self.state.system]["params"].items()}
        self.state.set_target(self.state.system, **defaults)

    # controls -----------------------------------------------------------------------------
    def _build_sliders(self):
        self.sliders = {}
        system = self.state.system
        self.about.value = f"<i>{SYSTEM_TEXT.get(system, ('', ''))[1]}</i>"
        for name, spec in SYSTEMS[system]["params"].items():
            s = slider(param_label(system, name), spec, f"ddm-param-{name}", param_tooltip(system, name))
            s.value = self.state.params.get(name, spec[3])
            s.observe(self._on_param, "value")
            self.sliders[name] = s
        self.slider_box.children = list(self.sliders.values())
        self._shown_system = self.state.system

    def _on_system(self, change):
        self.run(self.state.set_target, change["new"])

    def _on_param(self, change):
        if self._syncing:
            return
        name = next(n for n, s in self.sliders.items() if s is change["owner"])
        self.run(self.state.set_target, **{name: change["new"]})

    def _on_target(self, state):
        if state.system != self._shown_system:
            self._build_sliders()
            if self.system.value != state.system:
                self.system.value = state.system
        else:  # a parameter changed elsewhere (another panel, or code): show its value
            self._syncing = True
            try:
                for name, s in self.sliders.items():
                    if name in state.params and s.value != state.params[name]:
                        s.value = state.params[name]
            finally:
                self._syncing = False
        self.run(self._draw)

    # compute (library calls) and draw --------------------------------------------------------
    def _compute(self):
        target, sim = self.state.target, self.state.sim
        ds = _simulate(target, n_trials=N_TRIALS, key=self.state.key, progress=False, **sim)
        parts = [ds]
        if target.dim <= 2:
            parts.append(_analysis.drift_field(target, N_GRID))
        if self.fixed_points.value and hasattr(_analysis, "fixed_points"):
            fp = _analysis.fixed_points(target, key=self.state.key, n_seeds=64)
            parts.append(fp[["z", "stability"]].rename(z="fixed_point", stability="fixed_point_stability"))
        result = xr.merge(parts, combine_attrs="override")
        result.attrs.update(ds.attrs)
        return result

    def _layout_key(self, res):
        return (self.state.system, res.sizes["latent"])

    def _new_figure(self, res):
        d = res.sizes["latent"]
        name = system_title(self.state.system)
        paths = f"sample paths ({res.sizes['trial']} trials)"
        if d == 1:
            fig = figure(3, titles=(f"drift f(z): {name}", paths, "where the state spends its time"), legend=True)
            fig.add_trace(go.Scatter(mode="lines", name="drift f(z)", line=dict(color="#1f77b4")), 1, 1)
            fixed_point_traces(fig, 1, 1)
            fig.add_trace(go.Scatter(mode="lines", name="sample paths", line=dict(width=1, color="#2ca02c")), 1, 2)
            fig.add_trace(go.Histogram(name="histogram of z (second half of the paths)", histnorm="probability density",
                                       nbinsx=40, marker_color="#2ca02c"), 1, 3)
            fig.update_xaxes(title_text="state z", row=1, col=1)
            fig.update_yaxes(title_text="drift (per tau)", row=1, col=1)
            fig.update_xaxes(title_text="time (tau)", row=1, col=2)
            fig.update_yaxes(title_text="state z", row=1, col=2)
            fig.update_xaxes(title_text="state z", row=1, col=3)
            fig.update_yaxes(title_text="density", row=1, col=3)
        elif d == 2:
            fig = figure(2, titles=(f"phase plane: {name}", "where the state spends its time"), legend=True)
            fig.add_trace(go.Scatter(mode="lines", name="drift (arrows)", line=dict(color="#9aa", width=1)), 1, 1)
            for i, color in enumerate(("#1f77b4", "#d62728")):
                fig.add_trace(go.Contour(name=f"nullcline f{i + 1} = 0", showscale=False, showlegend=True,
                                         colorscale=[[0, color], [1, color]],
                                         contours=dict(start=0, end=0, size=1, coloring="lines"),
                                         line=dict(color=color, width=2, dash="dash")), 1, 1)
            fig.add_trace(go.Scatter(mode="lines", name="sample paths", line=dict(width=1, color="#2ca02c")), 1, 1)
            fixed_point_traces(fig, 1, 1)
            for i, color in enumerate(("#1f77b4", "#d62728")):
                fig.add_trace(go.Histogram(name=f"histogram of z{i + 1}", histnorm="probability density", nbinsx=40,
                                           opacity=0.6, marker_color=color), 1, 2)
            fig.update_layout(barmode="overlay")
            fig.update_xaxes(title_text="z1", row=1, col=1)
            fig.update_yaxes(title_text="z2", row=1, col=1)
            fig.update_xaxes(title_text="state", row=1, col=2)
            fig.update_yaxes(title_text="density", row=1, col=2)
        else:
            fig = figure(2, specs=[[{"type": "scene"}, {"type": "xy"}]], titles=(f"{paths}: {name}", "where the state spends its time"),
                         legend=True)
            fig.add_trace(go.Scatter3d(mode="lines", name="sample paths", line=dict(width=2, color="#2ca02c")), 1, 1)
            for i, color in enumerate(("#1f77b4", "#d62728", "#9467bd")):
                fig.add_trace(go.Histogram(name=f"histogram of z{i + 1}", histnorm="probability density", nbinsx=40,
                                           opacity=0.6, marker_color=color), 1, 2)
            fig.update_layout(barmode="overlay", scene=dict(xaxis_title="z1", yaxis_title="z2", zaxis_title="z3"))
            fig.update_xaxes(title_text="state", row=1, col=2)
            fig.update_yaxes(title_text="density", row=1, col=2)
        fig.layout.meta = dict(panel="playground")
        return fig

    def _fill(self, fig, res):
        d = res.sizes["latent"]
        z = res.z.values  # (trial, time, latent)
        half = z[:, z.shape[1] // 2:]  # the second half of each path: near stationarity
        fp = res.fixed_point.values if "fixed_point" in res else np.zeros((0, d))
        kinds = res.fixed_point_stability.values if "fixed_point" in res else np.zeros(0, str)
        t = fig.data
        title = f"{system_title(self.state.system)}: {params_text(self.state.system, self.state.params)}"
        fig.layout.title = dict(text=title, font=dict(size=13))
        if d == 1:
            t[0].x, t[0].y = res.z0.values, res.drift.values[:, 0]
            fill_fixed_points(t[1:4], fp, kinds)
            times = np.broadcast_to(res.time.values, z.shape[:2])
            t[4].x, t[4].y = gapped(times, z[..., 0])
            t[5].x = half[..., 0].ravel()
        elif d == 2:
            t[0].x, t[0].y = arrows(res.drift)
            for i in range(2):
                t[1 + i].x, t[1 + i].y, t[1 + i].z = res.z0.values, res.z1.values, res.drift.values[..., i].T
            t[3].x, t[3].y = gapped(z[..., 0], z[..., 1])
            fill_fixed_points(t[4:7], fp, kinds)
            for i in range(2):
                t[7 + i].x = half[..., i].ravel()
        else:
            t[0].x, t[0].y, t[0].z = gapped(z[..., 0], z[..., 1], z[..., 2])
            for i in range(3):
                t[1 + i].x = half[..., i].ravel()
