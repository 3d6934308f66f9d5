"""Error vs population: the relative error of each running estimator against the population,
on log–log axes, with the tolerance and the EMA's window 1/(1 − β_EMA) marked
(:func:`error_plot`)."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from bnsim.figures import style
from bnsim.figures.running_stats.common import (
    LEGEND_OF,
    NAMES,
    PANELS,
    RUNNING_STYLE,
    TOP,
    figure,
    line,
)
from bnsim.figures.style import COLORS
from bnsim.lessons.running_stats.common import Errors, UnitStats, effective_window
from bnsim.lessons.running_stats.error_vs_population import error_ceiling
from bnsim.modes import Variance


def error_plot(us: UnitStats, errs: Errors, shown, beta: float, tol: float,
               variance: str = Variance.UNBIASED, height: int = 400, stats=("mean", "var"),
               legend: bool = True) -> go.Figure:
    """Relative error (%) of each running estimator in ``shown`` against the population, at the
    snapshot steps; μ (in % of σ_pop) and σ² (in % of σ²_pop), side by side, or one of them
    (``stats``, as :func:`~bnsim.figures.running_stats.trajectory.trajectory`). Log–log axes
    with fixed ranges — the same for μ and σ², so the two compare at a glance — the tolerance
    ``tol`` (fraction) dotted, the EMA window 1/(1 − β_EMA) dashed, each labelled on the plot."""
    xmax = max(int(us.steps[-1]), 2)
    data, notes = [], []
    ceiling = 100 * max(max(error_ceiling(us, s, variance) for s in ("mean", "var")), 2 * tol)
    lo = 0.01  # %
    window = effective_window(beta)
    first, side = stats[0], len(stats) == 2
    for stat in stats:
        xa, ya = PANELS[stat]
        top = legend and stat == first
        for name, (color, dash) in RUNNING_STYLE.items():
            if name in shown:
                y = 100 * errs.rel[stat][name]
                listed = legend and (top if side else name in LEGEND_OF[stat])
                data.append(line(errs.steps, np.where(y > 0, y, np.nan), NAMES[name],
                                 color, dash, xa, ya, legend=listed))
                data[-1]["hovertemplate"] = (f"{NAMES[name]}<br>step %{{x}}: "
                                             "%{y:.3g} %<extra></extra>")
        data.append(line([1, xmax], [100 * tol] * 2, f"tolerance {100 * tol:g} %",
                         COLORS["neutral"], "dot", xa, ya, legend=top and side, width=2))
        notes.append(dict(text=f"tolerance {100 * tol:g} %", x=math.log10(xmax),
                          y=math.log10(100 * tol), xref=xa, yref=ya, xanchor="right",
                          yanchor="bottom", showarrow=False))
        if 1 <= window <= xmax:
            data.append(line([window, window], [lo, ceiling],
                             f"window 1/(1−β_EMA) ≈ {window:.0f} steps", COLORS["neutral"],
                             "dash", xa, ya, legend=top and side, width=2))
            notes.append(dict(text=f"window ≈ {window:.0f}", x=math.log10(window),
                              y=math.log10(lo), xref=xa, yref=ya, xanchor="left",
                              yanchor="bottom", showarrow=False, xshift=4))
    rng, yr = [0, math.log10(xmax)], [math.log10(lo), math.log10(ceiling * 1.5)]
    titles = {"mean": "μ: |μ̂ − μ_pop| in % of σ_pop", "var": "σ²: |σ̂² − σ²_pop| in % of σ²_pop"}
    layout = {}
    for stat in stats:
        xa, ya = PANELS[stat]
        xd = ([0, 0.45] if stat == "mean" else [0.57, 1]) if side else [0, 1]
        layout[xa.replace("x", "xaxis")] = dict(domain=xd, anchor=ya, type="log", range=rng,
                                                dtick=1, title=dict(text="step t"))
        layout[ya.replace("y", "yaxis")] = dict(anchor=xa, type="log", range=yr, dtick=1,
                                                title=dict(text=titles[stat]))
    for n in notes:
        n.setdefault("font", dict(size=style.FONT_SIZE))
    layout["annotations"] = notes
    if not side:
        layout["margin"] = dict(t=TOP)
    return figure(data, layout, height=height)
