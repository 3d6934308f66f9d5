"""Tab "One mini-batch": the rows of :func:`bnsim.lessons.inside_layer.common.stages` and the
bias before BN — b^[l] moves z but not z_norm or anything after it (:func:`bias_check`, judged
by :func:`bias_verdict`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from bnsim import verdict
from bnsim.lessons.inside_layer.common import Stages, stages
from bnsim.verdict import Outcome, Precondition, Verdict, abstain, num

SHOW_NUMBERS_MAX_M = 8  # the "show numbers" table lists the values up to this batch size
BIAS_TOLERANCE = 1e-9  # "does not move": far above rounding, far below anything visible
DIVERGED = ("These values are not finite numbers (the training run diverged), so nothing is "
            "centred or scaled here: choose a smaller learning rate α.")


class BiasCheck(NamedTuple):
    b: float
    z_moved: float  # how far z moved (= |b|)
    largest_difference: float  # max |Δ| over z_norm, z̃ and a between b = 0 and this b


def bias_check(z, b: float, gamma: float, beta: float, eps: float, activation: str) -> BiasCheck:
    """Add ``b`` before BN: z moves by b, μ_B by b, and z − μ_B (hence all after) stays put."""
    s0 = stages(z, gamma, beta, eps, activation)
    s1 = stages(z, gamma, beta, eps, activation, b=b)
    diff = max(float(np.max(np.abs(getattr(s1, k) - getattr(s0, k))))
               for k in ("z_norm", "z_tilde", "a"))
    return BiasCheck(float(b), float(np.max(np.abs(s1.z - s0.z))), diff)


BIAS_CANCELLED = verdict.claim(
    "inside_layer.one_mini_batch.bias_cancelled",
    where="Inside a BN layer → One mini-batch (The bias b^[l] is redundant)",
    words="Adding b^[l] = … moved every z by …, and z_norm, z̃ and a changed by at most … "
          "(rounding): μ_B absorbs b^[l], so β^[l] takes its role. / … changed z_norm by up to "
          "…: more than rounding — this should not happen.",
    preconditions=("b^[l] ≠ 0 (else: there is nothing to cancel, move the slider)",
                   "the values are finite (else: the run diverged)"),
    threshold=f"{BIAS_TOLERANCE:g} (rounding) on max |Δ| of z_norm, z̃, a",
    test="tests/test_inside_layer.py::test_bias_verdict_branches, "
         "tests/test_claims_inside_layer.py::test_bias_is_cancelled_over_seeds")


def bias_verdict(check: BiasCheck, raw: dict | None = None) -> Verdict:
    """'b^[l] is cancelled by the mean subtraction' from the numbers of :func:`bias_check`
    (``raw``: z before b, b, γ, β, ε, g — what it was computed from)."""
    ev = {"b": check.b, "z moved": check.z_moved, "largest difference": check.largest_difference}
    pre = (Precondition("b ≠ 0", check.b != 0,
                        "With b^[l] = 0 there is nothing to cancel: move the b^[l] slider."),
           Precondition("the values are finite", bool(np.isfinite(check.largest_difference)),
                        DIVERGED))
    if verdict.first_failed(pre):
        return abstain(BIAS_CANCELLED, pre, ev, BIAS_TOLERANCE, raw)
    if check.largest_difference <= BIAS_TOLERANCE:
        return Verdict(Outcome.HOLDS,
                       f"Adding b^[l] = {num(check.b)} moved every z by {num(check.z_moved)}, "
                       f"and z_norm, z̃ and a changed by at most "
                       f"{check.largest_difference:.1e} (rounding): μ_B absorbs b^[l], so β^[l] "
                       "takes its role.", ev, BIAS_TOLERANCE, BIAS_CANCELLED, pre, raw or {})
    return Verdict(Outcome.REVERSED,
                   f"Adding b^[l] = {num(check.b)} changed z_norm by up to "
                   f"{num(check.largest_difference)}: more than rounding — this should not "
                   "happen.", ev, BIAS_TOLERANCE, BIAS_CANCELLED, pre, raw or {})


# ---------------------------------------------------------------- z_norm: mean 0, variance 1
UNIT_VARIANCE = 0.01  # "variance 1": within 1 % (σ²_B ≥ 99 ε)
NORMALISED = verdict.claim(
    "inside_layer.one_mini_batch.normalised",
    where="Inside a BN layer → One mini-batch (the sentence under the rows)",
    words="μ_B = … and σ²_B = … centre and scale the m values to z_norm with mean 0 and "
          "variance … (σ²_B/(σ²_B + ε)); γ = … and β = … then give z̃ mean … and standard "
          "deviation …. / σ²_B = … is not large against ε = …: z_norm has variance … , not 1 "
          "(this unit's values barely differ in this mini-batch) …",
    preconditions=("σ²_B ≫ ε, i.e. σ²_B/(σ²_B + ε) ≥ 0.99 (else the screen says z_norm's "
                   "variance is σ²_B/(σ²_B + ε), not 1)",),
    threshold="mean 0 to rounding (1e-9), variance within 1 % of 1",
    test="tests/test_inside_layer.py::test_normalised_verdict_branches, "
         "tests/test_claims_inside_layer.py::test_rows_normalise_to_mean_0_variance_1_over_seeds")


def normalised_verdict(st: Stages) -> Verdict:
    """'μ_B and σ²_B centre and scale the values to mean 0, variance 1' for one unit's row;
    NOT_APPLICABLE when σ²_B is not large against ε (z_norm's variance is then visibly < 1)."""
    m = len(st.z)
    mean_n = float(np.mean(st.z_norm))
    mean_n = 0.0 if abs(mean_n) <= 1e-9 else mean_n  # 0 up to rounding
    var_n = float(np.var(st.z_norm))
    mean_t = float(np.mean(st.z_tilde))
    mean_t = float(st.beta) if abs(mean_t - st.beta) <= 1e-9 * max(1.0, abs(st.beta)) else mean_t
    std_t = float(np.std(st.z_tilde))
    ev = {"μ_B": st.mu, "σ²_B": st.sigma2, "mean of z_norm": mean_n, "variance of z_norm": var_n,
          "mean of z̃": mean_t, "std of z̃": std_t}
    raw = {"z": st.z, "gamma": st.gamma, "beta": st.beta, "eps": st.eps}
    tail = (f"γ = {num(st.gamma)} and β = {num(st.beta)} then give z̃ mean {num(mean_t)} and "
            f"standard deviation {num(std_t)}.")
    shrink = st.sigma2 / (st.sigma2 + st.eps) if np.isfinite(st.sigma2) else float("nan")
    pre = (Precondition("σ²_B ≫ ε", bool(np.isfinite(shrink) and shrink >= 1 - UNIT_VARIANCE),
                        f"σ²_B = {num(st.sigma2)} is not large against ε = {num(st.eps)}: "
                        f"z_norm has mean {num(mean_n)} and variance {num(var_n)} "
                        "(σ²_B/(σ²_B + ε)), not 1 — this unit's values barely differ in this "
                        f"mini-batch, and ε keeps BN from blowing them up. {tail}"
                        if np.isfinite(shrink) else DIVERGED),)
    if verdict.first_failed(pre):
        return abstain(NORMALISED, pre, ev, UNIT_VARIANCE, raw,
                       lead=f"μ_B = {num(st.mu)}. ")
    ok = abs(mean_n) <= 1e-9 and abs(var_n - 1) <= UNIT_VARIANCE
    if not ok:
        return Verdict(Outcome.REVERSED, f"z_norm has mean {num(mean_n)} and variance "
                       f"{num(var_n)}: not mean 0 and variance 1 — this should not happen.",
                       ev, UNIT_VARIANCE, NORMALISED, pre, raw)
    return Verdict(Outcome.HOLDS,
                   f"μ_B = {num(st.mu)} and σ²_B = {num(st.sigma2)} centre and scale the {m} "
                   f"values to z_norm with mean {num(mean_n)} and variance {num(var_n)} "
                   f"(σ²_B/(σ²_B + ε)); {tail}", ev, UNIT_VARIANCE, NORMALISED, pre, raw)
