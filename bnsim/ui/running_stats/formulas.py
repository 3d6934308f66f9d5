"""Formulas: the lecture's EMA, BN in training, the running estimate and what a test example
uses, in lecture notation."""

from __future__ import annotations

from typing import Any

import streamlit as st

from bnsim import notation
from bnsim.ui.lesson import Tab
from bnsim.ui.running_stats.common import prepare

TITLE = "Formulas"
LECTURE_BIAS_CORRECTION = (r"\hat v_t = \frac{v_t}{1 - \beta_{\text{EMA}}^t}"
                           r"\qquad(\text{the lecture's form, the same for } v_0 = 0)")
CUMULATIVE_EQUATION = (r"c_t = \frac{1}{t}\sum_{i=1}^{t}\theta_i"
                       r"\qquad(\text{PyTorch } \texttt{momentum=None})")
WINDOW_EQUATIONS = (r"v_t = (1-\beta_{\text{EMA}})\sum_{i=1}^{t}\beta_{\text{EMA}}^{\,t-i}"
                    r"\,\theta_i + \beta_{\text{EMA}}^{\,t}\, v_0",
                    r"\text{window} \approx \frac{1}{1-\beta_{\text{EMA}}}")
FORMULA_COLUMNS = (  # (heading, equations) of the tab's two columns
    ("**Training: each mini-batch of m examples, unit by unit**", notation.BN_EQUATIONS),
    ("**The running estimate, and what a test example uses**",
     (notation.EMA_BIAS_CORRECTED, LECTURE_BIAS_CORRECTION, CUMULATIVE_EQUATION,
      *WINDOW_EQUATIONS, notation.EVAL_EQUATION)),
)


def view(v: dict[str, Any]) -> None:
    """The lecture's EMA, then two columns of equations."""
    prepare(v, needs_estimate=False)  # the run's notes; the footer names the run
    st.latex(notation.EMA_EQUATION)
    for column, (heading, equations) in zip(st.columns(2), FORMULA_COLUMNS, strict=True):
        column.markdown(heading)
        for eq in equations:
            column.latex(eq)


TAB = Tab(title=TITLE, view=view)
