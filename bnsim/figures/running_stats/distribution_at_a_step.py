"""Distribution at a step: histograms (densities) of z over one mini-batch and over the
training set, with μ_B, μ_pop and the running estimates marked (:func:`distribution`)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from bnsim import notation
from bnsim.figures import style
from bnsim.figures.running_stats.common import NAMES, RUNNING_STYLE, figure, line
from bnsim.figures.style import COLORS
from bnsim.lessons.running_stats.distribution_at_a_step import Distribution
from bnsim.verdict import num

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
                            COLORS["population"]),
                           (dist.z_batch, "this mini-batch", COLORS["batch"])):
        if z is None:
            continue
        dens, _ = np.histogram(z, bins=edges, density=True)
        top = max(top, float(dens.max()))
        data.append(dict(type="bar", x=centres, y=dens, width=width, name=name, opacity=0.55,
                         marker=dict(color=color, line=dict(width=0)),
                         hovertemplate=f"{name}<br>z ≈ %{{x:.3g}}: density %{{y:.3g}}"
                                       "<extra></extra>"))
    top = 1.12 * top if top > 0 else 1.0
    lines = [("μ_B of this mini-batch", dist.mu_batch, COLORS["batch"], "solid"),
             ("population mean μ_pop", dist.pop_mean, COLORS["population"],
              style.DASH["population"])]
    lines += [(NAMES[k], v, *RUNNING_STYLE[k]) for k, v in marks.items()]
    levels = _label_levels([v for _, v, _, _ in lines], close=LABEL_GAP * (hi - lo))
    ceiling = top * (1 + LABEL_STEP * (max(levels) + 1))  # room for the stacked labels
    notes = []
    for (name, v, color, dash), level in zip(lines, levels, strict=True):
        # each line ends at its own label; labels of nearby lines are stacked, not overlaid
        y_end = top * (1 + LABEL_STEP * level)
        data.append(line([v, v], [0, y_end], f"{name} = {num(v)}", color, dash, width=3.5))
        notes.append(dict(text=MARK_LABEL.get(name, name), x=v, y=y_end, xanchor="left",
                          yanchor="middle", xshift=4, showarrow=False,
                          font=dict(size=style.FONT_SIZE, color=color)))
    layout = dict(barmode="overlay", bargap=0, annotations=notes,
                  xaxis=dict(range=[lo - 0.02 * (hi - lo), hi + 0.02 * (hi - lo)],
                             title=dict(text=f"z at step {dist.step}")),
                  yaxis=dict(range=[0, ceiling * 1.04], title=dict(text="density")))
    return figure(data, layout, height=height)
