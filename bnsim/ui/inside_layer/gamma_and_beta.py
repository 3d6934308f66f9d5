"""Tab "γ and β": the learned γ, β, two sliders (the rows and the activation curve follow them
in the browser while they move) or *Undo BN*; where the batch sits on g."""

from __future__ import annotations

from typing import Any

import numpy as np
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
from bnsim.verdict import Verdict, num

TITLE = "γ and β"
HEIGHT = 400  # both charts, side by side, with the takeaway inside the first 1280×720 screen
UNDO_LABEL = r"Undo BN: $\gamma = \sqrt{\sigma^2_B + \varepsilon}$, $\beta = \mu_B$"  # typeset


def curve_preview(vw: common.RowsView) -> dict | None:
    """The in-browser recipe of the activation curve, only when the sliders set γ, β."""
    return figures.curve_preview(vw.shown, common.GB_SLIDERS) if vw.gb == "sliders" else None


def undo_takeaway(vw: common.RowsView) -> str:
    s = vw.shown
    if vw.gb != "undo":
        return (f"z̃ now has mean {num(float(np.mean(s.z_tilde)))} and standard deviation "
                f"{num(float(np.std(s.z_tilde)))}: with γ and β any mean and variance is "
                "possible. Press **Undo BN** to get z back.")
    return (f"With γ = √(σ²_B + ε) = {num(vw.gamma)} and β = μ_B = {num(vw.beta)}, z̃ equals z "
            f"to {gamma_and_beta.undo_difference(s):.1e} (rounding): γ and β can undo BN "
            "entirely, so BN never takes a representation away from the network.")


def middle_verdict(vw: common.RowsView) -> Verdict:
    act = vw.base.activation
    mid = gamma_and_beta.layer_middle(vw.batch, vw.base.eps, act)
    return gamma_and_beta.sigmoid_verdict(mid, act, True, vw.layer)


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


TAB = Tab(title=TITLE, view=view, presets={
    "γ, β undo BN": Preset(values={"gb": "undo"}),
    "sigmoid stuck in its linear part": Preset(
        values={"gb": "sliders", "gamma": 1.0, "bn_beta": 0.0, "act": "sigmoid"}),
})
