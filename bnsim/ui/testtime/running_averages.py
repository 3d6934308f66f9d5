"""Tab "Running averages in training": plain BN, Batch Renorm and BN normalised by its running
averages in training, over several seeds — the forum's "why not use the running averages during
training too?"."""

from __future__ import annotations

from typing import Any

import streamlit as st

from bnsim.lessons.testtime import common as core
from bnsim.lessons.testtime import running_averages
from bnsim.modes import Sampling
from bnsim.ui import page
from bnsim.ui.control import Preset
from bnsim.ui.lesson import Tab
from bnsim.ui.testtime import common

TITLE = "Running averages in training"
PRESETS = {"Why not use the running averages in training?": Preset(
    values={"batch": 32, "sampling": Sampling.IID})}
INTRO = ("Forum question 3: *why not normalise with the running averages μ̂, σ̂² during "
         "training too?* Then train mode is eval mode by construction; but the gradient "
         "no longer flows through μ and σ, and the normalisation trails the weights.")


def takeaway(n: common.Norms, v: dict[str, Any]) -> str:
    return f"With {common.mini_batches(v)}: " + running_averages.running_verdict(
        n.table, common.reference_of(v)).text


def view(v: dict[str, Any]) -> None:
    """The three variants during training and at the end, the verdict."""
    if common.network(v) is None:
        return
    n = common.variants(v, core.NORMS, "the running-averages comparison")
    common.draw_variants(n, "running_bn")
    page.takeaway(takeaway(n, v))
    st.markdown(INTRO)
    page.download_csv(n.table, "running_averages_in_training.csv", common.CSV)


TAB = Tab(title=TITLE, view=view, presets=PRESETS)
