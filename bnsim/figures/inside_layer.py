"""Figures of the "Inside a BN layer" page: pure functions, data in, plotly Figure out.

Colours follow :data:`bnsim.figures.style.COLORS`: mini-batch statistics orange, with BN blue,
without BN vermillion, the examples of a mini-batch in the class colours, the activation curve
and reference lines grey.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from bnsim import inside_layer as E
from bnsim import notation
from bnsim.figures import style

C = style.COLORS
OPT_COLORS = {"gd": style.VERMILLION, "momentum": style.PURPLE, "rmsprop": style.GREEN,
              "adam": style.BLUE}
ROW_LABELS = [style.math(label) for _, _, label in E.STAGES]  # typeset: μ<sub>B</sub>, …
RANGE_PAD = 0.08  # share of the values' span added on each side of a row plot's x range


def value_range(*arrays) -> list[float]:
    """A padded [lo, hi] that holds every finite value of ``arrays`` (and 0)."""
    vals = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in arrays] + [[0.0]])
    vals = vals[np.isfinite(vals)]
    lo, hi = float(vals.min()), float(vals.max())
    pad = RANGE_PAD * max(hi - lo, 1.0)
    return [lo - pad, hi + pad]


# Rows whose values depend on γ and β, and how the browser recomputes them from z_norm while
# the γ, β sliders move (the ``op`` codes of :func:`bnsim.ui.live.affine_values`).
AFFINE_OPS = {"gz": 1, "z_tilde": 2, "a": 3}
CURVE_FLOOR = 5.5  # the activation curve's x range: at least ±(5.5 + 0.5) = ±6
CURVE_MARGIN = 0.5


def _row_slots(st: E.Stages, y_class: np.ndarray) -> list[list]:
    """For each per-example trace of :func:`stage_rows` (the paths, then class 0 and 1), the
    (row key, example index) of every x value, ``None`` for a gap."""
    m = len(st.z)
    per = [k for k, _, _ in E.STAGES if k in E.PER_EXAMPLE]
    paths = [slot for i in range(m) for slot in [*((k, i) for k in per), None]]
    y_class = np.asarray(y_class)
    dots = [[(k, int(i)) for k in per for i in np.flatnonzero(y_class == c)] for c in (0, 1)]
    return [paths, *dots]


def _slot_values(st: E.Stages, slots) -> list:
    return [None if s is None else float(st.row(s[0])[s[1]]) for s in slots]


def stage_rows(st: E.Stages, y_class: np.ndarray, x_range=None, height: int = 460) -> go.Figure:
    """One row per operation (lecture order, top to bottom), the m values of each as dots on one
    shared axis, so the class sees them centred, scaled, shifted and squashed. μ_B, σ²_B and
    1/√(σ²_B + ε) are single numbers (orange diamonds); a dot's colour is its example's class;
    a faint line follows each example from z to a."""
    keys = [k for k, _, _ in E.STAGES]
    row_of = dict(zip(keys, ROW_LABELS, strict=True))
    paths, *dots = _row_slots(st, y_class)
    # each example's path through the per-example rows (one trace, gaps between examples)
    data = [go.Scatter(x=_slot_values(st, paths),
                       y=[None if s is None else row_of[s[0]] for s in paths], mode="lines",
                       line=dict(color=C["neutral"], width=1), opacity=0.35,
                       hoverinfo="skip", showlegend=False)]
    for c, color, slots in ((0, C["class0"], dots[0]), (1, C["class1"], dots[1])):
        data.append(go.Scatter(x=_slot_values(st, slots), y=[row_of[k] for k, _ in slots],
                               mode="markers", name=f"examples of class {c}",
                               marker=dict(color=color, size=13, line=dict(width=1)),
                               text=[f"example {i + 1}" for _, i in slots],
                               hovertemplate="%{text}: %{x:.4g}<extra></extra>"))
    scal = [k for k in keys if k not in E.PER_EXAMPLE]
    data.append(go.Scatter(x=[float(getattr(st, k)) for k in scal],
                           y=[row_of[k] for k in scal], mode="markers",
                           name="a mini-batch statistic", marker=dict(
                               color=C["batch"], size=16, symbol="diamond"),
                           hovertemplate="%{y} = %{x:.4g}<extra></extra>"))
    rng = x_range or value_range(*(st.row(k) for k in keys))
    layout = style.layout(
        height=height,
        xaxis=dict(range=rng, title="value (one shared axis for every row)", zeroline=True),
        yaxis=dict(categoryorder="array", categoryarray=ROW_LABELS[::-1], type="category"),
    )
    layout["margin"] = dict(l=120, r=20, t=40, b=50)
    return style.typeset(go.Figure(data=data, layout=layout))


def _affine_trace(trace: int, attr: str, slots) -> dict:
    """One trace's ``attr`` array for the browser: per value an op (0: the fixed value, NaN
    a gap; 1: γ·z_norm; 2: γ·z_norm + β; 3: g(γ·z_norm + β)), the example index and the
    fixed value."""
    op = np.array([AFFINE_OPS.get(s[0], 0) if s else 0 for s in slots], dtype=np.int32)
    at = np.array([s[1] if s else 0 for s in slots], dtype=np.int32)
    return {"trace": trace, "attr": attr, "op": op, "at": at}


def stages_preview(ar: E.Around, y_steps: np.ndarray, *, drawn: dict, sliders: dict[str, str],
                   mode: str, b: float, eps: float, activation: str) -> dict:
    """What the browser needs to redraw a :func:`stage_rows` figure while a view slider moves,
    before the server answers (preview kind ``"stages"`` of ``bnsim/ui/live_frontend``):
    layer l, unit j or the training step (one of them; their z from ``ar``, a
    :class:`bnsim.inside_layer.Around`) and, when ``mode`` is ``"sliders"``, γ and β.

    ``drawn``: the values of the sliders in ``sliders`` ({name: label}) that the figure shows;
    ``y_steps`` (S, m): the classes of every snapshot's mini-batch; ``mode``: "learned" (the
    learned γ, β of the unit picked), "sliders" or "undo" (γ = √(σ²_B + ε), β = μ_B); ``b``:
    the bias added before BN. The browser runs :func:`bnsim.inside_layer.stages` (the same
    float64 operations; sums in another order, so ~1e-16 apart) and this module's trace layout;
    :func:`bnsim.ui.live.stages_values` is the same arithmetic in Python."""
    return {"kind": "stages", "sliders": dict(sliders), **{k: float(v) for k, v in drawn.items()},
            "mode": mode, "b": float(b), "eps": float(eps), "activation": activation,
            "snapshots": np.asarray(ar.steps, np.int64),
            "widths": np.asarray(ar.widths, np.int64), "m": int(ar.unit_z.shape[1]),
            "labels": dict(zip([k for k, _, _ in E.STAGES], ROW_LABELS, strict=True)),
            "per": list(E.PER_EXAMPLE), "pad": RANGE_PAD,
            "shown": {"layer": ar.layer, "unit": ar.unit, "snap": ar.snap},
            "unit_z": ar.unit_z.ravel(), "unit_gamma": ar.unit_gamma, "unit_beta": ar.unit_beta,
            "layer_z": ar.layer_z.ravel(), "layer_gamma": ar.layer_gamma,
            "layer_beta": ar.layer_beta, "step_z": ar.step_z.ravel(),
            "step_gamma": ar.step_gamma, "step_beta": ar.step_beta,
            "step_y": np.asarray(y_steps, np.int64).ravel()}


def _affine(st: E.Stages, sliders: dict[str, str], traces: list, ranges: list,
            names: list | None = None) -> dict:
    return {"kind": "affine", "sliders": dict(sliders), "gamma": float(st.gamma),
            "beta": float(st.beta), "activation": st.activation,
            "base": np.asarray(st.z_norm, dtype=float), "traces": traces, "ranges": ranges,
            "names": names or []}


def curve_label(gamma: float, beta: float) -> str:
    """The legend name of the batch at the γ, β shown (the browser formats it alike)."""
    return f"γ = {gamma:.3g}, β = {beta:.3g}"


CURVE_LABEL = "γ = {gamma}, β = {beta}"  # the same, as a template the browser fills in (.3g)


def activation_curve(activation: str, z_norm: np.ndarray, z_tilde: np.ndarray,
                     label: str, height: int = 380) -> go.Figure:
    """g over [−6, 6] with the mini-batch on it twice: at γ = 1, β = 0 (z̃ = z_norm, grey) and
    at the γ, β shown (``label``, blue); the nearly linear middle shaded (not for ReLU). The x
    range widens to hold every z̃ with a margin of 0.5."""
    x, g = E.sigmoid_curve(activation)
    data = [go.Scatter(x=x, y=g, mode="lines", name=f"g = {activation}",
                       line=dict(color=C["neutral"], width=3), hoverinfo="skip")]
    for zs, name, color, symbol in ((z_norm, "γ = 1, β = 0", C["neutral"], "circle-open"),
                                    (z_tilde, label, C["with_bn"], "circle")):
        zs = np.asarray(zs, dtype=float)
        data.append(go.Scatter(x=zs, y=E.activate(activation, zs), mode="markers", name=name,
                               marker=dict(color=color, size=13, symbol=symbol,
                                           line=dict(width=2, color=color)),
                               hovertemplate="z̃ = %{x:.3g}, g = %{y:.3g}<extra></extra>"))
    shapes = []
    if activation in E.MIDDLE:
        w = E.MIDDLE[activation]
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
    layout["margin"] = dict(l=60, r=20, t=40, b=50)  # top as :func:`stage_rows`: they line up
    return style.typeset(go.Figure(data=data, layout=layout))


def curve_preview(st: E.Stages, sliders: dict[str, str]) -> dict:
    """What the browser needs to redraw an :func:`activation_curve` figure (drawn with
    ``st.z_norm``, ``st.z_tilde`` and :func:`curve_label`) for another γ, β while the sliders
    move: the batch's markers (trace 2) at x = γ·z_norm + β, y = g(x), their legend name, and
    the x range (at least ±6, widened to every z̃ + 0.5)."""
    slots = [("z_tilde", i) for i in range(len(st.z))]
    traces = [_affine_trace(2, "x", slots), _affine_trace(2, "y", [("a", i) for _, i in slots])]
    for t in traces:
        t["fixed"] = np.full(len(slots), np.nan)
    ranges = [{"axis": "xaxis", "lo": -CURVE_FLOOR, "hi": CURVE_FLOOR, "pad": CURVE_MARGIN,
               "rel": 0.0, "span": 0.0, "traces": [0]}]
    return _affine(st, sliders, traces, ranges, [{"trace": 2, "text": CURVE_LABEL}])


def param_paths(paths, layer: int, unit: int, height: int = 380) -> go.Figure:
    """γ^[l]_j (left) and β^[l]_j (right) over training, one line per optimiser."""
    data = []
    names = notation.labels(notation.OPTIMIZERS)
    for p in paths:
        color = OPT_COLORS.get(p.optimizer, C["neutral"])
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


# room for a two-line legend above both sweep charts, so that their plot areas line up
SWEEP_MARGIN = dict(l=60, r=20, t=80, b=50)


def _log_x(lrs) -> dict:
    lo, hi = np.log10(min(lrs)), np.log10(max(lrs))
    return dict(type="log", range=[lo - 0.15, hi + 0.15], title="learning rate α")


ACC_LO = 0.4  # the accuracy axis: 40–100 % (chance is 50 % on these two-class problems)
ACC_TICKS = [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]


def _lr_marker(layout: dict, lr: float, lrs) -> None:
    """The vertical line at the α shown, labelled at its foot (on the side with more room)."""
    layout["shapes"] = [dict(type="line", x0=lr, x1=lr, y0=0, y1=1, yref="paper", xref="x",
                             line=dict(color=C["neutral"], width=1.5))]
    left = lr > np.sqrt(min(lrs) * max(lrs))  # right half of the log axis: label on the left
    layout["annotations"] = [dict(x=np.log10(lr), y=0, xref="x", yref="paper",
                                  xanchor="right" if left else "left", yanchor="bottom",
                                  xshift=-4 if left else 4, text=f"α shown = {lr:g}",
                                  showarrow=False,
                                  font=dict(size=style.FONT_SIZE, color=C["neutral"]))]


def sweep_accuracy(sw: E.Sweep, lr: float, height: int = 380) -> go.Figure:
    """Final test accuracy (in %) vs α with and without BN: each seed a dot, the mean a line;
    the 'still trains' level dotted, the chosen α marked and labelled."""
    data = []
    for bn, key in ((False, "no_bn"), (True, "bn")):
        color = C["with_bn" if bn else "without_bn"]
        name = notation.MODELS[key].label
        data.append(go.Scatter(x=list(sw.lrs), y=sw.acc(bn), mode="lines+markers", name=name,
                               line=dict(color=color, width=3), marker=dict(size=9),
                               customdata=100 * np.asarray(sw.acc(bn)),
                               hovertemplate=f"{name}<br>α = %{{x}}: %{{customdata:.1f}} %"
                                             "<extra></extra>"))
        xs = [x for x in sw.lrs for _ in sw.runs[x, bn].test_acc]
        ys = [a for x in sw.lrs for a in sw.runs[x, bn].test_acc]
        data.append(go.Scatter(x=xs, y=ys, mode="markers", showlegend=False,
                               marker=dict(color=color, size=6, opacity=0.5),
                               hoverinfo="skip"))
    data.append(go.Scatter(x=[min(sw.lrs), max(sw.lrs)], y=[E.TRAINS_ACC] * 2, mode="lines",
                           name=f"trains: ≥ {100 * E.TRAINS_ACC:g} %",
                           line=dict(color=C["neutral"], dash="dot", width=2),
                           hoverinfo="skip"))
    layout = style.layout(height=height, xaxis=_log_x(sw.lrs), yaxis=dict(
        range=[ACC_LO - 0.02, 1.02], tickvals=ACC_TICKS,
        ticktext=[f"{100 * t:.0f} %" for t in ACC_TICKS],
        title=f"final test accuracy (axis {100 * ACC_LO:.0f}–100 %)"))
    _lr_marker(layout, lr, sw.lrs)
    layout["margin"] = SWEEP_MARGIN  # the two side by side share their plot area
    return style.typeset(go.Figure(data=data, layout=layout))


def sweep_steps(sw: E.Sweep, lr: float, height: int = 380) -> go.Figure:
    """Steps until the smoothed training loss reaches the target, vs α (missing: never)."""
    data = []
    for bn, key in ((False, "no_bn"), (True, "bn")):
        color = C["with_bn" if bn else "without_bn"]
        name = notation.MODELS[key].label
        data.append(go.Scatter(x=list(sw.lrs), y=sw.steps_to_target(bn), mode="lines+markers",
                               name=name, line=dict(color=color, width=3), marker=dict(size=9),
                               hovertemplate=f"{name}<br>α = %{{x}}: %{{y}} steps"
                                             "<extra></extra>"))
    layout = style.layout(height=height, xaxis=_log_x(sw.lrs),
                          yaxis=dict(range=[0, sw.setting.steps * 1.05],
                                     title=f"steps until loss ≤ {E.TARGET_LOSS:g}"))
    _lr_marker(layout, lr, sw.lrs)
    layout["margin"] = SWEEP_MARGIN  # the two side by side share their plot area
    return style.typeset(go.Figure(data=data, layout=layout))


def sweep_loss(sw: E.Sweep, lr: float, height: int = 380) -> go.Figure:
    """Smoothed training loss over the steps at α = ``lr``: each seed faint, with and without
    BN; the target loss dotted."""
    data = []
    for bn, key in ((False, "no_bn"), (True, "bn")):
        color = C["with_bn" if bn else "without_bn"]
        name = notation.MODELS[key].label
        loss = E.smoothed(sw.runs[lr, bn].loss)
        steps = np.arange(1, loss.shape[1] + 1)
        for k, row in enumerate(loss):
            data.append(go.Scatter(x=steps, y=row, mode="lines", name=name, legendgroup=key,
                                   showlegend=k == 0, line=dict(color=color, width=2.5),
                                   hovertemplate=f"{name}, seed {k}<br>step %{{x}}: "
                                                 "%{y:.3f}<extra></extra>"))
    data.append(go.Scatter(x=[1, sw.setting.steps], y=[E.TARGET_LOSS] * 2, mode="lines",
                           name=f"target loss {E.TARGET_LOSS:g}",
                           line=dict(color=C["neutral"], dash="dot", width=2),
                           hoverinfo="skip"))
    layout = style.layout(height=height, xaxis=dict(title="training step"),
                          yaxis=dict(range=[0, 1.0], title=f"training loss (mean of {E.SMOOTH} "
                                                           "steps)"))
    return style.typeset(go.Figure(data=data, layout=layout))
