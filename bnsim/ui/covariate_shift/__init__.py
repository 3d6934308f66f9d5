"""The lesson "Covariate shift": the lecture's covariate-shift argument for BN, put to the test
on four toy examples, and the smoother-landscape answer, one tab each (found by name: one
module per tab, the same names in ``bnsim.lessons.covariate_shift`` and
``bnsim.figures.covariate_shift``).

:data:`LESSON` is what ``pages/2_Covariate_shift.py`` runs (:func:`bnsim.ui.lesson.run`).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from bnsim.ui.covariate_shift import (
    black_cats,
    mini_batch_noise,
    moving_inputs,
    noisy_bn,
    smoother_landscape,
)
from bnsim.ui.covariate_shift.common import SHARED
from bnsim.ui.lesson import Lesson

# One line above the tabs, so each tab's key picture fits the first 1280×720 screen; the
# whole introduction is in the "About this page" expander at the end.
INTRO = ("The lecture's covariate-shift argument for BN, put to the test on four toy examples "
         "— then the modern answer: a smoother landscape.")
ABOUT = ("The lecture explains BN with **covariate shift**: a classifier trained on black cats "
         "fails on coloured cats although the rule “cat or not” never changed, and a deep "
         "layer's inputs keep moving while earlier layers learn — BN keeps the mean and "
         "variance of each unit's z̃ at β and γ². Four toy examples put each claim to the test; "
         "every verdict on this page is computed from the numbers beside it, including where "
         "the lecture's story fails. The last tab, *Smoother landscape*, measures the answer "
         "Santurkar et al. (2018) gave instead: along the gradient, the loss and the gradient "
         "change less with BN — on this page's networks, where and how much.")
GLOSSARY_TERMS = ("covariate shift", "internal covariate shift", "train mode", "eval mode",
                  "running estimate", "population statistics", "AdaBN", "drift D",
                  "quantile band", "i.i.d. mini-batches", "noisy BN", "slight regularisation",
                  "loss landscape")


def about(_: dict[str, Any]) -> None:
    """Under every tab: the long introduction, folded."""
    with st.expander("About this page", icon=":material/info:"):
        st.markdown(ABOUT)


LESSON = Lesson(
    title="Covariate shift", intro=INTRO, controls=SHARED,
    tabs=(black_cats.TAB, moving_inputs.TAB, mini_batch_noise.TAB, noisy_bn.TAB,
          smoother_landscape.TAB),
    tab_key="tab", footer=about, glossary=GLOSSARY_TERMS)
