"""Tab "Running estimate": eval-mode test accuracy over training with the EMA running estimate
for β_EMA, the bias-corrected EMA and the population statistics — a slow EMA lags."""

from __future__ import annotations

from typing import Any, NamedTuple

import streamlit as st

from bnsim import notation
from bnsim.figures.style import tex
from bnsim.figures.testtime import running_estimate as figures
from bnsim.lessons.testtime import running_estimate
from bnsim.ui import concepts, page
from bnsim.ui.cache import TrainSetting, trained
from bnsim.ui.control import Preset
from bnsim.ui.lesson import Tab
from bnsim.ui.live import figure_spec, live_chart
from bnsim.ui.testtime import common
from bnsim.verdict import Verdict, remade

TITLE = "Running estimate"
EMA_BETA = concepts.EMA_BETA.narrow(
    min=0.5, help="EMA coefficient in v_t = β_EMA·v_{t−1} + (1 − β_EMA)·θ_t, replayed on the "
                  "recorded batch statistics. PyTorch momentum = 1 − β_EMA, Keras momentum = "
                  "β_EMA.")
PRESETS = {"A slow running average (β_EMA = 0.999)": Preset(values={"ema_beta": 0.999})}
WHY_EMA = ("Why an EMA and not the average over the whole training set? The EMA comes for free "
           "during training; population statistics need one more pass over the training set "
           "with the final weights.")


@st.cache_data(max_entries=32, show_spinner=False)
def running_estimates(s: TrainSetting, ema_beta: float) -> running_estimate.Lag:
    """:func:`bnsim.lessons.testtime.running_estimate.running_estimate_accuracy` for β_EMA,
    summarised by :func:`bnsim.lessons.testtime.running_estimate.lag`."""
    r = trained(s)
    table = running_estimate.running_estimate_accuracy(r.trace, r.X, r.X_test, r.y_test,
                                                       ema_beta)
    return running_estimate.lag(table, ema_beta)


class LagView(NamedTuple):
    """What the tab shows for one network and β_EMA, made once (cached, shared between
    sessions: read-only): the lag, the chart's spec and the verdict (made again when shown,
    :func:`bnsim.verdict.remade`)."""

    lag: running_estimate.Lag
    spec: str
    verdict: Verdict


@st.cache_resource(max_entries=64, show_spinner=False)
def lag_view(s: TrainSetting, ema_beta: float, reference: float, diverged: bool) -> LagView:
    """:class:`LagView`: a β_EMA a class has chosen before costs a cache hit (replaying the
    EMA, the accuracies and the figure cost ~30 ms per value)."""
    lag = running_estimates(s, ema_beta)
    return LagView(lag, figure_spec(figures.running_estimates(lag.table, ema_beta)),
                   running_estimate.lag_verdict(lag, reference, diverged))


def momentum_note(ema_beta: float) -> str:
    fm = notation.framework_momentum(ema_beta)
    return tex(f"β_EMA = {ema_beta:.3f} — PyTorch "
               f"`momentum={fm['pytorch']:.3f}`, Keras `momentum={fm['keras']:.3f}`. "
               "Plain BN never uses the running estimate while training, so the "
               "recorded μ_B, σ²_B of every step are replayed through this β_EMA.")


def view(v: dict[str, Any]) -> None:
    """Accuracy over training per running estimate, the verdict, the EMA's equations."""
    if (nw := common.network(v)) is None:
        return
    ema_beta = v[EMA_BETA.key]
    with page.friendly("the running estimates"):
        lv = lag_view(common.setting(v), float(ema_beta), common.reference_of(v),
                      bool(nw.trace.diverged))
    lag = lv.lag
    live_chart(lv.spec, key="fig_running")
    page.takeaway(remade(lv.verdict).text)
    st.markdown(momentum_note(ema_beta))
    st.latex(notation.EMA_EQUATION + r"\qquad " + notation.EMA_BIAS_CORRECTED)
    st.caption(WHY_EMA)
    page.download_csv(lag.wide.reset_index(), "running_estimates.csv", common.CSV)


TAB = Tab(title=TITLE, view=view, controls=(EMA_BETA,), presets=PRESETS)
