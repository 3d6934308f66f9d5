"""Step by step: the EMA forming batch by batch, and the weight each earlier mini-batch still
has in it, scrubbed or played in the browser."""

from __future__ import annotations

from typing import Any

import streamlit as st

from bnsim.figures.running_stats.step_by_step import scrub
from bnsim.figures.style import tex
from bnsim.lessons.running_stats.common import share
from bnsim.ui import page
from bnsim.ui.lesson import Tab
from bnsim.ui.running_stats.common import prepare
from bnsim.verdict import pct

TITLE = "Step by step"
SCRUB_HEIGHT = 500  # two panels side by side, each ≈ 290 px tall; slider and ▶ under both
SCRUB_CAPTION = tex("Drag the slider under the plots or press ▶: it runs in your browser. The "
                    "grey curtain hides the steps still to come; the second plot shows how much "
                    "each earlier mini-batch's μ_B still counts in the EMA v_k.")


def scrub_takeaway(beta: float) -> str:
    """What each step does to the EMA, and how fast the start value loses its weight."""
    if beta == 0:
        return ("With β_EMA = 0 the EMA is just the last mini-batch's μ_B: no memory, and the "
                "start value v₀ = 0 is gone after the first step.")
    return (f"Each mini-batch moves the EMA {pct(1 - beta)} of the way to its μ_B. The start "
            f"value v₀ = 0 still weighs β_EMA^k = {share(beta ** 10)} after k = 10 batches, "
            f"{share(beta ** 50)} after 50 and {share(beta ** 100)} after 100.")


def view(v: dict[str, Any]) -> None:
    """The animated chart (a plain Plotly chart: its frames play in the browser)."""
    if (prepared := prepare(v)) is None:
        return
    tab_view = prepared.view
    st.plotly_chart(scrub(tab_view.us, tab_view.est, tab_view.shown, height=SCRUB_HEIGHT),
                    key="scrub")
    page.takeaway(scrub_takeaway(tab_view.beta))
    st.caption(SCRUB_CAPTION)


TAB = Tab(title=TITLE, view=view)
