"""Lesson "Fitting batch norm into a neural network": one mini-batch through one BN layer, and
BN's headline effect — faster training that tolerates larger learning rates."""

import streamlit as st

from bnsim import inside_layer as E
from bnsim.figures import inside_layer as figs
from bnsim.ui import controls as ui
from bnsim.ui import inside_layer as cr
from bnsim.ui import page
from bnsim.ui.live import live_chart

page.setup(cr.TITLE, cr.INTRO)  # one line: each tab's chart fits 1280×720
ui.presets(cr.CONTROLS, cr.PRESETS, tab_key="tab")
v = ui.render(cr.CONTROLS)

# Lazy tabs bound to the URL: only the open tab is computed and sent to the browser.
tabs = dict(zip(cr.TABS, st.tabs(cr.TABS, key="tab", bind="query-params"), strict=True))

if tabs["One mini-batch"].open or tabs["γ and β"].open:
    with page.friendly("the training run"):
        run = cr.train_run(v)
        vw = cr.view(run, cr.batches_of(v), v)
    for note in vw.notes:
        st.info(note, icon=":material/info:")
    m, n = len(vw.shown.z), vw.batch.W.shape[0]
    y_batch = run.y[vw.batch.idx]

with tabs["One mini-batch"]:
    if tabs["One mini-batch"].open:  # the rows chart first, its takeaway right under it
        live_chart(figs.stage_rows(vw.shown, y_batch, height=cr.ROWS_HEIGHT), key="fig_rows",
                   preview=cr.rows_preview(vw, run, v))
        page.takeaway(cr.rows_takeaway(vw.shown))
        left, right = st.columns([2, 3])
        left.latex(cr.stage_formulas(n, m))  # the same bytes for every layer, unit and step
        with right:
            st.markdown(cr.shape_line(vw, m))
            st.caption(cr.gb_line(vw))
            if v["numbers"] and m <= E.SHOW_NUMBERS_MAX_M:
                st.markdown(cr.numbers_markdown(vw.shown, n))
            elif v["numbers"]:
                st.caption(f"The numbers are listed for m ≤ {E.SHOW_NUMBERS_MAX_M} "
                           f"(this mini-batch has m = {m}); the CSV has them all.")
            page.download_csv(lambda: E.stages_frame(vw.shown), "inside_layer_rows.csv",
                              key="csv_rows")
        st.subheader(r"The bias $b^{[l]}$ is redundant")
        st.latex(cr.BIAS_ALGEBRA)
        page.takeaway(cr.bias_verdict(vw).text)

with tabs["γ and β"]:
    if tabs["γ and β"].open:
        left, right = st.columns(2)  # stacked on a phone
        live_chart(figs.stage_rows(vw.shown, y_batch, height=cr.GB_HEIGHT), key="fig_rows_gb",
                   where=left, preview=cr.rows_preview(vw, run, v))
        live_chart(figs.activation_curve(vw.shown.activation, vw.shown.z_norm,
                                         vw.shown.z_tilde, cr.curve_label(vw),
                                         height=cr.GB_HEIGHT),
                   key="fig_curve", where=right, preview=cr.curve_preview(vw))
        page.takeaway(cr.undo_takeaway(vw))
        page.takeaway(cr.middle_verdict(vw).text)
        st.markdown(cr.gb_line(vw))
        st.button(cr.UNDO_LABEL, on_click=cr.set_undo, key="undo",
                  icon=":material/undo:")
        page.download_csv(lambda: E.stages_frame(vw.shown), "inside_layer_gamma_beta.csv",
                          key="csv_gb")

with tabs["Learning γ, β"]:
    if tabs["Learning γ, β"].open:
        with page.friendly("the four training runs"):
            layers = int(v["layers"])
            layer = min(int(v["layer"]), layers)
            unit = min(int(v["unit"]), int(v["units"]))
            paths = cr.optimizer_paths(v["dataset"], float(v["dnoise"]), layers,
                                       int(v["units"]), v["act"], int(v["batch"]),
                                       int(v["steps"]), int(v["seed"]), layer, unit)
        shown = [p for p in paths if p.optimizer in v["paths"]]
        live_chart(figs.param_paths(shown, layer, unit, height=cr.CHART_HEIGHT),
                   key="fig_paths")
        page.takeaway(cr.paths_takeaway(shown, layer, unit))
        st.caption("The same network, data and seed trained with each optimiser at a learning "
                   "rate typical for it (gradient descent and momentum α = 0.3, RMSprop and "
                   "Adam α = 0.01); γ and β are updated exactly like W.")
        page.download_csv(lambda: E.paths_frame(shown), "inside_layer_gamma_beta_paths.csv",
                          key="csv_paths")
        cols = st.columns(2)
        for i, (opt, rule) in enumerate(cr.UPDATE_RULES.items()):
            cols[i % 2].markdown(f"**{cr.OPTS[opt]}**")
            cols[i % 2].latex(rule)
        st.code(cr.FRAMEWORK_CODE, language="python")

with tabs["With vs without BN"]:
    if tabs["With vs without BN"].open:
        with page.friendly("the learning-rate sweep"):
            sw = cr.sweep_of(v)
        lr = float(v["sw_lr"])
        left, right = st.columns(2)
        live_chart(figs.sweep_accuracy(sw, lr, height=cr.CHART_HEIGHT), key="fig_sweep_acc",
                   where=left)
        live_chart(figs.sweep_steps(sw, lr, height=cr.CHART_HEIGHT), key="fig_sweep_steps",
                   where=right)
        page.takeaway(cr.sweep_takeaway(sw, lr).text)
        st.markdown(cr.largest_lr_line(sw))
        live_chart(figs.sweep_loss(sw, lr), key="fig_sweep_loss")
        page.download_csv(lambda: E.sweep_frame(sw), "inside_layer_sweep.csv", key="csv_sweep")

with st.expander("About this page", icon=":material/info:"):
    st.markdown(cr.ABOUT)
page.glossary(cr.GLOSSARY_TERMS)
