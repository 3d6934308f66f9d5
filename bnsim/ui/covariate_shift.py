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
from bnsim.train import TrainConfig, TrainTrace
from bnsim.ui import controls as ui
from bnsim.ui.cache import train_on_dataset

N_TRAIN, N_TEST, DATA_SEED = 1000, 400, 0  # data sets of tabs 2–4
SHIFT_N_TRAIN, SHIFT_N_TEST = 400, 400  # the covariate-shift clouds of tab 1
SHIFT_RULES = tuple(data.RULES)
XLIM, YLIM, GRID = (-5.0, 7.0), (-3.5, 5.5), (72, 54)  # the fixed view of the first tab

RULES = nt.labels(nt.RULES)
QUANTITIES = nt.labels(nt.QUANTITIES)
PICTURES = nt.labels(nt.PICTURES)

INTRO = ("The lecture explains BN with **covariate shift**: a classifier trained on black cats "
         "fails on coloured cats although the rule “cat or not” never changed, and a deep "
         "layer's inputs keep moving while earlier layers learn — BN pins their mean and "
         "variance. Four toy examples put each claim to the test, including the ones that fail.")
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
       options=SHIFT_MODELS, help="Whose decision boundary the left plot draws.")),
    DATA + (
        C(key="layer", label="Layer l", default=2, group="View", kind="slider", min=1, max=4,
          step=1, help="Hidden layer to watch (clipped to the number of layers)."),
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
          options=SIZES, help="Left histogram."),
        C(key="m2", label="Large batch m₂", default=64, group="View", kind="select",
          options=SIZES, help="Right histogram."),
        C(key="nlayer", label="Layer l", default=1, group="View", kind="slider", min=1, max=4,
          step=1, help="Layer whose μ_B, σ²_B are shown (clipped to the number of layers)."),
        C(key="nunit", label="Unit j", default=1, group="View", kind="slider", min=1, max=32,
          step=1, help="Unit whose μ_B is shown (clipped to the width).")),
    DATA + (
        C(key="sigma", label="Noise σ after BN", default=0.5, group="Training", kind="slider",
          min=0.05, max=1.5, step=0.05, help="Noisy BN: z̃·(1 + σξ₁) + σξ₂ per unit, fresh "
          "ξ ~ N(0, 1) every step."),
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
    return ShiftView(
        scene=figs.shift_scene(models.X_train, models.y_train[i], Xt[0], yt[0], grid, model,
                               XLIM, YLIM),
        accuracy=figs.shift_accuracy(sweep.table, shift), rules=figs.rule_bars(rules),
        sweep=sweep, now=cv.shift_at(sweep, shift), rule_acc=cv.rule_accuracy(rules),
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
                             zt_unit, logx)
    return top, bottom


@st.cache_resource(max_entries=8, show_spinner="Drawing many mini-batches…")
def batch_noise(d: DataKey, net: NetKey) -> cv.BatchNoise:
    """μ_B, σ²_B of every layer over 256 mini-batches of every size, for the trained BN net."""
    runs = layer_runs(d, net)
    return cv.batch_noise(runs.bn.params, runs.bn.net, runs.X, cv.BATCH_SIZES, n_batches=256,
                          seed=DATA_SEED)


# ---------------------------------------------------------------- 4. noisy BN
@st.cache_resource(max_entries=6, show_spinner="Training no BN, BN and noisy BN (all seeds)…")
def noisy_runs(d: DataKey, net: NetKey, noise: float, n_seeds: int) -> cv.NoisyComparison:
    X, y, Xt, yt = data.train_test(d.dataset, N_TRAIN, N_TEST, d.noise, DATA_SEED)
    seeds = [net.seed + i for i in range(n_seeds)]
    return cv.noisy_comparison(X, y, Xt, yt, net.hidden, net.activation, net.cfg(), noise,
                               seeds)


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


def shift_takeaway(shift: float, now: cv.ShiftAt) -> str:
    return (f"Trained on the left cloud, tested {shift:g} to the right: on fresh data from "
            f"the training region the BN network scores {now.train_bn:.0%} (without "
            f"BN {now.train_no_bn:.0%}); on the shifted cloud {now.bn:.0%} with BN "
            f"and {now.no_bn:.0%} without — BN with its training statistics does not "
            f"repair input shift. AdaBN recalibration: {now.adabn:.0%}; always "
            f"answering the majority class: {now.majority:.0%}.")


ADABN_EQUATION = (r"\hat\mu \leftarrow \frac{1}{n}\sum_{i} z^{(i)}_{\text{test}},\quad"
                  r"\hat\sigma^2 \leftarrow \frac{1}{n}\sum_i (z^{(i)}_{\text{test}}-\hat\mu)^2"
                  r"\quad\text{in every BN layer, weights unchanged; then}")


def rules_text(ra: cv.RuleAccuracy, shift: float) -> str:
    """When recalibration helps (the line) and when it cannot (sine, circle)."""
    acc, maj = ra.accuracy, ra.majority
    return (
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


def layer_symbol(quantity: str, layer: int) -> str:
    return {"a_prev": f"a^[{layer - 1}]", "z": f"z^[{layer}]", "z_tilde": f"z̃^[{layer}]"}[quantity]


def layer_label(quantity: str, layer: int, unit: int) -> str:
    """Axis label of the distribution plot (``unit`` 0-based)."""
    data_note = " (= the data x)" if quantity == "a_prev" and layer == 1 else ""
    return f"{layer_symbol(quantity, layer)}, unit {unit + 1}{data_note}"


def layer_diverged(key: str, run: cv.LayerRun) -> str:
    return (f"{nt.MODELS[key].label}: training diverged at step {run.diverged_at}; the plot "
            "stops there.")


def drift_takeaway(sym: str, lv: cv.LayerView, net: NetKey, dataset: str) -> str:
    return (f"Over {lv.bn.steps[-1]} steps the distribution of {sym} travelled "
            f"D = {lv.no_bn.drift:.2f} of its own standard deviations without BN and "
            f"D = {lv.bn.drift:.2f} with BN ({setting(net)}, {nt.DATASETS[dataset].label}).")


DRIFT_EQUATION = (r"D = \frac{\operatorname{mean}_j \sum_s \left(|m_j(s{+}1)-m_j(s)| + "
                  r"|d_j(s{+}1)-d_j(s)|\right)}{\operatorname{mean}_{j,s}\, d_j(s)}")


def drift_caption(n_snapshots: int) -> str:
    return (f"m_j(s), d_j(s): mean and standard deviation of unit j over the training set at "
            f"snapshot s ({n_snapshots} snapshots, dense early). D = 0: mean and spread never "
            "move. D only sees mean and spread, not the shape of the distribution.")


def pinning_takeaway(layer: int, pin: cv.Pinning) -> str:
    return (f"With BN the mean of z̃^[{layer}] equals β to within {pin.off_mean:.0e} and its "
            f"variance equals γ² to within a factor 1 ± {pin.off_var:.0e} at every step — they "
            f"move only as fast as β and γ are learned (β ranged over {pin.beta_range:.2f} per "
            f"unit on average); without BN the unit means ranged over {pin.plain_range:.2f}.")


def constant_unit(nv: cv.NoiseView) -> str:
    return (f"Unit {nv.unit + 1} of layer {nv.layer} is constant over the training set "
            "(σ = 0): its μ_B never varies. Choose another unit.")


def noise_takeaway(nv: cv.NoiseView) -> str:
    a, b = nv.i_small, nv.i_large
    return (f"μ_B of unit {nv.unit + 1} in layer {nv.layer} varies from batch to batch with "
            f"standard deviation {nv.sd_mu[a]:.3f} at m = {nv.m_small} and "
            f"{nv.sd_mu[b]:.3f} at m = {nv.m_large} (σ/√m·√((N−m)/(N−1)) predicts "
            f"{nv.law_fpc[a]:.3f} and {nv.law_fpc[b]:.3f}); in train mode every example is "
            "normalised with these noisy statistics.")


def upper_layer_caption(layer: int) -> str | None:
    return (f"Layer {layer}: its inputs were normalised with the same mini-batch below, which "
            "ties μ_B to the lower layers' γ and β — the law is exact for layer 1 only."
            if layer > 1 else None)


def gap_takeaway(nv: cv.NoiseView) -> str:
    a, b = nv.i_small, nv.i_large
    return (f"Train-mode outputs (batch statistics) differ from eval-mode outputs "
            f"(population statistics) by {nv.out_diff[a]:.3f} in probability on average "
            f"at m = {nv.m_small} ({nv.flips[a]:.1%} of predictions flip) and by "
            f"{nv.out_diff[b]:.3f} at m = {nv.m_large} ({nv.flips[b]:.1%}).")


REGULARISER_NOTE = (
    "The lecture: μ_B and σ²_B come from one mini-batch, so they add a little noise to every "
    "z̃ — like dropout, a **slight regularisation**, and a larger batch means less noise and "
    "less of it. It is an unintended **side effect**: don't use BN as a regulariser; use it to "
    "normalise the hidden units and speed up learning, and use dropout or L2 when you need "
    "regularisation.")
NOISY_EQUATION = (r"\tilde z = \left(\gamma\, z_{\text{norm}} + \beta\right)(1 + \sigma\xi_1)"
                  r" + \sigma\xi_2,\qquad \xi_1, \xi_2 \sim \mathcal N(0, 1)"
                  r"\ \text{per unit, new every step; none at test time}")


def noisy_diverged(runs: list[tuple[str, int]]) -> str:
    return ("Some runs diverged: " + ", ".join(f"{nt.MODELS[v].label} seed {s}"
                                               for v, s in runs)
            + ". Try a smaller learning rate.")


def noisy_takeaway(means: cv.NoisyMeans, n_seeds: int, sigma: float, layer: int, net: NetKey,
                   dataset: str) -> str:
    accs = ", ".join(f"{nt.MODELS[k].short}" + (f" (σ = {sigma:g})" if k == "noisy_bn" else "")
                     + f" {means.test_acc[k]:.3f}" for k in cv.VARIANTS)
    drifts = ", ".join(f"{means.drift[k]:.1f}" for k in cv.VARIANTS)
    return (f"Final test accuracy, mean of {n_seeds} seed(s) ({setting(net)}, "
            f"{nt.DATASETS[dataset].label}): {accs}. Drift D of z̃^[{layer}]: {drifts}.")


def noisy_verdict_text(verdict: cv.NoisyVerdict, sigma: float) -> str:
    """The verdict in this simulation, then what the paper found."""
    if verdict.outcome == "holds":
        said = (f"Noisy BN has {verdict.drift_ratio:.0f}× the drift of BN and still trains "
                "about as well: here, reducing covariate shift is not what makes the BN "
                "network train.")
    else:
        said = (f"With σ = {sigma:g} noisy BN trains worse than BN ({verdict.noisy_acc:.3f} vs "
                f"{verdict.bn_acc:.3f}): this much noise does hurt here. In the paper's "
                "experiment the injected noise left training almost unaffected — try a "
                "smaller σ.")
    return (f"**In this simulation:** {said} Santurkar, Tsipras, Ilyas & Mądry, *How Does "
            "Batch Normalization Help Optimization?* (NeurIPS 2018), ran this experiment on "
            "deep networks (VGG on CIFAR-10): BN with injected noise had far more “internal "
            "covariate shift” yet trained about as well as BN and better than no BN. They "
            "argue BN helps because it makes the optimisation landscape smoother, not because "
            "it reduces the shift.")


TOY_CAVEAT = ("On toy problems like these the network without BN usually trains fine too, so "
              "this page cannot show BN's speed-up itself — only whether the injected shift "
              "stops BN from working.")
