"""Same point, new neighbours: the clickable eval-mode map and one test point's p(class 1) over
random test batches.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from bnsim.figures import style
from bnsim.figures.style import COLORS
from bnsim.figures.testtime.common import (
    BATCH,
    CLASS_KEY,
    EVAL,
    MAP_HEIGHT,
    MAP_MARGIN,
    STANDOFF,
    key_mark,
    line_label,
    map_figure,
    titled,
)

RING = style.PURPLE  # the followed test point (no other purple on its tab)


@style.typeset_figures
def pick_map(b, X_test, y_test, picked: int) -> go.Figure:
    """Eval-mode map (``b``: an EvalMap) with clickable test points (customdata = test
    index); ``picked`` is drawn as a large ring."""
    X_test = np.asarray(X_test)
    key = CLASS_KEY + "   " + key_mark(RING, "○") + f" #{picked}"
    fig = map_figure(b.xs, b.ys, b.p_eval, X_test, y_test, b.ext,
                     f"{EVAL.short.capitalize()}: click a point to follow it", key=key,
                     clickable=True)
    fig.add_trace(go.Scatter(  # labelled on the map too
        x=[X_test[picked, 0]], y=[X_test[picked, 1]], mode="markers+text",
        name=f"point #{picked}", hoverinfo="skip", showlegend=False, text=[f"#{picked}"],
        textposition="top right", textfont=dict(color=RING, size=style.FONT_SIZE + 2),
        marker=dict(symbol="circle-open", size=22, color=RING, line=dict(width=4))))
    # the same title weight as the live charts' (st.plotly_chart's theme makes it bold)
    fig.update_layout(clickmode="event+select", dragmode="pan", title_font_weight=400)
    return fig



@style.typeset_figures
def neighbours(p_draws, p_eval: float, k: int, picked: int, label: int) -> go.Figure:
    """Histogram of one test point's p(class 1) over random test batches of size k (batch
    statistics) with its single eval-mode value and the 0.5 threshold."""
    fig = go.Figure(go.Histogram(
        x=np.asarray(p_draws), xbins=dict(start=0.0, end=1.0 + 1e-9, size=0.025),
        marker=dict(color=COLORS["batch"], line=dict(width=0)), opacity=0.9,
        name=f"{BATCH.label}: {len(p_draws)} batches of k = {k}",
        hovertemplate="p ≈ %{x}: %{y} batches<extra></extra>"))
    fig.add_vline(x=0.5, line=dict(color=COLORS["neutral"], width=2, dash="dash"))
    # the two vertical lines' labels sit at different heights, each on its line's far side
    line_label(fig, 0.5, 1.0, "threshold 0.5", COLORS["neutral"],
                xanchor="right" if p_eval >= 0.5 else "left", yanchor="top", yref="paper")
    fig.add_trace(go.Scatter(
        x=[p_eval, p_eval], y=[0, 1], yaxis="y2", mode="lines",
        name=f"{EVAL.short}: p = {p_eval:.2f}", line=dict(color=COLORS["running"], width=4),
        hoverinfo="skip"))
    line_label(fig, p_eval, 0.88, f"{EVAL.short} {p_eval:.2f}", COLORS["running"],
                xanchor="left" if p_eval >= 0.5 else "right", yanchor="top", yref="paper")
    style.base_layout(fig, x_title=f"p(class 1) of test point #{picked} (true class {label})",
                      y_title="random test batches", height=MAP_HEIGHT)
    # the map's margins and title lines, so that the two plot areas line up
    fig.update_layout(yaxis2=dict(overlaying="y", range=[0, 1], visible=False),
                      bargap=0.05, margin=MAP_MARGIN)
    titled(fig, f"Point #{picked} in {len(p_draws)} test batches",
            key_mark(COLORS["batch"], "▮") + f" {BATCH.label}, k = {k}")
    fig.update_xaxes(range=[-0.02, 1.02], title_standoff=STANDOFF)
    fig.update_yaxes(title_standoff=STANDOFF)
    return fig

