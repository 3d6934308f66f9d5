r"""Running estimates of one unit's μ and σ², side by side, from a recorded training run.

A BN layer never needs its running estimate during training, so every estimator can be
recomputed afterwards from the mini-batch statistics the trainer recorded (``trace.batch_mean``,
``trace.batch_var``) — changing β_EMA never retrains. For a sequence θ_1..θ_T (μ_B or σ²_B):

    EMA (lecture)        v_t = β_EMA·v_{t−1} + (1 − β_EMA)·θ_t,  v_0 = 0 (mean), 1 (variance)
    bias-corrected EMA   v̂_t = (v_t − β_EMA^t·v_0)/(1 − β_EMA^t)   (= v_t/(1 − β_EMA^t) for v_0 = 0)
    cumulative average   c_t = (θ_1 + … + θ_t)/t                  (PyTorch ``momentum=None``)
    population           μ_pop, σ²_pop of z over the whole training set with the weights of step t

PyTorch's ``BatchNorm1d(momentum=1−β_EMA)`` is the EMA of μ_B and of the *unbiased*
m/(m−1)·σ²_B; Keras' ``BatchNormalization(momentum=β_EMA)`` is the EMA of μ_B and of the
*biased* σ²_B. Both start at 0 and 1.

Errors are compared at the snapshot steps s, where the population statistics are known: the
estimate *after* step s against the population of the weights used *by* step s.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim import network, notation, running, train

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
    """A (1-based) layer and (0-based) unit that exist in the network, and what was moved."""

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
    """Clip a (1-based) ``layer`` and (0-based) ``unit`` to the network; notes say what moved."""
    notes = []
    L = net.n_layers
    if not 1 <= layer <= L:
        new = min(max(int(layer), 1), L)
        notes.append(f"The network has {L} hidden layer{'s' * (L > 1)}; showing layer {new} "
                     f"instead of {layer}.")
        layer = new
    n = net.hidden[layer - 1]
    if not 0 <= unit < n:
        new = min(max(int(unit), 0), n - 1)
        notes.append(f"Layer {layer} has {n} units (0–{n - 1}); showing unit {new} "
                     f"instead of {unit}.")
        unit = new
    return UnitChoice(int(layer), int(unit), notes)


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
    """Tidy table of what the trajectory plot shows: step, layer, unit, statistic
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
    df.insert(2, "unit", us.unit)
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
