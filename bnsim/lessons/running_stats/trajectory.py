"""Trajectory: μ_B and σ²_B step by step with the running estimates and the population values,
the table behind the plot, and the tab's verdicts (each a registered claim with preconditions
and raw arrays, checked by ``benchmarks/claim_oracles/running_stats.py``):

- from which step an estimator *settles* within the tolerance (:func:`settles_verdict`, one
  estimator; :func:`tracking_verdict`, the sentence on screen);
- how σ²_B compares with σ²_pop and what the running σ̂² then means in eval mode
  (:func:`variance_shortfall_verdict`, :func:`eval_spread_verdict`: the tab's second part,
  :mod:`bnsim.lessons.running_stats.trajectory_variance`, imported here);
- in a layer without BN, whether the μ_B scatter as random mini-batches predict, or, with BN
  below, how much the batch-mates change that (:func:`batch_mean_spread_verdict`).

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
    layers_phrase,
    share,
)
from bnsim.lessons.running_stats.trajectory_variance import (  # noqa: F401 - the tab's API
    BATCH_MATES_CLAIM,
    EVAL_SPREAD_CLAIM,
    MIN_SNAPSHOTS,
    NOISE_SE,
    SPREAD_BOUNDS,
    START_LEFT,
    TEST,
    VARIANCE_CLAIM,
    IidVariance,
    eval_spread_verdict,
    iid_batch_variance,
    mean_and_margin,
    variance_ratios,
    variance_shortfall_verdict,
)
from bnsim.verdict import (
    Outcome,
    Precondition,
    Verdict,
    abstain,
    claim,
    first_failed,
    num,
    pct,
)


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


SETTLES_CLAIM = claim(
    "running_stats.trajectory.settles", where="Running statistics → Trajectory (per estimator)",
    words="The EMA of μ stays within x % of σ_pop from step s on (e off at step T) / is within "
          "x % only at the last step (T): too late to tell whether it stays / is still e off "
          "at step T, outside the x % tolerance",
    preconditions=("a population value to compare with (σ_pop > 0 at the last stored step)",),
    threshold="the Tolerance slider (*settles*)",
    test=f"{TEST}::test_settles_oracle_over_seeds")
TRACKING_CLAIM = claim(
    "running_stats.trajectory.tracking", where="Running statistics → Trajectory (first takeaway)",
    words="μ settles within x % of σ_pop of the population value: the EMA from step s on; the "
          "bias-corrected EMA only at the last step (T); the cumulative average not by step T "
          "(e off) — one sentence for μ, one for σ²; when an EMA does not settle and x is below "
          "its noise: This tolerance is below the EMA's own batch noise: … strays by about f",
    preconditions=("an estimator is shown",
                   "a population value to compare with (σ_pop, σ²_pop > 0)"),
    threshold="the Tolerance slider (*settles*)",
    test=f"{TEST}::test_tracking_oracle_over_seeds")
SPREAD_CLAIM = claim(
    "running_stats.trajectory.batch_mean_spread",
    where="Running statistics → Trajectory (first takeaway), a layer without BN",
    words="Its μ_B scatter around μ_pop by k × σ_pop/√m on average, as random mini-batches "
          "of m predict / more / less than random mini-batches predict",
    preconditions=("no BN in the layers below", "≥ 10 stored steps with σ_pop > 0"),
    threshold="0.8–1.25 (*as random mini-batches predict*)",
    test=f"{TEST}::test_batch_mean_spread_oracle_over_seeds")
MEAN_MATES_CLAIM = claim(
    "running_stats.trajectory.mean_batch_mates",
    where="Running statistics → Trajectory (first takeaway), a layer without BN, BN below",
    words="Its μ_B scatter around μ_pop by k × σ_pop/√m; the same mini-batches, with the "
          "layers below normalised by population statistics, would scatter by k₀ × σ_pop/√m: "
          "normalising by the batch's own statistics makes them scatter more / less, by a "
          "factor of k/k₀ / changes the scatter by a factor within 0.8–1.25",
    preconditions=("≥ 10 stored steps with σ_pop > 0", "BN in a layer below",
                   "the mini-batches could be replayed"),
    threshold="a factor of 0.8–1.25 (*as random mini-batches predict*)",
    test=f"{TEST}::test_mean_batch_mates_oracle_over_seeds")


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
    raw = {"steps": steps, "rel": rel, "tol": float(tol), "name": name, "stat": stat}
    pre = (Precondition("a population value to compare with", bool(np.isfinite(final)),
                        f"{cap(who)} has no population value to be compared with at step "
                        f"{last} ({scale} = 0: the unit is constant)."),)
    if pre[0].holds is False:
        return abstain(SETTLES_CLAIM, pre, ev, tol, raw)
    if s is None:
        outcome = Outcome.REVERSED
        text = (f"{cap(who)} is still {share(final)} of {scale} off at step {last}, outside the "
                f"{pct(tol, 0)} tolerance.")
    elif s == last and len(steps) > 1:
        outcome = Outcome.NO_EFFECT
        text = (f"{cap(who)} is within {pct(tol, 0)} of {scale} only at the last step ({last}): "
                "too late to tell whether it stays.")
    else:
        outcome = Outcome.HOLDS
        text = (f"{cap(who)} stays within {pct(tol, 0)} of {scale} from step {s} on "
                f"({share(final)} off at step {last}).")
    return Verdict(outcome, text, ev, tol, SETTLES_CLAIM, pre, raw)


def _clause(v: Verdict) -> str:
    """One estimator's part of the tracking sentence, from its settles verdict."""
    ev, name = v.evidence, v.raw["name"]
    last = int(ev["last_step"])
    if v.outcome is Outcome.HOLDS:
        return f"{NOUN[name]} from step {int(ev['from_step'])} on"
    if v.outcome is Outcome.NO_EFFECT:
        return f"{NOUN[name]} only at the last step ({last})"
    if v.outcome is Outcome.REVERSED:
        return f"{NOUN[name]} not by step {last} ({share(ev['final'])} off)"
    return f"{NOUN[name]}: no population value to compare with"


def noise_floor(batch_rel: np.ndarray, beta: float) -> float:
    """About how far an EMA of i.i.d. batch values strays by noise alone, relative: the
    standard deviation of (θ_B − population)/scale over the stored steps ``batch_rel`` times
    √((1 − β_EMA)/(1 + β_EMA)) (NaN with fewer than two finite values)."""
    x = np.asarray(batch_rel, float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return float("nan")
    return float(x.std(ddof=1) * np.sqrt((1 - beta) / (1 + beta)))


def tracking_verdict(steps: np.ndarray, rels: dict, tol: float, stat: str,
                     batch_rel: np.ndarray | None = None, beta: float | None = None) -> Verdict:
    """One sentence: from which step each estimator in ``rels`` ({name: (S,) relative errors at
    the snapshot ``steps``}, in drawing order) settles within ``tol`` of the population.
    ``batch_rel`` (S,): (θ_B − population)/scale at those steps, and ``beta``: when an EMA
    shown does not settle and ``tol`` is below its :func:`noise_floor`, a second sentence says
    that the tolerance is below the EMA's own batch noise.

    HOLDS: every one settles (stays within from a step before the last); REVERSED: none does;
    NO_EFFECT: some do; NOT_APPLICABLE: no estimator shown, or no population value (a
    constant unit)."""
    sym, scale = STAT[stat]
    parts = [settles_verdict(steps, rel, tol, name, stat) for name, rel in rels.items()]
    raw = {"steps": np.asarray(steps), "rel": {n: np.asarray(r, float) for n, r in rels.items()},
           "tol": float(tol), "stat": stat, "batch_rel": batch_rel, "beta": beta}
    ev = {f"from_{v.raw['name']}": v.evidence["from_step"] for v in parts}
    floor = (noise_floor(batch_rel, beta) if batch_rel is not None and beta is not None
             else float("nan"))
    ev["noise_floor"] = floor
    pre = (Precondition("an estimator is shown", bool(parts),
                        "Turn on an estimator (View) to compare it with the population."),
           Precondition("a population value to compare with",
                        bool(parts) and all(v.outcome is not Outcome.NOT_APPLICABLE
                                            for v in parts),
                        f"{sym}: no population value to compare the estimates with ({scale} = "
                        "0 at the last stored step: the unit is constant)."))
    if first_failed(pre) is not None:
        return abstain(TRACKING_CLAIM, pre, ev, tol, raw)
    held = [v.outcome is Outcome.HOLDS for v in parts]
    outcome = (Outcome.HOLDS if all(held) else Outcome.REVERSED if not any(held)
               else Outcome.NO_EFFECT)
    text = (f"{sym} settles within {pct(tol, 0)} of {scale} of the population value: "
            + "; ".join(_clause(v) for v in parts) + ".")
    unsettled_ema = any(v.raw["name"] in ("ema", "ema_bc") and v.outcome is not Outcome.HOLDS
                        for v in parts)
    if unsettled_ema and np.isfinite(floor) and tol < floor:
        text += (f" This tolerance is below the EMA's own batch noise: {sym}_B scatter so that "
                 f"an EMA of them strays by about {share(floor)} of {scale} (their spread × "
                 "√((1 − β_EMA)/(1 + β_EMA))).")
    return Verdict(outcome, text, ev, tol, TRACKING_CLAIM, pre, raw)


def _spread_ratio(mu: np.ndarray, us: UnitStats) -> tuple[float, float, np.ndarray]:
    """(root mean square of (μ_B − μ_pop)/prediction, the prediction at the end, the finite
    mask) for μ_B ``mu`` at the snapshot steps."""
    with np.errstate(divide="ignore", invalid="ignore"):
        n_ratio = us.pop_var_u / us.pop_var_b  # N/(N − 1)
        n_train = n_ratio / (n_ratio - 1)
        fpc = np.sqrt(np.clip((n_train - us.m) / (n_train - 1), 0, 1))
        predicted = np.sqrt(us.pop_var_b) / np.sqrt(us.m) * np.where(np.isfinite(fpc), fpc, 1)
        z = (mu - us.pop_mean) / predicted
    ok = np.isfinite(z)
    ratio = float(np.sqrt(np.mean(z[ok] ** 2))) if ok.sum() else float("nan")
    last = float(predicted[ok][-1]) if ok.any() else float("nan")
    return ratio, last, ok


def batch_mean_spread_verdict(us: UnitStats, bn_below: bool | tuple[int, ...],
                              iid: IidVariance | None = None) -> Verdict:
    """Do the μ_B of a layer without BN scatter around μ_pop as random mini-batches predict,
    σ_pop/√m·√((N − m)/(N − 1)) (m of N drawn without replacement)?

    ``ratio``: root mean square of (μ_B − μ_pop)/prediction over the snapshot steps. HOLDS:
    within ``SPREAD_BOUNDS``; REVERSED: outside (the sentence says more or less);
    NOT_APPLICABLE: fewer than ``MIN_SNAPSHOTS`` finite values. (No NO_EFFECT: the verdict is
    about a size, not a difference.) With BN below (claim :data:`MEAN_MATES_CLAIM`) the
    comparison is with ``iid``, the same mini-batches with the layers below normalised by
    population statistics: HOLDS: BN below changes the scatter by a factor outside
    ``SPREAD_BOUNDS`` (more or less); NO_EFFECT: inside; NOT_APPLICABLE: no replay.
    """
    below = ((us.layer - 1,) if bn_below is True else tuple(bn_below or ())) if us.layer > 1 \
        else ()
    idx = us.pop_steps - 1
    ratio, last, ok = _spread_ratio(us.mu[idx], us)
    ev = {"ratio": ratio, "predicted_last": last}
    raw = {"mu": us.mu[idx], "pop_mean": us.pop_mean, "pop_var_b": us.pop_var_b,
           "pop_var_u": us.pop_var_u, "m": us.m, "below": below}
    lo, hi = SPREAD_BOUNDS
    said = (f"Its μ_B scatter around μ_pop by {num(ratio)} × σ_pop/√m on average in this run "
            f"(σ_pop/√m = {num(last)} at the end)")
    enough = Precondition("≥ 10 stored steps with σ_pop > 0", int(ok.sum()) >= MIN_SNAPSHOTS,
                          "Too few population values to compare the μ_B with.")
    if below:
        return _mean_mates(us, below, iid, ratio, said, ev, raw, enough)
    pre = (enough, Precondition("no BN below", True))
    if first_failed(pre) is not None:
        return abstain(SPREAD_CLAIM, pre, ev, hi - 1, raw)
    if lo <= ratio <= hi:
        return Verdict(Outcome.HOLDS, f"{said}, as random mini-batches of m = {us.m} predict.",
                       ev, hi - 1, SPREAD_CLAIM, pre, raw)
    more = "more" if ratio > hi else "less"
    return Verdict(Outcome.REVERSED, f"{said}: {more} than random mini-batches of m = {us.m} "
                   "predict.", ev, hi - 1, SPREAD_CLAIM, pre, raw)


def _mean_mates(us: UnitStats, below: tuple[int, ...], iid: IidVariance | None, ratio: float,
                said: str, ev: dict, raw: dict, enough: Precondition) -> Verdict:
    """The BN-below branch of :func:`batch_mean_spread_verdict`."""
    lo, hi = SPREAD_BOUNDS
    where = layers_phrase(below)
    replayed = (iid is not None and iid.mean is not None
                and len(iid.steps) == len(us.pop_steps))
    pre = [enough, Precondition("BN in a layer below", True),
           Precondition("the mini-batches could be replayed", replayed,
                        f"{said}; random sampling alone does not predict it here: BN in "
                        f"{where} makes z depend on its batch-mates.")]
    if not enough.holds or not replayed:
        return abstain(MEAN_MATES_CLAIM, pre, ev, hi - 1, raw)
    mu0 = iid.mean[:, us.unit]
    raw["iid_mu"] = mu0
    r0, _, ok0 = _spread_ratio(mu0, us)
    factor = ratio / r0 if r0 > 0 else float("nan")
    ev = {**ev, "iid_ratio": r0, "factor": factor}
    pre[0] = Precondition(enough.name, enough.holds and int(ok0.sum()) >= MIN_SNAPSHOTS,
                          enough.instead)
    if not pre[0].holds or not np.isfinite(factor):
        pre[0] = Precondition(enough.name, False, enough.instead)
        return abstain(MEAN_MATES_CLAIM, pre, ev, hi - 1, raw)
    same = (f"{said}; the same mini-batches, with {where} normalised by population statistics, "
            f"would scatter by {num(r0)} × σ_pop/√m")
    if lo <= factor <= hi:
        outcome = Outcome.NO_EFFECT
        text = (f"{same}: BN in {where} changes the scatter of μ_B by a factor of "
                f"{num(factor)}, within {lo:g}–{hi:g}.")
    else:
        outcome = Outcome.HOLDS
        more = "more" if factor > hi else "less"
        text = (f"{same}: normalising each mini-batch by its own statistics in {where} makes "
                f"the μ_B of z^[{us.layer}] scatter {more}, by a factor of {num(factor)}.")
    return Verdict(outcome, text, ev, hi - 1, MEAN_MATES_CLAIM, tuple(pre), raw)
