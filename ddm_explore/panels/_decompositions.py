"""Panel 5: how the fitted network encodes the dynamics: J = J_S + J_A = J_rev + J_irr, the
reversible and irreversible drifts, the probability current and the entropy production."""

from __future__ import annotations

import html
import warnings

import ipywidgets as widgets
import jax
import numpy as np
import plotly.graph_objects as go
import xarray as xr
from plotly.subplots import make_subplots

from .. import analysis as _analysis
from .. import experiments as _experiments
from .._estimates import LatentEquationWarning
from ..sdes import systems as _systems
from ._common import Panel, labelled, slider
from ._plots import arrows
from ._state import PanelState
from ._text import params_text, system_title

#: matrices drawn in the top row, in order
MATRICES = ("J", "J_S", "J_A", "J_rev", "J_irr")
#: arrows drawn per dimension (the fields are computed on the finer n_grid grid)
N_ARROWS = 15
#: what a full or symmetric network's fields are (ddm.LatentEquationWarning, in words)
LATENT_NOTE = ("this network's neurons also drift off the latent plane: its drifts, current and e_p here are those "
               "of its latent equation on the plane")


class DecompositionPanel(Panel):
    """Decompositions of the fitted network: the connectivity ``J`` and its symmetric /
    antisymmetric parts ``J_S``, ``J_A`` (``ddm.analysis.decompose_connectivity``), its reversible /
    irreversible parts ``J_rev``, ``J_irr`` (``ddm.analysis.decompose_network``), the asymmetry
    index, the drifts ``f_rev`` and ``f_irr`` and the probability current on a grid
    (``ddm.analysis.irreversibility``, of the network or of the target), and, on a button
    press, the entropy production against the nonequilibrium strength c (targets with a ``c``
    parameter, e.g. ring_wells): the target's for every c and, optionally, that of a network
    fitted to each.

    Attributes
    ----------
    widget : ipywidgets.VBox
    fields_of : ToggleButtons ("network" or "target": whose f_rev, f_irr and current are drawn)
    n_grid : IntSlider (cells per dimension of the Fokker–Planck grid);  n_shown : IntSlider
    (neurons shown in the J heatmaps);  c_max : FloatSlider, n_c : IntSlider (the sweep's c values
    ``linspace(0, c_max, n_c)``);  with_networks : Checkbox (fit a network per c);
    sweep : Button (compute e_p against c);  readout : HTML
    figure : plotly FigureWidget
        Top row: the five matrices (first ``n_shown`` neurons). Bottom row: f_rev, f_irr, the
        current over the stationary density, and e_p against c.
    result : xarray.Dataset
        ``J``, ``J_S``, ``J_A``, ``J_rev``, ``J_irr`` (post, pre), ``eigenvalues``, the scalars of
        both decompositions (``asymmetry``, ``asymmetry_rev``, ``asymmetry_irr``,
        ``alignment_irr_A``, ``entropy_production_network``, ``entropy_production_rev``,
        ``density_distance``, ...); the fields ``p``, ``f``, ``f_rev``, ``f_irr``, ``current`` and
        ``entropy_production`` of ``fields_of``; after a sweep ``entropy_production_target`` and
        ``entropy_production_fitted`` (c). d <= 2 for everything past J, J_S, J_A.

    Examples
    --------
    >>> from ddm_explore.panels import DecompositionPanel, PanelState
    >>> state = PanelState("ornstein_uhlenbeck")
    >>> _ = state.retrain(32)
    >>> dp = DecompositionPanel(state)
    >>> dp.n_grid.value = 30
    >>> dp.result.sizes["z0"], 0 < float(dp.result.asymmetry) < 1
    (30, True)
    """

    def __init__(self, state: PanelState | None = None):
        super().__init__(state if state is not None else PanelState("ring_wells"))
        self.fields_of = widgets.ToggleButtons(options=("network", "target"), value="network", description="fields of",
                                               tooltips=("draw the drifts and the current of the fitted network",
                                                         "draw the drifts and the current of the target"),
                                               style=dict(button_width="80px", description_width="70px"))
        self.n_grid = labelled(widgets.IntSlider(value=40, min=20, max=100, step=10, description="grid cells",
                                                 continuous_update=False),
                               "cells per dimension of the grid the stationary density and current are solved on")
        self.n_shown = labelled(widgets.IntSlider(value=64, min=8, max=256, step=8, description="neurons shown",
                                                  continuous_update=False),
                                "how many neurons the connectivity heatmaps show")
        self.c_max = slider("largest c", (0.2, 2.0, 0.1, 1.0), "ddm-sweep-c-max",
                            "the sweep's largest rotational current c (it starts at 0)")
        self.n_c = labelled(widgets.IntSlider(value=5, min=3, max=9, description="c values", continuous_update=False),
                            "how many values of c the sweep computes")
        self.with_networks = labelled(widgets.Checkbox(value=True, description="fit a network per c", indent=False),
                                      "also fit a network at each c and compute its entropy production")
        self.sweep = widgets.Button(description="entropy production vs c", icon="line-chart", layout=dict(width="220px"),
                                    tooltip="compute the entropy production for each c (the target's, and a network's)")
        self.readout = widgets.HTML(value="")
        for w, css in ((self.fields_of, "ddm-fields-of"), (self.n_grid, "ddm-decomp-grid"), (self.n_shown, "ddm-decomp-neurons"),
                       (self.n_c, "ddm-sweep-n"), (self.with_networks, "ddm-sweep-networks"), (self.sweep, "ddm-sweep"),
                       (self.readout, "ddm-decomp-readout")):
            w.add_class(css)
        self._decomposed = None  # (tag, dataset) of the network's decompositions
        self._fields = None  # (tag, dataset) of the drawn fields
        self._swept = None  # (tag, dataset) of the last sweep
        self._notes = []  # what the last computation warned about, in words
        for w in (self.fields_of, self.n_grid, self.n_shown):
            w.observe(self._redraw, "value")
        self.sweep.on_click(lambda _: self.run(self._sweep))
        self.state.observe(lambda s: self.run(self._draw), "target")
        self.state.observe(lambda s: self.run(self._draw), "network")
        self.run(self._draw)
        self._assemble([self.fields_of, self.n_grid, self.n_shown, widgets.HTML("<b>entropy production against c</b>"),
                        self.c_max, self.n_c, self.with_networks, self.sweep, self.readout], "ddm-decompositions")

    def _defaults(self):
        return {self.fields_of: "network", self.n_grid: 40, self.n_shown: 64, self.c_max: 1.0, self.n_c: 5,
                self.with_networks: True}

    # compute (library calls) ----------------------------------------------------------------
    def _network(self):
        st = self.state
        if st.net is None or st.net.dim != st.target.dim:
            raise ValueError("no network for this target yet: press Retrain in the Train panel")
        return st.net

    def _decompose(self, net, n_grid) -> xr.Dataset:
        tag = (id(net), n_grid)
        if self._decomposed is not None and self._decomposed[0] == tag:
            return self._decomposed[1]
        conn = _analysis.decompose_connectivity(net, n_grid=3)  # the matrices; its own fields are not drawn
        ds = conn[["J", "J_S", "J_A", "asymmetry", "eigenvalues"]]
        if net.dim <= 2:
            _, _, rep = _analysis.decompose_network(net, n_grid=n_grid)
            # its fields (and their grid) are those of the network: the drawn fields come from _field_data
            rep = rep.drop_vars(["p", "p_rev", "f_rev", "f_irr", "asymmetry", "z0", "z1"], errors="ignore")  # z1: 2-D only
            rep = rep.rename(entropy_production="entropy_production_network")
            ds = xr.merge([ds, rep], combine_attrs="override")
        self._decomposed = (tag, ds)
        return ds

    def _field_data(self, net, n_grid) -> xr.Dataset | None:
        system = net if self.fields_of.value == "network" else self.state.target
        if system.dim > 2:
            return None
        tag = (id(system), n_grid)
        if self._fields is None or self._fields[0] != tag:
            self._fields = (tag, _analysis.irreversibility(system, n_grid=n_grid))
        return self._fields[1]

    def _compute(self) -> xr.Dataset:
        net = self._network()
        n_grid = int(self.n_grid.value)
        with warnings.catch_warnings(record=True) as caught:  # said in words in the readout, not printed
            warnings.simplefilter("always", LatentEquationWarning)
            parts = [self._decompose(net, n_grid)]
            fields = self._field_data(net, n_grid)
        for w in caught:
            if not issubclass(w.category, LatentEquationWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        self._notes = [LATENT_NOTE] if net.connectivity != "low_rank" else []
        if fields is not None:
            parts.append(fields[["p", "f", "f_rev", "f_irr", "current", "entropy_production_density", "entropy_production"]])
        swept = self._current_sweep()
        if swept is not None:
            parts.append(swept)
        res = xr.merge(parts, combine_attrs="override", join="exact")
        st = self.state
        res.attrs = dict(network=net.name, n_neurons=net.n_neurons, connectivity=net.connectivity, dim=net.dim,
                         fitted_to=str(st.net_params), network_is_current=int(st.network_is_current),
                         fields_of=self.fields_of.value if fields is not None else "none", n_grid=n_grid,
                         system=st.target.name, system_params=str(st.target.params))
        return res

    def _sweep_tag(self):
        st = self.state
        return (st.system, tuple(sorted((k, v) for k, v in st.params.items() if k != "c")))

    def _current_sweep(self):
        """The last sweep, while the target's parameters other than c are unchanged."""
        if self._swept is not None and self._swept[0] == self._sweep_tag():
            return self._swept[1]
        return None

    def _sweep(self):
        """e_p against c (``ddm.experiments.entropy_production_vs_current``): the target's at each c
        and, optionally, that of a network fitted to it (the current network's size, low_rank closed form)."""
        st = self.state
        if "c" not in st.params:
            raise ValueError(f"entropy production against c needs a target with a parameter c (ring_wells), "
                             f"got {st.system!r} with {sorted(st.params)}")
        n_grid = int(self.n_grid.value)
        cs = np.linspace(0.0, float(self.c_max.value), int(self.n_c.value))
        n_neurons = st.net.n_neurons if st.net is not None else 128
        factory = getattr(_systems, st.system)
        self.readout.value = f"computing e_p for c = {np.round(cs, 2).tolist()} ..."
        ds = _experiments.entropy_production_vs_current(
            lambda c: factory(**{**st.params, "c": c}), cs, key=jax.random.fold_in(st.key, 1000), n_neurons=n_neurons,
            n_grid=n_grid, fit_networks=bool(self.with_networks.value))
        # the panel's own network has entropy_production_network: the sweep's networks are "fitted"
        ds = ds[["entropy_production_target", "entropy_production_network"]].rename(
            entropy_production_network="entropy_production_fitted")
        ds.entropy_production_fitted.attrs["long_name"] = f"e_p of a network (N = {n_neurons}, low_rank) fitted at each c"
        self._swept = (self._sweep_tag(), ds)
        self._draw()

    # draw -----------------------------------------------------------------------------------
    def _new_figure(self, res):
        # 15 columns: five matrices of 3 columns in the top row, three phase planes of 5 below, the
        # sweep across the bottom row; each phase plane is square-ish at any width
        titles = ("J (all)", "J_S (symmetric)", "J_A (antisymmetric)", "J_rev (reversible)", "J_irr (irreversible)",
                  "reversible drift f_rev", "irreversible drift f_irr", "current j over density p",
                  "entropy production e_p against c")
        specs = [[{"colspan": 3}, None, None] * 5, [{"colspan": 5}, None, None, None, None] * 3,
                 [{"colspan": 15}] + [None] * 14]
        fig = make_subplots(rows=3, cols=15, subplot_titles=titles, specs=specs, vertical_spacing=0.09,
                            horizontal_spacing=0.012, row_heights=[0.27, 0.43, 0.30])
        fig.update_layout(height=940, margin=dict(l=50, r=20, t=70, b=90), template="plotly_white", showlegend=True,
                          legend=dict(orientation="h", x=0.0, y=-0.06, yanchor="top", font=dict(size=11)))
        fig.update_annotations(font_size=12)
        for i, name in enumerate(MATRICES):  # one colour scale for all five: comparable sizes
            fig.add_trace(go.Heatmap(name=name, colorscale="RdBu", zmid=0.0, coloraxis="coloraxis", showlegend=False,
                                     hovertemplate="to neuron %{y}<br>from neuron %{x}<br>weight %{z:.3f}<extra></extra>"),
                          1, 3 * i + 1)
            fig.update_yaxes(autorange="reversed", row=1, col=3 * i + 1)
        fig.update_layout(coloraxis=dict(colorscale="RdBu", cmid=0.0, colorbar=dict(
            len=0.25, y=0.87, thickness=12, title=dict(text="weight", side="top"))))
        fig.add_trace(go.Scatter(mode="lines", name="reversible drift f_rev", line=dict(color="#1f77b4", width=1)), 2, 1)
        fig.add_trace(go.Scatter(mode="lines", name="irreversible drift f_irr", line=dict(color="#d62728", width=1)), 2, 6)
        fig.add_trace(go.Heatmap(name="stationary density p", colorscale="Greys", showscale=False, opacity=0.6,
                                 showlegend=True), 2, 11)
        fig.add_trace(go.Scatter(mode="lines", name="probability current j", line=dict(color="#9467bd", width=1)), 2, 11)
        fig.add_trace(go.Scatter(mode="lines+markers", name="e_p of the target", line=dict(color="black")), 3, 1)
        fig.add_trace(go.Scatter(mode="markers", name="e_p of a network fitted at each c",
                                 marker=dict(color="#d62728", size=9, symbol="x")), 3, 1)
        fig.add_trace(go.Scatter(mode="markers", name="e_p of this network",
                                 marker=dict(color="#2ca02c", size=13, symbol="star")), 3, 1)
        for col in (1, 6, 11):
            fig.update_xaxes(title_text="z1", row=2, col=col)
            fig.update_yaxes(title_text="z2", row=2, col=col)
        fig.update_xaxes(title_text="rotational current c", row=3, col=1)
        fig.update_yaxes(title_text="e_p (per tau)", row=3, col=1)
        fig.layout.meta = dict(panel="decompositions")
        return fig

    def _fill(self, fig, res):
        t = fig.data
        n = min(int(self.n_shown.value), res.sizes["post"])
        for i, name in enumerate(MATRICES):
            if name in res:
                t[i].z = res[name].values[:n, :n]
            else:
                t[i].z = np.zeros((0, 0))
        if "f_rev" in res and res.sizes.get("latent") == 2:
            step = max(1, res.sizes["z0"] // N_ARROWS)
            coarse = res.isel(z0=slice(step // 2, None, step), z1=slice(step // 2, None, step))
            t[5].x, t[5].y = arrows(coarse.f_rev)
            t[6].x, t[6].y = arrows(coarse.f_irr)
            t[7].x, t[7].y, t[7].z = res.z0.values, res.z1.values, res.p.values.T
            t[8].x, t[8].y = arrows(coarse.current)
        else:  # d = 1 or 3: the fields are not drawn as arrows
            for k in (5, 6, 8):
                t[k].x, t[k].y = [], []
            t[7].z = np.zeros((0, 0))
        if "entropy_production_target" in res:
            t[9].x, t[9].y = res.c.values, res.entropy_production_target.values
            t[10].x, t[10].y = res.c.values, res.entropy_production_fitted.values
        else:
            t[9].x, t[9].y, t[10].x, t[10].y = [], [], [], []
        c_now = self.state.params.get("c")
        if c_now is not None and "entropy_production_network" in res and self.state.network_is_current:
            t[11].x, t[11].y = [c_now], [float(res.entropy_production_network)]
        else:
            t[11].x, t[11].y = [], []
        who = res.attrs["fields_of"]
        fields = f"drifts and current of the {who}" if who != "none" else "drifts and current: drawn for d <= 2"
        fig.layout.title = dict(text=f"network of {res.attrs['n_neurons']} neurons "
                                     f"({res.attrs['connectivity'].replace('_', ' ')}); {fields}", font=dict(size=13))

    def _write_readout(self, res):
        a = res.attrs
        lines = [f"asymmetry ||J_A|| / ||J||: <b>{float(res.asymmetry):.3f}</b> (0: symmetric)"]
        if "asymmetry_rev" in res:
            lines.append(f"asymmetry of J_rev {float(res.asymmetry_rev):.3f}, of J_irr {float(res.asymmetry_irr):.3f}; "
                         f"||J_irr|| / ||J|| {float(res.norm_ratio_irr):.3f}")
            lines.append(f"entropy production of the network <b>{float(res.entropy_production_network):.3f}</b> per tau, "
                         f"of J_rev alone {float(res.entropy_production_rev):.3f} per tau")
        else:
            lines.append(f"J_rev, J_irr, the drifts and the current are drawn for targets of dimension 2 or less "
                         f"(this one has {a['dim']})")
        if a["fields_of"] != "none":
            lines.append(f"drawn: the {a['fields_of']}'s fields, e_p = {float(res.entropy_production):.3f} per tau")
        lines += [html.escape(n) for n in self._notes]
        if not a["network_is_current"]:
            system, params = self.state.net_params
            lines.append(html.escape(f"(the network was fitted to the {system_title(system)} with "
                                     f"{params_text(system, params)}: press Retrain)"))
        if "entropy_production_target" in res:
            lines.append("e_p of the target against c: " + ", ".join(
                f"{c:.2f}: {e:.3f}" for c, e in zip(res.c.values, res.entropy_production_target.values)))
        self.readout.value = "<br>".join(lines)
