"""Figures of the "Covariate shift" page: pure functions, data in, plotly Figure out.

Colours follow :data:`bnsim.figures.style.COLORS`: without BN vermillion, with BN blue, AdaBN
recalibration green (statistics re-estimated on the test set, a population statistic), noisy
BN purple, mini-batch statistics orange, the true rule grey. The two classes of the first tab
are purple and orange there (:data:`CLASS_COLORS`), since vermillion and blue mean "without
BN" and "with BN" in the plot beside the clouds.

Conventions of this page (one figure style):

* Symbols are typeset: ``a^[2]`` is drawn as a<sup>[2]</sup>, ``μ_B`` as μ<sub>B</sub>
  (:func:`math`), matching the equations and the page's inline LaTeX.
* Accuracies and shares are in % (tick format), and an accuracy axis zooms to its data with
  the zoom said in the axis title (:func:`acc_axis`); bars always start at 0.
* Panels that compare without / with BN share their y axis.
* Every marker line carries its label (:func:`_vline`).
* No panel is under ~250 px tall at 1280×720; legends and ticks keep the shared style's 16 px.
"""

from __future__ import annotations

import math as _math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from bnsim import notation
from bnsim.figures import style

C = style.COLORS
MODEL_COLORS = {"no_bn": C["without_bn"], "bn": C["with_bn"], "adabn": C["population"],
                "noisy_bn": C["noisy_bn"]}
MODEL_NAMES = notation.labels(notation.MODELS)  # "Without BN", "With BN", …
SHORT = notation.labels(notation.MODELS, short=True)  # "no BN", "BN", …
# TODO(shared): style.COLORS["class0"/"class1"] are sky/vermillion, and vermillion is also
# "without BN"; on a screen that shows both, classes need colours no model uses.
CLASS_COLORS = {0: style.PURPLE, 1: style.ORANGE}
# Heights chosen so the key picture of each tab fits the first 1280×720 screen
# (tests/test_e2e_projector_covariate_shift.py measures it).
HEIGHT = {"scene": 390, "shift_acc": 390, "rules": 340, "layer": 420, "zt": 700,
          "hist": 340, "law": 380, "gap": 360, "noisy": 380, "reg": 420}
LEGEND_TOP = dict(orientation="h", yref="container", y=1.0, yanchor="top", xanchor="left",
                  x=0, font=dict(size=style.FONT_SIZE))

math = style.math  # the shared typesetting: z̃^[2] → z̃<sup>[2]</sup>, μ_B → μ<sub>B</sub>


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def acc_range(values, pad: float = 0.02, min_span: float = 0.06) -> list[float]:
    """A y range in [0, 1] that holds every finite value in ``values`` with a little room:
    accuracies in the top 5 % get an axis of the top ~8 %, not 0–100 %."""
    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v)]
    if not v.size:
        return [0.0, 1.02]
    lo, hi = float(v.min()) - pad, float(v.max()) + pad
    if hi - lo < min_span:
        lo = hi - min_span
    lo = max(0.0, _math.floor(lo * 100) / 100)
    return [lo, min(1.0, _math.ceil(hi * 100) / 100) + 0.008]


def pct_ticks(lo: float, hi: float, most: int = 7) -> dict:
    """Tick values and texts for a share axis from ``lo`` to ``hi`` (fractions), written as
    the page writes numbers ("95 %", a space before %), at a round step."""
    step = next((s for s in (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25)
                 if (hi - lo) / s <= most), 0.5)
    vals = np.arange(_math.ceil(lo / step - 1e-9) * step, hi + 1e-9, step)
    vals = vals[vals <= 1.0 + 1e-9] if hi <= 1.02 else vals
    digits = 1 if step < 0.01 else 0
    return dict(tickvals=[float(v) for v in vals],
                ticktext=[f"{v * 100:.{digits}f} %" for v in vals])


def acc_axis(fig: go.Figure, values, title: str, **where) -> list[float]:
    """Zoom the y axis (``where``: row/col) to ``values`` (fractions), ticks in %, and say the
    zoom in the title when the axis does not start at 0. Returns the range."""
    rng = acc_range(values)
    zoom = f" (axis from {rng[0] * 100:.0f} %)" if rng[0] > 0 else ""
    fig.update_yaxes(range=rng, title_text=title + zoom, **pct_ticks(*rng), **where)
    return rng


def _vline(x: float, text: str, position: str = "top right") -> dict:
    """A labelled grey vertical line at x across the whole plot (cheaper than add_vline)."""
    return dict(type="line", x0=x, x1=x, xref="x", y0=0, y1=1, yref="paper",
                line=dict(color=C["neutral"], width=2, dash="dot"),
                label=dict(text=text, textposition="end", textangle=0,
                           xanchor="left" if "right" in position else "right",
                           font=dict(size=style.FONT_SIZE, color=C["neutral"])))


def _contour_line(xs, ys, values, color, name, dash=None, width=3.0) -> go.Contour:
    """The 0.5 level of ``values`` (ny, nx) as one line."""
    return go.Contour(
        x=xs, y=ys, z=values, contours=dict(start=0.5, end=0.5, size=1, coloring="none"),
        line=dict(color=color, width=width, dash=dash), showscale=False, name=name,
        showlegend=True, hoverinfo="skip")


# ---------------------------------------------------------------- 1. input covariate shift
def shift_scene(X_train, y_train, X_test, y_test, grid, model: str, xlim, ylim) -> go.Figure:
    """Both clouds (training: filled dots, shifted test: crosses; colour = true class), the
    probability of class 1 the chosen model assigns (background) with its boundary (solid line,
    one contour trace for both) and the true rule's boundary (dashed grey).
    ``grid`` = (xs, ys, proba, truth)."""
    xs, ys, proba, truth = grid
    fig = go.Figure()
    fig.add_trace(go.Contour(
        x=xs, y=ys, z=np.asarray(proba, dtype=np.float32), zmin=0, zmax=1,
        colorscale=[[0.0, _rgba(CLASS_COLORS[0], 0.35)], [0.5, "rgba(153,153,153,0.07)"],
                    [1.0, _rgba(CLASS_COLORS[1], 0.35)]],  # translucent fill, opaque line
        showscale=False,
        contours=dict(start=0.5, end=0.5, size=1, coloring="heatmap", showlines=True),
        line=dict(color=MODEL_COLORS[model], width=3, smoothing=0),
        name=f"learned: {SHORT[model]}", showlegend=True, hoverinfo="skip"))
    for Xs, ys_, part, symbol in ((X_train, y_train, "train", "circle"),
                                  (X_test, y_test, "test", "x")):
        for c in (0, 1):
            sel = ys_ == c
            fig.add_trace(go.Scatter(
                x=Xs[sel, 0], y=Xs[sel, 1], mode="markers",
                marker=dict(symbol=symbol, size=6 if symbol == "circle" else 7,
                            color=CLASS_COLORS[c], line=dict(width=0)),
                name=f"{part} {c}", legendgroup=part,
                hovertemplate=f"{part}, class {c}<br>x₁=%{{x:.2f}}, x₂=%{{y:.2f}}<extra></extra>"))
    fig.add_trace(_contour_line(xs, ys, np.asarray(truth, dtype=np.int8), C["neutral"],
                                "true rule", "dash"))
    style.base_layout(fig, x_title="x₁", y_title="x₂", height=HEIGHT["scene"])
    fig.update_xaxes(range=list(xlim), zeroline=False, constrain="domain")
    fig.update_yaxes(range=list(ylim), zeroline=False, scaleanchor="x", scaleratio=1,
                     constrain="domain")
    fig.update_layout(legend=dict(LEGEND_TOP, traceorder="normal"),  # rows, not groups
                      margin=dict(t=80, b=50, l=60, r=10))
    return fig


def shift_accuracy(table, shift_now: float) -> go.Figure:
    """Test accuracy vs shift for the three models (``table`` as
    :class:`bnsim.covariate_shift.ShiftSweep`'s), the majority-class baseline and the current
    shift marked (labelled line). The y axis zooms to the curves, in %."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=table["shift"], y=table["majority"], mode="lines",
                             line=dict(color=C["neutral"], dash="dot", width=2),
                             name="majority class",
                             hovertemplate="majority class<br>shift %{x}: %{y:.1%}"
                                           "<extra></extra>"))
    for m in ("no_bn", "bn", "adabn"):
        fig.add_trace(go.Scatter(
            x=table["shift"], y=table[m], mode="lines+markers", name=SHORT[m],
            line=dict(color=MODEL_COLORS[m], width=3), marker=dict(size=6),
            hovertemplate=f"{MODEL_NAMES[m]}<br>shift %{{x}}: %{{y:.1%}}<extra></extra>"))
    style.base_layout(fig, x_title="shift of the test inputs", height=HEIGHT["shift_acc"])
    fig.update_layout(shapes=[_vline(shift_now, f"shift = {shift_now:g}",
                                     "top left" if shift_now > 3.5 else "top right")],
                      legend=LEGEND_TOP, margin=dict(t=80, b=50, l=70, r=10))
    fig.update_xaxes(range=[-0.1, 5.1])
    acc_axis(fig, table[["majority", "no_bn", "bn", "adabn"]].to_numpy(), "test accuracy")
    return fig


def rule_bars(df) -> go.Figure:
    """Accuracy at the current shift, per rule (x) and model (bars from 0, in %), majority
    class marked."""
    fig = go.Figure()
    for m in ("no_bn", "bn", "adabn"):
        d = df[df["model"] == m]
        fig.add_trace(go.Bar(x=d["rule"], y=d["accuracy"], name=SHORT[m],
                             marker_color=MODEL_COLORS[m],
                             text=[f"{a:.0%}".replace("%", " %") for a in d["accuracy"]],
                             textposition="outside",
                             hovertemplate=f"{SHORT[m]}, %{{x}}: %{{y:.1%}}<extra></extra>"))
    maj = df.drop_duplicates("rule")
    fig.add_trace(go.Scatter(x=maj["rule"], y=maj["majority"], mode="markers",
                             marker=dict(symbol="line-ew-open", size=40, color=C["neutral"],
                                         line=dict(width=3)),
                             name="majority class",
                             hovertemplate="majority class, %{x}: %{y:.1%}<extra></extra>"))
    style.base_layout(fig, y_title="test accuracy", height=HEIGHT["rules"])
    fig.update_yaxes(range=[0, 1.15], **pct_ticks(0, 1))
    fig.update_layout(barmode="group", legend=LEGEND_TOP, margin=dict(t=80, b=40))
    return fig


# ---------------------------------------------------------------- 2. internal covariate shift
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
    rng = [_math.log10(lo), _math.log10(hi)] if logx and lo > 0 else [lo, hi]
    fig.update_xaxes(type="log" if logx else "linear", range=rng, **where)
    if logx:
        fig.update_xaxes(dtick=1, **where)  # decades only (the shared style's rule)


def layer_band(steps, bands: dict, y_label: str, logx: bool = True) -> go.Figure:
    """Quantile bands over training steps, without BN and with BN on one y scale.
    ``bands``: {"no_bn": (S, 5), "bn": (S, 5)} the 5, 25, 50, 75, 95 % quantiles."""
    fig = _side_by_side([MODEL_NAMES["no_bn"], MODEL_NAMES["bn"]])
    for col, key in enumerate(("no_bn", "bn"), start=1):
        q = bands[key]
        color = MODEL_COLORS[key]
        for lo, hi, alpha, name in ((0, 4, 0.18, "5–95 %"), (1, 3, 0.38, "25–75 %")):
            fig.add_trace(go.Scatter(x=steps, y=q[:, hi], mode="lines", line=dict(width=0),
                                     showlegend=False, hoverinfo="skip"), row=1, col=col)
            fig.add_trace(go.Scatter(x=steps, y=q[:, lo], mode="lines", line=dict(width=0),
                                     fill="tonexty", fillcolor=_rgba(color, alpha),
                                     name=f"{name} of examples", legendgroup=name,
                                     showlegend=col == 2, hoverinfo="skip"), row=1, col=col)
        fig.add_trace(go.Scatter(x=steps, y=q[:, 2], mode="lines", line=dict(color=color, width=3),
                                 name="median", showlegend=col == 2,
                                 hovertemplate="step %{x}: median %{y:.3f}<extra></extra>"),
                      row=1, col=col)
    style.base_layout(fig, height=HEIGHT["layer"])
    fig.update_layout(legend=LEGEND_TOP, margin=dict(t=80, b=50, l=70, r=10))
    _step_axis(fig, steps, logx)
    fig.update_xaxes(title_text="training step")
    fig.update_yaxes(title_text=math(y_label), row=1, col=1)
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
    fig = _side_by_side([MODEL_NAMES["no_bn"], MODEL_NAMES["bn"]])
    scale = [[0.0, "rgba(153,153,153,0.0)"], [0.25, _rgba(style.SKY, 0.7)],
             [1.0, style.BLUE]]
    x_edges = _edges(steps, logx)
    for col, key in enumerate(("no_bn", "bn"), start=1):
        edges, dens = hists[key]
        centres = 0.5 * (edges[:-1] + edges[1:])
        # saturate the top 10 % of cells, so a ReLU spike at exactly 0 does not wash out the rest
        top = np.quantile(dens[dens > 0], 0.9) if np.any(dens > 0) else 1.0
        fig.add_trace(go.Heatmap(x=x_edges, y=centres, z=dens.T, colorscale=scale, zmin=0,
                                 zmax=top, showscale=False, name=MODEL_NAMES[key],
                                 hovertemplate="step ≈ %{x:.0f}<br>value %{y:.2f}<br>"
                                               "density %{z:.2f}<extra></extra>"),
                      row=1, col=col)
    style.base_layout(fig, height=HEIGHT["layer"])
    fig.update_layout(margin=dict(t=50, b=50, l=70, r=10))
    rng = [x_edges[0], x_edges[-1]]
    if logx and rng[0] > 0:
        rng = [_math.log10(rng[0]), _math.log10(rng[1])]
    fig.update_xaxes(title_text="training step", type="log" if logx else "linear", range=rng)
    if logx:
        fig.update_xaxes(dtick=1)
    fig.update_yaxes(title_text=math(y_label), row=1, col=1)
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
    sym = math(f"z̃^[{layer}]" if layer else "z̃")
    fig = _side_by_side([MODEL_NAMES["no_bn"], MODEL_NAMES["bn"]], rows=2,
                        row_titles=[f"mean of {sym}", f"variance of {sym}"],
                        vertical_spacing=0.1)
    for col, key in enumerate(("no_bn", "bn"), start=1):
        color = MODEL_COLORS[key]
        for row, arr in enumerate(stats[key], start=1):
            x, y = _all_units(steps, arr)
            first = row == 1 and col == 2  # one legend entry per kind of line
            fig.add_trace(go.Scatter(x=x, y=y, mode="lines", connectgaps=False,
                                     line=dict(color=_rgba(color, 0.3), width=1),
                                     showlegend=first, name="every unit", hoverinfo="skip"),
                          row=row, col=col)
            fig.add_trace(go.Scatter(
                x=steps, y=arr[:, unit], mode="lines", line=dict(color=color, width=3),
                showlegend=first, name=f"unit {unit + 1}",
                hovertemplate=f"unit {unit + 1}<br>step %{{x}}: %{{y:.3f}}<extra></extra>"),
                row=row, col=col)
    style.base_layout(fig, height=HEIGHT["zt"])
    fig.update_layout(legend=LEGEND_TOP, margin=dict(t=80, b=50, l=70, r=10))
    _step_axis(fig, steps, logx)
    fig.update_xaxes(title_text="training step", row=2)
    return fig


# ---------------------------------------------------------------- 3. mini-batch noise
def batch_histograms(mu_small, mu_large, m_small: int, m_large: int, pop_mean: float,
                     law: tuple[float, float]) -> go.Figure:
    """Histograms of μ_B over mini-batches for two batch sizes on one shared x range, with the
    population mean (dashed green) and ± the standard deviation the law predicts (dotted)."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.08)
    both = np.r_[mu_small, mu_large]
    lo, hi = np.quantile(both, [0.005, 0.995])
    lo, hi = min(lo, pop_mean - law[0]), max(hi, pop_mean + law[0])
    pad = 0.05 * (hi - lo) + 1e-9
    edges = np.linspace(lo - pad, hi + pad, 61)
    centres, width = 0.5 * (edges[:-1] + edges[1:]), edges[1] - edges[0]
    mu_b = math("μ_B")
    for col, (mu, sd) in enumerate(((mu_small, law[0]), (mu_large, law[1])), start=1):
        dens, _ = np.histogram(mu, bins=edges, density=True)
        fig.add_trace(go.Bar(x=centres, y=dens, width=width, marker_color=C["batch"],
                             marker_line_width=0, name=f"{mu_b} of one mini-batch",
                             showlegend=col == 1,
                             hovertemplate=f"{mu_b} ≈ %{{x:.3f}}: density %{{y:.2f}}"
                                           "<extra></extra>"), row=1, col=col)
        top = 1.1 * float(dens.max()) if dens.max() > 0 else 1.0
        for x, dash, name in ((pop_mean, "dash", "population μ"),
                              (pop_mean - sd, "dot", "μ ± the law's spread"),
                              (pop_mean + sd, "dot", None)):
            fig.add_trace(go.Scatter(x=[x, x], y=[0, top], mode="lines",
                                     line=dict(color=C["population"], dash=dash, width=2.5),
                                     name=name or "", legendgroup=dash,
                                     showlegend=col == 1 and name is not None,
                                     hoverinfo="skip"), row=1, col=col)
    style.base_layout(fig, height=HEIGHT["hist"])
    fig.update_layout(bargap=0, legend=LEGEND_TOP, margin=dict(t=60, b=60, l=70, r=10))
    fig.update_xaxes(range=[edges[0], edges[-1]])
    fig.update_xaxes(title_text=f"{mu_b} of mini-batches, m = {m_small}", row=1, col=1)
    fig.update_xaxes(title_text=f"{mu_b} of mini-batches, m = {m_large}", row=1, col=2)
    fig.update_yaxes(title_text="density", row=1, col=1)
    return fig


def spread_law(sizes, sd_mu, sd_s2, sigma: float, var: float, N: int,
               law, law_fpc) -> go.Figure:
    """Standard deviation over mini-batches of μ_B (relative to σ) and of σ²_B (relative to
    σ²) vs batch size, log–log, with the 1/√m law and its finite-set correction."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=sizes, y=law / sigma, mode="lines",
                             line=dict(color=C["neutral"], dash="dash", width=2),
                             name="σ/√m"))
    fig.add_trace(go.Scatter(x=sizes, y=law_fpc / sigma, mode="lines",
                             line=dict(color=C["population"], width=2.5),
                             name=f"σ/√m·√((N−m)/(N−1)), N = {N}"))
    fig.add_trace(go.Scatter(x=sizes, y=sd_mu / sigma, mode="markers",
                             marker=dict(color=C["batch"], size=11),
                             name=f"std of {math('μ_B')} (÷ σ)",
                             hovertemplate="m = %{x}: %{y:.3f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=sizes, y=sd_s2 / var, mode="markers",
                             marker=dict(color=C["batch"], size=11, symbol="diamond-open",
                                         line=dict(width=2)),
                             name=f"std of {math('σ²_B')} (÷ σ²)",
                             hovertemplate="m = %{x}: %{y:.3f}<extra></extra>"))
    style.base_layout(fig, x_title="batch size m", y_title="std over mini-batches (relative)",
                      height=HEIGHT["law"])
    fig.update_xaxes(type="log", tickvals=list(sizes), ticktext=[str(m) for m in sizes])
    fig.update_yaxes(type="log", dtick=1)
    fig.update_layout(legend=LEGEND_TOP, margin=dict(t=80, b=50, l=70, r=10))
    return fig


def _batch_marks(marks) -> list[dict]:
    """Labelled lines at the two chosen batch sizes (one line when they coincide)."""
    if len(marks) == 2 and marks[0] == marks[1]:
        return [_vline(marks[0], f"m₁ = m₂ = {marks[0]}")]
    return [_vline(m, f"m{'₁₂'[i]} = {m}", "top left" if i == 0 else "top right")
            for i, m in enumerate(marks)]


def train_eval_gap(sizes, out_diff, flips, marks=()) -> tuple[go.Figure, go.Figure]:
    """Two figures vs batch size (log x), the chosen sizes marked: the mean |p_train mode −
    p_population| of class 1 (a probability) and the share of predictions that flip (in %),
    never on one axis."""
    shapes = _batch_marks(marks)
    prob = go.Figure(go.Scatter(x=sizes, y=out_diff, mode="lines+markers",
                                line=dict(color=C["batch"], width=3), marker=dict(size=9),
                                name="mean |Δp|",
                                hovertemplate="m = %{x}: %{y:.3f}<extra></extra>"))
    style.base_layout(prob, x_title="batch size m", y_title="mean |Δp(class 1)|",
                      height=HEIGHT["gap"])
    prob.update_yaxes(range=[0, max(0.05, float(np.nanmax(out_diff)) * 1.15)])
    flip = go.Figure(go.Scatter(x=sizes, y=flips, mode="lines+markers",
                                line=dict(color=C["batch"], width=3, dash="dot"),
                                marker=dict(size=9, symbol="square-open"),
                                name="predictions that flip",
                                hovertemplate="m = %{x}: %{y:.1%}<extra></extra>"))
    style.base_layout(flip, x_title="batch size m", y_title="predictions that flip",
                      height=HEIGHT["gap"])
    top = max(0.05, float(np.nanmax(flips)) * 1.15)
    flip.update_yaxes(range=[0, top], **pct_ticks(0, top))
    for fig in (prob, flip):
        fig.update_xaxes(type="log", tickvals=list(sizes), ticktext=[str(m) for m in sizes])
        fig.update_layout(shapes=shapes, showlegend=False, margin=dict(t=40, b=50, l=70, r=10))
    return prob, flip


# ---------------------------------------------------------------- 4. noisy BN
def loss_curves(steps, curves: dict, noise: float) -> go.Figure:
    """Smoothed mini-batch loss per variant: every seed thin, the mean over seeds thick.
    ``curves``: {variant: (k, T)}. Log y."""
    fig = go.Figure()
    for v, arr in curves.items():
        color = MODEL_COLORS[v]
        name = MODEL_NAMES[v] + (f" (σ = {noise:g})" if v == "noisy_bn" else "")
        for r in range(arr.shape[0]):
            fig.add_trace(go.Scatter(x=steps, y=arr[r], mode="lines",
                                     line=dict(color=_rgba(color, 0.35), width=1),
                                     showlegend=False, hoverinfo="skip", legendgroup=v))
        fig.add_trace(go.Scatter(x=steps, y=np.nanmean(arr, axis=0), mode="lines",
                                 line=dict(color=color, width=3), name=name, legendgroup=v,
                                 hovertemplate=name + "<br>step %{x}: %{y:.4f}<extra></extra>"))
    style.base_layout(fig, x_title="training step", y_title="mini-batch loss (smoothed)",
                      height=HEIGHT["noisy"])
    fig.update_yaxes(type="log", dtick=1)
    fig.update_layout(legend=LEGEND_TOP, margin=dict(t=80, b=50, l=70, r=10))
    return fig


def final_bars(summary, layer: int) -> go.Figure:
    """Final test accuracy (first panel: mean over seeds as a bar-wide mark, every seed as a
    dot, y zoomed to the data in %) and drift D of z̃^[l] (second panel: bars from 0, seeds as
    dots) per variant."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.16,
                        subplot_titles=["final test accuracy",
                                        f"drift D of {math(f'z̃^[{layer}]')}"])
    order = ("no_bn", "bn", "noisy_bn")
    names = [SHORT[v] for v in order]
    colors = [MODEL_COLORS[v] for v in order]
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
                                     marker=dict(color=C["neutral"] if field == "drift"
                                                 else MODEL_COLORS[v], size=9, opacity=0.8),
                                     showlegend=False,
                                     hovertemplate="seed: %{y:.3f}<extra></extra>"),
                          row=1, col=col)
    style.base_layout(fig, height=HEIGHT["noisy"])
    fig.update_layout(margin=dict(t=80, b=50, l=70, r=10))
    acc = summary["test_acc"].to_numpy(dtype=float)
    rng = acc_range(acc, pad=0.03)
    fig.update_yaxes(range=rng, row=1, col=1, **pct_ticks(*rng, most=5),
                     title_text=f"axis from {rng[0] * 100:.0f} %" if rng[0] > 0 else None)
    fig.update_xaxes(tickangle=0)
    top = float(np.nanmax(summary["drift"])) if np.isfinite(summary["drift"]).any() else 1.0
    fig.update_yaxes(range=[0, top * 1.2 + 1e-9], row=1, col=2)
    return fig


# ---------------------------------------------------------------- 5. slight regularisation
def regularisation(runs, noise) -> go.Figure:
    """Train/test gap vs training batch size m (log x): loss gap (test − train) and accuracy
    gap (train − test, in %), with BN (solid) and without (dashed), mean over seeds as a line
    and every seed as a dot; third panel: the spread of μ_B (÷ σ) and σ²_B (÷ σ²) over
    mini-batches of m in the BN networks. ``runs``/``noise`` as
    :class:`bnsim.covariate_shift.RegSweep`'s."""
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.09,
                        subplot_titles=["test loss − training loss",
                                        "training acc. − test acc.",
                                        "noise of BN's statistics"])
    for col, field in enumerate(("loss_gap", "acc_gap"), start=1):
        fmt = ".1%" if field == "acc_gap" else ".3f"
        for key, dash in (("bn", None), ("no_bn", "dash")):
            r = runs[runs["network"] == key]
            mean = r.groupby("m")[field].mean()
            color = MODEL_COLORS[key]
            fig.add_trace(go.Scatter(
                x=r["m"], y=r[field], mode="markers", showlegend=False, legendgroup=key,
                marker=dict(color=_rgba(color, 0.45), size=7), hoverinfo="skip"), row=1, col=col)
            fig.add_trace(go.Scatter(
                x=mean.index, y=mean.values, mode="lines+markers", name=MODEL_NAMES[key],
                legendgroup=key, showlegend=col == 1, line=dict(color=color, width=3, dash=dash),
                marker=dict(size=9),
                hovertemplate=f"{SHORT[key]}, m = %{{x}}: %{{y:{fmt}}}<extra></extra>"),
                row=1, col=col)
    for field, symbol, name in (("sd_mu_rel", "circle", f"std of {math('μ_B')} ÷ σ"),
                                ("sd_sigma2_rel", "diamond-open",
                                 f"std of {math('σ²_B')} ÷ σ²")):
        fig.add_trace(go.Scatter(x=noise["m"], y=noise[field], mode="lines+markers", name=name,
                                 line=dict(color=C["batch"], width=2),
                                 marker=dict(symbol=symbol, size=10, color=C["batch"],
                                             line=dict(width=2, color=C["batch"])),
                                 hovertemplate="m = %{x}: %{y:.3f}<extra></extra>"),
                      row=1, col=3)
    style.base_layout(fig, height=HEIGHT["reg"])
    fig.update_layout(legend=dict(LEGEND_TOP, y=0, yanchor="bottom"),
                      margin=dict(t=40, b=120, l=60, r=10))
    sizes = sorted(runs["m"].unique())
    fig.update_xaxes(type="log", tickvals=sizes, ticktext=[str(m) for m in sizes],
                     title_text="training batch size m")
    gaps = runs["acc_gap"].to_numpy(dtype=float)
    lo, hi = float(np.nanmin(gaps)), float(np.nanmax(gaps))
    fig.update_yaxes(row=1, col=2, **pct_ticks(min(lo, 0.0), max(hi, 0.01), most=6))
    return fig
