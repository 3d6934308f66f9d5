"""Tab "γ, β alone": the final test accuracy of the four variants, each seed a dot and the
mean a bar (:func:`accuracy_chart`), and the histogram of the learned |γ| of the γ, β-only
variant with the *switched off* threshold (:func:`gamma_histogram`, linear or log axis).

Colours: training everything in BN's blue, γ, β only in green (the variant the tab is about),
the two baselines (output layer, as many random weights) grey; reference lines grey, dotted.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from bnsim import verdict
from bnsim.figures import style
from bnsim.lessons.inside_layer import gamma_beta_alone as core

COLOR = {"all": style.COLORS["with_bn"], "gamma_beta": style.GREEN,
         "output": style.COLORS["neutral"], "random": style.COLORS["neutral"]}
ACC_LO = 0.4  # the accuracy axis: 40–100 % (chance is 50 %)
ACC_TICKS = [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
N_BINS = 30
TICKS = {"all": "everything", "gamma_beta": "γ, β only", "output": "output layer",
         "random": "random weights"}
LOG_LO = 1e-3  # the log axis starts here; smaller |γ| are counted in the first bin


def _name(a: core.Alone, v: str) -> str:
    """A variant's tick label: its name and how many parameters it trains."""
    return f"{TICKS[v]}<br>({a.trained[v]} trained)"


def _line(y: float, name: str, dash: str = "dot") -> go.Scatter:
    return go.Scatter(x=[-0.5, len(core.VARIANTS) - 0.5], y=[y, y], mode="lines", name=name,
                      line=dict(color=style.COLORS["neutral"], dash=dash, width=2),
                      hoverinfo="skip")


def accuracy_chart(a: core.Alone, height: int = 400) -> go.Figure:
    """Final eval-mode test accuracy per variant: the mean over seeds a bar, each seed a dot
    (a diverged seed is missing); the 15-NN reference and the level at which a network
    *trains* as lines."""
    names = [_name(a, v) for v in core.VARIANTS]
    x = np.arange(len(core.VARIANTS))
    means = [float(np.mean(a.test_acc[v])) for v in core.VARIANTS]
    # the mean as a bar-wide mark, not a bar: the axis is zoomed, and a bar from its bottom
    # would draw a length that means nothing
    data = [go.Scatter(x=x, y=means, mode="markers", name=f"mean of {len(a.seeds)} seed(s)",
                       marker=dict(symbol="line-ew-open", size=44, line=dict(width=4),
                                   color=[COLOR[v] for v in core.VARIANTS]),
                       customdata=100 * np.asarray(means),
                       hovertemplate="%{customdata:.1f} %<extra>mean</extra>")]
    for i, v in enumerate(core.VARIANTS):
        acc = a.test_acc[v]
        jitter = 0.18 * (np.arange(len(acc)) - (len(acc) - 1) / 2) / max(1, len(acc))
        data.append(go.Scatter(x=i + jitter, y=acc, mode="markers", showlegend=False,
                               marker=dict(color=COLOR[v], size=10,
                                           line=dict(width=1, color=style.COLORS["neutral"])),
                               customdata=np.c_[np.asarray(a.seeds), 100 * acc],
                               hovertemplate=f"{core.LABELS[v]}, seed %{{customdata[0]}}: "
                                             "%{customdata[1]:.1f} %<extra></extra>"))
    data.append(_line(a.reference, f"15-NN: {verdict.pct(a.reference)}", "dash"))
    bar = verdict.trains_bar(a.reference)
    data.append(_line(bar, f"trains: ≥ {verdict.pct(bar)}"))
    layout = style.layout(
        height=height, xaxis=dict(tickvals=list(x), ticktext=names, range=[-0.5, len(x) - 0.5],
                                  tickangle=0, tickfont=dict(size=style.FONT_SIZE - 3)),
        yaxis=dict(range=[ACC_LO - 0.02, 1.02], tickvals=ACC_TICKS,
                   ticktext=[f"{100 * t:.0f} %" for t in ACC_TICKS],
                   title=f"final test accuracy (axis {100 * ACC_LO:.0f}–100 %)"))
    layout["margin"] = dict(l=60, r=20, t=50, b=80)
    return style.typeset(go.Figure(data=data, layout=layout))


def histogram(values: np.ndarray, log: bool, bins: int = N_BINS
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(edges (bins + 1,), counts (bins,), x of the bar centres) of |γ| ``values``; on the
    log axis the edges are log-spaced from :data:`LOG_LO` (smaller values go in the first bin)
    and x is log10 of the centre."""
    g = np.abs(np.asarray(values, dtype=float).ravel())
    top = max(float(g.max(initial=0.0)) * 1.02, 2 * core.T_OFF)
    if log:
        edges = np.geomspace(LOG_LO, max(top, 10 * LOG_LO), bins + 1)
        counts, _ = np.histogram(np.clip(g, LOG_LO, None), edges)
        return edges, counts, np.log10(np.sqrt(edges[:-1] * edges[1:]))
    edges = np.linspace(0.0, top, bins + 1)
    counts, _ = np.histogram(g, edges)
    return edges, counts, (edges[:-1] + edges[1:]) / 2


def gamma_histogram(a: core.Alone, log: bool = False, height: int = 400) -> go.Figure:
    """How many hidden units (all layers and seeds of the γ, β-only variant) end with each
    learned |γ|; the *switched off* threshold |γ| = 0.1 marked. ``log``: a log |γ| axis."""
    edges, counts, x = histogram(a.gamma, log)
    off = int(np.sum(np.abs(a.gamma) < core.T_OFF))
    widths = (np.diff(np.log10(edges)) if log else np.diff(edges)) * 0.95
    cut = np.log10(core.T_OFF) if log else core.T_OFF
    data = [go.Bar(x=x, y=counts, width=widths, marker_color=COLOR["gamma_beta"],
                   name="hidden units (γ, β only)", customdata=np.c_[edges[:-1], edges[1:]],
                   hovertemplate="|γ| in [%{customdata[0]:.3g}, %{customdata[1]:.3g}): "
                                 "%{y} units<extra></extra>"),
            go.Scatter(x=[cut, cut], y=[0, max(1, int(counts.max(initial=0)))], mode="lines",
                       name=f"switched off: |γ| < {core.T_OFF:g} ({off} of {a.gamma.size})",
                       line=dict(color=style.COLORS["neutral"], dash="dot", width=2),
                       hoverinfo="skip")]
    if log:
        decades = np.arange(np.log10(LOG_LO), np.ceil(np.log10(edges[-1])) + 1)
        xaxis = dict(title="learned |γ| (log axis)", tickvals=list(decades),
                     ticktext=[f"{10 ** d:g}" for d in decades],
                     range=[np.log10(LOG_LO), np.log10(edges[-1])])
    else:
        xaxis = dict(title="learned |γ|", range=[0, float(edges[-1])])
    layout = style.layout(height=height, xaxis=xaxis,
                          yaxis=dict(title="hidden units", rangemode="tozero"))
    layout["bargap"] = 0
    return style.typeset(go.Figure(data=data, layout=layout))
