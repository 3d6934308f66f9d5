"""Skewed test batches: accuracy against the share of class 1 in a test batch, batch statistics
against running statistics.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from bnsim.figures import style
from bnsim.figures.style import COLORS
from bnsim.figures.testtime import common


@style.typeset_figures
def skewed(df: pd.DataFrame, mix_pct: float, k: int) -> go.Figure:
    """Accuracy vs the share of class 1 in test batches of size k: batch statistics (mean and
    5–95 % band) vs running statistics on the same examples; the chosen mix as a line. Each
    point sits at the class mix drawn (``actual_mix``: round(mix·k) of k), not the one asked."""
    x = 100 * df["actual_mix"].to_numpy()
    fig = common.batch_band(x, df["batch_p05"], df["batch_p95"], df["batch_mean"],
                      "5–95 % of batches", common.BATCH.label,
                      "%{x:.0f} % class 1: %{y:.1%}<extra></extra>")
    fig.add_trace(go.Scatter(
        x=x, y=df["running_mean"], mode="lines+markers", name=common.EVAL.label,
        line=dict(color=COLORS["running"], width=3), marker=dict(size=8),
        hovertemplate="%{x:.0f} % class 1: %{y:.1%}<extra></extra>"))
    i = int(np.argmin(np.abs(100 * df["mix"].to_numpy() - mix_pct)))  # the chosen mix: a data
    # trace, so it redraws
    lo, hi = common.acc_range(df["batch_p05"], df["batch_p95"], df["batch_mean"],
                              df["running_mean"])
    fig.add_trace(go.Scatter(
        x=[x[i], x[i]], y=[lo, hi], mode="lines", name=f"your mix: {x[i]:.0f} %",
        line=dict(color=COLORS["neutral"], width=2, dash="dot"), hoverinfo="skip"))
    common.line_label(fig, x[i], lo, f"your mix {x[i]:.0f} %", COLORS["neutral"],
                xanchor="left" if x[i] < 50 else "right")
    fig.add_trace(go.Scatter(
        x=[x[i], x[i]], y=[df["batch_mean"].iloc[i], df["running_mean"].iloc[i]],
        mode="markers", showlegend=False, hoverinfo="skip",
        marker=dict(symbol="circle-open", size=18, line=dict(width=3),
                    color=[COLORS["batch"], COLORS["running"]])))
    style.base_layout(fig, x_title=f"share of class 1 in each test batch of k = {k} (%)",
                      height=420)
    fig.update_xaxes(range=[-3, 103], tickvals=list(range(0, 101, 10)))
    common.pct_axis(fig, lo, hi, "test accuracy")
    return fig

