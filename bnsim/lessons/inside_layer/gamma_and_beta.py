"""Tab "γ and β": γ = √(σ²_B + ε), β = μ_B undo BN (:func:`undo`), and how many of g's inputs
sit in its nearly linear middle at γ = 1, β = 0 and at the learned γ, β (:func:`layer_middle`,
judged by :func:`sigmoid_verdict`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from bnsim import batchnorm, network
from bnsim.lessons.inside_layer.common import Batch, Stages, stages
from bnsim.verdict import Outcome, Verdict, compare, pct

# The nearly linear middle of g: where its slope is at least half its largest slope
# (sigmoid: σ(1 − σ) ≥ 1/8 ⇔ |z̃| ≤ 2·artanh(1/√2); tanh: 1 − tanh² ≥ 1/2 ⇔ |z̃| ≤ artanh(1/√2)).
MIDDLE = {"sigmoid": 2 * float(np.arctanh(np.sqrt(0.5))), "tanh": float(np.arctanh(np.sqrt(0.5)))}
MIDDLE_THRESHOLD = 0.05  # 5 percentage points of the layer's values


def undo(st: Stages) -> tuple[float, float]:
    """γ = √(σ²_B + ε), β = μ_B: the values for which z̃ = z (BN undone)."""
    return float(np.sqrt(st.sigma2 + st.eps)), st.mu


def undo_difference(st: Stages) -> float:
    """max |z̃ − z| when γ, β undo BN."""
    g, b = undo(st)
    back = stages(st.z, g, b, st.eps, st.activation)
    return float(np.max(np.abs(back.z_tilde - st.z)))


def middle_share(z_tilde, activation: str) -> float:
    """Share of g's inputs inside its nearly linear middle (slope ≥ half the largest slope);
    NaN for ReLU, whose two pieces are both exactly linear."""
    if activation not in MIDDLE:
        return float("nan")
    return float(np.mean(np.abs(np.asarray(z_tilde, dtype=float)) <= MIDDLE[activation]))


class LayerMiddle(NamedTuple):
    """How much of layer l's mini-batch sits in g's nearly linear middle (all units)."""

    identity: float  # share of z_norm (γ = 1, β = 0) inside the middle
    learned: float  # share of the learned z̃ = γ·z_norm + β inside the middle
    n_values: int  # m × n^[l] values counted


def layer_middle(batch: Batch, eps: float, activation: str) -> LayerMiddle:
    """:func:`middle_share` over every unit of the layer at γ = 1, β = 0 and at the learned γ, β."""
    z_tilde, cache = batchnorm.forward_train(batch.z, batch.gamma, batch.beta, eps)
    return LayerMiddle(middle_share(cache.z_norm, activation),
                       middle_share(z_tilde, activation), int(batch.z.size))


def sigmoid_verdict(mid: LayerMiddle, activation: str, has_bn: bool, layer: int = 1) -> Verdict:
    """'At γ = 1, β = 0 the inputs of g sit in its linear middle; the learned γ, β move them
    out.' HOLDS when the learned γ, β put at least 5 points fewer values inside the middle."""
    ev = {"inside at γ=1, β=0": mid.identity, "inside at learned γ, β": mid.learned}
    if activation not in MIDDLE or not has_bn:
        why = ("ReLU has no curved middle: both of its pieces are straight lines"
               if activation not in MIDDLE else "this layer has no BN")
        return Verdict(Outcome.NOT_APPLICABLE, f"Does not apply here: {why}.", ev,
                       MIDDLE_THRESHOLD)
    head = (f"At γ = 1, β = 0, {pct(mid.identity)} of layer {layer}'s {mid.n_values} inputs "
            f"of g sit in its nearly linear middle; at the learned γ, β {pct(mid.learned)} do")
    outcome = compare(mid.identity - mid.learned, MIDDLE_THRESHOLD)
    tail = {Outcome.HOLDS: ": learning γ, β moved them out, so the layer uses the curve.",
            Outcome.REVERSED: ": the learned γ, β pulled them further in — this network kept "
                              "the layer nearly linear.",
            Outcome.NO_EFFECT: ": the learned γ, β changed little (within "
                               f"{pct(MIDDLE_THRESHOLD, 0)}) — train longer or use a larger α.",
            Outcome.NOT_APPLICABLE: "."}[outcome]
    return Verdict(outcome, head + tail, ev, MIDDLE_THRESHOLD)


def curve_points(activation: str, lo: float = -6.0, hi: float = 6.0, n: int = 241
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(x, g(x)) for drawing the activation g (``bnsim.network.activation``)."""
    x = np.linspace(lo, hi, n)
    return x, network.activation(activation, x)
