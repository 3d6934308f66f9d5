"""What the figures of every "Covariate shift" tab share: one colour per model, panel heights,
the legend on top, accuracy axes in % and labelled marker lines.

Colours follow :data:`bnsim.figures.style.COLORS`: without BN vermillion, with BN blue, AdaBN
recalibration green (statistics re-estimated on the test set, a population statistic), noisy
BN purple, mini-batch statistics orange, the true rule grey. The two classes of the first tab
are purple and orange there (:data:`CLASS_COLORS`), since vermillion and blue mean "without
BN" and "with BN" in the plot beside the clouds.

Conventions of this lesson (one figure style):

* Symbols are typeset through the one shared helper :func:`bnsim.figures.style.math`:
  ``a^[2]`` is drawn as a<sup>[2]</sup>, ``μ_B`` as μ<sub>B</sub>, matching the equations and
  the page's inline LaTeX.
* Accuracies and shares are in % (tick format), and an accuracy axis zooms to its data with
  the zoom said in the axis title (:func:`acc_axis`); bars always start at 0.
* Panels that compare without / with BN share their y axis.
* Every marker line carries its label (:func:`vline`).
* No panel is under ~250 px tall at 1280×720; legends and ticks keep the shared style's 16 px.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from bnsim import notation
from bnsim.figures import style

COLORS = style.COLORS
MODEL_COLORS = {"no_bn": COLORS["without_bn"], "bn": COLORS["with_bn"],
                "adabn": COLORS["population"], "noisy_bn": COLORS["noisy_bn"]}
MODEL_NAMES = notation.labels(notation.MODELS)  # "Without BN", "With BN", …
SHORT = notation.labels(notation.MODELS, short=True)  # "no BN", "BN", …
# TODO(shared): style.COLORS["class0"/"class1"] are sky/vermillion, and vermillion is also
# "without BN"; on a screen that shows both, classes need colours no model uses.
CLASS_COLORS = {0: style.PURPLE, 1: style.ORANGE}
# Heights chosen so the key picture of each tab fits the first 1280×720 screen
# (tests/test_e2e_projector_covariate_shift.py measures it).
HEIGHT = {"scene": 390, "shift_acc": 390, "rules": 340, "layer": 420, "zt": 700,
          "hist": 340, "law": 380, "gap": 360, "noisy": 380, "reg": 420,
          "landscape": 400}
LEGEND_TOP = dict(orientation="h", yref="container", y=1.0, yanchor="top", xanchor="left",
                  x=0, font=dict(size=style.FONT_SIZE))


def rgba(hex_color: str, alpha: float) -> str:
    """``"#rrggbb"`` with opacity ``alpha`` as a CSS ``rgba(...)`` colour."""
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def acc_range(values, pad: float = 0.02, min_span: float = 0.06) -> list[float]:
    """A y range in [0, 1] that holds every finite value in ``values`` with a little room:
    accuracies in the top 5 % get an axis of the top ~8 %, not 0–100 %."""
    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v)]
    if not v.size:
        return [0.0, 1.02]
    lo, hi = float(v.min()) - pad, float(v.max()) + pad
    if hi - lo < min_span:
        lo = hi - min_span
    lo = max(0.0, math.floor(lo * 100) / 100)
    return [lo, min(1.0, math.ceil(hi * 100) / 100) + 0.008]


def pct_ticks(lo: float, hi: float, most: int = 7) -> dict:
    """Tick values and texts for a share axis from ``lo`` to ``hi`` (fractions), written as
    the page writes numbers ("95 %", a space before %), at a round step."""
    step = next((s for s in (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25)
                 if (hi - lo) / s <= most), 0.5)
    vals = np.arange(math.ceil(lo / step - 1e-9) * step, hi + 1e-9, step)
    vals = vals[vals <= 1.0 + 1e-9] if hi <= 1.02 else vals
    digits = 1 if step < 0.01 else 0
    return dict(tickvals=[float(v) for v in vals],
                ticktext=[f"{v * 100:.{digits}f} %" for v in vals])


def acc_axis(fig: go.Figure, values, title: str, **where) -> list[float]:
    """Zoom the y axis (``where``: row/col) to ``values`` (fractions), ticks in %, and say the
    zoom in the title when the axis does not start at 0. Returns the range."""
    rng = acc_range(values)
    zoom = f" (axis from {rng[0] * 100:.0f} %)" if rng[0] > 0 else ""
    fig.update_yaxes(range=rng, title_text=title + zoom, **pct_ticks(*rng), **where)
    return rng


def vline(x: float, text: str, position: str = "top right") -> dict:
    """A labelled grey vertical line at x across the whole plot (cheaper than add_vline)."""
    return dict(type="line", x0=x, x1=x, xref="x", y0=0, y1=1, yref="paper",
                line=dict(color=COLORS["neutral"], width=2, dash="dot"),
                label=dict(text=text, textposition="end", textangle=0,
                           xanchor="left" if "right" in position else "right",
                           font=dict(size=style.FONT_SIZE, color=COLORS["neutral"])))

