"""Boundaries: the eval-mode decision map and the batch-statistics map with the same k − 1
batch-mates.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from bnsim.figures import style
from bnsim.figures.style import COLORS
from bnsim.figures.testtime.common import BATCH, EVAL, key_mark, map_figure


@style.typeset_figures
def eval_boundary(b, X_test, y_test) -> go.Figure:
    """Eval-mode decision map (running μ̂, σ̂²): every point stands alone.

    ``b``: an EvalMap or Boundaries (xs, ys (n,), p_eval (n, n), ext (x0, x1, y0, y1))."""
    return map_figure(b.xs, b.ys, b.p_eval, X_test, y_test, b.ext,
                      f"{EVAL.short.capitalize()}: running μ̂, σ̂²")


@style.typeset_figures
def batch_boundary(b, X_test, y_test, k: int, mix_pct: float | None) -> go.Figure:
    """Batch-statistics decision map with test batch size k: every grid point predicted
    inside a batch with the same k − 1 batch-mates (drawn as diamonds; the key says how many
    of them are class 1 as drawn — ``mix_pct`` None: say nothing about the mix).

    ``b``: Boundaries (xs, ys (n,), p_batch (n, n), ext, mates (k − 1,) test-set indices)."""
    X_test = np.asarray(X_test)
    mates = X_test[np.asarray(b.mates, dtype=int)]
    n1 = int(np.sum(np.asarray(y_test)[np.asarray(b.mates, dtype=int)] == 1))  # as drawn
    mix = "" if mix_pct is None or not len(mates) else f", {n1} in class 1"
    key = key_mark(COLORS["batch"], "◇") + f" its {len(mates)} batch-mates" + (
        "" if mix_pct is None or not len(mates) else f" ({n1} in class 1)")
    fig = map_figure(b.xs, b.ys, b.p_batch, X_test, y_test, b.ext,
                     f"{BATCH.label.capitalize()}, k = {k}", key=key, colorbar=True)
    fig.add_trace(go.Scatter(
        x=mates[:, 0], y=mates[:, 1], mode="markers",
        name=f"its k − 1 = {len(mates)} batch-mates{mix}",
        marker=dict(symbol="diamond-open", size=11, color=COLORS["batch"], line=dict(width=2.5)),
        hoverinfo="skip"))
    return fig

