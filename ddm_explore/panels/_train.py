"""Panel 2: train a network on the current target (its formulas, or an example recording of it)
and compare drift fields."""

from __future__ import annotations

import html

import ipywidgets as widgets
import jax
import numpy as np
import plotly.graph_objects as go
import xarray as xr

from .. import analysis as _analysis
from ..simulation import simulate as _simulate
from ._common import Panel, labelled
from ._plots import arrows, figure, gapped
from ._recording import Recording
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
#: what the network learns from: the target's formulas, or an example recording of it
SOURCE_OPTIONS = (("the formulas (the SDE)", "formulas"), ("example recorded data", "data"))
#: the recording's controls: trials, trial length (tau), observation step Delta (tau)
TRIAL_OPTIONS, LENGTH_OPTIONS, DELTA_OPTIONS = (8, 16, 32, 64), (25.0, 50.0, 100.0, 200.0), (0.01, 0.02, 0.05, 0.1)
#: the recorded trials drawn beside the network's own paths from the same starts, at most this long
DATA_SHOWN, DATA_SHOWN_T = 3, 30.0
#: the step at which the network's paths beside the data are simulated (Delta is a multiple of it)
PATH_DT = 0.01
DATA_HELP = ('<div style="line-height:1.35; font-size:12px">The network sees only the recorded trajectories '
             "(simulated here from the current target, with a fixed key: the same data every time), never the "
             "formulas; the formulas only score it. The ridge is chosen on held-out trials.</div>")
DATA_COLOR, NETWORK_COLOR = "#1f77b4", "#d62728"


class TrainPanel(Panel):
    """Train: what the network learns from (the target's formulas, or an example recording of the
    target), network size, connectivity, noise mode, regularisation; Retrain; target and network
    drift fields, the error map and the eps_f / eps_D readout (d <= 2), or one noise-free path of
    the target and of the network from the same start in 3-D (d = 3, e.g. Lorenz).

    low_rank uses the closed form (instant); full and symmetric are trained for ``steps``
    steps with a progress bar (the fit alone runs in the progress area; the panels redraw after
    it, outside it). Settings take effect on Retrain.

    With "example recorded data" the network is fitted to trajectories of the current target
    (:class:`Recording`: trials, trial length and observation step Delta set by the controls,
    simulated with a fixed key) by ``ddm.fit(data, N, solver=ddm.FromData(truth=target))``: the
    ridge is chosen on held-out trials and the formulas only score the result. The figure then
    shows the drift of the truth and of the network, the error map, and three recorded trials
    beside the network's own (noisy) paths from the same starts.

    Parameters
    ----------
    state : PanelState, optional
    source : str
        The first value of "learn from": "formulas" or "data" (then the recording controls start at
        the recording the state's network learnt from, if it did). Pass it here rather than setting
        the control before the panel is displayed: a figure shows the data it was built with.

    Attributes
    ----------
    widget : ipywidgets.VBox
    source : Dropdown ("formulas" or "data");  trials, length, delta : Dropdown (the recording)
    n_neurons, connectivity, noise : Dropdown;  ridge : FloatLogSlider;  steps, seed : IntSlider
    retrain, reset : Button;  eps : HTML readout;  progress : Output (the last fit's progress bar,
    shown in ``progress_box`` while the fit runs)
    figure : plotly FigureWidget
    result : xarray.Dataset
        ``drift_target``, ``drift_network``, ``error`` on the grid (d <= 2), or ``z_target``,
        ``z_network`` (time, latent; d = 3), with the fit's ``eps_f`` and ``eps_D`` in attrs.
        From data: also ``z_data`` (trial, time, latent), the first recorded trials, and
        ``z_network`` (trial, time, latent), the network from their starts.

    Examples
    --------
    >>> from ddm_explore.panels import PanelState, TrainPanel
    >>> tp = TrainPanel(PanelState("van_der_pol"))
    >>> tp.n_neurons.value = 64
    >>> tp.retrain.click()
    >>> tp.result.attrs["n_neurons"], tp.result.attrs["eps_f"] < 0.05
    (64, True)
    >>> tp.source.value = "data"
    >>> tp.retrain.click()
    >>> tp.result.attrs["learnt_from"], tp.result.attrs["eps_f"] < 0.1
    ('32 trials of 100 tau, observed every 0.02 tau', True)
    """

    def __init__(self, state: PanelState | None = None, *, source: str = "formulas"):
        super().__init__(state if state is not None else PanelState())
        if source not in dict(SOURCE_OPTIONS).values():
            raise ValueError(f"`source` must be 'formulas' or 'data', got {source!r}")
        net = self.state.net
        rec = self.state.fit_recording
        if source != "data" or rec is None or (rec.n_trials, rec.t_max, rec.delta) not in _offered():
            rec = Recording()
        self.source = labelled(widgets.Dropdown(options=SOURCE_OPTIONS, value=source, description="learn from"),
                               "what the network is fitted to: the target's formulas (its drift and noise), or "
                               "trajectories recorded from it, as an experiment would give", "ddm-source")
        self.trials = labelled(widgets.Dropdown(options=TRIAL_OPTIONS, value=rec.n_trials, description="recorded trials"),
                               "how many trials the recording has", "ddm-data-trials")
        self.length = labelled(widgets.Dropdown(options=[(f"{t:g} tau", t) for t in LENGTH_OPTIONS], value=rec.t_max,
                                                description="trial length"),
                               "how long each recorded trial is (time in tau)", "ddm-data-length")
        self.delta = labelled(widgets.Dropdown(options=[(f"{t:g} tau", t) for t in DELTA_OPTIONS], value=rec.delta,
                                               description="observed every"),
                              "the observation step Delta of the recording: the fit corrects the bias a coarse step "
                              "brings", "ddm-data-delta")
        self.data_box = widgets.VBox()
        self.data_box.add_class("ddm-data")
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
        self.source.observe(self._on_source, "value")
        for w in (self.trials, self.length, self.delta):
            w.observe(self._redraw, "value")
        self.state.observe(lambda s: self.run(self._draw), "target")
        self.state.observe(lambda s: self.run(self._draw), "network")
        self._show_source()
        self.run(self._draw)
        self._assemble([self.source, self.data_box, self.n_neurons, self.connectivity, self.noise, self.ridge,
                        self.steps, self.seed, self.retrain, self.progress_box, self.eps], "ddm-train")

    def _defaults(self):
        return {self.source: "formulas", self.trials: 32, self.length: 100.0, self.delta: 0.02, self.n_neurons: 256,
                self.connectivity: "low_rank", self.noise: "additive", self.ridge: 1e-9, self.steps: 300, self.seed: 0}

    def _on_source(self, change):
        self._show_source()
        self._redraw()

    def _show_source(self):
        """The recording's controls (and a word on them) only when learning from data; the ridge
        is then chosen on held-out trials."""
        data = self.source.value == "data"
        self.data_box.children = [self.trials, self.length, self.delta, widgets.HTML(DATA_HELP)] if data else []
        self.ridge.disabled = data

    @property
    def from_data(self) -> bool:
        return self.source.value == "data"

    def recording_settings(self) -> Recording:
        """The example recording the controls describe."""
        return Recording(n_trials=int(self.trials.value), t_max=float(self.length.value), delta=float(self.delta.value))

    def settings(self) -> dict:
        """The fit settings the controls hold (``recording`` when learning from data)."""
        kw = dict(n_neurons=self.n_neurons.value, connectivity=self.connectivity.value, noise=self.noise.value,
                  ridge=float(self.ridge.value), seed=int(self.seed.value))
        if self.connectivity.value != "low_rank":
            kw["steps"] = int(self.steps.value)
        if self.from_data:
            kw["recording"] = self.recording_settings()
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
            res = self._paths(target, net if self._usable() else None) if not self.from_data else xr.Dataset()
        elif not self._usable():
            res = _analysis.drift_field(target, N_GRID).rename(drift="drift_target")
        else:
            res = _error_field(net, target)
        if self.from_data:
            res = self._data_paths(res, target, net if self._usable() else None)
        if self._usable():
            res.attrs.update(eps_f=float(st.report.eps_f), eps_D=float(st.report.eps_D), connectivity=net.connectivity,
                             noise=net.noise, n_neurons=net.n_neurons, fitted_to=str(st.net_params),
                             learnt_from=st.fit_recording.describe() if st.fit_recording is not None else "formulas")
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

    def _data_paths(self, res, target, net):
        """The first recorded trials (``z_data``) and, with a network, its own noisy paths from their
        starts (``z_network``), observed like the data, over at most DATA_SHOWN_T."""
        rec = self.recording_settings()
        data = self.state.recording(rec)
        n_obs = int(round(min(rec.t_max, DATA_SHOWN_T) / rec.delta))
        shown = data.isel(trial=slice(0, DATA_SHOWN), time=slice(0, n_obs + 1))
        res = res.drop_vars([v for v in ("z_target", "z_network") if v in res])
        res["z_data"] = (("trial", "time", "latent"), shown.values, dict(long_name="recorded trajectories"))
        res = res.assign_coords(time=shown.time.values)
        if net is not None:
            run = _simulate(net, t_max=n_obs * rec.delta, dt=PATH_DT, record_every=int(round(rec.delta / PATH_DT)),
                            n_trials=shown.sizes["trial"], z0=shown.values[:, 0], key=jax.random.fold_in(self.state.key, 1),
                            progress=False)
            res["z_network"] = (("trial", "time", "latent"), run.z.values[:, :n_obs + 1],
                                dict(long_name="the network from the recorded trials' starts"))
        res.attrs.update(recording=rec.describe(), n_recorded_trials=rec.n_trials)
        return res

    def _write_readout(self, res):
        st = self.state
        net = st.net
        rec = self.recording_settings() if self.from_data else None
        intro = ""
        if rec is not None:
            intro = (f"recording: {rec.describe()}, of the {html.escape(system_title(st.system))} with "
                     f"{html.escape(params_text(st.system, st.params))}<br>")
        if not self._usable():
            self.eps.value = intro + "no network for this target yet: press <b>Retrain</b>"
            return
        eps_f, eps_D = float(st.report.eps_f), float(st.report.eps_D)
        diffusion = (f"<b>eps_D = {eps_D:.4f}</b>" if np.isfinite(eps_D)
                     else "eps_D not defined (the target has no noise)")
        learnt = "fitted to the formulas" if st.fit_recording is None else "learnt from a recording"
        note = ""
        if not st.network_is_current:
            system, params = st.net_params
            note = (f'<br><span style="color:#b00020">fitted to {html.escape(system_title(system))} with '
                    f"{html.escape(params_text(system, params))}: press Retrain for the current target</span>")
        elif rec is not None and st.fit_recording != rec:
            note = ('<br><span style="color:#b00020">not learnt from this recording: press Retrain to learn from '
                    "it</span>")
        self.eps.value = (f"{intro}drift error <b>eps_f = {eps_f:.4f}</b>, diffusion error {diffusion} "
                          f"(relative; below 0.05 the network matches closely)<br>{net.n_neurons} neurons, "
                          f"{CONNECTIVITY_NAMES[net.connectivity]}, {net.noise} noise, {learnt}, in "
                          f"{st.report.attrs['fit_seconds']:.1f} s{_data_note(st)}{note}")

    def _layout_key(self, res):
        return (self.state.system, self.state.target.dim, self.from_data)

    def _new_figure(self, res):
        if self.from_data:
            return _data_figure(self.state.target.dim, system_title(self.state.system))
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
        if self.from_data:
            _fill_data(fig, res, self.state.target.dim)
            return
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
            _fill_drift_curves(t, res, has_net)
        else:
            t[0].x, t[0].y = arrows(res.drift_target)
            if has_net:
                t[1].x, t[1].y = arrows(res.drift_network)
                t[2].x, t[2].y, t[2].z = res.z0.values, res.z1.values, res.error.values.T
            else:
                t[1].x, t[1].y = [], []
                t[2].z = np.zeros((0, 0))


def _offered():
    """The recordings the controls can describe: (trials, length, delta) triples."""
    return {(n, t, d) for n in TRIAL_OPTIONS for t in LENGTH_OPTIONS for d in DELTA_OPTIONS}


def _error_field(net, target):
    """``drift_error_field`` of the network against the target; a network learnt from a recording
    without inputs (e.g. of the ring of wells, whose drift takes a cue u) is compared with the
    target's drift at u = 0, the input the recording had."""
    return _analysis.drift_error_field(net, target, N_GRID)


def _data_note(state) -> str:
    """What a fit from data adds to the readout: its held-out error against the noise floor, the
    chosen ridge and its sample-size notes."""
    if state.fit_recording is None:
        return ""
    r = state.report
    text = (f"<br>held-out one-step error {float(r.held_out_error):.3g} (what the noise alone leaves: "
            f"{float(r.held_out_floor):.3g}); ridge {r.attrs['ridge']:.0e}, chosen on held-out trials; "
            f"{float(r.samples_per_feature):.0f} increments per feature")
    if state.fit_notes:
        text += f'<br><span style="color:#b00020">{html.escape(state.fit_notes)}</span>'
    return text


def _data_figure(d: int, name: str):
    """The figure of a fit from data: truth and network drift, the error map, and the recorded
    trials beside the network's paths (d <= 2); the recorded trial and the network's path (d = 3)."""
    data = dict(mode="lines", name="recorded data", line=dict(color=DATA_COLOR, width=1.5))
    own = dict(mode="lines", name="network from the same starts", line=dict(color=NETWORK_COLOR, width=1.5))
    paths = f"recorded trials and the network (first {DATA_SHOWN})"
    if d == 1:
        fig = figure(3, titles=(f"drift of the {name}: truth and network", "relative error |f_net - f| / rms f", paths),
                     legend=True)
        fig.add_trace(go.Scatter(mode="lines", name="true drift (the formulas)", line=dict(color="black", width=3)), 1, 1)
        fig.add_trace(go.Scatter(mode="lines", name="network drift (learnt from data)",
                                 line=dict(color=NETWORK_COLOR, dash="dash")), 1, 1)
        fig.add_trace(go.Scatter(mode="lines", name="relative error", line=dict(color="#9467bd")), 1, 2)
        fig.add_trace(go.Scatter(**data), 1, 3)
        fig.add_trace(go.Scatter(**own), 1, 3)
        fig.update_xaxes(title_text="state z", row=1, col=1)
        fig.update_xaxes(title_text="state z", row=1, col=2)
        fig.update_yaxes(title_text="drift (per tau)", row=1, col=1)
        fig.update_xaxes(title_text="time (tau)", row=1, col=3)
        fig.update_yaxes(title_text="state z", row=1, col=3)
    elif d == 2:
        fig = figure(3, titles=("drift: truth and network", "relative error |f_net - f| / rms f", paths), legend=True)
        fig.add_trace(go.Scatter(mode="lines", name="true drift (the formulas)", line=dict(color="black", width=2)), 1, 1)
        fig.add_trace(go.Scatter(mode="lines", name="network drift (learnt from data)",
                                 line=dict(color=NETWORK_COLOR, width=1)), 1, 1)
        fig.add_trace(go.Heatmap(name="relative error", colorscale="Viridis", showlegend=False,
                                 colorbar=dict(len=0.8, x=0.645, thickness=12, title=dict(text="relative<br>error", side="top"))), 1, 2)
        fig.add_trace(go.Scatter(**data), 1, 3)
        fig.add_trace(go.Scatter(**own), 1, 3)
        fig.update_xaxes(title_text="z1")
        fig.update_yaxes(title_text="z2", row=1, col=1)
    else:
        fig = figure(1, specs=[[{"type": "scene"}]], titles=(f"{name}: a recorded trial and the network from its start",),
                     height=460, legend=True)
        fig.add_trace(go.Scatter3d(**dict(data, line=dict(color=DATA_COLOR, width=3))), 1, 1)
        fig.add_trace(go.Scatter3d(**dict(own, line=dict(color=NETWORK_COLOR, width=2))), 1, 1)
        fig.update_layout(scene=dict(xaxis_title="z1", yaxis_title="z2", zaxis_title="z3"))
    fig.layout.meta = dict(panel="train", source="data")
    return fig


def _fill_data(fig, res, d: int):
    """Fill :func:`_data_figure`'s traces (no computation)."""
    t = fig.data
    zd = res.z_data.values
    zn = res.z_network.values if "z_network" in res else np.zeros((0,) + zd.shape[1:])
    if d > 2:
        t[0].x, t[0].y, t[0].z = zd[0, :, 0], zd[0, :, 1], zd[0, :, 2]
        t[1].x, t[1].y, t[1].z = (zn[0, :, 0], zn[0, :, 1], zn[0, :, 2]) if len(zn) else ([], [], [])
        return
    has_net = "drift_network" in res
    if d == 1:
        _fill_drift_curves(t, res, has_net)
        time = res.time.values
        t[3].x, t[3].y = gapped(np.broadcast_to(time, zd.shape[:2]), zd[..., 0])
        t[4].x, t[4].y = gapped(np.broadcast_to(time, zn.shape[:2]), zn[..., 0]) if len(zn) else ([], [])
    else:
        t[0].x, t[0].y = arrows(res.drift_target)
        t[1].x, t[1].y = arrows(res.drift_network) if has_net else ([], [])
        if has_net:
            t[2].x, t[2].y, t[2].z = res.z0.values, res.z1.values, res.error.values.T
        else:
            t[2].z = np.zeros((0, 0))
        t[3].x, t[3].y = gapped(zd[..., 0], zd[..., 1])
        t[4].x, t[4].y = gapped(zn[..., 0], zn[..., 1]) if len(zn) else ([], [])


def _fill_drift_curves(t, res, has_net: bool):
    """A 1-D target's traces 0-2: the target's drift, the network's, and their error, on the grid."""
    z = res.z0.values
    t[0].x, t[0].y = z, res.drift_target.values[:, 0]
    t[1].x, t[1].y = (z, res.drift_network.values[:, 0]) if has_net else ([], [])
    t[2].x, t[2].y = (z, res.error.values) if has_net else ([], [])
