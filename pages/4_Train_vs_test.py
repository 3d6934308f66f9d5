"""Lesson "Train vs test": batch statistics vs running statistics at test time."""

import streamlit as st

from bnsim import notation, testtime
from bnsim.figures import testtime as figs
from bnsim.ui import controls as ui
from bnsim.ui import testtime as tt
from bnsim.ui.live import live_chart
from bnsim.ui.page import download_csv, friendly, glossary, setup, takeaway

setup("Train vs test", tt.INTRO)  # short: each tab's chart fits the first 1280×720 screen
ui.presets(tt.CONTROLS, tt.PRESETS, tab_key="tab")
v = ui.render(tt.CONTROLS)
key = tt.train_key(v)
k, R, tseed = v["k"], v["repeats"], v["tseed"]
CSV = "Download the accuracy table (CSV)"

with friendly("the trained network"):
    nw = tt.network_of(key)
if nw.trace.diverged:
    st.warning(tt.diverged_warning(nw), icon=":material/warning:")
if nw.params is None:
    st.stop()
Xt, yt = nw.data.X_test, nw.data.y_test

tabs = st.tabs(tt.TABS, key="tab", bind="query-params")
with tabs[0]:
    if tabs[0].open:
        with friendly("the decision boundaries"):
            b = tt.boundaries(key, k, v["mix"] / 100, tseed)
        left, right = st.columns(2)  # two figures: moving k redraws only the right one
        live_chart(figs.eval_boundary(b, Xt, yt), key="fig_eval_map", where=left)
        live_chart(figs.batch_boundary(b, Xt, yt, k, v["mix"]), key="fig_batch_map", where=right)
        takeaway(tt.boundaries_takeaway(b))
        st.caption(tt.boundaries_caption(k, tseed, v["mix"]))
        if k == 1:
            st.info(tt.flat_map_note(b))
        download_csv(b.to_frame, "boundaries.csv", "Download the two maps (CSV)")

with tabs[1]:
    if tabs[1].open:
        with friendly("accuracy vs test batch size"):
            kv = tt.batch_size_view(key, k, R, tseed)
        live_chart(figs.accuracy_vs_k(kv.curve.table, k, kv.at.mean, kv.collapse.share),
                   key="fig_acc_k")
        takeaway(tt.k_takeaway(kv, R))
        st.info(tt.collapse_note(kv.collapse, kv.curve.eval_acc))
        download_csv(kv.curve.table, "accuracy_vs_k.csv", CSV)

with tabs[2]:
    if tabs[2].open:
        i = int(v["point"])
        with friendly("the distribution over test batches"):
            emap = tt.eval_map(key)
            f = tt.follow(key, i, k, 4 * R, tseed)
            typical = testtime.typicality(tt.flip_rates(key, k, tseed), f.flips)
        left, right = st.columns(2)
        left.plotly_chart(figs.pick_map(emap, Xt, yt, i), key="pick_map", on_select=tt.on_pick,
                          selection_mode="points", config=tt.PLOTLY_CONFIG)
        live_chart(figs.neighbours(f.draws, f.p_eval, k, i, f.label), key="fig_nb", where=right)
        takeaway(tt.follow_takeaway(f, typical))
        st.caption(tt.PICK_HINT)
        download_csv(f.to_frame, f"point_{i}_k{k}.csv")

with tabs[3]:
    if tabs[3].open:
        with friendly("skewed test batches"):
            sk = tt.skewed(key, k, R, tseed)
        live_chart(figs.skewed(sk, v["mix"], k), key="fig_skew")
        takeaway(tt.skewed_takeaway(testtime.skew_at(sk, v["mix"] / 100), k))
        st.caption(tt.skewed_caption(k, R))
        if testtime.repeats_examples(yt, k):
            st.caption(tt.REPEATS_NOTE)
        download_csv(sk, f"skewed_k{k}.csv", CSV)

with tabs[4]:
    if tabs[4].open:
        with friendly("the running estimates"):
            lag = tt.running_estimates(key, v["ema_beta"])
        live_chart(figs.running_estimates(lag.table, v["ema_beta"]), key="fig_running")
        takeaway(tt.lag_takeaway(lag))
        st.markdown(tt.momentum_note(v["ema_beta"]))
        st.latex(notation.EMA_EQUATION + r"\qquad " + notation.EMA_BIAS_CORRECTED)
        st.caption(tt.WHY_EMA)
        download_csv(lag.wide.reset_index(), "running_estimates.csv", CSV)

with tabs[5]:
    if tabs[5].open:
        with friendly("the Batch Renorm comparison"):
            rn = tt.norms(key, ("bn", "renorm"))
        if tt.renorm_diverged(rn):
            st.warning(tt.renorm_diverged(rn), icon=":material/warning:")
        during, end = figs.renorm(rn.curves, rn.means)
        left, right = st.columns([3, 2])  # stacked on a phone
        live_chart(during, key="fig_renorm", where=left)
        live_chart(end, key="fig_renorm_end", where=right)
        takeaway(tt.renorm_takeaway(rn, v["batch"], v["sampling"]))
        st.markdown(tt.RENORM_INTRO)
        st.latex(tt.RENORM_EQUATION)
        st.caption(tt.RAMP_NOTE)
        if v["sampling"] == "iid":
            st.caption(tt.NON_IID_HINT)
        download_csv(rn.table, "plain_bn_vs_batch_renorm.csv", CSV)

with tabs[6]:
    if tabs[6].open:
        with friendly("the running-averages comparison"):
            ra = tt.norms(key, testtime.NORMS)
        if tt.renorm_diverged(ra):
            st.warning(tt.renorm_diverged(ra), icon=":material/warning:")
        during, end = figs.renorm(ra.curves, ra.means)
        left, right = st.columns([3, 2])
        live_chart(during, key="fig_running_bn", where=left)
        live_chart(end, key="fig_running_bn_end", where=right)
        takeaway(tt.running_takeaway(ra, v["batch"], v["sampling"]))
        st.markdown(tt.RUNNING_INTRO)
        download_csv(ra.table, "running_averages_in_training.csv", CSV)

with st.expander("About this page: the two normalisations", icon=":material/info:"):
    st.markdown(tt.ABOUT)
    st.latex(tt.TRAIN_VS_EVAL)
glossary(tt.GLOSSARY)
