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


def figure(rows_cols, specs=None, titles=None, height=380):
    """An empty plain Figure with subplots: fill it, then wrap it with :func:`widget`."""
    fig = make_subplots(rows=1, cols=rows_cols, specs=specs, subplot_titles=titles)
    fig.update_layout(height=height, margin=dict(l=40, r=20, t=40, b=40), template="plotly_white",
                      showlegend=False)
    return fig


def widget(fig) -> go.FigureWidget:
    """The FigureWidget of a filled Figure: a view shows the data the widget was built with and
    may miss updates sent before it was displayed, so build it in its final state."""
    return go.FigureWidget(fig)
