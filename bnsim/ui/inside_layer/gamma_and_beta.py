"""Tab "γ and β": the learned γ, β, two sliders (the rows and the activation curve follow them
in the browser while they move) or *Undo BN*; where the batch sits on g."""

from __future__ import annotations

from typing import Any

import streamlit as st

from bnsim.figures.inside_layer import common as rows_figures
from bnsim.figures.inside_layer import gamma_and_beta as figures
from bnsim.lessons.inside_layer import common as core
from bnsim.lessons.inside_layer import gamma_and_beta
from bnsim.ui import page
from bnsim.ui.control import Preset
from bnsim.ui.inside_layer import common
from bnsim.ui.lesson import Tab
from bnsim.ui.live import live_chart
from bnsim.verdict import Verdict

TITLE = "γ and β"
HEIGHT = 400  # both charts, side by side, with the takeaway inside the first 1280×720 screen
UNDO_LABEL = r"Undo BN: $\gamma = \sqrt{\sigma^2_B + \varepsilon}$, $\beta = \mu_B$"  # typeset


def curve_preview(vw: common.RowsView) -> dict | None:
    """The in-browser recipe of the activation curve, only when the sliders set γ, β."""
    return figures.curve_preview(vw.shown, common.GB_SLIDERS) if vw.gb == "sliders" else None


def undo_takeaway(vw: common.RowsView) -> str:
    return first_verdict(vw).text


def first_verdict(vw: common.RowsView) -> Verdict:
    """Undo BN: z̃ equals z; otherwise: γ and β give z̃ any mean and spread."""
    if vw.gb == "undo":
        return gamma_and_beta.undo_verdict(vw.shown)
    return gamma_and_beta.spread_verdict(vw.shown)


def middle_verdict(vw: common.RowsView) -> Verdict:
    return gamma_and_beta.middle_of(vw.batch, vw.base.eps, vw.base.activation)


def view(v: dict[str, Any]) -> None:
    """The rows and the activation curve side by side (stacked on a phone), the takeaways,
    the undo button."""
    run, vw = common.looked_inside(v)
    left, right = st.columns(2)
    live_chart(rows_figures.stage_rows(vw.shown, run.y[vw.batch.idx], height=HEIGHT),
               key="fig_rows_gb", where=left, preview=common.rows_preview(vw, run, v))
    live_chart(figures.activation_curve(vw.shown.activation, vw.shown.z_norm, vw.shown.z_tilde,
                                        figures.curve_label(vw.gamma, vw.beta), height=HEIGHT),
               key="fig_curve", where=right, preview=curve_preview(vw))
    page.takeaway(undo_takeaway(vw))
    page.takeaway(middle_verdict(vw).text)
    st.markdown(common.gb_line(vw))
    st.button(UNDO_LABEL, on_click=common.set_undo, key="undo", icon=":material/undo:")
    page.download_csv(lambda: core.stages_frame(vw.shown), "inside_layer_gamma_beta.csv",
                      key="csv_gb")


TAB = Tab(title=TITLE, view=view, controls=common.ROWS_CONTROLS, presets={
    "γ, β undo BN": Preset(values={"gb": "undo"}),
    "sigmoid stuck in its linear part": Preset(
        values={"gb": "sliders", "gamma": 1.0, "bn_beta": 0.0, "act": "sigmoid"}),
})
