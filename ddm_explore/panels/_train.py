"""Panel 2: train a network on the current target and compare drift fields."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go

from .. import analysis as _analysis
from ._common import Panel
from ._plots import arrows, figure
from ._state import PanelState

N_GRID = 17
SIZES = (32, 64, 128, 256, 512, 1024)


class TrainPanel(Panel):
    """Train: network size, connectivity, noise mode, regularisation; Retrain; target and
    network drift fields, the error map and the eps_f / eps_D readout.

    low_rank uses the closed form (instant); full and symmetric run optax (Adam) for ``steps``
    steps with a progress bar. Settings take effect on Retrain.

    Attributes
    ----------
    widget : ipywidgets.VBox
    n_neurons, connectivity, noise : Dropdown;  ridge : FloatLogSlider;  steps, seed : IntSlider
    retrain : Button;  eps : HTML readout;  progress : Output (the optax progress bar)
    figure : plotly FigureWidget
    result : xarray.Dataset
        ``drift_target``, ``drift_network``, ``error`` on the grid (d <= 2), with the fit's
        ``eps_f`` and ``eps_D`` in attrs; None before the first fit.

    Examples
    --------
    >>> from ddm_explore.panels import PanelState, TrainPanel
    >>> tp = TrainPanel(PanelState("van_der_pol"))
    >>> tp.n_neurons.value = 64
    >>> tp.retrain.click()
    >>> tp.result.attrs["n_neurons"], tp.result.attrs["eps_f"] < 0.05
    (64, True)
    """

    def __init__(self, state: PanelState | None = None):
        super().__init__(state if state is not None else PanelState())
        net = self.state.net
        self.n_neurons = widgets.Dropdown(options=SIZES, value=net.n_neurons if net is not None else 256, description="N")
        self.connectivity = widgets.Dropdown(options=("low_rank", "full", "symmetric"), value="low_rank", description="connectivity")
        self.noise = widgets.Dropdown(options=("additive", "multiplicative"), value="additive", description="noise")
        self.ridge = widgets.FloatLogSlider(value=1e-9, base=10, min=-10, max=-1, step=0.5, description="ridge",
                                            continuous_update=False, readout_format=".0e")
        self.steps = widgets.IntSlider(value=300, min=50, max=3000, step=50, description="optax steps", continuous_update=False)
        self.seed = widgets.IntSlider(value=0, min=0, max=20, description="seed", continuous_update=False)
        self.retrain = widgets.Button(description="Retrain", button_style="primary", icon="refresh")
        self.eps = widgets.HTML(value="no network yet: press Retrain")
        self.progress = widgets.Output()
        for w, css in ((self.n_neurons, "ddm-n-neurons"), (self.connectivity, "ddm-connectivity"), (self.noise, "ddm-noise"),
                       (self.ridge, "ddm-ridge"), (self.steps, "ddm-steps"), (self.seed, "ddm-seed"),
                       (self.retrain, "ddm-retrain"), (self.eps, "ddm-eps"), (self.progress, "ddm-progress")):
            w.add_class(css)
        self.retrain.on_click(lambda _: self.run(self._retrain))
        self.state.observe(lambda s: self.run(self._draw), "target")
        self.state.observe(lambda s: self.run(self._draw), "network")
        self.run(self._draw)
        controls = widgets.VBox([self.n_neurons, self.connectivity, self.noise, self.ridge, self.steps, self.seed,
                                 self.retrain, self.progress, self.eps])
        self.widget = widgets.VBox([widgets.HBox([controls, self.figure_box]), self.message])
        self.widget.add_class("ddm-train")

    def settings(self) -> dict:
        """The fit settings the controls hold."""
        kw = dict(n_neurons=self.n_neurons.value, connectivity=self.connectivity.value, noise=self.noise.value,
                  ridge=float(self.ridge.value), seed=int(self.seed.value))
        if self.connectivity.value != "low_rank":
            kw["steps"] = int(self.steps.value)
        return kw

    def _retrain(self):
        kw = self.settings()
        optax_run = kw["connectivity"] != "low_rank"
        self.progress.outputs = ()  # (clear_output would print terminal codes outside Jupyter)
        with self.progress:
            self.state.retrain(progress=optax_run, **kw)

    # compute (library calls) and draw --------------------------------------------------------
    def _usable(self):
        """Whether the shared network can be compared with the target (same dimension)."""
        net = self.state.net
        return net is not None and net.dim == self.state.target.dim

    def _compute(self):
        st = self.state
        target, net = st.target, st.net
        if target.dim > 2:
            return None
        if not self._usable():
            return _analysis.drift_field(target, N_GRID).rename(drift="drift_target")
        res = _analysis.drift_error_field(net, target, N_GRID)
        res.attrs.update(eps_f=float(st.report.eps_f), eps_D=float(st.report.eps_D), connectivity=net.connectivity,
                         noise=net.noise, n_neurons=net.n_neurons, fitted_to=str(st.net_params))
        return res

    def _write_readout(self, res):
        st = self.state
        net = st.net
        if self._usable():
            eps_f, eps_D = float(st.report.eps_f), float(st.report.eps_D)
            note = "" if st.network_is_current else f" (fitted to {st.net_params[0]} {st.net_params[1]}: press Retrain)"
            self.eps.value = (f"<b>eps_f = {eps_f:.4f}</b> &nbsp; <b>eps_D = {eps_D:.4f}</b> &nbsp; N = {net.n_neurons}, "
                              f"{net.connectivity}, {net.noise}, fit {st.report.attrs['fit_seconds']:.2f} s{note}")
        else:
            self.eps.value = "no network for this target yet: press Retrain"

    def _layout_key(self, res):
        return (self.state.system, self.state.target.dim)

    def _new_figure(self, res):
        d = self.state.target.dim
        if d == 1:
            fig = figure(2, titles=("drift: target vs network", "relative error |f_net - f| / rms f"))
            fig.add_trace(go.Scatter(mode="lines", name="target", line=dict(color="black")), 1, 1)
            fig.add_trace(go.Scatter(mode="lines", name="network", line=dict(color="#d62728", dash="dash")), 1, 1)
            fig.add_trace(go.Scatter(mode="lines", name="error"), 1, 2)
        elif d == 2:
            fig = figure(3, titles=("target drift", "network drift", "relative error |f_net - f| / rms f"))
            fig.add_trace(go.Scatter(mode="lines", name="target", line=dict(color="black", width=1)), 1, 1)
            fig.add_trace(go.Scatter(mode="lines", name="network", line=dict(color="#d62728", width=1)), 1, 2)
            fig.add_trace(go.Heatmap(name="error", colorscale="Viridis", colorbar=dict(len=0.8)), 1, 3)
        else:
            fig = figure(1, titles=("drift maps are drawn for d <= 2: see eps above and the trajectories panel",))
            fig.add_trace(go.Scatter(mode="lines", name="none"), 1, 1)
        fig.layout.meta = dict(panel="train")
        return fig

    def _fill(self, fig, res):
        t = fig.data
        if res is None:
            return
        d = self.state.target.dim
        has_net = "drift_network" in res
        if d == 1:
            z = res.z0.values
            t[0].x, t[0].y = z, res.drift_target.values[:, 0]
            t[1].x, t[1].y = (z, res.drift_network.values[:, 0]) if has_net else ([], [])
            t[2].x, t[2].y = (z, res.error.values) if has_net else ([], [])
        else:
            t[0].x, t[0].y = arrows(res.drift_target)
            if has_net:
                t[1].x, t[1].y = arrows(res.drift_network)
                t[2].x, t[2].y, t[2].z = res.z0.values, res.z1.values, res.error.values.T
            else:
                t[1].x, t[1].y = [], []
                t[2].z = np.zeros((0, 0))
