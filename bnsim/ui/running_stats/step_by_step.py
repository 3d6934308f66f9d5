"""Step by step: the EMA forming batch by batch, and the weight each earlier mini-batch still
has in it, scrubbed or played in the browser."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from bnsim.figures.running_stats.step_by_step import scrub
from bnsim.figures.style import tex
from bnsim.lessons.running_stats.common import start_weight_verdict
from bnsim.ui import page
from bnsim.ui.lesson import Tab
from bnsim.ui.running_stats.common import BY_TRACE, ViewKey, prepare, view_of

TITLE = "Step by step"
SCRUB_HEIGHT = 500  # two panels side by side, each ≈ 290 px tall; slider and ▶ under both
SCRUB_CAPTION = tex("Drag the slider under the plots or press ▶: it runs in your browser. The "
                    "grey curtain hides the steps still to come; the second plot shows how much "
                    "each earlier mini-batch's μ_B still counts in the EMA v_k.")


def scrub_takeaway(beta: float) -> str:
    """What each step does to the EMA, and how fast the start value loses its weight
    (:func:`~bnsim.lessons.running_stats.common.start_weight_verdict`)."""
    return start_weight_verdict(beta).text


class Prebuilt(go.Figure):
    """A figure whose :meth:`to_dict` is a dict made once. ``st.plotly_chart`` calls
    ``to_dict()`` on every rerun, which deep-copies the scrub's 100 frames (~15 ms); this one
    hands over the cached dict, so the chart sent is the same, serialised from it (Streamlit
    only reads it)."""

    def __init__(self, spec: dict):
        super().__init__()
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec


@st.cache_resource(max_entries=32, show_spinner=False, hash_funcs=BY_TRACE)
def scrub_figure(key: ViewKey) -> Prebuilt:
    """The scrub of the view ``key``, built once per view: its 100 frames cost ~70 ms to build
    and ~15 ms to copy."""
    view = view_of(key)
    return Prebuilt(scrub(view.us, view.est, view.shown, height=SCRUB_HEIGHT).to_dict())


def view(v: dict[str, Any]) -> None:
    """The animated chart (a plain Plotly chart: its frames play in the browser)."""
    if (prepared := prepare(v)) is None:
        return
    tab_view = prepared.view
    st.plotly_chart(scrub_figure(tab_view.key), key="scrub")
    page.takeaway(scrub_takeaway(tab_view.beta))
    st.caption(SCRUB_CAPTION)


TAB = Tab(title=TITLE, view=view)
