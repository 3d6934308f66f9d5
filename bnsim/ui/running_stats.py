"""The "Running statistics" page's declarations and its bridge to the core: the controls
(:data:`CONTROLS`, bound to the URL), the lecture moments (:data:`PRESETS`), the tabs, the
cached training run (scalar keys only, via :func:`bnsim.ui.cache.train_on_dataset`), the view
computed from it without any retraining, and the sentences (takeaways, captions, β_EMA in
PyTorch and Keras terms, the framework table) that quote the numbers.

Only training is cached: β_EMA, the estimators, the layer, the unit, the variance kind and the
step are recomputed from the recorded mini-batch statistics on every rerun (a few ms).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from bnsim import notation
from bnsim import running_stats as E
from bnsim.figures.running_stats import MAX_LINE_POINTS, dot_stride
from bnsim.train import TrainTrace
from bnsim.ui.cache import train_on_dataset
from bnsim.ui.controls import Control, Preset

TITLE = "Running statistics"
INTRO = ("Every mini-batch gives its own $\\mu_B$, $\\sigma^2_B$ for each unit of layer $l$; a "
         "single test example needs fixed values instead: an exponentially weighted average "
         "collected during training. Watch it form, and how far it is from the true "
         "(population) statistics.")
N_TRAIN = 400

CONTROLS = (
    Control(key="dataset", label="Dataset", default="moons", group="Data", kind="select",
            help="Toy 2-D classification data the network learns.",
            options=notation.labels(notation.DATASETS),
            legacy={"Xor": "xor"}),  # the label was "Xor" before the registry
    Control(key="noise", label="Noise", default=0.1, group="Data", kind="slider",
            help="Standard deviation of the noise added to the inputs.",
            min=0.0, max=1.0, step=0.05),
    Control(key="depth", label="Hidden layers", default=2, group="Network", kind="slider",
            help="Number of hidden layers L.", min=1, max=4, step=1),
    Control(key="width", label="Units per layer", default=16, group="Network", kind="slider",
            help="Units n^[l] in every hidden layer.", min=2, max=64, step=1),
    Control(key="bn", label="BN in layers", default=["1", "2", "3", "4"], group="Network",
            kind="multiselect",
            help="Hidden layers with Batch Normalization (layers beyond the depth are ignored).",
            options={str(i): f"layer {i}" for i in range(1, 5)}),
    Control(key="act", label="Activation", default="relu", group="Network", kind="select",
            help="Activation g after BN.", options=notation.labels(notation.ACTIVATIONS)),
    Control(key="batch", label="Batch size m", default=32, group="Training", kind="slider",
            help="Examples per mini-batch: small m gives noisy μ_B, σ²_B. Changing it retrains.",
            min=2, max=256, step=1),
    Control(key="opt", label="Optimiser", default="adam", group="Training", kind="select",
            help="How the weights are updated.", options=notation.labels(notation.OPTIMIZERS)),
    Control(key="lr", label="Learning rate", default="0.01", group="Training", kind="select",
            help="Step size α of the optimiser.",
            options={v: v for v in ("0.0003", "0.001", "0.003", "0.01", "0.03", "0.1", "0.3")}),
    Control(key="steps", label="Training steps", default=1000, group="Training", kind="slider",
            help="Number of mini-batches T.", min=50, max=5000, step=50),
    Control(key="seed", label="Seed", default=0, group="Training", kind="number",
            help="Seeds the data, the initial weights and the mini-batch order.",
            min=0, max=9999, step=1),
    Control(key="beta", label="β_EMA (EMA coefficient)", default=0.9, group="View",
            kind="slider",
            help="v_t = β_EMA·v_{t−1} + (1 − β_EMA)·θ_t — not the BN shift β. PyTorch "
                 "momentum = 1 − β_EMA, Keras momentum = β_EMA. Never retrains.",
            min=0.0, max=0.999, step=0.001, format="%.3f"),
    Control(key="ema", label="EMA (lecture, v₀ = 0 / 1)", default=True, group="View",
            kind="toggle",
            help="The EMA as the lecture writes it, starting at 0 for the mean and 1 for the "
                 "variance, as PyTorch and Keras do."),
    Control(key="bc", label="Bias correction v_t/(1 − β_EMA^t)", default=True, group="View",
            kind="toggle", help="The EMA with the start value's weight β_EMA^t removed."),
    Control(key="cum", label="Cumulative average", default=True, group="View", kind="toggle",
            help="Plain average of all mini-batches so far: PyTorch BatchNorm with "
                 "momentum=None."),
    Control(key="pop", label="Population statistics", default=True, group="View",
            kind="toggle",
            help="μ and σ² of z over the whole training set with the weights of that step — "
                 "what the estimates try to follow."),
    Control(key="var", label="Variance", default="unbiased", group="View", kind="radio",
            help="PyTorch averages the unbiased m/(m−1)·σ²_B, Keras the biased σ²_B.",
            options=notation.labels(notation.VARIANCES)),
    Control(key="logx", label="Log step axis", default=False, group="View", kind="toggle",
            help="Logarithmic step axis in the trajectory plot: spreads out the first steps, "
                 "where the estimates form."),
    Control(key="layer", label="Layer l", default=2, group="View", kind="slider",
            help="Hidden layer to watch (clipped to the network's depth).",
            min=1, max=4, step=1),
    Control(key="unit", label="Unit j", default=0, group="View", kind="slider",
            help="Unit of that layer (clipped to its width).", min=0, max=63, step=1),
    Control(key="step", label="Step for the histogram", default=10, group="View",
            kind="slider",
            help="Training step of the distribution view (the nearest step with stored "
                 "weights is shown).",
            min=1, max=5000, step=1),
    Control(key="tol", label="Tolerance (%)", default=10, group="View", kind="slider",
            help="'Within x %' in the takeaway and the error plot: of σ_pop for the mean, of "
                 "σ²_pop for the variance.",
            min=1, max=50, step=1),
)
BETA_LABEL = next(c.label for c in CONTROLS if c.key == "beta")  # the live chart follows it
# Lecture moments; the tests click them by position (_preset_0, ...): keep labels and order.
PRESETS = {
    "β_EMA = 0.9 as in the lecture": Preset(values={}),
    "β_EMA = 0.999: a very slow estimate": Preset(values={"beta": 0.999}),
    "Tiny batches: noisy μ_B, biased σ²_B": Preset(
        values={"batch": 4, "var": "biased", "layer": 1, "unit": 3}),
    "Network still learning: the estimate trails": Preset(
        values={"lr": "0.1", "beta": 0.99, "unit": 2}),
}
# Lazy tabs bound to the URL (?panel=...): only the open one is computed. Names are in links.
PANELS = ("Error vs population", "Step by step", "Distribution at a step", "PyTorch & Keras",
          "Formulas")
PANELS_WITHOUT_ESTIMATE = ("Distribution at a step", "Formulas")  # shown in a layer without BN
NO_BN_PANEL = "No running estimate in a layer without BN."
SCRUB_CAPTION = ("Drag the slider under the plot or press ▶: it runs in your browser. The grey "
                 "curtain hides the steps still to come.")
CSV_LABEL = "Download the trajectories (CSV)"

CUMULATIVE_EQUATION = (r"c_t = \frac{1}{t}\sum_{i=1}^{t}\theta_i"
                       r"\qquad(\text{PyTorch } \texttt{momentum=None})")
WINDOW_EQUATIONS = (r"v_t = (1-\beta_{\text{EMA}})\sum_{i=1}^{t}\beta_{\text{EMA}}^{\,t-i}"
                    r"\,\theta_i + \beta_{\text{EMA}}^{\,t}\, v_0",
                    r"\text{window} \approx \frac{1}{1-\beta_{\text{EMA}}}")
FORMULA_COLUMNS = (  # (heading, equations) of the Formulas tab's two columns
    ("**Training: each mini-batch of m examples, unit by unit**", notation.BN_EQUATIONS),
    ("**The running estimate, and what a test example uses**",
     (notation.EMA_BIAS_CORRECTED, CUMULATIVE_EQUATION, *WINDOW_EQUATIONS,
      notation.EVAL_EQUATION)),
)
FOR = {"ema": "the EMA", "ema_bc": "with bias correction", "cumulative": "the cumulative average"}
NOUN = {"ema": "the EMA", "ema_bc": "the bias-corrected EMA",
        "cumulative": "the cumulative average"}


class Run(NamedTuple):
    """One cached training run and the training set it was recorded on."""

    trace: TrainTrace
    X: np.ndarray  # (N, 2) training inputs the trace was recorded on
    y: np.ndarray  # (N,)
    summary: str  # one line about the network and how it trained


class View(NamedTuple):
    """What the figures show for one layer and unit at the current View settings."""

    us: E.UnitStats
    est: E.Estimates | None  # None in a layer without BN
    errs: E.Errors | None
    shown: tuple  # estimator keys and "population"
    beta: float  # β_EMA
    variance: str  # "unbiased" or "biased" (key of notation.VARIANCES)
    tol: float  # tolerance as a fraction (0.1 = 10 %)
    bn_below: bool  # the layer under this one has BN


class Note(NamedTuple):
    """A note for the top of the page; ``stop``: nothing can be shown after it."""

    text: str
    stop: bool


def train_run(v: dict) -> Run:
    """Train (or fetch from the cache) the network the controls ``v`` describe."""
    depth = int(v["depth"])
    hidden = (int(v["width"]),) * depth
    bn = tuple(str(i) in v["bn"] for i in range(1, depth + 1))
    trace, X, y, _, _ = train_on_dataset(
        v["dataset"], noise=float(v["noise"]), n_train=N_TRAIN, data_seed=int(v["seed"]),
        hidden=hidden, bn=bn, activation=v["act"], optimizer=v["opt"], lr=float(v["lr"]),
        batch_size=int(v["batch"]), steps=int(v["steps"]), seed=int(v["seed"]))
    arch = "→".join(str(n) for n in (2, *hidden, 2))
    bn_txt = ", ".join(str(i + 1) for i, b in enumerate(bn) if b) or "none"
    acc = trace.test_acc[np.isfinite(trace.test_acc)]
    acc_txt = f", test accuracy {100 * acc[-1]:.0f} %" if len(acc) else ""
    summary = (f"This run: network {arch} (BN in layers: {bn_txt}), "
               f"{notation.ACTIVATIONS[v['act']].label}, "
               f"{notation.OPTIMIZERS[v['opt']].label} α = {v['lr']}, m = {v['batch']}, "
               f"{len(trace.loss)} steps{acc_txt}")
    return Run(trace, X, y, summary)


def divergence_warning(trace: TrainTrace) -> Note | None:
    """What to say when training blew up (None when it didn't): the steps before are shown,
    unless there are fewer than two of them."""
    if not trace.diverged:
        return None
    done = len(trace.loss)
    shown = f"showing the {done} steps before it. " if done >= 2 else "nothing to show. "
    return Note(f"Training diverged at step {trace.diverged_at} (the loss became NaN/inf); "
                f"{shown}Try a smaller learning rate.", stop=done < 2)


def compute_view(run: Run, layer: int, unit: int, v: dict) -> View:
    """Everything the figures need for one layer/unit and β_EMA — no retraining."""
    shown = tuple(k for k, on in (("ema", v["ema"]), ("ema_bc", v["bc"]),
                                  ("cumulative", v["cum"]), ("population", v["pop"])) if on)
    us = E.unit_stats(run.trace, layer, unit)
    beta, variance = float(v["beta"]), v["var"]
    est = E.estimate(us, beta) if us.has_bn else None
    errs = None if est is None else E.errors(us, est, variance)
    bn_below = layer > 1 and bool(run.trace.net.bn[layer - 2])
    return View(us, est, errs, shown, beta, variance, v["tol"] / 100, bn_below)


def no_bn_note(layer: int) -> str:
    """Why a layer without BN shows no estimator."""
    return (f"Layer {layer} has no BN, so the network keeps no running estimate for it; its "
            "mini-batch μ_B and σ²_B (and the population values) are still shown. Choose a BN "
            "layer to see the estimators.")


def thinning_caption(us: E.UnitStats) -> str | None:
    """Which steps the trajectory draws as dots and lines, when it doesn't draw them all."""
    n = len(us.steps)
    k = dot_stride(n)
    if k == 1:
        return None
    kl = dot_stride(n, MAX_LINE_POINTS)
    lines = "every step" if kl == 1 else f"every {ordinal(kl)} step"
    return (f"Dots: the first 30 mini-batches, then every {ordinal(k)} of {n}; lines: {lines}; "
            "the CSV has every step.")


def csv_name(view: View) -> str:
    """File name of the trajectories' CSV."""
    return f"running_stats_layer{view.us.layer}_unit{view.us.unit}.csv"


def ordinal(k: int) -> str:
    """2 -> "2nd", 3 -> "3rd", 11 -> "11th"."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _pct(x: float) -> str:
    """0.0073 -> "0.73 %", 0.32 -> "32 %"."""
    if not np.isfinite(x):
        return "n/a"
    return f"{100 * x:.2g} %" if 100 * x < 10 else f"{100 * x:.0f} %"


def _num(x: float) -> str:
    return f"{round(float(x), 6):g}"


def beta_line(view: View) -> str:
    """β_EMA with its framework spellings, and which layer and unit are shown."""
    beta = view.beta
    fm = notation.framework_momentum(beta)
    window = E.effective_window(beta)
    bn = "BN" if view.us.has_bn else "no BN"
    return (f"**β_EMA = {beta:.3f}** ≙ PyTorch `momentum={_num(fm['pytorch'])}` ≙ Keras "
            f"`momentum={_num(fm['keras'])}` · averages ≈ {window:.0f} mini-batches · "
            f"**layer {view.us.layer} ({bn}), unit {view.us.unit}**")


def trajectory_takeaway(view: View) -> str:
    """From which step each estimator stays within the tolerance of the population, how far off
    each ends, and how σ²_B of the chosen kind compares with σ²_pop."""
    us, tol, variance = view.us, view.tol, view.variance
    T = int(us.steps[-1])
    if view.est is None:
        sd = float(np.sqrt(us.pop_var_b[-1]))
        return (f"Layer {us.layer} keeps no running estimate; its μ_B scatter around the "
                f"population mean ({us.pop_mean[-1]:.3f} at the end) by about "
                f"σ_pop/√m = {sd / np.sqrt(us.m):.3f}.")
    names = [n for n in E.RUNNING if n in view.shown]
    if not names:
        return "Turn on an estimator (View) to compare it with the population."
    rel = view.errs.rel
    parts = []
    for n in names:
        s = E.within_from(view.errs.steps, rel["mean"][n], tol)
        parts.append(f"{FOR[n]} {f'from step {s} on' if s else f'not even at step {T}'}")
    errs_mu = ", ".join(_pct(rel["mean"][n][-1]) for n in names)
    errs_var = ", ".join(_pct(rel["var"][n][-1]) for n in names)
    m, ratio = us.m, E.variance_ratio(us, variance)
    expect = "(m − 1)/m = " + _pct((m - 1) / m) if variance == "biased" else "≈ 100 %"
    offset = (" — from layer 2 on partly offset: BN below normalises each small batch with its "
              "own statistics, which spreads it out"
              if variance == "biased" and view.bn_below else "")
    return (f"Within {100 * tol:g} % of σ_pop of the population mean and staying there: "
            f"{'; '.join(parts)}. Off at step {T}: {errs_mu} (σ²: {errs_var}). The {variance} "
            f"σ²_B of m = {m} average {_pct(ratio)} of σ²_pop ({expect}{offset}).")


def error_takeaway(view: View) -> str:
    """Why the EMA lags at the start and why the cumulative average trails a moving network."""
    est, errs = view.est, view.errs
    beta = est.beta
    T = int(view.us.steps[-1])
    window = E.effective_window(beta)
    ema = errs.rel["mean"]["ema"]
    s, e = E.error_at(errs.steps, ema, window)
    if window >= T or s >= T:
        text = (f"β_EMA = {beta:.3f} averages over ≈ {window:.0f} mini-batches, more than the "
                f"{T} steps run: after step {T} the start value 0 still weighs "
                f"β_EMA^{T} = {_pct(beta ** T)}, and the EMA of μ is {_pct(ema[-1])} off.")
    else:
        text = (f"β_EMA = {beta:.3f} averages over ≈ {window:.0f} mini-batches (dashed line). "
                f"At step {s} the EMA of μ is {_pct(e)} off — the start value 0 still weighs "
                f"β_EMA^{s} = {_pct(beta ** s)} — and {_pct(ema[-1])} at step {T}.")
    if "cumulative" in view.shown:
        cum = errs.rel["mean"]["cumulative"][-1]
        why = (" it still remembers the network of the first steps"
               if cum > 2 * ema[-1] else "")
        text += f" The cumulative average ends {_pct(cum)} off{':' if why else '.'}{why}"
        text += "." if why else ""
    return text


def scrub_takeaway(beta: float) -> str:
    """What each step does to the EMA, and how fast the start value loses its weight."""
    if beta == 0:
        return "With β_EMA = 0 the EMA is just the last mini-batch's μ_B: no memory at all."
    return (f"Each mini-batch moves the EMA {_pct(1 - beta)} of the way to its μ_B; the start "
            f"value v₀ = 0 still weighs β_EMA^k: {_pct(beta ** 10)} after 10 batches, "
            f"{_pct(beta ** 50)} after 50, {_pct(beta ** 100)} after 100.")


def distribution(run: Run, layer: int, unit: int, step: int) -> E.Distribution:
    """The distribution view's data at the stored step nearest to ``step`` (≤ the run)."""
    return E.distribution_at(run.trace, run.X, run.y, layer, unit,
                             min(int(step), len(run.trace.loss)))


def marks_at(view: View, step: int) -> dict[str, float]:
    """{estimator: running estimate of μ after ``step``} for the estimators shown."""
    if view.est is None:
        return {}
    return {n: float(view.est.get(n, "mean")[step - 1]) for n in E.RUNNING if n in view.shown}


def snapshot_caption(run: Run, dist: E.Distribution, asked: int) -> str | None:
    """Which step the distribution view shows when weights weren't stored at the one asked."""
    if dist.step == asked:
        return None
    return (f"Weights are stored at {len(run.trace.snapshot_steps)} steps; showing step "
            f"{dist.step}, the nearest to {asked}.")


def distribution_takeaway(dist: E.Distribution, marks: dict) -> str:
    """μ_B vs population (batch noise) vs the running estimate (lag) at one step."""
    text = (f"At step {dist.step} this mini-batch's μ_B = {dist.mu_batch:.3f} and the population "
            f"mean {dist.pop_mean:.3f} differ by {abs(dist.mu_batch - dist.pop_mean):.3f} "
            f"(batch noise)")
    if marks:
        name, val = next(iter(marks.items()))
        text += (f"; {NOUN[name]} is {val:.3f}, "
                 f"{abs(val - dist.pop_mean):.3f} from the population mean")
    if dist.z_batch is None:
        text += " (the mini-batch itself could not be replayed, so only μ_B is marked)"
    return text + "."


def framework_table(view: View) -> str:
    """Markdown: the chosen β_EMA as PyTorch's and Keras' ``momentum``, which σ²_B each
    averages, and the values each would hold for this unit after the last step."""
    beta = view.beta
    fm = notation.framework_momentum(beta)
    vals = E.framework_values(view.est)
    pt, ke = vals["pytorch"], vals["keras"]
    T = len(view.us.steps)
    rows = [
        f"| | `momentum` | update | σ²_B it averages | μ̂ after step {T} | σ̂² after step {T} |",
        "|---|---|---|---|---|---|",
        f"| **PyTorch** | 1 − β_EMA = {_num(fm['pytorch'])} | running ← (1 − momentum)·running "
        f"+ momentum·batch | unbiased m/(m−1)·σ²_B | {pt.mean:.6g} | {pt.var:.6g} |",
        f"| **Keras** | β_EMA = {_num(fm['keras'])} | moving ← momentum·moving + "
        f"(1 − momentum)·batch | biased σ²_B | {ke.mean:.6g} | {ke.var:.6g} |",
        f"| **Lecture** | β_EMA = {_num(beta)} | v_t = β_EMA·v_(t−1) + (1 − β_EMA)·θ_t | "
        f"biased σ²_B | {ke.mean:.6g} | {ke.var:.6g} |",
    ]
    return "\n".join(rows)


def framework_code(run: Run, view: View) -> str:
    """The one line of code for each framework with this β_EMA."""
    fm = notation.framework_momentum(view.beta)
    n = run.trace.net.hidden[view.us.layer - 1]
    return (f"torch.nn.BatchNorm1d({n}, momentum={_num(fm['pytorch'])})  "
            "# PyTorch: momentum = 1 − β_EMA\n"
            f"keras.layers.BatchNormalization(momentum={_num(fm['keras'])})  "
            "# Keras: momentum = β_EMA")


def framework_note(run: Run, view: View) -> str:
    """What the trained network itself holds, and why β_EMA needs no retraining."""
    l, j = view.us.layer - 1, view.us.unit
    own_m, own_v = run.trace.running_mean[-1, l, j], run.trace.running_var[-1, l, j]
    return (f"Both start at μ̂ = 0, σ̂² = 1. The network on this page trained with PyTorch's "
            f"default momentum = 0.1 (β_EMA = 0.9) and holds μ̂ = {own_m:.6g}, "
            f"σ̂² = {own_v:.6g} for this unit: the PyTorch row at β_EMA = 0.9. BN never uses "
            "the running estimate while training, so every β_EMA here is recomputed from the "
            "recorded μ_B, σ²_B without retraining. PyTorch's momentum=None is the cumulative "
            "average.")
