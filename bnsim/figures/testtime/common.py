"""What the figures of "Train vs test" share: accuracy axes, marker-line labels, the decision
map, the batch-statistics band, and the figures of the trained variants (plain BN, Batch Renorm,
running averages in training) that the last two tabs compare.

Colours follow :data:`bnsim.figures.style.COLORS`: batch statistics orange ("batch"), running
statistics blue ("running"), bias-corrected EMA sky, population statistics green, Batch Renorm
green, class 0 sky and class 1 vermillion; the followed test point is ringed in purple (no other
purple on its tab). Accuracy axes zoom to the data in steps of 5 % (:func:`acc_range`) and say
their range in the axis title, so that curves in the top few per cent can be told apart and
nobody reads a truncated axis as 0–100 %. Marker lines carry their own label. Builders write
symbols in plain notation (β_EMA, μ_B); :func:`bnsim.figures.style.typeset_figures` typesets
every figure they return (β<sub>EMA</sub>), as on every page.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from bnsim import notation
from bnsim.figures import style
from bnsim.figures.style import COLORS, PROBA_SCALE
from bnsim.verdict import pct

ACC_STEP = 0.05  # accuracy axes start and end on a multiple of 5 %
MODELS = notation.labels(notation.MODELS)
VARIANT_COLORS = {MODELS["bn"]: COLORS["with_bn"], MODELS["renorm"]: COLORS["renorm"],
                  MODELS["running_bn"]: COLORS["running_bn"]}
EVAL, BATCH = notation.MODES["eval"], notation.MODES["batch"]  # the two modes compared
TRAIN = notation.MODES["train"]
_OUTLINE = dict(width=1.0, color=COLORS["neutral"])
MAP_OPACITY = 0.45  # the heat map stays pale so that the test points on it stand out


def acc_range(*values) -> tuple[float, float]:
    """The accuracy axis for ``values`` (arrays of shares in [0, 1], NaN ignored): from the
    largest multiple of 5 % below their minimum to the smallest above their maximum (at most
    100 %), e.g. (0.80, 1.0) for curves between 83.7 % and 99.4 %."""
    v = np.concatenate([np.ravel(np.asarray(x, float)) for x in values])
    v = v[np.isfinite(v)]
    if not v.size:
        return 0.0, 1.0
    lo = np.floor(v.min() / ACC_STEP + 1e-9) * ACC_STEP
    hi = np.ceil(v.max() / ACC_STEP - 1e-9) * ACC_STEP
    lo, hi = max(0.0, min(lo, 1.0 - ACC_STEP)), min(1.0, max(hi, lo + ACC_STEP))
    return round(float(lo), 4), round(float(hi), 4)


def acc_title(title: str, lo: float, hi: float) -> str:
    """``title`` with the axis range in it when the axis does not start at 0 %."""
    return title if lo <= 0 else f"{title} (axis {100 * lo:.0f}–{100 * hi:.0f} %)"


def pct_axis(fig: go.Figure, lo: float, hi: float, title: str | None = None,
              **where) -> None:
    """An accuracy axis from ``lo`` to ``hi`` (shares) in %, written as "95 %" like every
    number on the page, ticks on round values (and at both ends unless that crowds them), a
    little room above and below for markers; ``title`` gets the range (see
    :func:`acc_title`)."""
    span = hi - lo
    step = 0.05 if span <= 0.3 else 0.1 if span <= 0.6 else 0.2
    ticks = [t for t in np.round(np.arange(0.0, 1.0 + 1e-9, step), 4) if lo <= t <= hi]
    for end in (lo, hi):
        if not ticks or min(abs(end - t) for t in ticks) >= 0.6 * step - 1e-9:
            ticks.append(end)
    ticks = sorted(ticks)
    pad = 0.04 * span
    kw = dict(range=[lo - pad, hi + pad], tickvals=ticks, zeroline=False,
              ticktext=[f"{100 * t:.0f} %" for t in ticks])
    if title is not None:
        kw["title_text"] = acc_title(title, lo, hi)
    fig.update_yaxes(**kw, **where)


def line_label(fig: go.Figure, x, y, text: str, color: str, *, xanchor: str = "right",
                yanchor: str = "bottom", **where) -> None:
    """A marker line's own label, written next to it in its colour."""
    shift = {"left": 6, "right": -6}.get(xanchor, 0)  # clear of the line it labels
    fig.add_annotation(x=x, y=y, text=text, showarrow=False, xanchor=xanchor, yanchor=yanchor,
                       xshift=shift, font=dict(color=color, size=style.FONT_SIZE), **where)


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


# the same on both maps and the histogram beside one, room for one colour bar, and wide enough
# that neither a live chart nor st.plotly_chart (whose theme pads axis titles) expands them
MAP_MARGIN = dict(l=72, r=80, t=80, b=72)
STANDOFF = 6  # axis title to tick labels, set here so that every renderer uses the same
MAP_HEIGHT = 420  # maps and the histogram beside one: the whole chart in the first screen


def key_mark(color: str, symbol: str = "●") -> str:
    """A coloured symbol for a figure's key line (Plotly titles take <span> colours)."""
    return f'<span style="color:{color}">{symbol}</span>'


# Maps and the histogram beside one say what their marks mean in a short key under the title
# instead of a legend: a legend over the plot wraps into rows on a phone and runs into the
# title, and one key line keeps the plot areas of side-by-side charts the same.
CLASS_KEY = (f"{key_mark(COLORS['class0'])} test class 0   "
             f"{key_mark(COLORS['class1'])} test class 1")


def titled(fig: go.Figure, title: str, key: str) -> None:
    """``title`` with the one-line ``key`` under it, in the top margin; no legend."""
    fig.update_layout(showlegend=False, title=dict(
        text=title, x=0.5, xanchor="center", y=0.98, yanchor="top",
        font=dict(size=style.FONT_SIZE + 2),
        subtitle=dict(text=key, font=dict(size=style.FONT_SIZE))))


@style.typeset_figures
def map_figure(xs, ys, p, X_test, y_test, ext, title: str, *, key: str = CLASS_KEY,
               colorbar: bool = False, clickable: bool = False) -> go.Figure:
    """One decision map: heat map of p(class 1) (n, n) over ``xs``, ``ys``, its p = 0.5 line
    and the test points; fixed axes ``ext`` = (x0, x1, y0, y1); ``title`` with ``key`` (what
    the marks mean) under it. Maps drawn side by side get the same margins, so their plot
    areas line up whether or not they carry the colour bar."""
    fig = go.Figure(_map_traces(xs, ys, p, np.asarray(X_test), y_test, colorbar=colorbar,
                                clickable=clickable))
    style.base_layout(fig, title=title, x_title="x₁", y_title="x₂", height=MAP_HEIGHT)
    fig.update_xaxes(range=list(ext[:2]), title_standoff=STANDOFF)
    fig.update_yaxes(range=list(ext[2:]), title_standoff=STANDOFF)
    fig.update_layout(margin=MAP_MARGIN)
    titled(fig, title, key)
    return fig


def batch_band(x, lo, hi, mean, band_name: str, mean_name: str, hover: str) -> go.Figure:
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


# ---------------------------------------------------------------- the trained variants
END_MODES = (("train_mode_acc", TRAIN.short, "diamond"), ("eval_test_acc", EVAL.short, "circle"))
END_OFFSET = 0.17  # train mode left of the variant's slot, eval mode right of it
SHORT = {MODELS[k]: notation.MODELS[k].short for k in ("bn", "renorm", "running_bn")}
RENORM_HEIGHT = 440  # the takeaway's first line still in the first 1280×720 screen
# the same on both figures, so that their plot areas line up side by side; the top holds the
# title line and two legend rows (three variants on a phone), the bottom two-line tick labels
RENORM_MARGIN = dict(l=72, r=20, t=100, b=80)


def _end_text(train: float, eval_: float) -> list[str]:
    """Label positions of a variant's train-mode (left) and eval-mode (right) dots."""
    up = train >= eval_
    return ["top right" if up else "bottom right", "bottom left" if up else "top left"]


class RenormFigures(NamedTuple):
    """The two charts of a Batch Renorm comparison, drawn side by side (stacked on a phone)
    on the same accuracy range."""

    during: go.Figure
    end: go.Figure


@style.typeset_figures
def renorm(curves: pd.DataFrame, table: pd.DataFrame) -> RenormFigures:
    """Variants trained alike (plain BN, Batch Renorm, BN on running averages; those present
    in ``curves``), both figures on the same accuracy range zoomed to the data.

    ``during``: eval-mode test accuracy (solid) and train-mode mini-batch accuracy (dotted)
    over training (``curves``: the first seed's). ``end`` ("At the end"; ``table``: one row
    per variant, means over seeds): per variant one trace, train mode (◆) and eval mode (●)
    on the same test examples joined by a line — flat means no mismatch. Dots, not bars: bars
    on an axis that does not start at 0 would exaggerate the difference."""
    present = set(curves["variant"]) | set(table["variant"])
    shown = [n for n in VARIANT_COLORS if n in present]
    lo, hi = acc_range(curves["eval_test_acc"], curves["train_mode_acc"],
                       *[table[c] for c, _, _ in END_MODES])
    during, end = go.Figure(), go.Figure()
    for slot, name in enumerate(shown):
        color = VARIANT_COLORS[name]
        d = curves[curves["variant"] == name]
        during.add_trace(go.Scatter(
            x=d["step"], y=d["eval_test_acc"], mode="lines", legendgroup=name,
            name=name, line=dict(color=color, width=3),  # one legend entry per variant
            hovertemplate=f"{name}, {EVAL.short} (test set): " + "step %{x}: "
                          "%{y:.1%}<extra></extra>"))
        during.add_trace(go.Scatter(
            x=d["step"], y=d["train_mode_acc"], mode="lines", legendgroup=name,
            name=f"{name}: {TRAIN.short}, mini-batches", showlegend=False,
            line=dict(color=color, width=2, dash="dot"),
            hovertemplate=f"{name}, {TRAIN.short} (mini-batches): " + "step %{x}: "
                          "%{y:.1%}<extra></extra>"))
        row = table[table["variant"] == name]
        if len(row):
            vals = [float(row[c].iloc[0]) for c, _, _ in END_MODES]
            end.add_trace(go.Scatter(
                x=[slot - END_OFFSET, slot + END_OFFSET], y=vals, mode="lines+markers+text",
                line=dict(color=color, width=3), showlegend=False, name=name,
                marker=dict(color=color, size=16, symbol=[m for _, _, m in END_MODES]),
                # the higher value's label above it, the other's below, both towards the
                # slot's middle: never on each other, nor on the next variant's
                text=[pct(v) for v in vals], textposition=_end_text(*vals),
                textfont=dict(color=color, size=style.FONT_SIZE), cliponaxis=False,
                customdata=[lbl for _, lbl, _ in END_MODES],
                hovertemplate=f"{name}, " + "%{customdata}: %{y:.1%}<extra></extra>"))
    style.base_layout(during, x_title="training step", height=RENORM_HEIGHT)
    style.base_layout(end, height=RENORM_HEIGHT)
    for fig in (during, end):
        pct_axis(fig, lo, hi)
        fig.update_layout(margin=RENORM_MARGIN)
    during.update_yaxes(title_text=acc_title("accuracy", lo, hi), title_standoff=STANDOFF)
    during.update_xaxes(title_standoff=STANDOFF)
    during.update_layout(
        title=dict(text=f"solid: {EVAL.short} (test set) · dotted: {TRAIN.short}",
                   x=0.5, xanchor="center", y=0.98, yanchor="top",
                   font=dict(size=style.FONT_SIZE)),
        legend=dict(y=1.0, yanchor="bottom", x=0.5, xanchor="center"))
    end.update_xaxes(range=[-0.75, len(shown) - 0.25], tickvals=list(range(len(shown))),
                     ticktext=[SHORT[n].replace(" ", "<br>").replace("-", "-<br>")
                               for n in shown], showgrid=False, zeroline=False)
    titled(end, "At the end", f"◆ {TRAIN.short}   ● {EVAL.short}")
    return RenormFigures(during, end)
