r"""Running estimates of one unit's μ and σ², side by side, from a recorded training run.

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

PyTorch's ``BatchNorm1d(momentum=1−β_EMA)`` is the EMA of μ_B and of the *unbiased*
m/(m−1)·σ²_B; Keras' ``BatchNormalization(momentum=β_EMA)`` is the EMA of μ_B and of the
*biased* σ²_B. Both start at 0 and 1.

Errors are compared at the snapshot steps s, where the population statistics are known: the
estimate *after* step s against the population of the weights used *by* step s.

Every sentence of the page that judges ("stays within the tolerance", "trails", "bias correction
helps", "σ²_B falls short") is one of the claim functions at the end of this module, returning a
:class:`bnsim.verdict.Verdict` with explicit thresholds and a branch per outcome.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim import network, notation, running, train
from bnsim.verdict import Outcome, Verdict, compare, num, pct

# The running estimators (keys of notation.ESTIMATORS, which names them), in drawing order.
RUNNING = ("ema", "ema_bc", "cumulative")
INIT = {"mean": 0.0, "var": 1.0}  # v_0, as PyTorch and Keras start them


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
        return self.var_u if _kind(variance) == "unbiased" else self.var_b

    def pop_var(self, variance: str) -> np.ndarray:
        """(S,) σ²_pop of the chosen kind."""
        return self.pop_var_u if _kind(variance) == "unbiased" else self.pop_var_b


class Estimates(NamedTuple):
    """Running estimates after each step, each (T, 3): columns μ, σ² biased, σ² unbiased."""

    beta: float
    ema: np.ndarray
    ema_bc: np.ndarray
    cumulative: np.ndarray

    def get(self, name: str, stat: str, variance: str = "unbiased") -> np.ndarray:
        """(T,) estimator ``name`` of ``stat`` ("mean" or "var")."""
        col = 0 if stat == "mean" else (2 if _kind(variance) == "unbiased" else 1)
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


class RunningValues(NamedTuple):
    """What a framework's BN layer holds for one unit: running mean and running variance."""

    mean: float
    var: float


class ErrorAt(NamedTuple):
    """The relative error of an estimator at one snapshot step."""

    step: int
    rel: float


class Errors(NamedTuple):
    """|estimate − population| at the snapshot steps; ``rel`` is relative to σ_pop for the
    mean and to σ²_pop for the variance (so 0.05 = 5 %). Dicts {stat: {estimator: (S,)}}."""

    steps: np.ndarray  # (S,)
    abs: dict
    rel: dict


class Distribution(NamedTuple):
    """z^[l]_j at one snapshot step, for the histogram of the distribution view."""

    step: int  # the snapshot step shown (nearest to the one asked for)
    z_all: np.ndarray  # (N,) over the whole training set, weights of that step
    z_batch: np.ndarray | None  # (m,) over that step's mini-batch (None: not reconstructible)
    mu_batch: float  # recorded μ_B of that step
    pop_mean: float  # μ_pop at that step


def _kind(variance: str) -> str:
    if variance not in notation.VARIANCES:
        raise ValueError(f"variance must be one of {tuple(notation.VARIANCES)}; "
                         f"got {variance!r}.")
    return variance


def check_unit(net: network.NetConfig, layer: int, unit: int) -> UnitChoice:
    """Clip a (1-based) ``layer`` and a (1-based, as on screen) ``unit`` j to the network;
    returns the 0-based unit index, and notes that say what moved."""
    notes = []
    L = net.n_layers
    if not 1 <= layer <= L:
        new = min(max(int(layer), 1), L)
        notes.append(f"The network has {L} hidden layer{'s' * (L > 1)}; showing layer {new} "
                     f"instead of {layer}.")
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
    l = layer - 1
    return UnitStats(
        layer=layer, unit=unit, has_bn=bool(net.bn[l]), m=trace.cfg.batch_size,
        steps=trace.steps, mu=trace.batch_mean[:, l, unit], var_b=trace.batch_var[:, l, unit],
        var_u=trace.batch_var_unbiased[:, l, unit],
        pop_steps=trace.snapshot_steps, pop_mean=trace.pop_mean[:, l, unit],
        pop_var_b=trace.pop_var[:, l, unit], pop_var_u=trace.pop_var_unbiased[:, l, unit],
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


def framework_values(est: Estimates, step: int | None = None) -> dict[str, RunningValues]:
    """The running mean and variance that PyTorch ``BatchNorm1d(momentum=1−β_EMA)`` and Keras
    ``BatchNormalization(momentum=β_EMA)`` hold after ``step`` (default: the last one), fed
    the same mini-batches: PyTorch averages the unbiased σ²_B, Keras the biased one."""
    t = len(est.ema) if step is None else int(step)
    row = est.ema[t - 1]
    return {"pytorch": RunningValues(float(row[0]), float(row[2])),
            "keras": RunningValues(float(row[0]), float(row[1]))}


def effective_window(beta: float) -> float:
    """≈ how many recent mini-batches the EMA averages over: 1/(1 − β_EMA)."""
    return float("inf") if beta >= 1 else 1.0 / (1.0 - float(beta))


def errors(us: UnitStats, est: Estimates, variance: str = "unbiased") -> Errors:
    """|estimate after step s − population at step s| for every snapshot step s."""
    idx = us.pop_steps - 1
    pop = {"mean": us.pop_mean, "var": us.pop_var(variance)}
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = {"mean": np.sqrt(us.pop_var(variance)), "var": us.pop_var(variance)}
        ab, rel = {}, {}
        for stat in ("mean", "var"):
            ab[stat] = {n: np.abs(est.get(n, stat, variance)[idx] - pop[stat])
                        for n in RUNNING}
            rel[stat] = {n: e / scale[stat] for n, e in ab[stat].items()}
    return Errors(us.pop_steps, ab, rel)


def within_from(steps: np.ndarray, rel: np.ndarray, tol: float) -> int | None:
    """The step from which on the relative error stays ≤ ``tol`` at every later snapshot step
    (None if it is still above ``tol`` at the last one). A population value that happens to
    cross the estimate early doesn't count: the estimate has to stay close."""
    above = np.flatnonzero(~(np.asarray(rel) <= tol))  # NaN counts as above
    if not len(above):
        return int(steps[0])
    return None if above[-1] == len(steps) - 1 else int(steps[above[-1] + 1])


def variance_ratio(us: UnitStats, variance: str = "unbiased") -> float:
    """Mean of σ²_B / σ²_pop over the snapshot steps (same kind for both): about (m − 1)/m for
    the biased batch variance, about 1 for the unbiased one (mini-batches drawn without
    replacement from a large training set)."""
    b = us.sigma2(variance)[us.pop_steps - 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = b / us.pop_var(variance)
    r = r[np.isfinite(r)]
    return float(r.mean()) if len(r) else float("nan")


def error_at(steps: np.ndarray, rel: np.ndarray, step: float) -> ErrorAt:
    """The snapshot step and relative error at the first snapshot step ≥ ``step`` (else at the
    last one)."""
    i = min(int(np.searchsorted(steps, step, side="left")), len(steps) - 1)
    return ErrorAt(int(steps[i]), float(rel[i]))


def value_range(us: UnitStats, stat: str, variance: str = "unbiased",
                q: float = 0.5) -> Range:
    """A y-range for ``stat`` that holds the batch statistics (between the ``q`` and 100 − ``q``
    percentiles), the population values and the initial value — and so every estimator, which
    are averages of those. It does not depend on β_EMA, so the axes don't jump."""
    batch = us.mu if stat == "mean" else us.sigma2(variance)
    pop = us.pop_mean if stat == "mean" else us.pop_var(variance)
    vals = np.r_[np.nanpercentile(batch, [q, 100 - q]) if np.isfinite(batch).any() else [],
                 pop[np.isfinite(pop)], INIT[stat]]
    lo, hi = float(np.min(vals)), float(np.max(vals))
    pad = 0.06 * (hi - lo) if hi > lo else 0.5
    return Range(lo - pad, hi + pad)


def error_ceiling(us: UnitStats, stat: str, variance: str = "unbiased") -> float:
    """An upper bound (relative, 1 = 100 %) for the error of any estimator at any snapshot step,
    independent of β_EMA: the estimators stay within :func:`value_range` (without padding)."""
    lo, hi = value_range(us, stat, variance)
    pop = us.pop_mean if stat == "mean" else us.pop_var(variance)
    scale = np.sqrt(us.pop_var(variance)) if stat == "mean" else us.pop_var(variance)
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = np.maximum(np.abs(lo - pop), np.abs(hi - pop)) / scale
    bound = bound[np.isfinite(bound)]
    return float(bound.max()) if len(bound) else 1.0


def z_range(us: UnitStats, sds: float = 3.0) -> Range:
    """A fixed x-range for histograms of z over the whole run: μ_pop ± ``sds``·σ_pop over all
    snapshot steps, and the initial value 0 (independent of β_EMA and of the step)."""
    sd = np.sqrt(us.pop_var_b)
    ok = np.isfinite(us.pop_mean) & np.isfinite(sd)
    if not ok.any():
        return Range(-1.0, 1.0)
    lo = float(np.min(us.pop_mean[ok] - sds * sd[ok]))
    hi = float(np.max(us.pop_mean[ok] + sds * sd[ok]))
    return Range(min(lo, INIT["mean"]), max(hi, INIT["mean"]))


def trajectory_frame(us: UnitStats, est: Estimates | None, variance: str,
                     shown=(*RUNNING, "population")) -> pd.DataFrame:
    """Tidy table of what the trajectory plot shows: step, layer, unit (j, counted from 1 as
    on screen), statistic
    ("mean"/"variance"), series ("batch", the estimators in ``shown``, "population"),
    value, plus β_EMA and the variance kind."""
    parts = []
    for stat, label in (("mean", "mean"), ("var", "variance")):
        batch = us.mu if stat == "mean" else us.sigma2(variance)
        parts.append(pd.DataFrame({"step": us.steps, "statistic": label, "series": "batch",
                                   "value": batch}))
        if est is not None:
            for name in RUNNING:
                if name in shown:
                    parts.append(pd.DataFrame({"step": us.steps, "statistic": label,
                                               "series": name,
                                               "value": est.get(name, stat, variance)}))
        if "population" in shown:
            pop = us.pop_mean if stat == "mean" else us.pop_var(variance)
            parts.append(pd.DataFrame({"step": us.pop_steps, "statistic": label,
                                       "series": "population", "value": pop}))
    df = pd.concat(parts, ignore_index=True)
    df.insert(1, "layer", us.layer)
    df.insert(2, "unit", us.unit + 1)  # as on screen: units count from 1
    df["beta_ema"] = np.nan if est is None else est.beta
    df["variance"] = variance
    return df


def nearest_snapshot(trace: train.TrainTrace, step: int) -> int:
    """The snapshot step closest to ``step`` (weights are stored only there)."""
    s = trace.snapshot_steps
    return int(s[np.argmin(np.abs(s - int(step)))])


def batch_indices(trace: train.TrainTrace, y: np.ndarray, step: int) -> np.ndarray | None:
    """The training-set indices of mini-batch ``step`` (1-based), replayed from the trainer's
    seeded sampler; None when the run drew other random numbers in between (noisy BN)."""
    cfg = trace.cfg
    if cfg.bn_noise > 0:
        return None
    batches = train.minibatches(np.asarray(y), cfg.batch_size, cfg.sampling,
                             np.random.default_rng(cfg.seed))
    for _ in range(int(step) - 1):
        next(batches)
    return next(batches)


def distribution_at(trace: train.TrainTrace, X: np.ndarray, y: np.ndarray, layer: int,
                    unit: int, step: int) -> Distribution:
    """z^[l]_j over the whole training set and over the mini-batch of the snapshot step nearest
    to ``step``, with the weights used by that step. ``X`` (N, n_in), ``y`` (N,): the training
    set the trace was recorded on. The mini-batch is replayed and checked against the recorded
    μ_B; if they don't agree it is left out (``z_batch=None``)."""
    net, l = trace.net, layer - 1
    s = nearest_snapshot(trace, step)
    params, _ = trace.snapshot_at(s)
    _, cache = network.forward(params, np.asarray(X, float), net, "batch")
    z_all = cache.layers[l].z[:, unit].copy()
    mu_rec = float(trace.batch_mean[s - 1, l, unit])
    z_batch = None
    idx = batch_indices(trace, y, s)
    if idx is not None:
        _, bc = network.forward(params, np.asarray(X, float)[idx], net, "train")
        zb = bc.layers[l].z[:, unit]
        if np.isclose(zb.mean(), mu_rec, rtol=1e-9, atol=1e-12):
            z_batch = zb.copy()
    i = int(np.searchsorted(trace.snapshot_steps, s))
    return Distribution(s, z_all, z_batch, mu_rec, float(trace.pop_mean[i, l, unit]))


# ---------------------------------------------------------------------------------------------
# Claims: every judging sentence of the page, computed from the numbers beside it.

NOUN = {"ema": "the EMA", "ema_bc": "the bias-corrected EMA",
        "cumulative": "the cumulative average"}
STAT = {"mean": ("μ", "σ_pop"), "var": ("σ²", "σ²_pop")}  # symbol, what errors are relative to
LAG_MARGIN = 0.05  # bias correction "helps" when it brings the EMA closer by > 5 % of σ_pop
TRAIL_FACTOR = 2.0  # "trails": ≥ 2× as far off as the other estimator ...
TRAIL_MIN = 0.10  # ... and ≥ 10 % (of σ_pop or σ²_pop) off, whatever the view's tolerance
NOISE_SE = 2.0  # a mean ratio differs from its expectation beyond 2 standard errors
SPREAD_BOUNDS = (0.8, 1.25)  # μ_B scatter "as σ_pop/√m predicts" within these factors
MIN_SNAPSHOTS = 10  # fewer finite snapshot values: too few to judge


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def share(x: float) -> str:
    """A relative error as a percentage (``pct``), "< 0.1 %" instead of a misleading "0.0 %"."""
    return "< 0.1 %" if np.isfinite(x) and 0 < abs(x) < 0.0005 else pct(x)


def settles(steps: np.ndarray, rel: np.ndarray, tol: float, name: str, stat: str) -> Verdict:
    """Does estimator ``name`` of ``stat`` stay within ``tol`` of the population from some step
    on? ``rel`` (S,): its relative errors at the snapshot ``steps``.

    HOLDS: within ``tol`` at every snapshot from step s on (evidence ``from_step``); NO_EFFECT:
    within it only at the last snapshot, too late to say it stays; REVERSED: still outside at
    the last step; NOT_APPLICABLE: no finite error at the end (σ_pop = 0: a constant unit).
    """
    steps, rel = np.asarray(steps), np.asarray(rel, dtype=float)
    sym, scale = STAT[stat]
    who = f"{NOUN[name]} of {sym}"
    T = int(steps[-1])
    final = float(rel[-1])
    s = within_from(steps, rel, tol)
    ev = {"from_step": float("nan") if s is None else float(s), "final": final, "tol": tol,
          "last_step": float(T)}
    if not np.isfinite(final):
        return Verdict(Outcome.NOT_APPLICABLE, f"{_cap(who)} has no population value to be "
                       f"compared with at step {T} ({scale} = 0: the unit is constant).", ev, tol)
    if s is None:
        return Verdict(Outcome.REVERSED, f"{_cap(who)} is still {share(final)} of {scale} off "
                       f"at step {T}, outside the {pct(tol, 0)} tolerance.", ev, tol)
    if s == T and len(steps) > 1:
        return Verdict(Outcome.NO_EFFECT, f"{_cap(who)} is within {pct(tol, 0)} of {scale} "
                       f"only at the last step ({T}): too late to tell whether it stays.", ev, tol)
    return Verdict(Outcome.HOLDS, f"{_cap(who)} stays within {pct(tol, 0)} of {scale} from "
                   f"step {s} on ({share(final)} off at step {T}).", ev, tol)


def start_value_lag(us: UnitStats, est: Estimates, errs: Errors, stat: str = "mean",
                    variance: str = "unbiased") -> Verdict:
    """Does bias correction bring the EMA closer to the population at step s ≈ 1/(1 − β_EMA)
    (the first snapshot step ≥ the window, or the last step)?

    The plain EMA is v_s = (1 − β^s)·v̂_s + β^s·v_0, so the two differ by exactly
    β^s·|v̂_s − v_0|. HOLDS: the bias-corrected EMA is closer by more than ``LAG_MARGIN``;
    REVERSED: further by more than that (pulling towards v_0 happened to help); NO_EFFECT:
    within the margin; NOT_APPLICABLE: β_EMA = 0 (no start value left to correct) or no
    finite error.
    """
    beta = est.beta
    sym, scale = STAT[stat]
    v0 = INIT[stat]
    window = round(effective_window(beta), 9)  # 1/(1 − 0.9) is 10.000000000000002
    s, e = error_at(errs.steps, errs.rel[stat]["ema"], window)
    eb = error_at(errs.steps, errs.rel[stat]["ema_bc"], window).rel
    w = beta ** s
    i = int(np.searchsorted(errs.steps, s))
    pop_scale = np.sqrt(us.pop_var(variance)[i]) if stat == "mean" else us.pop_var(variance)[i]
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = abs(w * (est.get("ema_bc", stat, variance)[s - 1] - v0)) / pop_scale
    ev = {"step": float(s), "weight": w, "ema": e, "ema_bc": eb, "gap": float(gap)}
    if beta == 0:
        return Verdict(Outcome.NOT_APPLICABLE, "With β_EMA = 0 the EMA is just the last "
                       "mini-batch's value: no start value is left to correct.", ev, LAG_MARGIN)
    if not (np.isfinite(e) and np.isfinite(eb)):
        return Verdict(Outcome.NOT_APPLICABLE, f"No population value to compare the EMA of {sym} "
                       f"with at step {s}.", ev, LAG_MARGIN)
    start = f"At step {s} the start value v₀ = {v0:g} still weighs β_EMA^{s} = {pct(w)}"
    outcome = compare(e - eb, LAG_MARGIN)
    if outcome is Outcome.HOLDS:
        text = (f"{start}: the EMA of {sym} is {share(e)} of {scale} off, the bias-corrected EMA "
                f"only {share(eb)}.")
    elif outcome is Outcome.REVERSED:
        text = (f"{start}, yet the bias-corrected EMA of {sym} is further off ({share(eb)} of "
                f"{scale}) than the EMA ({share(e)}): the pull towards v₀ happened to help here.")
    else:
        text = (f"{start}; the EMA of {sym} ({share(e)} of {scale} off) and the bias-corrected "
                f"EMA ({share(eb)}) differ by β_EMA^{s}·|v̂ − v₀| = {share(gap)} of {scale}: "
                f"bias correction changes little here.")
    return Verdict(outcome, text, ev, LAG_MARGIN)


def _moved(us: UnitStats, stat: str, variance: str) -> float:
    """How far the population value strayed from its final value over training (relative)."""
    pop = us.pop_mean if stat == "mean" else us.pop_var(variance)
    scale = np.sqrt(us.pop_var(variance)[-1]) if stat == "mean" else us.pop_var(variance)[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.abs(pop - pop[-1]) / scale
    d = d[np.isfinite(d)]
    return float(d.max()) if len(d) else float("nan")


def trails(us: UnitStats, errs: Errors, variance: str = "unbiased") -> Verdict:
    """Does the cumulative average trail a network that is still learning, further off at the
    last step than the EMA? Judged on the statistic (μ or σ²) where it ends further off.

    HOLDS: the cumulative average ends ≥ ``TRAIL_MIN`` off and ≥ ``TRAIL_FACTOR``× as far off
    as the EMA (for μ or σ²; the sentence names which); REVERSED: the EMA trails the cumulative
    average that way; NO_EFFECT: neither; NOT_APPLICABLE: the population values hardly moved
    (never more than ``TRAIL_MIN`` from their final values), so there is nothing to trail, or
    no finite errors. The thresholds do not follow the view's tolerance, so the verdict does
    not change when the tolerance slider moves.
    """
    tol = TRAIL_MIN
    T = int(errs.steps[-1])
    fin = {st: (float(errs.rel[st]["cumulative"][-1]), float(errs.rel[st]["ema"][-1]))
           for st in ("mean", "var")}
    moved = {st: _moved(us, st, variance) for st in ("mean", "var")}
    ev = {"cum_mean": fin["mean"][0], "ema_mean": fin["mean"][1], "cum_var": fin["var"][0],
          "ema_var": fin["var"][1], "moved_mean": moved["mean"], "moved_var": moved["var"]}
    finite = [st for st in fin if all(np.isfinite(fin[st])) and np.isfinite(moved[st])]
    if not finite:
        return Verdict(Outcome.NOT_APPLICABLE, "No population values to compare the estimates "
                       "with.", ev, tol)
    if max(moved[st] for st in finite) <= tol:
        return Verdict(Outcome.NOT_APPLICABLE, f"The population values hardly moved during "
                       f"training (μ_pop stayed within {share(moved['mean'])} of σ_pop of its "
                       f"final value, σ²_pop within {share(moved['var'])}): there is nothing "
                       "for an estimate to trail.", ev, tol)

    def lags(a: float, b: float) -> bool:
        return a > tol and a >= TRAIL_FACTOR * b

    cum_first = sorted(finite, key=lambda st: -fin[st][0])
    for st in cum_first:
        c, e = fin[st]
        if lags(c, e):
            sym, scale = STAT[st]
            return Verdict(Outcome.HOLDS, f"The cumulative average trails the learning network: "
                           f"at step {T} its {sym} is {share(c)} of {scale} off, the EMA's "
                           f"{share(e)}, because it weighs the first mini-batches as much as "
                           "the last.", ev, tol)
    for st in sorted(finite, key=lambda st: -fin[st][1]):
        c, e = fin[st]
        if lags(e, c):
            sym, scale = STAT[st]
            return Verdict(Outcome.REVERSED, f"Here the EMA trails more than the cumulative "
                           f"average: at step {T} its {sym} is {share(e)} of {scale} off, the "
                           f"cumulative average's {share(c)}.", ev, tol)
    st = cum_first[0]
    c, e = fin[st]
    sym, scale = STAT[st]
    return Verdict(Outcome.NO_EFFECT, f"The cumulative average does not trail the EMA by much: "
                   f"at step {T} its {sym} is {share(c)} of {scale} off, the EMA's "
                   f"{share(e)}.", ev, tol)


def variance_shortfall(us: UnitStats, variance: str, bn_below: bool) -> Verdict:
    """Does σ²_B of the chosen kind fall short of σ²_pop on average (over the snapshot steps)?

    For m examples drawn at random from N, the biased σ²_B averages (m − 1)/m·N/(N − 1) of the
    biased σ²_pop and the unbiased m/(m − 1)·σ²_B exactly the unbiased σ²_pop. The noise margin
    is ``NOISE_SE`` standard errors of the mean ratio, measured from the ratios themselves.
    HOLDS: below 1 beyond the margin; REVERSED: above it; NO_EFFECT: within it;
    NOT_APPLICABLE: BN in the layer below (z then depends on its batch-mates, so the
    i.i.d. argument does not apply), or fewer than ``MIN_SNAPSHOTS`` finite ratios.
    """
    kind = _kind(variance)
    b = us.sigma2(kind)[us.pop_steps - 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = b / us.pop_var(kind)
    r = r[np.isfinite(r)]
    m = us.m
    expected = (m - 1) / m if kind == "biased" else 1.0
    ratio = float(r.mean()) if len(r) else float("nan")
    margin = NOISE_SE * float(r.std(ddof=1) / np.sqrt(len(r))) if len(r) > 1 else float("nan")
    ev = {"ratio": ratio, "expected": expected, "margin": margin, "m": float(m)}
    what = (f"The biased σ²_B of m = {m}" if kind == "biased"
            else f"The unbiased m/(m − 1)·σ²_B of m = {m}")
    avg = f"{what} average {pct(ratio)} of σ²_pop"
    if len(r) < MIN_SNAPSHOTS:
        return Verdict(Outcome.NOT_APPLICABLE, f"Too few population values to compare σ²_B "
                       f"with ({len(r)}).", ev, margin)
    if bn_below:
        return Verdict(Outcome.NOT_APPLICABLE, f"{avg}. Here (m − 1)/m does not apply: BN in "
                       f"layer {us.layer - 1} normalises each mini-batch by its own statistics, "
                       f"so z^[{us.layer}] depends on its batch-mates.", ev, margin)
    outcome = compare(1 - ratio, margin)
    noise = f"±{pct(margin)}"
    if kind == "biased":
        text = {
            Outcome.HOLDS: f"{avg}, below it by more than the noise ({noise}): the 1/m "
                           f"formula of σ²_B misses part of the spread; (m − 1)/m = "
                           f"{pct(expected)}.",
            Outcome.NO_EFFECT: f"{avg}, within the noise ({noise}): at m = {m} the expected "
                               f"shortfall 1/m = {pct(1 / m)} is too small to see here.",
            Outcome.REVERSED: f"{avg}, more than σ²_pop beyond the noise ({noise}), although "
                              f"(m − 1)/m = {pct(expected)} predicts less.",
        }[outcome]
    else:
        text = {
            Outcome.HOLDS: f"{avg}, below it by more than the noise ({noise}) even after the "
                           "factor m/(m − 1).",
            Outcome.NO_EFFECT: f"{avg}, within the noise ({noise}): the factor m/(m − 1) "
                               "removes the 1/m shortfall.",
            Outcome.REVERSED: f"{avg}, more than σ²_pop beyond the noise ({noise}).",
        }[outcome]
    return Verdict(outcome, text, ev, margin)


def batch_mean_spread(us: UnitStats, bn_below: bool) -> Verdict:
    """Do the μ_B of a layer without BN scatter around μ_pop as random mini-batches predict,
    σ_pop/√m·√((N − m)/(N − 1)) (m of N drawn without replacement)?

    ``ratio``: root mean square of (μ_B − μ_pop)/prediction over the snapshot steps. HOLDS:
    within ``SPREAD_BOUNDS``; REVERSED: outside (the sentence says more or less);
    NOT_APPLICABLE: BN below (z depends on the batch-mates) or fewer than ``MIN_SNAPSHOTS``
    finite values. (No NO_EFFECT: the claim is a size, not a difference.)
    """
    idx = us.pop_steps - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        n_ratio = us.pop_var_u / us.pop_var_b  # N/(N − 1)
        N = n_ratio / (n_ratio - 1)
        fpc = np.sqrt(np.clip((N - us.m) / (N - 1), 0, 1))
        predicted = np.sqrt(us.pop_var_b) / np.sqrt(us.m) * np.where(np.isfinite(fpc), fpc, 1)
        z = (us.mu[idx] - us.pop_mean) / predicted
    ok = np.isfinite(z)
    ratio = float(np.sqrt(np.mean(z[ok] ** 2))) if ok.sum() else float("nan")
    last = float(predicted[ok][-1]) if ok.any() else float("nan")
    ev = {"ratio": ratio, "predicted_last": last}
    lo, hi = SPREAD_BOUNDS
    if ok.sum() < MIN_SNAPSHOTS:
        return Verdict(Outcome.NOT_APPLICABLE, "Too few population values to compare the μ_B "
                       "with.", ev, hi - 1)
    said = (f"Its μ_B scatter around μ_pop by {num(ratio)} × σ_pop/√m on average "
            f"(σ_pop/√m = {num(last)} at the end)")
    if bn_below:
        return Verdict(Outcome.NOT_APPLICABLE, f"{said}; random sampling alone does not predict "
                       f"it here: BN in layer {us.layer - 1} makes z depend on its batch-mates.",
                       ev, hi - 1)
    if lo <= ratio <= hi:
        return Verdict(Outcome.HOLDS, f"{said}, as random mini-batches of m = {us.m} predict.",
                       ev, hi - 1)
    more = "more" if ratio > hi else "less"
    return Verdict(Outcome.REVERSED, f"{said}: {more} than random mini-batches of m = {us.m} "
                   "predict.", ev, hi - 1)


def window_phrase(beta: float) -> str:
    """How many mini-batches the EMA averages over, in words that read right at every β_EMA."""
    if beta == 0:
        return "β_EMA = 0 keeps no memory: the EMA is the last mini-batch's value"
    w = effective_window(beta)
    n = f"{w:.0f}"
    return f"averages over about 1/(1 − β_EMA) = {n} mini-batch{'es' * (n != '1')}"
