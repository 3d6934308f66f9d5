"""Error vs population: the relative error of every running estimate against the population
value, μ and σ² side by side on one log scale, and whether bias correction and the cumulative
average help or trail."""

from __future__ import annotations

from typing import Any

import streamlit as st

from bnsim.figures.running_stats.error_vs_population import error_plot
from bnsim.lessons.running_stats.error_vs_population import (
    start_value_lag_verdict,
    trails_verdict,
)
from bnsim.ui import page
from bnsim.ui.lesson import Tab
from bnsim.ui.live import figure_spec, live_chart
from bnsim.ui.running_stats.common import BY_TRACE, View, ViewKey, prepare, view_of

TITLE = "Error vs population"
ERRORS_HEIGHT = 480
ERROR_KEYS = (("errors", "mean"), ("errors_var", "var"))  # (live-chart key, statistic)


def error_plots(view: View) -> list[tuple[str, object]]:
    """(key, figure) of the μ and σ² error plots, side by side on the same y-axis."""
    return [(key, error_plot(view.us, view.errs, view.shown, view.beta, view.tol,
                             view.variance, height=ERRORS_HEIGHT, stats=(stat,)))
            for key, stat in ERROR_KEYS]


def error_takeaway(view: View) -> str:
    """Whether the start value still pulls the EMA at step ≈ 1/(1 − β_EMA)
    (:func:`~bnsim.lessons.running_stats.error_vs_population.start_value_lag_verdict`) and,
    with the cumulative average shown, whether it trails (:func:`~bnsim.lessons.running_stats.
    error_vs_population.trails_verdict`): at most two sentences."""
    text = start_value_lag_verdict(view.us, view.est, view.errs, "mean", view.variance).text
    if "cumulative" in view.shown:
        text += " " + trails_verdict(view.us, view.errs, view.variance).text
    return text


@st.cache_resource(max_entries=64, show_spinner=False, hash_funcs=BY_TRACE)
def error_specs(key: ViewKey) -> tuple[list[tuple[str, str]], str]:
    """((key, figure spec) of each of :func:`error_plots`, :func:`error_takeaway`), made once per
    view: building and serialising the two figures costs ~4 ms per rerun."""
    view = view_of(key)
    return [(k, figure_spec(fig)) for k, fig in error_plots(view)], error_takeaway(view)


def view(v: dict[str, Any]) -> None:
    """The two error plots and their takeaway."""
    if (prepared := prepare(v)) is None:
        return
    specs, takeaway = error_specs(prepared.view.key)
    for column, (key, spec) in zip(st.columns(2), specs, strict=True):
        live_chart(spec, key=key, where=column)
    page.takeaway(takeaway)


TAB = Tab(title=TITLE, view=view)
