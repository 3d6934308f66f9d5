"""Running averages in training: the forum's "why not normalise with the running averages μ̂,
σ̂² during training too?" — plain BN against BN normalised by its running averages in training.

Then train mode is eval mode by construction; but no gradient flows through μ and σ, and the
normalisation trails the weights. The comparison itself
(:func:`bnsim.lessons.testtime.common.norm_table`) is shared with the tab "Batch Renorm".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bnsim.lessons.testtime.common import paired
from bnsim.modes import Norm
from bnsim.verdict import Outcome, Verdict, compare, num, pct, runs

RUNNING_ACC_MARGIN = 0.03  # eval-mode accuracy difference that counts as an effect


def running_verdict(table: pd.DataFrame, threshold: float = RUNNING_ACC_MARGIN) -> Verdict:
    """The forum's "why not use the running averages during training?": eval-mode test
    accuracy of plain BN minus that of BN normalised by the running averages in training,
    paired by seed (HOLDS: the running averages train worse), plus what changes regardless:
    the weights' size ‖W‖."""
    bn, ra = paired(table, Norm.BN, Norm.RUNNING, "eval_test_acc")
    wb, wr = paired(table, Norm.BN, Norm.RUNNING, "weight_norm")
    div = int(np.sum(table.loc[table["norm"] == Norm.RUNNING, "diverged_at"] > 0))
    n = len(bn)
    ok = np.isfinite(bn) & np.isfinite(ra)
    ev = {"bn": float(np.mean(bn[ok])) if ok.any() else np.nan,
          "running": float(np.mean(ra[ok])) if ok.any() else np.nan,
          "weight_ratio": float(np.mean(wr[ok] / wb[ok])) if ok.any() else np.nan,
          "diverged": div, "runs": n}
    if div > n / 2:
        return Verdict(Outcome.HOLDS, f"Normalising with the running averages diverged "
                       f"{runs(div, n)}: without a gradient through μ and σ nothing stops "
                       "the weights from running away.", ev, threshold)
    if not ok.any() or not np.isfinite(bn[ok]).all():
        return Verdict(Outcome.NOT_APPLICABLE, "Plain BN did not train: nothing to compare.",
                       ev, threshold)
    k = int(np.sum(bn[ok] - ra[ok] > threshold))
    ev["held"] = k
    said = (f"Eval-mode test accuracy: plain BN {pct(ev['bn'])}, running averages in "
            f"training {pct(ev['running'])} (mean of {int(ok.sum())} seeds)")
    outcome = compare(ev["bn"] - ev["running"], threshold)
    if outcome is Outcome.HOLDS:
        tail = f"; the running averages train worse, {runs(k, int(ok.sum()))}."
    elif outcome is Outcome.REVERSED:
        tail = ("; here they train better: with these mini-batches the mini-batch statistics "
                "themselves hurt plain BN.")
    else:
        tail = (f"; on this toy problem nothing goes wrong in accuracy, but without a gradient "
                f"through μ and σ the layer is no longer normalised in training and the "
                f"weights grow {num(ev['weight_ratio'])}× as large.")
    return Verdict(outcome, said + tail, ev, threshold)
