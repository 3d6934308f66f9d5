"""The lesson "Covariate shift": the lecture's covariate-shift argument for BN, put to the test
on four toy examples, one tab each (found by name: one module per tab, the same names in
``bnsim.lessons.covariate_shift`` and ``bnsim.figures.covariate_shift``).

:data:`LESSON` is what ``pages/2_Covariate_shift.py`` runs (:func:`bnsim.ui.lesson.run`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from bnsim.ui.controls import Control
from bnsim.ui.covariate_shift import black_cats, mini_batch_noise, moving_inputs, noisy_bn
from bnsim.ui.covariate_shift.common import SHARED
from bnsim.ui.lesson import Lesson

# One line above the tabs, so each tab's key picture fits the first 1280×720 screen; the
# whole introduction is in the "About this page" expander at the end.
INTRO = "The lecture's covariate-shift argument for BN, put to the test on four toy examples."
ABOUT = ("The lecture explains BN with **covariate shift**: a classifier trained on black cats "
         "fails on coloured cats although the rule “cat or not” never changed, and a deep "
         "layer's inputs keep moving while earlier layers learn — BN keeps the mean and "
         "variance of each unit's z̃ at β and γ². Four toy examples put each claim to the test; "
         "every verdict on this page is computed from the numbers beside it, including where "
         "the lecture's story fails.")
GLOSSARY_TERMS = ("covariate shift", "internal covariate shift", "train mode", "eval mode",
                  "running estimate", "population statistics", "AdaBN", "drift D",
                  "quantile band", "i.i.d. mini-batches", "noisy BN", "slight regularisation")


def about(_: dict[str, Any]) -> None:
    """Under every tab: the long introduction, folded."""
    with st.expander("About this page", icon=":material/info:"):
        st.markdown(ABOUT)


@dataclass(frozen=True, kw_only=True)
class SharedTabControlsLesson(Lesson):
    """A :class:`Lesson` in which several tabs may declare the same control (one declaration:
    the data set and noise of the last three tabs, which the first tab does not use). It is
    one control: drawn with whichever of those tabs is open, folded away otherwise, and one
    value across them. Transitional, until :class:`bnsim.ui.lesson.Lesson` allows it."""

    def __post_init__(self):
        declared: dict[str, Control] = {}
        for c in self.controls + tuple(c for t in self.tabs for c in t.controls):
            if declared.setdefault(c.key, c) != c:
                raise ValueError(f"{self.title}: two different controls use the key {c.key!r}.")
        super().__post_init__()

    @property
    def all_controls(self) -> tuple[Control, ...]:
        """The shared controls, then every tab's own, in tab order (each key once)."""
        every = self.controls + tuple(c for t in self.tabs for c in t.controls)
        return tuple({c.key: c for c in every}.values())


LESSON = SharedTabControlsLesson(
    title="Covariate shift", intro=INTRO, controls=SHARED,
    tabs=(black_cats.TAB, moving_inputs.TAB, mini_batch_noise.TAB, noisy_bn.TAB),
    tab_key="tab", footer=about, glossary=GLOSSARY_TERMS)
