"""Figure of the tab "Smoother landscape": the three landscape measures over training, no BN,
BN and noisy BN, each a band over the seeds (smallest to largest) with the median as a line."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from bnsim.figures import style
from bnsim.figures.covariate_shift import common

TITLES = {"loss_range": "loss variation", "grad_range": "gradient predictiveness",
          "beta_smooth": "effective β-smoothness"}


def measures(steps, metrics: dict, noise: float, eta_max: float) -> go.Figure:
    """One panel per measure (log y, log x: the recorded steps are dense early): per variant
    the band min–max over seeds and the median. ``metrics``: {variant: {measure: (seeds, S)}}."""
    fig = make_subplots(rows=1, cols=len(TITLES), horizontal_spacing=0.07,
                        subplot_titles=[f"{t}<br><sup>lower is smoother</sup>"
                                        for t in TITLES.values()])
    steps = np.asarray(steps, dtype=float)
    for col, m in enumerate(TITLES, start=1):
        for v in ("no_bn", "bn", "noisy_bn"):
            arr = np.asarray(metrics[v][m], dtype=float)
            color = common.MODEL_COLORS[v]
            name = common.MODEL_NAMES[v] + (f" (σ = {noise:g})" if v == "noisy_bn" else "")
            with np.errstate(all="ignore"):
                lo, hi, mid = (np.nanmin(arr, axis=0), np.nanmax(arr, axis=0),
                               np.nanmedian(arr, axis=0))
            fig.add_trace(go.Scatter(
                x=np.r_[steps, steps[::-1]], y=np.r_[hi, lo[::-1]], fill="toself",
                fillcolor=common.rgba(color, 0.18), line=dict(width=0), hoverinfo="skip",
                showlegend=False, legendgroup=v), row=1, col=col)
            fig.add_trace(go.Scatter(
                x=steps, y=mid, mode="lines+markers", line=dict(color=color, width=3),
                marker=dict(size=5), name=name, legendgroup=v, showlegend=col == 1,
                hovertemplate=name + "<br>step %{x}: %{y:.3g}<extra></extra>"),
                row=1, col=col)
        fig.update_yaxes(type="log", exponentformat="power", row=1, col=col)
        fig.update_xaxes(type="log", title_text="training step", row=1, col=col)
    style.base_layout(fig, height=common.HEIGHT["landscape"])
    fig.update_layout(legend=common.LEGEND_TOP, margin=dict(t=110, b=50, l=60, r=10))
    fig.add_annotation(text=f"steps η from {eta_max / 8:g} to {eta_max:g} along −∇L",
                       xref="paper", yref="paper", x=1, y=1.3, yanchor="bottom",
                       showarrow=False, xanchor="right", font=dict(size=style.FONT_SIZE - 2))
    return fig
