"""Tab "Learning γ, β": γ^[l]_j and β^[l]_j over training, one line per optimiser
(:func:`param_paths`)."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from bnsim import notation
from bnsim.figures import style
from bnsim.lessons.inside_layer.learning_gamma_beta import ParamPath

OPT_COLORS = {"gd": style.VERMILLION, "momentum": style.PURPLE, "rmsprop": style.GREEN,
              "adam": style.BLUE}


def param_paths(paths: Sequence[ParamPath], layer: int, unit: int, height: int = 380
                ) -> go.Figure:
    """γ^[l]_j (left) and β^[l]_j (right) over training, one line per optimiser (unit j
    1-based, as on screen)."""
    data = []
    names = notation.labels(notation.OPTIMIZERS)
    for p in paths:
        color = OPT_COLORS.get(p.optimizer, style.COLORS["neutral"])
        for name, xa, ya in (("gamma", "x", "y"), ("beta", "x2", "y2")):
            data.append(go.Scatter(x=p.steps, y=getattr(p, name), mode="lines",
                                   name=names[p.optimizer], legendgroup=p.optimizer,
                                   showlegend=name == "gamma", line=dict(color=color, width=3),
                                   xaxis=xa, yaxis=ya,
                                   hovertemplate=f"{names[p.optimizer]}<br>step %{{x}}: "
                                                 "%{y:.4g}<extra></extra>"))
    layout = style.layout(
        height=height,
        xaxis=dict(domain=[0, 0.45], anchor="y", title="training step"),
        yaxis=dict(title=f"γ<sup>[{layer}]</sup><sub>{unit}</sub> (starts at 1)"),
        xaxis2=dict(domain=[0.57, 1], anchor="y2", title="training step"),
        yaxis2=dict(anchor="x2", title=f"β<sup>[{layer}]</sup><sub>{unit}</sub> (starts at 0)"),
    )
    return style.typeset(go.Figure(data=data, layout=layout))
