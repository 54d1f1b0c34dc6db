"""Panel 3: latent trajectories of the network and its target, and the neurons' rates."""

from __future__ import annotations

import html

import ipywidgets as widgets
import jax
import numpy as np
import plotly.graph_objects as go
import xarray as xr

from ..simulation import simulate as _simulate
from ._common import Panel, labelled
from ._plots import figure, gapped
from ._state import PanelState

N_TRIALS = 3
#: the private-noise slider: (min, max, step, default)
PRIVATE_NOISE = (0.0, 0.1, 0.01, 0.0)
PRIVATE_NOISE_HELP = ('<div style="line-height:1.35; font-size:12px"><b>private noise s</b>: every neuron gets '
                      "its own independent noise (std s per sqrt(tau)), as real neurons do. It kicks the state off "
                      "the plane the latent flow lives on, and a network fitted without it drifts and jumps where "
                      "the target would not. <b>fitted for this noise</b> fits a network that expects noise s, "
                      "one fit per new s.</div>")


class TrajectoryPanel(Panel):
    """Latent trajectories: network (solid) and target (dotted) from the same starts, in 1-D
    (against time), 2-D (phase plane) or 3-D (e.g. Lorenz); a heatmap of the rates phi(x) of
    the network's neurons in the first trial beside them.

    The network is simulated in all its neurons, with private per-neuron noise of the chosen
    size (METHOD.md section 8): with "plain fit" it is the shared network (fitted without that
    noise) run with it; with "fitted for this noise" a network fitted for it
    (``state.network_with_private_noise``, one fit per distinct s, cached until the next retrain).

    Parameters
    ----------
    state : PanelState, optional
    private_noise : float
        The slider's first value (0 to 0.1).
    fitted : bool
        The switch's first value. Pass the first values here rather than setting the controls
        before the panel is displayed: a figure shows the data it was built with.

    Attributes
    ----------
    widget : ipywidgets.VBox
    seed : IntSlider (starts and noise);  noise : Checkbox (off: deterministic flow, no noise at all);
    private_noise : FloatSlider (s, 0 to 0.1);  fitted : ToggleButtons (False: plain fit, True:
    fitted for this noise);  n_shown : IntSlider (neurons in the heatmap)
    readout : HTML (which network runs, with what noise)
    figure : plotly FigureWidget
    result : xarray.Dataset
        ``z_network``, ``z_target`` (trial, time, latent) and ``rate`` (time, neuron) of
        trial 0; ``private_noise`` (s), ``fitted_for_noise`` (1 or 0), ``unmatched_diffusion``
        and ``notes`` (the fit's private-noise warnings) in attrs; None until a network matches
        the target's dimension.

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
    >>> tr.private_noise.value, tr.fitted.value = 0.05, True
    >>> tr.result.attrs["private_noise"], tr.result.attrs["fitted_for_noise"]
    (0.05, 1)
    """

    def __init__(self, state: PanelState | None = None, *, private_noise: float = PRIVATE_NOISE[3],
                 fitted: bool = False):
        super().__init__(state if state is not None else PanelState())
        if not PRIVATE_NOISE[0] <= private_noise <= PRIVATE_NOISE[1]:
            raise ValueError(f"`private_noise` must be in [{PRIVATE_NOISE[0]}, {PRIVATE_NOISE[1]}], got {private_noise!r}")
        self.seed = labelled(widgets.IntSlider(value=0, min=0, max=50, description="random seed", continuous_update=False),
                             "which starting points and which noise: the same seed gives the same paths")
        self.noise = labelled(widgets.Checkbox(value=True, description="noise on", indent=False),
                              "off: the noise-free flow (no random kicks at all)")
        lo, hi, step, _ = PRIVATE_NOISE
        self.private_noise = labelled(widgets.FloatSlider(
            value=private_noise, min=lo, max=hi, step=step, description="private noise s", readout_format=".2f",
            continuous_update=False),
            "s: each neuron's own independent noise (std per sqrt(tau)); it pushes the state off the latent plane")
        self.fitted = widgets.ToggleButtons(
            options=(("plain fit", False), ("fitted for this noise", True)), value=bool(fitted),
            tooltips=("the network fitted without private noise, run with noise s",
                      "a network fitted knowing that each neuron gets noise s"),
            style=dict(button_width="150px"))
        self.n_shown = labelled(widgets.IntSlider(value=40, min=5, max=200, step=5, description="neurons shown",
                                                  continuous_update=False),
                                "how many neurons the rate heatmap shows")
        self.readout = widgets.HTML(value="")
        help_text = widgets.HTML(value=PRIVATE_NOISE_HELP, layout=dict(max_width="320px"))
        for w, css in ((self.seed, "ddm-traj-seed"), (self.noise, "ddm-traj-noise"),
                       (self.private_noise, "ddm-traj-private-noise"), (self.fitted, "ddm-traj-fitted"),
                       (self.n_shown, "ddm-traj-neurons")):
            w.add_class(css)
            w.observe(self._redraw, "value")
        self.readout.add_class("ddm-traj-readout")
        self._runs = None
        self.state.observe(lambda s: self.run(self._draw), "network")
        self.state.observe(lambda s: self.run(self._draw), "target")
        self.run(self._draw)
        self._assemble([self.seed, self.noise, self.private_noise, self.fitted, help_text, self.n_shown, self.readout],
                       "ddm-trajectories")

    def _defaults(self):
        return {self.seed: 0, self.noise: True, self.private_noise: PRIVATE_NOISE[3], self.fitted: False, self.n_shown: 40}

    def _compute(self):
        st = self.state
        net, target = st.net, st.target
        if net is None or net.dim != target.dim:
            raise ValueError("no network for this target yet: press Retrain in the Train panel")
        s, fitted = float(self.private_noise.value), bool(self.fitted.value)
        noisy, report, notes = st.network_with_private_noise(s, fitted=fitted)
        key = jax.random.fold_in(st.key, int(self.seed.value))
        k_z0, k_sim = jax.random.split(key)
        lo, hi = target.region
        z0 = np.asarray(jax.random.uniform(k_z0, (N_TRIALS, target.dim), minval=lo, maxval=hi))
        kw = dict(n_trials=N_TRIALS, key=k_sim, z0=z0, deterministic=not self.noise.value, progress=False, **st.sim)
        tag = (id(net), id(target), int(self.seed.value), bool(self.noise.value), s, fitted)
        if self._runs is None or self._runs[0] != tag:  # n_shown alone changes the view only
            self._runs = (tag, _simulate(noisy, record_neurons=True, **kw), _simulate(target, **kw))
        _, ds_net, ds_tgt = self._runs
        n = min(int(self.n_shown.value), net.n_neurons)
        rate = noisy.phi(ds_net.x.isel(trial=0, neuron=slice(0, n)).values)
        unmatched = float(report["unmatched_diffusion"]) if "unmatched_diffusion" in report else 0.0
        return xr.Dataset(
            dict(z_network=ds_net.z, z_target=ds_tgt.z,
                 rate=(("time", "neuron"), np.asarray(rate), dict(long_name="rate phi(x), trial 0"))),
            attrs=dict(system=target.name, system_params=str(target.params), n_neurons=net.n_neurons,
                       seed=int(self.seed.value), deterministic=int(not self.noise.value), private_noise=s,
                       fitted_for_noise=int(fitted), unmatched_diffusion=unmatched, notes=notes, **st.sim))

    def _write_readout(self, res):
        a = res.attrs
        s = a["private_noise"]
        which = "fitted for this noise" if a["fitted_for_noise"] and s > 0 else "plain fit"
        text = f"network: {which}, N = {a['n_neurons']}, private noise s = {s:.2f}"
        if a["deterministic"]:
            text += " (noise off: no noise is drawn)"
        if a["fitted_for_noise"] and s > 0:
            text += f"; unmatched diffusion {100 * a['unmatched_diffusion']:.0f}%"
        if a["notes"]:
            text += f'<br><span style="color:#b00020">{html.escape(a["notes"])}</span>'
        self.readout.value = text

    def _layout_key(self, res):
        return (self.state.system, res.sizes["latent"])

    def _new_figure(self, res):
        d = res.sizes["latent"]
        specs = [[{"type": "scene" if d == 3 else "xy"}, {"type": "xy"}]]
        fig = figure(2, specs=specs, titles=("latent state: network and target from the same starts",
                                             "rates tanh(x) of the first neurons, trial 0"), legend=True)
        line = go.Scatter3d if d == 3 else go.Scatter
        fig.add_trace(line(mode="lines", name="network (all neurons simulated)", line=dict(color="#d62728", width=2)), 1, 1)
        fig.add_trace(line(mode="lines", name="target", line=dict(color="black", width=2, dash="dot")), 1, 1)
        fig.add_trace(go.Heatmap(name="rates", colorscale="RdBu", zmin=-1, zmax=1, showlegend=False,
                                 colorbar=dict(len=0.8, title=dict(text="rate", side="top"))), 1, 2)
        fig.update_xaxes(title_text="time (tau)", row=1, col=2)
        fig.update_yaxes(title_text="neuron", row=1, col=2)
        if d == 1:
            fig.update_xaxes(title_text="time (tau)", row=1, col=1)
            fig.update_yaxes(title_text="state z", row=1, col=1)
        elif d == 2:
            fig.update_xaxes(title_text="z1", row=1, col=1)
            fig.update_yaxes(title_text="z2", row=1, col=1)
        else:
            fig.update_layout(scene=dict(xaxis_title="z1", yaxis_title="z2", zaxis_title="z3"))
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
