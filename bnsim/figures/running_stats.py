"""Figures of the "Running statistics" page: pure functions data -> plotly Figure.

* :func:`trajectory` — μ_B (dots) and σ²_B (second panel) per step, the running estimates as
  lines, the population statistic of the current network as a dashed line through the snapshots;
  :func:`ema_preview` lets the browser redraw its EMA lines while the β_EMA slider moves;
* :func:`error_plot` — relative error of each estimator against the population, log scale,
  with the EMA's window 1/(1 − β_EMA) marked;
* :func:`distribution` — histogram of z over one mini-batch and over the training set;
* :func:`scrub` — the EMA forming batch by batch, animated in the browser (Plotly frames, a
  Plotly slider and play button: scrubbing never talks to the server).

Figures are assembled as plain dicts and wrapped without plotly's per-property validation,
which would cost more than the whole computation on every slider move (the tests validate
them); the page shows them with :func:`bnsim.ui.live.live_chart`, which redraws in place.
Fonts and colours come from :mod:`bnsim.figures.style`.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from bnsim import notation
from bnsim.figures import style
from bnsim.running_stats import (
    INIT,
    Distribution,
    Errors,
    Estimates,
    UnitStats,
    effective_window,
    error_ceiling,
    value_range,
)
from bnsim.verdict import num, pct

C = style.COLORS
RUNNING_STYLE = {  # colour and dash of each running estimator
    "ema": (C["running"], "solid"),
    "ema_bc": (C["bias_corrected"], style.DASH["bias_corrected"]),
    "cumulative": (C["cumulative"], style.DASH["cumulative"]),
}
NAMES = notation.labels(notation.ESTIMATORS)  # legend names: running estimators, batch, population
SHORT = notation.labels(notation.ESTIMATORS, short=True)  # the scrub slider's readout
CURTAIN = "rgba(153,153,153,0.92)"  # hides the steps to come (drawn above the dots)
CONTROL_BG = "rgba(153,153,153,0.38)"  # the Plotly slider's rail and the ▶ buttons
STAT_LABEL = {"mean": "μ", "var": "σ²"}


def _figure(data: list, layout: dict, frames: list | None = None, height: int = 400
            ) -> go.Figure:
    """A Figure from plain dicts, laid out with :func:`style.layout` (projector-sized fonts),
    its symbols typeset (:func:`style.typeset_spec`: μ_B → μ<sub>B</sub> in legends, axis
    titles, annotations, hover and the slider's readout)."""
    axes = {k: layout.pop(k) for k in list(layout) if k.startswith(("xaxis", "yaxis"))}
    merged = style.layout(height=height, **axes)
    for k, v in layout.items():  # a figure's margin or legend refines the base one
        merged[k] = {**merged[k], **v} if isinstance(merged.get(k), dict) else v
    spec = {"data": data, "layout": merged}
    if frames:
        spec["frames"] = frames
    return go.Figure(style.typeset_spec(spec), _validate=False)


MAX_POINTS, MAX_LINE_POINTS = 300, 600  # per trace of the trajectory plot (see trajectory)


def dot_stride(n: int, max_points: int = MAX_POINTS) -> int:
    """Every how many steps a mini-batch is drawn as a dot when ``n`` steps are recorded."""
    return max(1, math.ceil(n / max_points))


def _thin(n: int, max_points: int, head: int = 30) -> np.ndarray:
    """Indices of about ``max_points`` of ``n`` points: the first ``head`` (where the estimates
    form), then every k-th, and the last one."""
    idx = np.arange(0, n, dot_stride(n, max_points))
    return np.unique(np.r_[np.arange(min(head, n)), idx, n - 1])


def _line(x, y, name, color, dash="solid", xaxis="x", yaxis="y", legend=True, width=2.5,
          mode="lines", group=None) -> dict:
    return dict(type="scatter", x=x, y=y, name=name, mode=mode, xaxis=xaxis, yaxis=yaxis,
                line=dict(color=color, dash=dash, width=width), marker=dict(color=color, size=6),
                showlegend=legend, legendgroup=group or name,
                hovertemplate=f"{name}<br>step %{{x}}: %{{y:.4g}}<extra></extra>")


PANELS = {"mean": ("x", "y"), "var": ("x2", "y2")}  # each statistic's axes in every figure
TOP = 110  # px above a plot drawn alone: three legend rows — plots side by side align
# Drawn alone (side by side on the page), each plot carries part of the legend, so neither
# needs more than three rows at 16 px (the colours mean the same in both).
LEGEND_OF = {"mean": ("batch", "ema", "ema_bc"), "var": ("cumulative", "population")}


def _domains(stats) -> dict[str, tuple[list, list]]:
    """(x domain, y domain) of each statistic's panel: alone, the whole plot; both, μ above σ²."""
    if len(stats) == 1:
        return {stats[0]: ([0, 1], [0, 1])}
    return {"mean": ([0, 1], [0.54, 1]), "var": ([0, 1], [0, 0.44])}


def trajectory(us: UnitStats, est: Estimates | None, shown, variance: str = "unbiased",
               log_steps: bool = False, max_points: int = MAX_POINTS,
               max_line_points: int = MAX_LINE_POINTS,
               height: int = 540, stats=("mean", "var"), legend: bool = True) -> go.Figure:
    """μ_B dots over steps (top) and σ²_B (bottom) with the running estimates in ``shown``
    (keys of :data:`~bnsim.running_stats.RUNNING`; ``est`` None: no running estimate) and the
    population value at the snapshot steps when "population" is in ``shown``.

    ``stats``: the panels to draw, ("mean",) or ("var",) for one alone (the page puts the two
    side by side in columns, which stack on a phone); each keeps its axes (x/y for μ, x2/y2
    for σ²), so :func:`ema_preview` reads either, and carries its half of the legend
    (:data:`LEGEND_OF`) in the same top margin, so the two plot areas align. ``legend``:
    False draws no legend entries.
    y ranges come from :func:`~bnsim.running_stats.value_range`, so they don't move with β_EMA.
    ``log_steps``: logarithmic step axis (spreads out the first steps, where the estimates
    form). Every β_EMA change redraws the whole chart (Plotly.react/restyle in the browser)
    and each dot is an SVG element, so at most ``max_points`` mini-batches are dots (every
    k-th step, see :func:`dot_stride`) and at most ``max_line_points`` steps per line: all
    1,000 dots of the default run cost 1.5 × instead of 0.8 × the floor page's latency.
    """
    T = len(us.steps)
    idx, li = _thin(T, max_points), _thin(T, max_line_points)
    x, xl = us.steps[idx], us.steps[li]
    data = []
    panels = {"mean": (us.mu, us.pop_mean), "var": (us.sigma2(variance), us.pop_var(variance))}
    dot = 7 if T <= max_points else 5
    first, alone = stats[0], len(stats) == 1

    def listed(stat: str, name: str) -> bool:
        """Whether ``name`` has a legend entry in ``stat``'s panel."""
        return legend and (name in LEGEND_OF[stat] if alone else stat == first)

    for stat in stats:
        xa, ya = PANELS[stat]
        batch, pop = panels[stat]
        data.append(dict(
            type="scatter", x=x, y=batch[idx], mode="markers", name=NAMES["batch"],
            xaxis=xa, yaxis=ya, legendgroup="batch", showlegend=listed(stat, "batch"),
            marker=dict(color=C["batch"], size=dot, opacity=0.55),
            hovertemplate=f"mini-batch {STAT_LABEL[stat]}_B<br>step %{{x}}: %{{y:.4g}}"
                          "<extra></extra>"))
        if est is not None:
            for name, (color, dash) in RUNNING_STYLE.items():
                if name in shown:
                    data.append(_line(xl, est.get(name, stat, variance)[li], NAMES[name],
                                      color, dash, xa, ya, legend=listed(stat, name)))
        if "population" in shown:
            data.append(_line(us.pop_steps, pop, NAMES["population"], C["population"],
                              style.DASH["population"], xa, ya,
                              legend=listed(stat, "population"), width=3))
    if log_steps:
        xr, xtype = [-0.02, math.log10(max(T, 2)) + 0.02], "log"
    else:
        xr, xtype = [0, T + max(1, T // 100)], "linear"
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
    return _figure(data, layout, height=height)


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


def error_plot(us: UnitStats, errs: Errors, shown, beta: float, tol: float,
               variance: str = "unbiased", height: int = 400, stats=("mean", "var"),
               legend: bool = True) -> go.Figure:
    """Relative error (%) of each running estimator in ``shown`` against the population, at the
    snapshot steps; μ (in % of σ_pop) and σ² (in % of σ²_pop), side by side, or one of them
    (``stats``, as :func:`trajectory`). Log–log axes with fixed ranges — the same for μ and σ²,
    so the two compare at a glance — the tolerance ``tol`` (fraction) dotted, the EMA window
    1/(1 − β_EMA) dashed, each labelled on the plot."""
    T = int(us.steps[-1])
    data, notes = [], []
    xmax = max(T, 2)
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
                data.append(_line(errs.steps, np.where(y > 0, y, np.nan), NAMES[name],
                                  color, dash, xa, ya, legend=listed))
                data[-1]["hovertemplate"] = (f"{NAMES[name]}<br>step %{{x}}: "
                                             "%{y:.3g} %<extra></extra>")
        data.append(_line([1, xmax], [100 * tol] * 2, f"tolerance {100 * tol:g} %",
                          C["neutral"], "dot", xa, ya, legend=top and side, width=2))
        notes.append(dict(text=f"tolerance {100 * tol:g} %", x=math.log10(xmax),
                          y=math.log10(100 * tol), xref=xa, yref=ya, xanchor="right",
                          yanchor="bottom", showarrow=False))
        if 1 <= window <= xmax:
            data.append(_line([window, window], [lo, ceiling],
                              f"window 1/(1−β_EMA) ≈ {window:.0f} steps", C["neutral"],
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
    return _figure(data, layout, height=height)


def distribution(dist: Distribution, marks: dict[str, float], x_range: tuple[float, float],
                 bins: int = 40, height: int = 400) -> go.Figure:
    """Histograms (densities) of z over the whole training set and over the mini-batch of
    step ``dist.step``, with vertical lines at μ_B, the population mean and each running
    estimate in ``marks`` ({estimator key: value}). Bins are fixed on ``x_range`` (widened to
    hold the data of this step), so β_EMA never moves the axes."""
    lo, hi = x_range
    pts = [dist.z_all] + ([dist.z_batch] if dist.z_batch is not None else [])
    lo = min(lo, *(float(p.min()) for p in pts))
    hi = max(hi, *(float(p.max()) for p in pts))
    edges = np.linspace(lo, hi, bins + 1)
    centres, width = 0.5 * (edges[1:] + edges[:-1]), edges[1] - edges[0]
    data = []
    top = 0.0
    for z, name, color in ((dist.z_all, f"training set (N = {len(dist.z_all)})",
                            C["population"]),
                           (dist.z_batch, "this mini-batch", C["batch"])):
        if z is None:
            continue
        dens, _ = np.histogram(z, bins=edges, density=True)
        top = max(top, float(dens.max()))
        data.append(dict(type="bar", x=centres, y=dens, width=width, name=name, opacity=0.55,
                         marker=dict(color=color, line=dict(width=0)),
                         hovertemplate=f"{name}<br>z ≈ %{{x:.3g}}: density %{{y:.3g}}"
                                       "<extra></extra>"))
    top = 1.12 * top if top > 0 else 1.0
    lines = [("μ_B of this mini-batch", dist.mu_batch, C["batch"], "solid"),
             ("population mean μ_pop", dist.pop_mean, C["population"],
              style.DASH["population"])]
    lines += [(NAMES[k], v, *RUNNING_STYLE[k]) for k, v in marks.items()]
    levels = _label_levels([v for _, v, _, _ in lines], close=LABEL_GAP * (hi - lo))
    ceiling = top * (1 + LABEL_STEP * (max(levels) + 1))  # room for the stacked labels
    notes = []
    for (name, v, color, dash), level in zip(lines, levels, strict=True):
        # each line ends at its own label; labels of nearby lines are stacked, not overlaid
        y_end = top * (1 + LABEL_STEP * level)
        data.append(_line([v, v], [0, y_end], f"{name} = {num(v)}", color, dash, width=3.5))
        notes.append(dict(text=MARK_LABEL.get(name, name), x=v, y=y_end, xanchor="left",
                          yanchor="middle", xshift=4, showarrow=False,
                          font=dict(size=style.FONT_SIZE, color=color)))
    layout = dict(barmode="overlay", bargap=0, annotations=notes,
                  xaxis=dict(range=[lo - 0.02 * (hi - lo), hi + 0.02 * (hi - lo)],
                             title=dict(text=f"z at step {dist.step}")),
                  yaxis=dict(range=[0, ceiling * 1.04], title=dict(text="density")))
    return _figure(data, layout, height=height)


LABEL_GAP, LABEL_STEP = 0.12, 0.15  # marks closer than 12 % of the axis stack their labels
MARK_LABEL = {"μ_B of this mini-batch": "μ_B", "population mean μ_pop": "μ_pop",
              **{NAMES[k]: notation.ESTIMATORS[k].short for k in RUNNING_STYLE}}


def _label_levels(xs: list[float], close: float) -> list[int]:
    """The height level (0, 1, …) of each vertical line's label: a line whose x is within
    ``close`` of a line on a lower level goes one level up, so no two labels overlap."""
    levels = [0] * len(xs)
    for i in sorted(range(len(xs)), key=lambda i: xs[i]):
        taken = {levels[j] for j in range(len(xs))
                 if j != i and abs(xs[j] - xs[i]) < close and (xs[j], j) < (xs[i], i)}
        while levels[i] in taken:
            levels[i] += 1
    return levels



def _readout(k: int, us: UnitStats, est: Estimates, shown) -> str:
    """One short line for step k: μ_B, the running estimates, the weight left on v₀."""
    parts = [f"μ_B {num(us.mu[k - 1])}"]
    parts += [f"{SHORT[n]} {num(est.get(n, 'mean')[k - 1])}" for n in RUNNING_STYLE
              if n in shown]
    parts.append(f"v₀ still weighs {pct(est.beta ** k)}")
    return f"{k}: " + " · ".join(parts)


SCRUB_DOMAINS = {"x": [0, 0.47], "x2": [0.6, 1]}  # μ left, the weights right: each ≥ 250 px tall
SCRUB_MARGIN = dict(t=80, b=120)  # two legend rows above; ticks, axis titles, slider, ▶ below
SLIDER_X = 0.34  # the rail starts a third in: room for ▶/❚❚ beside it even on a phone


def scrub(us: UnitStats, est: Estimates, shown, window: int = 100, frame_ms: int = 150,
          height: int = 500) -> go.Figure:
    """The first ``window`` steps of μ (left) and the weight (1 − β_EMA)·β_EMA^(k−i) that the
    EMA v_k gives each earlier mini-batch i (right, on the same batch axis), animated over
    k = 1..window in the browser.

    The two panels sit side by side, so each keeps its full height (≥ 250 px of a 500 px chart
    at 1280×720, read from the back of a room) with the slider and the ▶/❚❚ buttons under both.
    A grey curtain (a layout shape above the traces, one per panel) hides the steps after k;
    one frame per step moves the curtains, the current points and the weight profile — a
    handful of numbers per frame; the slider's current-value line reads out the numbers of
    step k. The Plotly slider and play button run in the browser, so scrubbing sends nothing to
    the server.
    """
    K = int(min(len(us.steps), window))
    steps = us.steps[:K]
    lo, hi = value_range(us, "mean")
    beta = est.beta
    running = [n for n in RUNNING_STYLE if n in shown]
    data = [dict(type="scatter", x=steps, y=us.mu[:K], mode="markers", name="mini-batch μ_B",
                 marker=dict(color=C["batch"], size=8, opacity=0.7),
                 hovertemplate="μ_B<br>step %{x}: %{y:.4g}<extra></extra>")]
    for name in running:
        data.append(_line(steps, est.get(name, "mean")[:K], NAMES[name],
                          *RUNNING_STYLE[name]))
    if "population" in shown:
        keep = us.pop_steps <= K
        data.append(_line(us.pop_steps[keep], us.pop_mean[keep], NAMES["population"],
                          C["population"], style.DASH["population"], width=3))
    weights = (1 - beta) * beta ** np.arange(K - 1, -1, -1.0)  # weight of batch i in v_K, i=1..K

    def moving(k: int) -> list[dict]:
        """What a frame changes, for step k: the current points and the weights."""
        now = [us.mu[k - 1]] + [est.get(n, "mean")[k - 1] for n in running]
        return [dict(type="scatter", x=[k] * len(now), y=now),
                dict(type="scatter", x0=k - K + 1)]

    def curtain(k: int) -> list[dict]:
        """The grey curtain over the steps after k in both panels, above every trace (a fill
        trace would be drawn under the dots, which then show through)."""
        return [dict(type="rect", xref=xa, yref=f"{ya} domain", x0=k + 0.5, x1=K + 0.5, y0=0,
                     y1=1, layer="above", fillcolor=CURTAIN, line=dict(width=0))
                for xa, ya in (("x", "y"), ("x2", "y2"))]

    first = [dict(type="scatter", mode="markers", showlegend=False, hoverinfo="skip",
                  marker=dict(color=[C["batch"]] + [RUNNING_STYLE[n][0] for n in running],
                              symbol=["circle"] + ["diamond"] * len(running), size=16,
                              line=dict(width=1.5, color=C["neutral"]))),
             dict(type="scatter", y=weights, dx=1, mode="lines", fill="tozeroy",
                  line=dict(color=C["running"], width=2), xaxis="x2", yaxis="y2",
                  name="weight of each μ_B in the EMA", showlegend=False,
                  hovertemplate="batch %{x}: weight %{y:.3g}<extra></extra>")]
    k0 = min(K, 10)  # open part-way: the EMA climbing, the weights already decaying
    for trace, change in zip(first, moving(k0), strict=True):
        trace.update({k: v for k, v in change.items() if k != "type"})
    moving_idx = list(range(len(data), len(data) + len(first)))
    data += first
    frames = [dict(name=str(k), data=moving(k), traces=moving_idx,
                   layout=dict(shapes=curtain(k))) for k in range(1, K + 1)]
    step_args = {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                 "transition": {"duration": 0}}
    play = {"frame": {"duration": frame_ms, "redraw": True}, "fromcurrent": True,
            "transition": {"duration": 0}, "mode": "immediate"}
    xr = [0.5, K + 0.5]
    layout = dict(
        xaxis=dict(domain=SCRUB_DOMAINS["x"], anchor="y", range=xr,
                   title=dict(text="step k", standoff=4)),
        yaxis=dict(anchor="x", range=[lo, hi], title=dict(text="mean μ")),
        xaxis2=dict(domain=SCRUB_DOMAINS["x2"], anchor="y2", range=xr, matches="x",
                    title=dict(text="mini-batch i", standoff=4)),
        yaxis2=dict(anchor="x2", range=[0, 1.15 * (1 - beta)],
                    title=dict(text="weight of batch i in v_k")),
        shapes=curtain(k0),
        # step labels are the readout; hidden under the slider, shown as its current value.
        # The ▶/❚❚ buttons sit left of the slider's rail, on its line, never over it.
        sliders=[dict(active=k0 - 1, x=SLIDER_X, len=1 - SLIDER_X, y=0, yanchor="top",
                      pad=dict(t=48),
                      font=dict(size=1), ticklen=0, bgcolor=CONTROL_BG,
                      bordercolor=C["neutral"], activebgcolor=C["running"],
                      tickcolor=C["neutral"],
                      currentvalue=dict(prefix="step ", font=dict(size=style.FONT_SIZE),
                                        xanchor="right"),  # ends at the rail's end
                      steps=[dict(method="animate", label=_readout(k, us, est, shown),
                                  args=[[str(k)], step_args]) for k in range(1, K + 1)])],
        updatemenus=[dict(type="buttons", direction="left", x=0, y=0, xanchor="left",
                          yanchor="top", pad=dict(t=76), showactive=False,
                          font=dict(size=style.FONT_SIZE), bgcolor=CONTROL_BG,
                          bordercolor=C["neutral"],
                          buttons=[dict(label="▶", method="animate", args=[None, play]),
                                   dict(label="❚❚", method="animate",
                                        args=[[None], step_args])])],
        margin=dict(SCRUB_MARGIN),
    )
    return _figure(data, layout, frames, height=height)
