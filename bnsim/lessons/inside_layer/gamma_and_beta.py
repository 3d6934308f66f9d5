"""Tab "γ and β": γ = √(σ²_B + ε), β = μ_B undo BN (:func:`undo`), and how many of g's inputs
sit in its nearly linear middle at γ = 1, β = 0 and at the learned γ, β (:func:`layer_middle`,
judged by :func:`sigmoid_verdict`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from bnsim import batchnorm, network, verdict
from bnsim.lessons.inside_layer.common import Batch, Stages, stages
from bnsim.verdict import Outcome, Precondition, Verdict, abstain, compare, num, pct

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


MIDDLE_CLAIM = verdict.claim(
    "inside_layer.gamma_and_beta.middle",
    where="Inside a BN layer → γ and β (the second sentence under the charts)",
    words="At γ = 1, β = 0, …% of layer l's N inputs of g sit in its nearly linear middle; at "
          "the learned γ, β …% do: learning γ, β moved them out, so the layer uses the curve / "
          "the learned γ, β pulled them further in — this network kept the layer nearly linear "
          "/ the learned γ, β changed little (within 5 %).",
    preconditions=("g has a curved middle (sigmoid, tanh; not ReLU)", "the layer has BN",
                   "the values are finite (the run did not diverge)",
                   "training has moved γ, β (not the first step, where γ = 1, β = 0)",
                   "most units vary in the mini-batch (≥ half have σ²_B ≥ 99 ε)"),
    threshold=f"{100 * MIDDLE_THRESHOLD:g} percentage points of the layer's values; the middle: "
              "slope ≥ half g's largest slope (*nearly linear middle*)",
    test="tests/test_inside_layer.py::test_sigmoid_verdict_branches, "
         "tests/test_claims_inside_layer.py::"
         "test_learned_gamma_beta_move_sigmoid_inputs_out_of_the_linear_middle")


VARYING_SHARE = 0.5  # "the layer's units vary": at least this share has σ²_B ≥ 99 ε


def varying_units(batch: Batch, eps: float) -> float:
    """Share of the layer's units whose z varies in the mini-batch: σ²_B/(σ²_B + ε) ≥ 0.99
    (else z_norm sits near 0 instead of spreading like mean 0, variance 1)."""
    var = np.var(np.asarray(batch.z, dtype=float), axis=0)
    with np.errstate(invalid="ignore"):
        return float(np.mean(var / (var + eps) >= 0.99))


def sigmoid_verdict(mid: LayerMiddle, activation: str, has_bn: bool, layer: int = 1,
                    raw: dict | None = None, moved: bool = True, varying: float = 1.0
                    ) -> Verdict:
    """'At γ = 1, β = 0 the inputs of g sit in its linear middle; the learned γ, β move them
    out.' HOLDS when the learned γ, β put at least 5 points fewer values inside the middle.
    ``moved``: whether training has changed γ, β from 1, 0 at the step shown; ``varying``:
    :func:`varying_units`; ``raw``: the layer's z, γ, β, ε (what :func:`layer_middle` read)."""
    ev = {"inside at γ=1, β=0": mid.identity, "inside at learned γ, β": mid.learned}
    raw = raw or {}
    pre = (Precondition("g has a curved middle", activation in MIDDLE,
                        "Does not apply here: ReLU has no curved middle — both of its pieces "
                        "are straight lines."),
           Precondition("the layer has BN", has_bn, "Does not apply here: this layer has no BN."),
           Precondition("the values are finite",
                        bool(np.isfinite(mid.identity) and np.isfinite(mid.learned)),
                        "Does not apply here: the training run diverged (the values are not "
                        "finite numbers)."),
           Precondition("training has moved γ, β", moved,
                        f"At this step γ^[{layer}] = 1 and β^[{layer}] = 0 are still their "
                        "initial values (nothing learned yet), so there is no learned γ, β to "
                        "compare: move the training step later."),
           Precondition("most units vary in the mini-batch", varying >= VARYING_SHARE,
                        f"Not judged: in only {pct(varying)} of layer {layer}'s units do the "
                        "values vary within the mini-batch (σ²_B large against ε) — in the "
                        "others z_norm sits near 0 instead of spreading with variance 1, so the "
                        "share of g's inputs in its nearly linear middle says nothing about "
                        "γ, β."))
    if verdict.first_failed(pre):
        return abstain(MIDDLE_CLAIM, pre, ev, MIDDLE_THRESHOLD, raw)
    head = (f"At γ = 1, β = 0, {pct(mid.identity)} of layer {layer}'s {mid.n_values} inputs "
            f"of g sit in its nearly linear middle; at the learned γ, β {pct(mid.learned)} do")
    outcome = compare(mid.identity - mid.learned, MIDDLE_THRESHOLD)
    tail = {Outcome.HOLDS: ": learning γ, β moved them out, so the layer uses the curve.",
            Outcome.REVERSED: ": the learned γ, β pulled them further in — this network kept "
                              "the layer nearly linear.",
            Outcome.NO_EFFECT: ": the learned γ, β changed little (within "
                               f"{100 * MIDDLE_THRESHOLD:g} percentage points)."}[outcome]
    return Verdict(outcome, head + tail, ev, MIDDLE_THRESHOLD, MIDDLE_CLAIM, pre, raw)


def middle_of(batch: Batch, eps: float, activation: str) -> Verdict:
    """:func:`sigmoid_verdict` of layer ``batch.layer`` at the step of ``batch``, with its raw
    arrays."""
    mid = layer_middle(batch, eps, activation)
    moved = not (np.all(batch.gamma == 1.0) and np.all(batch.beta == 0.0))
    raw = {"z": batch.z, "gamma": batch.gamma, "beta": batch.beta, "eps": eps,
           "activation": activation, "half_width": MIDDLE.get(activation, float("nan"))}
    return sigmoid_verdict(mid, activation, True, batch.layer, raw, moved,
                           varying_units(batch, eps))


# ---------------------------------------------------------------- undo, and any mean and spread
UNDO_TOLERANCE = 1e-9  # "equals z": far above rounding (relative to the size of z)
UNDO = verdict.claim(
    "inside_layer.gamma_and_beta.undo",
    where="Inside a BN layer → γ and β (first sentence, “γ, β used” = undo BN)",
    words="With γ = √(σ²_B + ε) = … and β = μ_B = …, z̃ equals z to … (rounding): γ and β can "
          "undo BN entirely, so BN never takes a representation away from the network. / … "
          "z̃ differs from z by …: more than rounding — this should not happen.",
    preconditions=("the values are finite (the run did not diverge)",),
    threshold=f"max |z̃ − z| ≤ {UNDO_TOLERANCE:g}·max(1, max |z|)",
    test="tests/test_inside_layer.py::test_undo_verdict_branches, "
         "tests/test_claims_inside_layer.py::"
         "test_undo_gives_z_back_and_gamma_beta_give_any_spread_over_seeds")


def undo_verdict(st: Stages) -> Verdict:
    """'γ = √(σ²_B + ε), β = μ_B give z̃ = z' for the staged row ``st`` (computed with those
    γ, β)."""
    diff = undo_difference(st)
    g, b = undo(st)
    size = float(np.max(np.abs(st.z))) if len(st.z) else 0.0
    ev = {"γ": g, "β": b, "max |z̃ − z|": diff}
    raw = {"z": st.z, "eps": st.eps}
    pre = (Precondition("the values are finite", bool(np.isfinite(diff)),
                        "The training run diverged (the values are not finite numbers), so "
                        "there is nothing to undo: choose a smaller learning rate α."),)
    if verdict.first_failed(pre):
        return abstain(UNDO, pre, ev, UNDO_TOLERANCE, raw)
    if diff <= UNDO_TOLERANCE * max(1.0, size):
        return Verdict(Outcome.HOLDS,
                       f"With γ = √(σ²_B + ε) = {num(g)} and β = μ_B = {num(b)}, z̃ equals z "
                       f"to {diff:.1e} (rounding): γ and β can undo BN entirely, so BN never "
                       "takes a representation away from the network.", ev, UNDO_TOLERANCE,
                       UNDO, pre, raw)
    return Verdict(Outcome.REVERSED,
                   f"With γ = √(σ²_B + ε) = {num(g)} and β = μ_B = {num(b)}, z̃ differs from z "
                   f"by {num(diff)}: more than rounding — this should not happen.", ev,
                   UNDO_TOLERANCE, UNDO, pre, raw)


def snap(x: float, to: float) -> float:
    """``to`` when ``x`` equals it up to rounding (1e-9), else ``x`` (so that "mean −1.00 (= β)"
    does not print as "−1.000" from 0.9999999999)."""
    return float(to) if abs(x - to) <= 1e-9 * max(1.0, abs(to)) else x


SPREAD_TOLERANCE = 0.01  # z_norm's variance within 1 % of 1 (σ²_B ≥ 99 ε)
SPREAD = verdict.claim(
    "inside_layer.gamma_and_beta.any_mean_std",
    where="Inside a BN layer → γ and β (first sentence, “γ, β used” = learned or sliders)",
    words="z̃ = γ·z_norm + β now has mean … (= β) and standard deviation … (≈ |γ| = …): with γ "
          "and β any mean and variance is possible. Press Undo BN to get z back. / This unit's z "
          "barely varies in this mini-batch (σ²_B = … against ε = …): z_norm has standard "
          "deviation …, so z̃ has mean … and standard deviation … (|γ| times …) …",
    preconditions=("σ²_B ≫ ε, i.e. z_norm has variance ≥ 0.99 (else: γ only scales what is "
                   "left of the spread)", "the values are finite (the run did not diverge)"),
    threshold="mean = β to rounding; standard deviation within 1 % of |γ|",
    test="tests/test_inside_layer.py::test_spread_verdict_branches, "
         "tests/test_claims_inside_layer.py::"
         "test_undo_gives_z_back_and_gamma_beta_give_any_spread_over_seeds")


def spread_verdict(st: Stages) -> Verdict:
    """'With γ and β any mean and standard deviation of z̃ is possible': z̃ has mean β and
    standard deviation |γ| — when z_norm has variance 1 (σ²_B ≫ ε)."""
    mean_t, std_t = float(np.mean(st.z_tilde)), float(np.std(st.z_tilde))
    mean_t = snap(mean_t, st.beta)
    std_n = float(np.std(st.z_norm))
    ev = {"mean of z̃": mean_t, "std of z̃": std_t, "std of z_norm": std_n, "γ": st.gamma,
          "β": st.beta}
    raw = {"z": st.z, "gamma": st.gamma, "beta": st.beta, "eps": st.eps}
    finite = bool(np.isfinite(mean_t) and np.isfinite(std_t))
    pre = (Precondition("the values are finite", finite,
                        "The training run diverged (the values are not finite numbers): choose "
                        "a smaller learning rate α."),
           Precondition("σ²_B ≫ ε", finite and std_n ** 2 >= 1 - SPREAD_TOLERANCE,
                        f"This unit's z barely varies in this mini-batch (σ²_B = "
                        f"{num(st.sigma2)} against ε = {num(st.eps)}): z_norm has standard "
                        f"deviation {num(std_n)}, not 1, so z̃ has mean {num(mean_t)} and "
                        f"standard deviation {num(std_t)} (|γ| times {num(std_n)}) — γ scales "
                        "only what spread is left. Press **Undo BN** to get z back."))
    if verdict.first_failed(pre):
        return abstain(SPREAD, pre, ev, SPREAD_TOLERANCE, raw)
    return Verdict(Outcome.HOLDS,
                   f"z̃ = γ·z_norm + β now has mean {num(mean_t)} (= β) and standard deviation "
                   f"{num(std_t)} (≈ |γ| = {num(abs(st.gamma))}): with γ and β any mean and "
                   "variance is possible. "
                   "Press **Undo BN** to get z back.", ev, SPREAD_TOLERANCE, SPREAD, pre, raw)


def curve_points(activation: str, lo: float = -6.0, hi: float = 6.0, n: int = 241
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(x, g(x)) for drawing the activation g (``bnsim.network.activation``)."""
    x = np.linspace(lo, hi, n)
    return x, network.activation(activation, x)
