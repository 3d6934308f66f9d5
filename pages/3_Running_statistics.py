"""Lesson "Batch norm at test time": per-mini-batch μ and σ² and their running estimates."""

import streamlit as st

from bnsim import notation
from bnsim import running_stats as E
from bnsim.figures import running_stats as figs
from bnsim.ui import controls as ui
from bnsim.ui import page
from bnsim.ui import running_stats as cr
from bnsim.ui.live import live_chart

page.setup(cr.TITLE, cr.INTRO)
ui.presets(cr.CONTROLS, cr.PRESETS, tab_key="panel")
v = ui.render(cr.CONTROLS)

with page.friendly("the training run"):
    run = cr.train_run(v)
if (warning := cr.divergence_warning(run.trace)) is not None:
    st.warning(warning.text, icon=":material/warning:")
    if warning.stop:
        st.stop()
choice = E.check_unit(run.trace.net, v["layer"], v["unit"])
for note in choice.notes:
    st.info(note, icon=":material/info:")
with page.friendly("the running estimates"):
    view = cr.compute_view(run, choice.layer, choice.unit, v)
us, est = view.us, view.est

if not us.has_bn:
    st.info(cr.no_bn_note(us.layer), icon=":material/info:")

# Lazy tabs bound to the URL (?panel=...): only the open tab is computed and sent to the
# browser. The tabs come first, so each tab's picture is in the first 1280×720 screen; a link
# without ``panel`` opens the trajectory, the page's key picture.
tabs = dict(zip(cr.PANELS, st.tabs(cr.PANELS, key="panel", bind="query-params"), strict=True))


def opened(panel: str) -> bool:
    """Whether to draw ``panel``: it is open and has something to show (else a note says so)."""
    if tabs[panel].open and est is None and panel not in cr.PANELS_WITHOUT_ESTIMATE:
        st.info(cr.NO_BN_PANEL)
        return False
    return tabs[panel].open


with tabs[cr.TRAJECTORY]:
    if opened(cr.TRAJECTORY):
        # μ and σ² side by side (stacked on a phone). The EMA lines follow the β_EMA slider in
        # the browser while it moves; the server's figure for the released value replaces them.
        with page.friendly("the plots"):
            charts = cr.trajectories(view, v["logx"])
        for column, (key, fig, preview) in zip(st.columns(2), charts, strict=True):
            live_chart(fig, key=key, preview=preview, where=column)
        page.takeaway(cr.trajectory_takeaway(view))
        page.takeaway(cr.variance_takeaway(view))
        if (caption := cr.thinning_caption(us)) is not None:
            st.caption(caption)
        page.download_csv(lambda: E.trajectory_frame(us, est, view.variance, view.shown),
                          cr.csv_name(view), cr.CSV_LABEL)
        with st.expander(cr.ABOUT_LABEL, icon=":material/info:"):
            st.markdown(cr.ABOUT)
            st.latex(notation.EMA_EQUATION)
with tabs["Error vs population"]:
    if opened("Error vs population"):
        for column, (key, fig) in zip(st.columns(2), cr.error_plots(view), strict=True):
            live_chart(fig, key=key, where=column)
        page.takeaway(cr.error_takeaway(view))
with tabs["Step by step"]:
    if opened("Step by step"):
        st.plotly_chart(figs.scrub(us, est, view.shown, height=cr.SCRUB_HEIGHT), key="scrub")
        page.takeaway(cr.scrub_takeaway(view.beta))
        st.caption(cr.SCRUB_CAPTION)
with tabs["Distribution at a step"]:
    if opened("Distribution at a step"):
        dist = cr.distribution(run, us.layer, us.unit, v["step"])
        marks = cr.marks_at(view, dist.step)
        live_chart(figs.distribution(dist, marks, E.z_range(us), height=cr.DISTRIBUTION_HEIGHT),
                   key="distribution")
        page.takeaway(cr.distribution_takeaway(dist, marks))
        if (caption := cr.snapshot_caption(run, dist, v["step"])) is not None:
            st.caption(caption)
with tabs["PyTorch & Keras"]:
    if opened("PyTorch & Keras"):
        st.markdown(cr.framework_table(view))
        st.code(cr.framework_code(run, view), language="python")
        st.caption(cr.framework_note(run, view))
        box_text, box_code = cr.framework_box(run, view)
        with st.container(border=True):
            st.markdown(box_text)
            st.code(box_code, language="python")
with tabs["Formulas"]:
    if opened("Formulas"):
        st.latex(notation.EMA_EQUATION)
        for column, (heading, equations) in zip(st.columns(2), cr.FORMULA_COLUMNS, strict=True):
            column.markdown(heading)
            for eq in equations:
                column.latex(eq)

# Under every tab: β_EMA in both frameworks' terms, the layer and unit shown, and the run.
st.markdown(cr.beta_line(view))
st.caption(run.summary)
page.glossary(cr.GLOSSARY_TERMS)
