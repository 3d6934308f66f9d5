"""Running averages in training: the forum's "why not normalise with the running averages μ̂,
σ̂² during training too?" — plain BN against BN normalised by its running averages in training.

Then train mode is eval mode by construction; but no gradient flows through μ and σ, and the
normalisation trails the weights. The comparison itself
(:func:`bnsim.lessons.testtime.common.norm_table`) is shared with the tab "Batch Renorm".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bnsim.lessons.testtime.common import beyond_spread, network_trains, paired, standard_error
from bnsim.modes import Norm
from bnsim.verdict import (
    ABOUT_AS_WELL,
    Outcome,
    Precondition,
    Verdict,
    abstain,
    claim,
    first_failed,
    num,
    pct,
    pp,
    runs,
)

RUNNING_ACC_MARGIN = ABOUT_AS_WELL.threshold  # eval-mode accuracy difference: an effect
GROWS = 1.2  # ‖W‖ ratio above which the weights "grow", below 1/this they "shrink"
ACCURACY = claim(
    "testtime.running_averages.accuracy",
    where="Train vs test → Running averages in training (takeaway)",
    words="Eval-mode test accuracy: plain BN a %, running averages in training b % (mean of n "
          "seeds): the running averages train worse, by d pp beyond the seed spread, in k of n "
          "runs / train better (with these mini-batches the mini-batch statistics hurt plain "
          "BN) / both classify about as well (within 2 pp) or differ by d pp, not beyond the "
          "seed spread — and the weights grow / shrink r× / stay about as large (within "
          "20 %). Or: normalising with the running averages diverged in k of n runs (plain BN "
          "in j). Abstains when both diverge, fewer than 2 runs are finite, the data is not "
          "learnable or nothing trains.",
    preconditions=("not both variants diverge in most runs", "≥ 2 runs of both finite",
                   "the data is learnable", "something trains"),
    threshold="2 pp (*about as well*), *beyond the spread* (twice the standard error of "
              "the paired differences over the seeds); ‖W‖ ratio 1.2",
    test="tests/test_claims_testtime.py::test_running_averages_in_training_what_the_preset_"
         "shows, ::test_running_averages_beat_plain_bn_on_one_class_batches, "
         "::test_running_verdict_branches")


def weights_words(ratio: float) -> str:
    if ratio > GROWS:
        return f"the weights grow {num(ratio)}× as large"
    if ratio < 1 / GROWS:
        return f"the weights shrink to {num(ratio)}× their size with plain BN"
    return f"the weights stay about as large ({num(ratio)}×, within 20 %)"


def running_verdict(table: pd.DataFrame, reference: float = 1.0,
                    threshold: float = RUNNING_ACC_MARGIN) -> Verdict:
    """The forum's "why not use the running averages during training?": eval-mode test
    accuracy of plain BN minus that of BN normalised by the running averages in training,
    paired by seed (HOLDS: the running averages train worse, beyond the seed spread), plus
    what changes regardless: the weights' size ‖W‖ (``reference``: the 15-NN accuracy)."""
    bn, ra = paired(table, Norm.BN, Norm.RUNNING, "eval_test_acc")
    wb, wr = paired(table, Norm.BN, Norm.RUNNING, "weight_norm")
    div = int(np.sum(table.loc[table["norm"] == Norm.RUNNING, "diverged_at"] > 0))
    div_bn = int(np.sum(table.loc[table["norm"] == Norm.BN, "diverged_at"] > 0))
    n = len(bn)
    ok = np.isfinite(bn) & np.isfinite(ra)
    n_ok = int(ok.sum())
    ev = {"bn": float(np.mean(bn[ok])) if ok.any() else np.nan,
          "running": float(np.mean(ra[ok])) if ok.any() else np.nan,
          "weight_ratio": float(np.mean(wr[ok] / wb[ok])) if ok.any() else np.nan,
          "diverged": div, "runs": n}
    raw = {"bn": bn, "running": ra, "w_bn": wb, "w_running": wr, "diverged": div,
           "diverged_bn": div_bn, "runs": n, "reference": reference}
    both = Precondition("not both variants diverge in most runs",
                        not (div > n / 2 and div_bn > n / 2),
                        f"Both diverge (running averages {runs(div, n)}, plain BN "
                        f"{runs(div_bn, n)}): try a smaller learning rate.")
    if both.holds and div > n / 2:
        return Verdict(Outcome.HOLDS, f"Normalising with the running averages diverged "
                       f"{runs(div, n)}, plain BN {runs(div_bn, n)}: without a gradient "
                       "through μ and σ nothing stops the weights from running away.", ev,
                       threshold, ACCURACY, (both,), raw)
    said = (f"Eval-mode test accuracy: plain BN {pct(ev['bn'])}, running averages in "
            f"training {pct(ev['running'])} (mean of {n_ok} seeds)" if n_ok
            else "No run of both trained without diverging")
    pre = (both, Precondition("≥ 2 runs of both finite", n_ok >= 2,
                              "Fewer than 2 runs of both trained without diverging: nothing "
                              "to compare."),
           *network_trains({"plain BN": ev["bn"], "running averages": ev["running"]},
                           reference))
    if first_failed(pre) is not None:
        return abstain(ACCURACY, pre, ev, threshold, raw, lead=said + ". ")
    d = bn[ok] - ra[ok]
    k = int(np.sum(d > threshold))
    ev["held"] = k
    se = standard_error(d)
    outcome = beyond_spread(d, threshold)
    if outcome is Outcome.HOLDS:
        tail = (f"; the running averages train worse, by {pp(np.mean(d))[1:]} beyond the seed "
                f"spread (±{pp(se)[1:]}), {runs(k, n_ok)}.")
    elif outcome is Outcome.REVERSED:
        tail = (f"; here they train better, by {pp(-np.mean(d))[1:]} beyond the seed spread "
                f"(±{pp(se)[1:]}): with these mini-batches the mini-batch statistics "
                "themselves hurt plain BN.")
    else:
        how = ("both classify about as well (within 2 pp)" if abs(np.mean(d)) <= threshold
               else f"they differ by {pp(np.mean(d))}, not beyond the seed spread "
                    f"(±{pp(se)[1:]})")
        tail = (f"; {how}, but without a gradient through μ and σ the layer is no longer "
                f"normalised by its own batch in training and "
                f"{weights_words(ev['weight_ratio'])}.")
    return Verdict(outcome, said + tail, ev, threshold, ACCURACY, pre, raw)
