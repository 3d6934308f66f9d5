"""Trajectory: μ_B and σ²_B step by step with the running estimates and the population values,
the table behind the plot, and the tab's verdicts — from which step an estimator stays within
the tolerance (:func:`settles_verdict`), whether σ²_B falls short of σ²_pop
(:func:`variance_shortfall_verdict`) and, in a layer without BN, whether the μ_B scatter as
random mini-batches predict (:func:`batch_mean_spread_verdict`).

Each verdict returns a :class:`bnsim.verdict.Verdict` with explicit thresholds and a branch per
outcome.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bnsim.lessons.running_stats.common import (
    NOUN,
    RUNNING,
    STAT,
    Estimates,
    UnitStats,
    cap,
    share,
    variance_kind,
)
from bnsim.modes import Variance
from bnsim.verdict import Outcome, Verdict, compare, num, pct

NOISE_SE = 2.0  # a mean ratio differs from its expectation beyond 2 standard errors
SPREAD_BOUNDS = (0.8, 1.25)  # μ_B scatter "as σ_pop/√m predicts" within these factors
MIN_SNAPSHOTS = 10  # fewer finite snapshot values: too few to judge


def trajectory_frame(us: UnitStats, est: Estimates | None, variance: str,
                     shown=(*RUNNING, "population")) -> pd.DataFrame:
    """Tidy table of what the trajectory plot shows: step, layer, unit (j, counted from 1 as
    on screen), statistic ("mean"/"variance"), series ("batch", the estimators in ``shown``,
    "population"), value, plus β_EMA and the variance kind."""
    parts = []
    for stat, label in (("mean", "mean"), ("var", "variance")):
        parts.append(pd.DataFrame({"step": us.steps, "statistic": label, "series": "batch",
                                   "value": us.batch(stat, variance)}))
        if est is not None:
            for name in RUNNING:
                if name in shown:
                    parts.append(pd.DataFrame({"step": us.steps, "statistic": label,
                                               "series": name,
                                               "value": est.get(name, stat, variance)}))
        if "population" in shown:
            parts.append(pd.DataFrame({"step": us.pop_steps, "statistic": label,
                                       "series": "population",
                                       "value": us.population(stat, variance)}))
    df = pd.concat(parts, ignore_index=True)
    df.insert(1, "layer", us.layer)
    df.insert(2, "unit", us.unit + 1)  # as on screen: units count from 1
    df["beta_ema"] = np.nan if est is None else est.beta
    df["variance"] = str(variance)
    return df


def within_from(steps: np.ndarray, rel: np.ndarray, tol: float) -> int | None:
    """The step from which on the relative error stays ≤ ``tol`` at every later snapshot step
    (None if it is still above ``tol`` at the last one). A population value that happens to
    cross the estimate early doesn't count: the estimate has to stay close."""
    above = np.flatnonzero(~(np.asarray(rel) <= tol))  # NaN counts as above
    if not len(above):
        return int(steps[0])
    return None if above[-1] == len(steps) - 1 else int(steps[above[-1] + 1])


def settles_verdict(steps: np.ndarray, rel: np.ndarray, tol: float, name: str, stat: str
                    ) -> Verdict:
    """Does estimator ``name`` of ``stat`` stay within ``tol`` of the population from some step
    on? ``rel`` (S,): its relative errors at the snapshot ``steps``.

    HOLDS: within ``tol`` at every snapshot from step s on (evidence ``from_step``); NO_EFFECT:
    within it only at the last snapshot, too late to say it stays; REVERSED: still outside at
    the last step; NOT_APPLICABLE: no finite error at the end (σ_pop = 0: a constant unit).
    """
    steps, rel = np.asarray(steps), np.asarray(rel, dtype=float)
    sym, scale = STAT[stat]
    who = f"{NOUN[name]} of {sym}"
    last = int(steps[-1])
    final = float(rel[-1])
    s = within_from(steps, rel, tol)
    ev = {"from_step": float("nan") if s is None else float(s), "final": final, "tol": tol,
          "last_step": float(last)}
    if not np.isfinite(final):
        return Verdict(Outcome.NOT_APPLICABLE, f"{cap(who)} has no population value to be "
                       f"compared with at step {last} ({scale} = 0: the unit is constant).",
                       ev, tol)
    if s is None:
        return Verdict(Outcome.REVERSED, f"{cap(who)} is still {share(final)} of {scale} off "
                       f"at step {last}, outside the {pct(tol, 0)} tolerance.", ev, tol)
    if s == last and len(steps) > 1:
        return Verdict(Outcome.NO_EFFECT, f"{cap(who)} is within {pct(tol, 0)} of {scale} "
                       f"only at the last step ({last}): too late to tell whether it stays.",
                       ev, tol)
    return Verdict(Outcome.HOLDS, f"{cap(who)} stays within {pct(tol, 0)} of {scale} from "
                   f"step {s} on ({share(final)} off at step {last}).", ev, tol)


def variance_ratios(us: UnitStats, variance: str) -> np.ndarray:
    """σ²_B / σ²_pop (same kind for both) at the snapshot steps where it is finite."""
    b = us.sigma2(variance)[us.pop_steps - 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = b / us.pop_var(variance)
    return r[np.isfinite(r)]


def variance_shortfall_verdict(us: UnitStats, variance: str, bn_below: bool) -> Verdict:
    """Does σ²_B of the chosen kind fall short of σ²_pop on average (over the snapshot steps)?

    For m examples drawn at random from N, the biased σ²_B averages (m − 1)/m·N/(N − 1) of the
    biased σ²_pop and the unbiased m/(m − 1)·σ²_B exactly the unbiased σ²_pop (evidence
    ``ratio``: the mean of σ²_B / σ²_pop). The noise margin is ``NOISE_SE`` standard errors of
    the mean ratio, measured from the ratios themselves.
    HOLDS: below 1 beyond the margin; REVERSED: above it; NO_EFFECT: within it;
    NOT_APPLICABLE: BN in the layer below (z then depends on its batch-mates, so the
    i.i.d. argument does not apply), or fewer than ``MIN_SNAPSHOTS`` finite ratios.
    """
    kind = variance_kind(variance)
    r = variance_ratios(us, kind)
    m = us.m
    expected = (m - 1) / m if kind is Variance.BIASED else 1.0
    ratio = float(r.mean()) if len(r) else float("nan")
    margin = NOISE_SE * float(r.std(ddof=1) / np.sqrt(len(r))) if len(r) > 1 else float("nan")
    ev = {"ratio": ratio, "expected": expected, "margin": margin, "m": float(m)}
    what = (f"The biased σ²_B of m = {m}" if kind is Variance.BIASED
            else f"The unbiased m/(m − 1)·σ²_B of m = {m}")
    avg = f"{what} average {pct(ratio)} of σ²_pop"
    if len(r) < MIN_SNAPSHOTS:
        return Verdict(Outcome.NOT_APPLICABLE, f"Too few population values to compare σ²_B "
                       f"with ({len(r)}).", ev, margin)
    if bn_below:
        return Verdict(Outcome.NOT_APPLICABLE, f"{avg}. Here (m − 1)/m does not apply: BN in "
                       f"layer {us.layer - 1} normalises each mini-batch by its own statistics, "
                       f"so z^[{us.layer}] depends on its batch-mates.", ev, margin)
    outcome = compare(1 - ratio, margin)
    noise = f"±{pct(margin)}"
    if kind is Variance.BIASED:
        text = {
            Outcome.HOLDS: f"{avg}, below it by more than the noise ({noise}): the 1/m "
                           f"formula of σ²_B misses part of the spread; (m − 1)/m = "
                           f"{pct(expected)}.",
            Outcome.NO_EFFECT: f"{avg}, within the noise ({noise}): at m = {m} the expected "
                               f"shortfall 1/m = {pct(1 / m)} is too small to see here.",
            Outcome.REVERSED: f"{avg}, more than σ²_pop beyond the noise ({noise}), although "
                              f"(m − 1)/m = {pct(expected)} predicts less.",
        }[outcome]
    else:
        text = {
            Outcome.HOLDS: f"{avg}, below it by more than the noise ({noise}) even after the "
                           "factor m/(m − 1).",
            Outcome.NO_EFFECT: f"{avg}, within the noise ({noise}): the factor m/(m − 1) "
                               "removes the 1/m shortfall.",
            Outcome.REVERSED: f"{avg}, more than σ²_pop beyond the noise ({noise}).",
        }[outcome]
    return Verdict(outcome, text, ev, margin)


def batch_mean_spread_verdict(us: UnitStats, bn_below: bool) -> Verdict:
    """Do the μ_B of a layer without BN scatter around μ_pop as random mini-batches predict,
    σ_pop/√m·√((N − m)/(N − 1)) (m of N drawn without replacement)?

    ``ratio``: root mean square of (μ_B − μ_pop)/prediction over the snapshot steps. HOLDS:
    within ``SPREAD_BOUNDS``; REVERSED: outside (the sentence says more or less);
    NOT_APPLICABLE: BN below (z depends on the batch-mates) or fewer than ``MIN_SNAPSHOTS``
    finite values. (No NO_EFFECT: the verdict is about a size, not a difference.)
    """
    idx = us.pop_steps - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        n_ratio = us.pop_var_u / us.pop_var_b  # N/(N − 1)
        n_train = n_ratio / (n_ratio - 1)
        fpc = np.sqrt(np.clip((n_train - us.m) / (n_train - 1), 0, 1))
        predicted = np.sqrt(us.pop_var_b) / np.sqrt(us.m) * np.where(np.isfinite(fpc), fpc, 1)
        z = (us.mu[idx] - us.pop_mean) / predicted
    ok = np.isfinite(z)
    ratio = float(np.sqrt(np.mean(z[ok] ** 2))) if ok.sum() else float("nan")
    last = float(predicted[ok][-1]) if ok.any() else float("nan")
    ev = {"ratio": ratio, "predicted_last": last}
    lo, hi = SPREAD_BOUNDS
    if ok.sum() < MIN_SNAPSHOTS:
        return Verdict(Outcome.NOT_APPLICABLE, "Too few population values to compare the μ_B "
                       "with.", ev, hi - 1)
    said = (f"Its μ_B scatter around μ_pop by {num(ratio)} × σ_pop/√m on average "
            f"(σ_pop/√m = {num(last)} at the end)")
    if bn_below:
        return Verdict(Outcome.NOT_APPLICABLE, f"{said}; random sampling alone does not predict "
                       f"it here: BN in layer {us.layer - 1} makes z depend on its batch-mates.",
                       ev, hi - 1)
    if lo <= ratio <= hi:
        return Verdict(Outcome.HOLDS, f"{said}, as random mini-batches of m = {us.m} predict.",
                       ev, hi - 1)
    more = "more" if ratio > hi else "less"
    return Verdict(Outcome.REVERSED, f"{said}: {more} than random mini-batches of m = {us.m} "
                   "predict.", ev, hi - 1)
