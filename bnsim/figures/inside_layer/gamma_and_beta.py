"""Tab "γ and β": the activation g with the mini-batch on it at γ = 1, β = 0 and at the γ, β
shown (:func:`activation_curve`), and its in-browser recipe for the γ, β sliders
(:func:`curve_preview`, preview kind ``"affine"`` of ``bnsim/ui/live_frontend``). The rows
chart beside it is :func:`bnsim.figures.inside_layer.common.stage_rows`.

Colours: the batch at the γ, β shown blue (with BN), the curve and γ = 1, β = 0 grey.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from bnsim import network
from bnsim.figures import style
from bnsim.lessons.inside_layer import gamma_and_beta
from bnsim.lessons.inside_layer.common import Stages

# Rows whose values depend on γ and β, and how the browser recomputes them from z_norm while
# the γ, β sliders move (the ``op`` codes of :func:`bnsim.ui.live.affine_values`).
AFFINE_OPS = {"gz": 1, "z_tilde": 2, "a": 3}
CURVE_FLOOR = 5.5  # the activation curve's x range: at least ±(5.5 + 0.5) = ±6
CURVE_MARGIN = 0.5
CURVE_LABEL = "γ = {gamma}, β = {beta}"  # :func:`curve_label` as a template the browser fills


def curve_label(gamma: float, beta: float) -> str:
    """The legend name of the batch at the γ, β shown (the browser formats it alike, .3g)."""
    return CURVE_LABEL.format(gamma=f"{gamma:.3g}", beta=f"{beta:.3g}")


def activation_curve(activation: str, z_norm: np.ndarray, z_tilde: np.ndarray,
                     label: str, height: int = 380) -> go.Figure:
    """g over [−6, 6] with the mini-batch on it twice: at γ = 1, β = 0 (z̃ = z_norm, grey) and
    at the γ, β shown (``label``, blue); the nearly linear middle shaded (not for ReLU). The x
    range widens to hold every z̃ with a margin of 0.5."""
    colors = style.COLORS
    x, g = gamma_and_beta.curve_points(activation)
    data = [go.Scatter(x=x, y=g, mode="lines", name=f"g = {activation}",
                       line=dict(color=colors["neutral"], width=3), hoverinfo="skip")]
    for zs, name, color, symbol in ((z_norm, "γ = 1, β = 0", colors["neutral"], "circle-open"),
                                    (z_tilde, label, colors["with_bn"], "circle")):
        zs = np.asarray(zs, dtype=float)
        data.append(go.Scatter(x=zs, y=network.activation(activation, zs), mode="markers",
                               name=name, marker=dict(color=color, size=13, symbol=symbol,
                                                      line=dict(width=2, color=color)),
                               hovertemplate="z̃ = %{x:.3g}, g = %{y:.3g}<extra></extra>"))
    shapes = []
    if activation in gamma_and_beta.MIDDLE:
        w = gamma_and_beta.MIDDLE[activation]
        shapes.append(dict(type="rect", x0=-w, x1=w, y0=0, y1=1, yref="paper", xref="x",
                           fillcolor="rgba(153,153,153,0.15)", line=dict(width=0),
                           layer="below"))
    lo = min(-CURVE_FLOOR, float(np.nanmin(z_tilde))) - CURVE_MARGIN if len(z_tilde) else -6.0
    hi = max(CURVE_FLOOR, float(np.nanmax(z_tilde))) + CURVE_MARGIN if len(z_tilde) else 6.0
    ylo, yhi = (-1.1, 1.1) if activation == "tanh" else (-0.1, 1.1)
    layout = style.layout(height=height,
                          xaxis=dict(range=[lo, hi], title="z̃ (input of g)"),
                          yaxis=dict(range=[ylo, yhi] if activation != "relu" else None,
                                     title="a = g(z̃)"))
    layout["shapes"] = shapes
    layout["margin"] = dict(l=60, r=20, t=40, b=50)  # top as the rows chart: they line up
    return style.typeset(go.Figure(data=data, layout=layout))


def _affine_trace(trace: int, attr: str, slots) -> dict:
    """One trace's ``attr`` array for the browser: per value an op (0: the fixed value, NaN
    a gap; 1: γ·z_norm; 2: γ·z_norm + β; 3: g(γ·z_norm + β)), the example index and the
    fixed value (NaN: none)."""
    op = np.array([AFFINE_OPS.get(s[0], 0) if s else 0 for s in slots], dtype=np.int32)
    at = np.array([s[1] if s else 0 for s in slots], dtype=np.int32)
    return {"trace": trace, "attr": attr, "op": op, "at": at,
            "fixed": np.full(len(slots), np.nan)}


def curve_preview(st: Stages, sliders: dict[str, str]) -> dict:
    """What the browser needs to redraw an :func:`activation_curve` figure (drawn with
    ``st.z_norm``, ``st.z_tilde`` and :func:`curve_label`) for another γ, β while the sliders
    move: the batch's markers (trace 2) at x = γ·z_norm + β, y = g(x), their legend name, and
    the x range (at least ±6, widened to every z̃ + 0.5)."""
    slots = [("z_tilde", i) for i in range(len(st.z))]
    traces = [_affine_trace(2, "x", slots), _affine_trace(2, "y", [("a", i) for _, i in slots])]
    ranges = [{"axis": "xaxis", "lo": -CURVE_FLOOR, "hi": CURVE_FLOOR, "pad": CURVE_MARGIN,
               "rel": 0.0, "span": 0.0, "traces": [0]}]
    return {"kind": "affine", "sliders": dict(sliders), "gamma": float(st.gamma),
            "beta": float(st.beta), "activation": st.activation,
            "base": np.asarray(st.z_norm, dtype=float), "traces": traces, "ranges": ranges,
            "names": [{"trace": 2, "text": CURVE_LABEL}]}
