"""Lesson "Batch norm at test time": per-mini-batch μ and σ² and their running estimates."""

import streamlit as st

from bnsim import notation
from bnsim import running_stats as E
from bnsim.data import DATASETS
from bnsim.figures import running_stats as figs
from bnsim.optim import OPTIMIZER_LABELS
from bnsim.ui import controls as ui
from bnsim.ui import page
from bnsim.ui import running_stats as cr
from bnsim.ui.live import live_chart

page.setup("Running statistics", (
    "Every mini-batch gives its own $\\mu_B$, $\\sigma^2_B$ for each unit of layer $l$; a "
    "single test example needs fixed values instead: an exponentially weighted average "
    "collected during training. Watch it form, and how far it is from the true (population) "
    "statistics."))

C = ui.Control
CONTROLS = (
    C(key="dataset", label="Dataset", default="moons", help="Toy 2-D classification data the network learns.", group="Data",
      kind="select", options={k: k.capitalize() for k in DATASETS}),
    C(key="noise", label="Noise", default=0.1, help="Standard deviation of the noise added to the inputs.", group="Data",
      kind="slider", min=0.0, max=1.0, step=0.05),
    C(key="depth", label="Hidden layers", default=2, help="Number of hidden layers L.", group="Network", kind="slider", min=1, max=4, step=1),
    C(key="width", label="Units per layer", default=16, help="Units n^[l] in every hidden layer.", group="Network",
      kind="slider", min=2, max=64, step=1),
    C(key="bn", label="BN in layers", default=["1", "2", "3", "4"], help="Hidden layers with Batch Normalization "
      "(layers beyond the depth are ignored).", group="Network", kind="multiselect",
      options={str(i): f"layer {i}" for i in range(1, 5)}),
    C(key="act", label="Activation", default="relu", help="Activation g after BN.", group="Network", kind="select",
      options=cr.ACTIVATION_LABELS),
    C(key="batch", label="Batch size m", default=32, help="Examples per mini-batch: small m gives noisy μ_B, σ²_B. "
      "Changing it retrains.", group="Training", kind="slider", min=2, max=256, step=1),
    C(key="opt", label="Optimiser", default="adam", help="How the weights are updated.", group="Training", kind="select",
      options=OPTIMIZER_LABELS),
    C(key="lr", label="Learning rate", default="0.01", help="Step size α of the optimiser.", group="Training", kind="select",
      options={v: v for v in ("0.0003", "0.001", "0.003", "0.01", "0.03", "0.1", "0.3")}),
    C(key="steps", label="Training steps", default=1000, help="Number of mini-batches T.", group="Training", kind="slider",
      min=50, max=5000, step=50),
    C(key="seed", label="Seed", default=0, help="Seeds the data, the initial weights and the mini-batch order.",
      group="Training", kind="number", min=0, max=9999, step=1),
    C(key="beta", label="β_EMA (EMA coefficient)", default=0.9, help="v_t = β_EMA·v_{t−1} + (1 − β_EMA)·θ_t — not the "
      "BN shift β. PyTorch momentum = 1 − β_EMA, Keras momentum = β_EMA. Never retrains.",
      group="View", kind="slider", min=0.0, max=0.999, step=0.001, format="%.3f"),
    C(key="ema", label="EMA (lecture, v₀ = 0 / 1)", default=True, help="The EMA as the lecture writes it, starting "
      "at 0 for the mean and 1 for the variance, as PyTorch and Keras do.", group="View", kind="toggle"),
    C(key="bc", label="Bias correction v_t/(1 − β_EMA^t)", default=True, help="The EMA with the start value's weight "
      "β_EMA^t removed.", group="View", kind="toggle"),
    C(key="cum", label="Cumulative average", default=True, help="Plain average of all mini-batches so far: PyTorch "
      "BatchNorm with momentum=None.", group="View", kind="toggle"),
    C(key="pop", label="Population statistics", default=True, help="μ and σ² of z over the whole training set with "
      "the weights of that step — what the estimates try to follow.", group="View", kind="toggle"),
    C(key="var", label="Variance", default="unbiased", help="PyTorch averages the unbiased m/(m−1)·σ²_B, Keras the "
      "biased σ²_B.", group="View", kind="radio",
      options={"unbiased": "unbiased (PyTorch)", "biased": "biased (Keras)"}),
    C(key="logx", label="Log step axis", default=False, help="Logarithmic step axis in the trajectory plot: spreads "
      "out the first steps, where the estimates form.", group="View", kind="toggle"),
    C(key="layer", label="Layer l", default=2, help="Hidden layer to watch (clipped to the network's depth).", group="View",
      kind="slider", min=1, max=4, step=1),
    C(key="unit", label="Unit j", default=0, help="Unit of that layer (clipped to its width).", group="View", kind="slider",
      min=0, max=63, step=1),
    C(key="step", label="Step for the histogram", default=10, help="Training step of the distribution view (the "
      "nearest step with stored weights is shown).", group="View", kind="slider", min=1, max=5000, step=1),
    C(key="tol", label="Tolerance (%)", default=10, help="'Within x %' in the takeaway and the error plot: of σ_pop "
      "for the mean, of σ²_pop for the variance.", group="View", kind="slider", min=1, max=50, step=1),
)
PRESETS = {
    "β_EMA = 0.9 as in the lecture": {},
    "β_EMA = 0.999: a very slow estimate": {"beta": 0.999},
    "Tiny batches: noisy μ_B, biased σ²_B": {"batch": 4, "var": "biased", "layer": 1, "unit": 3},
    "Network still learning: the estimate trails": {"lr": "0.1", "beta": 0.99, "unit": 2},
}
BETA_LABEL = next(c.label for c in CONTROLS if c.key == "beta")
ui.presets(CONTROLS, PRESETS)
v = ui.render(CONTROLS)

with page.friendly("the training run"):
    run = cr.train_run(v)
trace = run.trace
if trace.diverged:
    done = len(trace.loss)
    st.warning(f"Training diverged at step {trace.diverged_at} (the loss became NaN/inf); "
               + (f"showing the {done} steps before it. " if done >= 2 else "nothing to show. ")
               + "Try a smaller learning rate.", icon=":material/warning:")
    if done < 2:
        st.stop()
layer, unit, notes = E.check_unit(trace.net, v["layer"], v["unit"])
for note in notes:
    st.info(note, icon=":material/info:")
with page.friendly("the running estimates"):
    view = cr.compute_view(run, layer, unit, v)
us, est, shown, var = view.us, view.est, view.shown, v["var"]

st.latex(notation.EMA_EQUATION)
st.markdown(cr.beta_line(v["beta"], view))
st.caption(run.summary)
if not us.has_bn:
    st.info(f"Layer {layer} has no BN, so the network keeps no running estimate for it; its "
            "mini-batch μ_B and σ²_B (and the population values) are still shown. Choose a BN "
            "layer to see the estimators.", icon=":material/info:")
trajectory = figs.trajectory(us, est, shown, var, v["logx"])
# The EMA lines follow the β_EMA slider in the browser while it moves; the server's figure
# for the released value replaces them a moment later.
live_chart(trajectory, key="trajectory", preview=None if est is None else figs.ema_preview(
    trajectory, us, var, v["beta"], slider=BETA_LABEL))
if (k := figs.dot_stride(len(us.steps))) > 1:
    kl = figs.dot_stride(len(us.steps), figs.MAX_LINE_POINTS)
    lines = "every step" if kl == 1 else f"every {cr.ordinal(kl)} step"
    st.caption(f"Dots: the first 30 mini-batches, then every {cr.ordinal(k)} of "
               f"{len(us.steps)}; lines: {lines}; the CSV has every step.")
page.takeaway(cr.trajectory_takeaway(view, v["tol"] / 100, var,
                                     layer > 1 and trace.net.bn[layer - 2]))
page.download_csv(lambda: E.trajectory_frame(us, est, var, shown),
                  f"running_stats_layer{layer}_unit{unit}.csv", "Download the trajectories (CSV)")

# Lazy tabs bound to the URL: only the open tab is computed and sent to the browser.
PANELS = ("Error vs population", "Step by step", "Distribution at a step", "PyTorch & Keras",
          "Formulas")
tabs = dict(zip(PANELS, st.tabs(PANELS, key="panel", bind="query-params"), strict=True))
no_bn = "No running estimate in a layer without BN."
with tabs["Error vs population"]:
    if tabs["Error vs population"].open and est is None:
        st.info(no_bn)
    elif tabs["Error vs population"].open:
        live_chart(figs.error_plot(us, view.errs, shown, v["beta"], v["tol"] / 100, var),
                   key="errors")
        page.takeaway(cr.error_takeaway(view))
with tabs["Step by step"]:
    if tabs["Step by step"].open and est is None:
        st.info(no_bn)
    elif tabs["Step by step"].open:
        st.caption("Drag the slider under the plot or press ▶: it runs in your browser. The "
                   "grey curtain hides the steps still to come.")
        st.plotly_chart(figs.scrub(us, est, shown), key="scrub")
        page.takeaway(cr.scrub_takeaway(v["beta"]))
with tabs["Distribution at a step"]:
    if tabs["Distribution at a step"].open:
        dist = cr.distribution(run, layer, unit, v["step"])
        if dist.step != v["step"]:
            st.caption(f"Weights are stored at {len(trace.snapshot_steps)} steps; showing step "
                       f"{dist.step}, the nearest to {v['step']}.")
        marks = cr.marks_at(view, dist.step)
        live_chart(figs.distribution(dist, marks, E.z_range(us)), key="distribution")
        page.takeaway(cr.distribution_takeaway(dist, marks))
with tabs["PyTorch & Keras"]:
    if tabs["PyTorch & Keras"].open and est is None:
        st.info(no_bn)
    elif tabs["PyTorch & Keras"].open:
        st.markdown(cr.framework_table(v["beta"], run, view))
        st.code(cr.framework_code(v["beta"], run, view), language="python")
        st.caption(cr.framework_note(run, view))
with tabs["Formulas"]:
    if tabs["Formulas"].open:
        st.latex(notation.EMA_EQUATION)
        left, right = st.columns(2)
        left.markdown("**Training: each mini-batch of m examples, unit by unit**")
        for eq in notation.BN_EQUATIONS:
            left.latex(eq)
        right.markdown("**The running estimate, and what a test example uses**")
        for eq in (notation.EMA_BIAS_CORRECTED, cr.CUMULATIVE_EQUATION, *cr.WINDOW_EQUATIONS,
                   notation.EVAL_EQUATION):
            right.latex(eq)
