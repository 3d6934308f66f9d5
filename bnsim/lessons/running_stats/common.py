r"""What every tab of "Running statistics" shares: one unit's recorded statistics, the running
estimators recomputed from them, their errors against the population, and the words the
verdicts use.

A BN layer never needs its running estimate during training, so every estimator can be
recomputed afterwards from the mini-batch statistics the trainer recorded (``trace.batch_mean``,
``trace.batch_var``) — changing β_EMA never retrains. For a sequence θ_1..θ_T (μ_B or σ²_B):

    EMA (lecture)        v_t = β_EMA·v_{t−1} + (1 − β_EMA)·θ_t,  v_0 = 0 (mean), 1 (variance)
    bias-corrected EMA   v̂_t = (v_t − β_EMA^t·v_0)/(1 − β_EMA^t)
    cumulative average   c_t = (θ_1 + … + θ_t)/t                  (PyTorch ``momentum=None``)
    population           μ_pop, σ²_pop of z over the whole training set with the weights of step t

The lecture starts its EMA at v_0 = 0 and corrects it by v_t/(1 − β_EMA^t); that is the formula
above for the mean. The start values 0 (mean) and 1 (variance) are PyTorch's and Keras' choice;
for the variance the lecture's v_t/(1 − β_EMA^t) would *add* β_EMA^t/(1 − β_EMA^t) (9 at t = 1
for β_EMA = 0.9), so the page removes the start value's weight instead — the same formula, with
v_0 = 1. Neither PyTorch nor Keras bias-corrects its running statistics.

Errors are compared at the snapshot steps s, where the population statistics are known: the
estimate *after* step s against the population of the weights used *by* step s.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from bnsim import network, running, train
from bnsim.modes import Variance, parse
from bnsim.verdict import Outcome, Verdict, claim, define, pct

# The running estimators (keys of notation.ESTIMATORS, which names them), in drawing order.
RUNNING = ("ema", "ema_bc", "cumulative")
INIT = {"mean": 0.0, "var": 1.0}  # v_0, as PyTorch and Keras start them


def variance_kind(variance: str) -> Variance:
    """``variance`` as a :class:`~bnsim.modes.Variance` (a ``ValueError`` names the kinds)."""
    return parse(Variance, variance, "variance")


class UnitStats(NamedTuple):
    """What the trainer recorded for unit ``unit`` (0-based) of hidden layer ``layer`` (1-based).

    T steps, S snapshot steps. Variances come in both kinds; ``variance`` picks one for views.
    """

    layer: int
    unit: int
    has_bn: bool
    m: int  # mini-batch size
    steps: np.ndarray  # (T,) 1..T
    mu: np.ndarray  # (T,) μ_B
    var_b: np.ndarray  # (T,) σ²_B, biased (1/m)
    var_u: np.ndarray  # (T,) m/(m−1)·σ²_B (NaN for m = 1)
    pop_steps: np.ndarray  # (S,) snapshot steps
    pop_mean: np.ndarray  # (S,) μ_pop
    pop_var_b: np.ndarray  # (S,) σ²_pop, 1/N
    pop_var_u: np.ndarray  # (S,) σ²_pop, 1/(N−1)

    def sigma2(self, variance: str) -> np.ndarray:
        """(T,) σ²_B of the chosen kind."""
        return self.var_u if variance_kind(variance) is Variance.UNBIASED else self.var_b

    def pop_var(self, variance: str) -> np.ndarray:
        """(S,) σ²_pop of the chosen kind."""
        return self.pop_var_u if variance_kind(variance) is Variance.UNBIASED else self.pop_var_b

    def batch(self, stat: str, variance: str) -> np.ndarray:
        """(T,) the recorded μ_B (``stat`` "mean") or σ²_B of the chosen kind ("var")."""
        return self.mu if stat == "mean" else self.sigma2(variance)

    def population(self, stat: str, variance: str) -> np.ndarray:
        """(S,) μ_pop (``stat`` "mean") or σ²_pop of the chosen kind ("var")."""
        return self.pop_mean if stat == "mean" else self.pop_var(variance)

    def scale(self, stat: str, variance: str) -> np.ndarray:
        """(S,) what errors of ``stat`` are relative to: σ_pop for the mean, σ²_pop for the
        variance."""
        return np.sqrt(self.pop_var(variance)) if stat == "mean" else self.pop_var(variance)


class Estimates(NamedTuple):
    """Running estimates after each step, each (T, 3): columns μ, σ² biased, σ² unbiased."""

    beta: float
    ema: np.ndarray
    ema_bc: np.ndarray
    cumulative: np.ndarray

    def get(self, name: str, stat: str, variance: str = Variance.UNBIASED) -> np.ndarray:
        """(T,) estimator ``name`` of ``stat`` ("mean" or "var")."""
        if stat == "mean":
            col = 0
        else:
            col = 2 if variance_kind(variance) is Variance.UNBIASED else 1
        return getattr(self, name)[:, col]


class UnitChoice(NamedTuple):
    """A (1-based) layer and a unit that exist in the network, and what was moved. ``unit`` is
    the 0-based index; the page shows unit j = ``unit`` + 1 (units count from 1 on every page)."""

    layer: int
    unit: int
    notes: list[str]  # one sentence per clipped value


class Range(NamedTuple):
    """A fixed axis range."""

    lo: float
    hi: float


class Errors(NamedTuple):
    """|estimate − population| at the snapshot steps; ``rel`` is relative to σ_pop for the
    mean and to σ²_pop for the variance (so 0.05 = 5 %). Dicts {stat: {estimator: (S,)}}."""

    steps: np.ndarray  # (S,)
    abs: dict
    rel: dict


def check_unit(net: network.NetConfig, layer: int, unit: int) -> UnitChoice:
    """Clip a (1-based) ``layer`` and a (1-based, as on screen) ``unit`` j to the network;
    returns the 0-based unit index, and notes that say what moved."""
    notes = []
    depth = net.n_layers
    if not 1 <= layer <= depth:
        new = min(max(int(layer), 1), depth)
        notes.append(f"The network has {depth} hidden layer{'s' * (depth > 1)}; showing layer "
                     f"{new} instead of {layer}.")
        layer = new
    n = net.hidden[layer - 1]
    if not 1 <= unit <= n:
        new = min(max(int(unit), 1), n)
        notes.append(f"Layer {layer} has {n} unit{'s' * (n > 1)} (1–{n}); showing unit {new} "
                     f"instead of {unit}.")
        unit = new
    return UnitChoice(int(layer), int(unit) - 1, notes)


def unit_stats(trace: train.TrainTrace, layer: int, unit: int) -> UnitStats:
    """Slice the recorded statistics of one unit out of a :class:`~bnsim.train.TrainTrace`."""
    net = trace.net
    if not 1 <= layer <= net.n_layers or not 0 <= unit < net.hidden[layer - 1]:
        raise ValueError(f"layer {layer}, unit {unit} is not in a network with hidden layers "
                         f"{net.hidden} (layers count from 1, units from 0).")
    if len(trace.loss) == 0:
        raise ValueError("training stopped before its first step completed; nothing recorded.")
    i = layer - 1
    return UnitStats(
        layer=layer, unit=unit, has_bn=bool(net.bn[i]), m=trace.cfg.batch_size,
        steps=trace.steps, mu=trace.batch_mean[:, i, unit], var_b=trace.batch_var[:, i, unit],
        var_u=trace.batch_var_unbiased[:, i, unit],
        pop_steps=trace.snapshot_steps, pop_mean=trace.pop_mean[:, i, unit],
        pop_var_b=trace.pop_var[:, i, unit], pop_var_u=trace.pop_var_unbiased[:, i, unit],
    )


def estimate(us: UnitStats, beta: float) -> Estimates:
    """EMA, bias-corrected EMA and cumulative average of μ_B, σ²_B (biased) and σ²_B
    (unbiased), with the lecture's v_0 = 0 for the mean and 1 for the variances."""
    theta = np.stack([us.mu, us.var_b, us.var_u], axis=1)  # (T, 3)
    init = np.array([INIT["mean"], INIT["var"], INIT["var"]])
    return Estimates(
        beta=float(beta),
        ema=running.ema(theta, beta, init=init),
        ema_bc=running.ema(theta, beta, init=init, bias_correction=True),
        cumulative=running.cumulative_average(theta),
    )


def effective_window(beta: float) -> float:
    """≈ how many recent mini-batches the EMA averages over: 1/(1 − β_EMA)."""
    return float("inf") if beta >= 1 else 1.0 / (1.0 - float(beta))


def errors(us: UnitStats, est: Estimates, variance: str = Variance.UNBIASED) -> Errors:
    """|estimate after step s − population at step s| for every snapshot step s."""
    idx = us.pop_steps - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        ab, rel = {}, {}
        for stat in ("mean", "var"):
            pop, scale = us.population(stat, variance), us.scale(stat, variance)
            ab[stat] = {n: np.abs(est.get(n, stat, variance)[idx] - pop) for n in RUNNING}
            rel[stat] = {n: e / scale for n, e in ab[stat].items()}
    return Errors(us.pop_steps, ab, rel)


def value_range(us: UnitStats, stat: str, variance: str = Variance.UNBIASED,
                q: float = 0.5) -> Range:
    """A y-range for ``stat`` that holds the batch statistics (between the ``q`` and 100 − ``q``
    percentiles), the population values and the initial value — and so every estimator, which
    are averages of those. It does not depend on β_EMA, so the axes don't jump."""
    batch, pop = us.batch(stat, variance), us.population(stat, variance)
    vals = np.r_[np.nanpercentile(batch, [q, 100 - q]) if np.isfinite(batch).any() else [],
                 pop[np.isfinite(pop)], INIT[stat]]
    lo, hi = float(np.min(vals)), float(np.max(vals))
    pad = 0.06 * (hi - lo) if hi > lo else 0.5
    return Range(lo - pad, hi + pad)


# ---------------------------------------------------------------------------------------------
# The words of the verdicts (each tab's verdict functions sit beside its numbers).

NOUN = {"ema": "the EMA", "ema_bc": "the bias-corrected EMA",
        "cumulative": "the cumulative average"}
STAT = {"mean": ("μ", "σ_pop"), "var": ("σ²", "σ²_pop")}  # symbol, what errors are relative to


def cap(text: str) -> str:
    """``text`` with its first letter capitalised."""
    return text[:1].upper() + text[1:]


def share(x: float) -> str:
    """A relative error as a percentage (``pct``), "< 0.1 %" instead of a misleading "0.0 %"."""
    return "< 0.1 %" if np.isfinite(x) and 0 < abs(x) < 0.0005 else pct(x)


def window_phrase(beta: float) -> str:
    """How many mini-batches the EMA averages over, in words that read right at every β_EMA."""
    if beta == 0:
        return "β_EMA = 0 keeps no memory: the EMA is the last mini-batch's value"
    w = effective_window(beta)
    n = f"{w:.0f}"
    return f"averages over about 1/(1 − β_EMA) = {n} mini-batch{'es' * (n != '1')}"


def bn_below(bn: tuple | list, layer: int) -> tuple[int, ...]:
    """The (1-based) layers under ``layer`` that have BN (``bn``: per hidden layer). z^[layer]
    of a mini-batch depends on its batch-mates when any of them does."""
    return tuple(i + 1 for i, b in enumerate(bn[:max(0, layer - 1)]) if b)


def layers_phrase(layers: tuple[int, ...]) -> str:
    """(1,) -> "layer 1", (1, 2) -> "layers 1 and 2", (1, 2, 3) -> "layers 1, 2 and 3"."""
    if len(layers) == 1:
        return f"layer {layers[0]}"
    return "layers " + ", ".join(map(str, layers[:-1])) + f" and {layers[-1]}"


# ---------------------------------------------------------------------------------------------
# Words with a threshold (the glossary shows them; the oracles read their thresholds).
SETTLES = define(
    "settles", "an estimate *settles* within x % from step s on when it is within x % of "
    "σ_pop (for μ) or of σ²_pop (for σ²) of the population value at every step with stored "
    "weights from s to the last one; within only at the last stored step is too late to tell. "
    "x is the Tolerance slider.")
TRAILS = define(
    "trails", "an estimate *trails* another when, at the last step, it is at least 10 % (of "
    "σ_pop for μ, of σ²_pop for σ²) off and at least 2× as far off as the other, for a "
    "statistic whose population value moved more than 10 % during training; otherwise it does "
    "*not trail by much*. The population values *hardly moved* when neither moved more than "
    "10 % from its final value.", 0.10)
HELPS = define(
    "bias correction helps", "at step s, the first stored step ≥ 1/(1 − β_EMA), the "
    "bias-corrected EMA of μ is closer to μ_pop than the EMA by more than 5 % of σ_pop (it "
    "*hurts* when further by more than that); it *changes little* when the two estimates "
    "differ by at most 5 % of σ_pop.", 0.05)
NOISE_WORD = define(
    "beyond the noise", "the mean of σ²_B/σ²_pop over the stored steps differs from what it "
    "is compared with (100 %, or the same mini-batches replayed with population statistics "
    "below, step by step) by more than 2 standard errors of the mean difference (measured from "
    "the ratios themselves); *within the noise* otherwise. The unbiased m/(m − 1)·σ²_B is "
    "*unbiased* at a setting when it averages σ²_pop within the noise.", 2.0)
AS_PREDICTED = define(
    "as random mini-batches predict", "the μ_B of a layer without BN scatter around μ_pop by "
    "0.8 to 1.25 times σ_pop/√m·√((N − m)/(N − 1)) (root mean square over the stored steps); "
    "*more* or *less* outside that. With BN below, the same bounds apply to the factor between "
    "the recorded scatter and that of the same mini-batches replayed with population "
    "statistics below.", 1.25)


START_WEIGHT_CLAIM = claim(
    "running_stats.step_by_step.start_weight",
    where="Running statistics → Step by step (takeaway)",
    words="Each mini-batch moves the EMA (1 − β_EMA) of the way to its μ_B. The start value "
          "v₀ = 0 still weighs β_EMA^k after k = 10, 50 and 100 batches / with β_EMA = 0 the "
          "EMA is just the last μ_B",
    preconditions=(), threshold="none (arithmetic of β_EMA)",
    test="tests/test_claims_running_stats.py::test_start_weight_oracle")


def start_weight_verdict(beta: float) -> Verdict:
    """What one update does to the EMA of μ and the weight β_EMA^k the start value v₀ = 0 still
    has after k updates (arithmetic: always HOLDS)."""
    raw = {"beta": float(beta)}
    if beta == 0:
        return Verdict(Outcome.HOLDS, "With β_EMA = 0 the EMA is just the last mini-batch's "
                       "μ_B: no memory, and the start value v₀ = 0 is gone after the first "
                       "step.", {"weight_10": 0.0}, None, START_WEIGHT_CLAIM, (), raw)
    w = {k: float(beta) ** k for k in (10, 50, 100)}
    return Verdict(Outcome.HOLDS, f"Each mini-batch moves the EMA {pct(1 - beta)} of the way to "
                   f"its μ_B. The start value v₀ = 0 still weighs β_EMA^k = {share(w[10])} after "
                   f"k = 10 batches, {share(w[50])} after 50 and {share(w[100])} after 100.",
                   {f"weight_{k}": x for k, x in w.items()}, None, START_WEIGHT_CLAIM, (), raw)
