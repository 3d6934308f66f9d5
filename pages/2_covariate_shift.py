"""Lesson "Covariate shift": the lecture's toy examples, and what BN does (and does not do)."""

import numpy as np
import pandas as pd
import streamlit as st

from bnsim import covariate_shift as cv
from bnsim import notation
from bnsim.figures import covariate_shift as figs
from bnsim.optim import OPTIMIZER_LABELS
from bnsim.ui import controls as ui
from bnsim.ui import covariate_shift as cache
from bnsim.ui.live import live_chart
from bnsim.ui.page import download_csv, friendly, setup, takeaway

setup("Covariate shift", "The lecture explains BN with **covariate shift**: a classifier trained "
      "on black cats fails on coloured cats although the rule “cat or not” never changed, and a "
      "deep layer's inputs keep moving while earlier layers learn — BN pins their mean and "
      "variance. Four toy examples put each claim to the test, including the ones that fail.")

C = ui.Control
DATASETS = {"moons": "Moons", "circles": "Circles", "xor": "XOR", "blobs": "Blobs",
            "spiral": "Spiral"}
SIZES = {m: str(m) for m in cv.BATCH_SIZES}
ACT = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid"}
RULES = {"sine": "Sine: x₂ > sin(1.5·x₁)", "circle": "Circle: |x| < 1.5",
         "linear": "Line: x₂ > x₁/2"}
SHARED = (
    C(key="layers", label="Hidden layers", default=3, help="Number of hidden layers (every network on this page).",
      group="Network", kind="slider", min=2, max=4, step=1),
    C(key="units", label="Units per hidden layer", default=16, help="Width of every hidden layer.", group="Network",
      kind="slider", min=4, max=32, step=4),
    C(key="act", label="Activation g", default="relu", help="Activation after each hidden layer.", group="Network", kind="select",
      options=ACT),
    C(key="opt", label="Optimiser", default="adam", help="The same optimiser for all networks compared.", group="Training",
      kind="select", options=OPTIMIZER_LABELS),
    C(key="lr", label="Learning rate α", default=0.01, help="The same learning rate for all networks compared.",
      group="Training", kind="select", options={v: str(v) for v in (0.001, 0.003, 0.01, 0.03, 0.1, 0.3,
                                                            1.0)}),
    C(key="batch", label="Training batch size m", default=32, help="Examples per training mini-batch.", group="Training",
      kind="select", options=SIZES),
    C(key="steps", label="Training steps", default=1000, help="Number of mini-batches.", group="Training", kind="slider", min=200,
      max=4000, step=100),
    C(key="seed", label="Seed", default=0, help="Initial weights and mini-batch order (the same for with and "
      "without BN).", group="Training", kind="number", min=0, max=99, step=1),
)
DATA = (
    C(key="dataset", label="Dataset", default="moons", help="Toy 2-D data set (1000 training, 400 test examples).",
      group="Data", kind="select", options=DATASETS),
    C(key="dnoise", label="Data noise", default=0.1, help="Gaussian noise added to the inputs.", group="Data", kind="slider",
      min=0.0, max=0.5, step=0.05),
)
TAB_CONTROLS = (
    (C(key="rule", label="Labelling rule", default="sine", help="The fixed rule “cat or not”; it never changes, only "
       "where the inputs lie. Never retrains.", group="Data", kind="select", options=RULES),
     C(key="shift", label="Shift of the test inputs", default=3.0, help="The test cloud moves by (shift, shift/2). "
       "Never retrains.", group="Data", kind="slider", min=0.0, max=5.0, step=0.25),
     C(key="spread", label="Spread of the clouds", default=0.8, help="Standard deviation of the training cloud.",
       group="Data", kind="slider", min=0.4, max=1.2, step=0.1),
     C(key="tscale", label="Test spread ×", default=1.0, help="The test cloud's spread relative to the training "
       "cloud (a change of scale). Never retrains.", group="Data", kind="slider", min=0.5, max=2.0, step=0.1),
     C(key="model", label="Boundary shown", default="bn", help="Whose decision boundary the left plot draws.", group="View",
       kind="radio", options={"no_bn": "no BN", "bn": "BN", "adabn": "BN + AdaBN"})),
    DATA + (
        C(key="layer", label="Layer l", default=2, help="Hidden layer to watch (clipped to the number of layers).",
          group="View", kind="slider", min=1, max=4, step=1),
        C(key="qty", label="Quantity", default="a_prev", help="What to follow through training.", group="View", kind="radio",
          options={"a_prev": "a^[l−1] (inputs)", "z": "z^[l]", "z_tilde": "z̃^[l]"}),
        C(key="unit", label="Unit j", default=1, help="Which unit's distribution to draw (clipped to the width).",
          group="View", kind="slider", min=1, max=32, step=1),
        C(key="style", label="Picture", default="band", help="Quantile bands or a heat map of histograms.", group="View",
          kind="radio", options={"band": "quantile bands", "heat": "histograms"}),
        C(key="logx", label="Log step axis", default=True, help="Snapshots are dense early, where most changes "
          "happen.", group="View", kind="toggle")),
    DATA + (
        C(key="m1", label="Small batch m₁", default=4, help="Left histogram.", group="View", kind="select", options=SIZES),
        C(key="m2", label="Large batch m₂", default=64, help="Right histogram.", group="View", kind="select", options=SIZES),
        C(key="nlayer", label="Layer l", default=1, help="Layer whose μ_B, σ²_B are shown (clipped to the number of "
          "layers).", group="View", kind="slider", min=1, max=4, step=1),
        C(key="nunit", label="Unit j", default=1, help="Unit whose μ_B is shown (clipped to the width).", group="View",
          kind="slider", min=1, max=32, step=1)),
    DATA + (
        C(key="sigma", label="Noise σ after BN", default=0.5, help="Noisy BN: z̃·(1 + σξ₁) + σξ₂ per unit, fresh "
          "ξ ~ N(0, 1) every step.", group="Training", kind="slider", min=0.05, max=1.5, step=0.05),
        C(key="nseeds", label="Seeds per network", default=3, help="Each variant is trained with this many seeds.",
          group="Training", kind="slider", min=1, max=5, step=1),
        C(key="smooth", label="Loss smoothing (steps)", default=50, help="Moving average of the mini-batch loss.",
          group="View", kind="slider", min=1, max=200, step=1),
        C(key="dlayer", label="Drift of layer l", default=2, help="Layer whose z̃^[l] drift is measured (clipped).",
          group="View", kind="slider", min=1, max=4, step=1)),
)
TABS = ("Black cats → coloured cats", "A deep layer's moving inputs", "Mini-batch noise",
        "Noisy BN")
PRESETS = {  # name: (control values, tab to open)
    "The black-cat example": ({"rule": "sine", "shift": 3.0}, 0),
    "Layer 3's view": ({"layers": 3, "layer": 3, "qty": "a_prev"}, 1),
    "Batch size 2 vs 256": ({"m1": 2, "m2": 256}, 2),
    "Noisy BN": ({"sigma": 0.5, "nseeds": 3}, 3),
}
ALL = SHARED + tuple({c.key: c for group in TAB_CONTROLS for c in group}.values())
ui.presets(ALL, {n: v for n, (v, _) in PRESETS.items()})
saved = st.session_state.setdefault("_covariate_saved", {})
for i, (_, tab) in enumerate(PRESETS.values()):
    if st.session_state.get(f"_preset_{i}"):
        st.session_state["tab"] = TABS[tab]  # a lecture moment also opens its tab
        saved.clear()
tabs = st.tabs(TABS, key="tab", bind="query-params")
active = next((i for i, t in enumerate(tabs) if t.open), 0)
shown = SHARED + TAB_CONTROLS[active]
for c in shown:  # a tab's controls keep their values while another tab is open
    if c.key in saved and c.key not in st.session_state and c.key not in st.query_params:
        st.session_state[c.key] = c.to_widget(saved[c.key])
v = ui.render(shown)
saved.update(v)
net = cache.NetKey(v["layers"], v["units"], v["act"], v["opt"], v["lr"], v["batch"],
                   v["steps"], v["seed"])
setting = (f"{v['layers']}×{v['units']} {ACT[v['act']]}, {OPTIMIZER_LABELS[v['opt']]} "
           f"α = {v['lr']}, m = {v['batch']}, {v['steps']} steps, seed {v['seed']}")


def clip(value: int, top: int, what: str) -> int:
    if value > top:
        st.caption(f"{what} {value} does not exist here; showing {top}.")
    return min(value, top)


# ---------------------------------------------------------------- 1. black cats
with tabs[0]:
    if tabs[0].open:
        rule, shift, spread, tscale, model = (v[k] for k in ("rule", "shift", "spread", "tscale",
                                                             "model"))
        with friendly("the covariate-shift networks"):
            sv = cache.shift_view(net, spread, rule, shift, tscale, model)
        table, train_dist, rules = sv["table"], sv["train_dist"], sv["rule_table"]
        if sv["diverged"]:
            st.warning("Training diverged (" + ", ".join(figs.MODEL_NAMES[m] for m in
                                                         sv["diverged"]) + "); its numbers are "
                       "meaningless. Try a smaller learning rate.", icon=":material/warning:")
        left, right = st.columns(2)
        live_chart(sv["scene"], key="fig_scene", where=left)
        live_chart(sv["accuracy"], key="fig_shift_acc", where=right)
        row = table.iloc[int(np.argmin(np.abs(table["shift"] - shift)))]
        takeaway(f"Trained on the left cloud, tested {shift:g} to the right: on fresh data from "
                 f"the training region the BN network scores {train_dist['bn']:.0%} (without "
                 f"BN {train_dist['no_bn']:.0%}); on the shifted cloud {row['bn']:.0%} with BN "
                 f"and {row['no_bn']:.0%} without — BN with its training statistics does not "
                 f"repair input shift. AdaBN recalibration: {row['adabn']:.0%}; always "
                 f"answering the majority class: {row['majority']:.0%}.")
        st.subheader("The fix students ask about: recalibrate BN on the test inputs (AdaBN)")
        st.latex(r"\hat\mu \leftarrow \frac{1}{n}\sum_{i} z^{(i)}_{\text{test}},\quad"
                 r"\hat\sigma^2 \leftarrow \frac{1}{n}\sum_i (z^{(i)}_{\text{test}}-\hat\mu)^2"
                 r"\quad\text{in every BN layer, weights unchanged; then}")
        st.latex(notation.EVAL_EQUATION)
        c1, c2 = st.columns([3, 2])
        live_chart(sv["rules"], key="fig_rules", where=c1)
        acc = rules.set_index(["rule", "model"])["accuracy"]
        maj = rules.drop_duplicates("rule").set_index("rule")["majority"]
        c2.markdown(
            "Recalibration moves the shifted cloud back onto the training cloud, so the "
            "network answers *as if each test point sat at the matching place of the training "
            "region*. That is right when the rule moved with the inputs — a change of mean or "
            f"scale, like the line x₂ > x₁/2 shifted along itself: **{acc['linear', 'adabn']:.0%}"
            f"** after recalibration vs {acc['linear', 'bn']:.0%} before. It cannot help when "
            "the rule is needed where the network never saw data: sine "
            f"**{acc['sine', 'adabn']:.0%}** (before {acc['sine', 'bn']:.0%}, majority class "
            f"{maj['sine']:.0%}), circle **{acc['circle', 'adabn']:.0%}** (before "
            f"{acc['circle', 'bn']:.0%}, majority class {maj['circle']:.0%}), all at shift "
            f"{shift:g}." + (" At so small a shift there is little to repair: move the shift "
                             "to the right." if shift < 1.5 else ""))
        download_csv(table.assign(rule=rule, spread=spread, test_scale=tscale),
                     f"shift_{rule}.csv", "Download accuracy vs shift (CSV)")

# ---------------------------------------------------------------- 2. internal covariate shift
with tabs[1]:
    if tabs[1].open:
        d = cache.DataKey(v["dataset"], v["dnoise"])
        layer = clip(v["layer"], v["layers"], "Layer")
        qty = v["qty"]
        width = 2 if (qty == "a_prev" and layer == 1) else v["units"]  # a^[0] is the data x
        unit = clip(v["unit"], width, "Unit") - 1
        with friendly("the layer's distribution over training"):
            lv = cache.layer_view(d, net, layer, qty)
        sym = {"a_prev": f"a^[{layer - 1}]", "z": f"z^[{layer}]", "z_tilde": f"z̃^[{layer}]"}[qty]
        for key in ("no_bn", "bn"):
            if lv[key]["diverged"]:
                st.warning(f"{figs.MODEL_NAMES[key]}: training diverged at step "
                           f"{lv[key]['diverged_at']}; the plot stops there.",
                           icon=":material/warning:")
        if not (lv["no_bn"]["finite"] and lv["bn"]["finite"]):
            st.error("Values overflowed (diverged training); choose a smaller learning rate.")
            st.stop()
        steps = lv["bn"]["steps"]
        label = f"{sym}, unit {unit + 1}" + (" (= the data x)" if qty == "a_prev" and layer == 1
                                              else "")
        top, bottom = cache.layer_figures(d, net, layer, qty, unit, v["style"], v["logx"], label)
        live_chart(top, key="fig_layer")
        d0, d1 = lv["no_bn"]["drift"], lv["bn"]["drift"]
        m1, m2, m3 = st.columns(3)
        m1.metric(f"Drift D of {sym} without BN", f"{d0:.2f}")
        m2.metric(f"Drift D of {sym} with BN", f"{d1:.2f}")
        m3.metric("Test accuracy (without / with BN)",
                  f"{lv['no_bn']['test_acc']:.1%} / {lv['bn']['test_acc']:.1%}")
        takeaway(f"Over {steps[-1]} steps the distribution of {sym} travelled D = {d0:.2f} of "
                 f"its own standard deviations without BN and D = {d1:.2f} with BN ({setting}, "
                 f"{DATASETS[v['dataset']]}).")
        with st.expander("How D is measured"):
            st.latex(r"D = \frac{\operatorname{mean}_j \sum_s \left(|m_j(s{+}1)-m_j(s)| + "
                     r"|d_j(s{+}1)-d_j(s)|\right)}{\operatorname{mean}_{j,s}\, d_j(s)}")
            st.caption(f"m_j(s), d_j(s): mean and standard deviation of unit j over the "
                       f"training set at snapshot s ({len(steps)} snapshots, dense early). "
                       "D = 0: mean and spread never move. D only sees mean and spread, not "
                       "the shape of the distribution.")
        st.subheader(f"Mean and variance of z̃^[{layer}] per unit — pinned by BN")
        live_chart(bottom, key="fig_zt")
        b = lv["bn"]
        off_mean = float(np.max(np.abs(b["zt_mean"] - b["beta"])))
        off_var = float(np.max(np.abs(b["zt_var"] / b["gamma2"] - 1)))
        moved = float(np.mean(np.ptp(b["beta"], axis=0)))
        plain_moved = float(np.mean(np.ptp(lv["no_bn"]["zt_mean"], axis=0)))
        takeaway(f"With BN the mean of z̃^[{layer}] equals β to within {off_mean:.0e} and its "
                 f"variance equals γ² to within a factor 1 ± {off_var:.0e} at every step — they "
                 f"move only as fast as β and γ are learned (β ranged over {moved:.2f} per unit "
                 f"on average); without BN the unit means ranged over {plain_moved:.2f}.")
        st.caption("BN fixes each unit's mean and variance, not the shape of its distribution: "
                   "the histograms can still change.")
        band = pd.concat([pd.DataFrame(lv[k]["band"][:, unit], columns=[f"q{int(q * 100)}" for q
                                                                         in cv.QUANTILES])
                          .assign(step=steps, network=k, mean=lv[k]["mean"][:, unit],
                                  std=lv[k]["std"][:, unit]) for k in ("no_bn", "bn")])
        download_csv(band, f"layer{layer}_{qty}_unit{unit + 1}.csv",
                     "Download the distribution over steps (CSV)")

# ---------------------------------------------------------------- 3. mini-batch noise
with tabs[2]:
    if tabs[2].open:
        d = cache.DataKey(v["dataset"], v["dnoise"])
        layer = clip(v["nlayer"], v["layers"], "Layer")
        unit = clip(v["nunit"], v["units"], "Unit") - 1
        with friendly("the mini-batch statistics"):
            bn = cache.batch_noise(d, net)
        sizes = list(bn.sizes)
        ma, mb = (v["m1"], v["m2"]) if v["m1"] <= v["m2"] else (v["m2"], v["m1"])
        ia, ib = sizes.index(ma), sizes.index(mb)
        sigma = float(np.sqrt(bn.pop_var[layer - 1][unit]))
        if not sigma > 0:
            st.warning(f"Unit {unit + 1} of layer {layer} is constant over the training set "
                       "(σ = 0): its μ_B never varies. Choose another unit.",
                       icon=":material/warning:")
            st.stop()
        law = cv.mean_spread_law(sigma, bn.sizes)
        law_fpc = cv.mean_spread_law(sigma, bn.sizes, bn.n_examples)
        mu = bn.mu[layer - 1][:, :, unit]
        live_chart(figs.batch_histograms(mu[ia], mu[ib], ma, mb,
                                         float(bn.pop_mean[layer - 1][unit]),
                                         (law_fpc[ia], law_fpc[ib])), key="fig_hist_mu")
        sd_mu, sd_s2 = bn.spread(layer)
        takeaway(f"μ_B of unit {unit + 1} in layer {layer} varies from batch to batch with "
                 f"standard deviation {sd_mu[ia, unit]:.3f} at m = {ma} and "
                 f"{sd_mu[ib, unit]:.3f} at m = {mb} (σ/√m·√((N−m)/(N−1)) predicts "
                 f"{law_fpc[ia]:.3f} and {law_fpc[ib]:.3f}); in train mode every example is "
                 "normalised with these noisy statistics.")
        left, right = st.columns(2)
        live_chart(figs.spread_law(bn.sizes, sd_mu[:, unit], sd_s2[:, unit], sigma,
                                   sigma ** 2, bn.n_examples, law, law_fpc),
                   key="fig_law", where=left)
        live_chart(figs.train_eval_gap(bn.sizes, bn.out_diff, bn.flips, (ma, mb)),
                   key="fig_gap", where=right)
        if layer > 1:
            st.caption(f"Layer {layer}: its inputs were normalised with the same mini-batch "
                       "below, which ties μ_B to the lower layers' γ and β — the law is exact "
                       "for layer 1 only.")
        takeaway(f"Train-mode outputs (batch statistics) differ from eval-mode outputs "
                 f"(population statistics) by {bn.out_diff[ia]:.3f} in probability on average "
                 f"at m = {ma} ({bn.flips[ia]:.1%} of predictions flip) and by "
                 f"{bn.out_diff[ib]:.3f} at m = {mb} ({bn.flips[ib]:.1%}).")
        st.info("The lecture: μ_B and σ²_B come from one mini-batch, so they add a little noise "
                "to every z̃ — like dropout, a **slight regularisation**, and a larger batch "
                "means less noise and less of it. It is an unintended **side effect**: don't "
                "use BN as a regulariser; use it to normalise the hidden units and speed up "
                "learning, and use dropout or L2 when you need regularisation.",
                icon=":material/school:")
        download_csv(pd.DataFrame({"m": bn.sizes, "sd_mu": sd_mu[:, unit],
                                   "sd_sigma2": sd_s2[:, unit], "law": law, "law_finite": law_fpc,
                                   "mean_abs_p_diff": bn.out_diff, "flips": bn.flips}),
                     f"batch_noise_l{layer}_u{unit + 1}.csv", "Download the spreads (CSV)")

# ---------------------------------------------------------------- 4. noisy BN
with tabs[3]:
    if tabs[3].open:
        d = cache.DataKey(v["dataset"], v["dnoise"])
        sigma, layer = v["sigma"], clip(v["dlayer"], v["layers"], "Layer")
        st.latex(r"\tilde z = \left(\gamma\, z_{\text{norm}} + \beta\right)(1 + \sigma\xi_1)"
                 r" + \sigma\xi_2,\qquad \xi_1, \xi_2 \sim \mathcal N(0, 1)"
                 r"\ \text{per unit, new every step; none at test time}")
        with friendly("the three networks"):
            cmp = cache.noisy_runs(d, net, sigma, v["nseeds"])
            summ = cv.noisy_summary(cmp, layer)
        if summ["diverged"].any():
            st.warning("Some runs diverged: " + ", ".join(
                f"{figs.MODEL_NAMES[r.variant]} seed {r.seed}" for r in
                summ[summ["diverged"]].itertuples()) + ". Try a smaller learning rate.",
                icon=":material/warning:")
        curves = {}
        for var in cv.VARIANTS:
            tr, idx = cmp.runs(var)
            curves[var] = cv.smooth(tr.loss[idx], v["smooth"])
        left, right = st.columns(2)
        live_chart(figs.loss_curves(np.arange(1, v["steps"] + 1), curves, sigma),
                   key="fig_loss", where=left)
        live_chart(figs.final_bars(summ, sigma, layer), key="fig_final", where=right)
        g = summ.groupby("variant")[["test_acc", "drift"]].mean()
        a0, a1, a2 = (g.loc[k, "test_acc"] for k in cv.VARIANTS)
        d0, d1, d2 = (g.loc[k, "drift"] for k in cv.VARIANTS)
        takeaway(f"Final test accuracy, mean of {v['nseeds']} seed(s) ({setting}, "
                 f"{DATASETS[v['dataset']]}): no BN {a0:.3f}, BN {a1:.3f}, noisy BN "
                 f"(σ = {sigma:g}) {a2:.3f}. Drift D of z̃^[{layer}]: {d0:.1f}, {d1:.1f}, "
                 f"{d2:.1f}.")
        if a2 >= a1 - 0.02:
            verdict = (f"Noisy BN has {d2 / max(d1, 1e-12):.0f}× the drift of BN and still "
                       "trains about as well: here, reducing covariate shift is not what makes "
                       "the BN network train.")
        else:
            verdict = (f"With σ = {sigma:g} noisy BN trains worse than BN ({a2:.3f} vs "
                       f"{a1:.3f}): this much noise does hurt here. In the paper's experiment "
                       "the injected noise left training almost unaffected — try a smaller σ.")
        st.markdown(f"**In this simulation:** {verdict} Santurkar, Tsipras, Ilyas & Mądry, "
                    "*How Does Batch Normalization Help Optimization?* (NeurIPS 2018), ran "
                    "this experiment on deep networks (VGG on CIFAR-10): BN with injected noise "
                    "had far more “internal covariate shift” yet trained about as well as BN "
                    "and better than no BN. They argue BN helps because it makes the "
                    "optimisation landscape smoother, not because it reduces the shift.")
        st.caption("On toy problems like these the network without BN usually trains fine "
                   "too, so this page cannot show BN's speed-up itself — only whether the "
                   "injected shift stops BN from working.")
        c1, c2 = st.columns(2)
        with c1:
            download_csv(summ.assign(sigma=sigma, layer=layer), "noisy_bn.csv",
                         "Download the final numbers per run (CSV)")
        with c2:
            download_csv(pd.DataFrame({"step": np.arange(1, v["steps"] + 1)} | {
                f"{k}_seed{s}": curves[k][i] for k in cv.VARIANTS
                for i, s in enumerate(cmp.seeds)}), "noisy_bn_loss.csv",
                "Download the smoothed loss curves (CSV)")
