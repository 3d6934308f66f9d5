"""Tab "Skewed test batches": accuracy on test batches whose share of class 1 is skewed, batch
statistics against running statistics on the very same examples (the lecture's batch of only
cats)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from bnsim.figures.testtime import skewed_batches as figures
from bnsim.lessons.testtime import skewed_batches
from bnsim.ui import page
from bnsim.ui.cache import TrainSetting
from bnsim.ui.control import Preset
from bnsim.ui.lesson import Tab
from bnsim.ui.live import live_chart
from bnsim.ui.testtime import common

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


def verdict(v: dict[str, Any], runs: skewed_batches.SkewRuns):
    s = common.setting(v)
    return skewed_batches.skew_verdict(
        runs, v["mix"] / 100, v["k"], eval_acc=common.eval_accuracy(s),
        reference=common.reference_of(v), collapse_p=common.collapse_p(s), seed=v["seed"])


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
        runs = skewed(common.setting(v), k, repeats, v["tseed"])
        said = verdict(v, runs).text
    table = runs.table
    live_chart(figures.skewed(table, mix, k), key="fig_skew")
    page.takeaway(said)
    st.caption(caption(k, repeats))
    if skewed_batches.repeats_examples(nw.data.y_test, k):
        st.caption(REPEATS_NOTE)
    page.download_csv(table, f"skewed_k{k}.csv", common.CSV)


TAB = Tab(title=TITLE, view=view, presets=PRESETS)
