"""Step by step: the EMA forming batch by batch, and the weight each earlier mini-batch still
has in it, scrubbed or played in the browser."""

from __future__ import annotations

from typing import Any

import streamlit as st

from bnsim.figures.running_stats.step_by_step import scrub
from bnsim.figures.style import tex
from bnsim.lessons.running_stats.common import start_weight_verdict
from bnsim.ui import page
from bnsim.ui.lesson import Tab
from bnsim.ui.running_stats.common import prepare

TITLE = "Step by step"
SCRUB_HEIGHT = 500  # two panels side by side, each ≈ 290 px tall; slider and ▶ under both
SCRUB_CAPTION = tex("Drag the slider under the plots or press ▶: it runs in your browser. The "
                    "grey curtain hides the steps still to come; the second plot shows how much "
                    "each earlier mini-batch's μ_B still counts in the EMA v_k.")


def scrub_takeaway(beta: float) -> str:
    """What each step does to the EMA, and how fast the start value loses its weight
    (:func:`~bnsim.lessons.running_stats.common.start_weight_verdict`)."""
    return start_weight_verdict(beta).text


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
