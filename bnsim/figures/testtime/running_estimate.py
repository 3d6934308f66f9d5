"""Running estimate: eval-mode test accuracy over training with each running estimate."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from bnsim import notation
from bnsim.figures import style
from bnsim.figures.style import COLORS, DASH
from bnsim.figures.testtime.common import acc_range, pct_axis

_EST = notation.labels(notation.ESTIMATORS)
ESTIMATOR_STYLE = {  # key -> (label, colour, dash)
    "ema": (_EST["ema"], COLORS["running"], "solid"),
    "ema_bc": (_EST["ema_bc"], COLORS["bias_corrected"], DASH["bias_corrected"]),
    "population": (_EST["population"], COLORS["population"], DASH["population"]),
}


@style.typeset_figures
def running_estimates(df: pd.DataFrame, ema_beta: float) -> go.Figure:
    """Eval-mode test accuracy after t steps with each running estimate (log t axis)."""
    fig = go.Figure()
    for key, (label, color, dash) in ESTIMATOR_STYLE.items():
        d = df[df["estimator"] == key]
        if key != "population":
            label = f"{label}, β_EMA = {ema_beta:.3f}"
        fig.add_trace(go.Scatter(
            x=d["t"], y=d["acc"], mode="lines", name=label,
            line=dict(color=color, width=3, dash=dash),
            hovertemplate="t = %{x}: %{y:.1%}<extra></extra>"))
    style.base_layout(fig, x_title="training steps t (log scale)", height=420)
    fig.update_xaxes(type="log", dtick=1)  # decades only: minor labels run together
    pct_axis(fig, *acc_range(df["acc"]), "eval-mode test accuracy")
    return fig

