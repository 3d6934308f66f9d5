"""Noisy BN: does pinning a layer's inputs matter? No BN, BN and BN with injected per-step
noise, several seeds each.

The tab's controls and preset, its cached work (the three variants trained once per training
setting; smoothing and the layer whose drift is measured never retrain) and its sentences.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pandas as pd
import streamlit as st

from bnsim import notation
from bnsim.figures.covariate_shift import noisy_bn as figures
from bnsim.figures.style import tex
from bnsim.lessons.covariate_shift import noisy_bn as core
from bnsim.ui import concepts
from bnsim.ui.controls import Control, Preset
from bnsim.ui.covariate_shift import common
from bnsim.ui.lesson import Tab
from bnsim.ui.live import figure_spec, live_chart
from bnsim.ui.page import clip, download_csv, friendly, takeaway
from bnsim.verdict import Verdict, num, pct

TITLE = "Noisy BN"
CONTROLS = common.DATA + (
    Control(key="sigma", label="Noise σ after BN", default=0.5, group="Training",
            kind="slider", min=0.05, max=1.5, step=0.05,
            help="Noisy BN: z̃·(1 + σξ₁) + σξ₂ with one ξ₁, ξ₂ ~ N(0, 1) per unit and step, "
                 "shared by every example of the mini-batch."),
    Control(key="nseeds", label="Seeds per network", default=3, group="Training",
            kind="slider", min=1, max=5, step=1,
            help="Each variant is trained with this many seeds."),
    Control(key="smooth", label="Loss smoothing (steps)", default=50, group="View",
            kind="slider", min=1, max=200, step=1, help="Moving average of the mini-batch loss."),
    concepts.LAYER.narrow(key="dlayer", label="Drift of layer l", default=2,
                          help="Layer whose z̃^[l] drift is measured (clipped)."),
)
PRESETS = {"Noisy BN": Preset(values={"sigma": 0.5, "nseeds": 3})}


# ---------------------------------------------------------------- cached work
@st.cache_resource(max_entries=6, show_spinner="Training no BN, BN and noisy BN (all seeds)…")
def noisy_runs(d: common.DataKey, net: common.NetKey, noise: float, n_seeds: int
               ) -> core.NoisyComparison:
    """The three variants, ``n_seeds`` seeds each, on the tab's data set."""
    X, y, Xt, yt = common.data_sets(d)
    seeds = common.seeds(net, n_seeds)
    return core.noisy_comparison(X, y, Xt, yt, net.hidden, net.activation, net.training, noise,
                                 seeds)


class NoisyLayer(NamedTuple):
    """What the tab shows of the three variants for one layer whatever the smoothing: the
    final numbers per run, the figure of them (its spec), the verdict and the means over
    seeds (cached: pandas and plotly cost far more than a lookup, and only the loss curves
    follow the smoothing slider)."""

    summary: pd.DataFrame  # core.noisy_summary (read-only)
    final: str  # the spec of figures.final_bars
    verdict: Verdict  # core.noisy_verdict (the view makes it again, common.remade)
    means: core.NoisyMeans
    diverged: list[tuple[str, int]]  # core.diverged_runs


@st.cache_resource(max_entries=24, show_spinner=False)
def noisy_layer(d: common.DataKey, net: common.NetKey, noise: float, n_seeds: int, layer: int
                ) -> NoisyLayer:
    """The three variants' final numbers, measured at hidden layer ``layer``."""
    summary = core.noisy_summary(noisy_runs(d, net, noise, n_seeds), layer)
    return NoisyLayer(summary, figure_spec(figures.final_bars(summary, layer)),
                      core.noisy_verdict(summary, common.reference(d), common.data_sets(d)),
                      core.noisy_means(summary), core.diverged_runs(summary))


@st.cache_resource(max_entries=48, show_spinner=False)
def loss_chart(d: common.DataKey, net: common.NetKey, noise: float, n_seeds: int, window: int
               ) -> str:
    """The spec of the smoothed loss curves (one per smoothing window: the view slider)."""
    curves = core.loss_curves(noisy_runs(d, net, noise, n_seeds), window)
    return figure_spec(figures.loss_curves(core.loss_steps(curves), curves, noise))


# ---------------------------------------------------------------- sentences
NOISY_EQUATION = (r"\begin{gathered}\tilde z = \tilde z_{\text{BN}}\,(1 + \sigma\xi_1) + "
                  r"\sigma\xi_2 \\ \tilde z_{\text{BN}} = \gamma\, z_{\text{norm}} + \beta"
                  r"\end{gathered}")
NOISY_CAPTION = tex("ξ₁, ξ₂ ~ N(0, 1), drawn once per unit and training step and shared by "
                    "the mini-batch; no noise at test time.")


def noisy_diverged(runs: list[tuple[str, int]]) -> str:
    return ("Some runs diverged: " + ", ".join(f"{notation.MODELS[variant].label} seed {seed}"
                                               for variant, seed in runs)
            + ". Try a smaller learning rate.")


def noisy_takeaway(verdict: Verdict, means: core.NoisyMeans, sigma: float, layer: int,
                   net: common.NetKey, d: common.DataKey) -> str:
    """The noisy-BN verdict (:func:`bnsim.lessons.covariate_shift.noisy_bn.noisy_verdict`)
    and the no-BN reference."""
    dataset = d.dataset
    return tex(f"With σ = {sigma:g} ({common.setting(net)}, "
               f"{notation.DATASETS[dataset].label}; drift of z̃^[{layer}]): "
               + common.lower_first(verdict.text)
               + f" Without BN: {pct(means.test_acc['no_bn'])} test accuracy, drift "
               f"{num(means.drift['no_bn'])} (BN {num(means.drift['bn'])}).")


NOISY_NOTE = (
    "**What this simulation does:** after every BN layer, one random scale (1 + σξ₁) and one "
    "random shift σξ₂ per unit and training step, the same for every example of the "
    "mini-batch. **What Santurkar, Tsipras, Ilyas & Mądry did** (*How Does Batch "
    "Normalization Help Optimization?*, NeurIPS 2018, VGG on CIFAR-10): i.i.d. noise for "
    "every activation, drawn from a distribution whose mean and variance themselves change "
    "every step. Their BN networks with that noise trained about as well as BN and better "
    "than without; they argue BN helps by making the optimisation landscape smoother, not "
    "by reducing covariate shift. This page re-creates the idea on a toy problem; it does not "
    "re-run their experiment.")
SPEEDUP_NOTE = ("Whether BN speeds training up is shown on the page **Inside a BN layer** "
                "(with vs without BN over learning rates and depths); here the question is "
                "only whether injected shift stops BN from working.")


# ---------------------------------------------------------------- the view
def view(v: dict[str, Any]) -> None:
    """Loss curves and the final accuracy and drift of the three variants, with the verdict."""
    net = common.net_key(v)
    sigma, layer = v["sigma"], clip(v["dlayer"], v["depth"], "Layer")
    d, n_seeds = common.data_key(v), v["nseeds"]
    with friendly("the three networks"):
        comparison = noisy_runs(d, net, sigma, n_seeds)
        page = noisy_layer(d, net, sigma, n_seeds, layer)
    summary = page.summary
    if page.diverged:
        st.warning(noisy_diverged(page.diverged), icon=common.WARN)
    left, right = st.columns(2)
    live_chart(loss_chart(d, net, sigma, n_seeds, v["smooth"]), key="fig_loss", where=left)
    live_chart(page.final, key="fig_final", where=right)
    takeaway(noisy_takeaway(common.remade(page.verdict), page.means, sigma, layer, net, d))
    st.latex(NOISY_EQUATION)
    st.caption(NOISY_CAPTION)
    st.markdown(NOISY_NOTE)
    st.caption(SPEEDUP_NOTE)
    runs_column, curves_column = st.columns(2)
    with runs_column:
        download_csv(lambda: summary.assign(sigma=sigma, layer=layer), "noisy_bn.csv",
                     "Download the final numbers per run (CSV)")
    with curves_column:
        download_csv(lambda: core.loss_table(core.loss_curves(comparison, v["smooth"]),
                                             comparison.seeds), "noisy_bn_loss.csv",
                     "Download the smoothed loss curves (CSV)")


TAB = Tab(title=TITLE, controls=CONTROLS, presets=PRESETS, view=view)
