"""The "Inside a BN layer" page's declarations, cached work and sentences.

* **Controls and presets**, declared once (:data:`CONTROLS`, :data:`PRESETS`), all bound to the
  URL. The network looked inside is trained once per Data/Network/Training setting (cached);
  layer, unit, step, b^[l], γ, β and "show numbers" only change the view and never retrain.
* **Cached work**, keyed on scalars: the network (``bnsim.ui.cache.train_on_dataset``), the four
  optimisers' runs, and the learning-rate sweep (one stacked pass of the seeds per α and
  with/without BN).
* **Sentences**: each judging sentence is a :class:`bnsim.verdict.Verdict` computed in
  ``bnsim.inside_layer`` from the numbers beside it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import streamlit as st

from bnsim import inside_layer as E
from bnsim import notation as nt
from bnsim.figures import inside_layer as figs
from bnsim.ui import controls as ui
from bnsim.ui.cache import Trained, train_on_dataset
from bnsim.verdict import Verdict, num, pct

TITLE = "Inside a BN layer"
# One line (projector-first: each tab's chart fits the first 1280×720 screen); the rest is in
# the "About this page" expander at the end (:data:`ABOUT`).
INTRO = ("One mini-batch of a trained network through one BN layer, operation by operation — "
         "then what $\\gamma$, $\\beta$ do, how they are learned, and what BN buys.")
ABOUT = ("The lecture *Fitting batch norm into a neural network*, one operation at a time: a "
         "mini-batch of a trained network goes through one BN layer — "
         "$z = W a$ (no $b$), $\\mu_B$, $z-\\mu_B$, $\\sigma^2_B$, $z_\\text{norm}$, "
         "$\\tilde z = \\gamma z_\\text{norm} + \\beta$, $a = g(\\tilde z)$ — then why "
         "$b^{[l]}$ is redundant, what $\\gamma$ and $\\beta$ can do, how they are learned, "
         "and what BN buys: training that is faster and tolerates larger learning rates (and "
         "where it does not).\n\n"
         "- **One mini-batch**: the rows chart follows unit j of layer l through BN at one "
         "training step; the formulas beside the numbers give each row's operation and shape "
         "(one column per example); the b^[l] slider shows that b is cancelled.\n"
         "- **γ and β**: the learned γ, β, two sliders (the rows follow them in the browser "
         "while you drag) or *Undo BN*; the activation curve shows where the batch sits on g.\n"
         "- **Learning γ, β**: γ and β over training under four optimisers.\n"
         "- **With vs without BN**: a learning-rate sweep of a deep network with and without "
         "BN, several seeds each.")
# Chart heights chosen so that each tab's first chart and its takeaway fit 1280×720.
ROWS_HEIGHT, GB_HEIGHT, CHART_HEIGHT = 400, 400, 380
TABS = ("One mini-batch", "γ and β", "Learning γ, β", "With vs without BN")
N_TRAIN, N_TEST, DATA_SEED = 400, 400, 0
EPS = 1e-5  # the network's ε (bnsim.network.NetConfig default)
OPT_LR = {"gd": 0.3, "momentum": 0.3, "rmsprop": 0.01, "adam": 0.01}  # tab 3: α per optimiser
GB_MODES = {"learned": "learned", "sliders": "sliders", "undo": "undo BN"}
GB_LABEL = "γ, β used"

# ---------------------------------------------------------------- controls
C = ui.Control
LRS = {v: f"{v:g}" for v in E.LRS}
SIZES = {m: str(m) for m in (2, 4, 8, 16, 32, 64)}
OPTS = nt.labels(nt.OPTIMIZERS)
CONTROLS = (
    C(key="dataset", label="Dataset", default="moons", group="Data", kind="select",
      options=nt.labels(nt.DATASETS), help="Toy 2-D data set (400 training, 400 test examples)."),
    C(key="dnoise", label="Data noise", default=0.15, group="Data", kind="slider", min=0.0,
      max=0.5, step=0.05, help="Gaussian noise added to the inputs."),
    C(key="layers", label="Hidden layers", default=2, group="Network", kind="slider", min=1,
      max=4, step=1, help="Hidden layers of the network looked inside (each with BN)."),
    C(key="units", label="Units per hidden layer n^[l]", default=8, group="Network",
      kind="slider", min=2, max=16, step=1, help="Width of every hidden layer."),
    C(key="act", label="Activation g", default="sigmoid", group="Network", kind="select",
      options=nt.labels(nt.ACTIVATIONS), help="Activation after each hidden layer."),
    C(key="opt", label="Optimiser", default="adam", group="Training", kind="select",
      options=OPTS, help="Optimiser of the network looked inside."),
    C(key="lr", label="Learning rate α", default=0.01, group="Training", kind="select",
      options=LRS, help="Learning rate of the network looked inside."),
    C(key="batch", label="Mini-batch size m", default=8, group="Training", kind="select",
      options=SIZES, help="Examples per mini-batch (the numbers are listed for m ≤ 8)."),
    C(key="steps", label="Training steps", default=1000, group="Training", kind="slider",
      min=200, max=5000, step=100, help="Number of mini-batches."),
    C(key="seed", label="Seed", default=0, group="Training", kind="number", min=0, max=99,
      step=1, help="Initial weights and mini-batch order."),
    C(key="sw_depth", label="Sweep: hidden layers", default=4, group="Network", kind="slider",
      min=1, max=4, step=1, help="With vs without BN: depth of both networks (16 units each)."),
    C(key="sw_act", label="Sweep: activation", default="sigmoid", group="Network",
      kind="select", options=nt.labels(nt.ACTIVATIONS),
      help="With vs without BN: activation of both networks."),
    C(key="sw_opt", label="Sweep: optimiser", default="gd", group="Training", kind="select",
      options=OPTS, help="With vs without BN: the optimiser of both (m = 32, "
      f"{E.SweepSetting().steps} steps)."),
    C(key="sw_seeds", label="Sweep: seeds", default=3, group="Training", kind="slider", min=1,
      max=5, step=1, help="Seeds per setting, trained in one stacked pass."),
    C(key="sw_lr", label="Sweep: α shown", default=0.3, group="View", kind="select",
      options=LRS, help="The learning rate whose loss curves and verdict are shown. "
      "Never retrains."),
    C(key="layer", label="Layer l", default=2, group="View", kind="slider", min=1, max=4,
      step=1, help="Hidden layer to look inside (clipped to the number of layers)."),
    C(key="unit", label="Unit j", default=1, group="View", kind="slider", min=1, max=16,
      step=1, help="Unit of that layer, numbered from 1 (clipped to the width)."),
    C(key="step", label="Training step", default=5000, group="View", kind="slider", min=1,
      max=5000, step=1, help="The mini-batch of this step (the latest recorded step at or "
      "before it; clipped to the steps trained)."),
    C(key="bias", label="Bias b^[l] before BN", default=0.0, group="View", kind="slider",
      min=-5.0, max=5.0, step=0.1, help="Adds b^[l] to z before BN: z moves, z_norm does not."),
    C(key="gb", label=GB_LABEL, default="learned", group="View", kind="radio",
      options=GB_MODES, help="Which γ, β the rows after z_norm use: as learned by "
      "training, the two sliders, or undo BN (γ = √(σ²_B + ε), β = μ_B)."),
    C(key="gamma", label="γ (slider)", default=1.0, group="View", kind="slider", min=0.0,
      max=5.0, step=0.05, help="Used when “γ, β used” is “sliders”."),
    C(key="beta", label="β (slider)", default=0.0, group="View", kind="slider", min=-5.0,
      max=5.0, step=0.05, help="Used when “γ, β used” is “sliders”."),
    C(key="numbers", label="Show numbers", default=True, group="View", kind="toggle",
      help=f"List the values of every row (for m ≤ {E.SHOW_NUMBERS_MAX_M})."),
    C(key="paths", label="Optimisers for γ, β", default=list(OPTS), group="View",
      kind="multiselect", options=OPTS, help="Whose γ, β trajectories to draw."),
)
PRESETS = {  # lecture moments, in button order (tests click _preset_0 … _preset_4)
    "b^[l] is cancelled": ui.Preset(values={"bias": 3.0}, tab=TABS[0]),
    "γ, β undo BN": ui.Preset(values={"gb": "undo"}, tab=TABS[1]),
    "sigmoid stuck in its linear part": ui.Preset(
        values={"gb": "sliders", "gamma": 1.0, "beta": 0.0, "act": "sigmoid"}, tab=TABS[1]),
    "BN rescues a deep sigmoid net at α = 0.3": ui.Preset(
        values={"sw_depth": 4, "sw_act": "sigmoid", "sw_opt": "gd", "sw_lr": 0.3}, tab=TABS[3]),
    "Adam vs gradient descent for γ, β": ui.Preset(values={"paths": ["gd", "adam"]},
                                                   tab=TABS[2]),
}


UNDO_LABEL = r"Undo BN: $\gamma = \sqrt{\sigma^2_B + \varepsilon}$, $\beta = \mu_B$"  # typeset


def set_undo() -> None:
    """The undo button: γ, β from the mini-batch so that z̃ = z."""
    st.session_state["gb"] = GB_MODES["undo"]


# ---------------------------------------------------------------- cached work
def train_run(v: dict[str, Any], optimizer: str | None = None, lr: float | None = None
              ) -> Trained:
    """The network looked inside (BN in every hidden layer), trained once per setting."""
    layers = int(v["layers"])
    return train_on_dataset(
        v["dataset"], noise=float(v["dnoise"]), n_train=N_TRAIN, data_seed=DATA_SEED,
        hidden=(int(v["units"]),) * layers, bn=(True,) * layers, activation=v["act"],
        optimizer=optimizer or v["opt"], lr=float(lr if lr is not None else v["lr"]),
        batch_size=int(v["batch"]), steps=int(v["steps"]), seed=int(v["seed"]),
        n_test=N_TEST)


@st.cache_resource(max_entries=8, show_spinner=False)
def batches(dataset: str, dnoise: float, layers: int, units: int, act: str, opt: str,
            lr: float, batch: int, steps: int, seed: int) -> E.Batches:
    """Every snapshot's mini-batch through every layer of the network looked inside, replayed
    once per training setting (layer, unit and step then only pick from it)."""
    run = train_run(dict(dataset=dataset, dnoise=dnoise, layers=layers, units=units, act=act,
                         opt=opt, lr=lr, batch=batch, steps=steps, seed=seed))
    return E.snapshot_batches(run.trace, run.X, run.y)


def batches_of(v: dict[str, Any]) -> E.Batches:
    return batches(v["dataset"], float(v["dnoise"]), int(v["layers"]), int(v["units"]),
                   v["act"], v["opt"], float(v["lr"]), int(v["batch"]), int(v["steps"]),
                   int(v["seed"]))


class View(NamedTuple):
    """What tabs 1 and 2 show: the mini-batch, its staged rows and the checks."""

    layer: int  # 1-based, clipped
    unit: int  # 1-based, clipped
    batch: E.Batch
    base: E.Stages  # with the learned γ, β, no bias
    shown: E.Stages  # with the chosen bias and γ, β
    gamma: float
    beta: float
    gb: str
    notes: tuple[str, ...]
    around: E.Around  # the neighbours along layer, unit and step (for the in-browser redraw)


def view(run: Trained, table: E.Batches, v: dict[str, Any]) -> View:
    """The mini-batch of the chosen step through layer l, unit j (values clipped, with notes);
    ``table``: :func:`batches` of the same run."""
    net, T = run.trace.net, len(run.trace.loss)
    notes = []
    layer = min(int(v["layer"]), net.n_layers)
    unit = min(int(v["unit"]), net.hidden[layer - 1])
    if layer != v["layer"]:
        notes.append(f"The network has {net.n_layers} hidden layer(s): showing layer {layer}.")
    if unit != v["unit"]:
        notes.append(f"Layer {layer} has {net.hidden[layer - 1]} units: showing unit {unit}.")
    step = min(int(v["step"]), T)
    batch = table.at(step, layer)
    z = batch.z[:, unit - 1]
    act = net.activation
    base = E.stages(z, batch.gamma[unit - 1], batch.beta[unit - 1], net.eps, act)
    if v["gb"] == "undo":
        gamma, beta = E.undo(E.stages(z + v["bias"], 1.0, 0.0, net.eps, act))
    elif v["gb"] == "sliders":
        gamma, beta = float(v["gamma"]), float(v["beta"])
    else:
        gamma, beta = float(batch.gamma[unit - 1]), float(batch.beta[unit - 1])
    shown = E.stages(z, gamma, beta, net.eps, act, b=float(v["bias"]))
    return View(layer, unit, batch, base, shown, gamma, beta, v["gb"], tuple(notes),
                E.around(table, step, int(v["layer"]), int(v["unit"])))


@st.cache_resource(max_entries=8, show_spinner="Training with four optimisers…")
def optimizer_paths(dataset: str, dnoise: float, layers: int, units: int, act: str,
                    batch: int, steps: int, seed: int, layer: int, unit: int) -> list:
    """γ^[l]_j, β^[l]_j over training for each optimiser at its :data:`OPT_LR`."""
    v = dict(dataset=dataset, dnoise=dnoise, layers=layers, units=units, act=act, batch=batch,
             steps=steps, seed=seed)
    return [E.param_path(train_run(v, opt, lr).trace, layer, unit - 1)
            for opt, lr in OPT_LR.items()]


@st.cache_resource(max_entries=8, show_spinner="Training the sweep (with and without BN)…")
def sweep(depth: int, activation: str, optimizer: str, n_seeds: int) -> E.Sweep:
    """The learning-rate sweep, with and without BN, one stacked pass of the seeds each."""
    return E.sweep(E.SweepSetting(depth=depth, activation=activation, optimizer=optimizer,
                                  n_seeds=n_seeds))


def sweep_of(v: dict[str, Any]) -> E.Sweep:
    return sweep(int(v["sw_depth"]), v["sw_act"], v["sw_opt"], int(v["sw_seeds"]))


# ---------------------------------------------------------------- in-browser redraw
# While a view slider moves, the rows chart redraws in the browser before the server answers:
# layer l, unit j and the training step pick another z that travels with the chart
# (bnsim.inside_layer.Around); in the sliders' mode γ and β too. The activation curve follows
# γ and β the same way (closed form in z_norm). The server's figure follows on release.
VIEW_SLIDERS = {name: next(c.label for c in CONTROLS if c.key == name)
                for name in ("layer", "unit", "step")}
GB_SLIDERS = {name: next(c.label for c in CONTROLS if c.key == name) for name in ("gamma", "beta")}


def rows_preview(vw: View, run: Trained, v: dict[str, Any]) -> dict:
    """The in-browser recipe of the rows figure of :func:`view`."""
    sliders = VIEW_SLIDERS | (GB_SLIDERS if vw.gb == "sliders" else {})
    return figs.stages_preview(
        vw.around, run.y[vw.around.step_idx], drawn={k: v[k] for k in sliders},
        sliders=sliders, mode=vw.gb, b=float(v["bias"]), eps=run.trace.net.eps,
        activation=run.trace.net.activation)


def curve_preview(vw: View) -> dict | None:
    """The in-browser recipe of the activation curve, only when the sliders set γ, β."""
    return figs.curve_preview(vw.shown, GB_SLIDERS) if vw.gb == "sliders" else None


def curve_label(vw: View) -> str:
    return figs.curve_label(vw.gamma, vw.beta)


# ---------------------------------------------------------------- sentences
def shape_line(vw: View, m: int) -> str:
    n = vw.batch.W.shape[0]
    return (f"Layer {vw.layer} has n^[{vw.layer}] = {n} units and the mini-batch m = {m} "
            f"examples: Z^[{vw.layer}] is ({n}, {m}) — one column per example, as in the "
            f"lecture. The rows below follow unit j = {vw.unit}: its {m} values at training "
            f"step {vw.batch.step}.")


def shape_of(key: str, n: int, m: int) -> str:
    """The array's shape in the lecture's column-per-example notation."""
    return f"({n}, {m})" if key in E.PER_EXAMPLE else f"({n}, 1)"


def stage_formulas(n: int, m: int) -> str:
    """Every row's formula and shape in ONE aligned ``st.latex`` block. It depends only on
    n and m, so moving layer, unit, step, γ or β sends the browser the same bytes (nothing to
    re-typeset)."""
    rows = [rf"{formula} &\qquad {shape_of(key, n, m)}" for key, formula, _ in E.STAGES]
    return r"\begin{aligned}" + r" \\[2pt] ".join(rows) + r"\end{aligned}"


def numbers_markdown(s: E.Stages, n: int) -> str:
    """The values of every row (m ≤ 8) as a Markdown table: one light element (a plain table,
    no data grid) whose text changes with layer, unit, step, γ and β."""
    m = len(s.z)
    head = ["operation", "shape"] + [f"i = {i + 1}" for i in range(m)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 2 + "--:|" * m]
    for key, _, label in E.STAGES:
        vals = list(s.row(key))
        cells = [f"{x:.4g}" for x in vals] + [""] * (m - len(vals))
        lines.append("| " + " | ".join([label, shape_of(key, n, m), *cells]) + " |")
    return "\n".join(lines)


def _rounded(x: float) -> float:
    """0 for a value that is 0 up to rounding (|x| < 1e-12)."""
    return 0.0 if abs(x) < 1e-12 else x


def rows_takeaway(s: E.Stages) -> str:
    return (f"μ_B = {num(s.mu)} and σ²_B = {num(s.sigma2)} centre and scale the {len(s.z)} "
            f"values to z_norm (mean {num(_rounded(float(np.mean(s.z_norm))))}, variance "
            f"{num(float(np.var(s.z_norm)))}); γ = {num(s.gamma)} and β = {num(s.beta)} then "
            f"give z̃ mean {num(_rounded(float(np.mean(s.z_tilde))))} and standard deviation "
            f"{num(float(np.std(s.z_tilde)))}.")


BIAS_ALGEBRA = (r"z + b - \mu_{B}(z + b) = z + b - (\mu_B + b) = z - \mu_B"
                r"\quad\Rightarrow\quad z_{\text{norm}}\ \text{does not depend on}\ b^{[l]},"
                r"\ \text{so}\ \beta^{[l]}\ \text{takes its role}")


def bias_verdict(vw: View) -> Verdict:
    s = vw.base
    return E.bias_claim(E.bias_check(s.z, vw.shown.b, vw.gamma, vw.beta, s.eps, s.activation))


def gb_line(vw: View) -> str:
    return {"learned": f"γ = {num(vw.gamma)}, β = {num(vw.beta)} as learned by training "
                       f"(layer {vw.layer}, unit {vw.unit}, step {vw.batch.step}).",
            "sliders": f"γ = {num(vw.gamma)}, β = {num(vw.beta)} from the sliders.",
            "undo": f"γ = √(σ²_B + ε) = {num(vw.gamma)}, β = μ_B = {num(vw.beta)}: "
                    "BN undone."}[vw.gb]


def undo_takeaway(vw: View) -> str:
    s = vw.shown
    if vw.gb != "undo":
        return (f"z̃ now has mean {num(float(np.mean(s.z_tilde)))} and standard deviation "
                f"{num(float(np.std(s.z_tilde)))}: with γ and β any mean and variance is "
                "possible. Press **Undo BN** to get z back.")
    diff = float(np.max(np.abs(s.z_tilde - s.z)))
    return (f"With γ = √(σ²_B + ε) = {num(vw.gamma)} and β = μ_B = {num(vw.beta)}, z̃ equals z "
            f"to {diff:.1e} (rounding): γ and β can undo BN entirely, so BN never takes a "
            "representation away from the network.")


def middle_verdict(vw: View) -> Verdict:
    mid = E.layer_middle(vw.batch, EPS, vw.base.activation)
    return E.sigmoid_claim(mid, vw.base.activation, True, vw.layer)


def paths_takeaway(paths, layer: int, unit: int) -> str:
    names = nt.labels(nt.OPTIMIZERS)
    if not paths:
        return "Pick at least one optimiser to draw."
    parts = [f"{names[p.optimizer]} (α = {OPT_LR[p.optimizer]:g}): γ^[{layer}]_{unit} = "
             f"{num(float(p.gamma[-1]))}, β^[{layer}]_{unit} = {num(float(p.beta[-1]))}, "
             f"test accuracy {pct(p.test_acc)}" for p in paths]
    return "At the last recorded step — " + "; ".join(parts) + "."


UPDATE_RULES = {  # the lecture's update rules, written for γ (β alike)
    "gd": r"\gamma := \gamma - \alpha\, d\gamma",
    "momentum": r"v_{d\gamma} = \beta_1 v_{d\gamma} + (1-\beta_1)\, d\gamma,\quad "
                r"\gamma := \gamma - \alpha\, v_{d\gamma}\quad(\beta_1 = 0.9)",
    "rmsprop": r"s_{d\gamma} = \beta_2 s_{d\gamma} + (1-\beta_2)\, d\gamma^2,\quad "
               r"\gamma := \gamma - \alpha\,\frac{d\gamma}{\sqrt{s_{d\gamma}} + \varepsilon}"
               r"\quad(\beta_2 = 0.999)",
    "adam": r"\hat v = \frac{v_{d\gamma}}{1-\beta_1^t},\ \hat s = \frac{s_{d\gamma}}"
            r"{1-\beta_2^t},\quad \gamma := \gamma - \alpha\,\frac{\hat v}{\sqrt{\hat s}"
            r" + \varepsilon}",
}
FRAMEWORK_CODE = """# PyTorch: the layer before BN needs no bias (β takes its role)
nn.Linear(n_prev, n, bias=False), nn.BatchNorm1d(n)          # momentum=0.1 = 1 − β_EMA
# Keras
layers.Dense(n, use_bias=False), layers.BatchNormalization()  # momentum=0.99 = β_EMA
# γ and β are ordinary parameters: optimizer.step() updates them with W."""


def sweep_takeaway(sw: E.Sweep, lr: float) -> Verdict:
    return E.bn_claim(E.compare_at(sw, lr))


def largest_lr_line(sw: E.Sweep) -> str:
    def say(bn):
        x = sw.largest_training_lr(bn)
        return f"α = {x:g}" if np.isfinite(x) else "no α of the sweep"
    s = sw.setting
    return (f"{s.depth} hidden layer(s) of {s.units} {s.activation} units, "
            f"{nt.OPTIMIZERS[s.optimizer].label}, {s.steps} steps, {s.n_seeds} seed(s) each. "
            f"The largest α that still trains (mean test accuracy ≥ {pct(E.TRAINS_ACC, 0)}): "
            f"{say(True)} with BN, {say(False)} without.")


GLOSSARY_TERMS = ("train mode", "eval mode", "running estimate", "β_EMA", "nearly linear middle",
                  "still trains", "i.i.d. mini-batches")
