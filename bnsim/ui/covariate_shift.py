"""The "Covariate shift" page's declarations, cached work and sentences.

* **Controls and presets**, declared once (:data:`SHARED`, :data:`TAB_CONTROLS`,
  :data:`PRESETS`); the sidebar shows the shared controls plus the open tab's own, and
  :func:`controls` keeps a tab's values while another tab is open.
* **Cached work**, keyed on scalars only. Training is cached with ``st.cache_resource`` (one
  entry per network setting) and the summaries a view needs with ``st.cache_data`` keyed on the
  same scalars plus the view's own (layer, quantity, shift settings), so a view control never
  retrains. The figures of the two views a lecturer drags through (the shift, the unit) are
  cached too: building a plotly figure costs tens of milliseconds, so a view seen once comes
  back at once. Cached objects are shared between reruns and sessions: treat them as read-only.
* **Sentences**: functions of the numbers just computed, returning text.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from bnsim import covariate_shift as cv
from bnsim import data
from bnsim import notation as nt
from bnsim.figures import covariate_shift as figs
from bnsim.figures import style
from bnsim.train import TrainConfig, TrainTrace
from bnsim.ui import controls as ui
from bnsim.ui.cache import train_on_dataset
from bnsim.verdict import Outcome, Verdict, num, pct

N_TRAIN, N_TEST, DATA_SEED = 1000, 400, 0  # data sets of tabs 2–4
SHIFT_N_TRAIN, SHIFT_N_TEST = 400, 400  # the covariate-shift clouds of tab 1
SHIFT_RULES = tuple(data.RULES)
XLIM, YLIM, GRID = (-5.0, 7.0), (-3.5, 5.5), (72, 54)  # the fixed view of the first tab

RULES = nt.labels(nt.RULES)
QUANTITIES = nt.labels(nt.QUANTITIES)
PICTURES = nt.labels(nt.PICTURES)

# One line above the tabs, so each tab's key picture fits the first 1280×720 screen; the
# whole introduction is in the "About this page" expander at the end.
INTRO = "The lecture's covariate-shift argument for BN, put to the test on four toy examples."
ABOUT = ("The lecture explains BN with **covariate shift**: a classifier trained on black cats "
         "fails on coloured cats although the rule “cat or not” never changed, and a deep "
         "layer's inputs keep moving while earlier layers learn — BN keeps the mean and "
         "variance of each unit's z̃ at β and γ². Four toy examples put each claim to the test; "
         "every verdict on this page is computed from the numbers beside it, including where "
         "the lecture's story fails.")

# ---------------------------------------------------------------- typeset symbols
# The page writes symbols as the notation registry does (a^[l−1], z̃^[l], μ_B, σ²_B) and
# shows them typeset: inline LaTeX in text (:func:`tex`), <sup>/<sub> in figures
# (:func:`bnsim.figures.style.math`), LaTeX in the equations.
tex = style.tex  # the one converter of symbols to inline LaTeX (shared by every page)


TABS = ("Black cats → coloured cats", "A deep layer's moving inputs", "Mini-batch noise",
        "Noisy BN")

# ---------------------------------------------------------------- controls
C = ui.Control
SIZES = {m: str(m) for m in cv.BATCH_SIZES}
LRS = {v: str(v) for v in (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)}
SHIFT_MODELS = {k: nt.MODELS[k].short for k in cv.MODELS}  # "no BN", "BN", "BN + AdaBN"
SHARED = (
    C(key="layers", label="Hidden layers", default=3, group="Network", kind="slider",
      min=2, max=4, step=1, help="Number of hidden layers (every network on this page)."),
    C(key="units", label="Units per hidden layer", default=16, group="Network", kind="slider",
      min=4, max=32, step=4, help="Width of every hidden layer."),
    C(key="act", label="Activation g", default="relu", group="Network", kind="select",
      options=nt.labels(nt.ACTIVATIONS), help="Activation after each hidden layer."),
    C(key="opt", label="Optimiser", default="adam", group="Training", kind="select",
      options=nt.labels(nt.OPTIMIZERS), help="The same optimiser for all networks compared."),
    C(key="lr", label="Learning rate α", default=0.01, group="Training", kind="select",
      options=LRS, help="The same learning rate for all networks compared."),
    C(key="batch", label="Training batch size m", default=32, group="Training", kind="select",
      options=SIZES, help="Examples per training mini-batch."),
    C(key="steps", label="Training steps", default=1000, group="Training", kind="slider",
      min=200, max=4000, step=100, help="Number of mini-batches."),
    C(key="seed", label="Seed", default=0, group="Training", kind="number", min=0, max=99,
      step=1, help="Initial weights and mini-batch order (the same for with and without BN)."),
)
DATA = (
    C(key="dataset", label="Dataset", default="moons", group="Data", kind="select",
      options=nt.labels(nt.DATASETS),
      help="Toy 2-D data set (1000 training, 400 test examples)."),
    C(key="dnoise", label="Data noise", default=0.1, group="Data", kind="slider",
      min=0.0, max=0.5, step=0.05, help="Gaussian noise added to the inputs."),
)
TAB_CONTROLS = (
    (C(key="rule", label="Labelling rule", default="sine", group="Data", kind="select",
       options=RULES, help="The fixed rule “cat or not”; it never changes, only where the "
       "inputs lie. Never retrains."),
     C(key="shift", label="Shift of the test inputs", default=3.0, group="Data", kind="slider",
       min=0.0, max=5.0, step=0.25,
       help="The test cloud moves by (shift, shift/2). Never retrains."),
     C(key="spread", label="Spread of the clouds", default=0.8, group="Data", kind="slider",
       min=0.4, max=1.2, step=0.1, help="Standard deviation of the training cloud."),
     C(key="tscale", label="Test spread ×", default=1.0, group="Data", kind="slider",
       min=0.5, max=2.0, step=0.1, help="The test cloud's spread relative to the training "
       "cloud (a change of scale). Never retrains."),
     C(key="model", label="Boundary shown", default="bn", group="View", kind="radio",
       options=SHIFT_MODELS, help="Whose decision boundary the map of the two clouds draws.")),
    DATA + (
        C(key="layer", label="Layer l", default=3, group="View", kind="slider", min=1, max=4,
          step=1, help="Hidden layer to watch (clipped to the number of layers). Layer 3's "
          "inputs come from two learning layers below it: the lecture's case."),
        C(key="qty", label="Quantity", default="a_prev", group="View", kind="radio",
          options=QUANTITIES, help="What to follow through training."),
        C(key="unit", label="Unit j", default=1, group="View", kind="slider", min=1, max=32,
          step=1, help="Which unit's distribution to draw (clipped to the width)."),
        C(key="style", label="Picture", default="band", group="View", kind="radio",
          options=PICTURES, help="Quantile bands or a heat map of histograms."),
        C(key="logx", label="Log step axis", default=True, group="View", kind="toggle",
          help="Snapshots are dense early, where most changes happen.")),
    DATA + (
        C(key="m1", label="Small batch m₁", default=4, group="View", kind="select",
          options=SIZES, help="The first histogram of μ_B."),
        C(key="m2", label="Large batch m₂", default=64, group="View", kind="select",
          options=SIZES, help="The second histogram of μ_B."),
        C(key="nlayer", label="Layer l", default=1, group="View", kind="slider", min=1, max=4,
          step=1, help="Layer whose μ_B, σ²_B are shown (clipped to the number of layers)."),
        C(key="nunit", label="Unit j", default=1, group="View", kind="slider", min=1, max=32,
          step=1, help="Unit whose μ_B is shown (clipped to the width)."),
        C(key="rnoise", label="Data noise (regularisation view)", default=0.3, group="Data",
          kind="slider", min=0.0, max=0.5, step=0.05,
          help=f"Noise of the {cv.REG_N_TRAIN} training examples the networks of the "
          "regularisation view learn (noisy labels near the boundary invite overfitting)."),
        C(key="rseeds", label="Seeds per batch size", default=3, group="Training",
          kind="slider", min=1, max=10, step=1,
          help="Regularisation view: networks trained per batch size m, with and without BN.")),
    DATA + (
        C(key="sigma", label="Noise σ after BN", default=0.5, group="Training", kind="slider",
          min=0.05, max=1.5, step=0.05, help="Noisy BN: z̃·(1 + σξ₁) + σξ₂ with one ξ₁, ξ₂ "
          "~ N(0, 1) per unit and step, shared by every example of the mini-batch."),
        C(key="nseeds", label="Seeds per network", default=3, group="Training", kind="slider",
          min=1, max=5, step=1, help="Each variant is trained with this many seeds."),
        C(key="smooth", label="Loss smoothing (steps)", default=50, group="View",
          kind="slider", min=1, max=200, step=1, help="Moving average of the mini-batch loss."),
        C(key="dlayer", label="Drift of layer l", default=2, group="View", kind="slider",
          min=1, max=4, step=1, help="Layer whose z̃^[l] drift is measured (clipped).")),
)
ALL = SHARED + tuple({c.key: c for group in TAB_CONTROLS for c in group}.values())
PRESETS = {  # lecture moments, in button order (tests click _preset_0 … _preset_3)
    "The black-cat example": ui.Preset(values={"rule": "sine", "shift": 3.0}, tab=TABS[0]),
    "Layer 3's view": ui.Preset(values={"layers": 3, "layer": 3, "qty": "a_prev"},
                                tab=TABS[1]),
    "Batch size 2 vs 256": ui.Preset(values={"m1": 2, "m2": 256}, tab=TABS[2]),
    "Noisy BN": ui.Preset(values={"sigma": 0.5, "nseeds": 3}, tab=TABS[3]),
    "Where the lecture's story fails: layer 2's inputs": ui.Preset(
        values={"layers": 3, "layer": 2, "qty": "a_prev"}, tab=TABS[1],
        help="The inputs of layer 2 come from one layer whose own inputs (the data) never "
             "move: BN has no shift to remove there, and a^[1] moves no less (usually more) "
             "with BN than without."),
    "Slight regularisation: m = 4 … 256": ui.Preset(values={"rnoise": 0.3, "rseeds": 5},
                                                    tab=TABS[2]),
}
SAVED = "_covariate_saved"  # session key: {control key: value} last seen for every control


def controls(active: int) -> dict[str, Any]:
    """Draw the shared controls and tab ``active``'s own; return {key: value} (option keys).

    A tab's controls keep their values while another tab is open: the last value of every
    control is kept in ``st.session_state[SAVED]`` and put back when its tab reopens, unless
    the URL or the session (e.g. a preset, which sets every control) says otherwise."""
    saved = st.session_state.setdefault(SAVED, {})
    for c in ALL:  # a value set in the session (a preset, a widget) wins over a saved one
        if c.key in st.session_state:
            try:
                saved[c.key] = c.from_widget(st.session_state[c.key])
            except (KeyError, TypeError):
                saved.pop(c.key, None)
    shown = SHARED + TAB_CONTROLS[active]
    for c in shown:
        if c.key in saved and c.key not in st.session_state and c.key not in st.query_params:
            st.session_state[c.key] = c.to_widget(saved[c.key])
    v = ui.render(shown)
    # The other tabs' controls are drawn too, folded away: every control exists in every
    # run, so a preset that sets another tab's values writes them all into the address bar.
    others = [c for c in ALL if c.key not in v]
    if others:
        with st.sidebar.expander("Settings of the other tabs", icon=":material/tune:"):
            saved.update(ui.render(others, where=st, notes_box=False))
    saved.update(v)
    return v


# ---------------------------------------------------------------- cache keys
class NetKey(NamedTuple):
    """Architecture and training (all scalars)."""

    layers: int = 3
    units: int = 16
    activation: str = "relu"
    optimizer: str = "adam"
    lr: float = 0.01
    batch_size: int = 32
    steps: int = 1000
    seed: int = 0

    @property
    def hidden(self) -> tuple[int, ...]:
        return (self.units,) * self.layers

    def cfg(self) -> TrainConfig:
        return TrainConfig(steps=self.steps, batch_size=self.batch_size,
                           optimizer=self.optimizer, lr=self.lr, seed=self.seed)


class DataKey(NamedTuple):
    dataset: str = "moons"
    noise: float = 0.1


def net_key(v: dict) -> NetKey:
    """The network setting the controls ``v`` describe."""
    return NetKey(layers=v["layers"], units=v["units"], activation=v["act"],
                  optimizer=v["opt"], lr=v["lr"], batch_size=v["batch"], steps=v["steps"],
                  seed=v["seed"])


def data_key(v: dict) -> DataKey:
    """The data set of tabs 2–4 the controls ``v`` describe."""
    return DataKey(dataset=v["dataset"], noise=v["dnoise"])


# ---------------------------------------------------------------- 1. input covariate shift
@st.cache_resource(max_entries=8, show_spinner="Training with and without BN on the training "
                   "region (all three rules)…")
def shift_models(net: NetKey, spread: float) -> cv.ShiftModels:
    """Networks with and without BN for every rule, trained on the training cloud."""
    return cv.train_shift_models(SHIFT_RULES, net.hidden, net.activation, net.cfg(), spread,
                                 SHIFT_N_TRAIN, DATA_SEED)


@st.cache_data(max_entries=64, show_spinner=False)
def shift_sweep(net: NetKey, spread: float, rule: str, test_scale: float) -> cv.ShiftSweep:
    """Accuracy over the shift grid and on the training distribution."""
    return cv.shift_sweep(shift_models(net, spread), rule, spread, test_scale, SHIFT_N_TRAIN,
                          SHIFT_N_TEST, DATA_SEED)


@st.cache_data(max_entries=64, show_spinner=False)
def rule_comparison(net: NetKey, spread: float, shift: float, test_scale: float):
    """Accuracy of every model for every rule at one shift (a table)."""
    return cv.rule_comparison(shift_models(net, spread), shift, spread, test_scale,
                              SHIFT_N_TRAIN, SHIFT_N_TEST, DATA_SEED)


class ShiftView(NamedTuple):
    """Everything the first tab shows for one setting: three figures and their numbers."""

    scene: go.Figure
    accuracy: go.Figure
    rules: go.Figure
    sweep: cv.ShiftSweep
    now: cv.ShiftAt  # the accuracies at the current shift
    rule_acc: cv.RuleAccuracy
    claims: dict  # {rule: AdaBN verdict at this shift}
    diverged: tuple[str, ...]  # models whose training diverged


@st.cache_resource(max_entries=256, show_spinner=False)
def shift_view(net: NetKey, spread: float, rule: str, shift: float, test_scale: float,
               model: str) -> ShiftView:
    """The first tab for one setting (figures included, cached)."""
    models = shift_models(net, spread)
    sweep = shift_sweep(net, spread, rule, test_scale)
    rules = rule_comparison(net, spread, shift, test_scale)
    Xt, yt = cv.shifted_sets(rule, [shift], spread, test_scale, SHIFT_N_TRAIN, SHIFT_N_TEST,
                             DATA_SEED)
    grid = cv.decision_grid(models, rule, model, Xt[0], XLIM, YLIM, GRID)
    i = models.index(rule)
    ra = cv.rule_accuracy(rules)
    home = cv.rule_accuracy(rule_comparison(net, spread, 0.0, 1.0)).accuracy  # training cloud
    train_bn = {r: home[r, "bn"] for r in models.rules}
    return ShiftView(
        scene=figs.shift_scene(models.X_train, models.y_train[i], Xt[0], yt[0], grid, model,
                               XLIM, YLIM),
        accuracy=figs.shift_accuracy(sweep.table, shift), rules=figs.rule_bars(rules),
        sweep=sweep, now=cv.shift_at(sweep, shift), rule_acc=ra,
        claims=rules_claims(ra, train_bn, shift, test_scale),
        diverged=tuple(m for m in ("no_bn", "bn") if models.diverged[(rule, m)]))


# ---------------------------------------------------------------- 2./3. one network, two ways
class LayerRuns(NamedTuple):
    """The same network without and with BN (same seed, data, optimiser, learning rate) and
    the data it was trained on."""

    plain: TrainTrace
    bn: TrainTrace
    X: np.ndarray  # (N_TRAIN, 2)
    y: np.ndarray
    X_test: np.ndarray  # (N_TEST, 2)
    y_test: np.ndarray


def layer_runs(d: DataKey, net: NetKey) -> LayerRuns:
    """Both runs, shared with other pages' cache of ``train_on_dataset``."""
    runs = [train_on_dataset(d.dataset, noise=d.noise, n_train=N_TRAIN, data_seed=DATA_SEED,
                             hidden=net.hidden, bn=(bn,) * net.layers, activation=net.activation,
                             optimizer=net.optimizer, lr=net.lr, batch_size=net.batch_size,
                             steps=net.steps, seed=net.seed, n_test=N_TEST)
            for bn in (False, True)]
    r = runs[1]
    return LayerRuns(runs[0].trace, r.trace, r.X, r.y, r.X_test, r.y_test)


@st.cache_data(max_entries=32, show_spinner="Following the layer through training…")
def layer_view(d: DataKey, net: NetKey, layer: int, quantity: str, bins: int = 40
               ) -> cv.LayerView:
    """Layer ``layer``'s ``quantity`` through training, without and with BN."""
    runs = layer_runs(d, net)
    return cv.LayerView(cv.layer_run(runs.plain, runs.X, layer, quantity, bins),
                        cv.layer_run(runs.bn, runs.X, layer, quantity, bins))


@st.cache_resource(max_entries=128, show_spinner=False)
def layer_figures(d: DataKey, net: NetKey, layer: int, quantity: str, unit: int, style: str,
                  logx: bool, label: str) -> tuple[go.Figure, go.Figure]:
    """(distribution figure, z̃ moments figure) of the second tab for one view."""
    lv = layer_view(d, net, layer, quantity)
    runs = {"no_bn": lv.no_bn, "bn": lv.bn}
    if style == "band":
        top = figs.layer_band(lv.bn.steps, {k: r.band[:, unit] for k, r in runs.items()},
                              label, logx)
    else:
        top = figs.layer_heatmaps(lv.bn.steps, {k: (r.edges[unit], r.density[:, unit])
                                                for k, r in runs.items()}, label, logx)
    zt_unit = min(unit, net.units - 1)
    bottom = figs.zt_moments(lv.bn.steps, {k: (r.zt_mean, r.zt_var) for k, r in runs.items()},
                             zt_unit, logx, layer)
    return top, bottom


@st.cache_resource(max_entries=8, show_spinner="Drawing many mini-batches…")
def batch_noise(d: DataKey, net: NetKey) -> cv.BatchNoise:
    """μ_B, σ²_B of every layer over 256 mini-batches of every size, for the trained BN net."""
    runs = layer_runs(d, net)
    return cv.batch_noise(runs.bn.params, runs.bn.net, runs.X, cv.BATCH_SIZES, n_batches=256,
                          seed=DATA_SEED)


def noise_figures(nv: cv.NoiseView) -> tuple[go.Figure, go.Figure, go.Figure, go.Figure]:
    """(μ_B histograms, spread law, probability gap, flipped predictions) of the third tab."""
    marks = (nv.m_small, nv.m_large)
    hist = figs.batch_histograms(nv.mu_small, nv.mu_large, nv.m_small, nv.m_large, nv.pop_mean,
                                 (nv.law_fpc[nv.i_small], nv.law_fpc[nv.i_large]))
    law = figs.spread_law(nv.sizes, nv.sd_mu, nv.sd_s2, nv.sigma, nv.sigma ** 2, nv.n_examples,
                          nv.law, nv.law_fpc)
    return (hist, law, *figs.train_eval_gap(nv.sizes, nv.out_diff, nv.flips, marks))


# ---------------------------------------------------------------- 4. noisy BN
@st.cache_resource(max_entries=6, show_spinner="Training no BN, BN and noisy BN (all seeds)…")
def noisy_runs(d: DataKey, net: NetKey, noise: float, n_seeds: int) -> cv.NoisyComparison:
    X, y, Xt, yt = data.train_test(d.dataset, N_TRAIN, N_TEST, d.noise, DATA_SEED)
    seeds = [net.seed + i for i in range(n_seeds)]
    return cv.noisy_comparison(X, y, Xt, yt, net.hidden, net.activation, net.cfg(), noise,
                               seeds)


# ---------------------------------------------------------------- 5. slight regularisation
REG_N_TEST = 1000


@st.cache_resource(max_entries=6, show_spinner="Training BN networks (and the same without "
                   "BN) with m = 4, 16, 64 and 256…")
def regularisation(dataset: str, noise: float, net: NetKey, n_seeds: int) -> cv.RegSweep:
    """Train/test gap per training batch size (the batch-size control does not apply here)."""
    X, y, Xt, yt = data.train_test(dataset, cv.REG_N_TRAIN, REG_N_TEST, noise, DATA_SEED)
    seeds = [net.seed + i for i in range(n_seeds)]
    return cv.regularisation_sweep(X, y, Xt, yt, net.hidden, net.activation, net.cfg(), seeds)


def reg_key(net: NetKey) -> NetKey:
    """The regularisation view's key: every m is trained, so the batch-size control is not
    part of it (moving it must not retrain this view)."""
    return net._replace(batch_size=NetKey().batch_size)


# ---------------------------------------------------------------- sentences
def clipped(what: str, value: int, top: int) -> str | None:
    """A note when a control asks for more than exists here (``None`` if it fits)."""
    return f"{what} {value} does not exist here; showing {top}." if value > top else None


def setting(net: NetKey) -> str:
    """The training setting in one line."""
    return (f"{net.layers}×{net.units} {nt.ACTIVATIONS[net.activation].label}, "
            f"{nt.OPTIMIZERS[net.optimizer].label} α = {net.lr}, m = {net.batch_size}, "
            f"{net.steps} steps, seed {net.seed}")


def shift_diverged(models: tuple[str, ...]) -> str:
    return ("Training diverged (" + ", ".join(nt.MODELS[m].label for m in models) + "); its "
            "numbers are meaningless. Try a smaller learning rate.")


def shift_takeaway(shift: float, test_scale: float, now: cv.ShiftAt) -> str:
    """The black-cat verdict (:func:`bnsim.covariate_shift.shift_claim`)."""
    return cv.shift_claim(shift, test_scale, now).text


# Equations in short lines (each fits a 390 px phone), the words in a caption.
ADABN_EQUATIONS = (r"\hat\mu \leftarrow \frac{1}{n}\sum_{i} z^{(i)}_{\text{test}}",
                   r"\hat\sigma^2 \leftarrow \frac{1}{n}\sum_i \big(z^{(i)}_{\text{test}}"
                   r"-\hat\mu\big)^2",
                   r"z_{\text{norm}} = \frac{z - \hat\mu}{\sqrt{\hat\sigma^2 + \varepsilon}}",
                   r"\tilde z = \gamma\, z_{\text{norm}} + \beta")
ADABN_CAPTION = ("AdaBN: μ̂ and σ̂² re-estimated on the n test inputs in every BN layer, weights "
                 "unchanged; then eval mode as usual.")


def rules_claims(ra: cv.RuleAccuracy, train_bn: dict, shift: float, test_scale: float
                 ) -> dict[str, Verdict]:
    """{rule: AdaBN verdict} at this shift for every rule (``train_bn``: each rule's BN
    accuracy on the training distribution)."""
    return {r: cv.adabn_claim(nt.RULES[r].short, shift, test_scale, ra.accuracy[r, "bn"],
                              ra.accuracy[r, "adabn"], train_bn[r]) for r in ra.majority}


def rules_text(claims: dict[str, Verdict]) -> str:
    """When recalibration helps (the line) and when it cannot (sine, circle), from the
    verdicts of :func:`rules_claims`."""
    intro = ("Recalibration moves the shifted cloud back onto the training cloud, so the network "
             "answers *as if each test point sat at the matching place of the training "
             "region*. That is right when the rule moved with the inputs (the line x₂ > x₁/2 "
             "shifted along itself) and wrong when the rule is needed where no data was seen "
             "(sine, circle).")
    marks = {Outcome.HOLDS: ":material/check:", Outcome.REVERSED: ":material/close:",
             Outcome.NO_EFFECT: ":material/remove:", Outcome.NOT_APPLICABLE: ":material/block:"}
    order = [r for r in ("linear", "sine", "circle") if r in claims]
    return intro + "\n\n" + "\n".join(f"- {marks[claims[r].outcome]} {claims[r].text}"
                                      for r in order)


def layer_symbol(quantity: str, layer: int) -> str:
    return {"a_prev": f"a^[{layer - 1}]", "z": f"z^[{layer}]", "z_tilde": f"z̃^[{layer}]"}[quantity]


def layer_label(quantity: str, layer: int, unit: int) -> str:
    """Axis label of the distribution plot (``unit`` 0-based, shown from 1)."""
    data_note = " (= the data x)" if quantity == "a_prev" and layer == 1 else ""
    return f"{layer_symbol(quantity, layer)}, unit {unit + 1}{data_note}"


def layer_diverged(key: str, run: cv.LayerRun) -> str:
    return (f"{nt.MODELS[key].label}: training diverged at step {run.diverged_at}; the plot "
            "stops there.")


def drift_takeaway(sym: str, lv: cv.LayerView, net: NetKey, dataset: str) -> str:
    """The drift verdict (:func:`bnsim.covariate_shift.drift_claim`) and its setting."""
    v = cv.drift_claim(lv.no_bn.drift, lv.bn.drift, sym)
    return tex(f"Over {lv.bn.steps[-1]} steps ({setting(net)}, {nt.DATASETS[dataset].label}), "
               "the " + v.text[0].lower() + v.text[1:])


def drift_metrics(sym: str, lv: cv.LayerView) -> list[tuple[str, str]]:
    """(label, value) of the three numbers under the distribution plot."""
    return [(tex(f"Drift D of {sym} without BN"), num(lv.no_bn.drift)),
            (tex(f"Drift D of {sym} with BN"), num(lv.bn.drift)),
            ("Test accuracy (without / with BN)",
             f"{pct(lv.no_bn.test_acc)} / {pct(lv.bn.test_acc)}")]


def pinning_heading(layer: int) -> str:
    return tex(f"Mean and variance of z̃^[{layer}] per unit — pinned by BN")


PINNING_CAPTION = tex("BN fixes each unit's mean and variance, not the shape of its "
                      "distribution: the histograms can still change.")


DRIFT_EQUATION = (r"\begin{gathered}D = \frac{1}{\bar d}\,\operatorname{mean}_j \sum_s S_j(s)"
                  r"\\ S_j(s) = |\Delta m_j(s)| + |\Delta d_j(s)| \\"
                  r"\bar d = \operatorname{mean}_{j,s}\, d_j(s)\end{gathered}")


def drift_caption(n_snapshots: int) -> str:
    return (f"$m_j(s)$, $d_j(s)$: mean and standard deviation of unit j over the training set "
            f"at snapshot s ({n_snapshots} snapshots, dense early); Δ: the change from one "
            "snapshot to the next. D = 0: mean and spread never move. D only sees mean and "
            "spread, not the shape of the distribution.")


def pinning_takeaway(layer: int, pin: cv.Pinning) -> str:
    return tex(cv.pinning_claim(layer, pin).text)


def constant_unit(nv: cv.NoiseView) -> str:
    return tex(f"Unit {nv.unit + 1} of layer {nv.layer} is constant over the training set "
               "(σ = 0): its μ_B never varies. Choose another unit.")


def noise_takeaway(nv: cv.NoiseView) -> str:
    """The 1/√m verdict for the shown unit (:func:`bnsim.covariate_shift.noise_law_claim`)."""
    v = cv.noise_law_claim(nv)
    return tex(f"Unit {nv.unit + 1} of layer {nv.layer}: " + v.text[0].lower() + v.text[1:]
               + " In train mode every example is normalised with these noisy statistics.")


def upper_layer_caption(layer: int) -> str | None:
    return (tex(f"Layer {layer}: its inputs were normalised with the same mini-batch below, "
                "which ties μ_B to the lower layers' γ and β — the law is exact for layer 1 "
                "only.") if layer > 1 else None)


def gap_takeaway(nv: cv.NoiseView, trained_m: int) -> str:
    a, b = nv.i_small, nv.i_large
    return tex(f"For the network trained with m = {trained_m}, outputs in train mode (mini-batch "
            f"statistics) differ from outputs with {nt.MODES['population'].label} by "
            f"{num(nv.out_diff[a])} in p(class 1) on average at m = {nv.m_small} "
            f"({pct(nv.flips[a])} of predictions flip) and by {num(nv.out_diff[b])} at "
            f"m = {nv.m_large} ({pct(nv.flips[b])} flip). That is the noise training adds to "
            "every z̃.")


REGULARISER_NOTE = tex(
    "The lecture: μ_B and σ²_B come from one mini-batch, so they add a little noise to every "
    "z̃ — like dropout, a **slight regularisation**, and a larger batch means less noise and "
    "less of it. It is an unintended **side effect**: don't use BN as a regulariser; use it to "
    "normalise the hidden units and speed up learning, and use dropout or L2 when you need "
    "regularisation.")
REG_CAPTION = tex(
    f"Every network takes the same number of steps on the same {cv.REG_N_TRAIN} training "
    "examples, so a larger m also sees more examples and has less gradient noise: the "
    "networks without BN (dashed) show that part. At m = 256 = the whole training set "
    "μ_B is the population μ and BN adds no noise at all.")


def regularisation_takeaway(sweep: cv.RegSweep) -> str:
    """The regularisation verdict (:func:`bnsim.covariate_shift.regularisation_claim`)."""
    v = cv.regularisation_claim(sweep)
    if v.outcome is Outcome.NOT_APPLICABLE or "m_small" not in v.evidence:
        return v.text
    noise = sweep.noise.set_index("m")["sd_mu_rel"]
    lo, hi = v.evidence["m_small"], v.evidence["m_large"]
    return tex(v.text + f" Behind it: μ_B varies by {pct(noise[lo])} of σ at m = {lo} and by "
            f"{pct(noise[hi])} at m = {hi} (mean over all hidden units).")


NOISY_EQUATION = (r"\begin{gathered}\tilde z = \tilde z_{\text{BN}}\,(1 + \sigma\xi_1) + "
                  r"\sigma\xi_2 \\ \tilde z_{\text{BN}} = \gamma\, z_{\text{norm}} + \beta"
                  r"\end{gathered}")
NOISY_CAPTION = tex("ξ₁, ξ₂ ~ N(0, 1), drawn once per unit and training step and shared by "
                    "the mini-batch; no noise at test time.")


def noisy_diverged(runs: list[tuple[str, int]]) -> str:
    return ("Some runs diverged: " + ", ".join(f"{nt.MODELS[v].label} seed {s}"
                                               for v, s in runs)
            + ". Try a smaller learning rate.")


def noisy_takeaway(summary, sigma: float, layer: int, net: NetKey, dataset: str) -> str:
    """The noisy-BN verdict (:func:`bnsim.covariate_shift.noisy_claim`) and the no-BN
    reference."""
    v = cv.noisy_claim(summary)
    means = cv.noisy_means(summary)
    return tex(f"With σ = {sigma:g} ({setting(net)}, {nt.DATASETS[dataset].label}; drift of "
               f"z̃^[{layer}]): " + v.text[0].lower() + v.text[1:]
               + f" Without BN: {pct(means.test_acc['no_bn'])} test accuracy, drift "
               f"{num(means.drift['no_bn'])} (BN {num(means.drift['bn'])}).")


NOISY_NOTE = (
    "**What this simulation does:** after every BN layer, one random scale (1 + σξ₁) and one "
    "random shift σξ₂ per unit and training step, the same for every example of the "
    "mini-batch. **What Santurkar, Tsipras, Ilyas & Mądry did** (*How Does Batch "
    "Normalization Help Optimization?*, NeurIPS 2018, VGG on CIFAR-10): i.i.d. noise for "
    "every activation, drawn from a distribution whose mean and variance themselves change "
    "every step. Their BN networks with that noise trained about as well as BN and better "
    "than without; they argue BN helps by making the optimisation landscape smoother, not "
    "by reducing covariate shift. This page re-creates the idea on a toy problem; it does not "
    "re-run their experiment.")
SPEEDUP_NOTE = ("Whether BN speeds training up is shown on the page **Inside a BN layer** "
                "(with vs without BN over learning rates and depths); here the question is "
                "only whether injected shift stops BN from working.")
GLOSSARY_TERMS = ("covariate shift", "internal covariate shift", "train mode", "eval mode",
                  "running estimate", "population statistics", "AdaBN", "drift D",
                  "quantile band", "i.i.d. mini-batches", "noisy BN", "slight regularisation")
