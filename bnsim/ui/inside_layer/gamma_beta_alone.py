"""Tab "γ, β alone": freeze the random weights of a BN network and train only γ, β (after
Frankle, Schwab & Morcos, ICLR 2021) — against training everything, the output layer alone and
as many random weights; the learned |γ| and the units that γ ≈ 0 switches off.

The tab's controls (URL keys ``ga_…``) and presets, its cached work (the four variants × seeds
trained once per setting, with the accuracy chart's spec and both verdicts; the histogram's
spec once per axis — the View control never retrains) and its sentences.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import streamlit as st

from bnsim import verdict
from bnsim.figures.inside_layer import gamma_beta_alone as figures
from bnsim.lessons.inside_layer import gamma_beta_alone as core
from bnsim.ui import concepts, page
from bnsim.ui.control import Control, Preset
from bnsim.ui.lesson import Tab
from bnsim.ui.live import figure_spec, live_chart

TITLE = "γ, β alone"
CHART_HEIGHT = 400
DEFAULT = core.Setting()
CONTROLS = (
    concepts.DEPTH.narrow(key="ga_depth", label="γ, β alone: hidden layers",
                          default=DEFAULT.depth,
                          help="Hidden layers of the network, each with BN (γ, β alone)."),
    concepts.WIDTH.narrow(key="ga_width", label="γ, β alone: units per layer",
                          default=DEFAULT.width,
                          help="Units in every hidden layer: 2·(layers × units) γ, β."),
    concepts.ACTIVATION.narrow(key="ga_act", label="γ, β alone: activation",
                               default=DEFAULT.activation,
                               help="Activation after each BN layer (γ, β alone)."),
    concepts.OPTIMIZER.narrow(key="ga_opt", label="γ, β alone: optimiser",
                              default=DEFAULT.optimizer,
                              help="The optimiser of all four variants (m = "
                                   f"{core.BATCH_SIZE})."),
    concepts.LR.narrow(key="ga_lr", label="γ, β alone: learning rate α",
                       values=(0.001, 0.003, 0.01, 0.03, 0.1), default=DEFAULT.lr,
                       help="One α for all four variants."),
    concepts.STEPS.narrow(key="ga_steps", label="γ, β alone: training steps", min=100,
                          max=2000, step=100, default=DEFAULT.steps,
                          help="Mini-batches each variant trains on."),
    Control(key="ga_seeds", label="γ, β alone: seeds", default=DEFAULT.n_seeds,
            group="Training", kind="slider", min=1, max=5, step=1,
            help="Seeds per variant (the same initial weights and mini-batches for all four), "
                 "trained in one stacked pass."),
    Control(key="ga_logx", label="Log |γ| axis", default=False, group="View", kind="toggle",
            help="A logarithmic |γ| axis for the histogram: spreads out the units near γ = 0. "
                 "Never retrains."),
)


def setting(v: dict[str, Any]) -> core.Setting:
    return core.Setting(depth=int(v["ga_depth"]), width=int(v["ga_width"]),
                        activation=v["ga_act"], optimizer=v["ga_opt"], lr=float(v["ga_lr"]),
                        steps=int(v["ga_steps"]), n_seeds=int(v["ga_seeds"]))


# ---------------------------------------------------------------- cached work
class Shown(NamedTuple):
    """What the tab shows of one setting whatever the View control: the runs, the accuracy
    chart's spec and both verdicts (the view makes them again, :func:`verdict.remade`)."""

    alone: core.Alone
    accuracy: str  # the spec of figures.accuracy_chart
    compare: verdict.Verdict  # core.alone_verdict
    off: verdict.Verdict  # core.off_verdict


@st.cache_resource(max_entries=8, show_spinner="Training the four variants (all seeds)…")
def shown(s: core.Setting) -> Shown:
    """The four variants of ``s`` trained in one stacked pass, the chart and the verdicts."""
    a = core.alone(s)
    return Shown(a, figure_spec(figures.accuracy_chart(a, height=CHART_HEIGHT)),
                 core.alone_verdict(a), core.off_verdict(a))


@st.cache_resource(max_entries=32, show_spinner=False)
def histogram_spec(s: core.Setting, log: bool) -> str:
    """The spec of the |γ| histogram, one per axis (the View control)."""
    return figure_spec(figures.gamma_histogram(shown(s).alone, log, height=CHART_HEIGHT))


# ---------------------------------------------------------------- sentences
EQUATION = (r"\tilde z = \gamma\, z_{\text{norm}} + \beta \;\xrightarrow{\;|\gamma| < "
            f"{core.T_OFF:g}" r"\;}\; \tilde z \approx \beta \text{ for every input}")
NOTE = (
    "**What this tab does:** one BN network (BN in every hidden layer, weights W^[l] and "
    "W_out drawn at random and frozen) trained four ways from the same initial weights and "
    "mini-batches per seed: everything; only γ, β; only the output layer (W_out, b_out); "
    "only as many randomly chosen entries of the W^[l] and W_out as there are γ, β (fixed per "
    "seed). In the last two γ = 1, β = 0 stay frozen. The data: two spirals (noise "
    f"{core.NOISE:g}, {core.N_TRAIN} training and {core.N_TEST} test examples); accuracy is "
    "measured in eval mode (running statistics).\n\n"
    "**What Frankle, Schwab & Morcos did** (*Training BatchNorm and Only BatchNorm*, ICLR "
    "2021): ResNets of many depths and widths on CIFAR-10 and ImageNet; training only γ, β "
    "reached 82 % on CIFAR-10 with the deepest ResNets, far more than as many randomly chosen "
    "parameters, and around a third of the features ended with γ near 0 — switched off. Their "
    "networks are convolutional, up to hundreds of layers deep, on images; this one is an MLP "
    "of 1 to 4 layers of at most 64 units on a 2-D problem, so the sentences above say what "
    "happens here, measured, not what the paper found.")


# ---------------------------------------------------------------- the view
def view(v: dict[str, Any]) -> None:
    """The accuracy per variant and the |γ| histogram side by side, the two verdicts."""
    s = setting(v)
    with page.friendly("the four variants"):
        made = shown(s)
        hist = histogram_spec(s, bool(v["ga_logx"]))
    left, right = st.columns(2)
    live_chart(made.accuracy, key="fig_ga_accuracy", where=left)
    live_chart(hist, key="fig_ga_gamma", where=right)
    page.takeaway(verdict.remade(made.compare))
    page.takeaway(verdict.remade(made.off))
    st.latex(EQUATION)
    st.markdown(NOTE)
    runs_column, gamma_column = st.columns(2)
    with runs_column:
        page.download_csv(lambda: core.frame(made.alone), "gamma_beta_alone.csv",
                          "Download the test accuracy per variant and seed (CSV)",
                          key="csv_ga_runs")
    with gamma_column:
        page.download_csv(lambda: core.gamma_frame(made.alone), "gamma_beta_alone_gamma.csv",
                          "Download the learned γ, β per unit (CSV)", key="csv_ga_gamma")


HOW_FAR = "γ, β alone: how far do they get?"
TAB = Tab(title=TITLE, view=view, controls=CONTROLS, presets={
    HOW_FAR: Preset(values={}),
    "γ, β alone: one layer of random features": Preset(values={"ga_depth": 1}),
    "γ, β alone: tanh instead of ReLU": Preset(values={"ga_act": "tanh"}),
    "γ, β alone: a large α, 2000 steps": Preset(
        values={"ga_lr": 0.1, "ga_steps": 2000, "ga_logx": True}),
})
