"""What the figures of "Running statistics" share: the estimators' colours and legend names,
each statistic's axes, and the two builders of plain-dict traces and figures.

Figures are assembled as plain dicts and wrapped without plotly's per-property validation,
which would cost more than the whole computation on every slider move (the tests validate
them); the page shows them with :func:`bnsim.ui.live.live_chart`, which redraws in place.
Fonts and colours come from :mod:`bnsim.figures.style`.
"""

from __future__ import annotations

import plotly.graph_objects as go

from bnsim import notation
from bnsim.figures import style
from bnsim.figures.style import COLORS

RUNNING_STYLE = {  # colour and dash of each running estimator
    "ema": (COLORS["running"], "solid"),
    "ema_bc": (COLORS["bias_corrected"], style.DASH["bias_corrected"]),
    "cumulative": (COLORS["cumulative"], style.DASH["cumulative"]),
}
NAMES = notation.labels(notation.ESTIMATORS)  # legend names: running estimators, batch, population
SHORT = notation.labels(notation.ESTIMATORS, short=True)  # the scrub slider's readout
STAT_LABEL = {"mean": "μ", "var": "σ²"}
PANELS = {"mean": ("x", "y"), "var": ("x2", "y2")}  # each statistic's axes in every figure
TOP = 110  # px above a plot drawn alone: three legend rows — plots side by side align
# Drawn alone (side by side on the page), each plot carries part of the legend, so neither
# needs more than three rows at 16 px (the colours mean the same in both).
LEGEND_OF = {"mean": ("batch", "ema", "ema_bc"), "var": ("cumulative", "population")}


def figure(data: list, layout: dict, frames: list | None = None, height: int = 400
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


def line(x, y, name, color, dash="solid", xaxis="x", yaxis="y", legend=True, width=2.5,
         mode="lines", group=None) -> dict:
    """A scatter trace (plain dict) of one line, named ``name`` in the legend and on hover."""
    return dict(type="scatter", x=x, y=y, name=name, mode=mode, xaxis=xaxis, yaxis=yaxis,
                line=dict(color=color, dash=dash, width=width), marker=dict(color=color, size=6),
                showlegend=legend, legendgroup=group or name,
                hovertemplate=f"{name}<br>step %{{x}}: %{{y:.4g}}<extra></extra>")
