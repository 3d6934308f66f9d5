"""Tab "Test batch size": batch-statistics test accuracy against the test batch size k, the
chosen k marked, and why a test batch of one collapses."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import streamlit as st

from bnsim.figures.testtime import batch_size as figures
from bnsim.lessons.testtime import batch_size
from bnsim.ui import page
from bnsim.ui.cache import TrainSetting
from bnsim.ui.control import Preset
from bnsim.ui.lesson import Tab
from bnsim.ui.live import figure_spec, live_chart
from bnsim.ui.testtime import common
from bnsim.verdict import Verdict, remade

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


class KChart(NamedTuple):
    """What the tab shows for one network, k, number of batchings and seed, made once (cached,
    shared between sessions: read-only): the curve, the chart's spec and the two verdicts (at
    k, and the k = 1 collapse; made again when shown, :func:`bnsim.verdict.remade`)."""

    kv: batch_size.KView
    spec: str
    at_k: Verdict
    collapse: Verdict


@st.cache_resource(max_entries=64, show_spinner=False)
def k_chart(s: TrainSetting, k: int, n_batchings: int, seed: int, reference: float) -> KChart:
    """:class:`KChart`: a k a class has chosen before costs a cache hit."""
    kv, acc = k_view(s, k, n_batchings, seed)
    k1 = kv.curve.acc[0] if kv.curve.ks[0] == 1 else ()
    return KChart(kv, figure_spec(figures.accuracy_vs_k(kv.curve.table, k, kv.at.mean,
                                                        kv.collapse.share)),
                  batch_size.at_k_verdict(kv.at, acc, kv.curve.eval_acc, reference,
                                          kv.collapse.p, n_batchings),
                  batch_size.collapse_verdict(kv.collapse, kv.curve.eval_acc, reference, k1))


def collapse_note(c: batch_size.Collapse, verdict: Verdict) -> str:
    """The k = 1 note: the class every lone example is given, and the collapse verdict."""
    return common.K1 + f"(class {c.cls}). " + verdict.text


def view(v: dict[str, Any]) -> None:
    """The accuracy-vs-k curve, the takeaway and the k = 1 collapse."""
    if common.network(v) is None:
        return
    k, repeats = v["k"], v["repeats"]
    with page.friendly("accuracy vs test batch size"):
        kc = k_chart(common.setting(v), k, repeats, v["tseed"], common.reference_of(v))
    kv = kc.kv
    live_chart(kc.spec, key="fig_acc_k")
    page.takeaway(remade(kc.at_k).text)
    st.info(collapse_note(kv.collapse, remade(kc.collapse)))
    page.download_csv(kv.curve.table, "accuracy_vs_k.csv", common.CSV)


TAB = Tab(title=TITLE, view=view, presets=PRESETS)
