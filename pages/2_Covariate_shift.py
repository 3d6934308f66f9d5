"""Lesson "Covariate shift": the lecture's toy examples, and what BN does (and does not do).

Each tab opens with its key picture (sized to fit the first 1280×720 screen) and the takeaway
right under it; equations, notes and the long introduction come after."""

import streamlit as st

from bnsim import covariate_shift as cv
from bnsim.figures import covariate_shift as figs
from bnsim.ui import controls as ui
from bnsim.ui import covariate_shift as lesson
from bnsim.ui.live import live_chart
from bnsim.ui.page import download_csv, friendly, glossary, setup, takeaway

setup("Covariate shift", lesson.INTRO)
ui.presets(lesson.ALL, lesson.PRESETS, tab_key="tab")
tabs = st.tabs(lesson.TABS, key="tab", bind="query-params")
active = next((i for i, t in enumerate(tabs) if t.open), 0)
v = lesson.controls(active)
net = lesson.net_key(v)
WARN = ":material/warning:"


def clip(value: int, top: int, what: str) -> int:
    if note := lesson.clipped(what, value, top):
        st.caption(note)
    return min(value, top)


# ---------------------------------------------------------------- 1. black cats
with tabs[0]:
    if tabs[0].open:
        shift = v["shift"]
        with friendly("the covariate-shift networks"):
            sv = lesson.shift_view(net, v["spread"], v["rule"], shift, v["tscale"], v["model"])
        if sv.diverged:
            st.warning(lesson.shift_diverged(sv.diverged), icon=WARN)
        left, right = st.columns(2)
        live_chart(sv.scene, key="fig_scene", where=left)
        live_chart(sv.accuracy, key="fig_shift_acc", where=right)
        takeaway(lesson.shift_takeaway(shift, v["tscale"], sv.now))
        st.subheader("The fix students ask about: recalibrate BN on the test inputs (AdaBN)")
        c1, c2 = st.columns([3, 2])
        live_chart(sv.rules, key="fig_rules", where=c1)
        c2.markdown(lesson.rules_text(sv.claims))
        for eq in lesson.ADABN_EQUATIONS:
            st.latex(eq)
        st.caption(lesson.ADABN_CAPTION)
        download_csv(sv.sweep.table.assign(rule=v["rule"], spread=v["spread"],
                                           test_scale=v["tscale"]),
                     f"shift_{v['rule']}.csv", "Download accuracy vs shift (CSV)")

# ---------------------------------------------------------------- 2. internal covariate shift
with tabs[1]:
    if tabs[1].open:
        layer, qty = clip(v["layer"], v["layers"], "Layer"), v["qty"]
        unit = clip(v["unit"], cv.layer_width(qty, layer, v["units"]), "Unit") - 1
        with friendly("the layer's distribution over training"):
            lv = lesson.layer_view(lesson.data_key(v), net, layer, qty)
        sym = lesson.layer_symbol(qty, layer)
        for key, run in (("no_bn", lv.no_bn), ("bn", lv.bn)):
            if run.diverged:
                st.warning(lesson.layer_diverged(key, run), icon=WARN)
        if not (lv.no_bn.finite and lv.bn.finite):
            st.error("Values overflowed (diverged training); choose a smaller learning rate.")
            st.stop()
        top, bottom = lesson.layer_figures(lesson.data_key(v), net, layer, qty, unit,
                                           v["style"], v["logx"],
                                           lesson.layer_label(qty, layer, unit))
        live_chart(top, key="fig_layer")
        takeaway(lesson.drift_takeaway(sym, lv, net, v["dataset"]))
        for col, (label, value) in zip(st.columns(3), lesson.drift_metrics(sym, lv), strict=True):
            col.metric(label, value)
        with st.expander("How D is measured"):
            st.latex(lesson.DRIFT_EQUATION)
            st.caption(lesson.drift_caption(len(lv.bn.steps)))
        st.subheader(lesson.pinning_heading(layer))
        live_chart(bottom, key="fig_zt")
        takeaway(lesson.pinning_takeaway(layer, cv.pinning(lv)))
        st.caption(lesson.PINNING_CAPTION)
        download_csv(lambda: cv.band_table(lv, unit), f"layer{layer}_{qty}_unit{unit + 1}.csv",
                     "Download the distribution over steps (CSV)")

# ---------------------------------------------------------------- 3. mini-batch noise
with tabs[2]:
    if tabs[2].open:
        layer = clip(v["nlayer"], v["layers"], "Layer")
        unit = clip(v["nunit"], v["units"], "Unit") - 1
        with friendly("the mini-batch statistics"):
            nv = cv.noise_view(lesson.batch_noise(lesson.data_key(v), net), layer, unit,
                               v["m1"], v["m2"])
        if not nv.sigma > 0:  # a unit that never varies: no spread to show, the rest goes on
            st.warning(lesson.constant_unit(nv), icon=WARN)
        else:
            hist, law, prob, flip = lesson.noise_figures(nv)
            live_chart(hist, key="fig_hist_mu")
            takeaway(lesson.noise_takeaway(nv))
            live_chart(law, key="fig_law")
            left, right = st.columns(2)
            live_chart(prob, key="fig_gap", where=left)
            live_chart(flip, key="fig_flips", where=right)
            if note := lesson.upper_layer_caption(layer):
                st.caption(note)
            takeaway(lesson.gap_takeaway(nv, v["batch"]))
            download_csv(lambda: cv.noise_table(nv), f"batch_noise_l{layer}_u{unit + 1}.csv",
                         "Download the spreads (CSV)")
        st.subheader("Slight regularisation that shrinks with m")
        with friendly("the batch-size sweep"):
            reg = lesson.regularisation(v["dataset"], v["rnoise"], lesson.reg_key(net),
                                        v["rseeds"])
        live_chart(figs.regularisation(reg.runs, reg.noise), key="fig_reg")
        takeaway(lesson.regularisation_takeaway(reg))
        st.caption(lesson.REG_CAPTION)
        st.info(lesson.REGULARISER_NOTE, icon=":material/school:")
        download_csv(lambda: cv.regularisation_table(reg), "regularisation_vs_m.csv",
                     "Download the gaps per batch size (CSV)")

# ---------------------------------------------------------------- 4. noisy BN
with tabs[3]:
    if tabs[3].open:
        sigma, layer = v["sigma"], clip(v["dlayer"], v["layers"], "Layer")
        with friendly("the three networks"):
            cmp = lesson.noisy_runs(lesson.data_key(v), net, sigma, v["nseeds"])
            summ = cv.noisy_summary(cmp, layer)
        if diverged := cv.diverged_runs(summ):
            st.warning(lesson.noisy_diverged(diverged), icon=WARN)
        curves = cv.loss_curves(cmp, v["smooth"])
        left, right = st.columns(2)
        live_chart(figs.loss_curves(cv.loss_steps(curves), curves, sigma), key="fig_loss",
                   where=left)
        live_chart(figs.final_bars(summ, layer), key="fig_final", where=right)
        takeaway(lesson.noisy_takeaway(summ, sigma, layer, net, v["dataset"]))
        st.latex(lesson.NOISY_EQUATION)
        st.caption(lesson.NOISY_CAPTION)
        st.markdown(lesson.NOISY_NOTE)
        st.caption(lesson.SPEEDUP_NOTE)
        c1, c2 = st.columns(2)
        with c1:
            download_csv(summ.assign(sigma=sigma, layer=layer), "noisy_bn.csv",
                         "Download the final numbers per run (CSV)")
        with c2:
            download_csv(lambda: cv.loss_table(curves, cmp.seeds), "noisy_bn_loss.csv",
                         "Download the smoothed loss curves (CSV)")

with st.expander("About this page", icon=":material/info:"):
    st.markdown(lesson.ABOUT)
glossary(lesson.GLOSSARY_TERMS)
