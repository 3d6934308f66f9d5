"""Distribution at a step: z over the whole training set and over the mini-batch of one step,
with μ_B, μ_pop and the running estimates marked — batch noise next to the estimate's lag."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import streamlit as st

from bnsim.figures.running_stats.distribution_at_a_step import distribution
from bnsim.lessons.running_stats.common import RUNNING
from bnsim.lessons.running_stats.distribution_at_a_step import (
    Distribution,
    distribution_at,
    distribution_verdict,
    z_range,
)
from bnsim.ui import concepts, page
from bnsim.ui.lesson import Tab
from bnsim.ui.live import figure_spec, live_chart
from bnsim.ui.running_stats.common import BY_TRACE, Run, View, ViewKey, prepare, view_of

TITLE = "Distribution at a step"
DISTRIBUTION_HEIGHT = 480  # the legend takes three rows; the histogram keeps ≥ 250 px


def _inert_step(v, _tab: str) -> str | None:
    """The step slider beyond the run's last step shows the last step."""
    steps = int(v.get("steps", 1000))
    if int(v.get("step", 10)) > steps:
        return f"The run has {steps} steps: any step beyond shows step {steps}."
    return None


STEP = concepts.STEP.narrow(default=10, help="Training step of the distribution view (the "
                            "nearest step with stored weights is shown).", inert=_inert_step)


def distribution_of(run: Run, layer: int, unit: int, step: int) -> Distribution:
    """The distribution view's data at the stored step nearest to ``step`` (≤ the run);
    ``unit`` 0-based."""
    return distribution_at(run.trace, run.X, run.y, layer, unit,
                           min(int(step), len(run.trace.loss)))


def marks_at(view: View, step: int) -> dict[str, float]:
    """{estimator: running estimate of μ after ``step``} for the estimators shown."""
    if view.est is None:
        return {}
    return {n: float(view.est.get(n, "mean")[step - 1]) for n in RUNNING if n in view.shown}


def snapshot_caption(run: Run, dist: Distribution, asked: int) -> str | None:
    """Which step the distribution view shows when weights weren't stored at the one asked."""
    if dist.step == asked:
        return None
    return (f"Weights are stored at {len(run.trace.snapshot_steps)} steps; showing step "
            f"{dist.step}, the nearest to {asked}.")


def distribution_takeaway(dist: Distribution, marks: dict, view: View | None = None) -> str:
    """μ_B vs population (batch noise) vs the running estimate (lag) at one step
    (:func:`~bnsim.lessons.running_stats.distribution_at_a_step.distribution_verdict`)."""
    below = () if view is None else view.bn_below
    batch_mu = np.array([]) if view is None else view.us.mu
    beta = float("nan") if view is None else view.beta
    return distribution_verdict(dist, marks, below, batch_mu, beta).text


class Shown(NamedTuple):
    """What the tab draws at one step: the data, the histogram's spec and the takeaway."""

    dist: Distribution
    spec: str
    takeaway: str


@st.cache_resource(max_entries=64, show_spinner=False, hash_funcs=BY_TRACE)
def shown_at(key: ViewKey, run: Run, step: int) -> Shown:
    """The histogram and its takeaway at ``step`` of the view ``key`` of ``run`` (hashed as its
    trace, training set and summary), made once per view and step: the forward passes, the
    replayed mini-batch and the figure cost a few ms."""
    view = view_of(key)
    dist = distribution_of(run, view.us.layer, view.us.unit, step)
    marks = marks_at(view, dist.step)
    spec = figure_spec(distribution(dist, marks, z_range(view.us), height=DISTRIBUTION_HEIGHT))
    return Shown(dist, spec, distribution_takeaway(dist, marks, view))


def view(v: dict[str, Any]) -> None:
    """The histogram at the chosen step (also in a layer without BN: μ_B and μ_pop)."""
    prepared = prepare(v, needs_estimate=False)
    run, tab_view = prepared
    shown = shown_at(tab_view.key, run, int(v["step"]))
    live_chart(shown.spec, key="distribution")
    page.takeaway(shown.takeaway)
    if (caption := snapshot_caption(run, shown.dist, v["step"])) is not None:
        st.caption(caption)


TAB = Tab(title=TITLE, view=view, controls=(STEP,))
