"""Figures of the tab "Mini-batch noise": histograms of μ_B for two batch sizes, the spread
of μ_B and σ²_B against the 1/√m law, the train-mode vs population-statistics gap, and the
slight regularisation (train/test gap) per training batch size m."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from bnsim.figures import style
from bnsim.figures.covariate_shift import common


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
    mu_b = style.math("μ_B")
    for col, (mu, sd) in enumerate(((mu_small, law[0]), (mu_large, law[1])), start=1):
        dens, _ = np.histogram(mu, bins=edges, density=True)
        fig.add_trace(go.Bar(x=centres, y=dens, width=width, marker_color=common.COLORS["batch"],
                             marker_line_width=0, name=f"{mu_b} of one mini-batch",
                             showlegend=col == 1,
                             hovertemplate=f"{mu_b} ≈ %{{x:.3f}}: density %{{y:.2f}}"
                                           "<extra></extra>"), row=1, col=col)
        top = 1.1 * float(dens.max()) if dens.max() > 0 else 1.0
        for x, dash, name in ((pop_mean, "dash", "population μ"),
                              (pop_mean - sd, "dot", "μ ± the law's spread"),
                              (pop_mean + sd, "dot", None)):
            fig.add_trace(go.Scatter(x=[x, x], y=[0, top], mode="lines",
                                     line=dict(color=common.COLORS["population"], dash=dash,
                                               width=2.5),
                                     name=name or "", legendgroup=dash,
                                     showlegend=col == 1 and name is not None,
                                     hoverinfo="skip"), row=1, col=col)
    style.base_layout(fig, height=common.HEIGHT["hist"])
    fig.update_layout(bargap=0, legend=common.LEGEND_TOP, margin=dict(t=60, b=60, l=70, r=10))
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
                             line=dict(color=common.COLORS["neutral"], dash="dash", width=2),
                             name="σ/√m"))
    fig.add_trace(go.Scatter(x=sizes, y=law_fpc / sigma, mode="lines",
                             line=dict(color=common.COLORS["population"], width=2.5),
                             name=f"σ/√m·√((N−m)/(N−1)), N = {N}"))
    fig.add_trace(go.Scatter(x=sizes, y=sd_mu / sigma, mode="markers",
                             marker=dict(color=common.COLORS["batch"], size=11),
                             name=f"std of {style.math('μ_B')} (÷ σ)",
                             hovertemplate="m = %{x}: %{y:.3f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=sizes, y=sd_s2 / var, mode="markers",
                             marker=dict(color=common.COLORS["batch"], size=11,
                                         symbol="diamond-open", line=dict(width=2)),
                             name=f"std of {style.math('σ²_B')} (÷ σ²)",
                             hovertemplate="m = %{x}: %{y:.3f}<extra></extra>"))
    style.base_layout(fig, x_title="batch size m", y_title="std over mini-batches (relative)",
                      height=common.HEIGHT["law"])
    fig.update_xaxes(type="log", tickvals=list(sizes), ticktext=[str(m) for m in sizes])
    fig.update_yaxes(type="log", dtick=1)
    fig.update_layout(legend=common.LEGEND_TOP, margin=dict(t=80, b=50, l=70, r=10))
    return fig


def _batch_marks(marks) -> list[dict]:
    """Labelled lines at the two chosen batch sizes (one line when they coincide)."""
    if len(marks) == 2 and marks[0] == marks[1]:
        return [common.vline(marks[0], f"m₁ = m₂ = {marks[0]}")]
    return [common.vline(m, f"m{'₁₂'[i]} = {m}", "top left" if i == 0 else "top right")
            for i, m in enumerate(marks)]


def train_eval_gap(sizes, out_diff, flips, marks=()) -> tuple[go.Figure, go.Figure]:
    """Two figures vs batch size (log x), the chosen sizes marked: the mean |p_train mode −
    p_population| of class 1 (a probability) and the share of predictions that flip (in %),
    never on one axis."""
    shapes = _batch_marks(marks)
    prob = go.Figure(go.Scatter(x=sizes, y=out_diff, mode="lines+markers",
                                line=dict(color=common.COLORS["batch"], width=3),
                                marker=dict(size=9),
                                name="mean |Δp|",
                                hovertemplate="m = %{x}: %{y:.3f}<extra></extra>"))
    style.base_layout(prob, x_title="batch size m", y_title="mean |Δp(class 1)|",
                      height=common.HEIGHT["gap"])
    prob.update_yaxes(range=[0, max(0.05, float(np.nanmax(out_diff)) * 1.15)])
    flip = go.Figure(go.Scatter(x=sizes, y=flips, mode="lines+markers",
                                line=dict(color=common.COLORS["batch"], width=3, dash="dot"),
                                marker=dict(size=9, symbol="square-open"),
                                name="predictions that flip",
                                hovertemplate="m = %{x}: %{y:.1%}<extra></extra>"))
    style.base_layout(flip, x_title="batch size m", y_title="predictions that flip",
                      height=common.HEIGHT["gap"])
    top = max(0.05, float(np.nanmax(flips)) * 1.15)
    flip.update_yaxes(range=[0, top], **common.pct_ticks(0, top))
    for fig in (prob, flip):
        fig.update_xaxes(type="log", tickvals=list(sizes), ticktext=[str(m) for m in sizes])
        fig.update_layout(shapes=shapes, showlegend=False, margin=dict(t=40, b=50, l=70, r=10))
    return prob, flip



# ---------------------------------------------------------------- slight regularisation
def regularisation(runs, noise) -> go.Figure:
    """Train/test gap vs training batch size m (log x): loss gap (test − train) and accuracy
    gap (train − test, in %), with BN (solid) and without (dashed), mean over seeds as a line
    and every seed as a dot; third panel: the spread of μ_B (÷ σ) and σ²_B (÷ σ²) over
    mini-batches of m in the BN networks. ``runs``/``noise`` as
    :class:`bnsim.lessons.covariate_shift.mini_batch_noise.RegSweep`'s."""
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.09,
                        subplot_titles=["test loss − training loss",
                                        "training acc. − test acc.",
                                        "noise of BN's statistics"])
    for col, field in enumerate(("loss_gap", "acc_gap"), start=1):
        fmt = ".1%" if field == "acc_gap" else ".3f"
        for key, dash in (("bn", None), ("no_bn", "dash")):
            r = runs[runs["network"] == key]
            mean = r.groupby("m")[field].mean()
            color = common.MODEL_COLORS[key]
            fig.add_trace(go.Scatter(
                x=r["m"], y=r[field], mode="markers", showlegend=False, legendgroup=key,
                marker=dict(color=common.rgba(color, 0.45), size=7), hoverinfo="skip"),
                row=1, col=col)
            fig.add_trace(go.Scatter(
                x=mean.index, y=mean.values, mode="lines+markers", name=common.MODEL_NAMES[key],
                legendgroup=key, showlegend=col == 1, line=dict(color=color, width=3, dash=dash),
                marker=dict(size=9),
                hovertemplate=f"{common.SHORT[key]}, m = %{{x}}: %{{y:{fmt}}}<extra></extra>"),
                row=1, col=col)
    for field, symbol, name in (("sd_mu_rel", "circle", f"std of {style.math('μ_B')} ÷ σ"),
                                ("sd_sigma2_rel", "diamond-open",
                                 f"std of {style.math('σ²_B')} ÷ σ²")):
        fig.add_trace(go.Scatter(x=noise["m"], y=noise[field], mode="lines+markers", name=name,
                                 line=dict(color=common.COLORS["batch"], width=2),
                                 marker=dict(symbol=symbol, size=10, color=common.COLORS["batch"],
                                             line=dict(width=2, color=common.COLORS["batch"])),
                                 hovertemplate="m = %{x}: %{y:.3f}<extra></extra>"),
                      row=1, col=3)
    style.base_layout(fig, height=common.HEIGHT["reg"])
    fig.update_layout(legend=dict(common.LEGEND_TOP, y=0, yanchor="bottom"),
                      margin=dict(t=40, b=120, l=60, r=10))
    sizes = sorted(runs["m"].unique())
    fig.update_xaxes(type="log", tickvals=sizes, ticktext=[str(m) for m in sizes],
                     title_text="training batch size m")
    gaps = runs["acc_gap"].to_numpy(dtype=float)
    lo, hi = float(np.nanmin(gaps)), float(np.nanmax(gaps))
    fig.update_yaxes(row=1, col=2, **common.pct_ticks(min(lo, 0.0), max(hi, 0.01), most=6))
    return fig
