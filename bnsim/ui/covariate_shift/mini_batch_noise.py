"""Mini-batch noise: how μ_B and σ²_B vary from batch to batch (1/√m), and the slight
regularisation that shrinks with m.

The tab's controls and presets, its cached work (the mini-batch statistics of the shared BN
run, and the batch-size sweep of the regularisation view, which trains every m and so does not
depend on the training batch-size control) and its sentences.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NamedTuple

import streamlit as st

from bnsim import notation
from bnsim.figures.covariate_shift import mini_batch_noise as figures
from bnsim.figures.style import tex
from bnsim.lessons.covariate_shift import mini_batch_noise as core
from bnsim.train import TrainConfig
from bnsim.ui import concepts
from bnsim.ui.controls import Control, Preset
from bnsim.ui.covariate_shift import common
from bnsim.ui.lesson import Tab
from bnsim.ui.live import figure_spec, live_chart
from bnsim.ui.page import clip, download_csv, friendly, takeaway
from bnsim.verdict import Verdict, num, pct

TITLE = "Mini-batch noise"
SIZES = {m: str(m) for m in core.BATCH_SIZES}
REG_N_TEST = 1000
CONTROLS = common.DATA + (
    Control(key="m1", label="Small batch m₁", default=4, group="View", kind="select",
            options=SIZES, help="The first histogram of μ_B."),
    Control(key="m2", label="Large batch m₂", default=64, group="View", kind="select",
            options=SIZES, help="The second histogram of μ_B."),
    concepts.LAYER.narrow(key="nlayer", default=1, help="Layer whose μ_B, σ²_B are shown "
                          "(clipped to the number of layers)."),
    concepts.UNIT.narrow(key="nunit", max=32, default=1, help="Unit whose μ_B is shown "
                         "(clipped to the width)."),
    concepts.NOISE.narrow(key="rnoise", label="Data noise (regularisation view)", max=0.5,
                          default=0.3, help=f"Noise of the {core.REG_N_TRAIN} training "
                          "examples the networks of the regularisation view learn (noisy "
                          "labels near the boundary invite overfitting)."),
    Control(key="rseeds", label="Seeds per batch size", default=3, group="Training",
            kind="slider", min=1, max=10, step=1,
            help="Regularisation view: networks trained per batch size m, with and without BN."),
)
PRESETS = {
    "Batch size 2 vs 256": Preset(values={"m1": 2, "m2": 256}),
    "Does the noise regularise? m = 4 … 256": Preset(
        values={"rnoise": 0.3, "rseeds": 5},
        help="The lecture's claim put to the test: the sentence compares the gaps only at "
             "matched training accuracy, and says when a smaller gap comes with underfitting."),
}


# ---------------------------------------------------------------- cached work
@st.cache_resource(max_entries=8, show_spinner="Drawing many mini-batches…")
def batch_noise(d: common.DataKey, net: common.NetKey) -> core.BatchNoise:
    """μ_B, σ²_B of every layer over 256 mini-batches of every size, for the trained BN net."""
    runs = common.layer_runs(d, net)
    return core.batch_noise(runs.bn.params, runs.bn.net, runs.X, core.BATCH_SIZES,
                            n_batches=256, seed=common.DATA_SEED)


class UnitView(NamedTuple):
    """One unit's μ_B over two batch sizes: the numbers, the μ_B histograms and the spread
    law (the specs the charts draw) and the 1/√m verdict (the view makes it again,
    :func:`common.remade`); no figures nor verdict for a constant unit (σ = 0)."""

    nv: core.NoiseView
    hist: str | None
    law: str | None
    verdict: Verdict | None


@st.cache_resource(max_entries=256, show_spinner=False)
def unit_view(d: common.DataKey, net: common.NetKey, layer: int, unit: int, m1: int, m2: int
              ) -> UnitView:
    """:class:`UnitView` of ``unit`` (0-based) of ``layer`` (cached: building and serialising
    the figures costs far more than looking them up, and the unit slider goes back and
    forth)."""
    nv = core.noise_view(batch_noise(d, net), layer, unit, m1, m2)
    if not nv.sigma > 0:
        return UnitView(nv, None, None, None)
    hist = figures.batch_histograms(nv.mu_small, nv.mu_large, nv.m_small, nv.m_large,
                                    nv.pop_mean, (nv.law_fpc[nv.i_small], nv.law_fpc[nv.i_large]))
    law = figures.spread_law(nv.sizes, nv.sd_mu, nv.sd_s2, nv.sigma, nv.sigma ** 2,
                             nv.n_examples, nv.law, nv.law_fpc)
    return UnitView(nv, figure_spec(hist), figure_spec(law), core.noise_law_verdict(nv))


@st.cache_resource(max_entries=64, show_spinner=False)
def gap_charts(d: common.DataKey, net: common.NetKey, m1: int, m2: int) -> tuple[str, str]:
    """(probability gap, flipped predictions) specs: they mark the two batch sizes and do not
    depend on the layer or unit shown."""
    bn = batch_noise(d, net)
    marks = (min(m1, m2), max(m1, m2))  # as core.noise_view sorts them
    return tuple(figure_spec(f) for f in figures.train_eval_gap(bn.sizes, bn.out_diff,
                                                                  bn.flips, marks))


@st.cache_resource(max_entries=6, show_spinner="Training BN networks (and the same without "
                   "BN) with m = 4, 16, 64 and 256…")
def regularisation(dataset: str, noise: float, net: common.NetKey, n_seeds: int) -> core.RegSweep:
    """Train/test gap per training batch size (the batch-size control does not apply here)."""
    X, y, Xt, yt = common.data_sets(reg_data(dataset, noise), core.REG_N_TRAIN, REG_N_TEST)
    seeds = common.seeds(net, n_seeds)
    return core.regularisation_sweep(X, y, Xt, yt, net.hidden, net.activation, net.training, seeds)


def reg_key(net: common.NetKey) -> common.NetKey:
    """The regularisation view's key: every m is trained, so the batch-size control is not
    part of it (moving it must not retrain this view)."""
    return net._replace(training=replace(net.training, batch_size=TrainConfig.batch_size))


class RegView(NamedTuple):
    """The regularisation view: its figure (spec), the verdict (the view makes it again,
    :func:`common.remade`), the sentence and the caption on the noise of μ_B."""

    sweep: core.RegSweep
    chart: str
    verdict: Verdict
    said: str
    noise_note: str | None


@st.cache_resource(max_entries=6, show_spinner=False)
def reg_view(dataset: str, noise: float, net: common.NetKey, n_seeds: int) -> RegView:
    """:class:`RegView` of :func:`regularisation` (cached beside it: its figure and verdict
    do not depend on any view slider of the tab)."""
    sweep = regularisation(dataset, noise, net, n_seeds)
    verdict = core.regularisation_verdict(
        sweep, common.reference(reg_data(dataset, noise), core.REG_N_TRAIN, REG_N_TEST),
        common.data_sets(reg_data(dataset, noise), core.REG_N_TRAIN, REG_N_TEST))
    return RegView(sweep, figure_spec(figures.regularisation(sweep.runs, sweep.noise)), verdict,
                   *regularisation_takeaway(verdict, sweep))


# ---------------------------------------------------------------- sentences
def constant_unit(nv: core.NoiseView) -> str:
    return tex(f"Unit {nv.unit + 1} of layer {nv.layer} is constant over the training set "
               "(σ = 0): its μ_B never varies. Choose another unit.")


def noise_takeaway(nv: core.NoiseView, verdict: Verdict) -> str:
    """The 1/√m verdict for the shown unit
    (:func:`bnsim.lessons.covariate_shift.mini_batch_noise.noise_law_verdict`)."""
    return tex(f"Unit {nv.unit + 1} of layer {nv.layer}: " + common.lower_first(verdict.text)
               + " In train mode every example is normalised with these noisy statistics.")


def upper_layer_caption(layer: int) -> str | None:
    return (tex(f"Layer {layer}: its inputs were normalised with the same mini-batch below, "
                "which ties μ_B to the lower layers' γ and β — the law is exact for layer 1 "
                "only.") if layer > 1 else None)


def gap_takeaway(nv: core.NoiseView, trained_m: int) -> str:
    a, b = nv.i_small, nv.i_large
    return tex(f"For the network trained with m = {trained_m}, outputs in train mode "
               f"(mini-batch statistics) differ from outputs with "
               f"{notation.MODES['population'].label} by {num(nv.out_diff[a])} in p(class 1) "
               f"on average at m = {nv.m_small} ({pct(nv.flips[a])} of predictions flip) and "
               f"by {num(nv.out_diff[b])} at m = {nv.m_large} ({pct(nv.flips[b])} flip): how far "
               "the noise of μ_B and σ²_B moves this network's outputs in training.")


REGULARISER_NOTE = tex(
    "The lecture: μ_B and σ²_B come from one mini-batch, so they add a little noise to every "
    "z̃ — like dropout, a **slight regularisation**, and a larger batch means less noise and "
    "less of it. It is an unintended **side effect**: don't use BN as a regulariser; use it to "
    "normalise the hidden units and speed up learning, and use dropout or L2 when you need "
    "regularisation.")
REG_CAPTION = tex(
    f"Every network takes the same number of steps on the same {core.REG_N_TRAIN} training "
    "examples, so a larger m also sees more examples and has less gradient noise: the "
    "networks without BN (dashed) show that part. At m = 256 = the whole training set "
    "μ_B is the population μ and BN adds no noise at all.")


def reg_data(dataset: str, noise: float) -> common.DataKey:
    return common.DataKey(dataset=dataset, noise=noise)


def regularisation_takeaway(verdict: Verdict, sweep: core.RegSweep) -> tuple[str, str | None]:
    """The regularisation verdict
    (:func:`bnsim.lessons.covariate_shift.mini_batch_noise.regularisation_verdict`) and, as a
    caption, the noise of μ_B at the two sizes it compares (None without two sizes)."""
    if "m_small" not in verdict.evidence:
        return tex(verdict.text), None
    spread = sweep.noise.set_index("m")["sd_mu_rel"]
    lo, hi = verdict.evidence["m_small"], verdict.evidence["m_large"]
    return tex(verdict.text), tex(f"The noise BN adds: μ_B varies by {pct(spread[lo])} of σ at "
                                  f"m = {lo} and by {pct(spread[hi])} at m = {hi} (BN networks, "
                                  "mean over all hidden units).")


# ---------------------------------------------------------------- the view
def view(v: dict[str, Any]) -> None:
    """μ_B of two batch sizes and the 1/√m law with its verdict, the train/population gap,
    then the slight regularisation per training batch size."""
    net = common.net_key(v)
    layer = clip(v["nlayer"], v["depth"], "Layer")
    unit = clip(v["nunit"], v["width"], "Unit") - 1  # 0-based
    d = common.data_key(v)
    with friendly("the mini-batch statistics"):
        uv = unit_view(d, net, layer, unit, v["m1"], v["m2"])
    nv = uv.nv
    if uv.verdict is None:  # a unit that never varies: no spread to show, the rest goes on
        st.warning(constant_unit(nv), icon=common.WARN)
    else:
        prob, flip = gap_charts(d, net, v["m1"], v["m2"])
        live_chart(uv.hist, key="fig_hist_mu")
        takeaway(noise_takeaway(nv, common.remade(uv.verdict)))
        live_chart(uv.law, key="fig_law")
        left, right = st.columns(2)
        live_chart(prob, key="fig_gap", where=left)
        live_chart(flip, key="fig_flips", where=right)
        if note := upper_layer_caption(layer):
            st.caption(note)
        takeaway(gap_takeaway(nv, v["batch"]))
        download_csv(lambda: core.noise_table(nv), f"batch_noise_l{layer}_u{unit + 1}.csv",
                     "Download the spreads (CSV)")
    st.subheader("Slight regularisation that shrinks with m? The train–test gap per batch size")
    with friendly("the batch-size sweep"):
        reg = reg_view(v["dataset"], v["rnoise"], reg_key(net), v["rseeds"])
    live_chart(reg.chart, key="fig_reg")
    common.remade(reg.verdict)  # its sentence is reg.said
    takeaway(reg.said)
    if reg.noise_note:
        st.caption(reg.noise_note)
    st.caption(REG_CAPTION)
    st.info(REGULARISER_NOTE, icon=":material/school:")
    download_csv(lambda: core.regularisation_table(reg.sweep), "regularisation_vs_m.csv",
                 "Download the gaps per batch size (CSV)")


TAB = Tab(title=TITLE, controls=CONTROLS, presets=PRESETS, view=view)
