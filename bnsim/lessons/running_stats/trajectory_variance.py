"""Trajectory, its second part: σ²_B against σ²_pop and what the running σ̂² then means.

- how σ²_B compares with σ²_pop (:func:`variance_shortfall_verdict`): with no BN below, the
  i.i.d. (m − 1)/m argument; with BN below, against the *same* mini-batches replayed with the
  layers below normalised by population statistics (:func:`iid_batch_variance`), which measures
  what normalising by the batch-mates adds (at m = 2 much: each unit's two values become ±1);
- what the running σ̂² then means in eval mode (:func:`eval_spread_verdict`).

Shown on the Trajectory tab (``bnsim/ui/running_stats/trajectory.py``); the tab's other
verdicts are in :mod:`bnsim.lessons.running_stats.trajectory`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from bnsim import network, train
from bnsim.lessons.running_stats.common import (
    Estimates,
    UnitStats,
    layers_phrase,
    variance_kind,
)
from bnsim.modes import Mode, Variance
from bnsim.verdict import (
    Outcome,
    Precondition,
    Verdict,
    abstain,
    claim,
    compare,
    first_failed,
    num,
    pct,
)

NOISE_SE = 2.0  # a mean ratio differs from its expectation beyond 2 standard errors
SPREAD_BOUNDS = (0.8, 1.25)  # μ_B scatter "as σ_pop/√m predicts" within these factors
MIN_SNAPSHOTS = 10  # fewer finite snapshot values: too few to judge


TEST = "tests/test_claims_running_stats.py"
VARIANCE_CLAIM = claim(
    "running_stats.trajectory.batch_variance",
    where="Running statistics → Trajectory (second takeaway), a layer with no BN below",
    words="The biased σ²_B / unbiased m/(m − 1)·σ²_B of m average r of σ²_pop, below it by "
          "more than the noise / within the noise of 100 % / more than σ²_pop beyond the noise",
    preconditions=("no BN in the layers below (z of a mini-batch does not depend on its "
                   "batch-mates)", "≥ 10 stored steps with σ²_pop > 0"),
    threshold="2 standard errors of the mean ratio (*beyond the noise*, *unbiased*)",
    test=f"{TEST}::test_batch_variance_oracle_over_seeds")
BATCH_MATES_CLAIM = claim(
    "running_stats.trajectory.batch_mates",
    where="Running statistics → Trajectory (second takeaway), a layer with BN below",
    words="σ²_B of m average r of σ²_pop; the same mini-batches, with the layers below "
          "normalised by population statistics, would average r₀. So BN below adds / removes "
          "|r − r₀| of σ²_pop (beyond the noise) / changes it within the noise; at m = 2 each "
          "unit's two values become −1 and +1",
    preconditions=("BN in a layer below", "the mini-batches could be replayed",
                   "≥ 10 stored steps with σ²_pop > 0"),
    threshold="2 standard errors of the mean paired difference (*beyond the noise*)",
    test=f"{TEST}::test_batch_mates_oracle_over_seeds")
EVAL_SPREAD_CLAIM = claim(
    "running_stats.trajectory.eval_spread",
    where="Running statistics → Trajectory (third takeaway), a BN layer with BN below",
    words="The running σ̂² averages these σ²_B, not σ²_pop: the EMA ends at R of σ²_pop at step "
          "T, outside / within the x % tolerance, so in eval mode layer l would scale the "
          "training set's z to a spread of about √(σ²_pop/σ̂²) = s instead of training's 1",
    preconditions=("shown only where BN below changes σ²_B beyond the noise (batch_mates "
                   "holds or is reversed)", "the start value weighs ≤ 5 % (β_EMA^T)",
                   "σ²_pop > 0 at the last step"),
    threshold="the Tolerance slider; 5 % start weight",
    test=f"{TEST}::test_eval_spread_oracle_over_seeds")


def variance_ratios(us: UnitStats, variance: str) -> np.ndarray:
    """σ²_B / σ²_pop (same kind for both) at the snapshot steps where it is finite."""
    b = us.sigma2(variance)[us.pop_steps - 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = b / us.pop_var(variance)
    return r[np.isfinite(r)]


class IidVariance(NamedTuple):
    """σ²_B of z^[l] of the very mini-batches of the snapshot steps, but with every layer below
    normalised by its population statistics (the whole training set's, as eval mode
    approximates): what σ²_B would be if z did not depend on the batch-mates."""

    steps: np.ndarray  # (S,) the snapshot steps
    var_b: np.ndarray  # (S, n) biased σ²_B of z^[l]
    var_u: np.ndarray  # (S, n) m/(m − 1)·σ²_B
    mean: np.ndarray | None = None  # (S, n) μ_B of z^[l]

    def sigma2(self, variance: str, unit: int) -> np.ndarray:
        kind = variance_kind(variance)
        return (self.var_u if kind is Variance.UNBIASED else self.var_b)[:, unit]


def iid_batch_variance(trace: train.TrainTrace, X: np.ndarray, y: np.ndarray, layer: int
                       ) -> IidVariance | None:
    """:class:`IidVariance` of (1-based) ``layer``: each snapshot step's mini-batch replayed from
    the trainer's seeded sampler, its z^[l] taken from a forward pass of the whole training set
    ``X`` with the weights used by that step (so every BN below uses the population's μ, σ²).
    None when the replay does not reproduce the recorded μ_B of layer 1 (which never depends on
    batch-mates), e.g. a run that drew other random numbers in between (noisy BN)."""
    cfg, net = trace.cfg, trace.net
    if cfg.bn_noise > 0 or len(trace.loss) == 0:
        return None
    m = cfg.batch_size
    X = np.asarray(X, float)
    steps = np.asarray(trace.snapshot_steps)
    steps = steps[steps <= len(trace.loss)]
    batches = train.minibatches(np.asarray(y), m, cfg.sampling, np.random.default_rng(cfg.seed))
    var_b = np.full((len(steps), net.hidden[layer - 1]), np.nan)
    mean = var_b.copy()
    t = 0
    for k, s in enumerate(steps):
        while t < s:
            idx = next(batches)
            t += 1
        params, _ = trace.snapshot_at(int(s))
        _, cache = network.forward(params, X, net, Mode.BATCH)
        z1 = cache.layers[0].z[idx]
        if not np.allclose(z1.mean(axis=0), trace.batch_mean[s - 1, 0, :net.hidden[0]],
                           rtol=1e-9, atol=1e-12):
            return None
        zl = cache.layers[layer - 1].z[idx]
        var_b[k], mean[k] = zl.var(axis=0), zl.mean(axis=0)
    return IidVariance(steps, var_b, var_b * m / (m - 1) if m > 1 else var_b * np.nan, mean)


def mean_and_margin(x: np.ndarray) -> tuple[float, float]:
    """The mean of ``x`` and ``NOISE_SE`` standard errors of it (NaN when too few)."""
    mean = float(x.mean()) if len(x) else float("nan")
    margin = NOISE_SE * float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")
    return mean, margin


def _what(kind: Variance, m: int) -> str:
    return (f"The biased σ²_B of m = {m}" if kind is Variance.BIASED
            else f"The unbiased m/(m − 1)·σ²_B of m = {m}")


def variance_shortfall_verdict(us: UnitStats, variance: str, bn_below: bool | tuple[int, ...],
                               iid: IidVariance | None = None) -> Verdict:
    """How σ²_B of the chosen kind compares with σ²_pop on average over the snapshot steps.

    No BN below (claim :data:`VARIANCE_CLAIM`): for m examples drawn at random from N, the
    biased σ²_B averages (m − 1)/m·N/(N − 1) of the biased σ²_pop and the unbiased m/(m − 1)·σ²_B
    exactly the unbiased σ²_pop (evidence ``ratio``: the mean of σ²_B / σ²_pop). The noise
    margin is ``NOISE_SE`` standard errors of the mean ratio, measured from the ratios
    themselves. HOLDS: below 1 beyond the margin; REVERSED: above it; NO_EFFECT: within it.

    BN below (``bn_below``: True for the layer under this one, or the BN layers below; claim
    :data:`BATCH_MATES_CLAIM`): z then depends on its batch-mates, so the comparison is with
    ``iid`` — σ²_B of the same mini-batches with the layers below normalised by population
    statistics. HOLDS: BN below makes σ²_B larger beyond the noise (paired differences);
    REVERSED: smaller; NO_EFFECT: within the noise. NOT_APPLICABLE: no replay (``iid`` None)
    or fewer than ``MIN_SNAPSHOTS`` finite ratios.
    """
    kind = variance_kind(variance)
    below = ((us.layer - 1,) if bn_below is True else tuple(bn_below or ())) if us.layer > 1 \
        else ()
    b = us.sigma2(kind)[us.pop_steps - 1]
    pop = us.pop_var(kind)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_all = b / pop
    ok = np.isfinite(r_all)
    r = r_all[ok]
    m = us.m
    expected = (m - 1) / m if kind is Variance.BIASED else 1.0
    ratio, margin = mean_and_margin(r)
    ev = {"ratio": ratio, "expected": expected, "margin": margin, "m": float(m)}
    raw = {"batch": b, "pop": pop, "m": m, "kind": str(kind), "layer": us.layer, "below": below}
    avg = f"{_what(kind, m)} average {pct(ratio)} of σ²_pop in this run"
    enough = Precondition("≥ 10 stored steps with σ²_pop > 0", int(ok.sum()) >= MIN_SNAPSHOTS,
                          f"Too few population values to compare σ²_B with ({int(ok.sum())}).")
    if below:
        return _batch_mates(us, kind, below, iid, b, pop, ev, raw, enough, avg)
    pre = (Precondition("no BN below", True), enough)
    if not enough.holds:
        return abstain(VARIANCE_CLAIM, pre, ev, margin, raw)
    outcome = compare(1 - ratio, margin)
    noise = f"±{pct(margin)}"
    if kind is Variance.BIASED:
        small = (f": at m = {m} the expected shortfall 1/m = {pct(1 / m)} is too small to see "
                 "here" if 1 / m <= margin else
                 f", although (m − 1)/m = {pct(expected)} predicts a shortfall of {pct(1 / m)}")
        text = {
            Outcome.HOLDS: f"{avg}, below it by more than the noise ({noise}): the 1/m "
                           f"formula of σ²_B misses part of the spread; (m − 1)/m = "
                           f"{pct(expected)}.",
            Outcome.NO_EFFECT: f"{avg}, within the noise ({noise}) of 100 %{small}.",
            Outcome.REVERSED: f"{avg}, more than σ²_pop beyond the noise ({noise}), although "
                              f"(m − 1)/m = {pct(expected)} predicts less.",
        }[outcome]
    else:
        text = {
            Outcome.HOLDS: f"{avg}, below it by more than the noise ({noise}) even after the "
                           "factor m/(m − 1).",
            Outcome.NO_EFFECT: f"{avg}, within the noise ({noise}) of 100 %: the factor "
                               "m/(m − 1) removes the 1/m shortfall.",
            Outcome.REVERSED: f"{avg}, more than σ²_pop beyond the noise ({noise}).",
        }[outcome]
    return Verdict(outcome, text, ev, margin, VARIANCE_CLAIM, pre, raw)


def _batch_mates(us: UnitStats, kind: Variance, below: tuple[int, ...],
                 iid: IidVariance | None, b, pop, ev, raw, enough, avg) -> Verdict:
    """The BN-below branch of :func:`variance_shortfall_verdict`."""
    where = layers_phrase(below)
    l, m = us.layer, us.m
    replayed = iid is not None and len(iid.steps) == len(us.pop_steps)
    pre = [Precondition("BN in a layer below", True),
           Precondition("the mini-batches could be replayed", replayed,
                        f"Here (m − 1)/m does not apply: BN in {where} normalises each "
                        f"mini-batch by its own statistics, so z^[{l}] depends on its "
                        "batch-mates (the mini-batches could not be replayed to measure how "
                        "much)."),
           enough]
    if not replayed:
        return abstain(BATCH_MATES_CLAIM, pre, ev, ev["margin"], raw, lead=f"{avg}. ")
    i = iid.sigma2(kind, us.unit)
    raw["iid"] = i
    with np.errstate(divide="ignore", invalid="ignore"):
        d_all = (b - i) / pop
        r0_all = i / pop
    ok = np.isfinite(d_all)
    pre[2] = Precondition(enough.name, int(ok.sum()) >= MIN_SNAPSHOTS, enough.instead or
                          f"Too few population values to compare σ²_B with ({int(ok.sum())}).")
    excess, margin = mean_and_margin(d_all[ok])
    r0 = float(r0_all[ok].mean()) if ok.any() else float("nan")
    ev = {**ev, "iid_ratio": r0, "excess": excess, "margin": margin}
    if not pre[2].holds:
        return abstain(BATCH_MATES_CLAIM, pre, ev, margin, raw)
    outcome = compare(excess, margin)
    same = (f"{avg}; the same mini-batches, with {where} normalised by population statistics "
            f"(as eval mode approximates), would average {pct(r0)}")
    noise = f"±{pct(margin)}"
    if outcome is Outcome.NO_EFFECT:
        text = (f"{same}: normalising by each mini-batch's own statistics changes σ²_B of "
                f"z^[{l}] by {pct(abs(excess))} of σ²_pop, within the noise ({noise}).")
    else:
        pair = (", which at m = 2 turns each unit's two values into −1 and +1 (unless they "
                "nearly coincide)" if m == 2 and below[-1] == l - 1 else "")
        more, spread = (("adds", "more") if outcome is Outcome.HOLDS else ("removes", "less"))
        text = (f"{same}. So BN in {where} {more} {pct(abs(excess))} of σ²_pop (beyond the "
                f"noise, {noise}): it normalises each mini-batch by its own μ_B, σ²_B{pair}, "
                f"and the z^[{l}] of a mini-batch spread {spread} than those of random "
                "examples.")
    return Verdict(outcome, text, ev, margin, BATCH_MATES_CLAIM, tuple(pre), raw)


START_LEFT = 0.05  # the EMA "averages these σ²_B" once its start value weighs at most 5 %


def eval_spread_verdict(us: UnitStats, est: Estimates | None, variance: str, tol: float,
                        below: tuple[int, ...], mates: Verdict | None = None) -> Verdict | None:
    """What the running σ̂² means for eval mode in a BN layer whose σ²_B the BN below changes
    (``mates``: the :data:`BATCH_MATES_CLAIM` verdict, HOLDS or REVERSED; None elsewhere —
    nothing to explain then): the EMA's σ̂² after the last step against σ²_pop (``ratio``)
    and the spread √(σ²_pop/σ̂²) that eval mode would give the training set's z (training's
    mini-batches: 1). HOLDS: the ratio is outside 1 ± ``tol``; NO_EFFECT: within it;
    NOT_APPLICABLE: the start value still weighs more than ``START_LEFT`` (the EMA is not yet
    an average of the σ²_B), or σ²_pop = 0 at the end."""
    if not below or est is None or mates is None or mates.outcome not in (Outcome.HOLDS,
                                                                          Outcome.REVERSED):
        return None
    kind = variance_kind(variance)
    last = int(us.pop_steps[-1])
    v_hat = float(est.get("ema", "var", kind)[last - 1])
    pop = float(us.pop_var(kind)[-1])
    left = float(est.beta) ** last
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = float(np.float64(v_hat) / pop)
        spread = float(np.sqrt(np.float64(pop) / v_hat)) if v_hat > 0 else float("nan")
    ev = {"ratio": float(ratio), "spread": spread, "tol": tol, "step": float(last),
          "start_left": left}
    raw = {"ema": est.get("ema", "var", kind), "pop": us.pop_var(kind), "pop_steps": us.pop_steps,
           "tol": float(tol), "layer": us.layer, "beta": float(est.beta),
           "mates": str(mates.outcome)}
    pre = (Precondition("BN below changes σ²_B beyond the noise", True),
           Precondition("the start value weighs ≤ 5 %", left <= START_LEFT,
                        f"At step {last} the EMA's start value v₀ = 1 still weighs β_EMA^{last} "
                        f"= {pct(left)}, so its σ̂² is not yet an average of these σ²_B and says "
                        "little about eval mode."),
           Precondition("σ²_pop > 0 at the last step", bool(np.isfinite(ratio) and pop > 0
                                                              and np.isfinite(spread)),
                        f"σ²_pop is 0 at step {last} (the unit is constant): nothing to say "
                        "about its normalisation in eval mode."))
    if first_failed(pre) is not None:
        return abstain(EVAL_SPREAD_CLAIM, pre, ev, tol, raw)
    l = us.layer
    start = (f"The running σ̂² averages these σ²_B, not σ²_pop: the EMA ends at "
             f"{pct(ratio)} of σ²_pop at step {last}")
    if abs(ratio - 1) > tol:
        outcome = Outcome.HOLDS
        text = (f"{start}, outside the {pct(tol, 0)} tolerance, so in eval mode layer {l} would "
                f"scale the training set's z^[{l}] to a spread of about √(σ²_pop/σ̂²) = "
                f"{num(spread)} instead of training's 1: training and test normalise this unit "
                "differently.")
    else:
        outcome = Outcome.NO_EFFECT
        text = (f"{start}, within the {pct(tol, 0)} tolerance: in eval mode layer {l} would "
                f"scale the training set's z^[{l}] to a spread of about √(σ²_pop/σ̂²) = "
                f"{num(spread)}, close to training's 1.")
    return Verdict(outcome, text, ev, tol, EVAL_SPREAD_CLAIM, pre, raw)
