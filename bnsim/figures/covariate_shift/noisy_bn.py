"""Figures of the tab "Noisy BN": smoothed loss curves of no BN, BN and noisy BN, and the
final test accuracy and drift D per variant."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from bnsim.figures import style
from bnsim.figures.covariate_shift import common


def loss_curves(steps, curves: dict, noise: float) -> go.Figure:
    """Smoothed mini-batch loss per variant: every seed thin, the mean over seeds thick.
    ``curves``: {variant: (k, T)}. Log y."""
    fig = go.Figure()
    for v, arr in curves.items():
        color = common.MODEL_COLORS[v]
        name = common.MODEL_NAMES[v] + (f" (σ = {noise:g})" if v == "noisy_bn" else "")
        for r in range(arr.shape[0]):
            fig.add_trace(go.Scatter(x=steps, y=arr[r], mode="lines",
                                     line=dict(color=common.rgba(color, 0.35), width=1),
                                     showlegend=False, hoverinfo="skip", legendgroup=v))
        fig.add_trace(go.Scatter(x=steps, y=np.nanmean(arr, axis=0), mode="lines",
                                 line=dict(color=color, width=3), name=name, legendgroup=v,
                                 hovertemplate=name + "<br>step %{x}: %{y:.4f}<extra></extra>"))
    style.base_layout(fig, x_title="training step", y_title="mini-batch loss (smoothed)",
                      height=common.HEIGHT["noisy"])
    fig.update_yaxes(type="log", dtick=1)
    fig.update_layout(legend=common.LEGEND_TOP, margin=dict(t=80, b=50, l=70, r=10))
    return fig


def final_bars(summary, layer: int) -> go.Figure:
    """Final test accuracy (first panel: mean over seeds as a bar-wide mark, every seed as a
    dot, y zoomed to the data in %) and drift D of z̃^[l] (second panel: bars from 0, seeds as
    dots) per variant."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.16,
                        subplot_titles=["final test accuracy",
                                        f"drift D of {style.math(f'z̃^[{layer}]')}"])
    order = ("no_bn", "bn", "noisy_bn")
    names = [common.SHORT[v] for v in order]
    colors = [common.MODEL_COLORS[v] for v in order]
    for col, field in enumerate(("test_acc", "drift"), start=1):
        means = [summary.loc[summary["variant"] == v, field].mean() for v in order]
        if field == "test_acc":
            fig.add_trace(go.Scatter(
                x=names, y=means, mode="markers", name="mean over seeds",
                marker=dict(symbol="line-ew-open", size=40, color=colors, line=dict(width=4)),
                showlegend=False, hovertemplate="%{x}: mean %{y:.1%}<extra></extra>"),
                row=1, col=col)
            fig.update_xaxes(tickvals=names, ticktext=[f"{n}<br>{m * 100:.1f} %" for n, m
                                                       in zip(names, means, strict=True)],
                             row=1, col=col)
        else:
            fig.add_trace(go.Bar(x=names, y=means, marker_color=colors,
                                 text=[f"{m:.1f}" for m in means], textposition="outside",
                                 showlegend=False,
                                 hovertemplate="%{x}: %{y:.3f}<extra></extra>"), row=1, col=col)
        for v, name in zip(order, names, strict=True):
            vals = summary.loc[summary["variant"] == v, field]
            fig.add_trace(go.Scatter(x=[name] * len(vals), y=vals, mode="markers",
                                     marker=dict(color=common.COLORS["neutral"] if field == "drift"
                                                 else common.MODEL_COLORS[v], size=9, opacity=0.8),
                                     showlegend=False,
                                     hovertemplate="seed: %{y:.3f}<extra></extra>"),
                          row=1, col=col)
    style.base_layout(fig, height=common.HEIGHT["noisy"])
    fig.update_layout(margin=dict(t=80, b=50, l=70, r=10))
    acc = summary["test_acc"].to_numpy(dtype=float)
    rng = common.acc_range(acc, pad=0.03)
    fig.update_yaxes(range=rng, row=1, col=1, **common.pct_ticks(*rng, most=5),
                     title_text=f"axis from {rng[0] * 100:.0f} %" if rng[0] > 0 else None)
    fig.update_xaxes(tickangle=0)
    top = float(np.nanmax(summary["drift"])) if np.isfinite(summary["drift"]).any() else 1.0
    fig.update_yaxes(range=[0, top * 1.2 + 1e-9], row=1, col=2)
    return fig

