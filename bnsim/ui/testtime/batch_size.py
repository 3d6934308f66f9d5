"""Tab "Test batch size": batch-statistics test accuracy against the test batch size k, the
chosen k marked, and why a test batch of one collapses."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from bnsim.figures.testtime import batch_size as figures
from bnsim.lessons.testtime import batch_size
from bnsim.ui import page
from bnsim.ui.cache import TrainSetting
from bnsim.ui.control import Preset
from bnsim.ui.lesson import Tab
from bnsim.ui.live import live_chart
from bnsim.ui.testtime import common

TITLE = "Test batch size"
PRESETS = {"A test batch of one": Preset(values={"k": 1})}


@st.cache_data(max_entries=64, show_spinner="Sampling random test batches…")
def accuracy_vs_k(s: TrainSetting, ks: tuple[int, ...], n_batchings: int,
                  seed: int) -> batch_size.AccVsK:
    """:func:`bnsim.lessons.testtime.batch_size.accuracy_vs_k` on the test set."""
    nw = common.usable_network(s)
    d = nw.data
    return batch_size.accuracy_vs_k(nw.params, nw.trace.net, nw.run, d.X_test, d.y_test, ks,
                                    n_batchings, seed)


def k_view(s: TrainSetting, k: int, n_batchings: int, seed: int
           ) -> tuple[batch_size.KView, np.ndarray]:
    """The accuracy-vs-k curve, the chosen k on it (same batchings if k is on the curve) and
    the k = 1 collapse; and the accuracies of the chosen k's batchings."""
    curve = accuracy_vs_k(s, batch_size.KS, n_batchings, seed)
    one = curve if k in batch_size.KS else accuracy_vs_k(s, (k,), n_batchings, seed)
    nw = common.usable_network(s)
    return (batch_size.KView(curve, batch_size.at_k(one, k),
                             batch_size.collapse(nw.params, nw.trace.net, nw.data.y_test)),
            one.acc[list(one.ks).index(k)])


def takeaway(kv: batch_size.KView, n_batchings: int, reference: float = 1.0,
             acc=()) -> str:
    return batch_size.at_k_verdict(kv.at, acc, kv.curve.eval_acc, reference, kv.collapse.p,
                                   n_batchings).text


def collapse_note(c: batch_size.Collapse, eval_acc: float, reference: float = 1.0,
                  k1=()) -> str:
    return common.K1 + f"(class {c.cls}). " + batch_size.collapse_verdict(
        c, eval_acc, reference, k1).text


def view(v: dict[str, Any]) -> None:
    """The accuracy-vs-k curve, the takeaway and the k = 1 collapse."""
    if common.network(v) is None:
        return
    k, repeats = v["k"], v["repeats"]
    with page.friendly("accuracy vs test batch size"):
        kv, acc = k_view(common.setting(v), k, repeats, v["tseed"])
        ref = common.reference_of(v)
    live_chart(figures.accuracy_vs_k(kv.curve.table, k, kv.at.mean, kv.collapse.share),
               key="fig_acc_k")
    page.takeaway(takeaway(kv, repeats, ref, acc))
    k1 = kv.curve.acc[0] if kv.curve.ks[0] == 1 else ()
    st.info(collapse_note(kv.collapse, kv.curve.eval_acc, ref, k1))
    page.download_csv(kv.curve.table, "accuracy_vs_k.csv", common.CSV)


TAB = Tab(title=TITLE, view=view, presets=PRESETS)
