"""Lesson "Train vs test": batch statistics vs running statistics at test time."""

import numpy as np
import pandas as pd
import streamlit as st

from bnsim import notation, testtime
from bnsim.figures import testtime as figs
from bnsim.ui import controls as ui
from bnsim.ui import testtime as cache
from bnsim.ui.live import live_chart
from bnsim.ui.page import download_csv, friendly, setup, takeaway

setup("Train vs test", "At test time BN normalises with the **running** estimates μ̂, σ̂² "
      "from training — why not with the **test batch**, as in training?")

C = ui.Control
CONTROLS = (
    C(key="dataset", label="Dataset", default="moons", help="Toy 2-D data set (400 training, 400 test examples).",
      group="Data", kind="select", options={"moons": "Moons", "circles": "Circles", "xor": "XOR",
                                 "blobs": "Blobs", "spiral": "Spiral"}),
    C(key="noise", label="Noise", default=0.15, help="Gaussian noise added to the inputs.", group="Data", kind="slider", min=0.0,
      max=0.5, step=0.05),
    C(key="layers", label="Hidden layers (all with BN)", default=2, help="Number of hidden layers, each with BN.",
      group="Network", kind="slider", min=1, max=3, step=1),
    C(key="units", label="Units per layer", default=16, help="Units in each hidden layer.", group="Network", kind="slider", min=4,
      max=32, step=4),
    C(key="batch", label="Training mini-batch size m", default=32, help="Examples per training mini-batch.",
      group="Training", kind="select", options={m: str(m) for m in (2, 4, 8, 16, 32, 64, 128)}),
    C(key="sampling", label="Training mini-batches", default="iid", help="Random (i.i.d.) mini-batches, or every "
      "mini-batch from one class only (non-i.i.d.).", group="Training", kind="radio",
      options={"iid": "random", "by_class": "one class each"}),
    C(key="steps", label="Training steps", default=1000, help="Number of mini-batches (Adam).", group="Training", kind="slider",
      min=100, max=3000, step=100),
    C(key="lr", label="Learning rate", default=0.01, help="Adam learning rate.", group="Training", kind="select",
      options={v: str(v) for v in (0.001, 0.003, 0.01, 0.03, 0.1)}),
    C(key="seed", label="Training seed", default=0, help="Initial weights and mini-batch order.", group="Training",
      kind="number", min=0, max=99, step=1),
    C(key="r_max", label="Batch Renorm r_max", default=3.0, help="Clip of r = σ_B/σ̂ to [1/r_max, r_max] (tab "
      "Batch Renorm). r_max = 1 and d_max = 0 is plain BN.", group="Training", kind="slider", min=1.0, max=5.0,
      step=0.5),
    C(key="d_max", label="Batch Renorm d_max", default=5.0, help="Clip of d = (μ_B − μ̂)/σ̂ to [−d_max, d_max].",
      group="Training", kind="slider", min=0.0, max=10.0, step=0.5),
    C(key="k", label="Test batch size k", default=32, help="Examples per test batch when BN uses the test batch's "
      "own statistics. Never retrains.", group="View", kind="slider", min=1, max=256, step=1),
    C(key="mix", label="Class mix of a test batch (% class 1)", default=50, help="Share of class 1 in the skewed "
      "test batches and among the batch-mates of the decision-boundary map.", group="View",
      kind="slider", min=0, max=100, step=10),
    C(key="point", label="Test point #", default=176, help="Which test example to follow in 'Same point, new "
      "neighbours' (or click it on that tab's map).", group="View", kind="number", min=0, max=cache.N_TEST - 1,
      step=1),
    C(key="repeats", label="Random test batches (repeats)", default=50, help="Random batchings per k, random "
      "batches per class mix; the followed point gets 4× as many.", group="View", kind="slider", min=10,
      max=200, step=10),
    C(key="tseed", label="Test-batch seed", default=0, help="Seed of every random test batch (re-draw them).",
      group="View", kind="number", min=0, max=999, step=1),
    C(key="ema_beta", label="β_EMA of the running estimate", default=0.9, help="EMA coefficient in v_t = β_EMA·"
      "v_{t−1} + (1 − β_EMA)·θ_t, replayed on the recorded batch statistics. PyTorch "
      "momentum = 1 − β_EMA, Keras momentum = β_EMA.", group="View", kind="slider", min=0.5, max=0.999, step=0.001,
      format="%.3f"),
)
TABS = ("Boundaries", "Test batch size", "Same point, new neighbours", "Skewed test batches",
        "Running estimate", "Batch Renorm")
PRESETS = {  # name: (control values, tab to open)
    "A test batch of one": ({"k": 1}, TABS[1]),
    "A test batch of only cats": ({"k": 32, "mix": 100}, TABS[3]),
    "Tiny training batches: plain BN vs Batch Renorm": ({"batch": 4}, TABS[5]),
    "A slow running average (β_EMA = 0.999)": ({"ema_beta": 0.999}, TABS[4]),
}
ui.presets(CONTROLS, {n: v for n, (v, _) in PRESETS.items()})
for i, (_, tab) in enumerate(PRESETS.values()):
    if st.session_state.get(f"_preset_{i}"):
        st.session_state["tab"] = tab  # a lecture moment also opens its tab
v = ui.render(CONTROLS)
key = cache.TrainKey(v["dataset"], v["noise"], 400, v["layers"], v["units"], v["batch"],
                     v["sampling"], v["steps"], v["lr"], v["seed"], "bn", v["r_max"],
                     v["d_max"])
k, mix, R, tseed = v["k"], v["mix"] / 100, v["repeats"], v["tseed"]

st.latex(r"\text{training: } z_{\text{norm}} = \frac{z - \mu_B}{\sqrt{\sigma^2_B + \varepsilon}}"
         r"\qquad \text{test (eval mode): } " + notation.EVAL_EQUATION)
with friendly("the trained network"):
    trace, params, run, step, (X, y, Xt, yt) = cache.network_of(key)
if trace.diverged:
    st.warning(f"Training diverged at step {trace.diverged_at}; showing the network after "
               f"step {step}. Try a smaller learning rate.", icon=":material/warning:")
if params is None:
    st.stop()
net = trace.net
K1 = ("**Why k = 1 collapses:** a batch of one has μ_B = z, so z_norm = 0 and z̃ = γ·0 + β = β "
      "in every BN layer — every input gets the same output ")

tabs = st.tabs(TABS, key="tab", bind="query-params")
with tabs[0]:
    if tabs[0].open:
        with friendly("the decision boundaries"):
            b = cache.boundaries(key, k, mix, tseed)
        left, right = st.columns(2)  # two figures: moving k redraws only the right one
        live_chart(figs.eval_boundary(b, Xt, yt), key="fig_eval_map", where=left)
        live_chart(figs.batch_boundary(b, Xt, yt, k, v["mix"]), key="fig_batch_map", where=right)
        st.caption(f"Right: each grid point is predicted inside a test batch with the same "
                   f"k − 1 = {k - 1} batch-mates (◇, drawn from the test set: seed {tseed}, "
                   f"{v['mix']} % class 1); BN normalises with that batch's μ_B, σ²_B. Left: "
                   "running statistics, every point stands alone.")
        differ = np.mean((b["p_eval"] >= 0.5) != (b["p_batch"] >= 0.5))
        takeaway(f"With these batch-mates {b['acc_batch']:.1%} of the test set is classified "
                 f"correctly using batch statistics vs {b['acc_eval']:.1%} with running "
                 f"statistics; the two maps disagree on {differ:.0%} of the plane.")
        if k == 1:
            st.info(K1 + f"(p = {b['p_batch'].flat[0]:.2f} everywhere).")
        grid = pd.DataFrame({"x1": np.tile(b["xs"], len(b["ys"])),
                             "x2": np.repeat(b["ys"], len(b["xs"])),
                             "p_eval": b["p_eval"].ravel(), "p_batch": b["p_batch"].ravel()})
        download_csv(grid, "boundaries.csv", "Download the two maps (CSV)")

with tabs[1]:
    if tabs[1].open:
        with friendly("accuracy vs test batch size"):
            a = cache.accuracy_vs_k(key, testtime.KS, R, tseed)
            ks = a.table if k in testtime.KS else cache.accuracy_vs_k(key, (k,), R, tseed).table
            row = ks[ks["k"] == k].iloc[0]
            col = testtime.collapse(params, net, yt)
        live_chart(figs.accuracy_vs_k(a.table, k, row["mean"], col.share), key="fig_acc_k")
        takeaway(f"With test batches of k = {k}, batch statistics classify {row['mean']:.1%} "
                 f"correctly (5–95 % of {R} batchings: {row['p05']:.1%}–{row['p95']:.1%}) vs "
                 f"{a.eval_acc:.1%} with running statistics.")
        st.info(K1 + f"(class {col.cls}, p = {col.p:.2f}), so accuracy is the share of class "
                f"{col.cls} in the test set: {col.share:.1%} (majority-class rate "
                f"{col.majority:.1%}).")
        download_csv(a.table, "accuracy_vs_k.csv", "Download the accuracy table (CSV)")

with tabs[2]:
    if tabs[2].open:
        i = int(v["point"])
        with friendly("the distribution over test batches"):
            b = cache.eval_map(key)
            draws = cache.neighbours(key, i, k, 4 * R, tseed)
            p_ev = float(testtime.proba_eval(params, net, run, Xt[i:i + 1])[0])
        left, right = st.columns(2)
        with left:
            st.caption("Eval mode. Click a test point to follow it (or type its number in the "
                       "sidebar).")

            def _pick():
                pts = st.session_state["pick_map"].selection.get("points", [])
                ids = [p["customdata"] for p in pts if p.get("customdata") is not None]
                if ids:
                    cd = ids[0]
                    st.session_state["point"] = int(cd[0] if isinstance(cd, list) else cd)

            st.plotly_chart(figs.pick_map(b, Xt, yt, i), key="pick_map", on_select=_pick,
                            selection_mode="points")
        live_chart(figs.neighbours(draws, p_ev, k, i, int(yt[i])), key="fig_nb", where=right)
        flips = np.mean((draws >= 0.5) != (p_ev >= 0.5))
        takeaway(f"Test point #{i} (class {yt[i]}) always gets p = {p_ev:.2f} in eval mode; "
                 f"inside {len(draws)} random test batches of k = {k} its p ranges "
                 f"{draws.min():.2f}–{draws.max():.2f}, and {flips:.0%} of those batches "
                 "change its predicted class — same example, different neighbours.")
        download_csv(pd.DataFrame({"batch": np.arange(len(draws)), "p_batch": draws,
                                   "p_eval": p_ev}), f"point_{i}_k{k}.csv")

with tabs[3]:
    if tabs[3].open:
        with friendly("skewed test batches"):
            sk = cache.skewed(key, k, R, tseed)
        live_chart(figs.skewed(sk, v["mix"], k), key="fig_skew")
        st.caption(f"Each point: {R} random test batches of k = {k} with that share of class 1 "
                   "(the lecture's cats); running statistics predict the very same examples.")
        r = sk.iloc[int(np.argmin(np.abs(sk["mix"] - mix)))]
        takeaway(f"In test batches of k = {k} with {r['actual_mix']:.0%} class 1, batch "
                 f"statistics classify {r['batch_mean']:.1%} correctly, running statistics "
                 f"{r['running_mean']:.1%} — the same examples, only the batch composition "
                 "changed: batch statistics assume i.i.d. test batches, running ones don't care.")
        if k > min(np.sum(yt == 0), np.sum(yt == 1)):
            st.caption("k is larger than a class of the test set: one-class batches repeat "
                       "examples.")
        download_csv(sk, f"skewed_k{k}.csv", "Download the accuracy table (CSV)")

with tabs[4]:
    if tabs[4].open:
        beta = v["ema_beta"]
        fm = notation.framework_momentum(beta)
        st.markdown(f"$\\beta_{{\\text{{EMA}}}} = {beta:.3f}$ — PyTorch "
                    f"`momentum={fm['pytorch']:.3f}`, Keras `momentum={fm['keras']:.3f}`. "
                    "Plain BN never uses the running estimate while training, so the "
                    "recorded μ_B, σ²_B of every step are replayed through this β_EMA.")
        st.latex(notation.EMA_EQUATION + r"\qquad " + notation.EMA_BIAS_CORRECTED)
        with friendly("the running estimates"):
            est = testtime.running_estimate_accuracy(trace, X, Xt, yt, beta)
        live_chart(figs.running_estimates(est, beta), key="fig_running")
        T = int(est["t"].max())
        wide = est.pivot(index="t", columns="estimator", values="acc")
        lag = (wide["population"] - wide["ema"]).idxmax()
        takeaway(f"Largest lag at t = {lag}: the EMA gives {wide.loc[lag, 'ema']:.1%}, the "
                 f"bias-corrected EMA {wide.loc[lag, 'ema_bc']:.1%}, population statistics "
                 f"{wide.loc[lag, 'population']:.1%}. After {T} steps the start values "
                 f"(μ̂ = 0, σ̂² = 1) still weigh β_EMA^t = {beta ** T:.1%} in the EMA: "
                 f"{wide.loc[T, 'ema']:.1%} vs {wide.loc[T, 'ema_bc']:.1%} bias-corrected and "
                 f"{wide.loc[T, 'population']:.1%} with population statistics.")
        st.caption("Why an EMA and not the average over the whole training set? The EMA comes "
                   "for free during training; population statistics need one more pass over "
                   "the training set with the final weights.")
        download_csv(wide.reset_index(), "running_estimates.csv",
                     "Download the accuracy table (CSV)")

with tabs[5]:
    if tabs[5].open:
        st.markdown("Why not use the running averages in training too? **Batch Renorm** "
                    "(Ioffe 2017) does: it trains with ẑ = z_norm·r + d, which equals the "
                    "running-statistics normalisation within the clips; r and d are constants "
                    "in the gradient.")
        st.latex(r"r = \operatorname{clip}_{[1/r_{\max},\,r_{\max}]}\!\left(\frac{\sigma_B}"
                 r"{\hat\sigma}\right),\quad d = \operatorname{clip}_{[-d_{\max},\,d_{\max}]}"
                 r"\!\left(\frac{\mu_B - \hat\mu}{\hat\sigma}\right),\quad \tilde z = \gamma"
                 r"\,(z_{\text{norm}}\, r + d) + \beta")
        with friendly("the Batch Renorm comparison"):
            rn = cache.trained(key.variant("renorm"))[0]
        traces = {"Plain BN": trace, "Batch Renorm": rn}
        if rn.diverged:
            st.warning(f"Batch Renorm diverged at step {rn.diverged_at}.",
                       icon=":material/warning:")
        tab = testtime.compare_norms(traces)
        live_chart(figs.renorm(testtime.norm_curves(traces), tab), key="fig_renorm")
        b_, r_ = tab.iloc[0], tab.iloc[1]
        batches = ("mini-batches of m = {} from one class each" if v["sampling"] == "by_class"
                   else "random mini-batches of m = {}").format(v["batch"])
        takeaway(f"With {batches}: plain BN {b_['train_mode_acc']:.1%} in train mode vs "
                 f"{b_['eval_test_acc']:.1%} in eval mode on the test set (gap "
                 f"{100 * b_['gap']:+.1f} points); Batch Renorm {r_['train_mode_acc']:.1%} vs "
                 f"{r_['eval_test_acc']:.1%} (gap {100 * r_['gap']:+.1f} points).")
        if v["sampling"] == "iid":
            st.caption("Also try Training → mini-batches 'one class each' (non-i.i.d.).")
        download_csv(tab, "plain_bn_vs_batch_renorm.csv", "Download the accuracy table (CSV)")
