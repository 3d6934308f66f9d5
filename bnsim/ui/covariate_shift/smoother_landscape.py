"""Smoother landscape: the modern answer to "why does BN help?" (Santurkar et al. 2018, §3.1,
Fig. 4) — along the gradient, how much do the loss and the gradient change, with and without
BN (and noisy BN)?

The tab's controls and presets, its cached work (the three variants trained once per training
setting, keeping the weights at the recorded steps; the η range only re-measures, never
retrains) and its sentences.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import streamlit as st

from bnsim import notation
from bnsim.figures.covariate_shift import smoother_landscape as figures
from bnsim.figures.style import tex
from bnsim.lessons.covariate_shift import smoother_landscape as core
from bnsim.ui.controls import Control, Preset
from bnsim.ui.covariate_shift import common, noisy_bn
from bnsim.ui.lesson import Tab
from bnsim.ui.live import figure_spec, live_chart
from bnsim.ui.page import download_csv, friendly, takeaway
from bnsim.verdict import Verdict

TITLE = "Smoother landscape"
_NOISY = {c.key: c for c in noisy_bn.CONTROLS}
CONTROLS = common.DATA + (
    _NOISY["sigma"], _NOISY["nseeds"],
    Control(key="eta", label="Largest step η along −∇L", default=2.0, group="View",
            kind="select", options={v: f"{v:g}" for v in core.ETA_MAX},
            help="The step sizes η tried at each recorded step: η_max/8, 2·η_max/8, …, η_max "
                 "(the paper: 0.05 to 0.4). Re-measures the recorded weights; never retrains."),
)
PRESETS = {
    "Santurkar Fig. 4 on a toy: ReLU, plain GD": Preset(values={
        "depth": 4, "act": "relu", "opt": "gd", "lr": 0.1, "eta": 2.0, "nseeds": 5}),
    "Small steps: is the landscape smoother there too?": Preset(values={
        "depth": 4, "act": "relu", "opt": "gd", "lr": 0.1, "eta": 0.4, "nseeds": 5}),
}


# ---------------------------------------------------------------- cached work
@st.cache_resource(max_entries=6, show_spinner="Training no BN, BN and noisy BN (all seeds)…")
def snapshots(d: common.DataKey, net: common.NetKey, noise: float, n_seeds: int
              ) -> core.Snapshots:
    """The three variants, ``n_seeds`` seeds each, with their weights at the recorded steps."""
    X, y, Xt, yt = common.data_sets(d)
    seeds = common.seeds(net, n_seeds)
    return core.train_snapshots(X, y, Xt, yt, net.hidden, net.activation, net.training, noise,
                                seeds)


class LandscapeView(NamedTuple):
    """What the tab shows for one η range: the measures, the figure's spec and one verdict
    per measure (re-made when shown, :func:`common.remade`)."""

    measured: core.Landscape
    chart: str
    verdicts: tuple[Verdict, ...]


@st.cache_resource(max_entries=24, show_spinner="Measuring the landscape along the gradient…")
def landscape_view(d: common.DataKey, net: common.NetKey, noise: float, n_seeds: int,
                   eta_max: float) -> LandscapeView:
    X, y, _, _ = common.data_sets(d)
    seeds = common.seeds(net, n_seeds)
    ls = core.measure(snapshots(d, net, noise, n_seeds), X, y, seeds, noise,
                      net.training.batch_size, eta_max)
    ref, data = common.reference(d), common.data_sets(d)
    return LandscapeView(ls, figure_spec(figures.measures(ls.steps, ls.metrics, noise, eta_max)),
                         tuple(core.lower_verdict(ls, m, ref, data) for m in core.METRICS))


# ---------------------------------------------------------------- sentences
EQUATIONS = (r"\begin{aligned}&\text{loss variation: } \max_\eta L(w_t-\eta g_t)-\min_\eta "
             r"L(w_t-\eta g_t) \qquad g_t=\nabla L(w_t)\\ &\text{gradient predictiveness: } "
             r"\max_\eta \lVert\nabla L(w_t-\eta g_t)-g_t\rVert-\min_\eta\lVert\nabla L(w_t-"
             r"\eta g_t)-g_t\rVert\\ &\text{effective }\beta\text{-smoothness: } \max_\eta "
             r"\lVert\nabla L(w_t-\eta g_t)-g_t\rVert\,/\,\lVert\eta g_t\rVert\end{aligned}")
CAPTION = tex("At each recorded step t: the weights w_t, the gradient g_t on a mini-batch of "
              f"m examples (mean over {core.N_PROBES} mini-batches), the same mini-batch (and "
              "noise draw) at every η. L is the train-mode loss, through μ_B and σ²_B. Here β "
              "is the smoothness constant of the gradient, not BN's shift β.")
NOTE = ("**What Santurkar, Tsipras, Ilyas & Mądry measured** (*How Does Batch Normalization "
        "Help Optimization?*, NeurIPS 2018, §3.1 and Fig. 4; VGG on CIFAR-10): along the "
        "gradient, the loss of the network with BN changes less and its gradient stays more "
        "predictive, so larger steps are safe. **This tab** measures the same three numbers on "
        "the page's small MLP and a 2-D toy data set, where every network reaches the data's "
        "limit quickly: late in training all the curves fall towards 0, and the difference, "
        "when there is one, is largest at large η and in the middle of training.")


def heading(net: common.NetKey, d: common.DataKey, sigma: float, eta_max: float) -> str:
    return tex(f"{common.setting(net)}, {notation.DATASETS[d.dataset].label}; noisy BN σ = "
               f"{sigma:g}; η up to {eta_max:g}:")


# ---------------------------------------------------------------- the view
def view(v: dict[str, Any]) -> None:
    """The three measures over training, then one verdict per measure."""
    net, d = common.net_key(v), common.data_key(v)
    sigma, n_seeds, eta_max = v["sigma"], v["nseeds"], float(v["eta"])
    with friendly("the landscape measurement"):
        shown = landscape_view(d, net, sigma, n_seeds, eta_max)
    live_chart(shown.chart, key="fig_landscape")
    takeaway(heading(net, d, sigma, eta_max) + "  \n"
             + "  \n".join(tex(common.remade(x).text) for x in shown.verdicts))
    st.latex(EQUATIONS)
    st.caption(CAPTION)
    st.markdown(NOTE)
    download_csv(lambda: core.table(shown.measured).assign(eta_max=eta_max, sigma=sigma),
                 "smoother_landscape.csv", "Download the measures per run and step (CSV)")


TAB = Tab(title=TITLE, controls=CONTROLS, presets=PRESETS, view=view)
