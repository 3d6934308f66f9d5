"""Plotly charts that update in place, and can follow a slider in the browser.

``st.plotly_chart`` gives a chart a new identity whenever its figure changes, so each slider
move throws the chart away and the browser builds it again from scratch (``Plotly.newPlot``).
:func:`live_chart` shows the same figure in a small custom component that stays mounted under
its ``key`` and redraws with ``Plotly.react``, which updates the existing plot.

A chart may also carry a *preview*: what the browser needs to recompute some of its traces
when a slider on the page moves, before the server has even heard of the new value. The server's
figure for the released value follows a moment later and is drawn over it. A recipe's ``kind``
says how the browser recomputes:

* ``"ema"`` (the default; :func:`bnsim.figures.running_stats.trajectory.ema_preview`): the
  EMA lines for the β_EMA of one slider.
* ``"affine"`` (:func:`bnsim.figures.inside_layer.gamma_and_beta.curve_preview`): values
  γ·z_norm, γ·z_norm + β and g(γ·z_norm + β) for the γ and β of two sliders, from z_norm;
  :func:`affine_values` and :func:`affine_range` are the browser's arithmetic written in
  Python (what the tests compare with the server's figure).
* ``"frames"`` (:func:`frames_preview`): the server's whole figure for neighbouring values of
  one slider, shipped with the figure (a page caches the figures on their scalar inputs, so
  a rerun only looks them up); the browser draws the frame of the value the slider shows and
  waits for the server for any other. :func:`frame_at` is the browser's choice in Python.
* ``"stages"`` (:func:`bnsim.figures.inside_layer.common.stages_preview`): the rows of one BN
  layer for another layer l, unit j or training step (the z of the neighbours travel with the
  recipe), and γ, β of two sliders; :func:`stages_values` is the browser's arithmetic in
  Python.

The component is one HTML file (``live_frontend/index.html``, no build step). plotly.js is
served from the ``plotly`` Python package the project already depends on, so the browser draws
with the plotly.js version the figures were built for. Streamlit's theme (light, dark or
custom) arrives with every render and is applied as a Plotly template.
"""

from __future__ import annotations

import base64
import functools
import json
import math
from pathlib import Path

import numpy as np
import plotly
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st
import streamlit.components.v1 as components
from plotly.basedatatypes import BaseFigure

from bnsim.network import activation
from bnsim.traces import snapshot_index

FRONTEND = Path(__file__).with_name("live_frontend")
PLOTLY_JS_DIR = Path(plotly.__file__).parent / "package_data"
FRAME_MARGIN = 16  # px around the chart's frame inside its reserved space


def figure_spec(fig: go.Figure | dict) -> str:
    """The JSON the component draws: data, layout and frames, without plotly.py's default
    template (the page's theme supplies the look). NaN and ±inf become gaps."""
    spec = fig.to_plotly_json() if isinstance(fig, BaseFigure) else dict(fig)
    layout = {k: v for k, v in (spec.get("layout") or {}).items() if k != "template"}
    out = {"data": spec.get("data", []), "layout": layout}
    if spec.get("frames"):
        out["frames"] = spec["frames"]
    return pio.to_json(out, validate=False)


def _packed(obj):
    """``obj`` ready for JSON: 1-D numpy arrays as Plotly's typed-array form {dtype, bdata}
    (base64 little-endian int32 or float64), other arrays as lists, numpy scalars as Python
    numbers, NaN and ±inf as null (JSON has no such numbers)."""
    if isinstance(obj, np.ndarray):
        if obj.ndim != 1:
            return _packed(obj.tolist())
        int32 = obj.dtype.kind in "iub" and (obj.size == 0 or (
            obj.min() >= np.iinfo(np.int32).min and obj.max() <= np.iinfo(np.int32).max))
        arr = np.ascontiguousarray(obj, dtype="<i4" if int32 else "<f8")
        return {"dtype": "i4" if int32 else "f8",
                "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _packed(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_packed(v) for v in obj]
    return obj


def live_chart(fig: go.Figure | dict | str, *, key: str, preview: dict | str | None = None,
               where=None) -> None:
    """Show ``fig`` in a chart that keeps its identity under ``key`` and redraws in place.

    ``fig`` may also be the spec :func:`figure_spec` made (a string): a page caches that on
    its scalar inputs, so a rerun that changes nothing of the chart costs no serialising.

    ``preview``: optional recipe for redrawing traces in the browser while a slider moves
    (see the module docstring for its kinds).
    ``where``: a container (e.g. a column) to draw in; default: the current one.

    The chart's height (the figure's ``layout.height``) is reserved from the first render, so
    nothing below it jumps when plotly.js has loaded and the chart draws."""
    if where is not None:
        with where:
            return live_chart(fig, key=key, preview=preview)
    spec = fig if isinstance(fig, str) else figure_spec(fig)
    with st.container(height=reserved_height(spec), border=False):
        _draw(spec, key, preview)


@functools.lru_cache(maxsize=256)
def reserved_height(spec: str) -> int:
    """Pixels to reserve for a chart: its layout height (Plotly's default 450 without one)
    plus the frame's margin, so the chart never needs a scroll bar."""
    height = (json.loads(spec).get("layout") or {}).get("height") or 450
    return int(math.ceil(height)) + FRAME_MARGIN


def preview_spec(preview: dict | str) -> str:
    """A preview recipe as the browser gets it (JSON; a string is taken as already made, so
    a page may cache it with the figure's spec)."""
    return preview if isinstance(preview, str) else json.dumps(_packed(preview), allow_nan=False)


# ---------------------------------------------------------------- the "frames" recipe
def neighbours(value: float, lo: float, hi: float, step: float, n: int = 2) -> list[float]:
    """The slider's values within ``n`` steps of ``value`` (not ``value``), inside [lo, hi],
    on the slider's grid (rounded as the slider rounds its steps)."""
    digits = max(0, -math.floor(math.log10(step)) + 2) if step < 1 else 0
    out = []
    for k in range(-n, n + 1):
        x = round(value + k * step, digits)
        if k and lo - 1e-12 <= x <= hi + 1e-12:
            out.append(int(x) if float(step).is_integer() and float(x).is_integer() else x)
    return out


def frames_preview(slider: str, value: float, frames: dict[float, str]) -> str:
    """A ``"frames"`` recipe (JSON): ``frames`` maps other values of the slider labelled
    ``slider`` to their figure specs (:func:`figure_spec` strings, e.g. cached); ``value`` is
    the value the figure drawn shows. Built by joining the cached strings (nothing is parsed
    or serialised again)."""
    at = [float(x) for x in frames]
    return ('{"kind": "frames", "slider": ' + json.dumps(slider) + ', "value": '
            + json.dumps(float(value)) + ', "at": ' + json.dumps(at) + ', "figures": ['
            + ", ".join(frames.values()) + "]}")


def frame_at(recipe: dict, value: float) -> dict | None:
    """The figure the browser draws for the slider at ``value`` (``live_frontend/index.html``,
    ``frameAt``): the frame of that value, or ``None`` (it waits for the server)."""
    for x, fig in zip(recipe["at"], recipe["figures"], strict=True):
        if abs(x - value) <= 1e-9 * max(1.0, abs(value)):
            return fig
    return None


def _draw(spec: str, key: str, preview: dict | str | None) -> None:
    # Declared on every call (cheap): registration belongs to the running Streamlit runtime,
    # and a test runtime or a restarted server is a new one.
    chart = components.declare_component("live_chart", path=str(FRONTEND))
    plotly_js = components.declare_component("plotly_js", path=str(PLOTLY_JS_DIR))
    chart(spec=spec, plotly_js=f"../{plotly_js.name}/plotly.min.js",
          preview=preview_spec(preview) if preview else None, key=key,
          default=None)


# ---------------------------------------------------------------- the "affine" recipe
AFFINE_OPS = {0: "fixed", 1: "γ·base", 2: "γ·base + β", 3: "g(γ·base + β)"}


def affine_values(recipe: dict, gamma: float, beta: float) -> list[np.ndarray]:
    """The arrays an ``"affine"`` recipe's traces get for ``gamma``, ``beta`` — what the
    browser computes (``live_frontend/index.html``, ``affineValues``), in the same float64
    operations: x = γ·base[i], then x + β, then g(x + β) with g written as
    ``bnsim.network.activation``; op 0 keeps the fixed value (NaN: a gap)."""
    base = np.asarray(recipe["base"], dtype=float)
    out = []
    for t in recipe["traces"]:
        op, at = np.asarray(t["op"]), np.asarray(t["at"])
        gz = gamma * base[at]
        zt = gz + beta
        vals = np.where(op == 1, gz, np.where(op == 2, zt, np.asarray(t["fixed"], float)))
        if np.any(op == 3):
            vals = np.where(op == 3, activation(recipe["activation"], zt), vals)
        out.append(vals)
    return out


def affine_range(spec: dict, values: list[np.ndarray]) -> list[float]:
    """An axis range of an ``"affine"`` recipe for the ``values`` of :func:`affine_values`:
    lo, hi = the extremes of the finite values of the listed traces and of ``spec``'s lo, hi;
    pad = pad + rel·max(hi − lo, span); [lo − pad, hi + pad]."""
    vals = np.concatenate([values[i] for i in spec["traces"]] + [[spec["lo"], spec["hi"]]])
    vals = vals[np.isfinite(vals)]
    lo, hi = float(vals.min()), float(vals.max())
    pad = spec["pad"] + spec["rel"] * max(hi - lo, spec["span"])
    return [lo - pad, hi + pad]


# ---------------------------------------------------------------- the "stages" recipe
def stages_pick(recipe: dict, values: dict) -> dict | None:
    """Which z, learned γ, β and classes the browser picks for the slider ``values`` (layer,
    unit, step): at most one of them may differ from the values drawn (else ``None``: the
    browser waits for the server). Clipped as the page clips: layer to the depth, unit to the
    layer's width, step to the latest snapshot at or before it (the last snapshot is the last
    step trained)."""
    v = {k: values.get(k, recipe[k]) for k in ("layer", "unit", "step")}
    moved = [k for k in v if v[k] != recipe[k]]
    if len(moved) > 1:
        return None
    m, shown, widths = recipe["m"], recipe["shown"], np.asarray(recipe["widths"])
    layer = int(min(v["layer"], len(widths)))
    unit = int(min(v["unit"], widths[shown["layer"] - 1]))
    snap = snapshot_index(np.asarray(recipe["snapshots"]), v["step"])
    ys = np.asarray(recipe["step_y"]).reshape(-1, m)
    if moved == ["layer"]:
        src, i, y = "layer", layer - 1, ys[shown["snap"]]
    elif moved == ["step"]:
        src, i, y = "step", snap, ys[snap]
    else:
        src, i, y = "unit", unit - 1, ys[shown["snap"]]
    z = np.asarray(recipe[f"{src}_z"], dtype=float).reshape(-1, m)[i]
    return {"z": z, "gamma": float(recipe[f"{src}_gamma"][i]),
            "beta": float(recipe[f"{src}_beta"][i]), "y": y}


def stages_values(recipe: dict, values: dict) -> dict | None:
    """The traces of the rows figure the browser draws for slider ``values`` (missing ones: as
    drawn): ``{"x": [4 lists], "y": [...], "text": [...], "range": [lo, hi]}`` for the paths,
    the dots of class 0 and 1 and the statistics — what ``live_frontend/index.html``
    (``stagesValues``) computes, in the same float64 operations except the order of sums."""
    pick = stages_pick(recipe, values)
    if pick is None:
        return None
    m = recipe["m"]
    z = pick["z"] + recipe["b"]
    mu = float(sum(z.tolist()) / m)
    zc = z - mu
    sigma2 = float(sum((zc * zc).tolist()) / m)
    inv_std = 1.0 / math.sqrt(sigma2 + recipe["eps"])
    mode = recipe["mode"]
    if mode == "undo":
        gamma, beta = math.sqrt(sigma2 + recipe["eps"]), mu
    elif mode == "sliders":
        gamma, beta = (values.get(k, recipe.get(k)) for k in ("gamma", "beta"))
    else:
        gamma, beta = pick["gamma"], pick["beta"]
    z_norm = zc * inv_std
    gz = gamma * z_norm
    z_tilde = gz + beta
    rows = {"z": z, "mu": mu, "zc": zc, "sigma2": sigma2, "inv_std": inv_std, "z_norm": z_norm,
            "gz": gz, "z_tilde": z_tilde, "a": activation(recipe["activation"], z_tilde)}
    label, per, y = recipe["labels"], recipe["per"], np.asarray(pick["y"])
    xs, ys, texts = [[], [], [], []], [[], [], [], []], [None, [], [], None]
    for i in range(m):
        for k in per:
            xs[0].append(float(rows[k][i]))
            ys[0].append(label[k])
        xs[0].append(None)
        ys[0].append(None)
    for c in (0, 1):
        for k in per:
            for i in np.flatnonzero(y == c):
                xs[1 + c].append(float(rows[k][i]))
                ys[1 + c].append(label[k])
                texts[1 + c].append(f"example {i + 1}")
    for k in label:
        if k not in per:
            xs[3].append(float(rows[k]))
            ys[3].append(label[k])
    vals = np.concatenate([np.ravel(np.asarray(rows[k], dtype=float)) for k in label] + [[0.0]])
    vals = vals[np.isfinite(vals)]
    lo, hi = float(vals.min()), float(vals.max())
    pad = recipe["pad"] * max(hi - lo, 1.0)
    return {"x": xs, "y": ys, "text": texts, "range": [lo - pad, hi + pad]}
