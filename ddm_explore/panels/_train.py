"""Panel 2: train a network on the current target and compare drift fields."""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
import xarray as xr

from .. import analysis as _analysis
from ..simulation import simulate as _simulate
from ._common import Panel, labelled
from ._plots import arrows, figure
from ._state import PanelState
from ._text import params_text, system_title

N_GRID = 17
SIZES = (32, 64, 128, 256, 512, 1024)
CONNECTIVITY_OPTIONS = (("low rank (exact, instant)", "low_rank"), ("full (trained)", "full"),
                        ("symmetric (trained)", "symmetric"))
CONNECTIVITY_NAMES = {value: label.split(' (')[0] for label, value in CONNECTIVITY_OPTIONS}
NOISE_OPTIONS = (("additive", "additive"), ("multiplicative", "multiplicative"))
#: a 3-D target is compared by one noise-free path of the target and of the network from the
#: same start, this long (time in tau)
PATH_T_MAX = 40.0


class TrainPanel(Panel):
    """Train: network size, connectivity, noise mode, regularisation; Retrain; target and
    network drift fields, the error map and the eps_f / eps_D readout (d <= 2), or one noise-free
    path of the target and of the network from the same start in 3-D (d = 3, e.g. Lorenz).

    low_rank uses the closed form (instant); full and symmetric are trained for ``steps``
    steps with a progress bar (the fit alone runs in the progress area; the panels redraw after
    it, outside it). Settings take effect on Retrain.

    Attributes
    ----------
    widget : ipywidgets.VBox
    n_neurons, connectivity, noise : Dropdown;  ridge : FloatLogSlider;  steps, seed : IntSlider
    retrain, reset : Button;  eps : HTML readout;  progress : Output (the last fit's progress bar,
    shown in ``progress_box`` while the fit runs)
    figure : plotly FigureWidget
    result : xarray.Dataset
        ``drift_target``, ``drift_network``, ``error`` on the grid (d <= 2), or ``z_target``,
        ``z_network`` (time, latent; d = 3), with the fit's ``eps_f`` and ``eps_D`` in attrs.

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
        self.n_neurons = labelled(widgets.Dropdown(options=SIZES, value=net.n_neurons if net is not None else 256,
                                                   description="neurons N"),
                                  "how many neurons the network has", "ddm-n-neurons")
        self.connectivity = labelled(widgets.Dropdown(options=CONNECTIVITY_OPTIONS, value="low_rank", description="connectivity"),
                                     "how the neurons connect: low rank J = M W^T / N, solved exactly; full, any J, "
                                     "trained; symmetric, J = J^T, trained (a symmetric network cannot circulate)",
                                     "ddm-connectivity")
        self.noise = labelled(widgets.Dropdown(options=NOISE_OPTIONS, value="additive", description="noise model"),
                              "how the network makes the target's noise: one noise input per latent direction "
                              "(additive), or noise scaled by the rates (multiplicative)", "ddm-noise")
        self.ridge = labelled(widgets.FloatLogSlider(value=1e-9, base=10, min=-10, max=-1, step=0.5, description="ridge",
                                                     continuous_update=False, readout_format=".0e"),
                              "regularisation: a penalty on large readout weights in the least-squares fit",
                              "ddm-ridge")
        self.steps = labelled(widgets.IntSlider(value=300, min=50, max=3000, step=50, description="training steps",
                                                continuous_update=False),
                              "optimisation steps of a full or symmetric fit (low rank needs none)", "ddm-steps")
        self.seed = labelled(widgets.IntSlider(value=0, min=0, max=20, description="random seed", continuous_update=False),
                             "which random embedding and training samples: the same seed gives the same network",
                             "ddm-seed")
        self.retrain = widgets.Button(description="Retrain", button_style="primary", icon="refresh",
                                      tooltip="fit a new network to the current target with these settings")
        self.retrain.add_class("ddm-retrain")
        self.eps = widgets.HTML(value="no network yet: press Retrain")
        self.eps.add_class("ddm-eps")
        self.progress = None  # the Output of the fit in progress (see _retrain)
        self.progress_box = widgets.VBox()
        self.progress_box.add_class("ddm-progress")
        self.retrain.on_click(lambda _: self.run(self._retrain))
        self.state.observe(lambda s: self.run(self._draw), "target")
        self.state.observe(lambda s: self.run(self._draw), "network")
        self.run(self._draw)
        self._assemble([self.n_neurons, self.connectivity, self.noise, self.ridge, self.steps, self.seed, self.retrain,
                        self.progress_box, self.eps], "ddm-train")

    def _defaults(self):
        return {self.n_neurons: 256, self.connectivity: "low_rank", self.noise: "additive", self.ridge: 1e-9,
                self.steps: 300, self.seed: 0}

    def _reset(self):
        """The settings back to their defaults (they take effect on Retrain, as always)."""
        for w, value in self._defaults().items():
            w.value = value

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
        # A fresh output area per fit, holding only the fit's progress bar, and removed after it:
        # the bar closes its own widget when done, and a front end that redraws an area still
        # showing it reads "Error displaying widget: model not found" (Voila). An area filled
        # inside a `with` block is filled by the front end, so emptying it from here is no remedy.
        self.progress = widgets.Output()
        self.progress_box.children = [self.progress]
        try:
            with self.progress:  # the redraws the new network triggers run outside, after it
                fitted = self.state.fit_network(progress=optax_run, **kw)
        finally:
            self.progress_box.children = []
            self.progress.close()
        self.state.set_network(fitted)

    # compute (library calls) and draw --------------------------------------------------------
    def _usable(self):
        """Whether the shared network can be compared with the target (same dimension)."""
        net = self.state.net
        return net is not None and net.dim == self.state.target.dim

    def _compute(self):
        st = self.state
        target, net = st.target, st.net
        if target.dim > 2:
            res = self._paths(target, net if self._usable() else None)
        elif not self._usable():
            return _analysis.drift_field(target, N_GRID).rename(drift="drift_target")
        else:
            res = _analysis.drift_error_field(net, target, N_GRID)
        if self._usable():
            res.attrs.update(eps_f=float(st.report.eps_f), eps_D=float(st.report.eps_D), connectivity=net.connectivity,
                             noise=net.noise, n_neurons=net.n_neurons, fitted_to=str(st.net_params))
        return res

    def _paths(self, target, net):
        """A 3-D target: one noise-free path of the target (and of the network) from the same start."""
        lo, hi = (np.asarray(b, np.float64) for b in target.region)
        z0 = (0.5 * (lo + hi) + 0.1 * (hi - lo))[None]
        kw = dict(n_trials=1, key=self.state.key, z0=z0, deterministic=True, progress=False, t_max=PATH_T_MAX,
                  dt=self.state.sim["dt"], record_every=self.state.sim["record_every"])
        out = xr.Dataset(dict(z_target=_simulate(target, **kw).z.isel(trial=0)))
        if net is not None:
            out["z_network"] = _simulate(net, **kw).z.isel(trial=0)
        return out

    def _write_readout(self, res):
        st = self.state
        net = st.net
        if not self._usable():
            self.eps.value = "no network for this target yet: press <b>Retrain</b>"
            return
        eps_f, eps_D = float(st.report.eps_f), float(st.report.eps_D)
        diffusion = (f"<b>eps_D = {eps_D:.4f}</b>" if np.isfinite(eps_D)
                     else "eps_D not defined (the target has no noise)")
        note = ""
        if not st.network_is_current:
            system, params = st.net_params
            note = (f'<br><span style="color:#b00020">fitted to {html.escape(system_title(system))} with '
                    f"{html.escape(params_text(system, params))}: press Retrain for the current target</span>")
        self.eps.value = (f"drift error <b>eps_f = {eps_f:.4f}</b>, diffusion error {diffusion} "
                          f"(relative; below 0.05 the network matches closely)<br>{net.n_neurons} neurons, "
                          f"{CONNECTIVITY_NAMES[net.connectivity]}, {net.noise} noise, fitted in "
                          f"{st.report.attrs['fit_seconds']:.1f} s{note}")

    def _layout_key(self, res):
        return (self.state.system, self.state.target.dim)

    def _new_figure(self, res):
        d = self.state.target.dim
        name = system_title(self.state.system)
        if d == 1:
            fig = figure(2, titles=(f"drift of the {name}: target and network", "relative error |f_net - f| / rms f"),
                         legend=True)
            fig.add_trace(go.Scatter(mode="lines", name="target drift", line=dict(color="black", width=3)), 1, 1)
            fig.add_trace(go.Scatter(mode="lines", name="network drift", line=dict(color="#d62728", dash="dash")), 1, 1)
            fig.add_trace(go.Scatter(mode="lines", name="relative error", line=dict(color="#9467bd")), 1, 2)
            fig.update_xaxes(title_text="state z")
            fig.update_yaxes(title_text="drift (per tau)", row=1, col=1)
        elif d == 2:
            fig = figure(3, titles=("target drift", "network drift", "relative error |f_net - f| / rms f"))
            fig.add_trace(go.Scatter(mode="lines", name="target drift", line=dict(color="black", width=1)), 1, 1)
            fig.add_trace(go.Scatter(mode="lines", name="network drift", line=dict(color="#d62728", width=1)), 1, 2)
            fig.add_trace(go.Heatmap(name="relative error", colorscale="Viridis",
                                     colorbar=dict(len=0.8, title=dict(text="relative<br>error", side="top"))), 1, 3)
            fig.update_xaxes(title_text="z1")
            fig.update_yaxes(title_text="z2", row=1, col=1)
        else:
            fig = figure(1, specs=[[{"type": "scene"}]], titles=(f"{name}: target and network from the same start, "
                                                                 f"{PATH_T_MAX:g} tau, no noise",), height=460, legend=True)
            fig.add_trace(go.Scatter3d(mode="lines", name="target", line=dict(color="black", width=3)), 1, 1)
            fig.add_trace(go.Scatter3d(mode="lines", name="network", line=dict(color="#d62728", width=2)), 1, 1)
            fig.update_layout(scene=dict(xaxis_title="z1", yaxis_title="z2", zaxis_title="z3"))
        fig.layout.meta = dict(panel="train")
        return fig

    def _fill(self, fig, res):
        t = fig.data
        d = self.state.target.dim
        if d > 2:
            zt = res.z_target.values
            t[0].x, t[0].y, t[0].z = zt[:, 0], zt[:, 1], zt[:, 2]
            zn = res.z_network.values if "z_network" in res else np.zeros((0, 3))
            t[1].x, t[1].y, t[1].z = zn[:, 0], zn[:, 1], zn[:, 2]
            return
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
