"""Batch Renorm: plain BN against Batch Renormalization (Ioffe 2017), trained alike over
several seeds; does Batch Renorm remove the train/eval mismatch?

The comparison itself (:func:`bnsim.lessons.testtime.common.norm_table`) is shared with the
tab "Running averages in training".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bnsim.lessons.testtime.common import judge, paired
from bnsim.modes import Norm
from bnsim.verdict import Outcome, Verdict, pct, runs

RENORM_MIN_MISMATCH = 0.02  # below this share of flipped predictions plain BN has no mismatch


def renorm_verdict(table: pd.DataFrame, threshold: float = RENORM_MIN_MISMATCH) -> Verdict:
    """"Batch Renorm reduces the train/eval mismatch": the share of test predictions that
    change between train mode and eval mode, plain BN vs Batch Renorm, paired by seed."""
    bn, rn = paired(table, Norm.BN, Norm.RENORM, "disagree")
    ok = np.isfinite(bn) & np.isfinite(rn)
    n = int(ok.sum())
    ev = {"bn": float(np.mean(bn[ok])) if n else np.nan,
          "renorm": float(np.mean(rn[ok])) if n else np.nan, "runs": n}
    if n == 0:
        return Verdict(Outcome.NOT_APPLICABLE, "Every run diverged: no mismatch to compare.",
                       ev, threshold)
    said = (f"Train mode and eval mode disagree on {pct(ev['bn'])} of the test predictions "
            f"with plain BN and on {pct(ev['renorm'])} with Batch Renorm (mean of {n} seeds)")
    if ev["bn"] < threshold:
        return Verdict(Outcome.NOT_APPLICABLE, said + ": with these mini-batches plain BN has "
                       "almost no train/eval mismatch to remove.", ev, threshold)
    k = int(np.sum(bn[ok] - rn[ok] > threshold))
    ev["held"] = k
    return judge(ev["bn"] - ev["renorm"], threshold, said, {
        Outcome.HOLDS: f": Batch Renorm removes the mismatch, {runs(k, n)}.",
        Outcome.REVERSED: ": Batch Renorm has the larger mismatch here.",
        Outcome.NO_EFFECT: ": Batch Renorm does not reduce it here."}, ev)
