"""Figures of the tab "A deep layer's moving inputs": a layer's distribution over training
(quantile bands or histograms), without and with BN, and the per-unit mean and variance of
z̃^[l]."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from bnsim.figures import style
from bnsim.figures.covariate_shift import common


def _side_by_side(titles, rows=1, row_titles=None, vertical_spacing=0.14):
    """Without BN | with BN, one shared y axis per row (the same scale: the comparison is the
    point)."""
    fig = make_subplots(rows=rows, cols=2, subplot_titles=titles, shared_yaxes=True,
                        horizontal_spacing=0.05, vertical_spacing=vertical_spacing)
    if row_titles:
        for r, t in enumerate(row_titles, start=1):
            fig.update_yaxes(title_text=t, row=r, col=1)
    return fig


def _step_axis(fig: go.Figure, steps, logx: bool, **where) -> None:
    """Training-step x axis over exactly the recorded steps (log: decades only)."""
    lo, hi = float(steps[0]), float(steps[-1])
    rng = [math.log10(lo), math.log10(hi)] if logx and lo > 0 else [lo, hi]
    fig.update_xaxes(type="log" if logx else "linear", range=rng, **where)
    if logx:
        fig.update_xaxes(dtick=1, **where)  # decades only (the shared style's rule)


def layer_band(steps, bands: dict, y_label: str, logx: bool = True) -> go.Figure:
    """Quantile bands over training steps, without BN and with BN on one y scale.
    ``bands``: {"no_bn": (S, 5), "bn": (S, 5)} the 5, 25, 50, 75, 95 % quantiles."""
    fig = _side_by_side([common.MODEL_NAMES["no_bn"], common.MODEL_NAMES["bn"]])
    for col, key in enumerate(("no_bn", "bn"), start=1):
        q = bands[key]
        color = common.MODEL_COLORS[key]
        for lo, hi, alpha, name in ((0, 4, 0.18, "5–95 %"), (1, 3, 0.38, "25–75 %")):
            fig.add_trace(go.Scatter(x=steps, y=q[:, hi], mode="lines", line=dict(width=0),
                                     showlegend=False, hoverinfo="skip"), row=1, col=col)
            fig.add_trace(go.Scatter(x=steps, y=q[:, lo], mode="lines", line=dict(width=0),
                                     fill="tonexty", fillcolor=common.rgba(color, alpha),
                                     name=f"{name} of examples", legendgroup=name,
                                     showlegend=col == 2, hoverinfo="skip"), row=1, col=col)
        fig.add_trace(go.Scatter(x=steps, y=q[:, 2], mode="lines", line=dict(color=color, width=3),
                                 name="median", showlegend=col == 2,
                                 hovertemplate="step %{x}: median %{y:.3f}<extra></extra>"),
                      row=1, col=col)
    style.base_layout(fig, height=common.HEIGHT["layer"])
    fig.update_layout(legend=common.LEGEND_TOP, margin=dict(t=80, b=50, l=70, r=10))
    _step_axis(fig, steps, logx)
    fig.update_xaxes(title_text="training step")
    fig.update_yaxes(title_text=style.math(y_label), row=1, col=1)
    return fig


def _edges(steps, logx: bool) -> np.ndarray:
    """Cell edges around the snapshot steps (geometric midpoints on a log axis), so a heat
    map fills its axis from the first to the last step."""
    s = np.asarray(steps, dtype=float)
    if len(s) < 2:
        return np.r_[s - 0.5, s + 0.5]
    if logx and s[0] > 0:
        mid = np.sqrt(s[:-1] * s[1:])
    else:
        mid = 0.5 * (s[:-1] + s[1:])
    return np.r_[s[0], mid, s[-1]]


def layer_heatmaps(steps, hists: dict, y_label: str, logx: bool = True) -> go.Figure:
    """Histogram of one unit at every snapshot (colour = density), without and with BN on one
    y scale, each heat map filling its panel from the first to the last step.
    ``hists``: {"no_bn": (edges (bins+1,), density (S, bins)), "bn": …}."""
    fig = _side_by_side([common.MODEL_NAMES["no_bn"], common.MODEL_NAMES["bn"]])
    scale = [[0.0, "rgba(153,153,153,0.0)"], [0.25, common.rgba(style.SKY, 0.7)],
             [1.0, style.BLUE]]
    x_edges = _edges(steps, logx)
    for col, key in enumerate(("no_bn", "bn"), start=1):
        edges, dens = hists[key]
        centres = 0.5 * (edges[:-1] + edges[1:])
        # saturate the top 10 % of cells, so a ReLU spike at exactly 0 does not wash out the rest
        top = np.quantile(dens[dens > 0], 0.9) if np.any(dens > 0) else 1.0
        fig.add_trace(go.Heatmap(x=x_edges, y=centres, z=dens.T, colorscale=scale, zmin=0,
                                 zmax=top, showscale=False, name=common.MODEL_NAMES[key],
                                 hovertemplate="step ≈ %{x:.0f}<br>value %{y:.2f}<br>"
                                               "density %{z:.2f}<extra></extra>"),
                      row=1, col=col)
    style.base_layout(fig, height=common.HEIGHT["layer"])
    fig.update_layout(margin=dict(t=50, b=50, l=70, r=10))
    rng = [x_edges[0], x_edges[-1]]
    if logx and rng[0] > 0:
        rng = [math.log10(rng[0]), math.log10(rng[1])]
    fig.update_xaxes(title_text="training step", type="log" if logx else "linear", range=rng)
    if logx:
        fig.update_xaxes(dtick=1)
    fig.update_yaxes(title_text=style.math(y_label), row=1, col=1)
    return fig


def _all_units(steps, arr):
    """Every column of ``arr`` (S, n) as one line, NaN-separated (one trace instead of n)."""
    S, n = arr.shape
    x = np.tile(np.r_[np.asarray(steps, dtype=float), np.nan], n)
    y = np.r_[arr, np.full((1, n), np.nan)].T.ravel()
    return x, y


def zt_moments(steps, stats: dict, unit: int, logx: bool = True, layer: int | None = None
               ) -> go.Figure:
    """Per-unit mean (first row) and variance (second row) of z̃^[l] over training steps,
    without BN and with BN (one y scale per row); all units as thin lines, unit ``unit``
    (0-based) thick. ``stats``: {"no_bn": (mean (S, n), var (S, n)), "bn": …}."""
    sym = style.math(f"z̃^[{layer}]" if layer else "z̃")
    fig = _side_by_side([common.MODEL_NAMES["no_bn"], common.MODEL_NAMES["bn"]], rows=2,
                        row_titles=[f"mean of {sym}", f"variance of {sym}"],
                        vertical_spacing=0.1)
    for col, key in enumerate(("no_bn", "bn"), start=1):
        color = common.MODEL_COLORS[key]
        for row, arr in enumerate(stats[key], start=1):
            x, y = _all_units(steps, arr)
            first = row == 1 and col == 2  # one legend entry per kind of line
            fig.add_trace(go.Scatter(x=x, y=y, mode="lines", connectgaps=False,
                                     line=dict(color=common.rgba(color, 0.3), width=1),
                                     showlegend=first, name="every unit", hoverinfo="skip"),
                          row=row, col=col)
            fig.add_trace(go.Scatter(
                x=steps, y=arr[:, unit], mode="lines", line=dict(color=color, width=3),
                showlegend=first, name=f"unit {unit + 1}",
                hovertemplate=f"unit {unit + 1}<br>step %{{x}}: %{{y:.3f}}<extra></extra>"),
                row=row, col=col)
    style.base_layout(fig, height=common.HEIGHT["zt"])
    fig.update_layout(legend=common.LEGEND_TOP, margin=dict(t=80, b=50, l=70, r=10))
    _step_axis(fig, steps, logx)
    fig.update_xaxes(title_text="training step", row=2)
    return fig

