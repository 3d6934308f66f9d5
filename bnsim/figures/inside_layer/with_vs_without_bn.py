"""Tab "With vs without BN": the learning-rate sweep — final test accuracy and steps to the
target loss vs α (:func:`sweep_accuracy`, :func:`sweep_steps`, side by side) and the smoothed
loss at the α shown (:func:`sweep_loss`).

Colours: with BN blue, without BN vermillion, reference lines grey.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from bnsim import notation
from bnsim.figures import style
from bnsim.lessons.inside_layer import with_vs_without_bn as sweeps
from bnsim.smoothing import smoothed

# room for a two-line legend above both sweep charts, so that their plot areas line up
SWEEP_MARGIN = dict(l=60, r=20, t=80, b=50)
ACC_LO = 0.4  # the accuracy axis: 40–100 % (chance is 50 % on these two-class problems)
ACC_TICKS = [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
MODELS = ((False, "no_bn"), (True, "bn"))  # (with BN?, key of notation.MODELS), drawing order


def _color(bn: bool) -> str:
    return style.COLORS["with_bn" if bn else "without_bn"]


def _log_x(lrs) -> dict:
    lo, hi = np.log10(min(lrs)), np.log10(max(lrs))
    return dict(type="log", range=[lo - 0.15, hi + 0.15], title="learning rate α")


def _reference(x: list, level: float, name: str) -> go.Scatter:
    """A dotted grey horizontal line at ``level`` (a threshold of the sweep)."""
    return go.Scatter(x=x, y=[level] * 2, mode="lines", name=name,
                      line=dict(color=style.COLORS["neutral"], dash="dot", width=2),
                      hoverinfo="skip")


def _lr_marker(layout: dict, lr: float, lrs) -> None:
    """The vertical line at the α shown, labelled at its foot (on the side with more room), and
    the margin both side-by-side charts share."""
    neutral = style.COLORS["neutral"]
    layout["shapes"] = [dict(type="line", x0=lr, x1=lr, y0=0, y1=1, yref="paper", xref="x",
                             line=dict(color=neutral, width=1.5))]
    left = lr > np.sqrt(min(lrs) * max(lrs))  # right half of the log axis: label on the left
    layout["annotations"] = [dict(x=np.log10(lr), y=0, xref="x", yref="paper",
                                  xanchor="right" if left else "left", yanchor="bottom",
                                  xshift=-4 if left else 4, text=f"α shown = {lr:g}",
                                  showarrow=False, font=dict(size=style.FONT_SIZE, color=neutral))]
    layout["margin"] = SWEEP_MARGIN  # room for the legend: the two plot areas line up


def sweep_accuracy(sw: sweeps.Sweep, lr: float, height: int = 380) -> go.Figure:
    """Final test accuracy (in %) vs α with and without BN: each seed a dot, the mean a line;
    the level at which a run *trains* dotted, the chosen α marked and labelled."""
    data = []
    for bn, key in MODELS:
        name = notation.MODELS[key].label
        data.append(go.Scatter(x=list(sw.lrs), y=sw.acc(bn), mode="lines+markers", name=name,
                               line=dict(color=_color(bn), width=3), marker=dict(size=9),
                               customdata=100 * np.asarray(sw.acc(bn)),
                               hovertemplate=f"{name}<br>α = %{{x}}: %{{customdata:.1f}} %"
                                             "<extra></extra>"))
        xs = [x for x in sw.lrs for _ in sw.runs[x, bn].test_acc]
        ys = [a for x in sw.lrs for a in sw.runs[x, bn].test_acc]
        data.append(go.Scatter(x=xs, y=ys, mode="markers", showlegend=False,
                               marker=dict(color=_color(bn), size=6, opacity=0.5),
                               hoverinfo="skip"))
    data.append(_reference([min(sw.lrs), max(sw.lrs)], sw.bar,
                           f"trains: ≥ {100 * sw.bar:.1f} %"))
    layout = style.layout(height=height, xaxis=_log_x(sw.lrs), yaxis=dict(
        range=[ACC_LO - 0.02, 1.02], tickvals=ACC_TICKS,
        ticktext=[f"{100 * t:.0f} %" for t in ACC_TICKS],
        title=f"final test accuracy (axis {100 * ACC_LO:.0f}–100 %)"))
    _lr_marker(layout, lr, sw.lrs)
    return style.typeset(go.Figure(data=data, layout=layout))


def sweep_steps(sw: sweeps.Sweep, lr: float, height: int = 380) -> go.Figure:
    """Steps until the smoothed training loss reaches the target, vs α (missing: never, or
    the network does not train at that α)."""
    data = []
    for bn, key in MODELS:
        name = notation.MODELS[key].label
        data.append(go.Scatter(x=list(sw.lrs), y=sw.steps_to_target(bn), mode="lines+markers",
                               name=name, line=dict(color=_color(bn), width=3),
                               marker=dict(size=9),
                               hovertemplate=f"{name}<br>α = %{{x}}: %{{y}} steps"
                                             "<extra></extra>"))
    layout = style.layout(height=height, xaxis=_log_x(sw.lrs),
                          yaxis=dict(range=[0, sw.setting.steps * 1.05],
                                     title=f"steps until loss ≤ {sweeps.TARGET_LOSS:g} "
                                           "(if it trains)"))
    _lr_marker(layout, lr, sw.lrs)
    return style.typeset(go.Figure(data=data, layout=layout))


def sweep_loss(sw: sweeps.Sweep, lr: float, height: int = 380) -> go.Figure:
    """Smoothed training loss over the steps at α = ``lr``: each seed faint, with and without
    BN; the target loss dotted."""
    data = []
    for bn, key in MODELS:
        name = notation.MODELS[key].label
        loss = smoothed(sw.runs[lr, bn].loss, sweeps.SMOOTH)
        steps = np.arange(1, loss.shape[1] + 1)
        for k, row in enumerate(loss):
            data.append(go.Scatter(x=steps, y=row, mode="lines", name=name, legendgroup=key,
                                   showlegend=k == 0, line=dict(color=_color(bn), width=2.5),
                                   hovertemplate=f"{name}, seed {k}<br>step %{{x}}: "
                                                 "%{y:.3f}<extra></extra>"))
    data.append(_reference([1, sw.setting.steps], sweeps.TARGET_LOSS,
                           f"target loss {sweeps.TARGET_LOSS:g}"))
    layout = style.layout(height=height, xaxis=dict(title="training step"),
                          yaxis=dict(range=[0, 1.0], title="training loss (mean of "
                                                           f"{sweeps.SMOOTH} steps)"))
    return style.typeset(go.Figure(data=data, layout=layout))
