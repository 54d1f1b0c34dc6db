"""Panel 3: latent trajectories of the network and its target, and the neurons' rates."""

from __future__ import annotations

import ipywidgets as widgets
import jax
import numpy as np
import plotly.graph_objects as go
import xarray as xr

from ..simulation import simulate as _simulate
from ._common import Panel
from ._plots import figure, gapped
from ._state import PanelState

N_TRIALS = 3


class TrajectoryPanel(Panel):
    """Latent trajectories: network (solid) and target (dotted) from the same starts, in 1-D
    (against time), 2-D (phase plane) or 3-D (e.g. Lorenz); a heatmap of the rates phi(x) of
    the network's neurons in the first trial beside them.

    Attributes
    ----------
    widget : ipywidgets.VBox
    seed : IntSlider (starts and noise);  noise : Checkbox (off: deterministic flow);
    n_shown : IntSlider (neurons in the heatmap)
    figure : plotly FigureWidget
    result : xarray.Dataset
        ``z_network``, ``z_target`` (trial, time, latent) and ``rate`` (time, neuron) of
        trial 0; None until a network matches the target's dimension.

    Examples
    --------
    >>> import jax
    >>> from ddm_explore.panels import PanelState, TrajectoryPanel
    >>> state = PanelState("double_well")
    >>> _ = state.retrain(64)
    >>> tr = TrajectoryPanel(state)
    >>> tr.n_shown.value = 10
    >>> tr.result.rate.shape[1], tr.result.z_network.dims
    (10, ('trial', 'time', 'latent'))
    """

    def __init__(self, state: PanelState | None = None):
        super().__init__(state if state is not None else PanelState())
        self.seed = widgets.IntSlider(value=0, min=0, max=50, description="seed", continuous_update=False)
        self.noise = widgets.Checkbox(value=True, description="noise")
        self.n_shown = widgets.IntSlider(value=40, min=5, max=200, step=5, description="neurons", continuous_update=False)
        for w, css in ((self.seed, "ddm-traj-seed"), (self.noise, "ddm-traj-noise"), (self.n_shown, "ddm-traj-neurons")):
            w.add_class(css)
            w.observe(lambda ch: self.run(self._draw), "value")
        self._runs = None
        self.state.observe(lambda s: self.run(self._draw), "network")
        self.state.observe(lambda s: self.run(self._draw), "target")
        self.run(self._draw)
        controls = widgets.VBox([self.seed, self.noise, self.n_shown])
        self.widget = widgets.VBox([widgets.HBox([controls, self.figure_box]), self.message])
        self.widget.add_class("ddm-trajectories")

    def _compute(self):
        st = self.state
        net, target = st.net, st.target
        if net is None or net.dim != target.dim:
            raise ValueError("no network for this target yet: press Retrain in the Train panel")
        key = jax.random.fold_in(st.key, int(self.seed.value))
        k_z0, k_sim = jax.random.split(key)
        lo, hi = target.region
        z0 = np.asarray(jax.random.uniform(k_z0, (N_TRIALS, target.dim), minval=lo, maxval=hi))
        kw = dict(n_trials=N_TRIALS, key=k_sim, z0=z0, deterministic=not self.noise.value, progress=False, **st.sim)
        tag = (id(net), id(target), int(self.seed.value), bool(self.noise.value))
        if self._runs is None or self._runs[0] != tag:  # n_shown alone changes the view only
            self._runs = (tag, _simulate(net, record_neurons=True, **kw), _simulate(target, **kw))
        _, ds_net, ds_tgt = self._runs
        n = min(int(self.n_shown.value), net.n_neurons)
        rate = net.phi(ds_net.x.isel(trial=0, neuron=slice(0, n)).values)
        return xr.Dataset(
            dict(z_network=ds_net.z, z_target=ds_tgt.z,
                 rate=(("time", "neuron"), np.asarray(rate), dict(long_name="rate phi(x), trial 0"))),
            attrs=dict(system=target.name, system_params=str(target.params), n_neurons=net.n_neurons,
                       seed=int(self.seed.value), deterministic=int(not self.noise.value), **st.sim))

    def _layout_key(self, res):
        return (self.state.system, res.sizes["latent"])

    def _new_figure(self, res):
        d = res.sizes["latent"]
        specs = [[{"type": "scene" if d == 3 else "xy"}, {"type": "xy"}]]
        fig = figure(2, specs=specs, titles=("latent: network (solid), target (dotted)", "rates phi(x), trial 0"))
        line = go.Scatter3d if d == 3 else go.Scatter
        fig.add_trace(line(mode="lines", name="network", line=dict(color="#d62728", width=2)), 1, 1)
        fig.add_trace(line(mode="lines", name="target", line=dict(color="black", width=2, dash="dot")), 1, 1)
        fig.add_trace(go.Heatmap(name="rates", colorscale="RdBu", zmin=-1, zmax=1, colorbar=dict(len=0.8)), 1, 2)
        fig.update_xaxes(title_text="time (tau)", row=1, col=2)
        fig.update_yaxes(title_text="neuron", row=1, col=2)
        if d == 1:
            fig.update_xaxes(title_text="time (tau)", row=1, col=1)
        fig.layout.meta = dict(panel="trajectories")
        return fig

    def _fill(self, fig, res):
        d = res.sizes["latent"]
        t = fig.data
        for trace, var in ((t[0], res.z_network), (t[1], res.z_target)):
            z = var.values
            if d == 1:
                trace.x, trace.y = gapped(np.broadcast_to(res.time.values, z.shape[:2]), z[..., 0])
            elif d == 2:
                trace.x, trace.y = gapped(z[..., 0], z[..., 1])
            else:
                trace.x, trace.y, trace.z = gapped(z[..., 0], z[..., 1], z[..., 2])
        t[2].x, t[2].y, t[2].z = res.time.values, res.neuron.values, res.rate.values.T
