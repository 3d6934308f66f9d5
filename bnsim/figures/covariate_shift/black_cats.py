"""Figures of the tab "Black cats → coloured cats": the two clouds with a model's boundary,
accuracy vs shift, and accuracy per rule at the current shift."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from bnsim.figures import style
from bnsim.figures.covariate_shift import common


def _contour_line(xs, ys, values, color, name, dash=None, width=3.0) -> go.Contour:
    """The 0.5 level of ``values`` (ny, nx) as one line."""
    return go.Contour(
        x=xs, y=ys, z=values, contours=dict(start=0.5, end=0.5, size=1, coloring="none"),
        line=dict(color=color, width=width, dash=dash), showscale=False, name=name,
        showlegend=True, hoverinfo="skip")


def shift_scene(X_train, y_train, X_test, y_test, grid, model: str, xlim, ylim) -> go.Figure:
    """Both clouds (training: filled dots, shifted test: crosses; colour = true class), the
    probability of class 1 the chosen model assigns (background) with its boundary (solid line,
    one contour trace for both) and the true rule's boundary (dashed grey).
    ``grid`` = (xs, ys, proba, truth)."""
    xs, ys, proba, truth = grid
    fig = go.Figure()
    fig.add_trace(go.Contour(
        x=xs, y=ys, z=np.asarray(proba, dtype=np.float32), zmin=0, zmax=1,
        # a translucent fill, an opaque line
        colorscale=[[0.0, common.rgba(common.CLASS_COLORS[0], 0.35)],
                    [0.5, "rgba(153,153,153,0.07)"],
                    [1.0, common.rgba(common.CLASS_COLORS[1], 0.35)]],
        showscale=False,
        contours=dict(start=0.5, end=0.5, size=1, coloring="heatmap", showlines=True),
        line=dict(color=common.MODEL_COLORS[model], width=3, smoothing=0),
        name=f"learned: {common.SHORT[model]}", showlegend=True, hoverinfo="skip"))
    for Xs, ys_, part, symbol in ((X_train, y_train, "train", "circle"),
                                  (X_test, y_test, "test", "x")):
        for c in (0, 1):
            sel = ys_ == c
            fig.add_trace(go.Scatter(
                x=Xs[sel, 0], y=Xs[sel, 1], mode="markers",
                marker=dict(symbol=symbol, size=6 if symbol == "circle" else 7,
                            color=common.CLASS_COLORS[c], line=dict(width=0)),
                name=f"{part} {c}", legendgroup=part,
                hovertemplate=f"{part}, class {c}<br>x₁=%{{x:.2f}}, x₂=%{{y:.2f}}<extra></extra>"))
    fig.add_trace(_contour_line(xs, ys, np.asarray(truth, dtype=np.int8), common.COLORS["neutral"],
                                "true rule", "dash"))
    style.base_layout(fig, x_title="x₁", y_title="x₂", height=common.HEIGHT["scene"])
    fig.update_xaxes(range=list(xlim), zeroline=False, constrain="domain")
    fig.update_yaxes(range=list(ylim), zeroline=False, scaleanchor="x", scaleratio=1,
                     constrain="domain")
    fig.update_layout(legend=dict(common.LEGEND_TOP, traceorder="normal"),  # rows, not groups
                      margin=dict(t=80, b=50, l=60, r=10))
    return fig


def shift_accuracy(table, shift_now: float) -> go.Figure:
    """Test accuracy vs shift for the three models (``table`` as
    :class:`bnsim.lessons.covariate_shift.black_cats.ShiftSweep`'s), the majority-class
    baseline and the current shift marked (labelled line). The y axis zooms to the curves,
    in %."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=table["shift"], y=table["majority"], mode="lines",
                             line=dict(color=common.COLORS["neutral"], dash="dot", width=2),
                             name="majority class",
                             hovertemplate="majority class<br>shift %{x}: %{y:.1%}"
                                           "<extra></extra>"))
    for m in ("no_bn", "bn", "adabn"):
        fig.add_trace(go.Scatter(
            x=table["shift"], y=table[m], mode="lines+markers", name=common.SHORT[m],
            line=dict(color=common.MODEL_COLORS[m], width=3), marker=dict(size=6),
            hovertemplate=f"{common.MODEL_NAMES[m]}<br>shift %{{x}}: %{{y:.1%}}<extra></extra>"))
    style.base_layout(fig, x_title="shift of the test inputs", height=common.HEIGHT["shift_acc"])
    fig.update_layout(shapes=[common.vline(shift_now, f"shift = {shift_now:g}",
                                           "top left" if shift_now > 3.5 else "top right")],
                      legend=common.LEGEND_TOP, margin=dict(t=80, b=50, l=70, r=10))
    fig.update_xaxes(range=[-0.1, 5.1])
    common.acc_axis(fig, table[["majority", "no_bn", "bn", "adabn"]].to_numpy(), "test accuracy")
    return fig


def rule_bars(df) -> go.Figure:
    """Accuracy at the current shift, per rule (x) and model (bars from 0, in %), majority
    class marked."""
    fig = go.Figure()
    for m in ("no_bn", "bn", "adabn"):
        d = df[df["model"] == m]
        fig.add_trace(go.Bar(x=d["rule"], y=d["accuracy"], name=common.SHORT[m],
                             marker_color=common.MODEL_COLORS[m],
                             text=[f"{a:.0%}".replace("%", " %") for a in d["accuracy"]],
                             textposition="outside",
                             hovertemplate=f"{common.SHORT[m]}, %{{x}}: %{{y:.1%}}<extra></extra>"))
    maj = df.drop_duplicates("rule")
    fig.add_trace(go.Scatter(x=maj["rule"], y=maj["majority"], mode="markers",
                             marker=dict(symbol="line-ew-open", size=40,
                                         color=common.COLORS["neutral"], line=dict(width=3)),
                             name="majority class",
                             hovertemplate="majority class, %{x}: %{y:.1%}<extra></extra>"))
    style.base_layout(fig, y_title="test accuracy", height=common.HEIGHT["rules"])
    fig.update_yaxes(range=[0, 1.15], **common.pct_ticks(0, 1))
    fig.update_layout(barmode="group", legend=common.LEGEND_TOP, margin=dict(t=80, b=40))
    return fig
