"""The "Train vs test" page's bridge to the core: its controls and lecture moments, the cached
work (keyed on scalars only) and the sentences that quote the computed numbers.

Training is cached (``st.cache_resource``) by :class:`TrainKey`, a tuple of scalars; the
test-time computations that take more than a few milliseconds (many random test batches) are
cached (``st.cache_data``) by that key plus their own scalar test-batch settings, so that a
test-batch control never retrains and a value seen once comes back at once. Cached results are
shared between reruns and sessions: treat them as read-only.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import streamlit as st

from bnsim import data, notation, testtime
from bnsim.figures.style import tex
from bnsim.network import NetConfig
from bnsim.train import StackedTrace, TrainConfig, TrainTrace, train_stacked
from bnsim.ui.cache import Trained, train_on_dataset
from bnsim.ui.controls import Control, Preset
from bnsim.verdict import num, pct

N_TRAIN = 400
N_TEST = 400
DATA_SEED = 0

# ---------------------------------------------------------------- controls and lecture moments
CONTROLS = (
    Control(key="dataset", label="Dataset", default="moons",
            help="Toy 2-D data set (400 training, 400 test examples).",
            group="Data", kind="select", options=notation.labels(notation.DATASETS)),
    Control(key="noise", label="Noise", default=0.15, help="Gaussian noise added to the inputs.",
            group="Data", kind="slider", min=0.0, max=0.5, step=0.05),
    Control(key="layers", label="Hidden layers (all with BN)", default=2,
            help="Number of hidden layers, each with BN.",
            group="Network", kind="slider", min=1, max=3, step=1),
    Control(key="units", label="Units per layer", default=16, help="Units in each hidden layer.",
            group="Network", kind="slider", min=4, max=32, step=4),
    Control(key="batch", label="Training mini-batch size m", default=32,
            help="Examples per training mini-batch.",
            group="Training", kind="select",
            options={m: str(m) for m in (2, 4, 8, 16, 32, 64, 128)}),
    Control(key="sampling", label="Training mini-batches", default="iid",
            help="Random (i.i.d.) mini-batches, or every mini-batch from one class only "
                 "(non-i.i.d.).",
            group="Training", kind="radio",
            options={"iid": "random", "by_class": "one class each"}),
    Control(key="steps", label="Training steps", default=1000,
            help="Number of mini-batches (Adam).",
            group="Training", kind="slider", min=100, max=3000, step=100),
    Control(key="lr", label="Learning rate", default=0.01, help="Adam learning rate.",
            group="Training", kind="select",
            options={v: str(v) for v in (0.001, 0.003, 0.01, 0.03, 0.1)}),
    Control(key="seed", label="Training seed", default=0,
            help="Initial weights and mini-batch order.",
            group="Training", kind="number", min=0, max=99, step=1),
    Control(key="r_max", label="Batch Renorm r_max", default=3.0,
            help="Clip of r = σ_B/σ̂ to [1/r_max, r_max] (tab Batch Renorm). r_max = 1 and "
                 "d_max = 0 is plain BN.",
            group="Training", kind="slider", min=1.0, max=5.0, step=0.5),
    Control(key="d_max", label="Batch Renorm d_max", default=5.0,
            help="Clip of d = (μ_B − μ̂)/σ̂ to [−d_max, d_max].",
            group="Training", kind="slider", min=0.0, max=10.0, step=0.5),
    Control(key="k", label="Test batch size k", default=32,
            help="Examples per test batch when BN uses the test batch's own statistics. "
                 "Never retrains.",
            group="View", kind="slider", min=1, max=256, step=1),
    Control(key="mix", label="Class mix of a test batch (% class 1)", default=50,
            help="Share of class 1 in the skewed test batches and among the batch-mates of the "
                 "decision-boundary map.",
            group="View", kind="slider", min=0, max=100, step=10),
    Control(key="point", label="Test point #", default=176,
            help="Which test example to follow in 'Same point, new neighbours' (or click it on "
                 "that tab's map).",
            group="View", kind="number", min=0, max=N_TEST - 1, step=1),
    Control(key="repeats", label="Random test batches (repeats)", default=50,
            help="Random batchings per k, random batches per class mix; the followed point "
                 "gets 4× as many.",
            group="View", kind="slider", min=10, max=200, step=10),
    Control(key="tseed", label="Test-batch seed", default=0,
            help="Seed of every random test batch (re-draw them).",
            group="View", kind="number", min=0, max=999, step=1),
    Control(key="ema_beta", label="β_EMA of the running estimate", default=0.9,
            help="EMA coefficient in v_t = β_EMA·v_{t−1} + (1 − β_EMA)·θ_t, replayed on the "
                 "recorded batch statistics. PyTorch momentum = 1 − β_EMA, Keras momentum = "
                 "β_EMA.",
            group="View", kind="slider", min=0.5, max=0.999, step=0.001, format="%.3f"),
)
TABS = ("Boundaries", "Test batch size", "Same point, new neighbours", "Skewed test batches",
        "Running estimate", "Batch Renorm", "Running averages in training")
PRESETS = {  # button label -> lecture moment (order matters: buttons are _preset_0, 1, …)
    "A test batch of one": Preset(values={"k": 1}, tab=TABS[1]),
    "A test batch of only cats": Preset(values={"k": 32, "mix": 100}, tab=TABS[3]),
    "Tiny training batches: plain BN vs Batch Renorm": Preset(values={"batch": 4}, tab=TABS[5]),
    "A slow running average (β_EMA = 0.999)": Preset(values={"ema_beta": 0.999}, tab=TABS[4]),
    "Why not use the running averages in training?": Preset(
        values={"batch": 32, "sampling": "iid"}, tab=TABS[6]),
}
# The pick map is a plain st.plotly_chart (it answers clicks): no toolbar over its title and
# legend on a phone; double-click still resets a pan.
PLOTLY_CONFIG = {"displayModeBar": False}
N_SEEDS = 5  # seeds trained per variant (in one stacked pass) on the last two tabs
GLOSSARY = ("train mode", "eval mode", "running estimate", "β_EMA", "bias correction",
            "population statistics", "test-batch statistics", "i.i.d. mini-batches",
            "Batch Renorm", "batching", "quantile band")


# ---------------------------------------------------------------- cached training
class TrainKey(NamedTuple):
    """Everything that defines one trained network (all scalars)."""

    dataset: str = "moons"
    noise: float = 0.15
    n_train: int = N_TRAIN
    layers: int = 2
    units: int = 16
    batch_size: int = 32
    sampling: str = "iid"
    steps: int = 1000
    lr: float = 0.01
    seed: int = 0
    norm: str = "bn"  # "bn" or "renorm"
    r_max: float = 3.0
    d_max: float = 5.0


CLIPS = {k: TrainKey._field_defaults[k] for k in ("r_max", "d_max")}


def train_key(v: dict[str, Any]) -> TrainKey:
    """The plain-BN :class:`TrainKey` of the page's control values ``v``."""
    return TrainKey(dataset=v["dataset"], noise=v["noise"], layers=v["layers"],
                    units=v["units"], batch_size=v["batch"], sampling=v["sampling"],
                    steps=v["steps"], lr=v["lr"], seed=v["seed"], r_max=v["r_max"],
                    d_max=v["d_max"])


class Data(NamedTuple):
    X: np.ndarray  # (n_train, 2)
    y: np.ndarray  # (n_train,)
    X_test: np.ndarray  # (N_TEST, 2)
    y_test: np.ndarray  # (N_TEST,)


class Network(NamedTuple):
    """The network to evaluate: the final one, or the last finite snapshot if training
    diverged (``params`` None if there is none)."""

    trace: TrainTrace
    params: dict | None
    run: dict | None  # running statistics {mean{l}, var{l}}
    step: int  # training steps behind ``params``
    data: Data


def trained(key: TrainKey) -> Trained:
    """The trace and the data for ``key`` (the shared training cache; trains on a miss)."""
    return train_on_dataset(key.dataset, noise=key.noise, n_train=key.n_train,
                         data_seed=DATA_SEED, hidden=(key.units,) * key.layers,
                         bn=(True,) * key.layers, activation="relu", optimizer="adam",
                         lr=key.lr, batch_size=key.batch_size, steps=key.steps, seed=key.seed,
                         norm=key.norm, sampling=key.sampling, n_test=N_TEST,
                         # plain BN ignores the clips: moving them must not retrain it
                         r_max=key.r_max if key.norm == "renorm" else CLIPS["r_max"],
                         d_max=key.d_max if key.norm == "renorm" else CLIPS["d_max"])


def network_of(key: TrainKey) -> Network:
    """The network of ``key`` to evaluate (see :class:`Network`)."""
    r = trained(key)
    got = testtime.usable(r.trace)
    params, run, step = got if got else (None, None, 0)
    return Network(r.trace, params, run, step, Data(r.X, r.y, r.X_test, r.y_test))


def _need(key: TrainKey) -> Network:
    nw = network_of(key)
    if nw.params is None:
        raise ValueError("training diverged before any usable weights were recorded.")
    return nw


# ---------------------------------------------------------------- cached test-time views
@st.cache_data(max_entries=64, show_spinner="Sampling random test batches…")
def accuracy_vs_k(key: TrainKey, ks: tuple[int, ...], n_batchings: int,
                  seed: int) -> testtime.AccVsK:
    """:func:`bnsim.testtime.accuracy_vs_k` on the test set."""
    nw = _need(key)
    d = nw.data
    return testtime.accuracy_vs_k(nw.params, nw.trace.net, nw.run, d.X_test, d.y_test, ks,
                                  n_batchings, seed)


def batch_size_view(key: TrainKey, k: int, n_batchings: int, seed: int) -> testtime.KView:
    """The accuracy-vs-k curve, the chosen k on it (same batchings if k is on the curve) and
    the k = 1 collapse."""
    curve = accuracy_vs_k(key, testtime.KS, n_batchings, seed)
    one = curve if k in testtime.KS else accuracy_vs_k(key, (k,), n_batchings, seed)
    nw = _need(key)
    return testtime.KView(curve, testtime.at_k(one, k),
                          testtime.collapse(nw.params, nw.trace.net, nw.data.y_test))


@st.cache_data(max_entries=32, show_spinner=False)
def eval_map(key: TrainKey, n: int = 50) -> testtime.EvalMap:
    """:func:`bnsim.testtime.eval_map` of the network of ``key``."""
    nw = _need(key)
    d = nw.data
    return testtime.eval_map(nw.params, nw.trace.net, nw.run, d.X, d.X_test, d.y_test, n)


@st.cache_data(max_entries=64, show_spinner="Predicting the grid inside test batches…")
def boundaries(key: TrainKey, k: int, mix: float, seed: int,
               n: int = 50) -> testtime.Boundaries:
    """:func:`bnsim.testtime.boundaries`: both maps, the k − 1 batch-mates drawn with class
    mix ``mix``, and the test accuracy with those mates."""
    nw = _need(key)
    return testtime.boundaries(nw.params, nw.trace.net, nw.data.X_test, nw.data.y_test,
                               eval_map(key, n), k, mix, seed)


@st.cache_data(max_entries=64, show_spinner=False)
def follow(key: TrainKey, i: int, k: int, n_draws: int, seed: int) -> testtime.Followed:
    """:func:`bnsim.testtime.follow` for test point ``i``."""
    nw = _need(key)
    d = nw.data
    return testtime.follow(nw.params, nw.trace.net, nw.run, d.X_test, d.y_test, i, k,
                           n_draws, seed)


@st.cache_data(max_entries=64, show_spinner=False)
def skewed(key: TrainKey, k: int, n_batches: int, seed: int):
    """:func:`bnsim.testtime.skewed` on the test set for every class mix."""
    nw = _need(key)
    d = nw.data
    return testtime.skewed(nw.params, nw.trace.net, nw.run, d.X_test, d.y_test, k,
                           testtime.MIXES, n_batches, seed)


@st.cache_data(max_entries=32, show_spinner=False)
def running_estimates(key: TrainKey, ema_beta: float) -> testtime.Lag:
    """:func:`bnsim.testtime.running_estimate_accuracy` for β_EMA, summarised by
    :func:`bnsim.testtime.lag`."""
    r = trained(key)
    table = testtime.running_estimate_accuracy(r.trace, r.X, r.X_test, r.y_test, ema_beta)
    return testtime.lag(table, ema_beta)


def ramp_steps(steps: int) -> int:
    """Batch Renorm's ramp: r_max grows from 1 and d_max from 0 to their limits over the first
    half of training (Ioffe 2017 relaxes them gradually over its first 40k steps)."""
    return max(1, steps // 2)


@st.cache_resource(max_entries=12, show_spinner="Training plain BN, Batch Renorm and BN on "
                   "running averages…")
def stacked(key: TrainKey, norm: str, n_seeds: int = N_SEEDS) -> StackedTrace:
    """``n_seeds`` runs (seeds key.seed, key.seed + 1, …) of the network of ``key`` with
    normalisation ``norm`` (bnsim.testtime.NORMS), trained in one stacked pass."""
    X, y, Xt, yt = data.train_test(key.dataset, key.n_train, N_TEST, key.noise, DATA_SEED)
    net = NetConfig(hidden=(key.units,) * key.layers, bn=(True,) * key.layers)
    cfg = TrainConfig(steps=key.steps, batch_size=key.batch_size, optimizer="adam", lr=key.lr,
                      norm=norm, sampling=key.sampling, r_max=key.r_max, d_max=key.d_max,
                      renorm_ramp=ramp_steps(key.steps) if norm == "renorm" else 0)
    return train_stacked(net, X, y, Xt, yt, cfg, seeds=range(key.seed, key.seed + n_seeds))


class Norms(NamedTuple):
    """Variants trained with the same settings over N_SEEDS seeds (see testtime.norm_table)."""

    table: object  # per variant and seed
    means: object  # per variant, means over seeds
    curves: object  # the first seed's curves


@st.cache_data(max_entries=16, show_spinner=False)
def norms(key: TrainKey, which: tuple[str, ...]) -> Norms:
    """:func:`bnsim.testtime.norm_table` of the variants ``which`` (keys of testtime.NORMS)."""
    stacks = {n: stacked(key, n) for n in which}
    _, _, Xt, yt = data.train_test(key.dataset, key.n_train, N_TEST, key.noise, DATA_SEED)
    table = testtime.norm_table(stacks, Xt, yt)
    return Norms(table, testtime.norm_means(table), testtime.stacked_curves(stacks))


@st.cache_data(max_entries=32, show_spinner=False)
def flip_rates(key: TrainKey, k: int, seed: int):
    """:func:`bnsim.testtime.flip_rates` of every test point (40 random batches each)."""
    nw = _need(key)
    return testtime.flip_rates(nw.params, nw.trace.net, nw.run, nw.data.X_test, k, 40, seed)


def on_pick() -> None:
    """Click on the pick map: follow the clicked test point (its customdata index)."""
    pts = st.session_state["pick_map"].selection.get("points", [])
    ids = [p["customdata"] for p in pts if p.get("customdata") is not None]
    if ids:
        cd = ids[0]
        st.session_state["point"] = int(cd[0] if isinstance(cd, list) else cd)


# ---------------------------------------------------------------- sentences
# Symbols as in bnsim.notation.GLOSSARY's plot labels (μ_B, σ²_B, μ̂, σ̂², z_norm, z̃, β_EMA),
# typeset like the st.latex equations: inline LaTeX in prose (style.tex), <sub>/<sup> in the
# figures (style.math). Buttons, widget labels and takeaways keep the plain form (links and
# tests name them).
INTRO = tex("At test time BN uses the **running** estimates μ̂, σ̂² — why not the **test "
            "batch**'s own μ_B, σ²_B?")
ABOUT = ("This page trains a small BN network once (test-batch controls never retrain) and "
         "shows what would happen if BN normalised with the statistics of the **test batch**, "
         "as it does with each mini-batch in training. Each question has its own tab; only "
         "the open tab is computed, and the open tab is part of the URL.")
TRAIN_VS_EVAL = (r"\text{training: } z_{\text{norm}} = \frac{z - \mu_B}{\sqrt{\sigma^2_B + "
                 r"\varepsilon}}\qquad \text{test (eval mode): } " + notation.EVAL_EQUATION)
RENORM_EQUATION = (
    r"r = \operatorname{clip}_{[1/r_{\max},\,r_{\max}]}\!\left(\frac{\sigma_B}"
    r"{\hat\sigma}\right),\quad d = \operatorname{clip}_{[-d_{\max},\,d_{\max}]}"
    r"\!\left(\frac{\mu_B - \hat\mu}{\hat\sigma}\right),\quad \tilde z = \gamma"
    r"\,(z_{\text{norm}}\, r + d) + \beta")
RENORM_INTRO = tex("Why not use the running averages in training too? **Batch Renorm** (Ioffe "
                    "2017) does: it trains with ẑ = z_norm·r + d, which equals the "
                    "running-statistics normalisation within the clips; r and d are constants in "
                    "the gradient.")
WHY_EMA = ("Why an EMA and not the average over the whole training set? The EMA comes for free "
           "during training; population statistics need one more pass over the training set "
           "with the final weights.")
PICK_HINT = ("Click a test point on the eval-mode map to follow it (or type its number in the "
             "sidebar: View → Test point #).")
K1 = ("**Why k = 1 collapses:** a batch of one has μ_B = z, so z_norm = 0 and z̃ = γ·0 + β = β "
      "in every BN layer — every input gets the same output ")


def diverged_warning(nw: Network) -> str:
    return (f"Training diverged at step {nw.trace.diverged_at}; showing the network after "
            f"step {nw.step}. Try a smaller learning rate.")


def boundaries_caption(k: int, seed: int, mix_pct: float) -> str:
    return (f"In the batch-statistics map each grid point is predicted inside a test batch "
            f"with the same k − 1 = {k - 1} batch-mates (◇, drawn from the test set: seed "
            f"{seed}, {mix_pct} % class 1); BN normalises with that batch's μ_B, σ²_B. In the "
            "eval-mode map BN uses the running statistics: every point stands alone.")


def boundaries_takeaway(b: testtime.Boundaries) -> str:
    return (f"With these batch-mates test-batch statistics classify {pct(b.acc_batch)} of the "
            f"test set correctly, running statistics (eval mode) {pct(b.acc_eval)}; the two "
            f"maps disagree on {pct(b.disagreement)} of the plane.")


def flat_map_note(b: testtime.Boundaries) -> str:
    return K1 + f"(p(class 1) = {num(b.p_batch.flat[0])} everywhere)."


def k_takeaway(kv: testtime.KView, n_batchings: int) -> str:
    a = kv.at
    return (f"With test batches of k = {a.k}, batch statistics classify {pct(a.mean)} "
            f"correctly (5–95 % of {n_batchings} batchings: {pct(a.p05)} to {pct(a.p95)}) vs "
            f"{pct(kv.curve.eval_acc)} with running statistics.")


def collapse_note(c: testtime.Collapse, eval_acc: float) -> str:
    return K1 + f"(class {c.cls}). " + testtime.collapse_verdict(c, eval_acc).text


def follow_takeaway(f: testtime.Followed, t: testtime.Typical | None = None) -> str:
    said = (f"Test point #{f.i} (class {f.label}) always gets p(class 1) = {num(f.p_eval)} in "
            f"eval mode; in {len(f.draws)} random test batches of k = {f.k} its p ranges from "
            f"{num(f.draws.min())} to {num(f.draws.max())} and its class flips in "
            f"{pct(f.flips)} of them.")
    if t is None:
        return said
    return said + (f" Typical? Over all test points the mean flip rate is {pct(t.mean)}, "
                   f"{pct(t.never)} never flip, and this one flips more often than "
                   f"{pct(t.above)} of them.")


def skewed_caption(k: int, n_batches: int) -> str:
    return (f"Each point: {n_batches} random test batches of k = {k} with that share of class "
            "1 (the lecture's cats); running statistics predict the very same examples.")


def skewed_takeaway(s: testtime.SkewAt, k: int) -> str:
    return testtime.skew_verdict(s, k).text


REPEATS_NOTE = "k is larger than a class of the test set: one-class batches repeat examples."


def momentum_note(ema_beta: float) -> str:
    fm = notation.framework_momentum(ema_beta)
    return tex(f"β_EMA = {ema_beta:.3f} — PyTorch "
               f"`momentum={fm['pytorch']:.3f}`, Keras `momentum={fm['keras']:.3f}`. "
               "Plain BN never uses the running estimate while training, so the "
               "recorded μ_B, σ²_B of every step are replayed through this β_EMA.")


def lag_takeaway(g: testtime.Lag) -> str:
    lo = g.at_lag
    return (f"Largest lag at t = {g.lag_t}: EMA {pct(lo.ema)}, bias-corrected EMA "
            f"{pct(lo.ema_bc)}, population statistics {pct(lo.population)}. "
            + testtime.lag_verdict(g).text)


def renorm_diverged(n: Norms) -> str | None:
    m = n.means.set_index("norm")
    bad = [f"{m.loc[k, 'variant']} diverged in {int(m.loc[k, 'diverged'])} of "
           f"{int(m.loc[k, 'runs'])} runs" for k in m.index if m.loc[k, "diverged"]]
    return "; ".join(bad) + "." if bad else None


def _batches(batch: int, sampling: str) -> str:
    return (f"mini-batches of m = {batch} from one class each" if sampling == "by_class"
            else f"random mini-batches of m = {batch}")


RAMP_NOTE = ("r_max grows from 1 and d_max from 0 to the limits in the sidebar over the first "
             "half of training (the paper's ramp). Train mode and eval mode are compared on the "
             "same test examples, cut into mini-batches as in training.")


def renorm_takeaway(n: Norms, batch: int, sampling: str) -> str:
    return f"With {_batches(batch, sampling)}: " + testtime.renorm_verdict(n.table).text


RUNNING_INTRO = ("Forum question 3: *why not normalise with the running averages μ̂, σ̂² during "
                 "training too?* Then train mode is eval mode by construction; but the gradient "
                 "no longer flows through μ and σ, and the normalisation trails the weights.")


def running_takeaway(n: Norms, batch: int, sampling: str) -> str:
    return f"With {_batches(batch, sampling)}: " + testtime.running_verdict(n.table).text


NON_IID_HINT = "Also try Training → mini-batches 'one class each' (non-i.i.d.)."
