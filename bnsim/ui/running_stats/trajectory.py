"""Trajectory — the first (default) tab: μ and σ² side by side with the running estimates, the
takeaways rendered from the tab's verdicts, the CSV, and the lecture moments (every preset is
about what the trajectory shows, so each opens it)."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from bnsim import notation
from bnsim.figures.running_stats.trajectory import (
    MAX_LINE_POINTS,
    dot_stride,
    ema_preview,
    trajectory,
)
from bnsim.figures.style import tex
from bnsim.lessons.running_stats import common
from bnsim.lessons.running_stats.trajectory import (
    batch_mean_spread_verdict,
    eval_spread_verdict,
    tracking_verdict,
    trajectory_frame,
    variance_shortfall_verdict,
)
from bnsim.ui import concepts, page
from bnsim.ui.controls import Preset
from bnsim.ui.lesson import Tab
from bnsim.ui.live import figure_spec, live_chart, preview_spec
from bnsim.ui.running_stats.common import BY_TRACE, EMA_BETA, View, ViewKey, prepare, view_of
from bnsim.verdict import Verdict

TITLE = "Trajectory"
# Chart heights: every tab's chart starts under the title, one line and the tab strip at
# 1280×720 and ends above 720 (tests/test_e2e_projector_running_stats.py).
TRAJECTORY_HEIGHT = 480
# (live-chart key, statistic) of the side-by-side plots; columns stack on a phone
TRAJECTORY_KEYS = (("trajectory", "mean"), ("trajectory_var", "var"))
CSV_LABEL = "Download the trajectories (CSV)"
ABOUT_LABEL = "About this page"
ABOUT = tex("Every mini-batch gives its own μ_B, σ²_B for each unit of layer l; a single test "
            "example needs fixed values instead: an exponentially weighted average (EMA) "
            "collected during training. The plots show it form, and how far it is from the true "
            "(population) statistics: μ and σ² of the whole training set through the weights of "
            "that step. The step axis is logarithmic by default, so the first steps — where the "
            "EMA climbs from its start value — are as wide as the last hundreds (View → Log "
            "step axis).")
# On by default: on a linear axis the EMA's climb from v₀ = 0 — the lecture's point — fills
# only the first few pixels of a 1,000-step run.
LOGX = concepts.LOGX.narrow(help="Logarithmic step axis in the trajectory plots: spreads out "
                                 "the first steps, where the estimates form.")
# Lecture moments, named in links and tests: keep the names.
PRESETS = {
    "β_EMA = 0.9 as in the lecture": Preset(values={}),
    "β_EMA = 0.999: a very slow estimate": Preset(values={"ema_beta": 0.999}),
    "Tiny batches: noisy μ_B, biased σ²_B": Preset(
        values={"batch": 4, "var": "biased", "layer": 1, "unit": 4}),
    "Network still learning: does the estimate keep up?": Preset(
        values={"lr": 0.1, "ema_beta": 0.99, "unit": 3}),
}


def trajectories(view: View, log_steps: bool) -> list[tuple[str, object, dict | None]]:
    """(key, figure, EMA preview) of the μ and σ² trajectory plots, drawn side by side (each
    with half of the legend in the same top margin, so their plot areas align)."""
    out = []
    for key, stat in TRAJECTORY_KEYS:
        fig = trajectory(view.us, view.est, view.shown, view.variance, log_steps,
                         height=TRAJECTORY_HEIGHT, stats=(stat,))
        preview = None if view.est is None else ema_preview(
            fig, view.us, view.variance, view.beta, slider=EMA_BETA.label)
        out.append((key, fig, preview))
    return out


@st.cache_resource(max_entries=64, show_spinner=False, hash_funcs=BY_TRACE)
def trajectory_specs(key: ViewKey, log_steps: bool) -> list[tuple[str, str, str | None]]:
    """(key, figure spec, EMA preview spec) of :func:`trajectories`, serialised once per view
    and axis: building and serialising the two figures costs ~5 ms per rerun."""
    return [(k, figure_spec(fig), None if preview is None else preview_spec(preview))
            for k, fig, preview in trajectories(view_of(key), log_steps)]


def ordinal(k: int) -> str:
    """2 -> "2nd", 3 -> "3rd", 11 -> "11th"."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def thinning_caption(us: common.UnitStats) -> str | None:
    """Which steps the trajectory draws as dots and lines, when it doesn't draw them all."""
    n = len(us.steps)
    k = dot_stride(n)
    if k == 1:
        return None
    kl = dot_stride(n, MAX_LINE_POINTS)
    lines = "every step" if kl == 1 else f"every {ordinal(kl)} step"
    return (f"Dots: the first 30 mini-batches, then every {ordinal(k)} of {n}; lines: {lines}; "
            "the CSV has every step.")


def csv_name(view: View) -> str:
    """File name of the trajectories' CSV (the unit counted from 1, as on screen)."""
    return f"running_stats_layer{view.us.layer}_unit{view.us.unit + 1}.csv"


def tracking(view: View) -> list[Verdict]:
    """The tracking verdict of the shown running estimators, for μ and for σ²."""
    names = [n for n in common.RUNNING if n in view.shown]
    us = view.us
    out = []
    for stat in ("mean", "var"):
        with np.errstate(divide="ignore", invalid="ignore"):
            batch_rel = ((us.batch(stat, view.variance)[us.pop_steps - 1]
                          - us.population(stat, view.variance)) / us.scale(stat, view.variance))
        out.append(tracking_verdict(view.errs.steps, {n: view.errs.rel[stat][n] for n in names},
                                    view.tol, stat, batch_rel, view.beta))
    return out


def trajectory_takeaway(view: View) -> str:
    """From which step each shown estimator settles within the tolerance of the population (one
    sentence for μ, one for σ²), rendered from the tracking verdicts; in a layer without BN, how
    the μ_B scatter (:func:`~bnsim.lessons.running_stats.trajectory.batch_mean_spread_verdict`).
    """
    us = view.us
    if view.est is None:
        return (f"Layer {us.layer} keeps no running estimate. "
                + batch_mean_spread_verdict(us, view.bn_below, view.iid).text)
    verdicts = tracking(view)
    if all(v.failed is not None and v.failed.name == "an estimator is shown" for v in verdicts):
        return verdicts[0].text  # one "turn on an estimator", not two
    return " ".join(v.text for v in verdicts)


def variance_takeaway(view: View) -> str:
    """How σ²_B of the chosen kind compares with σ²_pop
    (:func:`~bnsim.lessons.running_stats.trajectory.variance_shortfall_verdict`); with BN below,
    with the same mini-batches normalised below by population statistics."""
    return variance_shortfall_verdict(view.us, view.variance, view.bn_below, view.iid).text


def eval_takeaway(view: View) -> str | None:
    """In a BN layer whose σ²_B the BN below changes beyond the noise: what the running σ̂²
    means in eval mode (:func:`~bnsim.lessons.running_stats.trajectory.eval_spread_verdict`);
    None elsewhere."""
    mates = variance_shortfall_verdict(view.us, view.variance, view.bn_below, view.iid)
    v = eval_spread_verdict(view.us, view.est, view.variance, view.tol, view.bn_below, mates)
    return None if v is None else v.text


@st.cache_resource(max_entries=64, show_spinner=False, hash_funcs=BY_TRACE)
def takeaways(key: ViewKey) -> tuple[str, ...]:
    """The tab's takeaways in order (:func:`trajectory_takeaway`, :func:`variance_takeaway`,
    :func:`eval_takeaway` when it has one), made once per view: their verdicts cost ~1 ms."""
    view = view_of(key)
    texts = (trajectory_takeaway(view), variance_takeaway(view), eval_takeaway(view))
    return tuple(t for t in texts if t is not None)


def view(v: dict[str, Any]) -> None:
    """μ and σ² side by side (stacked on a phone), the takeaways, the CSV, About. The EMA lines
    follow the β_EMA slider in the browser while it moves; the server's figure for the released
    value replaces them."""
    prepared = prepare(v, needs_estimate=False)
    tab_view = prepared.view
    with page.friendly("the plots"):
        charts = trajectory_specs(tab_view.key, bool(v["logx"]))
    for column, (key, spec, preview) in zip(st.columns(2), charts, strict=True):
        live_chart(spec, key=key, preview=preview, where=column)
    for text in takeaways(tab_view.key):
        page.takeaway(text)
    if (caption := thinning_caption(tab_view.us)) is not None:
        st.caption(caption)
    page.download_csv(lambda: trajectory_frame(tab_view.us, tab_view.est, tab_view.variance,
                                               tab_view.shown),
                      csv_name(tab_view), CSV_LABEL)
    with st.expander(ABOUT_LABEL, icon=":material/info:"):
        st.markdown(ABOUT)
        st.latex(notation.EMA_EQUATION)


TAB = Tab(title=TITLE, view=view, controls=(LOGX,), presets=PRESETS)
