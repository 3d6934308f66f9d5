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
    check_k,
    draw_mixed,
    judge,
    mix_counts,
    proba_batch,
    proba_eval,
)
from bnsim.network import NetConfig
from bnsim.verdict import Outcome, Verdict, pct

MIXES = tuple(np.round(np.linspace(0.0, 1.0, 11), 2))  # share of class 1 in a skewed batch


def skewed(params, net: NetConfig, run, X, y, k: int, mixes=MIXES, n_batches: int = 50,
           seed: int = 0) -> pd.DataFrame:
    """Accuracy on test batches of size k whose share of class 1 is each of ``mixes``:
    batch statistics (each batch normalised by itself) vs running statistics (eval mode, on
    the very same examples). All mixes are drawn at once and go through the network together
    (chunked array passes, no loop per batch).

    Returns columns mix (asked), actual_mix (round(mix·k)/k), batch_mean, batch_p05,
    batch_p95, running_mean (means over the ``n_batches`` batches).
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
    return pd.DataFrame({
        "mix": mixes, "actual_mix": [mix_counts(m, k)[1] / k for m in mixes],
        "batch_mean": acc_b.mean(axis=1), "batch_p05": np.percentile(acc_b, 5, axis=1),
        "batch_p95": np.percentile(acc_b, 95, axis=1), "running_mean": acc_r.mean(axis=1),
    })


class SkewAt(NamedTuple):
    """One row of :func:`skewed`: the class mix nearest to the asked one."""

    mix: float  # the class mix on the curve nearest to the asked one
    actual_mix: float  # round(mix·k)/k
    batch_mean: float
    running_mean: float


def skew_at(table: pd.DataFrame, mix: float) -> SkewAt:
    """The row of a :func:`skewed` table nearest to the class mix ``mix`` (share of class 1)."""
    r = table.iloc[int(np.argmin(np.abs(table["mix"].to_numpy() - mix)))]
    return SkewAt(float(r["mix"]), float(r["actual_mix"]), float(r["batch_mean"]),
                  float(r["running_mean"]))


def repeats_examples(y, k: int) -> bool:
    """Whether one-class test batches of k must repeat examples (k > a class's size)."""
    y = np.asarray(y)
    return k > min(np.sum(y == 0), np.sum(y == 1))


SKEW_MARGIN = 0.05
SKEWED = 0.2  # a batch is skewed when its share of class 1 is at most this or at least 1 − it
SKEW_TAILS = {
    Outcome.HOLDS: ": skewed batches hurt batch statistics, running ones don't care.",
    Outcome.NO_EFFECT: ": at this k and mix the skew costs batch statistics little.",
    Outcome.REVERSED: ": here the batch statistics do better."}
NOT_SKEWED = "; this mix is not skewed — move the class mix towards 0 % or 100 %."


def skew_verdict(s: SkewAt, k: int, threshold: float = SKEW_MARGIN) -> Verdict:
    """"Skewed test batches hurt batch statistics but not running statistics": running minus
    batch-statistics accuracy on the same examples; NOT_APPLICABLE for a balanced mix."""
    ev = {"batch": s.batch_mean, "running": s.running_mean, "mix": s.actual_mix, "k": k}
    said = (f"In test batches of k = {k} with {pct(s.actual_mix, 0)} class 1, batch "
            f"statistics classify {pct(s.batch_mean)} correctly, running statistics "
            f"{pct(s.running_mean)} of the same examples")
    balanced = SKEWED < s.actual_mix < 1 - SKEWED
    return judge(s.running_mean - s.batch_mean, threshold, said, SKEW_TAILS, ev,
                 unless=NOT_SKEWED if balanced else None)
