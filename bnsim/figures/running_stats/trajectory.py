"""Trajectory: μ_B (dots) and σ²_B per step, the running estimates as lines, the population
statistic of the current network as a dashed line through the snapshots
(:func:`trajectory`); :func:`ema_preview` lets the browser redraw its EMA lines while the
β_EMA slider moves."""

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
    STAT_LABEL,
    TOP,
    figure,
    line,
)
from bnsim.figures.style import COLORS
from bnsim.lessons.running_stats.common import INIT, Estimates, UnitStats, value_range
from bnsim.modes import Variance

MAX_POINTS, MAX_LINE_POINTS = 300, 600  # per trace of the trajectory plot (see trajectory)


def dot_stride(n: int, max_points: int = MAX_POINTS) -> int:
    """Every how many steps a mini-batch is drawn as a dot when ``n`` steps are recorded."""
    return max(1, math.ceil(n / max_points))


def _thin(n: int, max_points: int, head: int = 30) -> np.ndarray:
    """Indices of about ``max_points`` of ``n`` points: the first ``head`` (where the estimates
    form), then every k-th, and the last one."""
    idx = np.arange(0, n, dot_stride(n, max_points))
    return np.unique(np.r_[np.arange(min(head, n)), idx, n - 1])


def _domains(stats) -> dict[str, tuple[list, list]]:
    """(x domain, y domain) of each statistic's panel: alone, the whole plot; both, μ above σ²."""
    if len(stats) == 1:
        return {stats[0]: ([0, 1], [0, 1])}
    return {"mean": ([0, 1], [0.54, 1]), "var": ([0, 1], [0, 0.44])}


def trajectory(us: UnitStats, est: Estimates | None, shown, variance: str = Variance.UNBIASED,
               log_steps: bool = False, max_points: int = MAX_POINTS,
               max_line_points: int = MAX_LINE_POINTS,
               height: int = 540, stats=("mean", "var"), legend: bool = True) -> go.Figure:
    """μ_B dots over steps (top) and σ²_B (bottom) with the running estimates in ``shown``
    (keys of :data:`~bnsim.lessons.running_stats.common.RUNNING`; ``est`` None: no running
    estimate) and the population value at the snapshot steps when "population" is in ``shown``.

    ``stats``: the panels to draw, ("mean",) or ("var",) for one alone (the page puts the two
    side by side in columns, which stack on a phone); each keeps its axes (x/y for μ, x2/y2
    for σ²), so :func:`ema_preview` reads either, and carries its half of the legend
    (:data:`~bnsim.figures.running_stats.common.LEGEND_OF`) in the same top margin, so the two
    plot areas align. ``legend``: False draws no legend entries.
    y ranges come from :func:`~bnsim.lessons.running_stats.common.value_range`, so they don't
    move with β_EMA. ``log_steps``: logarithmic step axis (spreads out the first steps, where
    the estimates form). Every β_EMA change redraws the whole chart (Plotly.react/restyle in
    the browser) and each dot is an SVG element, so at most ``max_points`` mini-batches are
    dots (every k-th step, see :func:`dot_stride`) and at most ``max_line_points`` steps per
    line.
    """
    n_steps = len(us.steps)
    idx, li = _thin(n_steps, max_points), _thin(n_steps, max_line_points)
    x, xl = us.steps[idx], us.steps[li]
    data = []
    dot = 7 if n_steps <= max_points else 5
    first, alone = stats[0], len(stats) == 1

    def listed(stat: str, name: str) -> bool:
        """Whether ``name`` has a legend entry in ``stat``'s panel."""
        return legend and (name in LEGEND_OF[stat] if alone else stat == first)

    for stat in stats:
        xa, ya = PANELS[stat]
        batch, pop = us.batch(stat, variance), us.population(stat, variance)
        data.append(dict(
            type="scatter", x=x, y=batch[idx], mode="markers", name=NAMES["batch"],
            xaxis=xa, yaxis=ya, legendgroup="batch", showlegend=listed(stat, "batch"),
            marker=dict(color=COLORS["batch"], size=dot, opacity=0.55),
            hovertemplate=f"mini-batch {STAT_LABEL[stat]}_B<br>step %{{x}}: %{{y:.4g}}"
                          "<extra></extra>"))
        if est is not None:
            for name, (color, dash) in RUNNING_STYLE.items():
                if name in shown:
                    data.append(line(xl, est.get(name, stat, variance)[li], NAMES[name],
                                     color, dash, xa, ya, legend=listed(stat, name)))
        if "population" in shown:
            data.append(line(us.pop_steps, pop, NAMES["population"], COLORS["population"],
                             style.DASH["population"], xa, ya,
                             legend=listed(stat, "population"), width=3))
    if log_steps:
        xr, xtype = [-0.02, math.log10(max(n_steps, 2)) + 0.02], "log"
    else:
        xr, xtype = [0, n_steps + max(1, n_steps // 100)], "linear"
    titles = {"mean": "mean μ", "var": f"variance σ² ({variance})"}
    layout = {}
    for stat, (xd, yd) in _domains(stats).items():
        xa, ya = PANELS[stat]
        xn, yn = xa.replace("x", "xaxis"), ya.replace("y", "yaxis")
        layout[xn] = dict(domain=xd, anchor=ya, range=xr, type=xtype)
        layout[yn] = dict(domain=yd, anchor=xa, title=dict(text=titles[stat]),
                          range=list(value_range(us, stat, variance)))
    if not alone:
        layout["xaxis"].update(showticklabels=False, matches="x2")
    last = PANELS[stats[-1]][0].replace("x", "xaxis")
    layout[last]["title"] = dict(text="training step t (one mini-batch each)")
    if alone:
        layout["margin"] = dict(t=TOP)
    return figure(data, layout, height=height)


def ema_preview(fig: go.Figure, us: UnitStats, variance: str, beta: float, slider: str
                ) -> dict | None:
    """What the browser needs to redraw the EMA lines of a :func:`trajectory` figure for another
    β_EMA while the slider labelled ``slider`` moves, before the server answers: the whole
    series θ_1..θ_T of each panel (μ_B; σ²_B of ``variance``), its v_0, and for each EMA trace
    its index in ``fig.data``, whether it is bias-corrected and which steps it draws. None when
    the figure shows no EMA line.

    The browser applies v_t = β_EMA·v_{t−1} + (1 − β_EMA)·θ_t (and (v_t − β_EMA^t·v_0)/(1 −
    β_EMA^t)) in the float64 order of :func:`bnsim.running.ema` (equal to ~1e-14: β_EMA^t may
    differ in the last bit); the server's figure for the released value replaces the preview a
    moment later."""
    series = {"y": us.mu, "y2": us.sigma2(variance)}
    v0 = {"y": INIT["mean"], "y2": INIT["var"]}
    kinds = {style.math(NAMES["ema"]): False, style.math(NAMES["ema_bc"]): True}
    traces = []
    for i, t in enumerate(fig.data):
        if t.name in kinds and t.mode == "lines":
            steps = np.searchsorted(us.steps, np.asarray(t.x))
            traces.append({"trace": i, "corrected": kinds[t.name], "axis": t.yaxis or "y",
                           "index": steps.astype(np.int32)})
    if not traces:  # no EMA line shown: nothing to redraw
        return None
    return {"slider": slider, "beta": float(beta), "traces": traces,
            "series": {k: np.asarray(v, dtype=float) for k, v in series.items()}, "v0": v0}
