"""Tab "Larger steps": final test accuracy vs α for ReLU and sigmoid, with and without BN
(:func:`sweep_accuracy`), and the gradient norm of every hidden layer at initialisation
(:func:`layer_gradients`).

Colours: with BN blue, without BN vermillion (one colour per network, as on every page); the
activation by the dash (ReLU solid, sigmoid dashed); reference lines grey.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from bnsim import notation
from bnsim.figures import style
from bnsim.figures.inside_layer.with_vs_without_bn import ACC_LO, ACC_TICKS, MODELS
from bnsim.lessons.inside_layer import larger_steps as core
from bnsim.lessons.inside_layer import with_vs_without_bn as sweeping

DASH = {"relu": "solid", "sigmoid": "dash"}
MARGIN = dict(l=60, r=20, t=110, b=50)  # room for a three-line legend


def _color(bn: bool) -> str:
    return style.COLORS["with_bn" if bn else "without_bn"]


def _name(bn: bool, activation: str) -> str:
    key = "bn" if bn else "no_bn"
    return f"{notation.MODELS[key].label}, {notation.ACTIVATIONS[activation].label}"


def sweep_accuracy(sws: dict[str, sweeping.Sweep], height: int = 420) -> go.Figure:
    """Final test accuracy vs α (log axis): one line per activation and network (the mean over
    seeds; a diverged seed is a gap), each seed a faint dot, the largest α at which every seed
    trains a star, the level at which a run *trains* dotted."""
    data = []
    stars_x, stars_y, stars_c, stars_t = [], [], [], []
    any_sw = next(iter(sws.values()))
    for act, sw in sws.items():
        for bn, _ in MODELS:
            name = _name(bn, act)
            acc = sw.acc(bn)
            data.append(go.Scatter(
                x=list(sw.lrs), y=acc, mode="lines+markers", name=name,
                line=dict(color=_color(bn), width=3, dash=DASH[act]), marker=dict(size=8),
                customdata=100 * np.asarray(acc),
                hovertemplate=f"{name}<br>α = %{{x}}: %{{customdata:.1f}} %<extra></extra>"))
            xs = [x for x in sw.lrs for _ in sw.runs[x, bn].test_acc]
            ys = [a for x in sw.lrs for a in sw.runs[x, bn].test_acc]
            data.append(go.Scatter(x=xs, y=ys, mode="markers", showlegend=False,
                                   marker=dict(color=_color(bn), size=6, opacity=0.4),
                                   hoverinfo="skip"))
            top = sw.largest_training_lr(bn)
            if np.isfinite(top):
                stars_x.append(top)
                stars_y.append(float(np.mean(sw.counted(top, bn))))
                stars_c.append(_color(bn))
                stars_t.append(f"{name}: largest α that trains = {top:g}")
    data.append(go.Scatter(x=stars_x, y=stars_y, mode="markers", name="largest α that trains",
                           marker=dict(symbol="star", size=18, color=stars_c,
                                       line=dict(width=1.5, color=style.COLORS["neutral"])),
                           text=stars_t, hovertemplate="%{text}<extra></extra>"))
    lrs = any_sw.lrs
    data.append(go.Scatter(x=[min(lrs), max(lrs)], y=[any_sw.bar] * 2, mode="lines",
                           name=f"trains: ≥ {100 * any_sw.bar:.1f} %", hoverinfo="skip",
                           line=dict(color=style.COLORS["neutral"], dash="dot", width=2)))
    lo, hi = np.log10(min(lrs)), np.log10(max(lrs))
    layout = style.layout(
        height=height,
        xaxis=dict(type="log", range=[lo - 0.15, hi + 0.15], title="learning rate α"),
        yaxis=dict(range=[ACC_LO - 0.02, 1.02], tickvals=ACC_TICKS,
                   ticktext=[f"{100 * t:.0f} %" for t in ACC_TICKS],
                   title=f"final test accuracy (axis {100 * ACC_LO:.0f}–100 %)"))
    layout["margin"] = MARGIN
    return style.typeset(go.Figure(data=data, layout=layout))


def layer_gradients(g: core.GradNorms, log_y: bool = True, height: int = 420) -> go.Figure:
    """‖∂L/∂W^[l]‖ per hidden layer l at initialisation, with and without BN: the median over
    seeds a line, the seeds' min–max a band."""
    layers = np.arange(1, g.depth + 1)
    data = []
    for bn, key in MODELS:
        name = notation.MODELS[key].label
        n = g.norms[bn]
        color = _color(bn)
        lo, hi = n.min(axis=0), n.max(axis=0)
        data.append(go.Scatter(x=np.r_[layers, layers[::-1]], y=np.r_[hi, lo[::-1]],
                               fill="toself", mode="lines", line=dict(width=0, color=color),
                               opacity=0.2, legendgroup=key, showlegend=False,
                               hoverinfo="skip"))
        data.append(go.Scatter(x=layers, y=g.median(bn), mode="lines+markers",
                               name=f"{name} (median, band: min–max of {len(g.seeds)} seeds)"
                               if len(g.seeds) > 1 else name, legendgroup=key,
                               line=dict(color=color, width=3), marker=dict(size=9),
                               hovertemplate=f"{name}<br>layer %{{x}}: %{{y:.3g}}"
                                             "<extra></extra>"))
    act = notation.ACTIVATIONS[g.activation].label
    yaxis = dict(title=f"‖∂L/∂W^[l]‖ at initialisation ({act})")
    if log_y:
        yaxis["type"] = "log"
    layout = style.layout(height=height, yaxis=yaxis,
                          xaxis=dict(title="hidden layer l", tickvals=list(layers),
                                     range=[0.7, g.depth + 0.3]))
    layout["margin"] = MARGIN
    return style.typeset(go.Figure(data=data, layout=layout))
