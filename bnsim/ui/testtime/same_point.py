"""Tab "Same point, new neighbours": one test point (clicked on the eval-mode map) inside many
random test batches, against its one eval-mode prediction — and how typical its flip rate is."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from bnsim.figures.testtime import same_point as figures
from bnsim.lessons.testtime import same_point
from bnsim.ui import page
from bnsim.ui.cache import TrainSetting
from bnsim.ui.control import Control
from bnsim.ui.lesson import Tab
from bnsim.ui.live import figure_spec, live_chart
from bnsim.ui.testtime import common
from bnsim.verdict import Verdict, remade

TITLE = "Same point, new neighbours"
POINT = Control(key="point", label="Test point #", default=176,
                help="Which test example to follow in 'Same point, new neighbours' (or click it "
                     "on that tab's map).",
                group="View", kind="number", min=0, max=common.N_TEST - 1, step=1)
FLIP_DRAWS = 40  # random test batches per test point for the flip rates of all points
# The pick map is a plain st.plotly_chart (it answers clicks): no toolbar over its title and
# legend on a phone; double-click still resets a pan.
PLOTLY_CONFIG = {"displayModeBar": False}
PICK_HINT = ("Click a test point on the eval-mode map to follow it (or type its number in the "
             "sidebar: View → Test point #).")


@st.cache_data(max_entries=64, show_spinner=False)
def follow(s: TrainSetting, i: int, k: int, n_draws: int, seed: int) -> same_point.Followed:
    """:func:`bnsim.lessons.testtime.same_point.follow` for test point ``i``."""
    nw = common.usable_network(s)
    d = nw.data
    return same_point.follow(nw.params, nw.trace.net, nw.run, d.X_test, d.y_test, i, k,
                             n_draws, seed)


@st.cache_data(max_entries=32, show_spinner=False)
def flip_rates(s: TrainSetting, k: int, seed: int) -> np.ndarray:
    """:func:`bnsim.lessons.testtime.same_point.flip_rates` of every test point."""
    nw = common.usable_network(s)
    return same_point.flip_rates(nw.params, nw.trace.net, nw.run, nw.data.X_test, k,
                                 FLIP_DRAWS, seed)


def on_pick() -> None:
    """Click on the pick map: follow the clicked test point (its customdata index)."""
    pts = st.session_state["pick_map"].selection.get("points", [])
    ids = [p["customdata"] for p in pts if p.get("customdata") is not None]
    if ids:
        cd = ids[0]
        st.session_state[POINT.key] = int(cd[0] if isinstance(cd, list) else cd)


class PointView(NamedTuple):
    """What the tab shows for one test point, k and seed, made once (cached, shared between
    sessions: read-only): the followed point, the histogram's spec and the verdict (made again
    when shown, :func:`bnsim.verdict.remade`)."""

    followed: same_point.Followed
    spec: str
    verdict: Verdict


@st.cache_resource(max_entries=64, show_spinner=False)
def point_view(s: TrainSetting, i: int, k: int, n_draws: int, seed: int) -> PointView:
    """:class:`PointView` of test point ``i``: a move of k or of the point costs the
    predictions and the figure once per value, then a cache hit."""
    f = follow(s, i, k, n_draws, seed)
    rates = flip_rates(s, k, seed)
    typical = same_point.typicality(rates, f.flips)
    return PointView(f, figure_spec(figures.neighbours(f.draws, f.p_eval, k, i, f.label)),
                     same_point.flips_verdict(f, typical, rates))


@st.cache_resource(max_entries=16, show_spinner=False)
def pick_figure(s: TrainSetting, i: int) -> go.Figure:
    """The clickable eval-mode map with point ``i`` marked (built once per network and point;
    Streamlit copies it when it serialises it, so the cached figure is never changed)."""
    nw = common.usable_network(s)
    return figures.pick_map(common.eval_map(s), nw.data.X_test, nw.data.y_test, i)


def view(v: dict[str, Any]) -> None:
    """The clickable eval-mode map beside the histogram of the followed point's p."""
    if common.network(v) is None:
        return
    s, i, k, tseed = common.setting(v), int(v[POINT.key]), v["k"], v["tseed"]
    with page.friendly("the distribution over test batches"):
        pv = point_view(s, i, k, 4 * v["repeats"], tseed)
        pick = pick_figure(s, i)
    f = pv.followed
    left, right = st.columns(2)
    left.plotly_chart(pick, key="pick_map", on_select=on_pick, selection_mode="points",
                      config=PLOTLY_CONFIG)
    live_chart(pv.spec, key="fig_nb", where=right)
    page.takeaway(remade(pv.verdict).text)
    st.caption(PICK_HINT)
    page.download_csv(f.to_frame, f"point_{i}_k{k}.csv")


TAB = Tab(title=TITLE, view=view, controls=(POINT,))
