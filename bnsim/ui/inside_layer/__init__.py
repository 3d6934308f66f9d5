"""The page "Inside a BN layer": its tabs, each a module of this package with its controls,
presets, cached work, sentences and view —

* :mod:`.one_mini_batch` — "One mini-batch",
* :mod:`.gamma_and_beta` — "γ and β",
* :mod:`.learning_gamma_beta` — "Learning γ, β",
* :mod:`.with_vs_without_bn` — "With vs without BN",
* :mod:`.larger_steps` — "Larger steps",
* :mod:`.gamma_beta_alone` — "γ, β alone",

and what they share (:mod:`.common`: the controls every tab shows and the network looked
inside, trained once per Data/Network/Training setting). Each judging sentence is a
:class:`bnsim.verdict.Verdict` computed in ``bnsim.lessons.inside_layer`` from the numbers beside
it.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from bnsim.ui.inside_layer import (
    common,
    gamma_and_beta,
    gamma_beta_alone,
    larger_steps,
    learning_gamma_beta,
    one_mini_batch,
    with_vs_without_bn,
)
from bnsim.ui.lesson import Lesson

TITLE = "Inside a BN layer"
# One line (projector-first: each tab's chart fits the first 1280×720 screen); the rest is in
# the "About this page" expander at the end (:data:`ABOUT`).
INTRO = ("One mini-batch of a trained network through one BN layer, operation by operation — "
         "then what $\\gamma$, $\\beta$ do, how they are learned, and what BN buys.")
ABOUT = ("The lecture *Fitting batch norm into a neural network*, one operation at a time: a "
         "mini-batch of a trained network goes through one BN layer — "
         "$z = W a$ (no $b$), $\\mu_B$, $z-\\mu_B$, $\\sigma^2_B$, $z_\\text{norm}$, "
         "$\\tilde z = \\gamma z_\\text{norm} + \\beta$, $a = g(\\tilde z)$ — then why "
         "$b^{[l]}$ is redundant, what $\\gamma$ and $\\beta$ can do, how they are learned, "
         "and what BN buys: training that is faster and tolerates larger learning rates (and "
         "where it does not).\n\n"
         "- **One mini-batch**: the rows chart follows unit j of layer l through BN at one "
         "training step; the formulas beside the numbers give each row's operation and shape "
         "(one column per example); the b^[l] slider shows that b is cancelled.\n"
         "- **γ and β**: the learned γ, β, two sliders (the rows follow them in the browser "
         "while you drag) or *Undo BN*; the activation curve shows where the batch sits on g.\n"
         "- **Learning γ, β**: γ and β over training under four optimisers.\n"
         "- **With vs without BN**: a learning-rate sweep of a network (1 to 4 hidden layers) "
         "with and without BN, several seeds each: the largest α that trains with and without "
         "BN, and the steps to a target loss.\n"
         "- **Larger steps** (after Bjorck et al., NeurIPS 2018): the same sweep with ReLU and "
         "with sigmoid, and the gradient norm of every layer at initialisation (1 to 8 hidden "
         "layers): without BN a deep sigmoid net's lower layers get vanishing gradients, with "
         "BN they stay comparable.\n"
         "- **γ, β alone** (after Frankle et al., ICLR 2021): the random initial weights "
         "frozen, only γ and β trained — against training everything, the output layer alone, "
         "or as many random weights; and how many units γ ≈ 0 switches off.")
GLOSSARY_TERMS = ("train mode", "eval mode", "running estimate", "β_EMA", "nearly linear middle",
                  "i.i.d. mini-batches")


def about(v: dict[str, Any]) -> None:  # noqa: ARG001 - the runner's footer signature
    with st.expander("About this page", icon=":material/info:"):
        st.markdown(ABOUT)


LESSON = Lesson(title=TITLE, intro=INTRO, controls=common.CONTROLS,
                tabs=(one_mini_batch.TAB, gamma_and_beta.TAB, learning_gamma_beta.TAB,
                      with_vs_without_bn.TAB, larger_steps.TAB, gamma_beta_alone.TAB),
                tab_key="tab", footer=about, glossary=GLOSSARY_TERMS)
