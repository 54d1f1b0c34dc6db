"""Plotly figures of the paper's experiments: views over the Datasets of :mod:`ddm_explore.experiments`.

Each ``plot_*`` function takes the Dataset an experiment returned and computes nothing itself.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import experiments

TARGET_COLOUR = "#1f77b4"
NETWORK_COLOUR = "#d62728"


def plot_e1(ds) -> go.Figure:
    """E1: stationary histograms of z1, target against network, one panel per target."""
    names = [str(t) for t in ds.target.values]
    titles = [f"{n}<br>eps_f={float(ds.eps_f.sel(target=n)):.1e}" for n in names]
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=titles)
    for i, name in enumerate(names, start=1):
        sel = ds.sel(target=name)
        x = sel.bin_centre.values
        fig.add_bar(x=x, y=sel.hist_target.values, name="target", marker_color=TARGET_COLOUR, opacity=0.5,
                    showlegend=i == 1, row=1, col=i)
        fig.add_scatter(x=x, y=sel.hist_network.values, name="network", mode="lines",
                        line=dict(color=NETWORK_COLOUR), showlegend=i == 1, row=1, col=i)
        fig.update_xaxes(title_text="z1", row=1, col=i)
    fig.update_layout(title=f"E1 · stationary distributions, N = {ds.attrs['n_neurons']}", barmode="overlay",
                      height=360, width=1200, bargap=0)
    return fig


def plot_e2(ds) -> go.Figure:
    """E2: the two limit cycles (phase planes, the first 40 tau: the approach and a few turns), the Lorenz
    attractor of target and network in 3-D, and z1 against time of both from one common start (chaos:
    they separate, the attractor stays)."""
    osc = [str(o) for o in ds.oscillator.values]
    titles = [f"{o}: period {float(ds.period.sel(oscillator=o, system='network')):.2f} / "
              f"{float(ds.period.sel(oscillator=o, system='target')):.2f}" for o in osc]
    fig = make_subplots(rows=2, cols=3, specs=[[{}, {}, {"type": "scene", "rowspan": 2}], [{"colspan": 2}, None, None]],
                        subplot_titles=titles + ["Lorenz-63 in a 3-D latent space", "Lorenz-63: z1 from one common start"],
                        column_widths=[0.3, 0.3, 0.4], vertical_spacing=0.12)
    styles = {"target": dict(color=TARGET_COLOUR, dash="dot"), "network": dict(color=NETWORK_COLOUR)}
    for i, o in enumerate(osc, start=1):
        for system in ("target", "network"):
            z = ds.cycle_z.sel(oscillator=o, system=system, cycle_time=slice(None, 40.0))
            fig.add_scatter(x=z.sel(plane=0).values, y=z.sel(plane=1).values, mode="lines", name=system,
                            line=styles[system], legendgroup=system, showlegend=i == 1, row=1, col=i)
        fig.update_xaxes(title_text="z1", row=1, col=i)
        fig.update_yaxes(title_text="z2", row=1, col=i)
    for system in ("target", "network"):
        z = ds.lorenz_z.sel(system=system)
        fig.add_scatter3d(x=z.sel(axis=0).values, y=z.sel(axis=1).values, z=z.sel(axis=2).values, mode="lines",
                          line=dict(color=styles[system]["color"], width=2), name=system, legendgroup=system,
                          showlegend=False, row=1, col=3)
        fig.add_scatter(x=ds.lorenz_time.values, y=z.sel(axis=0).values, mode="lines", line=styles[system],
                        name=system, legendgroup=system, showlegend=False, row=2, col=1)
    fig.update_xaxes(title_text="time (tau)", row=2, col=1)
    fig.update_yaxes(title_text="z1", row=2, col=1)
    lam = ds.lyapunov
    fig.update_layout(title=(f"E2 · limit cycles and chaos · Lorenz lambda_max target {float(lam.sel(system='target')):.2f}, "
                             f"network {float(lam.sel(system='network')):.2f} (reference {ds.attrs['lyapunov_reference']})"),
                      scene=dict(xaxis_title="z1", yaxis_title="z2", zaxis_title="z3"), height=700, width=1200)
    return fig


def plot_symmetric_vs_asymmetric(ds) -> go.Figure:
    """Latent trajectories of the asymmetric and the symmetric (Hopfield-type) fits to Van der Pol: each network
    simulated in all its neurons, next to its on-manifold latent flow (what the drift fit alone promises)."""
    modes = list(ds.mode.values)
    fig = make_subplots(rows=1, cols=len(modes), subplot_titles=[
        f"{m}: eps_f = {float(ds.eps_f.sel(mode=m)):.2g}" for m in modes])
    for i, mode in enumerate(modes, start=1):
        fig.add_scatter(x=ds.z_target.sel(latent=0).values, y=ds.z_target.sel(latent=1).values, mode="lines",
                        name="target", line=dict(color=TARGET_COLOUR, dash="dot"), showlegend=i == 1, row=1, col=i)
        zl = ds.z_latent.sel(mode=mode)
        fig.add_scatter(x=zl.sel(latent=0).values, y=zl.sel(latent=1).values, mode="lines",
                        name="latent flow on the manifold", line=dict(color="grey", dash="dash"), showlegend=i == 1,
                        row=1, col=i)
        z = ds.z.sel(mode=mode)
        fig.add_scatter(x=z.sel(latent=0).values, y=z.sel(latent=1).values, mode="lines",
                        name="network, all neurons simulated", line=dict(color=NETWORK_COLOUR), showlegend=i == 1,
                        row=1, col=i)
        end = z.isel(time=-1).values
        fig.add_scatter(x=[end[0]], y=[end[1]], mode="markers", marker=dict(size=10, color="black"),
                        name="end point", showlegend=i == 1, row=1, col=i)
        fig.update_xaxes(title_text="z1", range=[-4, 4], row=1, col=i)
        fig.update_yaxes(title_text="z2", range=[-4, 4], row=1, col=i)
    fig.update_layout(title="Symmetric connectivity has a Lyapunov function: no limit cycle in the simulated network",
                      height=420, width=400 * len(modes))
    return fig


def plot_e3(ds) -> go.Figure:
    """E3: recall accuracy against cue amplitude, per cue duration, target and network."""
    fig = go.Figure()
    dashes = ["solid", "dash", "dot", "dashdot"]
    for j, dur in enumerate(ds.duration.values):
        # target: open markers with error bars; network: a line through them (paired runs often coincide)
        acc, err = ds.accuracy.sel(system="target", duration=dur), ds.accuracy_se.sel(system="target", duration=dur)
        fig.add_scatter(x=ds.amplitude.values, y=acc.values, error_y=dict(array=err.values, color=TARGET_COLOUR),
                        mode="markers", name=f"target, cue {float(dur):g} tau",
                        marker=dict(color=TARGET_COLOUR, size=12, symbol=["circle-open", "square-open"][j % 2]))
        fig.add_scatter(x=ds.amplitude.values, y=ds.accuracy.sel(system="network", duration=dur).values,
                        mode="lines", name=f"network, cue {float(dur):g} tau",
                        line=dict(color=NETWORK_COLOUR, dash=dashes[j % 4]))
    fig.add_hline(y=float(ds.chance), line_dash="dot", annotation_text="chance")
    fig.update_layout(title="E3 · associative recall", xaxis_title="cue amplitude", yaxis_title="recall accuracy",
                      yaxis_range=[0, 1.05], height=420, width=700)
    return fig


def plot_e4(ds) -> go.Figure:
    """E4: forward and backward transitions around the ring, the net flux and the mean cycle time
    (log axis: without a current it is effectively infinite), against c."""
    fig = make_subplots(rows=1, cols=3, subplot_titles=["transitions around the ring", "net flux", "mean cycle time"])
    c = ds.c.values
    for system, colour in (("target", TARGET_COLOUR), ("network", NETWORK_COLOUR)):
        r = ds.sel(system=system)
        fig.add_scatter(x=c, y=r.n_forward.values, mode="lines+markers", name=f"{system} forward",
                        line=dict(color=colour), row=1, col=1)
        fig.add_scatter(x=c, y=r.n_backward.values, mode="lines+markers", name=f"{system} backward",
                        line=dict(color=colour, dash="dash"), row=1, col=1)
        fig.add_scatter(x=c, y=r.net_flux.values, mode="lines+markers", name=f"{system} net flux",
                        line=dict(color=colour), showlegend=False, row=1, col=2)
        fig.add_scatter(x=c, y=r.mean_cycle_time.values, mode="lines+markers", name=f"{system} cycle time",
                        line=dict(color=colour), showlegend=False, row=1, col=3)
    fig.update_xaxes(title_text="rotational current c")
    fig.update_yaxes(title_text="count", row=1, col=1)
    fig.update_yaxes(title_text="1/tau", row=1, col=2)
    fig.update_yaxes(title_text="tau", type="log", row=1, col=3)
    fig.update_layout(title=(f"E4 · episodic sequences from a nonequilibrium current ({ds.attrs['n_trials']} trials x "
                             f"{ds.attrs['t_max']:g} tau)"), height=420, width=1200)
    return fig


def plot_e5(ds) -> go.Figure:
    """E5: entropy production against c (target and network) and the J_rev / J_irr heatmaps."""
    fig = make_subplots(rows=1, cols=3, subplot_titles=["entropy production", "J_rev", "J_irr"])
    fig.add_scatter(x=ds.c.values, y=ds.entropy_production_target.values, mode="lines+markers", name="target",
                    line=dict(color=TARGET_COLOUR), row=1, col=1)
    fig.add_scatter(x=ds.c.values, y=ds.entropy_production_network.values, mode="markers", name="network",
                    marker=dict(color=NETWORK_COLOUR, size=10), row=1, col=1)
    n = min(64, ds.J_rev.shape[0])
    for col, name in ((2, "J_rev"), (3, "J_irr")):
        fig.add_heatmap(z=ds[name].values[:n, :n], colorscale="RdBu", zmid=0, showscale=col == 3, row=1, col=col)
    fig.update_xaxes(title_text="c", row=1, col=1)
    fig.update_yaxes(title_text="e_p (1/tau)", row=1, col=1)
    fig.update_layout(title=f"E5 · irreversibility (first {n} neurons shown)", height=440, width=1200,
                      legend=dict(orientation="h", x=0.0, y=-0.25))
    return fig


def registry() -> dict:
    """Figure name -> (experiment function of :mod:`ddm_explore.experiments`, plot function)."""
    return {
        "e1_embedding": (experiments.e1_embedding, plot_e1),
        "e2_nonequilibrium_chaos": (experiments.e2_nonequilibrium_chaos, plot_e2),
        "symmetric_vs_asymmetric": (experiments.symmetric_vs_asymmetric, plot_symmetric_vs_asymmetric),
        "e3_associative_memory": (experiments.e3_associative_memory, plot_e3),
        "e4_episodic_sequences": (experiments.e4_episodic_sequences, plot_e4),
        "e5_decompositions": (experiments.e5_decompositions, plot_e5),
    }
