"""Figures of the "Covariate shift" page: pure functions, data in, plotly Figure out.

Colours follow :data:`bnsim.figures.style.COLORS`: without BN vermillion, with BN blue, AdaBN
recalibration green (statistics re-estimated on the test set, a population statistic), noisy
BN purple, mini-batch statistics orange, the true rule grey.
"""

from __future__ import annotations

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


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _legend_below(fig: go.Figure, height: int) -> go.Figure:
    """Legend under the x axis, so it never covers subplot titles."""
    fig.update_layout(height=height, legend=dict(orientation="h", yanchor="top", y=-0.2,
                                                 xanchor="left", x=0, font=dict(size=14)),
                      margin=dict(t=40, b=110))
    return fig


def _vline(x: float) -> dict:
    """A thin grey vertical line at x across the whole plot (cheaper than add_vline)."""
    return dict(type="line", x0=x, x1=x, xref="x", y0=0, y1=1, yref="paper",
                line=dict(color=C["neutral"], width=1.5))


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
        colorscale=[[0.0, _rgba(style.SKY, 0.45)], [0.5, "rgba(153,153,153,0.07)"],
                    [1.0, _rgba(style.VERMILLION, 0.45)]],  # translucent fill, opaque line
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
                            color=C[f"class{c}"], line=dict(width=0)),
                name=f"{part} {c}", legendgroup=part,
                hovertemplate=f"{part}, class {c}<br>x₁=%{{x:.2f}}, x₂=%{{y:.2f}}<extra></extra>"))
    fig.add_trace(_contour_line(xs, ys, np.asarray(truth, dtype=np.int8), C["neutral"],
                                "true rule", "dash"))
    style.base_layout(fig, x_title="x₁", y_title="x₂", height=450)
    fig.update_xaxes(range=list(xlim), zeroline=False)
    fig.update_yaxes(range=list(ylim), zeroline=False, scaleanchor="x", scaleratio=1)
    fig.update_layout(legend=dict(font=dict(size=13)))
    return fig


def shift_accuracy(table, shift_now: float) -> go.Figure:
    """Test accuracy vs shift for the three models (``table`` as
    :class:`bnsim.covariate_shift.ShiftSweep`'s), the majority-class baseline and the current
    shift marked."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=table["shift"], y=table["majority"], mode="lines",
                             line=dict(color=C["neutral"], dash="dot", width=2),
                             name="majority class"))
    for m in ("no_bn", "bn", "adabn"):
        fig.add_trace(go.Scatter(
            x=table["shift"], y=table[m], mode="lines+markers", name=SHORT[m],
            line=dict(color=MODEL_COLORS[m], width=3), marker=dict(size=6),
            hovertemplate=f"{MODEL_NAMES[m]}<br>shift %{{x}}: %{{y:.3f}}<extra></extra>"))
    style.base_layout(fig, x_title="shift of the test inputs",
                      y_title="test accuracy", height=450)
    fig.update_layout(shapes=[_vline(shift_now)])
    fig.update_xaxes(range=[-0.1, 5.1])
    fig.update_yaxes(range=[-0.02, 1.02])
    fig.update_layout(legend=dict(font=dict(size=13)))
    return fig


def rule_bars(df) -> go.Figure:
    """Accuracy at the current shift, per rule (x) and model (bars), majority class marked."""
    fig = go.Figure()
    for m in ("no_bn", "bn", "adabn"):
        d = df[df["model"] == m]
        fig.add_trace(go.Bar(x=d["rule"], y=d["accuracy"], name=SHORT[m],
                             marker_color=MODEL_COLORS[m], text=[f"{a:.2f}" for a in d["accuracy"]],
                             textposition="outside"))
    maj = df.drop_duplicates("rule")
    fig.add_trace(go.Scatter(x=maj["rule"], y=maj["majority"], mode="markers",
                             marker=dict(symbol="line-ew-open", size=40, color=C["neutral"],
                                         line=dict(width=3)),
                             name="majority class"))
    style.base_layout(fig, y_title="test accuracy", height=330)
    fig.update_yaxes(range=[0, 1.15])
    fig.update_layout(barmode="group", legend=dict(font=dict(size=13)))
    return fig


# ---------------------------------------------------------------- 2. internal covariate shift
def _side_by_side(titles, rows=1, row_titles=None):
    fig = make_subplots(rows=rows, cols=2, subplot_titles=titles,
                        horizontal_spacing=0.08, vertical_spacing=0.14)
    if row_titles:
        for r, t in enumerate(row_titles, start=1):
            fig.update_yaxes(title_text=t, row=r, col=1)
    return fig


def layer_band(steps, bands: dict, y_label: str, logx: bool = True) -> go.Figure:
    """Quantile bands over training steps, without BN (left) and with BN (right).
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
    style.base_layout(fig)
    _legend_below(fig, 400)
    fig.update_xaxes(title_text="training step", type="log" if logx else "linear")
    fig.update_yaxes(title_text=y_label, row=1, col=1)
    return fig


def layer_heatmaps(steps, hists: dict, y_label: str, logx: bool = True) -> go.Figure:
    """Histogram of one unit at every snapshot (colour = density), without and with BN.
    ``hists``: {"no_bn": (edges (bins+1,), density (S, bins)), "bn": …}."""
    fig = _side_by_side([MODEL_NAMES["no_bn"], MODEL_NAMES["bn"]])
    scale = [[0.0, "rgba(153,153,153,0.0)"], [0.25, _rgba(style.SKY, 0.7)],
             [1.0, style.BLUE]]
    for col, key in enumerate(("no_bn", "bn"), start=1):
        edges, dens = hists[key]
        centres = 0.5 * (edges[:-1] + edges[1:])
        # saturate the top 10 % of cells, so a ReLU spike at exactly 0 does not wash out the rest
        top = np.quantile(dens[dens > 0], 0.9) if np.any(dens > 0) else 1.0
        fig.add_trace(go.Heatmap(x=steps, y=centres, z=dens.T, colorscale=scale, zmin=0,
                                 zmax=top, showscale=False,
                                 hovertemplate="step %{x}<br>value %{y:.2f}<br>density %{z:.2f}"
                                               "<extra></extra>"), row=1, col=col)
    style.base_layout(fig, height=360)
    fig.update_layout(margin=dict(t=40))
    fig.update_xaxes(title_text="training step", type="log" if logx else "linear")
    fig.update_yaxes(title_text=y_label, row=1, col=1)
    return fig


def _all_units(steps, arr):
    """Every column of ``arr`` (S, n) as one line, NaN-separated (one trace instead of n)."""
    S, n = arr.shape
    x = np.tile(np.r_[np.asarray(steps, dtype=float), np.nan], n)
    y = np.r_[arr, np.full((1, n), np.nan)].T.ravel()
    return x, y


def zt_moments(steps, stats: dict, unit: int, logx: bool = True) -> go.Figure:
    """Per-unit mean (top) and variance (bottom) of z̃^[l] over training steps, without BN
    (left) and with BN (right); all units as thin lines, unit ``unit`` (0-based) thick.
    ``stats``: {"no_bn": (mean (S, n), var (S, n)), "bn": …}."""
    fig = _side_by_side([MODEL_NAMES["no_bn"], MODEL_NAMES["bn"]], rows=2,
                        row_titles=["mean of z̃", "variance of z̃"])
    for col, key in enumerate(("no_bn", "bn"), start=1):
        color = MODEL_COLORS[key]
        for row, arr in enumerate(stats[key], start=1):
            x, y = _all_units(steps, arr)
            fig.add_trace(go.Scatter(x=x, y=y, mode="lines", connectgaps=False,
                                     line=dict(color=_rgba(color, 0.3), width=1),
                                     showlegend=False, name="all units", hoverinfo="skip"),
                          row=row, col=col)
            fig.add_trace(go.Scatter(
                x=steps, y=arr[:, unit], mode="lines", line=dict(color=color, width=3),
                showlegend=False, name=f"unit {unit + 1}",
                hovertemplate=f"unit {unit + 1}<br>step %{{x}}: %{{y:.3f}}<extra></extra>"),
                row=row, col=col)
    style.base_layout(fig, height=440)
    fig.update_layout(margin=dict(t=40))
    fig.update_xaxes(type="log" if logx else "linear")
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
    for col, (mu, sd) in enumerate(((mu_small, law[0]), (mu_large, law[1])), start=1):
        dens, _ = np.histogram(mu, bins=edges, density=True)
        fig.add_trace(go.Bar(x=centres, y=dens, width=width, marker_color=C["batch"],
                             marker_line_width=0, name="μ_B of one mini-batch",
                             showlegend=col == 1,
                             hovertemplate="μ_B ≈ %{x:.3f}: density %{y:.2f}<extra></extra>"),
                      row=1, col=col)
        top = 1.1 * float(dens.max()) if dens.max() > 0 else 1.0
        for x, dash, name in ((pop_mean, "dash", "population μ"),
                              (pop_mean - sd, "dot", "μ ± the law's spread"),
                              (pop_mean + sd, "dot", None)):
            fig.add_trace(go.Scatter(x=[x, x], y=[0, top], mode="lines",
                                     line=dict(color=C["population"], dash=dash, width=2.5),
                                     name=name or "", legendgroup=dash,
                                     showlegend=col == 1 and name is not None,
                                     hoverinfo="skip"), row=1, col=col)
    style.base_layout(fig, height=340)
    fig.update_layout(bargap=0)
    fig.update_xaxes(range=[edges[0], edges[-1]])
    fig.update_xaxes(title_text=f"μ_B over mini-batches of m = {m_small}", row=1, col=1)
    fig.update_xaxes(title_text=f"μ_B over mini-batches of m = {m_large}", row=1, col=2)
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
                             marker=dict(color=C["batch"], size=11), name="std of μ_B",
                             hovertemplate="m = %{x}: %{y:.3f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=sizes, y=sd_s2 / var, mode="markers",
                             marker=dict(color=C["batch"], size=11, symbol="diamond-open",
                                         line=dict(width=2)),
                             name="std of σ²_B (÷σ²)",
                             hovertemplate="m = %{x}: %{y:.3f}<extra></extra>"))
    style.base_layout(fig, x_title="batch size m", y_title="std over batches ÷ σ", height=400)
    fig.update_xaxes(type="log", tickvals=list(sizes), ticktext=[str(m) for m in sizes])
    fig.update_yaxes(type="log")
    fig.update_layout(legend=dict(font=dict(size=13)))
    return fig


def train_eval_gap(sizes, out_diff, flips, marks=()) -> go.Figure:
    """Mean |P_train-mode − P_eval-mode| of class 1 and the fraction of flipped predictions
    vs batch size (log x), the two chosen sizes marked."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=sizes, y=out_diff, mode="lines+markers",
                             line=dict(color=C["batch"], width=3), marker=dict(size=9),
                             name="mean |p_train mode − p_population|",
                             hovertemplate="m = %{x}: %{y:.3f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=sizes, y=flips, mode="lines+markers",
                             line=dict(color=C["batch"], width=2, dash="dot"),
                             marker=dict(size=9, symbol="square-open"),
                             name="predictions that flip",
                             hovertemplate="m = %{x}: %{y:.3f}<extra></extra>"))
    fig.update_layout(shapes=[_vline(m) for m in marks])
    style.base_layout(fig, x_title="batch size m",
                      y_title="train mode vs population statistics", height=400)
    fig.update_xaxes(type="log", tickvals=list(sizes), ticktext=[str(m) for m in sizes])
    fig.update_yaxes(range=[0, max(0.05, float(np.nanmax([*out_diff, *flips])) * 1.1)])
    fig.update_layout(legend=dict(font=dict(size=13)))
    return fig


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
                      height=380)
    fig.update_yaxes(type="log")
    return fig


def final_bars(summary, layer: int) -> go.Figure:
    """Final test accuracy (left) and drift D of z̃^[l] (right) per variant: bar = mean over
    seeds, dots = the seeds."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=["final test accuracy", f"drift D of z̃^[{layer}]"])
    order = ("no_bn", "bn", "noisy_bn")
    names = [SHORT[v] for v in order]
    for col, field in enumerate(("test_acc", "drift"), start=1):
        means = [summary.loc[summary["variant"] == v, field].mean() for v in order]
        fig.add_trace(go.Bar(x=names, y=means, marker_color=[MODEL_COLORS[v] for v in order],
                             text=[f"{m:.3f}" if field == "test_acc" else f"{m:.1f}"
                                   for m in means],
                             textposition="outside", showlegend=False,
                             hovertemplate="%{x}: %{y:.3f}<extra></extra>"), row=1, col=col)
        for v, name in zip(order, names, strict=True):
            vals = summary.loc[summary["variant"] == v, field]
            fig.add_trace(go.Scatter(x=[name] * len(vals), y=vals, mode="markers",
                                     marker=dict(color=C["neutral"], size=8,
                                                 line=dict(width=1, color=C["neutral"])),
                                     showlegend=False,
                                     hovertemplate="seed: %{y:.3f}<extra></extra>"),
                          row=1, col=col)
    style.base_layout(fig, height=340)
    fig.update_layout(margin=dict(t=50))
    fig.update_xaxes(tickfont=dict(size=14))
    fig.update_yaxes(range=[0, 1.12], row=1, col=1)
    top = float(np.nanmax(summary["drift"])) if np.isfinite(summary["drift"]).any() else 1.0
    fig.update_yaxes(range=[0, top * 1.2 + 1e-9], row=1, col=2)
    return fig


# ---------------------------------------------------------------- 5. slight regularisation
def regularisation(runs, noise) -> go.Figure:
    """Train/test gap vs training batch size m (log x): loss gap (test − train, left) and
    accuracy gap (train − test, middle), with BN (solid) and without (dashed), mean over seeds
    as a line and every seed as a dot; right: the spread of μ_B (÷ σ) and σ²_B (÷ σ²) over
    mini-batches of m in the BN networks. ``runs``/``noise`` as
    :class:`bnsim.covariate_shift.RegSweep`'s."""
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.08,
                        subplot_titles=["test loss − training loss",
                                        "training acc. − test acc.",
                                        "noise of BN's statistics"])
    for col, field in enumerate(("loss_gap", "acc_gap"), start=1):
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
                hovertemplate=f"{SHORT[key]}, m = %{{x}}: %{{y:.3f}}<extra></extra>"),
                row=1, col=col)
    for field, symbol, name in (("sd_mu_rel", "circle", "std of μ_B ÷ σ"),
                                ("sd_sigma2_rel", "diamond-open", "std of σ²_B ÷ σ²")):
        fig.add_trace(go.Scatter(x=noise["m"], y=noise[field], mode="lines+markers", name=name,
                                 line=dict(color=C["batch"], width=2),
                                 marker=dict(symbol=symbol, size=10, color=C["batch"],
                                             line=dict(width=2, color=C["batch"])),
                                 hovertemplate="m = %{x}: %{y:.3f}<extra></extra>"),
                      row=1, col=3)
    style.base_layout(fig)
    _legend_below(fig, 400)
    sizes = sorted(runs["m"].unique())
    fig.update_xaxes(type="log", tickvals=sizes, ticktext=[str(m) for m in sizes],
                     title_text="training batch size m")
    return fig
