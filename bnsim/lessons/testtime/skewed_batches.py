"""Skewed test batches: accuracy on test batches whose class mix is skewed, with batch
statistics against running statistics on the very same examples (the lecture's batch of only
cats).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim.lessons.testtime.common import (
    MAX_ROWS,
    SKEWED_SHARE,
    beyond,
    check_k,
    collapse_words,
    draw_mixed,
    k_above_one,
    mix_counts,
    network_trains,
    proba_batch,
    proba_eval,
)
from bnsim.network import NetConfig
from bnsim.verdict import (
    Outcome,
    Precondition,
    Verdict,
    abstain,
    claim,
    define,
    first_failed,
    pct,
    pp,
)

MIXES = tuple(np.round(np.linspace(0.0, 1.0, 11), 2))  # share of class 1 in a skewed batch


class SkewRuns(NamedTuple):
    """:func:`skewed_runs`: the summary table and the per-batch accuracies behind it."""

    table: pd.DataFrame  # one row per class mix (see :func:`skewed`)
    acc_batch: np.ndarray  # (M, B) batch-statistics accuracy of each random test batch
    acc_running: np.ndarray  # (M, B) running-statistics accuracy of the same examples


def skewed_runs(params, net: NetConfig, run, X, y, k: int, mixes=MIXES, n_batches: int = 50,
                seed: int = 0) -> SkewRuns:
    """Accuracy on test batches of size k whose share of class 1 is each of ``mixes``:
    batch statistics (each batch normalised by itself) vs running statistics (eval mode, on
    the very same examples). All mixes are drawn at once and go through the network together
    (chunked array passes, no loop per batch).

    The table has columns mix (asked), actual_mix (round(mix·k)/k: what is drawn),
    batch_mean, batch_p05, batch_p95, running_mean (over the ``n_batches`` batches).
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    check_k(k, len(y))
    rng = np.random.default_rng(seed)
    mixes = np.asarray(mixes, dtype=float)
    idx = np.stack([draw_mixed(y, k, m, n_batches, rng) for m in mixes])  # (M, B, k)
    M = len(mixes)
    Xb = X[idx.reshape(M * n_batches, k)]
    p = proba_batch(params, net, Xb, MAX_ROWS).reshape(M, n_batches, k)
    truth = y[idx].astype(bool)
    acc_b = np.mean((p >= 0.5) == truth, axis=2)
    p_eval = proba_eval(params, net, run, X)
    acc_r = np.mean((p_eval[idx] >= 0.5) == truth, axis=2)
    table = pd.DataFrame({
        "mix": mixes, "actual_mix": [mix_counts(m, k)[1] / k for m in mixes],
        "batch_mean": acc_b.mean(axis=1), "batch_p05": np.percentile(acc_b, 5, axis=1),
        "batch_p95": np.percentile(acc_b, 95, axis=1), "running_mean": acc_r.mean(axis=1),
    })
    return SkewRuns(table, acc_b, acc_r)


def skewed(params, net: NetConfig, run, X, y, k: int, mixes=MIXES, n_batches: int = 50,
           seed: int = 0) -> pd.DataFrame:
    """The table of :func:`skewed_runs`: columns mix (asked), actual_mix (round(mix·k)/k),
    batch_mean, batch_p05, batch_p95, running_mean (means over the ``n_batches`` batches)."""
    return skewed_runs(params, net, run, X, y, k, mixes, n_batches, seed).table


class SkewAt(NamedTuple):
    """One row of :func:`skewed`: the class mix nearest to the asked one."""

    mix: float  # the class mix on the curve nearest to the asked one
    actual_mix: float  # round(mix·k)/k
    batch_mean: float
    running_mean: float


def row_at(table: pd.DataFrame, mix: float) -> int:
    """The row of a :func:`skewed` table nearest to the class mix ``mix``."""
    return int(np.argmin(np.abs(table["mix"].to_numpy() - mix)))


def skew_at(table: pd.DataFrame, mix: float) -> SkewAt:
    """The row of a :func:`skewed` table nearest to the class mix ``mix`` (share of class 1)."""
    r = table.iloc[row_at(table, mix)]
    return SkewAt(float(r["mix"]), float(r["actual_mix"]), float(r["batch_mean"]),
                  float(r["running_mean"]))


def repeats_examples(y, k: int) -> bool:
    """Whether one-class test batches of k must repeat examples (k > a class's size)."""
    y = np.asarray(y)
    return k > min(np.sum(y == 0), np.sum(y == 1))


def mix_words(k: int, mix: float) -> str:
    """What a test batch of k with the asked class mix ``mix`` holds, as drawn."""
    n1 = mix_counts(mix, k)[1]
    asked = "" if abs(n1 / k - mix) < 1e-9 else f"; the nearest to the asked {100 * mix:.0f} %"
    return f"{n1} of its {k} examples in class 1 ({pct(n1 / k)}{asked})"


SKEW_MARGIN = 0.05
HURTS = define(
    "hurt (skewed batches)", "skewed test batches hurt batch statistics when batch statistics "
    "trail running statistics (on the same examples) by more than 5 percentage points more "
    "than they do in balanced test batches of the same k, beyond the spread over the random "
    "test batches.", SKEW_MARGIN)
SKEW = claim(
    "testtime.skewed_batches.skew", where="Train vs test → Skewed test batches (takeaway)",
    words="In test batches of k with n of k of class 1 (x %), batch statistics classify a % "
          "correctly, running statistics b % of the same examples (running − batch: +d pp; in "
          "balanced batches of k, n′ of k of class 1: +d′ pp): at this seed the skew *hurts* "
          "batch statistics, d − d′ more / does not *hurt* them (within 5 pp, or not beyond "
          "the spread) / batch statistics trail less than in balanced batches. Abstains: k = 1 "
          "(every input gets one output, so the accuracy says which class that output is), "
          "a mix that is not *skewed*, data not learnable, a network that does not train.",
    preconditions=("k > 1", "the data is learnable", "something trains (eval mode)",
                   "the batch is skewed (≤ 20 % or ≥ 80 % class 1)"),
    threshold="5 pp (*hurt*), beyond twice the standard error over the random test batches "
              "(*beyond the spread*); *skewed*: ≤ 20 % or ≥ 80 % class 1",
    test="tests/test_claims_testtime.py::test_one_class_test_batches_hurt_batch_but_not_"
         "running_statistics, ::test_skew_verdict_branches, ::test_skew_at_k1_abstains_"
         "over_seeds")


def skew_verdict(runs: SkewRuns, mix: float, k: int, *, eval_acc: float, reference: float,
                 collapse_p: float, seed: int, threshold: float = SKEW_MARGIN) -> Verdict:
    """"Skewed test batches hurt batch statistics but not running statistics": at the class
    mix nearest to ``mix``, (running − batch) accuracy on the same examples minus the same
    difference at the balanced mix (50 %), with the same k; beyond the spread over the random
    test batches. Abstains at k = 1 (``collapse_p``: the one output every input gets), for a
    mix that is not skewed, on unlearnable data or a network that does not train in eval
    mode (``eval_acc`` on the whole test set; ``reference``: the 15-NN accuracy)."""
    t = runs.table
    i, b = row_at(t, mix), row_at(t, 0.5)
    asked = float(t["mix"].iloc[i])
    actual, bal = float(t["actual_mix"].iloc[i]), float(t["actual_mix"].iloc[b])
    d_s = runs.acc_running[i] - runs.acc_batch[i]  # (B,) per random test batch
    d_b = runs.acc_running[b] - runs.acc_batch[b]
    batch, running = float(runs.acc_batch[i].mean()), float(runs.acc_running[i].mean())
    effect = float(d_s.mean() - d_b.mean())
    n = len(d_s)
    se = (float(2 * np.sqrt(np.var(d_s, ddof=1) / n + np.var(d_b, ddof=1) / n)) if n > 1
          else float("nan"))
    ev = {"batch": batch, "running": running, "mix": actual, "k": k, "effect": effect,
          "se2": se, "balanced_mix": bal}
    raw = {"k": k, "mix": asked, "actual_mix": actual, "balanced_mix": bal,
           "acc_batch": runs.acc_batch[i], "acc_running": runs.acc_running[i],
           "acc_batch_balanced": runs.acc_batch[b], "acc_running_balanced": runs.acc_running[b],
           "eval_acc": eval_acc, "reference": reference, "collapse_p": collapse_p,
           "seed": seed}
    said = (f"In test batches of k = {k} with {mix_words(k, asked)}, batch statistics "
            f"classify {pct(batch)} correctly, running statistics {pct(running)} of the same "
            "examples")
    skewed_mix = not SKEWED_SHARE < actual < 1 - SKEWED_SHARE
    pre = (k_above_one(k, collapse_words(collapse_p)[0].upper() + collapse_words(collapse_p)[1:]
                       + f", whatever the class mix: the {pct(batch)} only says which class "
                       "that one output is, so the skew cannot be judged at k = 1 — move k "
                       "up."),
           *network_trains({"eval mode": eval_acc}, reference),
           Precondition("the batch is skewed", skewed_mix,
                        f"This mix ({pct(actual)} class 1) is not *skewed* (at most 20 % or "
                        "at least 80 % class 1): move the class mix towards 0 % or 100 %."))
    if first_failed(pre) is not None:
        return abstain(SKEW, pre, ev, threshold, raw, lead=said + ". ")
    said += (f" (running − batch: {pp(d_s.mean())}; in balanced batches of k, "
             f"{mix_words(k, float(t['mix'].iloc[b])).split(' (')[0]}: "
             f"{pp(d_b.mean())})")
    outcome = beyond(effect, se, threshold)
    if outcome is Outcome.HOLDS:
        tail = (f": at this seed the skew *hurts* batch statistics, by {pp(effect)[1:]} more than "
                "balanced batches of k; running statistics do not depend on the batch.")
    elif outcome is Outcome.REVERSED:
        tail = (f": at this seed batch statistics trail by {pp(-effect)[1:]} less here than "
                "in balanced batches of k.")
    elif abs(effect) <= threshold:
        tail = (f": the difference, {pp(effect)}, is within 5 pp — at this seed this skew "
                "does not *hurt* batch statistics.")
    else:
        tail = (f": the difference, {pp(effect)}, is not beyond the spread over the "
                f"{n} random test batches (±{pp(se)[1:]}) — no verdict at this seed.")
    return Verdict(outcome, said + tail, ev, threshold, SKEW, pre, raw)
