"""The "Running statistics" page's bridge to the core: the cached training run (scalar keys
only, via :func:`bnsim.ui.cache.train_on_dataset`), the view computed from it without any
retraining, a CSV download built only when clicked, and the sentences (takeaways, β_EMA in
PyTorch and Keras terms, the framework table) that quote the numbers.

Only training is cached: β_EMA, the estimators, the layer, the unit, the variance kind and the
step are recomputed from the recorded mini-batch statistics on every rerun (a few ms).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from bnsim import notation
from bnsim import running_stats as E
from bnsim.optim import OPTIMIZER_LABELS
from bnsim.train import TrainTrace
from bnsim.ui.cache import train_on_dataset

N_TRAIN = 400
CUMULATIVE_EQUATION = (r"c_t = \frac{1}{t}\sum_{i=1}^{t}\theta_i"
                       r"\qquad(\text{PyTorch } \texttt{momentum=None})")
WINDOW_EQUATIONS = (r"v_t = (1-\beta_{\text{EMA}})\sum_{i=1}^{t}\beta_{\text{EMA}}^{\,t-i}"
                    r"\,\theta_i + \beta_{\text{EMA}}^{\,t}\, v_0",
                    r"\text{window} \approx \frac{1}{1-\beta_{\text{EMA}}}")
ACTIVATION_LABELS = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid"}
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


def train_run(v: dict) -> Run:
    """Train (or fetch from the cache) the network the controls ``v`` describe."""
    depth = int(v["depth"])
    hidden = (int(v["width"]),) * depth
    bn = tuple(str(i) in v["bn"] for i in range(1, depth + 1))
    trace, (X, y, _, _) = train_on_dataset(
        v["dataset"], float(v["noise"]), N_TRAIN, int(v["seed"]), hidden, bn, v["act"],
        v["opt"], float(v["lr"]), int(v["batch"]), int(v["steps"]), int(v["seed"]))
    arch = "→".join(str(n) for n in (2, *hidden, 2))
    bn_txt = ", ".join(str(i + 1) for i, b in enumerate(bn) if b) or "none"
    acc = trace.test_acc[np.isfinite(trace.test_acc)]
    acc_txt = f", test accuracy {100 * acc[-1]:.0f} %" if len(acc) else ""
    summary = (f"This run: network {arch} (BN in layers: {bn_txt}), "
               f"{ACTIVATION_LABELS[v['act']]}, "
               f"{OPTIMIZER_LABELS[v['opt']]} α = {v['lr']}, m = {v['batch']}, "
               f"{len(trace.loss)} steps{acc_txt}")
    return Run(trace, X, y, summary)


def compute_view(run: Run, layer: int, unit: int, v: dict) -> View:
    """Everything the figures need for one layer/unit and β_EMA — no retraining."""
    shown = tuple(k for k, on in (("ema", v["ema"]), ("ema_bc", v["bc"]),
                                  ("cumulative", v["cum"]), ("population", v["pop"])) if on)
    us = E.unit_stats(run.trace, layer, unit)
    if not us.has_bn:
        return View(us, None, None, shown)
    est = E.estimate(us, v["beta"])
    return View(us, est, E.errors(us, est, v["var"]), shown)


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


def beta_line(beta: float, view: View) -> str:
    """β_EMA with its framework spellings, and which layer and unit are shown."""
    fm = notation.framework_momentum(beta)
    window = E.effective_window(beta)
    bn = "BN" if view.us.has_bn else "no BN"
    return (f"**β_EMA = {beta:.3f}** ≙ PyTorch `momentum={_num(fm['pytorch'])}` ≙ Keras "
            f"`momentum={_num(fm['keras'])}` · averages ≈ {window:.0f} mini-batches · "
            f"**layer {view.us.layer} ({bn}), unit {view.us.unit}**")


def trajectory_takeaway(view: View, tol: float, variance: str, bn_below: bool = False) -> str:
    """From which step each estimator stays within ``tol`` of the population, how far off each
    ends, and how σ²_B of this kind compares with σ²_pop (``bn_below``: the layer under this one
    has BN)."""
    us = view.us
    T = int(us.steps[-1])
    if view.est is None:
        sd = float(np.sqrt(us.pop_var_b[-1]))
        return (f"Layer {us.layer} keeps no running estimate; its μ_B scatter around the "
                f"population mean ({us.pop_mean[-1]:.3f} at the end) by about "
                f"σ_pop/√m = {sd / np.sqrt(us.m):.3f}.")
    names = [n for n in E.ESTIMATORS if n in view.shown]
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
              "own statistics, which spreads it out" if variance == "biased" and bn_below else "")
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
    return {n: float(view.est.get(n, "mean")[step - 1]) for n in E.ESTIMATORS if n in view.shown}


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


def framework_table(beta: float, run: Run, view: View) -> str:
    """Markdown: the chosen β_EMA as PyTorch's and Keras' ``momentum``, which σ²_B each
    averages, and the values each would hold for this unit after the last step."""
    fm = notation.framework_momentum(beta)
    vals = E.framework_values(view.est)
    T = len(view.us.steps)
    rows = [
        f"| | `momentum` | update | σ²_B it averages | μ̂ after step {T} | σ̂² after step {T} |",
        "|---|---|---|---|---|---|",
        f"| **PyTorch** | 1 − β_EMA = {_num(fm['pytorch'])} | running ← (1 − momentum)·running "
        f"+ momentum·batch | unbiased m/(m−1)·σ²_B | {vals['pytorch'][0]:.6g} | "
        f"{vals['pytorch'][1]:.6g} |",
        f"| **Keras** | β_EMA = {_num(fm['keras'])} | moving ← momentum·moving + "
        f"(1 − momentum)·batch | biased σ²_B | {vals['keras'][0]:.6g} | {vals['keras'][1]:.6g} |",
        f"| **Lecture** | β_EMA = {_num(beta)} | v_t = β_EMA·v_(t−1) + (1 − β_EMA)·θ_t | "
        f"biased σ²_B | {vals['keras'][0]:.6g} | {vals['keras'][1]:.6g} |",
    ]
    return "\n".join(rows)


def framework_code(beta: float, run: Run, view: View) -> str:
    """The one line of code for each framework with this β_EMA."""
    fm = notation.framework_momentum(beta)
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
