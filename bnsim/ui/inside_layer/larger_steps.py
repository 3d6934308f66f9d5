"""Tab "Larger steps": does BN allow a larger learning rate, and why? A learning-rate sweep with
ReLU and with sigmoid, with and without BN (plain gradient descent, several seeds), and the
gradient norm of every hidden layer at initialisation (after Bjorck et al., NeurIPS 2018).

The sweep and the gradients are computed once per depth and number of seeds; the activation
whose gradients are shown and the log axis only redraw (their figures cached per value)."""

from __future__ import annotations

from typing import Any, NamedTuple

import streamlit as st

from bnsim import notation
from bnsim.figures.inside_layer import larger_steps as figures
from bnsim.figures.style import tex
from bnsim.lessons.inside_layer import larger_steps as core
from bnsim.ui import page
from bnsim.ui.control import Control, Preset
from bnsim.ui.lesson import Tab
from bnsim.ui.live import figure_spec, live_chart
from bnsim.verdict import Verdict, remade

TITLE = "Larger steps"
CHART_HEIGHT = 420
CONTROLS = (
    Control(key="ls_depth", label="Larger steps: hidden layers", default=6, group="Network",
            kind="slider", min=1, max=8, step=1,
            help=f"Depth of every network of this tab ({core.SWEEP.units} units per layer): "
                 "the sweep's and the gradients'."),
    Control(key="ls_seeds", label="Larger steps: seeds", default=3, group="Training",
            kind="slider", min=1, max=5, step=1,
            help="Seeds per setting (initial weights and mini-batches), stacked in one pass: "
                 f"the sweep trains each α {core.SWEEP.steps} steps of plain gradient descent, "
                 f"m = {core.SWEEP.batch_size}, with ReLU and with sigmoid."),
    Control(key="ls_act", label="Gradients shown: activation", default="sigmoid", group="View",
            kind="select", options={a: notation.ACTIVATIONS[a].label for a in core.ACTIVATIONS},
            help="Whose gradient norms at initialisation are shown (the sweep runs both). "
                 "Never retrains."),
    Control(key="ls_logy", label="Gradients: log axis", default=True, group="View",
            kind="toggle", help="A logarithmic axis for the gradient norms. Never retrains."),
)


class Key(NamedTuple):
    """What the tab computes (scalars: the cache key)."""

    depth: int
    n_seeds: int


def key_of(v: dict[str, Any]) -> Key:
    return Key(int(v["ls_depth"]), int(v["ls_seeds"]))


# ---------------------------------------------------------------- cached work
@st.cache_resource(max_entries=8, show_spinner="Training the sweeps (ReLU and sigmoid, with "
                                                "and without BN)…")
def sweeps(k: Key) -> dict:
    """The learning-rate sweeps of both activations, with and without BN."""
    return core.sweeps(core.Setting(depth=k.depth, n_seeds=k.n_seeds))


class SweepView(NamedTuple):
    spec: str  # figures.sweep_accuracy
    verdicts: tuple[Verdict, ...]  # largest α that trains, ReLU then sigmoid (made again)


@st.cache_resource(max_entries=8, show_spinner=False)
def sweep_view(k: Key) -> SweepView:
    sws = sweeps(k)
    return SweepView(figure_spec(figures.sweep_accuracy(sws, height=CHART_HEIGHT)),
                     tuple(core.sweeping.largest_lr_verdict(sws[a]) for a in core.ACTIVATIONS))


@st.cache_resource(max_entries=16, show_spinner=False)
def gradients(k: Key, activation: str) -> core.GradNorms:
    """‖∂L/∂W^[l]‖ at initialisation for seeds 0…n−1, with and without BN."""
    return core.grad_norms(k.depth, activation, range(k.n_seeds))


class GradView(NamedTuple):
    spec: str  # figures.layer_gradients
    verdict: Verdict  # core.grad_verdict (made again when shown)


@st.cache_resource(max_entries=32, show_spinner=False)
def grad_view(k: Key, activation: str, log_y: bool) -> GradView:
    g = gradients(k, activation)
    return GradView(figure_spec(figures.layer_gradients(g, log_y, height=CHART_HEIGHT)),
                    core.grad_verdict(g))


# ---------------------------------------------------------------- the view
PAPER = ("After Bjorck, Gomes, Selman & Weinberger, *Understanding Batch Normalization* "
         "(NeurIPS 2018): BN lets a network train with larger steps, and larger steps are what "
         "make it train faster and generalise better; in their deep networks without BN the "
         "layers' gradients at initialisation differ by orders of magnitude, so no one α suits "
         f"them all. Here: a toy network of {core.SWEEP.units}-unit layers on the moons, not "
         "a ResNet on CIFAR-10.")
NORM = r"\left\lVert \frac{\partial L}{\partial W^{[l]}} \right\rVert_F = " \
       r"\sqrt{\sum_{i,j} \Bigl(\frac{\partial L}{\partial W^{[l]}_{ij}}\Bigr)^2}"
NORM_CAPTION = tex(
    f"L: mean cross-entropy of one mini-batch (m = {core.SWEEP.batch_size}) in train mode (BN "
    "with μ_B, σ²_B; the gradient flows through them), at the initial weights (He for ReLU, "
    "Xavier for sigmoid; γ = 1, β = 0); each seed its own weights and mini-batch. W^[1] has "
    f"only 2 columns (the inputs), the other layers {core.SWEEP.units}.")


def view(v: dict[str, Any]) -> None:
    """The sweep with its two verdicts; the layer gradients with theirs."""
    k = key_of(v)
    with page.friendly("the learning-rate sweeps"):
        sv = sweep_view(k)
        gv = grad_view(k, v["ls_act"], bool(v["ls_logy"]))
    left, right = st.columns(2)
    live_chart(sv.spec, key="fig_ls_sweep", where=left)
    live_chart(gv.spec, key="fig_ls_grads", where=right)
    with left:
        for verdict_ in sv.verdicts:
            page.takeaway(remade(verdict_))
    with right:
        page.takeaway(remade(gv.verdict))
        st.latex(NORM)
        st.caption(NORM_CAPTION)
    csv_left, csv_right = st.columns(2)
    with csv_left:
        page.download_csv(lambda: core.sweeps_frame(sweeps(k)), "larger_steps_sweep.csv",
                          "Download the sweeps (CSV)", key="csv_ls_sweep")
    with csv_right:
        page.download_csv(lambda: core.grad_frame(gradients(k, v["ls_act"])),
                          "larger_steps_gradients.csv", "Download the gradient norms (CSV)",
                          key="csv_ls_grads")
    st.markdown(PAPER)


LARGER_LR = "Does BN allow a larger learning rate?"
TAB = Tab(title=TITLE, view=view, controls=CONTROLS, presets={
    LARGER_LR: Preset(values={"ls_depth": 6, "ls_seeds": 3, "ls_act": "relu",
                              "ls_logy": True}),
    "Vanishing gradients in a deep sigmoid net": Preset(
        values={"ls_depth": 8, "ls_seeds": 3, "ls_act": "sigmoid", "ls_logy": True}),
})
