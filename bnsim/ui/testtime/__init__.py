"""The page "Train vs test": :data:`LESSON`, its tabs registered by name, each a module of this
package with its controls, presets, cached work, sentences and view —

* :mod:`.boundaries` — "Boundaries",
* :mod:`.batch_size` — "Test batch size",
* :mod:`.same_point` — "Same point, new neighbours",
* :mod:`.skewed_batches` — "Skewed test batches",
* :mod:`.running_estimate` — "Running estimate",
* :mod:`.batch_renorm` — "Batch Renorm",
* :mod:`.running_averages` — "Running averages in training",

and what they share (:mod:`.common`: the controls, the trained network with its divergence
warning, the eval-mode map, the trained variants). Each judging sentence is a
:class:`bnsim.verdict.Verdict` computed in ``bnsim.lessons.testtime`` from the numbers beside it.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from bnsim import notation
from bnsim.figures.style import tex
from bnsim.ui.lesson import Lesson
from bnsim.ui.testtime import (
    batch_renorm,
    batch_size,
    boundaries,
    common,
    running_averages,
    running_estimate,
    same_point,
    skewed_batches,
)

TITLE = "Train vs test"
# Symbols as in bnsim.notation's plot labels (μ_B, σ²_B, μ̂, σ̂², z_norm, z̃, β_EMA), typeset
# like the st.latex equations: inline LaTeX in prose (style.tex), <sub>/<sup> in the figures
# (style.math). Buttons, widget labels and takeaways keep the plain form (links and tests name
# them). Short: each tab's chart fits the first 1280×720 screen.
INTRO = tex("At test time BN uses the **running** estimates μ̂, σ̂² — why not the **test "
            "batch**'s own μ_B, σ²_B?")
ABOUT = ("This page trains a small BN network once per training setting (test-batch controls "
         "never retrain; the tabs Batch Renorm and Running averages in training train several "
         "seeds of each variant, and only they use r_max, d_max) and "
         "shows what would happen if BN normalised with the statistics of the **test batch**, "
         "as it does with each mini-batch in training. Each question has its own tab; only "
         "the open tab is computed, and the open tab is part of the URL.")
TRAIN_VS_EVAL = (r"\text{training: } z_{\text{norm}} = \frac{z - \mu_B}{\sqrt{\sigma^2_B + "
                 r"\varepsilon}}\qquad \text{test (eval mode): } " + notation.EVAL_EQUATION)
GLOSSARY_TERMS = ("train mode", "eval mode", "running estimate", "β_EMA", "bias correction",
                  "population statistics", "test-batch statistics", "i.i.d. mini-batches",
                  "Batch Renorm", "batching", "quantile band")


def about(v: dict[str, Any]) -> None:  # noqa: ARG001 - the runner's footer signature
    with st.expander("About this page: the two normalisations", icon=":material/info:"):
        st.markdown(ABOUT)
        st.latex(TRAIN_VS_EVAL)


LESSON = Lesson(title=TITLE, intro=INTRO, controls=common.CONTROLS,
                tabs=(boundaries.TAB, batch_size.TAB, same_point.TAB, skewed_batches.TAB,
                      running_estimate.TAB, batch_renorm.TAB, running_averages.TAB),
                tab_key="tab", footer=about, glossary=GLOSSARY_TERMS)
