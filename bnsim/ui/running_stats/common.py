"""What every tab of "Running statistics" shares: the controls (bound to the URL), the cached
training run (:func:`train_run`, through :func:`bnsim.ui.cache.trained`), the view computed from
it without any retraining (:func:`prepare`, which each tab's view calls first), and the line
under every tab (:func:`footer`).

Training is cached on its setting; the view of one unit (:func:`view_of`) is cached on the
run and the View settings (:class:`ViewKey`), and so are the tabs' figures and sentences made
from it: a View slider (β_EMA, mostly) moved by a class through a few values costs a cache hit
per value after its first time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import streamlit as st

from bnsim import notation
from bnsim.figures.style import tex
from bnsim.lessons.running_stats import common
from bnsim.lessons.running_stats.trajectory import IidVariance, iid_batch_variance
from bnsim.train import TrainTrace
from bnsim.ui import cache, concepts, page
from bnsim.ui.cache import TrainSetting
from bnsim.ui.controls import Control

TITLE = "Running statistics"
# One line above the tabs, so each tab's picture fits the first 1280×720 screen; the rest is in
# the "About this page" expander under the trajectory. Symbols as in bnsim.notation's labels
# (μ_B, σ²_B, β_EMA, μ_pop), typeset like the equations: inline LaTeX in prose (style.tex),
# <sub> in figures (style.math); buttons, widget labels and takeaways keep the plain form
# (links and tests name them).
INTRO = tex("Dots: each mini-batch's μ_B, σ²_B · lines: running estimates (a test example uses "
            "the EMA) · dashed: population values.")
N_TRAIN = 400
LEARNING_RATES = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3)

# ---- why a View control does nothing on the open tab (shown right under the control)
TRAJECTORY_TAB, ERRORS_TAB, SCRUB_TAB, DISTRIBUTION_TAB, FRAMEWORKS_TAB, FORMULAS_TAB = (
    "Trajectory", "Error vs population", "Step by step", "Distribution at a step",
    "PyTorch & Keras", "Formulas")


def _shown_layer(v: Mapping[str, Any]) -> tuple[int, bool]:
    """(the layer shown, after clipping to the depth; whether it has BN)."""
    depth = int(v.get("depth", 2))
    layer = min(max(int(v.get("layer", 1)), 1), depth)
    return layer, str(layer) in [str(b) for b in v.get("bn", [])]


def _no_estimate(v: Mapping[str, Any]) -> str | None:
    layer, has_bn = _shown_layer(v)
    return None if has_bn else f"Layer {layer} has no BN: there is no running estimate to change."


def _inert_estimator(v: Mapping[str, Any], tab: str) -> str | None:
    """An estimator's toggle (EMA, bias-corrected EMA, cumulative average)."""
    if tab in (FRAMEWORKS_TAB, FORMULAS_TAB):
        return f"The {tab} tab draws no estimator lines."
    return _no_estimate(v)


def _inert_population(v: Mapping[str, Any], tab: str) -> str | None:
    if tab in (TRAJECTORY_TAB, SCRUB_TAB):
        return None if tab == TRAJECTORY_TAB else _no_estimate(v)
    if tab in (ERRORS_TAB, DISTRIBUTION_TAB):
        return f"The {tab} tab always shows the population value."
    return f"The {tab} tab draws no population line."


def _inert_variance(v: Mapping[str, Any], tab: str) -> str | None:
    if tab in (SCRUB_TAB, DISTRIBUTION_TAB):
        return f"The {tab} tab shows only μ."
    if tab == FRAMEWORKS_TAB:
        return "The table shows both: PyTorch's unbiased and Keras' biased σ²."
    if tab == FORMULAS_TAB:
        return "The formulas hold for both kinds."
    return None if tab == TRAJECTORY_TAB else _no_estimate(v)


def _inert_tolerance(v: Mapping[str, Any], tab: str) -> str | None:
    if tab not in (TRAJECTORY_TAB, ERRORS_TAB):
        return "Only the Trajectory and Error vs population tabs use the tolerance."
    return _no_estimate(v)


def _inert_beta(v: Mapping[str, Any], _tab: str) -> str | None:
    if (why := _no_estimate(v)) is not None:
        return why + " (β_EMA only changes the line under the tab.)"
    return None


def _inert_bn(v: Mapping[str, Any], _tab: str) -> str | None:
    depth = int(v.get("depth", 2))
    beyond = sorted(int(b) for b in v.get("bn", []) if int(b) > depth)
    if not beyond:
        return None
    which = ", ".join(map(str, beyond))
    return (f"Layer{'s' * (len(beyond) > 1)} {which} {'are' if len(beyond) > 1 else 'is'} "
            f"beyond the network's {depth} hidden layer{'s' * (depth > 1)}: ticking "
            f"{'them' if len(beyond) > 1 else 'it'} changes nothing.")


def _inert_on_formulas(_v: Mapping[str, Any], tab: str) -> str | None:
    """A Data, Network or Training control on the Formulas tab, which shows no numbers."""
    if tab == FORMULAS_TAB:
        return "The Formulas tab shows equations, not this run (only the line under them)."
    return None


def _inert_bn_or_formulas(v: Mapping[str, Any], tab: str) -> str | None:
    return _inert_on_formulas(v, tab) or _inert_bn(v, tab)


INERT = {"ema": _inert_estimator, "bc": _inert_estimator, "cum": _inert_estimator,
         "pop": _inert_population}

EMA_BETA = concepts.EMA_BETA.narrow(old_keys=("beta",), inert=_inert_beta)  # older links
# The estimators and the population line, each shown or hidden by a toggle (key, label, help).
SHOWN = (
    ("ema", "ema", "EMA (lecture, v₀ = 0 / 1)",
     "The lecture's EMA v_t = β_EMA·v_{t−1} + (1 − β_EMA)·θ_t. The lecture starts it at "
     "v₀ = 0; the start values 0 for the mean and 1 for the variance are PyTorch's and "
     "Keras' choice, used here for both."),
    ("ema_bc", "bc", "Bias correction (v_t − β_EMA^t·v₀)/(1 − β_EMA^t)",
     "The EMA with the start value's weight β_EMA^t removed. For the mean (v₀ = 0) this is "
     "the lecture's v_t/(1 − β_EMA^t); for the variance (v₀ = 1) the lecture's form would add "
     "β_EMA^t/(1 − β_EMA^t). PyTorch and Keras never bias-correct their running statistics."),
    ("cumulative", "cum", "Cumulative average",
     "Plain average of all mini-batches so far: PyTorch BatchNorm with momentum=None."),
    ("population", "pop", "Population statistics",
     "μ and σ² of z over the whole training set with the weights of that step — what the "
     "estimates try to follow."),
)
CONTROLS = (
    concepts.DATASET.narrow(inert=_inert_on_formulas),
    concepts.NOISE.narrow(inert=_inert_on_formulas),
    concepts.DEPTH.narrow(inert=_inert_on_formulas),
    concepts.WIDTH.narrow(inert=_inert_on_formulas),
    Control(key="bn", label="BN in layers", default=["1", "2", "3", "4"], group="Network",
            kind="multiselect",
            help="Hidden layers with Batch Normalization (layers beyond the depth are ignored).",
            options={str(i): f"layer {i}" for i in range(1, 5)}, inert=_inert_bn_or_formulas),
    concepts.ACTIVATION.narrow(inert=_inert_on_formulas),
    concepts.BATCH.narrow(help="Examples per mini-batch: small m gives noisy μ_B, σ²_B. "
                               "Changing it retrains.", inert=_inert_on_formulas),
    concepts.OPTIMIZER.narrow(inert=_inert_on_formulas),
    concepts.LR.narrow(values=LEARNING_RATES, default=0.01, inert=_inert_on_formulas),
    concepts.STEPS.narrow(inert=_inert_on_formulas),
    concepts.SEED.narrow(help="Seeds the data, the initial weights and the mini-batch order.",
                         inert=_inert_on_formulas),
    EMA_BETA,
    *(Control(key=key, label=label, default=True, group="View", kind="toggle", help=text,
              inert=INERT[key]) for _, key, label, text in SHOWN),
    Control(key="var", label="Variance", default="unbiased", group="View", kind="radio",
            help="PyTorch averages the unbiased m/(m−1)·σ²_B, Keras the biased σ²_B.",
            options=notation.labels(notation.VARIANCES), inert=_inert_variance),
    concepts.LAYER,
    concepts.UNIT,
    # 20 %: at 10 % the EMA of σ² (β_EMA = 0.9, m = 32) does not settle in enough seeds; at
    # 20 % both μ and σ² do (tests/test_claims_running_stats.py).
    Control(key="tol", label="Tolerance (%)", default=20, group="View", kind="slider",
            help="'Within x %' in the takeaway and the error plot: of σ_pop for the mean, of "
                 "σ²_pop for the variance.",
            min=1, max=50, step=1, inert=_inert_tolerance),
)
NO_BN_PANEL = "No running estimate in a layer without BN."
# The words this page uses (keys of notation.TERMS), for its glossary expander.
GLOSSARY_TERMS = ("train mode", "eval mode", "running estimate", "β_EMA", "bias correction",
                  "population statistics", "i.i.d. mini-batches", "cumulative average",
                  "unbiased variance")


class Run(NamedTuple):
    """One cached training run and the training set it was recorded on."""

    trace: TrainTrace
    X: np.ndarray  # (N, 2) training inputs the trace was recorded on
    y: np.ndarray  # (N,)
    summary: str  # one line about the network and how it trained


class View(NamedTuple):
    """What the figures show for one layer and unit at the current View settings."""

    us: common.UnitStats
    est: common.Estimates | None  # None in a layer without BN
    errs: common.Errors | None
    shown: tuple  # estimator keys and "population"
    beta: float  # β_EMA
    variance: str  # "unbiased" or "biased" (a bnsim.modes.Variance)
    tol: float  # tolerance as a fraction (0.1 = 10 %)
    bn_below: tuple[int, ...]  # the layers under this one with BN (empty: none)
    iid: IidVariance | None = None  # σ²_B of the same mini-batches without the batch-mates
    key: ViewKey | None = None  # what it was computed from (the tabs' caches are keyed on it)


class ViewKey(NamedTuple):
    """Everything a :class:`View` is computed from: the run's trace (by identity, see
    :data:`BY_TRACE`), the setting it was trained with (for the replay of
    :func:`iid_variance`), the layer and unit (0-based) shown and the View settings."""

    trace: TrainTrace
    setting: TrainSetting
    layer: int
    unit: int
    beta: float
    variance: str
    shown: tuple
    tol: float


# The caches keyed on a ViewKey hash its trace by identity: the trace is shared and read-only
# (bnsim.ui.cache), and hashing its arrays would cost more than computing the view. Each entry
# keeps its trace alive (View.key), so no other trace can reuse its id while the entry lives.
BY_TRACE = {TrainTrace: id}


class Note(NamedTuple):
    """A note for the top of the tab; ``stop``: nothing can be shown after it."""

    text: str
    stop: bool


class Prepared(NamedTuple):
    """The training run and the view of the unit shown: what a tab's view draws from."""

    run: Run
    view: View


def train_setting(v: dict[str, Any]) -> TrainSetting:
    """The cached training run the controls ``v`` describe (data and weights seeded alike)."""
    depth = int(v["depth"])
    return TrainSetting(
        dataset=v["dataset"], noise=float(v["noise"]), n_train=N_TRAIN, data_seed=int(v["seed"]),
        hidden=(int(v["width"]),) * depth,
        bn=tuple(str(i) in v["bn"] for i in range(1, depth + 1)), activation=v["act"],
        optimizer=v["opt"], lr=float(v["lr"]), batch_size=int(v["batch"]),
        steps=int(v["steps"]), seed=int(v["seed"]))


def train_run(v: dict[str, Any]) -> Run:
    """Train (or fetch from the cache) the network the controls ``v`` describe."""
    setting = train_setting(v)
    trained = cache.trained(setting)
    trace = trained.trace
    arch = "→".join(str(n) for n in (2, *setting.hidden, 2))
    bn_txt = ", ".join(str(i + 1) for i, b in enumerate(setting.bn) if b) or "none"
    acc = trace.test_acc[np.isfinite(trace.test_acc)]
    acc_txt = f", test accuracy {100 * acc[-1]:.0f} %" if len(acc) else ""
    summary = (f"This run: network {arch} (BN in layers: {bn_txt}), "
               f"{notation.ACTIVATIONS[v['act']].label}, "
               f"{notation.OPTIMIZERS[v['opt']].label} α = {setting.lr:g}, m = {v['batch']}, "
               f"{len(trace.loss)} steps{acc_txt}")
    return Run(trace, trained.X, trained.y, summary)


def divergence_warning(trace: TrainTrace) -> Note | None:
    """What to say when training blew up (None when it didn't): the steps before are shown,
    unless there are fewer than two of them."""
    if not trace.diverged:
        return None
    done = len(trace.loss)
    shown = f"showing the {done} steps before it. " if done >= 2 else "nothing to show. "
    return Note(f"Training diverged at step {trace.diverged_at} (the loss became NaN/inf); "
                f"{shown}Try a smaller learning rate.", stop=done < 2)


def shown_of(v: dict[str, Any]) -> tuple[str, ...]:
    """The estimators (and "population") whose toggles are on, in drawing order."""
    return tuple(name for name, key, _, _ in SHOWN if v[key])


@st.cache_resource(max_entries=24, show_spinner=False)
def iid_variance(setting: TrainSetting, layer: int) -> IidVariance | None:
    """σ²_B of layer ``layer``'s z for the mini-batches of the snapshot steps with the layers
    below normalised by population statistics (replayed once per run and layer, then cached)."""
    trained = cache.trained(setting)
    return iid_batch_variance(trained.trace, trained.X, trained.y, layer)


def view_key(run: Run, layer: int, unit: int, v: dict[str, Any]) -> ViewKey:
    """The :class:`ViewKey` of one layer/unit (0-based) of ``run`` at the View settings ``v``."""
    return ViewKey(run.trace, train_setting(v), int(layer), int(unit), float(v["ema_beta"]),
                   common.variance_kind(v["var"]), shown_of(v), v["tol"] / 100)


@st.cache_resource(max_entries=64, show_spinner=False, hash_funcs=BY_TRACE)
def view_of(key: ViewKey) -> View:
    """Everything the figures need for one layer/unit and β_EMA — no retraining (the replay
    behind :class:`IidVariance` is cached per run and layer). Cached: the estimators cost a
    few ms per β_EMA, and every rerun of every tab needs them (the result is shared: never
    mutate it)."""
    us = common.unit_stats(key.trace, key.layer, key.unit)
    est = common.estimate(us, key.beta) if us.has_bn else None
    errs = None if est is None else common.errors(us, est, key.variance)
    bn_below = common.bn_below(key.trace.net.bn, key.layer)
    iid = iid_variance(key.setting, key.layer) if bn_below else None
    return View(us, est, errs, key.shown, key.beta, key.variance, key.tol, bn_below, iid, key)


def compute_view(run: Run, layer: int, unit: int, v: dict[str, Any]) -> View:
    """The view of one layer/unit (0-based) of ``run`` at the View settings ``v``
    (:func:`view_of`)."""
    return view_of(view_key(run, layer, unit, v))


def no_bn_note(layer: int) -> str:
    """Why a layer without BN shows no estimator."""
    return (f"Layer {layer} has no BN, so the network keeps no running estimate for it; its "
            "mini-batch μ_B and σ²_B (and the population values) are still shown. Choose a BN "
            "layer to see the estimators.")


def prepare(v: dict[str, Any], *, needs_estimate: bool = True) -> Prepared | None:
    """Train (cached), say what went wrong or was clipped, and compute the view of the unit
    shown. None when the tab has nothing to draw: a layer without BN and a tab that needs a
    running estimate (``needs_estimate``)."""
    with page.friendly("the training run"):
        run = train_run(v)
    if (warning := divergence_warning(run.trace)) is not None:
        st.warning(warning.text, icon=":material/warning:")
        if warning.stop:
            st.stop()
    choice = common.check_unit(run.trace.net, v["layer"], v["unit"])
    for note in choice.notes:
        st.info(note, icon=":material/info:")
    with page.friendly("the running estimates"):
        view = compute_view(run, choice.layer, choice.unit, v)
    if view.est is None:
        st.info(no_bn_note(view.us.layer), icon=":material/info:")
        if needs_estimate:
            st.info(NO_BN_PANEL)
            return None
    return Prepared(run, view)


def code_number(x: float) -> str:
    """A momentum as it is typed in code: 0.09999999999999998 -> "0.1"."""
    return f"{round(float(x), 6):g}"


def beta_line(beta: float, layer: int, unit: int, has_bn: bool) -> str:
    """β_EMA with its framework spellings, and which layer and unit (0-based) are shown."""
    fm = notation.framework_momentum(beta)
    bn = "BN" if has_bn else "no BN"
    return (f"**β_EMA = {beta:.3f}**, in PyTorch `momentum={code_number(fm['pytorch'])}`, in "
            f"Keras `momentum={code_number(fm['keras'])}` · {common.window_phrase(beta)} · "
            f"**layer {layer} ({bn}), unit {unit + 1}**")


def footer(v: dict[str, Any]) -> None:
    """Under every tab: β_EMA in both frameworks' terms, the layer and unit shown, the run."""
    run = train_run(v)  # the tab's own run, from the cache
    choice = common.check_unit(run.trace.net, v["layer"], v["unit"])
    st.markdown(beta_line(float(v["ema_beta"]), choice.layer, choice.unit,
                          bool(run.trace.net.bn[choice.layer - 1])))
    st.caption(run.summary)
