"""What the tabs of "Train vs test" share: the controls every tab shows (one declaration per
concept, from :mod:`bnsim.ui.concepts`, narrowed to this page's ranges, plus the test-batch
controls several tabs use), the trained network every tab looks at (with the divergence warning),
the eval-mode map of "Boundaries" and "Same point, new neighbours", and the trained variants of
"Batch Renorm" and "Running averages in training".

Training is cached by its :class:`~bnsim.ui.cache.TrainSetting` (the shared cache); the
test-time computations that take more than a few milliseconds (many random test batches) are
cached (``st.cache_data``) by that setting plus their own scalar test-batch settings, so that a
test-batch control never retrains and a value seen once comes back at once. Cached results are
shared between reruns and sessions: treat them as read-only.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import streamlit as st

from bnsim import data
from bnsim.figures.testtime import common as common_figures
from bnsim.lessons.testtime import common
from bnsim.modes import Norm, Sampling
from bnsim.network import NetConfig
from bnsim.train import StackedTrace, TrainConfig, TrainTrace, train_stacked
from bnsim.ui import concepts, page
from bnsim.ui.cache import TrainSetting, trained
from bnsim.ui.control import Control
from bnsim.ui.live import live_chart

N_TRAIN = 400
N_TEST = 400
DATA_SEED = 0
N_SEEDS = 5  # seeds trained per variant (in one stacked pass) on the last two tabs
CSV = "Download the accuracy table (CSV)"

# ---------------------------------------------------------------- the shared controls
# The tabs each test-batch control acts on (by title); on the others it says why it is inert.
BATCHED = ("Boundaries", "Test batch size", "Same point, new neighbours",
           "Skewed test batches")
RENORMED = ("Batch Renorm", "Running averages in training")


def clips_inert(_v, tab: str) -> str | None:
    return (None if tab in RENORMED else "Used only by Batch Renorm (tabs Batch Renorm and "
            "Running averages in training); this tab trains plain BN.")


def k_inert(_v, tab: str) -> str | None:
    return (None if tab in BATCHED else "This tab cuts no test set into test batches: k is "
            "used on the tabs Boundaries, Test batch size, Same point and Skewed test batches.")


def mix_inert(v, tab: str) -> str | None:
    if tab == "Skewed test batches":
        return None
    if tab == "Boundaries":
        return ("At k = 1 there are no batch-mates, so the class mix changes nothing here."
                if v.get("k") == 1 else None)
    return "The class mix is used only on the tabs Boundaries and Skewed test batches."


def repeats_inert(_v, tab: str) -> str | None:
    return (None if tab in BATCHED[1:] else "This tab draws no repeated random test batches "
            "(used on Test batch size, Same point and Skewed test batches).")


def tseed_inert(v, tab: str) -> str | None:
    if tab not in BATCHED:
        return "This tab draws no random test batches."
    if tab in ("Boundaries", "Same point, new neighbours") and v.get("k") == 1:
        return "At k = 1 a test batch is one example: there are no batch-mates to re-draw."
    return None


CLIPS = {"r_max": 3.0, "d_max": 5.0}  # Batch Renorm's clips by default (plain BN ignores them)
CONTROLS = (
    concepts.DATASET.narrow(help="Toy 2-D data set (400 training, 400 test examples)."),
    concepts.NOISE.narrow(max=0.5, default=0.15, help="Gaussian noise added to the inputs."),
    concepts.DEPTH.narrow(max=3, help="Number of hidden layers, each with BN.",
                          old_keys=("layers",)),
    concepts.WIDTH.narrow(min=4, max=32, step=4, help="Units in each hidden layer.",
                          old_keys=("units",)),
    concepts.BATCH.narrow(values=(2, 4, 8, 16, 32, 64, 128),
                          help="Examples per training mini-batch."),
    Control(key="sampling", label="Training mini-batches", default=Sampling.IID,
            help="Random (i.i.d.) mini-batches, or every mini-batch from one class only "
                 "(non-i.i.d.).",
            group="Training", kind="radio",
            options={Sampling.IID: "random", Sampling.BY_CLASS: "one class each"}),
    concepts.STEPS.narrow(min=100, max=3000, step=100, help="Number of mini-batches (Adam)."),
    concepts.LR.narrow(values=(0.001, 0.003, 0.01, 0.03, 0.1), help="Adam learning rate."),
    concepts.SEED.narrow(max=99, help="Initial weights and mini-batch order."),
    Control(key="r_max", label="Batch Renorm r_max", default=CLIPS["r_max"],
            help="Clip of r = σ_B/σ̂ to [1/r_max, r_max] (tab Batch Renorm). r_max = 1 and "
                 "d_max = 0 is plain BN.",
            group="Training", kind="slider", min=1.0, max=5.0, step=0.5, inert=clips_inert),
    Control(key="d_max", label="Batch Renorm d_max", default=CLIPS["d_max"],
            help="Clip of d = (μ_B − μ̂)/σ̂ to [−d_max, d_max].",
            group="Training", kind="slider", min=0.0, max=10.0, step=0.5, inert=clips_inert),
    # the random test batches: moving these never retrains
    Control(key="k", label="Test batch size k", default=32, group="View", kind="slider",
            min=1, max=256, step=1, help="Examples per test batch when BN uses the test "
            "batch's own statistics. Never retrains.", inert=k_inert),
    Control(key="mix", label="Class mix of a test batch (% class 1)", default=50,
            group="View", kind="slider", min=0, max=100, step=10,
            help="Share of class 1 in the skewed test batches and among the batch-mates of the "
                 "decision-boundary map.", inert=mix_inert),
    Control(key="repeats", label="Random test batches (repeats)", default=50, group="View",
            kind="slider", min=10, max=200, step=10, help="Random batchings per k, random "
            "batches per class mix; the followed point gets 4× as many.", inert=repeats_inert),
    Control(key="tseed", label="Test-batch seed", default=0, group="View", kind="number",
            min=0, max=999, step=1, help="Seed of every random test batch (re-draw them).",
            inert=tseed_inert),
)


# ---------------------------------------------------------------- the trained network
def setting(v: dict[str, Any], norm: Norm = Norm.BN) -> TrainSetting:
    """The training setting of the page's control values ``v`` with normalisation ``norm``;
    only Batch Renorm takes the clips r_max, d_max (moving them must not retrain the others)."""
    depth = int(v["depth"])
    clips = ({"r_max": float(v["r_max"]), "d_max": float(v["d_max"])} if norm == Norm.RENORM
             else CLIPS)
    return TrainSetting(
        dataset=v["dataset"], noise=float(v["noise"]), n_train=N_TRAIN, data_seed=DATA_SEED,
        hidden=(int(v["width"]),) * depth, bn=(True,) * depth, activation="relu",
        optimizer="adam", lr=float(v["lr"]), batch_size=int(v["batch"]),
        steps=int(v["steps"]), seed=int(v["seed"]), norm=Norm(norm),
        sampling=Sampling(v["sampling"]), n_test=N_TEST, **clips)


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


def network_of(s: TrainSetting) -> Network:
    """The network of setting ``s`` to evaluate (see :class:`Network`; trains on a miss)."""
    r = trained(s)
    got = common.usable(r.trace)
    params, run, step = got if got else (None, None, 0)
    return Network(r.trace, params, run, step, Data(r.X, r.y, r.X_test, r.y_test))


def usable_network(s: TrainSetting) -> Network:
    """:func:`network_of`, or a ValueError if training left no usable weights."""
    nw = network_of(s)
    if nw.params is None:
        raise ValueError("training diverged before any usable weights were recorded.")
    return nw


def diverged_warning(nw: Network) -> str:
    return (f"Training diverged at step {nw.trace.diverged_at}; showing the network after "
            f"step {nw.step}. Try a smaller learning rate.")


def network(v: dict[str, Any]) -> Network | None:
    """What every tab does first: the trained network of ``v``, a warning if training
    diverged, and None (the tab shows nothing more) if it left no usable weights."""
    with page.friendly("the trained network"):
        nw = network_of(setting(v))
    if nw.trace.diverged:
        st.warning(diverged_warning(nw), icon=":material/warning:")
    return nw if nw.params is not None else None


@st.cache_data(max_entries=64, show_spinner=False)
def reference(dataset: str, noise: float) -> float:
    """The 15-NN test accuracy on the page's data (:func:`bnsim.data.reference_accuracy`): the
    yardstick of the glossary's *trains* and *learnable*."""
    X, y, Xt, yt = data.train_test(dataset, N_TRAIN, N_TEST, noise, DATA_SEED)
    return data.reference_accuracy(X, y, Xt, yt)


def reference_of(v: dict[str, Any]) -> float:
    return reference(v["dataset"], float(v["noise"]))


@st.cache_data(max_entries=64, show_spinner=False)
def eval_accuracy(s: TrainSetting) -> float:
    """Eval-mode test accuracy of the network of ``s``."""
    nw = usable_network(s)
    return common.eval_accuracy(nw.params, nw.trace.net, nw.run, nw.data.X_test,
                                nw.data.y_test)


@st.cache_data(max_entries=64, show_spinner=False)
def collapse_p(s: TrainSetting) -> float:
    """p(class 1) that a test batch of one example gives every input (z_norm = 0, z̃ = β)."""
    nw = usable_network(s)
    return float(common.proba_batch(nw.params, nw.trace.net,
                                    np.zeros((1, 1, nw.trace.net.n_in)))[0, 0])


# ---------------------------------------------------------------- the eval-mode map
@st.cache_data(max_entries=32, show_spinner=False)
def eval_map(s: TrainSetting, n: int = 50) -> common.EvalMap:
    """:func:`bnsim.lessons.testtime.common.eval_map` of the network of ``s``."""
    nw = usable_network(s)
    d = nw.data
    return common.eval_map(nw.params, nw.trace.net, nw.run, d.X, d.X_test, d.y_test, n)


# the sentence shared by the flat map of "Boundaries" and the collapse of "Test batch size"
K1 = ("**Why k = 1 collapses:** a batch of one has μ_B = z, so z_norm = 0 and z̃ = γ·0 + β = β "
      "in every BN layer — every input gets the same output ")


# ---------------------------------------------------------------- the trained variants
@st.cache_resource(max_entries=12, show_spinner="Training plain BN, Batch Renorm and BN on "
                   "running averages…")
def stacked(s: TrainSetting, n_seeds: int = N_SEEDS) -> StackedTrace:
    """``n_seeds`` runs (seeds s.seed, s.seed + 1, …) of the network of ``s`` with its
    normalisation ``s.norm`` (Batch Renorm with its ramp), trained in one stacked pass."""
    X, y, Xt, yt = data.train_test(s.dataset, s.n_train, s.n_test, s.noise, s.data_seed)
    net = NetConfig(hidden=s.hidden, bn=s.bn, activation=s.activation)
    cfg = TrainConfig(steps=s.steps, batch_size=s.batch_size, optimizer=s.optimizer, lr=s.lr,
                      norm=s.norm, sampling=s.sampling, r_max=s.r_max, d_max=s.d_max,
                      renorm_ramp=common.ramp_steps(s.steps) if s.norm == Norm.RENORM else 0)
    return train_stacked(net, X, y, Xt, yt, cfg, seeds=range(s.seed, s.seed + n_seeds))


class Norms(NamedTuple):
    """Variants trained with the same settings over N_SEEDS seeds (see common.norm_table)."""

    table: pd.DataFrame  # per variant and seed
    means: pd.DataFrame  # per variant, means over seeds
    curves: pd.DataFrame  # the first seed's curves


@st.cache_data(max_entries=16, show_spinner=False)
def norms(settings: tuple[TrainSetting, ...]) -> Norms:
    """:func:`bnsim.lessons.testtime.common.norm_table` of the variants trained as
    ``settings`` say (one per normalisation, all on the same data)."""
    stacks = {s.norm: stacked(s) for s in settings}
    s = settings[0]
    _, _, Xt, yt = data.train_test(s.dataset, s.n_train, s.n_test, s.noise, s.data_seed)
    table = common.norm_table(stacks, Xt, yt)
    return Norms(table, common.norm_means(table), common.stacked_curves(stacks))


def variants(v: dict[str, Any], which: tuple[Norm, ...], what: str) -> Norms:
    """The variants ``which`` trained with the page's settings ``v`` (``what``: the
    comparison, in words, for an error message)."""
    with page.friendly(what):
        return norms(tuple(setting(v, n) for n in which))


def renorm_diverged(n: Norms) -> str | None:
    m = n.means.set_index("norm")
    bad = [f"{m.loc[k, 'variant']} diverged in {int(m.loc[k, 'diverged'])} of "
           f"{int(m.loc[k, 'runs'])} runs" for k in m.index if m.loc[k, "diverged"]]
    return "; ".join(bad) + "." if bad else None


def draw_variants(n: Norms, key: str) -> None:
    """A warning for diverged runs, then the two charts side by side (stacked on a phone):
    the curves during training and train vs eval mode at the end."""
    if warning := renorm_diverged(n):
        st.warning(warning, icon=":material/warning:")
    during, end = common_figures.renorm(n.curves, n.means)
    left, right = st.columns([3, 2])
    live_chart(during, key=f"fig_{key}", where=left)
    live_chart(end, key=f"fig_{key}_end", where=right)


def mini_batches(v: dict[str, Any]) -> str:
    """How training cut its mini-batches, in words."""
    batch = v["batch"]
    return (f"mini-batches of m = {batch} from one class each"
            if v["sampling"] == Sampling.BY_CLASS else f"random mini-batches of m = {batch}")
