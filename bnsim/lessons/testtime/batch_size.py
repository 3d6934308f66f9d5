"""Test batch size: batch-statistics test accuracy against the test batch size k, and why a
test batch of one collapses.

A batch of one has μ_B = z, so z_norm = 0 and z̃ = β in every BN layer: every input gets the
same output, and the accuracy is the share of that one class in the test set.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim.lessons.testtime.common import (
    MAX_ROWS,
    check_k,
    collapse_words,
    eval_accuracy,
    judge,
    k_above_one,
    network_trains,
    proba_batch,
)
from bnsim.network import NetConfig
from bnsim.verdict import ABOUT_AS_WELL, Outcome, Verdict, claim, num, pct, pp

KS = (1, 2, 4, 8, 16, 32, 64, 128, 256)  # test batch sizes of the accuracy-vs-k curve


def random_batchings(n: int, k: int, n_batchings: int, rng: np.random.Generator) -> np.ndarray:
    """(R, n // k, k) indices: R random batchings of a test set of n examples, each a random
    permutation cut into n // k batches of k (the n mod k left over are not used)."""
    check_k(k, n)
    perm = rng.permuted(np.broadcast_to(np.arange(n), (n_batchings, n)), axis=1)
    nb = n // k
    return perm[:, :nb * k].reshape(n_batchings, nb, k)


class AccVsK(NamedTuple):
    ks: np.ndarray  # (K,) test batch sizes
    acc: np.ndarray  # (K, R) batch-statistics accuracy of each random batching
    eval_acc: float  # eval-mode (running statistics) accuracy on the test set
    table: pd.DataFrame  # k, mean, std, p05, p95, eval_acc, n_batches


def accuracy_vs_k(params, net: NetConfig, run, X, y, ks=KS, n_batchings: int = 50,
                  seed: int = 0, max_rows: int | None = MAX_ROWS) -> AccVsK:
    """Batch-statistics test accuracy for each test batch size k over ``n_batchings`` random
    batchings of (X, y): all batchings of one k form ONE array of shape (R·(n // k), k, 2),
    predicted by :func:`proba_batch` without any loop over batches (in cache-sized blocks,
    or in a single pass with ``max_rows=None``). Sizes k larger than the test set are
    skipped."""
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    n = len(y)
    if n_batchings < 1:
        raise ValueError(f"n_batchings must be ≥ 1; got {n_batchings}.")
    ks = np.array([k for k in ks if 1 <= k <= n], dtype=int)
    rng = np.random.default_rng(seed)
    acc = np.empty((len(ks), n_batchings))
    for i, k in enumerate(ks):
        idx = random_batchings(n, int(k), n_batchings, rng)  # (R, nb, k)
        R, nb, _ = idx.shape
        p = proba_batch(params, net, X[idx.reshape(R * nb, k)], max_rows).reshape(R, nb * k)
        acc[i] = np.mean((p >= 0.5) == y[idx.reshape(R, nb * k)].astype(bool), axis=1)
    ev = eval_accuracy(params, net, run, X, y)
    table = pd.DataFrame({
        "k": ks, "mean": acc.mean(axis=1), "std": acc.std(axis=1),
        "p05": np.percentile(acc, 5, axis=1), "p95": np.percentile(acc, 95, axis=1),
        "eval_acc": ev, "n_batches": n // ks,
    })
    return AccVsK(ks, acc, ev, table)


class AtK(NamedTuple):
    """Batch-statistics accuracy at one test batch size k (over random batchings)."""

    k: int
    mean: float
    p05: float
    p95: float


def at_k(a: AccVsK, k: int) -> AtK:
    """The row of ``a`` for test batch size k (ValueError if ``a`` has no such k)."""
    row = a.table[a.table["k"] == k]
    if row.empty:
        raise ValueError(f"no accuracy computed for test batch size k = {k}.")
    r = row.iloc[0]
    return AtK(int(k), float(r["mean"]), float(r["p05"]), float(r["p95"]))


class Collapse(NamedTuple):
    cls: int  # the one class every example gets with k = 1
    p: float  # its p(class 1)
    share: float  # share of the test set in that class = the accuracy with k = 1
    majority: float  # majority-class rate of the test set


def collapse(params, net: NetConfig, y) -> Collapse:
    """What a test batch of one predicts: z_norm = 0, z̃ = β in every BN layer, so the output
    is the same for any input (computed on the origin; any input gives the same)."""
    p = float(proba_batch(params, net, np.zeros((1, 1, net.n_in)))[0, 0])
    y = np.asarray(y)
    cls = int(p >= 0.5)
    share1 = float(np.mean(y == 1))
    return Collapse(cls, p, share1 if cls else 1.0 - share1, max(share1, 1.0 - share1))


class KView(NamedTuple):
    """Everything the test-batch-size view shows."""

    curve: AccVsK  # accuracy over all KS
    at: AtK  # the chosen k
    collapse: Collapse  # what k = 1 predicts


COLLAPSE_MARGIN = ABOUT_AS_WELL.threshold
COLLAPSE = claim(
    "testtime.batch_size.collapse", where="Train vs test → Test batch size (the note on k = 1)",
    words="A test batch of one gives every input p(class 1) = p (class c), so its accuracy is "
          "the share of class c in the test set: a % vs b % in eval mode (majority-class rate "
          "m %): the collapse costs d pp / eval mode does about as well as one class (within "
          "2 pp). Abstains when the data is not learnable or the network does not train in "
          "eval mode.",
    preconditions=("the data is learnable", "something trains (eval mode)"),
    threshold="2 pp (*about as well*)",
    test="tests/test_claims_testtime.py::test_a_test_batch_of_one_collapses_in_8_of_10_seeds, "
         "::test_collapse_verdict_branches")
AT_K = claim(
    "testtime.batch_size.at_k", where="Train vs test → Test batch size (takeaway)",
    words="With test batches of k, batch statistics classify a % correctly (5–95 % of R "
          "batchings: lo to hi) vs b % with running statistics: at this seed test batches of "
          "k cost d pp / classify about as well (within 2 pp) / do d pp better. At k = 1: "
          "every input gets the same output, so the a % is the share of one class.",
    preconditions=("k > 1", "the data is learnable", "something trains"),
    threshold="2 pp (*about as well*)",
    test="tests/test_claims_testtime.py::test_at_k_verdict_branches, "
         "::test_small_test_batches_cost_accuracy_over_seeds")


def collapse_verdict(c: Collapse, eval_acc: float, reference: float = 1.0, k1=(),
                     threshold: float = COLLAPSE_MARGIN) -> Verdict:
    """"A test batch of one collapses": z_norm = 0, z̃ = β, one output for every input, so
    the accuracy is the share of the one predicted class; HOLDS when that is below the
    eval-mode accuracy by more than ``threshold`` (``reference``: the 15-NN accuracy; ``k1``:
    the accuracies of the k = 1 batchings, for the audit)."""
    ev = {"k1_acc": c.share, "eval_acc": eval_acc, "p": c.p, "majority": c.majority}
    raw = {"p": c.p, "share": c.share, "majority": c.majority, "eval_acc": eval_acc,
           "reference": reference, "k1_acc": np.asarray(k1, dtype=float)}
    said = (f"A test batch of one gives every input p(class 1) = {num(c.p)} (class {c.cls}), "
            f"so its accuracy is the share of class {c.cls} in the test set: {pct(c.share)} vs "
            f"{pct(eval_acc)} in eval mode (majority-class rate {pct(c.majority)})")
    pre = network_trains({"eval mode": eval_acc}, reference)
    return judge(eval_acc - c.share, threshold, said, {
        Outcome.HOLDS: f": the collapse costs {pp(eval_acc - c.share)[1:]}.",
        Outcome.NO_EFFECT: "; eval mode classifies about as well (within 2 pp) as predicting "
                           "that one class.",
        Outcome.REVERSED: "; eval mode classifies worse than predicting that one class."}, ev,
        claim=COLLAPSE, preconditions=pre, raw=raw)


def at_k_verdict(a: AtK, acc, eval_acc: float, reference: float, collapse_p: float,
                 n_batchings: int, threshold: float = ABOUT_AS_WELL.threshold) -> Verdict:
    """"Small test batches cost accuracy": eval-mode minus batch-statistics accuracy at the
    chosen k (``acc``: the accuracies of its ``n_batchings`` random batchings)."""
    acc = np.asarray(acc, dtype=float)
    ev = {"batch": a.mean, "eval_acc": eval_acc, "k": a.k}
    raw = {"k": a.k, "acc": acc, "eval_acc": eval_acc, "reference": reference,
           "collapse_p": collapse_p}
    said = (f"With test batches of k = {a.k}, batch statistics classify {pct(a.mean)} "
            f"correctly (5–95 % of {n_batchings} batchings: {pct(a.p05)} to {pct(a.p95)}) vs "
            f"{pct(eval_acc)} with running statistics")
    c = int(collapse_p >= 0.5)
    pre = (k_above_one(a.k, collapse_words(collapse_p)[0].upper() + collapse_words(collapse_p)[1:]
                       + f": the {pct(a.mean)} is the share of class {c} in the test set."),
           *network_trains({"batch statistics": a.mean, "eval mode": eval_acc}, reference))
    d = eval_acc - a.mean
    return judge(d, threshold, said, {
        Outcome.HOLDS: f": at this seed test batches of k = {a.k} cost {pp(d)[1:]}.",
        Outcome.NO_EFFECT: ": at this seed both classify about as well (within 2 pp).",
        Outcome.REVERSED: f": at this seed batch statistics do {pp(-d)[1:]} better."}, ev,
        claim=AT_K, preconditions=pre, raw=raw)
