"""Tab "Skewed test batches": accuracy on test batches whose share of class 1 is skewed, batch
statistics against running statistics on the very same examples (the lecture's batch of only
cats)."""

from __future__ import annotations

from typing import Any, NamedTuple

import streamlit as st

from bnsim.figures.testtime import skewed_batches as figures
from bnsim.lessons.testtime import skewed_batches
from bnsim.ui import page
from bnsim.ui.cache import TrainSetting
from bnsim.ui.control import Preset
from bnsim.ui.lesson import Tab
from bnsim.ui.live import figure_spec, live_chart
from bnsim.ui.testtime import common
from bnsim.verdict import Verdict, remade

TITLE = "Skewed test batches"
PRESETS = {"A test batch of only cats": Preset(values={"k": 32, "mix": 100})}
REPEATS_NOTE = "k is larger than a class of the test set: one-class batches repeat examples."


@st.cache_data(max_entries=64, show_spinner=False)
def skewed(s: TrainSetting, k: int, n_batches: int, seed: int) -> skewed_batches.SkewRuns:
    """:func:`bnsim.lessons.testtime.skewed_batches.skewed_runs` on the test set for every
    class mix."""
    nw = common.usable_network(s)
    d = nw.data
    return skewed_batches.skewed_runs(nw.params, nw.trace.net, nw.run, d.X_test, d.y_test, k,
                                      skewed_batches.MIXES, n_batches, seed)


class SkewView(NamedTuple):
    """What the tab shows for one network, k, class mix, number of batches and seed, made once
    (cached, shared between sessions: read-only): the runs, the chart's spec and the verdict
    (made again when shown, :func:`bnsim.verdict.remade`)."""

    runs: skewed_batches.SkewRuns
    spec: str
    verdict: Verdict


@st.cache_resource(max_entries=64, show_spinner=False)
def skew_view(s: TrainSetting, k: int, mix_pct: float, n_batches: int, tseed: int,
              reference: float) -> SkewView:
    """:class:`SkewView`: a class mix a class has chosen before costs a cache hit."""
    runs = skewed(s, k, n_batches, tseed)
    return SkewView(runs, figure_spec(figures.skewed(runs.table, mix_pct, k)),
                    skewed_batches.skew_verdict(
                        runs, mix_pct / 100, k, eval_acc=common.eval_accuracy(s),
                        reference=reference, collapse_p=common.collapse_p(s), seed=s.seed))


def caption(k: int, n_batches: int) -> str:
    return (f"Each point: {n_batches} random test batches of k = {k} with that share of class "
            f"1 (the lecture's cats), drawn as round(share · {k}) of {k} examples; running "
            "statistics predict the very same examples.")


def view(v: dict[str, Any]) -> None:
    """Accuracy against the class mix, the verdict at the chosen mix."""
    if (nw := common.network(v)) is None:
        return
    k, mix, repeats = v["k"], v["mix"], v["repeats"]
    with page.friendly("skewed test batches"):
        sv = skew_view(common.setting(v), k, float(mix), repeats, v["tseed"],
                       common.reference_of(v))
    table = sv.runs.table
    live_chart(sv.spec, key="fig_skew")
    page.takeaway(remade(sv.verdict).text)
    st.caption(caption(k, repeats))
    if skewed_batches.repeats_examples(nw.data.y_test, k):
        st.caption(REPEATS_NOTE)
    page.download_csv(table, f"skewed_k{k}.csv", common.CSV)


TAB = Tab(title=TITLE, view=view, presets=PRESETS)
