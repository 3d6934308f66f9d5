"""Error vs population: how far each running estimate is from the population value at the
snapshot steps, and the tab's verdicts — whether bias correction brings the EMA closer at its
window 1/(1 − β_EMA) (:func:`start_value_lag_verdict`) and whether the cumulative average trails
a network that is still learning (:func:`trails_verdict`).

The errors themselves (:func:`bnsim.lessons.running_stats.common.errors`) are shared with the
trajectory's takeaway.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from bnsim.lessons.running_stats.common import (
    INIT,
    STAT,
    Errors,
    Estimates,
    UnitStats,
    effective_window,
    share,
    value_range,
)
from bnsim.modes import Variance
from bnsim.verdict import Outcome, Precondition, Verdict, abstain, claim, compare, first_failed, pct

LAG_MARGIN = 0.05  # bias correction "helps" when it brings the EMA closer by > 5 % of σ_pop
TRAIL_FACTOR = 2.0  # "trails": ≥ 2× as far off as the other estimator ...
TRAIL_MIN = 0.10  # ... and ≥ 10 % (of σ_pop or σ²_pop) off, whatever the view's tolerance
TEST = "tests/test_claims_running_stats.py"
LAG_CLAIM = claim(
    "running_stats.error_vs_population.start_value_lag",
    where="Running statistics → Error vs population (takeaway, first sentence)",
    words="At step s the start value v₀ = 0 still weighs β_EMA^s = w: the EMA of μ is e off, the "
          "bias-corrected EMA only e' / , yet the bias-corrected EMA is further off: the pull "
          "towards v₀ happened to help here / the two differ by β_EMA^s·|v̂ − v₀| = g: bias "
          "correction changes little here / they are about equally far off, on opposite sides",
    preconditions=("β_EMA > 0 (a start value left to correct)",
                   "a population value to compare with at step s"),
    threshold="5 % of σ_pop (*bias correction helps*)",
    test=f"{TEST}::test_start_value_lag_oracle_over_seeds")
TRAILS_CLAIM = claim(
    "running_stats.error_vs_population.trails",
    where="Running statistics → Error vs population (takeaway, with the cumulative average "
          "shown)",
    words="The cumulative average trails the learning network: at step T its μ/σ² is c off, the "
          "EMA's e / Here the EMA trails more than the cumulative average / The cumulative "
          "average does not trail the EMA by much",
    preconditions=("population values to compare with",
                   "the population values moved (> 10 % from their final values)"),
    threshold="≥ 10 % off and ≥ 2× as far off (*trails*)",
    test=f"{TEST}::test_trails_oracle_over_seeds")


class ErrorAt(NamedTuple):
    """The relative error of an estimator at one snapshot step."""

    step: int
    rel: float


def snapshot_from(steps: np.ndarray, step: float) -> int:
    """Index of the first snapshot step ≥ ``step`` (else of the last one)."""
    return min(int(np.searchsorted(steps, step, side="left")), len(steps) - 1)


def error_at(steps: np.ndarray, rel: np.ndarray, step: float) -> ErrorAt:
    """The snapshot step and relative error at the first snapshot step ≥ ``step`` (else at the
    last one)."""
    i = snapshot_from(steps, step)
    return ErrorAt(int(steps[i]), float(rel[i]))


def error_ceiling(us: UnitStats, stat: str, variance: str = Variance.UNBIASED) -> float:
    """An upper bound (relative, 1 = 100 %) for the error of any estimator at any snapshot step,
    independent of β_EMA: the estimators stay within
    :func:`~bnsim.lessons.running_stats.common.value_range` (without padding)."""
    lo, hi = value_range(us, stat, variance)
    pop = us.population(stat, variance)
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = np.maximum(np.abs(lo - pop), np.abs(hi - pop)) / us.scale(stat, variance)
    bound = bound[np.isfinite(bound)]
    return float(bound.max()) if len(bound) else 1.0


def start_value_lag_verdict(us: UnitStats, est: Estimates, errs: Errors, stat: str = "mean",
                            variance: str = Variance.UNBIASED) -> Verdict:
    """Does bias correction bring the EMA closer to the population at step s ≈ 1/(1 − β_EMA)
    (the first snapshot step ≥ the window, or the last step)?

    The plain EMA is v_s = (1 − β^s)·v̂_s + β^s·v_0, so the two differ by exactly
    β^s·|v̂_s − v_0| (``gap``). HOLDS: the bias-corrected EMA is closer by more than
    ``LAG_MARGIN``; REVERSED: further by more than that (pulling towards v_0 happened to help);
    NO_EFFECT: within the margin — the correction itself is small (``gap`` ≤ the margin), or it
    moves the estimate across the population value, about as far on the other side;
    NOT_APPLICABLE: β_EMA = 0 (no start value left to correct) or no finite error.
    """
    beta = est.beta
    sym, scale = STAT[stat]
    v0 = INIT[stat]
    window = round(effective_window(beta), 9)  # 1/(1 − 0.9) is 10.000000000000002
    i = snapshot_from(errs.steps, window)
    s = int(errs.steps[i])
    e, eb = float(errs.rel[stat]["ema"][i]), float(errs.rel[stat]["ema_bc"][i])
    w = beta ** s
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = abs(w * (est.get("ema_bc", stat, variance)[s - 1] - v0)) / us.scale(stat,
                                                                                  variance)[i]
    ev = {"step": float(s), "weight": w, "ema": e, "ema_bc": eb, "gap": float(gap)}
    raw = {"beta": float(beta), "steps": errs.steps, "ema": est.get("ema", stat, variance),
           "ema_bc": est.get("ema_bc", stat, variance), "pop": us.population(stat, variance),
           "scale": us.scale(stat, variance), "v0": v0, "stat": stat}
    pre = (Precondition("β_EMA > 0", beta > 0, "With β_EMA = 0 the EMA is just the last "
                        "mini-batch's value: no start value is left to correct."),
           Precondition("a population value to compare with", bool(np.isfinite(e)
                                                                  and np.isfinite(eb)),
                        f"No population value to compare the EMA of {sym} with at step {s}."))
    if first_failed(pre) is not None:
        return abstain(LAG_CLAIM, pre, ev, LAG_MARGIN, raw)
    start = f"At step {s} the start value v₀ = {v0:g} still weighs β_EMA^{s} = {pct(w)}"
    outcome = compare(e - eb, LAG_MARGIN)
    if outcome is Outcome.HOLDS:
        text = (f"{start}: the EMA of {sym} is {share(e)} of {scale} off, the bias-corrected EMA "
                f"only {share(eb)}.")
    elif outcome is Outcome.REVERSED:
        text = (f"{start}, yet the bias-corrected EMA of {sym} is further off ({share(eb)} of "
                f"{scale}) than the EMA ({share(e)}): the pull towards v₀ happened to help here.")
    elif gap <= LAG_MARGIN:
        text = (f"{start}; the EMA of {sym} ({share(e)} of {scale} off) and the bias-corrected "
                f"EMA ({share(eb)}) differ by β_EMA^{s}·|v̂ − v₀| = {share(gap)} of {scale}: "
                f"bias correction changes little here.")
    else:
        text = (f"{start}; bias correction moves the EMA of {sym} by β_EMA^{s}·|v̂ − v₀| = "
                f"{share(gap)} of {scale}, across {sym}_pop: the EMA ({share(e)} off) and the "
                f"bias-corrected EMA ({share(eb)}) are about equally far from it, on opposite "
                "sides.")
    return Verdict(outcome, text, ev, LAG_MARGIN, LAG_CLAIM, pre, raw)


def moved(us: UnitStats, stat: str, variance: str) -> float:
    """How far the population value strayed from its final value over training (relative)."""
    pop = us.population(stat, variance)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.abs(pop - pop[-1]) / us.scale(stat, variance)[-1]
    d = d[np.isfinite(d)]
    return float(d.max()) if len(d) else float("nan")


def trails_verdict(us: UnitStats, errs: Errors, variance: str = Variance.UNBIASED) -> Verdict:
    """Does the cumulative average trail a network that is still learning, further off at the
    last step than the EMA? Judged on the statistics (μ, σ²) whose population value moved.

    HOLDS: for a statistic whose population value moved more than ``TRAIL_MIN``, the
    cumulative average ends ≥ ``TRAIL_MIN`` off and ≥ ``TRAIL_FACTOR``× as far off as the EMA
    (the sentence names which statistic); REVERSED: the EMA trails the cumulative average that
    way; NO_EFFECT: neither; NOT_APPLICABLE: the population values hardly moved (never more
    than ``TRAIL_MIN`` from their final values), so there is nothing to trail, or no finite
    errors. The thresholds do not follow the view's tolerance, so the verdict does not change
    when the tolerance slider moves.
    """
    tol = TRAIL_MIN
    last = int(errs.steps[-1])
    fin = {st: (float(errs.rel[st]["cumulative"][-1]), float(errs.rel[st]["ema"][-1]))
           for st in ("mean", "var")}
    far = {st: moved(us, st, variance) for st in ("mean", "var")}
    ev = {"cum_mean": fin["mean"][0], "ema_mean": fin["mean"][1], "cum_var": fin["var"][0],
          "ema_var": fin["var"][1], "moved_mean": far["mean"], "moved_var": far["var"]}
    raw = {"cumulative": {st: errs.rel[st]["cumulative"] for st in fin},
           "ema": {st: errs.rel[st]["ema"] for st in fin},
           "pop": {st: us.population(st, variance) for st in fin},
           "scale": {st: us.scale(st, variance) for st in fin}, "steps": errs.steps}
    finite = [st for st in fin if all(np.isfinite(fin[st])) and np.isfinite(far[st])]
    mov = [st for st in finite if far[st] > tol]
    pre = (Precondition("population values to compare with", bool(finite),
                        "No population values to compare the estimates with."),
           Precondition("the population values moved", bool(mov),
                        f"The population values hardly moved during training (μ_pop stayed "
                        f"within {share(far['mean'])} of σ_pop of its final value, σ²_pop "
                        f"within {share(far['var'])}): there is nothing for an estimate to "
                        "trail."))
    if first_failed(pre) is not None:
        return abstain(TRAILS_CLAIM, pre, ev, tol, raw)

    def lags(a: float, b: float) -> bool:
        return a > tol and a >= TRAIL_FACTOR * b

    cum_first = sorted(mov, key=lambda st: -fin[st][0])
    for st in cum_first:
        c, e = fin[st]
        if lags(c, e):
            sym, scale = STAT[st]
            return Verdict(Outcome.HOLDS, f"The cumulative average trails the learning network: "
                           f"at step {last} its {sym} is {share(c)} of {scale} off, the EMA's "
                           f"{share(e)}, because it weighs the first mini-batches as much as "
                           "the last.", ev, tol, TRAILS_CLAIM, pre, raw)
    for st in sorted(mov, key=lambda st: -fin[st][1]):
        c, e = fin[st]
        if lags(e, c):
            sym, scale = STAT[st]
            return Verdict(Outcome.REVERSED, f"Here the EMA trails more than the cumulative "
                           f"average: at step {last} its {sym} is {share(e)} of {scale} off, the "
                           f"cumulative average's {share(c)}.", ev, tol, TRAILS_CLAIM, pre, raw)
    st = cum_first[0]
    c, e = fin[st]
    sym, scale = STAT[st]
    return Verdict(Outcome.NO_EFFECT, f"The cumulative average does not trail the EMA by much: "
                   f"at step {last} its {sym} is {share(c)} of {scale} off, the EMA's "
                   f"{share(e)}.", ev, tol, TRAILS_CLAIM, pre, raw)
