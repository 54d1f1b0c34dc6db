"""Turning library results into plotly trace data (layout only, no science)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots


def arrows(field) -> tuple[np.ndarray, np.ndarray]:
    """Segments (x, y with NaN gaps) of a 2-D drift field DataArray (z0, z1, latent) on a grid.

    Arrow length grows like sqrt(|f|), capped at one grid cell, so slow regions stay visible.
    """
    a0, a1 = field.z0.values, field.z1.values
    X, Y = np.meshgrid(a0, a1, indexing="ij")
    f = field.values
    speed = np.linalg.norm(f, axis=-1)
    cell = min(a0[1] - a0[0], a1[1] - a1[0]) * 0.9
    top = speed.max() or 1.0
    scale = cell * np.sqrt(speed / top) / np.where(speed > 0, speed, 1.0)
    X1, Y1 = X + f[..., 0] * scale, Y + f[..., 1] * scale
    nan = np.full(X.shape, np.nan)
    xs = np.stack([X, X1, nan], -1).ravel()
    ys = np.stack([Y, Y1, nan], -1).ravel()
    return xs, ys


def gapped(*columns) -> list[np.ndarray]:
    """Join trials (trial, time) into single traces with NaN gaps between trials."""
    out = []
    for c in columns:
        c = np.asarray(c, np.float64)
        out.append(np.concatenate([c, np.full((c.shape[0], 1), np.nan)], axis=1).ravel())
    return out


def figure(rows_cols, specs=None, titles=None, height=380, legend=False):
    """An empty plain Figure with subplots: fill it, then wrap it with :func:`widget`. With
    ``legend`` a horizontal legend sits below the plots (never over their tick labels)."""
    fig = make_subplots(rows=1, cols=rows_cols, specs=specs, subplot_titles=titles, horizontal_spacing=0.09)
    fig.update_layout(height=height + (50 if legend else 0), margin=dict(l=50, r=20, t=60, b=50 + (50 if legend else 0)),
                      template="plotly_white", showlegend=legend)
    if legend:
        fig.update_layout(legend=dict(orientation="h", x=0.0, y=-0.18, yanchor="top", font=dict(size=11)))
    fig.update_annotations(font_size=12)
    return fig


#: how a fixed point is marked, by stability (ddm.analysis.fixed_points)
FIXED_POINT_MARKERS = {"stable": dict(symbol="circle", color="black", size=11),
                       "unstable": dict(symbol="circle-open", color="black", size=11, line=dict(width=2)),
                       "saddle": dict(symbol="x", color="black", size=11)}


def fixed_point_traces(fig, row, col):
    """Add one (empty) marker trace per kind of fixed point, in the order of FIXED_POINT_MARKERS."""
    for kind, marker in FIXED_POINT_MARKERS.items():
        fig.add_trace(go.Scatter(mode="markers", name=f"{kind} fixed point", marker=marker), row, col)


def fill_fixed_points(traces, z, stability):
    """Fill the traces of :func:`fixed_point_traces` with points ``z`` (point, d; 1-D ones drawn at
    y = 0) of the given stabilities."""
    stability = np.asarray(stability).astype(str)
    z = np.asarray(z, np.float64)
    z = z.reshape(len(stability), z.shape[-1] if z.ndim > 1 else 1)
    for trace, kind in zip(traces, FIXED_POINT_MARKERS):
        pts = z[stability == kind]
        trace.x = pts[:, 0]
        trace.y = pts[:, 1] if pts.shape[1] > 1 else np.zeros(len(pts))


def widget(fig) -> go.FigureWidget:
    """The FigureWidget of a filled Figure: a view shows the data the widget was built with and
    may miss updates sent before it was displayed, so build it in its final state."""
    return go.FigureWidget(fig)
