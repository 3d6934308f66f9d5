"""Figures of the "Train vs test" page: pure functions data -> plotly Figure.

Colours follow :data:`bnsim.figures.style.COLORS`: batch statistics orange ("batch"), running
statistics blue ("running"), bias-corrected EMA sky, population statistics green, Batch Renorm
green, class 0 sky and class 1 vermillion. Accuracy axes are fixed to 0–100 % so that a slider
never makes a plot jump.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from bnsim import notation
from bnsim.figures import style
from bnsim.figures.style import COLORS, DASH, PROBA_SCALE
from bnsim.verdict import pct

ACC_RANGE = [0.0, 1.05]
MODELS = notation.labels(notation.MODELS)
VARIANT_COLORS = {MODELS["bn"]: COLORS["with_bn"], MODELS["renorm"]: COLORS["renorm"],
                  MODELS["running_bn"]: COLORS["running_bn"]}
_EST = notation.labels(notation.ESTIMATORS)
ESTIMATOR_STYLE = {  # key -> (label, colour, dash)
    "ema": (_EST["ema"], COLORS["running"], "solid"),
    "ema_bc": (_EST["ema_bc"], COLORS["bias_corrected"], DASH["bias_corrected"]),
    "population": (_EST["population"], COLORS["population"], DASH["population"]),
}
EVAL, BATCH = notation.MODES["eval"], notation.MODES["batch"]  # the two modes compared
TRAIN = notation.MODES["train"]
_OUTLINE = dict(width=1.0, color=COLORS["neutral"])
MAP_OPACITY = 0.45  # the heat map stays pale so that the test points on it stand out


def _pct_axis(fig: go.Figure, **where) -> None:
    fig.update_yaxes(range=ACC_RANGE, tickformat=".0%", **where)


def contour_segments(xs, ys, p, level: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """The ``level`` contour of a grid ``p`` (len(ys), len(xs)) as line segments (marching
    squares, linear interpolation on the cell edges): x, y arrays with NaN between segments,
    ready for one Scatter line (much cheaper in the browser than a Plotly contour trace)."""
    xs, ys, p = np.asarray(xs, float), np.asarray(ys, float), np.asarray(p, float)
    s = p >= level
    X, Y = np.meshgrid(xs, ys)

    def cross(a, b, sa, sb, pa, pb):  # crossing point on the edges a -> b, NaN if none
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.clip((level - pa) / (pb - pa), 0.0, 1.0)
        pt = np.stack([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])], axis=-1)
        return np.where((sa != sb)[..., None], pt, np.nan)

    # horizontal edges (i, j)->(i, j+1) and vertical edges (i, j)->(i+1, j)
    H = cross((X[:, :-1], Y[:, :-1]), (X[:, 1:], Y[:, 1:]), s[:, :-1], s[:, 1:], p[:, :-1],
              p[:, 1:])
    V = cross((X[:-1], Y[:-1]), (X[1:], Y[1:]), s[:-1], s[1:], p[:-1], p[1:])
    # per cell, in order bottom, right, top, left: (4, n_y − 1, n_x − 1, 2)
    P = np.stack([H[:-1], V[:, 1:], H[1:], V[:, :-1]])
    have = ~np.isnan(P[..., 0])
    n = have.sum(axis=0)
    order = np.argsort(~have, axis=0, kind="stable")  # existing crossings first
    first = np.take_along_axis(P, order[:2, ..., None], axis=0)  # (2, ..., 2)
    segs = [first[:, n == 2]]  # (2, S, 2)
    if np.any(n == 4):  # saddle: bottom–left and right–top
        segs += [P[[0, 3]][:, n == 4], P[[1, 2]][:, n == 4]]
    seg = np.concatenate(segs, axis=1)  # (2, S, 2)
    S = seg.shape[1]
    out = np.full((S, 3, 2), np.nan)
    out[:, 0], out[:, 1] = seg[0], seg[1]
    return out[..., 0].ravel(), out[..., 1].ravel()


def _map_traces(xs, ys, p, X, y, *, colorbar: bool, contour: bool = True,
                clickable: bool = False, legend: bool = True) -> list:
    """Heat map of p(class 1), its 0.5 contour and the test points coloured by class."""
    traces = [go.Heatmap(
        x=xs, y=ys, z=p, zmin=0.0, zmax=1.0, colorscale=PROBA_SCALE, zsmooth="best",
        showscale=colorbar, hoverinfo="skip", opacity=MAP_OPACITY,
        colorbar=dict(title=dict(text="p(class 1)", side="right"), tickformat=".1f",
                      thickness=12, len=0.9),
    )]
    if contour:
        cx, cy = contour_segments(xs, ys, p)
        if len(cx):
            traces.append(go.Scatter(
                x=cx, y=cy, mode="lines", line=dict(color=COLORS["neutral"], width=2),
                hoverinfo="skip", name="boundary p = 0.5", showlegend=False))
    for c in (0, 1):
        idx = np.flatnonzero(np.asarray(y) == c)
        traces.append(go.Scatter(
            x=X[idx, 0], y=X[idx, 1], mode="markers", name=f"test class {c}",
            legendgroup=f"class{c}", showlegend=legend,
            marker=dict(color=COLORS[f"class{c}"], size=7 if clickable else 5, line=_OUTLINE),
            customdata=idx, hovertemplate="test point #%{customdata}<extra></extra>"))
    return traces


MAP_MARGIN = dict(l=50, r=80, t=70, b=50)  # the same on both maps, room for one colour bar


def map_figure(xs, ys, p, X_test, y_test, ext, title: str | None, *, colorbar: bool = False,
               clickable: bool = False) -> go.Figure:
    """One decision map: heat map of p(class 1) (n, n) over ``xs``, ``ys``, its p = 0.5 line
    and the test points; fixed axes ``ext`` = (x0, x1, y0, y1). Maps drawn side by side get the
    same margins, so their plot areas line up whether or not they carry the colour bar."""
    fig = go.Figure(_map_traces(xs, ys, p, np.asarray(X_test), y_test, colorbar=colorbar,
                                clickable=clickable))
    style.base_layout(fig, title=title, x_title="x₁", y_title="x₂", height=430)
    fig.update_xaxes(range=list(ext[:2]))
    fig.update_yaxes(range=list(ext[2:]))
    fig.update_layout(margin=MAP_MARGIN, legend=dict(y=1.0, yanchor="bottom"))
    if title:
        fig.update_layout(title=dict(y=0.98, yanchor="top"))
    return fig


def eval_boundary(b, X_test, y_test) -> go.Figure:
    """Eval-mode decision map (running μ̂, σ̂²): every point stands alone.

    ``b``: an EvalMap or Boundaries (xs, ys (n,), p_eval (n, n), ext (x0, x1, y0, y1))."""
    return map_figure(b.xs, b.ys, b.p_eval, X_test, y_test, b.ext,
                      f"{EVAL.label.capitalize()}: μ̂, σ̂²")


def batch_boundary(b, X_test, y_test, k: int, mix_pct: float | None) -> go.Figure:
    """Batch-statistics decision map with test batch size k: every grid point predicted
    inside a batch with the same k − 1 batch-mates (drawn as diamonds).

    ``b``: Boundaries (xs, ys (n,), p_batch (n, n), ext, mates (k − 1,) test-set indices)."""
    X_test = np.asarray(X_test)
    mates = X_test[np.asarray(b.mates, dtype=int)]
    fig = map_figure(b.xs, b.ys, b.p_batch, X_test, y_test, b.ext,
                     f"{BATCH.label.capitalize()}: test batch of k = {k}", colorbar=True)
    for t in fig.data:
        if t.name and t.name.startswith("test class"):
            t.showlegend = False
    mix = "" if mix_pct is None else f", {mix_pct:.0f} % class 1"
    fig.add_trace(go.Scatter(
        x=mates[:, 0], y=mates[:, 1], mode="markers",
        name=f"its k − 1 = {len(mates)} batch-mates{mix}",
        marker=dict(symbol="diamond-open", size=11, color=COLORS["batch"], line=dict(width=2.5)),
        hoverinfo="skip"))
    return fig


def pick_map(b, X_test, y_test, picked: int) -> go.Figure:
    """Eval-mode map (``b``: an EvalMap) with clickable test points (customdata = test
    index); ``picked`` is drawn as a large ring."""
    X_test = np.asarray(X_test)
    fig = map_figure(b.xs, b.ys, b.p_eval, X_test, y_test, b.ext, None,
                     clickable=True)
    fig.add_trace(go.Scatter(
        x=[X_test[picked, 0]], y=[X_test[picked, 1]], mode="markers",
        name=f"point #{picked}", hoverinfo="skip",
        marker=dict(symbol="circle-open", size=22, color=COLORS["batch"],
                    line=dict(width=4))))
    fig.update_layout(clickmode="event+select", dragmode="pan")
    return fig


def _batch_band(x, lo, hi, mean, band_name: str, mean_name: str, hover: str) -> go.Figure:
    """A new figure with the batch-statistics mean (orange line with markers) over its 5–95 %
    band (shaded), both against ``x``."""
    x = np.asarray(x)
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=np.r_[x, x[::-1]], y=np.r_[np.asarray(hi), np.asarray(lo)[::-1]], fill="toself",
        fillcolor="rgba(230,159,0,0.25)", line=dict(width=0), hoverinfo="skip",
        mode="lines", name=band_name))
    fig.add_trace(go.Scatter(
        x=x, y=mean, mode="lines+markers", name=mean_name,
        line=dict(color=COLORS["batch"], width=3), marker=dict(size=8), hovertemplate=hover))
    return fig


def accuracy_vs_k(table: pd.DataFrame, k: int | None = None, acc_k: float | None = None,
                  floor: float | None = None) -> go.Figure:
    """Batch-statistics test accuracy vs test batch size k (mean, 5–95 % band over random
    batchings) and the eval-mode accuracy as a horizontal line; ``k``/``acc_k`` mark the
    chosen test batch size, ``floor`` the accuracy of the k = 1 collapse."""
    ks = table["k"].to_numpy()
    fig = _batch_band(ks, table["p05"], table["p95"], table["mean"], "5–95 % of batchings",
                      f"{BATCH.label} (mean)", "k = %{x}: %{y:.1%}<extra></extra>")
    ev = float(table["eval_acc"].iloc[0])
    fig.add_trace(go.Scatter(
        x=[ks.min(), ks.max()], y=[ev, ev], mode="lines", name=EVAL.label,
        line=dict(color=COLORS["running"], width=3), hoverinfo="skip"))
    if floor is not None:
        fig.add_trace(go.Scatter(
            x=[ks.min(), ks.max()], y=[floor, floor], mode="lines",
            name="k = 1: share of the one predicted class",
            line=dict(color=COLORS["neutral"], width=2, dash="dot"), hoverinfo="skip"))
    if k is not None and acc_k is not None:
        fig.add_trace(go.Scatter(
            x=[k], y=[acc_k], mode="markers", name=f"your k = {k}",
            marker=dict(symbol="circle-open", size=20, color=COLORS["batch"],
                        line=dict(width=4)),
            hovertemplate="k = %{x}: %{y:.1%}<extra></extra>"))
    style.base_layout(fig, x_title="test batch size k", y_title="test accuracy", height=420)
    fig.update_xaxes(type="log", tickvals=list(ks), ticktext=[str(v) for v in ks],
                     range=[np.log10(0.8), np.log10(ks.max() * 1.25)])
    _pct_axis(fig)
    fig.update_layout(legend=dict(y=1.02))
    return fig


def neighbours(p_draws, p_eval: float, k: int, picked: int, label: int) -> go.Figure:
    """Histogram of one test point's p(class 1) over random test batches of size k (batch
    statistics) with its single eval-mode value and the 0.5 threshold."""
    fig = go.Figure(go.Histogram(
        x=np.asarray(p_draws), xbins=dict(start=0.0, end=1.0 + 1e-9, size=0.025),
        marker=dict(color=COLORS["batch"], line=dict(width=0)), opacity=0.9,
        name=f"{BATCH.label}, {len(p_draws)} random batches of k = {k}",
        hovertemplate="p ≈ %{x}: %{y} batches<extra></extra>"))
    fig.add_vline(x=0.5, line=dict(color=COLORS["neutral"], width=2, dash="dash"),
                  annotation_text="threshold", annotation_position="top left")
    fig.add_trace(go.Scatter(
        x=[p_eval, p_eval], y=[0, 1], yaxis="y2", mode="lines",
        name=f"{EVAL.short}: p = {p_eval:.2f}", line=dict(color=COLORS["running"], width=4),
        hoverinfo="skip"))
    style.base_layout(fig, x_title=f"p(class 1) of test point #{picked} (true class {label})",
                      y_title="random test batches", height=400)
    fig.update_layout(yaxis2=dict(overlaying="y", range=[0, 1], visible=False),
                      bargap=0.05, legend=dict(y=1.02))
    fig.update_xaxes(range=[-0.02, 1.02])
    return fig


def skewed(df: pd.DataFrame, mix_pct: float, k: int) -> go.Figure:
    """Accuracy vs the share of class 1 in test batches of size k: batch statistics (mean and
    5–95 % band) vs running statistics on the same examples; the chosen mix as a line."""
    x = 100 * df["mix"].to_numpy()
    fig = _batch_band(x, df["batch_p05"], df["batch_p95"], df["batch_mean"],
                      "5–95 % of batches", BATCH.label,
                      "%{x:.0f} % class 1: %{y:.1%}<extra></extra>")
    fig.add_trace(go.Scatter(
        x=x, y=df["running_mean"], mode="lines+markers", name=EVAL.label,
        line=dict(color=COLORS["running"], width=3), marker=dict(size=8),
        hovertemplate="%{x:.0f} % class 1: %{y:.1%}<extra></extra>"))
    i = int(np.argmin(np.abs(x - mix_pct)))  # the chosen mix: a data trace, so it redraws
    fig.add_trace(go.Scatter(
        x=[x[i], x[i]], y=[0.0, 1.0], mode="lines", name=f"your mix: {x[i]:.0f} %",
        line=dict(color=COLORS["neutral"], width=2, dash="dot"), hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=[x[i], x[i]], y=[df["batch_mean"].iloc[i], df["running_mean"].iloc[i]],
        mode="markers", showlegend=False, hoverinfo="skip",
        marker=dict(symbol="circle-open", size=18, line=dict(width=3),
                    color=[COLORS["batch"], COLORS["running"]])))
    style.base_layout(fig, x_title=f"share of class 1 in each test batch of k = {k} (%)",
                      y_title="test accuracy", height=420)
    fig.update_xaxes(range=[-3, 103], tickvals=list(range(0, 101, 10)))
    _pct_axis(fig)
    return fig


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
    style.base_layout(fig, x_title="training steps t (log scale)",
                      y_title="eval-mode test accuracy", height=420)
    fig.update_xaxes(type="log")
    _pct_axis(fig)
    return fig


BAR_LABELS = {  # both on the same test examples
    "train_mode_acc": f"{TRAIN.short}<br>(test set in<br>training's batches)",
    "eval_test_acc": f"{EVAL.short}<br>(test set)",
}


def renorm(curves: pd.DataFrame, table: pd.DataFrame) -> go.Figure:
    """Variants trained alike (plain BN, Batch Renorm, BN on running averages; those present
    in ``curves``): left, eval-mode test accuracy (solid) and train-mode mini-batch accuracy
    (dotted) over training; right, train mode vs eval mode on the same test examples as bars
    (``table``: one row per variant, means over seeds)."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.58, 0.42], horizontal_spacing=0.1,
                        subplot_titles=("During training", "At the end"))
    present = set(curves["variant"]) | set(table["variant"])
    for name, color in VARIANT_COLORS.items():
        if name not in present:
            continue
        d = curves[curves["variant"] == name]
        fig.add_trace(go.Scatter(
            x=d["step"], y=d["eval_test_acc"], mode="lines", legendgroup=name,
            name=f"{name}: {EVAL.short}, test set", line=dict(color=color, width=3),
            hovertemplate="step %{x}: %{y:.1%}<extra></extra>"), row=1, col=1)
        fig.add_trace(go.Scatter(
            x=d["step"], y=d["train_mode_acc"], mode="lines", legendgroup=name,
            name=f"{name}: {TRAIN.short}, mini-batches", line=dict(color=color, width=2,
                                                               dash="dot"),
            hovertemplate="step %{x}: %{y:.1%}<extra></extra>"), row=1, col=1)
        row = table[table["variant"] == name]
        if len(row):
            vals = [float(row[c].iloc[0]) for c in BAR_LABELS]
            fig.add_trace(go.Bar(
                x=list(BAR_LABELS.values()), y=vals, marker_color=color, showlegend=False,
                legendgroup=name, name=name, text=[pct(v) for v in vals],
                textposition="inside", textangle=-90, insidetextanchor="end",
                hovertemplate=f"{name}: " + "%{y:.1%}<extra></extra>"), row=1, col=2)
    style.base_layout(fig, height=460)
    fig.update_xaxes(title_text="training step", row=1, col=1)
    fig.update_yaxes(title_text="accuracy", row=1, col=1)
    _pct_axis(fig)
    fig.update_layout(barmode="group", margin=dict(t=110), legend=dict(y=1.14))
    fig.update_annotations(font_size=style.FONT_SIZE)
    return fig
