"""Test batch size: batch-statistics test accuracy against the test batch size k."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from bnsim.figures import style
from bnsim.figures.style import COLORS
from bnsim.figures.testtime import common
from bnsim.verdict import pct


@style.typeset_figures
def accuracy_vs_k(table: pd.DataFrame, k: int | None = None, acc_k: float | None = None,
                  floor: float | None = None) -> go.Figure:
    """Batch-statistics test accuracy vs test batch size k (mean, 5–95 % band over random
    batchings) and the eval-mode accuracy as a horizontal line; ``k``/``acc_k`` mark the
    chosen test batch size, ``floor`` the accuracy of the k = 1 collapse."""
    ks = table["k"].to_numpy()
    fig = common.batch_band(ks, table["p05"], table["p95"], table["mean"], "5–95 % of batchings",
                      f"{common.BATCH.label} (mean)", "k = %{x}: %{y:.1%}<extra></extra>")
    ev = float(table["eval_acc"].iloc[0])
    fig.add_trace(go.Scatter(
        x=[ks.min(), ks.max()], y=[ev, ev], mode="lines", name=common.EVAL.label,
        line=dict(color=COLORS["running"], width=3), hoverinfo="skip"))
    right = np.log10(ks.max())  # annotations on a log axis take log10(x)
    common.line_label(fig, right, ev, f"{common.EVAL.short} {pct(ev)}", COLORS["running"])
    if floor is not None:
        fig.add_trace(go.Scatter(
            x=[ks.min(), ks.max()], y=[floor, floor], mode="lines",
            name="k = 1: share of the one predicted class",
            line=dict(color=COLORS["neutral"], width=2, dash="dot"), hoverinfo="skip"))
        common.line_label(fig, right, floor, f"share of the one class {pct(floor)}",
                    COLORS["neutral"], yanchor="bottom" if ev - floor > 0.06 else "top")
    if k is not None and acc_k is not None:
        fig.add_trace(go.Scatter(
            x=[k], y=[acc_k], mode="markers", name=f"your k = {k}",
            marker=dict(symbol="circle-open", size=20, color=COLORS["batch"],
                        line=dict(width=4)),
            hovertemplate="k = %{x}: %{y:.1%}<extra></extra>"))
    style.base_layout(fig, x_title="test batch size k", height=420)
    fig.update_xaxes(type="log", tickvals=list(ks), ticktext=[str(v) for v in ks],
                     range=[np.log10(0.8), np.log10(ks.max() * 1.25)])
    extra = [] if floor is None else [floor]
    common.pct_axis(fig, *common.acc_range(table["p05"], table["p95"], table["mean"], [ev], extra,
                              [] if acc_k is None else [acc_k]), "test accuracy")
    fig.update_layout(legend=dict(y=1.02))
    return fig

