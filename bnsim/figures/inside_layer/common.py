"""The rows chart both "One mini-batch" and "γ and β" draw: one row per operation of BN, the
mini-batch's values as dots on one shared axis (:func:`stage_rows`), and its in-browser recipe
(:func:`stages_preview`, preview kind ``"stages"`` of ``bnsim/ui/live_frontend``).

Colours follow :data:`bnsim.figures.style.COLORS`: mini-batch statistics orange, the examples
of a mini-batch in the class colours, the paths grey.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from bnsim.figures import style
from bnsim.lessons.inside_layer import common

ROW_LABELS = [style.math(label) for _, _, label in common.STAGES]  # typeset: μ<sub>B</sub>, …
RANGE_PAD = 0.08  # share of the values' span added on each side of a row plot's x range


def value_range(*arrays) -> list[float]:
    """A padded [lo, hi] that holds every finite value of ``arrays`` (and 0)."""
    vals = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in arrays] + [[0.0]])
    vals = vals[np.isfinite(vals)]
    lo, hi = float(vals.min()), float(vals.max())
    pad = RANGE_PAD * max(hi - lo, 1.0)
    return [lo - pad, hi + pad]


def _row_slots(st: common.Stages, y_class: np.ndarray) -> list[list]:
    """For each per-example trace of :func:`stage_rows` (the paths, then class 0 and 1), the
    (row key, example index) of every x value, ``None`` for a gap."""
    m = len(st.z)
    per = [k for k, _, _ in common.STAGES if k in common.PER_EXAMPLE]
    paths = [slot for i in range(m) for slot in [*((k, i) for k in per), None]]
    y_class = np.asarray(y_class)
    dots = [[(k, int(i)) for k in per for i in np.flatnonzero(y_class == c)] for c in (0, 1)]
    return [paths, *dots]


def _slot_values(st: common.Stages, slots) -> list:
    return [None if s is None else float(st.row(s[0])[s[1]]) for s in slots]


def stage_rows(st: common.Stages, y_class: np.ndarray, x_range=None, height: int = 460
               ) -> go.Figure:
    """One row per operation (lecture order, top to bottom), the m values of each as dots on one
    shared axis, so the class sees them centred, scaled, shifted and squashed. μ_B, σ²_B and
    1/√(σ²_B + ε) are single numbers (orange diamonds); a dot's colour is its example's class;
    a faint line follows each example from z to a."""
    colors = style.COLORS
    keys = [k for k, _, _ in common.STAGES]
    row_of = dict(zip(keys, ROW_LABELS, strict=True))
    paths, *dots = _row_slots(st, y_class)
    # each example's path through the per-example rows (one trace, gaps between examples)
    data = [go.Scatter(x=_slot_values(st, paths),
                       y=[None if s is None else row_of[s[0]] for s in paths], mode="lines",
                       line=dict(color=colors["neutral"], width=1), opacity=0.35,
                       hoverinfo="skip", showlegend=False)]
    for c, color, slots in ((0, colors["class0"], dots[0]), (1, colors["class1"], dots[1])):
        data.append(go.Scatter(x=_slot_values(st, slots), y=[row_of[k] for k, _ in slots],
                               mode="markers", name=f"examples of class {c}",
                               marker=dict(color=color, size=13, line=dict(width=1)),
                               text=[f"example {i + 1}" for _, i in slots],
                               hovertemplate="%{text}: %{x:.4g}<extra></extra>"))
    scal = [k for k in keys if k not in common.PER_EXAMPLE]
    data.append(go.Scatter(x=[float(getattr(st, k)) for k in scal],
                           y=[row_of[k] for k in scal], mode="markers",
                           name="a mini-batch statistic", marker=dict(
                               color=colors["batch"], size=16, symbol="diamond"),
                           hovertemplate="%{y} = %{x:.4g}<extra></extra>"))
    rng = x_range or value_range(*(st.row(k) for k in keys))
    layout = style.layout(
        height=height,
        xaxis=dict(range=rng, title="value (one shared axis for every row)", zeroline=True),
        yaxis=dict(categoryorder="array", categoryarray=ROW_LABELS[::-1], type="category"),
    )
    layout["margin"] = dict(l=120, r=20, t=40, b=50)
    return style.typeset(go.Figure(data=data, layout=layout))


def stages_preview(ar: common.Around, y_steps: np.ndarray, *, drawn: dict,
                   sliders: dict[str, str], mode: str, b: float, eps: float,
                   activation: str) -> dict:
    """What the browser needs to redraw a :func:`stage_rows` figure while a view slider moves,
    before the server answers (preview kind ``"stages"`` of ``bnsim/ui/live_frontend``):
    layer l, unit j or the training step (one of them; their z from ``ar``, a
    :class:`bnsim.lessons.inside_layer.common.Around`) and, when ``mode`` is ``"sliders"``,
    γ and β.

    ``drawn``: the values of the sliders in ``sliders`` ({name: label}) that the figure shows;
    ``y_steps`` (S, m): the classes of every snapshot's mini-batch; ``mode``: "learned" (the
    learned γ, β of the unit picked), "sliders" or "undo" (γ = √(σ²_B + ε), β = μ_B); ``b``:
    the bias added before BN. The browser runs
    :func:`bnsim.lessons.inside_layer.common.stages` (the same float64 operations; sums in
    another order, so ~1e-16 apart) and this module's trace layout;
    :func:`bnsim.ui.live.stages_values` is the same arithmetic in Python."""
    return {"kind": "stages", "sliders": dict(sliders), **{k: float(v) for k, v in drawn.items()},
            "mode": mode, "b": float(b), "eps": float(eps), "activation": activation,
            "snapshots": np.asarray(ar.steps, np.int64),
            "widths": np.asarray(ar.widths, np.int64), "m": int(ar.unit_z.shape[1]),
            "labels": dict(zip([k for k, _, _ in common.STAGES], ROW_LABELS, strict=True)),
            "per": list(common.PER_EXAMPLE), "pad": RANGE_PAD,
            "shown": {"layer": ar.layer, "unit": ar.unit, "snap": ar.snap},
            "unit_z": ar.unit_z.ravel(), "unit_gamma": ar.unit_gamma, "unit_beta": ar.unit_beta,
            "layer_z": ar.layer_z.ravel(), "layer_gamma": ar.layer_gamma,
            "layer_beta": ar.layer_beta, "step_z": ar.step_z.ravel(),
            "step_gamma": ar.step_gamma, "step_beta": ar.step_beta,
            "step_y": np.asarray(y_steps, np.int64).ravel()}
