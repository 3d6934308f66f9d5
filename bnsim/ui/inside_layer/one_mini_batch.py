"""Tab "One mini-batch": the rows chart follows unit j of layer l through BN at one training
step, the formulas and shapes beside the numbers, and the bias b^[l] that BN cancels."""

from __future__ import annotations

from typing import Any

import streamlit as st

from bnsim.figures.inside_layer import common as rows_figures
from bnsim.lessons.inside_layer import common as core
from bnsim.lessons.inside_layer import one_mini_batch
from bnsim.ui import page
from bnsim.ui.control import Control, Preset
from bnsim.ui.inside_layer import common
from bnsim.ui.lesson import Tab
from bnsim.ui.live import live_chart
from bnsim.verdict import Verdict

TITLE = "One mini-batch"
ROWS_HEIGHT = 400  # with the takeaway under it, inside the first 1280×720 screen
NUMBERS = Control(key="numbers", label="Show numbers", default=True, group="View",
                  kind="toggle", help="List the values of every row (for m ≤ "
                  f"{one_mini_batch.SHOW_NUMBERS_MAX_M}).")
BIAS_ALGEBRA = (r"z + b - \mu_{B}(z + b) = z + b - (\mu_B + b) = z - \mu_B"
                r"\quad\Rightarrow\quad z_{\text{norm}}\ \text{does not depend on}\ b^{[l]},"
                r"\ \text{so}\ \beta^{[l]}\ \text{takes its role}")


def shape_line(vw: common.RowsView, m: int) -> str:
    n = vw.batch.W.shape[0]
    return (f"Layer {vw.layer} has n^[{vw.layer}] = {n} units and the mini-batch m = {m} "
            f"examples: Z^[{vw.layer}] is ({n}, {m}) — one column per example, as in the "
            f"lecture. The rows below follow unit j = {vw.unit}: its {m} values at training "
            f"step {vw.batch.step}.")


def shape_of(key: str, n: int, m: int) -> str:
    """The array's shape in the lecture's column-per-example notation."""
    return f"({n}, {m})" if key in core.PER_EXAMPLE else f"({n}, 1)"


def stage_formulas(n: int, m: int) -> str:
    """Every row's formula and shape in ONE aligned ``st.latex`` block. It depends only on
    n and m, so moving layer, unit, step, γ or β sends the browser the same bytes (nothing to
    re-typeset)."""
    rows = [rf"{formula} &\qquad {shape_of(key, n, m)}" for key, formula, _ in core.STAGES]
    return r"\begin{aligned}" + r" \\[2pt] ".join(rows) + r"\end{aligned}"


def numbers_markdown(s: core.Stages, n: int) -> str:
    """The values of every row (m ≤ 8) as a Markdown table: one light element (a plain table,
    no data grid) whose text changes with layer, unit, step, γ and β."""
    m = len(s.z)
    head = ["operation", "shape"] + [f"i = {i + 1}" for i in range(m)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 2 + "--:|" * m]
    for key, _, label in core.STAGES:
        vals = list(s.row(key))
        cells = [f"{x:.4g}" for x in vals] + [""] * (m - len(vals))
        lines.append("| " + " | ".join([label, shape_of(key, n, m), *cells]) + " |")
    return "\n".join(lines)


def rows_takeaway(s: core.Stages) -> str:
    return rows_verdict(s).text


def rows_verdict(s: core.Stages) -> Verdict:
    return one_mini_batch.normalised_verdict(s)


def bias_verdict(vw: common.RowsView) -> Verdict:
    s = vw.base
    raw = {"z": s.z, "b": vw.shown.b, "gamma": vw.gamma, "beta": vw.beta, "eps": s.eps,
           "activation": s.activation}
    return one_mini_batch.bias_verdict(one_mini_batch.bias_check(
        s.z, vw.shown.b, vw.gamma, vw.beta, s.eps, s.activation), raw)


def view(v: dict[str, Any]) -> None:
    """The rows chart first, its takeaway right under it; formulas and numbers beside each
    other; then the bias."""
    run, vw = common.looked_inside(v)
    m, n = len(vw.shown.z), vw.batch.W.shape[0]
    live_chart(rows_figures.stage_rows(vw.shown, run.y[vw.batch.idx], height=ROWS_HEIGHT),
               key="fig_rows", preview=common.rows_preview(vw, run, v))
    page.takeaway(rows_takeaway(vw.shown))
    left, right = st.columns([2, 3])
    left.latex(stage_formulas(n, m))  # the same bytes for every layer, unit and step
    with right:
        st.markdown(shape_line(vw, m))
        st.caption(common.gb_line(vw))
        top = one_mini_batch.SHOW_NUMBERS_MAX_M
        if v["numbers"] and m <= top:
            st.markdown(numbers_markdown(vw.shown, n))
        elif v["numbers"]:
            st.caption(f"The numbers are listed for m ≤ {top} (this mini-batch has m = {m}); "
                       "the CSV has them all.")
        page.download_csv(lambda: core.stages_frame(vw.shown), "inside_layer_rows.csv",
                          key="csv_rows")
    st.subheader(r"The bias $b^{[l]}$ is redundant")
    st.latex(BIAS_ALGEBRA)
    page.takeaway(bias_verdict(vw).text)


TAB = Tab(title=TITLE, view=view, controls=(*common.ROWS_CONTROLS, NUMBERS),
          presets={"b^[l] is cancelled": Preset(values={"bias": 3.0})})
