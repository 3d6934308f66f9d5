"""Batch Renorm: plain BN against Batch Renormalization (Ioffe 2017), trained alike over
several seeds; does Batch Renorm remove the train/eval mismatch?

The comparison itself (:func:`bnsim.lessons.testtime.common.norm_table`) is shared with the
tab "Running averages in training".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bnsim.lessons.testtime.common import beyond_spread, paired, standard_error
from bnsim.modes import Norm
from bnsim.verdict import (
    Outcome,
    Precondition,
    Verdict,
    abstain,
    claim,
    first_failed,
    pct,
    pp,
    runs,
)

RENORM_MIN_MISMATCH = 0.02  # below this share of flipped predictions plain BN has no mismatch
MISMATCH = claim(
    "testtime.batch_renorm.mismatch", where="Train vs test → Batch Renorm (takeaway)",
    words="Train mode and eval mode disagree on a % of the test predictions with plain BN and "
          "on b % with Batch Renorm (mean of n seeds): Batch Renorm removes the mismatch "
          "(below 2 %) / reduces it by d pp, beyond the seed spread, in k of n runs / does not "
          "reduce it (within 2 pp, or not beyond the seed spread) / has the larger mismatch. "
          "Abstains when r_max = 1 and d_max = 0 (Batch Renorm is plain BN), fewer than 2 "
          "runs of both are finite or plain BN has almost no mismatch (< 2 %).",
    preconditions=("Batch Renorm differs from plain BN (r_max > 1 or d_max > 0)",
                   "≥ 2 runs of both finite", "plain BN has a mismatch (≥ 2 %)"),
    threshold="2 pp, *beyond the spread* (twice the standard error of the paired "
              "differences over the seeds)",
    test="tests/test_claims_testtime.py::test_batch_renorm_removes_the_mismatch_of_tiny_or_"
         "one_class_batches, ::test_batch_renorm_at_the_default_setting, "
         "::test_renorm_verdict_branches")


def renorm_verdict(table: pd.DataFrame, threshold: float = RENORM_MIN_MISMATCH,
                   clips: tuple[float, float] = (3.0, 5.0)) -> Verdict:
    """"Batch Renorm reduces the train/eval mismatch": the share of test predictions that
    change between train mode and eval mode, plain BN vs Batch Renorm, paired by seed; the
    mean difference must exceed ``threshold`` and the seed spread. ``clips`` (r_max, d_max):
    with (1, 0) Batch Renorm is plain BN, and the verdict says so."""
    bn, rn = paired(table, Norm.BN, Norm.RENORM, "disagree")
    ok = np.isfinite(bn) & np.isfinite(rn)
    n = int(ok.sum())
    ev = {"bn": float(np.mean(bn[ok])) if n else np.nan,
          "renorm": float(np.mean(rn[ok])) if n else np.nan, "runs": n}
    raw = {"bn": bn, "renorm": rn, "clips": tuple(clips)}
    said = (f"Train mode and eval mode disagree on {pct(ev['bn'])} of the test predictions "
            f"with plain BN and on {pct(ev['renorm'])} with Batch Renorm (mean of {n} seeds)"
            if n else "Every run diverged")
    r_max, d_max = clips
    pre = (Precondition("Batch Renorm differs from plain BN", r_max > 1 or d_max > 0,
                        "With r_max = 1 and d_max = 0 the clips force r = 1 and d = 0: Batch "
                        "Renorm is plain BN, so there is nothing to compare — move r_max or "
                        "d_max up."),
           Precondition("≥ 2 runs of both finite", n >= 2,
                        "Fewer than 2 runs of both trained without diverging: no mismatch to "
                        "compare."),
           Precondition("plain BN has a mismatch", bool(n and ev["bn"] >= threshold),
                        "With these mini-batches plain BN has almost no train/eval mismatch "
                        "(below 2 %) to remove."))
    if first_failed(pre) is not None:
        return abstain(MISMATCH, pre, ev, threshold, raw, lead=said + ". ")
    d = bn[ok] - rn[ok]
    k = int(np.sum(d > threshold))
    ev["held"] = k
    se = standard_error(d)
    outcome = beyond_spread(d, threshold)
    if outcome is Outcome.HOLDS:
        what = ("removes the mismatch (below 2 % left)" if ev["renorm"] < threshold
                else "reduces the mismatch")
        tail = (f": Batch Renorm {what} — {pp(np.mean(d))[1:]} less, beyond the seed spread "
                f"(±{pp(se)[1:]}), {runs(k, n)}.")
    elif outcome is Outcome.REVERSED:
        tail = (f": Batch Renorm has the larger mismatch here, by {pp(-np.mean(d))[1:]} "
                "beyond the seed spread.")
    elif abs(np.mean(d)) <= threshold:
        tail = ": Batch Renorm does not reduce it here (within 2 pp)."
    else:
        tail = (f": the difference, {pp(np.mean(d))}, is not beyond the seed spread "
                f"(±{pp(se)[1:]}), so Batch Renorm is not shown to reduce it.")
    return Verdict(outcome, said + tail, ev, threshold, MISMATCH, pre, raw)
