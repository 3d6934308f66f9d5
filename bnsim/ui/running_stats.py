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

from bnsim import notation, running
from bnsim import running_stats as E
from bnsim.figures import running_stats as figs
from bnsim.figures.running_stats import MAX_LINE_POINTS, dot_stride
from bnsim.figures.style import tex
from bnsim.running_stats import share
from bnsim.train import TrainTrace
from bnsim.ui.cache import train_on_dataset
from bnsim.ui.controls import Control, Preset
from bnsim.verdict import Outcome, Verdict, num, pct

TITLE = "Running statistics"
# One line above the tabs, so each tab's picture fits the first 1280×720 screen; the rest is in
# the "About this page" expander under the trajectory. Symbols as in bnsim.notation.GLOSSARY's
# labels (μ_B, σ²_B, β_EMA, μ_pop), typeset like the equations: inline LaTeX in prose
# (style.tex), <sub> in figures (style.math); buttons, widget labels and takeaways keep the
# plain form (links and tests name them).
INTRO = tex("Dots: each mini-batch's μ_B, σ²_B · lines: the running estimates a test example "
            "uses · dashed: the population values.")
ABOUT_LABEL = "About this page"
ABOUT = tex("Every mini-batch gives its own μ_B, σ²_B for each unit of layer l; a single test "
            "example needs fixed values instead: an exponentially weighted average (EMA) "
            "collected during training. The plots show it form, and how far it is from the true "
            "(population) statistics: μ and σ² of the whole training set through the weights of "
            "that step. The step axis is logarithmic by default, so the first steps — where the "
            "EMA climbs from its start value — are as wide as the last hundreds (View → Log "
            "step axis).")
# Chart heights: every tab's chart starts ≈ 210 px down at 1280×720 (title, one line, the tab
# strip) and ends above 720 (tests/test_e2e_projector_running_stats.py).
TRAJECTORY_HEIGHT = 480
ERRORS_HEIGHT = 480
DISTRIBUTION_HEIGHT = 480  # the legend takes three rows; the histogram keeps ≥ 250 px
SCRUB_HEIGHT = 500  # two panels side by side, each ≈ 290 px tall; slider and ▶ under both
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
            help="The lecture's EMA v_t = β_EMA·v_{t−1} + (1 − β_EMA)·θ_t. The lecture starts "
                 "it at v₀ = 0; the start values 0 for the mean and 1 for the variance are "
                 "PyTorch's and Keras' choice, used here for both."),
    Control(key="bc", label="Bias correction (v_t − β_EMA^t·v₀)/(1 − β_EMA^t)", default=True,
            group="View", kind="toggle",
            help="The EMA with the start value's weight β_EMA^t removed. For the mean (v₀ = 0) "
                 "this is the lecture's v_t/(1 − β_EMA^t); for the variance (v₀ = 1) the "
                 "lecture's form would add β_EMA^t/(1 − β_EMA^t). PyTorch and Keras never "
                 "bias-correct their running statistics."),
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
    # On by default: on a linear axis the EMA's climb from v₀ = 0 — the lecture's point —
    # fills the first ~10 px of a 1,000-step run.
    Control(key="logx", label="Log step axis", default=True, group="View", kind="toggle",
            help="Logarithmic step axis in the trajectory plots: spreads out the first steps, "
                 "where the estimates form."),
    Control(key="layer", label="Layer l", default=2, group="View", kind="slider",
            help="Hidden layer to watch (clipped to the network's depth).",
            min=1, max=4, step=1),
    Control(key="unit", label="Unit j", default=1, group="View", kind="slider",
            help="Unit j = 1 … n^[l] of that layer (clipped to its width).",
            min=1, max=64, step=1),
    Control(key="step", label="Step for the histogram", default=10, group="View",
            kind="slider",
            help="Training step of the distribution view (the nearest step with stored "
                 "weights is shown).",
            min=1, max=5000, step=1),
    # 20 %: at 10 % the EMA of σ² (β_EMA = 0.9, m = 32) settled in only 8 of 10 seeds; at 20 %
    # both μ and σ² settle in 10 of 10 (tests/test_claims_running_stats.py).
    Control(key="tol", label="Tolerance (%)", default=20, group="View", kind="slider",
            help="'Within x %' in the takeaway and the error plot: of σ_pop for the mean, of "
                 "σ²_pop for the variance.",
            min=1, max=50, step=1),
)
BETA_LABEL = next(c.label for c in CONTROLS if c.key == "beta")  # the live chart follows it
# Lazy tabs bound to the URL (?panel=...): only the open one is computed. Names are in links:
# keep them. The first, the trajectory, is what a link without ``panel`` opens.
TRAJECTORY = "Trajectory"
PANELS = (TRAJECTORY, "Error vs population", "Step by step", "Distribution at a step",
          "PyTorch & Keras", "Formulas")
PANELS_WITHOUT_ESTIMATE = (TRAJECTORY, "Distribution at a step", "Formulas")  # without BN too
# Lecture moments; the tests click them by position (_preset_0, ...): keep labels and order.
# Each is about what the trajectory shows (its takeaways quote the claim), so each opens it.
PRESETS = {
    "β_EMA = 0.9 as in the lecture": Preset(values={}, tab=TRAJECTORY),
    "β_EMA = 0.999: a very slow estimate": Preset(values={"beta": 0.999}, tab=TRAJECTORY),
    "Tiny batches: noisy μ_B, biased σ²_B": Preset(
        values={"batch": 4, "var": "biased", "layer": 1, "unit": 4}, tab=TRAJECTORY),
    "Network still learning: the estimate trails": Preset(
        values={"lr": "0.1", "beta": 0.99, "unit": 3}, tab=TRAJECTORY),
}
NO_BN_PANEL = "No running estimate in a layer without BN."
SCRUB_CAPTION = tex("Drag the slider under the plots or press ▶: it runs in your browser. The "
                    "grey curtain hides the steps still to come; the second plot shows how much "
                    "each earlier mini-batch's μ_B still counts in the EMA v_k.")
# (live-chart key, statistic) of the side-by-side plots; columns stack on a phone
TRAJECTORY_KEYS = (("trajectory", "mean"), ("trajectory_var", "var"))
ERROR_KEYS = (("errors", "mean"), ("errors_var", "var"))
CSV_LABEL = "Download the trajectories (CSV)"

LECTURE_BIAS_CORRECTION = (r"\hat v_t = \frac{v_t}{1 - \beta_{\text{EMA}}^t}"
                           r"\qquad(\text{the lecture's form, the same for } v_0 = 0)")
CUMULATIVE_EQUATION = (r"c_t = \frac{1}{t}\sum_{i=1}^{t}\theta_i"
                       r"\qquad(\text{PyTorch } \texttt{momentum=None})")
WINDOW_EQUATIONS = (r"v_t = (1-\beta_{\text{EMA}})\sum_{i=1}^{t}\beta_{\text{EMA}}^{\,t-i}"
                    r"\,\theta_i + \beta_{\text{EMA}}^{\,t}\, v_0",
                    r"\text{window} \approx \frac{1}{1-\beta_{\text{EMA}}}")
FORMULA_COLUMNS = (  # (heading, equations) of the Formulas tab's two columns
    ("**Training: each mini-batch of m examples, unit by unit**", notation.BN_EQUATIONS),
    ("**The running estimate, and what a test example uses**",
     (notation.EMA_BIAS_CORRECTED, LECTURE_BIAS_CORRECTION, CUMULATIVE_EQUATION, *WINDOW_EQUATIONS,
      notation.EVAL_EQUATION)),
)
NOUN = E.NOUN
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


def trajectories(view: View, log_steps: bool) -> list[tuple[str, object, dict | None]]:
    """(key, figure, EMA preview) of the μ and σ² trajectory plots, drawn side by side (each
    with half of the legend in the same top margin, so their plot areas align)."""
    out = []
    for key, stat in TRAJECTORY_KEYS:
        fig = figs.trajectory(view.us, view.est, view.shown, view.variance, log_steps,
                              height=TRAJECTORY_HEIGHT, stats=(stat,))
        preview = None if view.est is None else figs.ema_preview(
            fig, view.us, view.variance, view.beta, slider=BETA_LABEL)
        out.append((key, fig, preview))
    return out


def error_plots(view: View) -> list[tuple[str, object]]:
    """(key, figure) of the μ and σ² error plots, side by side on the same y-axis."""
    return [(key, figs.error_plot(view.us, view.errs, view.shown, view.beta, view.tol,
                                  view.variance, height=ERRORS_HEIGHT, stats=(stat,)))
            for key, stat in ERROR_KEYS]


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
    return f"running_stats_layer{view.us.layer}_unit{view.us.unit + 1}.csv"


def ordinal(k: int) -> str:
    """2 -> "2nd", 3 -> "3rd", 11 -> "11th"."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _code(x: float) -> str:
    """A momentum as it is typed in code: 0.09999999999999998 -> "0.1"."""
    return f"{round(float(x), 6):g}"


def beta_line(view: View) -> str:
    """β_EMA with its framework spellings, and which layer and unit are shown."""
    beta = view.beta
    fm = notation.framework_momentum(beta)
    bn = "BN" if view.us.has_bn else "no BN"
    return (f"**β_EMA = {beta:.3f}**, in PyTorch `momentum={_code(fm['pytorch'])}`, in Keras "
            f"`momentum={_code(fm['keras'])}` · {E.window_phrase(beta)} · "
            f"**layer {view.us.layer} ({bn}), unit {view.us.unit + 1}**")


def _clause(v: Settled) -> str:
    """One estimator's part of the tracking sentence, from its :func:`E.settles` verdict."""
    ev, name = v.evidence, v.name
    T = int(ev["last_step"])
    if v.verdict.outcome is Outcome.HOLDS:
        return f"{NOUN[name]} from step {int(ev['from_step'])} on"
    if v.verdict.outcome is Outcome.NO_EFFECT:
        return f"{NOUN[name]} only at the last step ({T})"
    if v.verdict.outcome is Outcome.REVERSED:
        return f"{NOUN[name]} not by step {T} ({share(ev['final'])} off)"
    return f"{NOUN[name]}: no population value to compare with"


class Settled(NamedTuple):
    """An estimator's :func:`E.settles` verdict for one statistic."""

    name: str
    stat: str
    verdict: Verdict

    @property
    def evidence(self):
        return self.verdict.evidence


def settled(view: View) -> list[Settled]:
    """The :func:`E.settles` verdict of every shown running estimator, for μ and for σ²."""
    names = [n for n in E.RUNNING if n in view.shown]
    return [Settled(n, stat, E.settles(view.errs.steps, view.errs.rel[stat][n], view.tol, n,
                                       stat))
            for stat in ("mean", "var") for n in names]


def trajectory_takeaway(view: View) -> str:
    """From which step each shown estimator stays within the tolerance of the population (one
    sentence for μ, one for σ²), rendered from the :func:`E.settles` verdicts; in a layer
    without BN, how the μ_B scatter (:func:`E.batch_mean_spread`)."""
    us = view.us
    if view.est is None:
        return (f"Layer {us.layer} keeps no running estimate. "
                + E.batch_mean_spread(us, view.bn_below).text)
    verdicts = settled(view)
    if not verdicts:
        return "Turn on an estimator (View) to compare it with the population."
    tol = pct(view.tol, 0)
    parts = []
    for stat, (sym, scale) in E.STAT.items():
        clauses = "; ".join(_clause(v) for v in verdicts if v.stat == stat)
        parts.append(f"{sym} within {tol} of {scale} of the population value and staying "
                     f"there: {clauses}.")
    return " ".join(parts)


def variance_takeaway(view: View) -> str:
    """How σ²_B of the chosen kind compares with σ²_pop (:func:`E.variance_shortfall`)."""
    return E.variance_shortfall(view.us, view.variance, view.bn_below).text


def error_takeaway(view: View) -> str:
    """Whether the start value still pulls the EMA at step ≈ 1/(1 − β_EMA)
    (:func:`E.start_value_lag`) and, with the cumulative average shown, whether it trails
    (:func:`E.trails`): at most two sentences."""
    text = E.start_value_lag(view.us, view.est, view.errs, "mean", view.variance).text
    if "cumulative" in view.shown:
        text += " " + E.trails(view.us, view.errs, view.variance).text
    return text


def scrub_takeaway(beta: float) -> str:
    """What each step does to the EMA, and how fast the start value loses its weight."""
    if beta == 0:
        return ("With β_EMA = 0 the EMA is just the last mini-batch's μ_B: no memory, and the "
                "start value v₀ = 0 is gone after the first step.")
    return (f"Each mini-batch moves the EMA {pct(1 - beta)} of the way to its μ_B. The start "
            f"value v₀ = 0 still weighs β_EMA^k = {share(beta ** 10)} after k = 10 batches, "
            f"{share(beta ** 50)} after 50 and {share(beta ** 100)} after 100.")


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
    gap = abs(dist.mu_batch - dist.pop_mean)
    text = (f"At step {dist.step} this mini-batch's μ_B = {num(dist.mu_batch)} is "
            f"{num(gap)} from the population mean μ_pop = {num(dist.pop_mean)} (batch noise)")
    if marks:
        name, val = next(iter(marks.items()))
        text += (f"; {NOUN[name]} is {num(val)}, {num(abs(val - dist.pop_mean))} from "
                 "μ_pop")
    if dist.z_batch is None:
        text += " (the mini-batch itself could not be replayed, so only μ_B is marked)"
    return text + "."


def framework_table(view: View) -> str:
    """Markdown: the chosen β_EMA as PyTorch's and Keras' ``momentum`` next to each one's
    default, which σ²_B each averages, and the values each would hold for this unit after the
    last step with the chosen β_EMA."""
    beta = view.beta
    fm = notation.framework_momentum(beta)
    vals = E.framework_values(view.est)
    pt, ke = vals["pytorch"], vals["keras"]
    T = len(view.us.steps)
    d = running.DEFAULT_MOMENTUM
    rows = [
        f"| | `momentum` for β_EMA = {_code(beta)} | default | update | σ²_B it averages | "
        f"μ̂ after step {T} | σ̂² after step {T} |",
        "|---|---|---|---|---|---|---|",
        f"| **PyTorch** | 1 − β_EMA = {_code(fm['pytorch'])} | {_code(d['pytorch'])} "
        f"(β_EMA = {_code(1 - d['pytorch'])}) | running ← (1 − momentum)·running + "
        f"momentum·batch | unbiased m/(m−1)·σ²_B | {num(pt.mean, 6)} | {num(pt.var, 6)} |",
        f"| **Keras** | β_EMA = {_code(fm['keras'])} | {_code(d['keras'])} "
        f"(β_EMA = {_code(d['keras'])}) | moving ← momentum·moving + (1 − momentum)·batch | "
        f"biased σ²_B | {num(ke.mean, 6)} | {num(ke.var, 6)} |",
        f"| **Lecture** | β_EMA = {_code(beta)} | β_EMA = 0.9 in its example | "
        f"v_t = β_EMA·v_(t−1) + (1 − β_EMA)·θ_t | biased σ²_B | {num(ke.mean, 6)} | "
        f"{num(ke.var, 6)} |",
    ]
    return "\n".join(rows)


def framework_code(run: Run, view: View) -> str:
    """The one line of code for each framework with this β_EMA."""
    fm = notation.framework_momentum(view.beta)
    n = run.trace.net.hidden[view.us.layer - 1]
    return (f"torch.nn.BatchNorm1d({n}, momentum={_code(fm['pytorch'])})  "
            "# PyTorch: momentum = 1 − β_EMA\n"
            f"keras.layers.BatchNormalization(momentum={_code(fm['keras'])})  "
            "# Keras: momentum = β_EMA")


FRAMEWORK_BOX_TITLE = "**What the frameworks do**"
FRAMEWORK_FACTS = (
    "**Defaults**: PyTorch's momentum is 0.1 (β_EMA = 0.9), Keras' is 0.99 (β_EMA = 0.99): "
    "the same word, opposite meanings.",
    "**Variance**: PyTorch normalises each training batch with the biased σ²_B (1/m) but "
    "stores the unbiased m/(m − 1)·σ²_B in `running_var`; Keras stores the biased σ²_B.",
    "**Start values, no bias correction**: both start the running mean at 0 and the running "
    "variance at 1, and neither bias-corrects: early estimates lean towards 0 and 1.",
    "**A batch of one**: PyTorch refuses to train on one value per channel, "
    "`ValueError: Expected more than 1 value per channel when training` (σ²_B would be 0).",
    "**PyTorch `momentum=None`**: the cumulative average of all batches so far.",
)


def framework_box(run: Run, view: View) -> tuple[str, str]:
    """(markdown, code) of the "what the frameworks do" box: the facts and the two one-line
    declarations with each framework's default momentum."""
    n = run.trace.net.hidden[view.us.layer - 1]
    d = running.DEFAULT_MOMENTUM
    text = FRAMEWORK_BOX_TITLE + "\n\n" + "\n".join(f"- {f}" for f in FRAMEWORK_FACTS)
    code = (f"nn.BatchNorm1d({n}, momentum={_code(d['pytorch'])})  "
            "# PyTorch default: β_EMA = 0.9\n"
            f"keras.layers.BatchNormalization(momentum={_code(d['keras'])})  "
            "# Keras default: β_EMA = 0.99")
    return text, code


def framework_note(run: Run, view: View) -> str:
    """What the trained network itself holds, and why β_EMA needs no retraining."""
    l, j = view.us.layer - 1, view.us.unit
    own_m, own_v = run.trace.running_mean[-1, l, j], run.trace.running_var[-1, l, j]
    return (f"The network on this page trained with PyTorch's default momentum = 0.1 "
            f"(β_EMA = 0.9) and holds μ̂ = {num(own_m, 6)}, σ̂² = {num(own_v, 6)} for this "
            "unit: the PyTorch row at β_EMA = 0.9. BN never uses the running estimate while "
            "training, so every β_EMA here is recomputed from the recorded μ_B, σ²_B without "
            "retraining.")
