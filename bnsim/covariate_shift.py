r"""Covariate shift as the lecture argues it, made measurable (numpy and pandas only).

Four toy examples, one section each:

1. **Input covariate shift** ("trained on black cats, tested on coloured cats"): one fixed
   labelling rule, training inputs in one region, test inputs moved by a shift. Networks with
   and without BN are trained once on the training region; :func:`shift_sweep` then measures
   their accuracy on test sets moved by every shift, and the accuracy of the BN network after
   AdaBN recalibration (its BN statistics re-estimated on the shifted test inputs, weights
   untouched — :func:`bnsim.network.recalibrate`).
2. **Internal covariate shift**: the distribution of a hidden layer's inputs over training steps,
   from the parameter snapshots of a :class:`bnsim.train.TrainTrace` (:func:`layer_values`,
   :func:`band`, :func:`histograms`, :func:`moments`), and one number per run, :func:`drift`.
3. **Mini-batch noise**: how much μ_B and σ²_B of a fixed network vary from mini-batch to
   mini-batch as the batch size m grows, against the 1/√m law, and how far train-mode outputs
   (batch statistics) are from outputs with population statistics (:func:`batch_noise`,
   :func:`mean_spread_law`).
4. **Noisy BN**: no BN, BN, and BN followed by random per-step scale and shift (which re-creates
   covariate shift on purpose), several seeds each, trained in stacked passes
   (:func:`noisy_comparison`, :func:`noisy_summary`).
5. **Slight regularisation**: the train/test gap of BN networks trained with m = 4 … 256 next
   to the noise of μ_B, σ²_B (:func:`regularisation_sweep`).

Every sentence that judges is a claim function returning a :class:`bnsim.verdict.Verdict`
(:func:`shift_claim`, :func:`adabn_claim`, :func:`drift_claim`, :func:`pinning_claim`,
:func:`noise_law_claim`, :func:`noisy_claim`, :func:`regularisation_claim`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim import data, network
from bnsim.network import NetConfig
from bnsim.train import StackedTrace, TrainConfig, train_stacked
from bnsim.verdict import Outcome, Verdict, compare, num, pct, pp, runs

# ---------------------------------------------------------------- 1. input covariate shift
SHIFTS = np.round(np.arange(0.0, 5.0001, 0.25), 2)  # the sweep: 0, 0.25, …, 5
MODELS = ("no_bn", "bn", "adabn")  # keys of bnsim.notation.MODELS


@dataclass
class ShiftModels:
    """Networks trained on the training region of each rule (runs share the inputs X_train).

    ``plain[i]`` are the weights of the network without BN for ``rules[i]``; ``bn[i]`` is
    (weights, running statistics) of the network with BN on every hidden layer."""

    rules: tuple[str, ...]
    net_plain: NetConfig
    net_bn: NetConfig
    plain: list
    bn: list
    X_train: np.ndarray  # (n, 2)
    y_train: np.ndarray  # (len(rules), n)
    diverged: dict  # {(rule, "no_bn" | "bn"): bool}

    def index(self, rule: str) -> int:
        return self.rules.index(rule)


def train_shift_models(rules: Sequence[str], hidden: tuple[int, ...], activation: str,
                       cfg: TrainConfig, spread: float = 0.8, n_train: int = 400,
                       data_seed: int = 0) -> ShiftModels:
    """Train, for every rule, one network without and one with BN on the *training* region of
    :func:`bnsim.data.make_shift` (the training inputs do not depend on the shift or the rule,
    only on ``spread``, ``n_train`` and ``data_seed``). Two stacked passes, one per architecture,
    all rules in each (:func:`bnsim.train.train_stacked` with per-run labels)."""
    rules = tuple(rules)
    if not rules:
        raise ValueError("need at least one rule.")
    sets = [data.make_shift(rule=r, shift=0.0, n_train=n_train, n_test=2, spread=spread,
                            test_scale=1.0, label_noise=0.0, seed=data_seed) for r in rules]
    X = sets[0].X_train
    Y = np.stack([s.y_train for s in sets])
    n = len(hidden)
    net_plain = NetConfig(hidden=hidden, bn=(False,) * n, activation=activation)
    net_bn = NetConfig(hidden=hidden, bn=(True,) * n, activation=activation)
    seeds = [cfg.seed] * len(rules)
    quiet = replace(cfg, bn_noise=0.0, eval_every=cfg.steps, n_snapshots=1)
    plain = train_stacked(net_plain, X, Y, cfg=quiet, seeds=seeds)
    bn = train_stacked(net_bn, X, Y, cfg=quiet, seeds=seeds)
    diverged = {}
    for i, r in enumerate(rules):
        diverged[(r, "no_bn")] = bool(plain.diverged_at[i])
        diverged[(r, "bn")] = bool(bn.diverged_at[i])
    return ShiftModels(rules, net_plain, net_bn, plain.params,
                       list(zip(bn.params, bn.running_stats, strict=True)), X, Y, diverged)


def shifted_sets(rule: str, shifts, spread: float, test_scale: float, n_train: int,
                 n_test: int, data_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Test inputs and labels for every shift: X (G, n_test, 2), y (G, n_test). The same seed
    draws the same noise at every shift, so the clouds only move."""
    sets = [data.make_shift(rule=rule, shift=float(s), n_train=n_train, n_test=n_test,
                            spread=spread, test_scale=test_scale, label_noise=0.0, seed=data_seed)
            for s in shifts]
    return np.stack([d.X_test for d in sets]), np.stack([d.y_test for d in sets])


def predict(models: ShiftModels, rule: str, model: str, X) -> np.ndarray:
    """Class-1 probability (..., k) of ``model`` for inputs X (..., k, 2).

    ``"no_bn"`` and ``"bn"`` use the network as trained (BN in eval mode with the running
    statistics from training). ``"adabn"`` re-estimates the BN statistics on each slice
    X[..., :, :] (the shifted test set) — "batch" mode over the whole slice, which is the same
    as :func:`bnsim.network.recalibrate` on that slice followed by eval mode."""
    i = models.index(rule)
    if model == "no_bn":
        p = network.predict_proba(models.plain[i], X, models.net_plain, "eval")
    elif model == "bn":
        params, running = models.bn[i]
        p = network.predict_proba(params, X, models.net_bn, "eval", running)
    elif model == "adabn":
        p = network.predict_proba(models.bn[i][0], X, models.net_bn, "batch")
    else:
        raise ValueError(f"model must be one of {MODELS}; got {model!r}.")
    return p[..., 1]


@dataclass
class ShiftSweep:
    """Accuracy on shifted test sets. ``table``: one row per shift with columns ``shift``,
    ``no_bn``, ``bn``, ``adabn`` (test accuracy), ``majority`` (accuracy of always answering the
    test set's majority class) and ``class1`` (fraction of class 1). ``train_dist``: accuracy
    of each model on a fresh sample of the *training* distribution (shift 0, same scale)."""

    table: pd.DataFrame
    train_dist: dict


def shift_sweep(models: ShiftModels, rule: str, spread: float, test_scale: float = 1.0,
                n_train: int = 400, n_test: int = 400, data_seed: int = 0,
                shifts=SHIFTS) -> ShiftSweep:
    """Accuracy of every model in :data:`MODELS` at every shift (one vectorised pass each)."""
    Xs, ys = shifted_sets(rule, shifts, spread, test_scale, n_train, n_test, data_seed)
    table = {"shift": np.asarray(shifts, dtype=float)}
    for m in MODELS:
        table[m] = np.mean((predict(models, rule, m, Xs) > 0.5) == ys, axis=1)
    frac1 = ys.mean(axis=1)
    table["majority"] = np.maximum(frac1, 1 - frac1)
    table["class1"] = frac1
    X0, y0 = shifted_sets(rule, [0.0], spread, 1.0, n_train, n_test, data_seed)
    train_dist = {m: float(np.mean((predict(models, rule, m, X0[0]) > 0.5) == y0[0]))
                  for m in MODELS}
    return ShiftSweep(pd.DataFrame(table), train_dist)


def rule_comparison(models: ShiftModels, shift: float, spread: float, test_scale: float,
                    n_train: int = 400, n_test: int = 400, data_seed: int = 0) -> pd.DataFrame:
    """Test accuracy of every model for every rule at one shift: columns rule, model, accuracy,
    majority."""
    rows = []
    for rule in models.rules:
        Xs, ys = shifted_sets(rule, [shift], spread, test_scale, n_train, n_test, data_seed)
        frac1 = ys.mean()
        for m in MODELS:
            acc = float(np.mean((predict(models, rule, m, Xs[0]) > 0.5) == ys[0]))
            rows.append({"rule": rule, "model": m, "accuracy": acc,
                         "majority": max(frac1, 1 - frac1)})
    return pd.DataFrame(rows)


class ShiftAt(NamedTuple):
    """Test accuracy at the sweep's shift nearest the current one, and on the training
    distribution (a fresh sample at shift 0)."""

    no_bn: float
    bn: float
    adabn: float  # BN after AdaBN recalibration on the shifted test inputs
    majority: float  # always answering the test set's majority class
    train_no_bn: float
    train_bn: float


def shift_at(sweep: ShiftSweep, shift: float) -> ShiftAt:
    """The row of ``sweep.table`` nearest ``shift`` with the training-distribution accuracy."""
    t = sweep.table
    row = t.iloc[int(np.argmin(np.abs(t["shift"] - shift)))]
    return ShiftAt(float(row["no_bn"]), float(row["bn"]), float(row["adabn"]),
                   float(row["majority"]), sweep.train_dist["no_bn"], sweep.train_dist["bn"])


class RuleAccuracy(NamedTuple):
    """:func:`rule_comparison` as lookups: accuracy[(rule, model)], majority[rule]."""

    accuracy: dict
    majority: dict


def rule_accuracy(table: pd.DataFrame) -> RuleAccuracy:
    """The accuracy of every (rule, model) and each rule's majority-class rate."""
    acc = table.set_index(["rule", "model"])["accuracy"]
    maj = table.drop_duplicates("rule").set_index("rule")["majority"]
    return RuleAccuracy({k: float(a) for k, a in acc.items()},
                        {k: float(m) for k, m in maj.items()})


def decision_grid(models: ShiftModels, rule: str, model: str, X_test, xlim, ylim,
                  n: tuple[int, int] = (110, 80)):
    """Probability of class 1 on a grid (ny, nx) for the boundary plot, and the true rule there.

    For ``"adabn"`` the BN statistics come from the test inputs ``X_test`` (n_test, 2)
    (:func:`bnsim.network.recalibrate`), then every grid point goes through eval mode.
    Returns (xs (nx,), ys (ny,), proba (ny, nx), truth (ny, nx))."""
    xs, ys = np.linspace(*xlim, n[0]), np.linspace(*ylim, n[1])
    gx, gy = np.meshgrid(xs, ys)
    G = np.c_[gx.ravel(), gy.ravel()]
    if model == "adabn":
        params = models.bn[models.index(rule)][0]
        running = network.recalibrate(params, X_test, models.net_bn)
        p = network.predict_proba(params, G, models.net_bn, "eval", running)[:, 1]
    else:
        p = predict(models, rule, model, G)
    truth = data.label_rule(rule, G)
    return xs, ys, p.reshape(gx.shape), truth.reshape(gx.shape)


# ---------------------------------------------------------------- 2. internal covariate shift
QUANTITIES = {"a_prev": "a^[l−1], the inputs of layer l", "z": "z^[l], before BN",
              "z_tilde": "z̃^[l], after BN"}
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def layer_values(snapshots, X, net: NetConfig, l: int, quantity: str = "a_prev") -> np.ndarray:
    """Values of one quantity of hidden layer ``l`` (1-based) over the whole data set ``X``
    (n, n_in), for every snapshot: array (S, n, units).

    ``snapshots`` is a list of (params, running) as in ``TrainTrace.snapshots``. The network
    runs in "batch" mode on all of X (frozen weights), as in ``TrainTrace.pop_mean``: this is
    the distribution a layer sees during training at that step, without mini-batch noise.
    ``quantity``: "a_prev" the layer's inputs a^[l−1] (for l = 1 the data X itself), "z" the
    pre-activation z^[l] = W^[l] a^[l−1] (before BN), "z_tilde" what the activation receives,
    z̃^[l] = γ·z_norm + β with BN or z^[l] + b^[l] without."""
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity must be one of {sorted(QUANTITIES)}; got {quantity!r}.")
    if not 1 <= l <= net.n_layers:
        raise ValueError(f"layer must be 1 to {net.n_layers}; got {l}.")
    out = []
    for params, _ in snapshots:
        _, cache = network.forward(params, X, net, "batch")
        lc = cache.layers[l - 1]
        if quantity == "a_prev":
            v = lc.a_prev
        elif quantity == "z":
            v = lc.z
        elif net.bn[l - 1]:
            v = params[f"gamma{l}"] * lc.bn.z_norm + params[f"beta{l}"]
        else:
            v = lc.z + params[f"b{l}"]
        out.append(v)
    return np.stack(out)


def band(values: np.ndarray, quantiles=QUANTILES) -> np.ndarray:
    """Quantiles over examples: (S, n, units) -> (S, units, len(quantiles))."""
    return np.moveaxis(np.quantile(values, quantiles, axis=1), 0, -1)


def moments(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit mean and standard deviation (biased) over examples: two arrays (S, units)."""
    return values.mean(axis=1), values.std(axis=1)


def histograms(values: np.ndarray, bins: int = 40, lo: float | None = None,
               hi: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of one unit at every snapshot on shared bin edges: values (S, n) ->
    (edges (bins+1,), density (S, bins)), each row a probability density. The default range
    is the 0.5–99.5 % range over all snapshots, so a few outliers do not squash the picture."""
    v = np.asarray(values, dtype=float)
    if lo is None or hi is None:
        q_lo, q_hi = np.quantile(v, [0.005, 0.995])
        lo = q_lo if lo is None else lo
        hi = q_hi if hi is None else hi
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, bins + 1)
    width = edges[1] - edges[0]
    idx = np.clip(((v - lo) / width).astype(int), 0, bins - 1)
    inside = (v >= lo) & (v <= hi)
    counts = np.zeros((v.shape[0], bins))
    rows = np.broadcast_to(np.arange(v.shape[0])[:, None], v.shape)
    np.add.at(counts, (rows[inside], idx[inside]), 1.0)
    return edges, counts / (v.shape[1] * width)


def drift(mean, std) -> float:
    r"""One number for how much a layer's input distribution moved during a run.

    ``mean`` and ``std`` are (S, units): the mean m_j(s) and standard deviation d_j(s) of unit
    j over the training set at snapshot s = 1..S (e.g. from :func:`moments`; NaN columns, the
    padding of narrower layers, are ignored). With the total variation of each unit's path

        TV_j = Σ_{s=1}^{S−1} |m_j(s+1) − m_j(s)| + |d_j(s+1) − d_j(s)|,

    the drift is

        D = mean_j TV_j / mean_{j,s} d_j(s),

    the total distance the units' means and standard deviations travelled, in units of the
    layer's typical standard deviation. D = 0 for a distribution whose mean and spread never
    change; a mean walking steadily from 0 to 1 at standard deviation 1 gives D = 1. D is
    unchanged when all values are scaled by one positive factor or shifted by one constant, and
    it depends on the snapshot steps (compare runs recorded at the same steps). It sees only
    mean and spread: a change of shape at fixed mean and variance does not count.
    """
    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
    if mean.shape != std.shape or mean.ndim != 2 or mean.shape[0] < 2:
        raise ValueError(f"mean and std must both be (S ≥ 2, units); got {mean.shape}, "
                         f"{std.shape}.")
    keep = ~(np.all(np.isnan(mean), axis=0) | np.all(np.isnan(std), axis=0))
    mean, std = mean[:, keep], std[:, keep]
    if mean.shape[1] == 0 or np.isnan(mean).any() or np.isnan(std).any():
        return float("nan")
    tv = np.abs(np.diff(mean, axis=0)).sum(axis=0) + np.abs(np.diff(std, axis=0)).sum(axis=0)
    scale = std.mean()
    if scale == 0:
        return 0.0 if np.all(tv == 0) else float("inf")
    return float(tv.mean() / scale)


def layer_width(quantity: str, l: int, units: int, n_in: int = 2) -> int:
    """Number of units of ``quantity`` in hidden layer ``l``: a^[0] is the data x (n_in)."""
    return n_in if (quantity == "a_prev" and l == 1) else units


class LayerRun(NamedTuple):
    """One run's view of hidden layer l over training (S snapshots, n units)."""

    steps: np.ndarray  # (S,) snapshot steps
    band: np.ndarray | None  # (S, n, 5) quantiles (None if the values overflowed)
    mean: np.ndarray  # (S, n) per-unit mean over the data set
    std: np.ndarray  # (S, n) per-unit standard deviation (biased)
    edges: np.ndarray  # (n, bins + 1) histogram edges per unit
    density: np.ndarray  # (S, n, bins)
    finite: bool  # all values finite (no overflow)
    drift: float  # :func:`drift` of mean and std (NaN if not finite)
    zt_mean: np.ndarray  # (S, n_l) mean of z̃^[l]
    zt_var: np.ndarray  # (S, n_l) variance of z̃^[l]
    diverged: bool
    diverged_at: int | None
    test_acc: float  # final eval-mode test accuracy (NaN if never evaluated)
    beta: np.ndarray | None = None  # (S, n_l) β^[l] at the snapshots (BN only)
    gamma2: np.ndarray | None = None  # (S, n_l) (γ^[l])² at the snapshots (BN only)


def layer_run(trace, X, l: int, quantity: str, bins: int = 40) -> LayerRun:
    """Follow ``quantity`` of hidden layer ``l`` through the snapshots of ``trace`` (a
    :class:`bnsim.train.TrainTrace`) over the data set X (N, n_in)."""
    vals = layer_values(trace.snapshots, X, trace.net, l, quantity)  # (S, N, n)
    mean, std = moments(vals)
    finite = bool(np.all(np.isfinite(vals)))
    n = vals.shape[2]
    edges = np.zeros((n, bins + 1))
    dens = np.zeros((len(vals), n, bins))
    if finite:
        for j in range(n):
            edges[j], dens[:, j] = histograms(vals[:, :, j], bins)
    zt = vals if quantity == "z_tilde" else layer_values(trace.snapshots, X, trace.net, l,
                                                         "z_tilde")
    zt_mean, zt_std = moments(zt)
    beta = gamma2 = None
    if trace.net.bn[l - 1]:
        beta = np.array([p[f"beta{l}"] for p, _ in trace.snapshots])
        gamma2 = np.array([p[f"gamma{l}"] ** 2 for p, _ in trace.snapshots])
    return LayerRun(
        steps=trace.snapshot_steps, band=band(vals) if finite else None, mean=mean, std=std,
        edges=edges, density=dens, finite=finite,
        drift=drift(mean, std) if finite else float("nan"), zt_mean=zt_mean,
        zt_var=zt_std ** 2, diverged=trace.diverged, diverged_at=trace.diverged_at,
        test_acc=float(trace.test_acc[-1]) if len(trace.test_acc) else float("nan"),
        beta=beta, gamma2=gamma2)


class LayerView(NamedTuple):
    """The same layer in the network without BN and with BN (same seed, data, optimiser)."""

    no_bn: LayerRun
    bn: LayerRun


class Pinning(NamedTuple):
    """How tightly BN pins z̃^[l]: its per-unit mean to β and variance to γ²."""

    off_mean: float  # max |mean(z̃) − β| over steps and units
    off_var: float  # max |var(z̃)/γ² − 1|
    beta_range: float  # mean over units of the range β travelled
    plain_range: float  # the same for the unit means of z̃ without BN


def pinning(view: LayerView) -> Pinning:
    """:class:`Pinning` from the BN run's β, γ² and the moments of z̃ in both runs."""
    b = view.bn
    return Pinning(float(np.max(np.abs(b.zt_mean - b.beta))),
                   float(np.max(np.abs(b.zt_var / b.gamma2 - 1))),
                   float(np.mean(np.ptp(b.beta, axis=0))),
                   float(np.mean(np.ptp(view.no_bn.zt_mean, axis=0))))


def band_table(view: LayerView, unit: int) -> pd.DataFrame:
    """Tidy table of one unit's quantile band, mean and std per step and network (0-based
    ``unit``)."""
    cols = [f"q{int(q * 100)}" for q in QUANTILES]
    return pd.concat([pd.DataFrame(r.band[:, unit], columns=cols)
                      .assign(step=r.steps, network=k, mean=r.mean[:, unit], std=r.std[:, unit])
                      for k, r in (("no_bn", view.no_bn), ("bn", view.bn))])


# ---------------------------------------------------------------- 3. mini-batch noise
BATCH_SIZES = (2, 4, 8, 16, 32, 64, 128, 256)


@dataclass
class BatchNoise:
    """μ_B and σ²_B of every hidden layer's z^[l] over many mini-batches of every size, and
    train-mode outputs vs outputs with population statistics for the same examples. M sizes,
    B batches, n_l units."""

    sizes: np.ndarray  # (M,)
    mu: list  # per layer l = 1..L: (M, B, n_l) μ_B per batch and unit
    sigma2: list  # per layer: (M, B, n_l) σ²_B (biased)
    pop_mean: list  # per layer: (n_l,) μ of z^[l] over the whole set (batch mode, all N)
    pop_var: list  # per layer: (n_l,) biased
    n_examples: int  # N, the size of the set the batches are drawn from
    out_diff: np.ndarray  # (M,) mean |p_train − p_eval| of the class-1 probability
    flips: np.ndarray  # (M,) fraction of examples whose predicted class differs

    def spread(self, l: int) -> tuple[np.ndarray, np.ndarray]:
        """Standard deviation over batches of μ_B and of σ²_B in layer l: two arrays (M, n_l)."""
        return self.mu[l - 1].std(axis=1), self.sigma2[l - 1].std(axis=1)


def mean_spread_law(sigma, m, N: int | None = None):
    r"""Standard deviation of the mean of m examples drawn without replacement from N values
    whose (biased) standard deviation is σ:  σ/√m · √((N − m)/(N − 1)). Without ``N``
    (infinitely many examples, or drawing with replacement) it is the 1/√m law σ/√m."""
    m = np.asarray(m, dtype=float)
    out = np.asarray(sigma, dtype=float) / np.sqrt(m)
    if N is not None:
        out = out * np.sqrt((N - m) / (N - 1))
    return out


def sample_batches(N: int, m: int, B: int, rng: np.random.Generator) -> np.ndarray:
    """B index arrays of m distinct examples out of N (each a uniformly random m-subset, as a
    batch within the trainer's epochs is): (B, m)."""
    if not 1 <= m <= N:
        raise ValueError(f"batch size must be 1 to {N}; got {m}.")
    keys = rng.random((B, N))
    if m == N:
        return np.argsort(keys, axis=1)
    return np.argpartition(keys, m - 1, axis=1)[:, :m]


def batch_noise(params, net: NetConfig, X, sizes=BATCH_SIZES, n_batches: int = 400,
                seed: int = 0) -> BatchNoise:
    """For a fixed network (``params``), draw ``n_batches`` mini-batches of every size in
    ``sizes`` from X (N, n_in) and record μ_B and σ²_B of every layer's z^[l] as training
    sees them (lower BN layers normalised by the same mini-batch), all batches of one size in
    one vectorised pass. The reference outputs use the **population statistics** of X (μ, σ²
    of the whole set, not the running estimates of eval mode), so the output difference is
    the mini-batch noise alone, not a lagging running average."""
    X = np.asarray(X, dtype=float)
    N = len(X)
    sizes = np.array([int(m) for m in sizes if 2 <= m <= N])
    if not len(sizes):
        raise ValueError(f"no batch size between 2 and the {N} examples.")
    rng = np.random.default_rng(seed)
    pop = network.population_stats(params, X, net)
    pop_running = network.recalibrate(params, X, net)
    p_eval = network.predict_proba(params, X, net, "eval", pop_running)
    L = net.n_layers
    mus, s2s = [[] for _ in range(L)], [[] for _ in range(L)]
    diffs, flips = [], []
    for m in sizes:
        idx = sample_batches(N, int(m), n_batches, rng)
        logits, cache = network.forward(params, X[idx], net, "batch")
        for l, lc in enumerate(cache.layers):
            mu = lc.z.mean(axis=1)
            mus[l].append(mu)
            s2s[l].append(np.mean((lc.z - mu[:, None, :]) ** 2, axis=1))
        p_train = network.softmax(logits)
        pe = p_eval[idx]
        diffs.append(float(np.mean(np.abs(p_train[..., 1] - pe[..., 1]))))
        flips.append(float(np.mean(p_train.argmax(-1) != pe.argmax(-1))))
    return BatchNoise(sizes, [np.stack(v) for v in mus], [np.stack(v) for v in s2s],
                      [pop[l][0] for l in range(1, L + 1)], [pop[l][1] for l in range(1, L + 1)],
                      N, np.array(diffs), np.array(flips))


class NoiseView(NamedTuple):
    """What the mini-batch tab shows for one layer, unit and two batch sizes (M sizes)."""

    layer: int  # 1-based
    unit: int  # 0-based
    m_small: int
    m_large: int
    i_small: int  # index of m_small in sizes
    i_large: int
    sigma: float  # population standard deviation of z^[l]_unit (biased)
    pop_mean: float
    law: np.ndarray  # (M,) σ/√m
    law_fpc: np.ndarray  # (M,) σ/√m·√((N−m)/(N−1))
    mu_small: np.ndarray  # (B,) μ_B over batches of m_small
    mu_large: np.ndarray  # (B,)
    sd_mu: np.ndarray  # (M,) std of μ_B over batches
    sd_s2: np.ndarray  # (M,) std of σ²_B over batches
    sizes: np.ndarray  # (M,)
    n_examples: int
    out_diff: np.ndarray  # (M,) mean |p_train − p_eval|
    flips: np.ndarray  # (M,) fraction of flipped predictions


def noise_view(bn: BatchNoise, l: int, unit: int, m1: int, m2: int) -> NoiseView:
    """Select layer ``l`` (1-based), ``unit`` (0-based) and the two sizes (sorted) of ``bn``."""
    sizes = [int(m) for m in bn.sizes]
    ma, mb = (m1, m2) if m1 <= m2 else (m2, m1)
    ia, ib = sizes.index(ma), sizes.index(mb)
    sigma = float(np.sqrt(bn.pop_var[l - 1][unit]))
    mu = bn.mu[l - 1][:, :, unit]
    sd_mu, sd_s2 = bn.spread(l)
    return NoiseView(l, unit, ma, mb, ia, ib, sigma, float(bn.pop_mean[l - 1][unit]),
                     mean_spread_law(sigma, bn.sizes),
                     mean_spread_law(sigma, bn.sizes, bn.n_examples), mu[ia], mu[ib],
                     sd_mu[:, unit], sd_s2[:, unit], bn.sizes, bn.n_examples, bn.out_diff,
                     bn.flips)


def noise_table(nv: NoiseView) -> pd.DataFrame:
    """The spreads and the train/eval gap per batch size, as plotted."""
    return pd.DataFrame({"m": nv.sizes, "sd_mu": nv.sd_mu, "sd_sigma2": nv.sd_s2, "law": nv.law,
                         "law_finite": nv.law_fpc, "mean_abs_p_diff": nv.out_diff,
                         "flips": nv.flips})


# ---------------------------------------------------------------- 4. noisy BN
VARIANTS = ("no_bn", "bn", "noisy_bn")  # keys of bnsim.notation.MODELS


@dataclass
class NoisyComparison:
    """Three variants × several seeds. ``plain`` holds the no-BN runs (one per seed);
    ``bn`` the BN runs then the noisy-BN runs (seeds in the same order)."""

    seeds: tuple[int, ...]
    noise: float
    plain: StackedTrace
    bn: StackedTrace

    def runs(self, variant: str) -> tuple[StackedTrace, list[int]]:
        """The trace holding ``variant`` and the run indices (one per seed) in it."""
        k = len(self.seeds)
        if variant == "no_bn":
            return self.plain, list(range(k))
        if variant == "bn":
            return self.bn, list(range(k))
        if variant == "noisy_bn":
            return self.bn, list(range(k, 2 * k))
        raise ValueError(f"variant must be one of {VARIANTS}; got {variant!r}.")


def noisy_comparison(X, y, X_test, y_test, hidden: tuple[int, ...], activation: str,
                     cfg: TrainConfig, noise: float, seeds: Sequence[int],
                     pop_rows: int | None = 250) -> NoisyComparison:
    """Train no BN, BN and noisy BN (BN then z̃·(1 + σ·ξ₁) + σ·ξ₂ per unit, fresh standard
    normal ξ every step, σ = ``noise``; ``TrainConfig.bn_noise``) for every seed, with the same
    data, optimiser, learning rate and steps. Two stacked passes: the no-BN runs, and the BN
    and noisy-BN runs together (same architecture). Evaluated once, after the last step; the
    snapshot statistics behind :func:`noisy_summary`'s drift are taken over the first
    ``pop_rows`` training examples (None: all)."""
    if not (np.isfinite(noise) and 0 < noise <= 5):
        raise ValueError(f"noise must be in (0, 5]; got {noise!r}.")
    seeds = tuple(int(s) for s in seeds)
    n = len(hidden)
    net_plain = NetConfig(hidden=hidden, bn=(False,) * n, activation=activation)
    net_bn = NetConfig(hidden=hidden, bn=(True,) * n, activation=activation)
    cfg = replace(cfg, bn_noise=0.0, eval_every=cfg.steps)  # only the final accuracy is shown
    plain = train_stacked(net_plain, X, y, X_test, y_test, cfg, seeds, pop_rows=pop_rows)
    bn = train_stacked(net_bn, X, y, X_test, y_test, cfg, seeds * 2,
                       [0.0] * len(seeds) + [float(noise)] * len(seeds), pop_rows=pop_rows)
    return NoisyComparison(seeds, float(noise), plain, bn)


def smooth(x, window: int) -> np.ndarray:
    """Trailing moving average over the last ``window`` values along the last axis (shorter
    at the start; NaN stays NaN)."""
    x = np.asarray(x, dtype=float)
    window = max(int(window), 1)
    c = np.cumsum(np.nan_to_num(x), axis=-1)
    out = c.copy()
    out[..., window:] = c[..., window:] - c[..., :-window]
    counts = np.minimum(np.arange(1, x.shape[-1] + 1), window)
    out = out / counts
    return np.where(np.isnan(x), np.nan, out)


def noisy_summary(cmp: NoisyComparison, layer: int, tail: float = 0.1) -> pd.DataFrame:
    """One row per variant and seed: final eval-mode test and training accuracy, mean
    mini-batch loss over the last ``tail`` of the steps, whether it diverged, and the
    :func:`drift` of what the activation of hidden layer ``layer`` receives (z̃^[l] after BN
    and the noise of that step; z^[l] + b^[l] without BN) over the training set at the
    snapshot steps."""
    rows = []
    for v in VARIANTS:
        tr, idx = cmp.runs(v)
        T = tr.loss.shape[1]
        last = slice(T - max(1, int(round(T * tail))), T)
        for seed, r in zip(cmp.seeds, idx, strict=True):
            rows.append({
                "variant": v, "seed": seed,
                "test_acc": float(tr.test_acc[r, -1]),
                "train_acc": float(tr.train_eval_acc[r, -1]),
                "final_loss": float(np.nanmean(tr.loss[r, last])) if not tr.diverged_at[r]
                else float("nan"),
                "diverged": bool(tr.diverged_at[r]),
                "drift": drift(tr.out_mean[r, :, layer - 1], tr.out_std[r, :, layer - 1]),
            })
    return pd.DataFrame(rows)



def loss_curves(cmp: NoisyComparison, window: int) -> dict:
    """{variant: (seeds, T)} mini-batch loss per run, smoothed over ``window`` steps."""
    out = {}
    for v in VARIANTS:
        tr, idx = cmp.runs(v)
        out[v] = smooth(tr.loss[idx], window)
    return out


def loss_steps(curves: dict) -> np.ndarray:
    """The steps 1, 2, …, T of :func:`loss_curves`' curves."""
    return np.arange(1, next(iter(curves.values())).shape[-1] + 1)


def loss_table(curves: dict, seeds: Sequence[int]) -> pd.DataFrame:
    """One column per variant and seed, one row per step (1, 2, …)."""
    return pd.DataFrame({"step": loss_steps(curves)} | {
        f"{k}_seed{s}": curves[k][i] for k in curves for i, s in enumerate(seeds)})


def diverged_runs(summary: pd.DataFrame) -> list[tuple[str, int]]:
    """(variant, seed) of every run of :func:`noisy_summary` that diverged."""
    return [(r.variant, int(r.seed)) for r in summary[summary["diverged"]].itertuples()]


class NoisyMeans(NamedTuple):
    """Means over seeds per variant: {variant: final test accuracy}, {variant: drift D}."""

    test_acc: dict
    drift: dict


def noisy_means(summary: pd.DataFrame) -> NoisyMeans:
    """Means over seeds of :func:`noisy_summary`'s test accuracy and drift, per variant."""
    g = summary.groupby("variant")[["test_acc", "drift"]].mean()
    return NoisyMeans({k: float(g.loc[k, "test_acc"]) for k in VARIANTS},
                      {k: float(g.loc[k, "drift"]) for k in VARIANTS})


class NoisyVerdict(NamedTuple):
    """Does noisy BN train about as well as BN despite its extra drift?"""

    outcome: str  # "holds": within ``tol`` of BN's accuracy (or better); "hurts": worse
    bn_acc: float
    noisy_acc: float
    drift_ratio: float  # drift of noisy BN ÷ drift of BN
    tol: float


def noisy_verdict(means: NoisyMeans, tol: float = 0.02) -> NoisyVerdict:
    """The paper's claim (Santurkar et al. 2018) on these numbers: noisy BN has far more
    drift yet trains about as well as BN (accuracy at least BN's − ``tol``)."""
    a1, a2 = means.test_acc["bn"], means.test_acc["noisy_bn"]
    ratio = means.drift["noisy_bn"] / max(means.drift["bn"], 1e-12)
    return NoisyVerdict("holds" if a2 >= a1 - tol else "hurts", a1, a2, ratio, tol)


# ---------------------------------------------------------------- 5. slight regularisation
REG_SIZES = (4, 16, 64, 256)  # training batch sizes compared (256 = the whole training set)
REG_N_TRAIN = 256  # so that m = 256 is a full batch: μ_B = population μ, no noise at all
NETWORKS = ("bn", "no_bn")  # keys of bnsim.notation.MODELS


@dataclass
class RegSweep:
    """The train/test gap of networks trained with several batch sizes m (same steps).

    ``runs``: one row per batch size m, network ("bn" | "no_bn") and seed, with eval-mode
    train and test loss and accuracy and the gaps test − train (loss) and train − test
    (accuracy). ``noise``: one row per m, the spread over mini-batches of μ_B (÷ σ) and σ²_B
    (÷ σ²) of the BN network trained with that m (first seed), averaged over every hidden unit
    — the noise that m leaves in BN's statistics."""

    runs: pd.DataFrame
    noise: pd.DataFrame
    n_train: int

    def mean_gap(self, network: str = "bn", what: str = "loss_gap") -> pd.Series:
        """Mean over seeds of a gap per batch size m (index m)."""
        r = self.runs[self.runs["network"] == network]
        return r.groupby("m")[what].mean()


def _eval_loss_acc(params, X, y, net: NetConfig, running) -> tuple[float, float]:
    """Eval-mode (running estimates) cross-entropy and accuracy on (X, y)."""
    p = network.predict_proba(params, X, net, "eval", running)
    loss = float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))
    return loss, float(np.mean(p.argmax(-1) == y))


def regularisation_sweep(X, y, X_test, y_test, hidden: tuple[int, ...], activation: str,
                         cfg: TrainConfig, seeds: Sequence[int], sizes=REG_SIZES,
                         n_batches: int = 200) -> RegSweep:
    """Train BN networks and, as the reference, the same networks without BN with every batch
    size in ``sizes`` (each for ``cfg.steps`` steps, all seeds of one m and network in one
    stacked pass) and measure their train/test gap in eval mode; then the spread of μ_B and
    σ²_B over ``n_batches`` mini-batches of m for the BN network trained with that m."""
    X, X_test = np.asarray(X, dtype=float), np.asarray(X_test, dtype=float)
    N = len(X)
    sizes = tuple(int(m) for m in sizes if 2 <= m <= N)
    if not sizes:
        raise ValueError(f"no batch size between 2 and the {N} training examples.")
    seeds = tuple(int(s) for s in seeds)
    n = len(hidden)
    rows, noise = [], []
    base = replace(cfg, bn_noise=0.0, eval_every=cfg.steps, n_snapshots=1)
    for m in sizes:
        for key in NETWORKS:
            net = NetConfig(hidden=hidden, bn=(key == "bn",) * n, activation=activation)
            tr = train_stacked(net, X, y, X_test, y_test, replace(base, batch_size=m), seeds)
            for r, seed in enumerate(seeds):
                ok = not tr.diverged_at[r]
                trl, tra = _eval_loss_acc(tr.params[r], X, y, net, tr.running_stats[r]) \
                    if ok else (np.nan, np.nan)
                tel = float(tr.test_loss[r, -1]) if ok else np.nan
                tea = float(tr.test_acc[r, -1]) if ok else np.nan
                rows.append({"m": m, "network": key, "seed": seed, "train_loss": trl,
                             "test_loss": tel, "train_acc": tra, "test_acc": tea,
                             "loss_gap": tel - trl, "acc_gap": tra - tea, "diverged": not ok})
            if key == "bn":
                bn = batch_noise(tr.params[0], net, X, (m,), n_batches, seed=0)
                rel_mu, rel_s2 = [], []
                for l in range(1, n + 1):
                    sd_mu, sd_s2 = bn.spread(l)
                    var = bn.pop_var[l - 1]
                    keep = var > 1e-12
                    rel_mu.append(sd_mu[0, keep] / np.sqrt(var[keep]))
                    rel_s2.append(sd_s2[0, keep] / var[keep])
                noise.append({"m": m, "sd_mu_rel": float(np.mean(np.concatenate(rel_mu))),
                              "sd_sigma2_rel": float(np.mean(np.concatenate(rel_s2)))})
    return RegSweep(pd.DataFrame(rows), pd.DataFrame(noise), N)


def regularisation_table(sweep: RegSweep) -> pd.DataFrame:
    """The CSV: every run's numbers with the noise of its m beside them."""
    return sweep.runs.merge(sweep.noise, on="m", how="left")


# ---------------------------------------------------------------- claims (verdicts)
def _size(x: float) -> str:
    """An unsigned margin in percentage points: ``_size(0.1) == "10.0 pp"``."""
    return pp(abs(x)).lstrip("+")


# Every judging sentence of the page is one of these functions: explicit thresholds, one
# branch per outcome, the numbers it rests on as evidence, and the sentence itself.
SHIFT_DROP = 0.10  # an accuracy drop larger than this is "the shift hurts"
ADABN_TOL = 0.03  # AdaBN within this of the training accuracy "restores" it
MIN_TRAINED = 0.80  # below this on the training distribution the network did not learn
DRIFT_REL = 0.10  # BN "reduces" the drift when D_BN < (1 − this)·D_noBN
NOISY_TOL = 0.02  # noisy BN "trains about as well" within this of BN's test accuracy
LAW_TOL = 0.25  # the spread "follows σ/√m" when its exponent is within this of the law's
GAP_MIN = 0.05  # a loss gap change smaller than this between the smallest and largest m: none


def shift_claim(shift: float, test_scale: float, now: ShiftAt,
                drop: float = SHIFT_DROP) -> Verdict:
    """"BN with its training statistics does not repair input shift" at this shift.

    Does not apply without a shift (shift 0, test spread × 1) or when a network did not learn
    the rule; no effect when the shift costs neither network more than ``drop``; holds when
    the BN network loses more than ``drop`` too; reversed when BN keeps its accuracy while the
    network without BN loses it."""
    ev = {"shift": shift, "test_scale": test_scale, "bn": now.bn, "no_bn": now.no_bn,
          "train_bn": now.train_bn, "train_no_bn": now.train_no_bn,
          "drop_bn": now.train_bn - now.bn, "drop_no_bn": now.train_no_bn - now.no_bn}
    fresh = (f"On fresh inputs from the training cloud the network with BN scores "
             f"{pct(now.train_bn)} and the one without {pct(now.train_no_bn)}")
    if shift == 0 and test_scale == 1:
        return Verdict(Outcome.NOT_APPLICABLE, fresh + ": the test cloud is not shifted, so "
                       "there is no shift to repair — move the shift slider.", ev, drop)
    if min(now.train_bn, now.train_no_bn) < MIN_TRAINED:
        return Verdict(Outcome.NOT_APPLICABLE, fresh + f": below {pct(MIN_TRAINED, 0)}, a "
                       "network did not learn the rule, so the shift cannot be judged.", ev, drop)
    moved = (f"on the shifted cloud BN scores {pct(now.bn)}, no BN {pct(now.no_bn)}, BN after "
             f"AdaBN recalibration {pct(now.adabn)} and always answering the majority class "
             f"{pct(now.majority)}")
    if max(ev["drop_bn"], ev["drop_no_bn"]) <= drop:
        return Verdict(Outcome.NO_EFFECT, fresh + f"; {moved}: at this shift neither loses more "
                       f"than {_size(drop)}, so there is nothing to repair.", ev, drop)
    if ev["drop_bn"] > drop:
        return Verdict(Outcome.HOLDS, fresh + f"; {moved}. BN loses {_size(ev['drop_bn'])} "
                       "too: with its training statistics it does not repair input shift.",
                       ev, drop)
    return Verdict(Outcome.REVERSED, fresh + f"; {moved}. Here BN kept its accuracy (within "
                   f"{_size(drop)}) while no BN lost {_size(ev['drop_no_bn'])}: at this shift "
                   "BN did absorb it.", ev, drop)


def adabn_claim(rule_label: str, shift: float, test_scale: float, bn: float, adabn: float,
                train_bn: float, tol: float = ADABN_TOL) -> Verdict:
    """"AdaBN recalibration restores the training accuracy" for one rule at this shift.

    Holds when AdaBN is within ``tol`` of the BN network's accuracy on the training
    distribution; reversed when it scores below BN without recalibration by more than ``tol``;
    no effect otherwise (not restored, perhaps partly better). Does not apply without a shift
    or when the network did not learn the rule."""
    ev = {"shift": shift, "bn": bn, "adabn": adabn, "train_bn": train_bn}
    nums = (f"{rule_label}: {pct(adabn)} after AdaBN, {pct(bn)} before, {pct(train_bn)} on "
            "the training cloud")
    if shift == 0 and test_scale == 1:
        return Verdict(Outcome.NOT_APPLICABLE, nums + " — no shift, nothing to recalibrate.",
                       ev, tol)
    if train_bn < MIN_TRAINED:
        return Verdict(Outcome.NOT_APPLICABLE, nums + " — the network did not learn this rule.",
                       ev, tol)
    if adabn >= train_bn - tol:
        how = ("restored" if bn < train_bn - tol else
               "kept (BN alone had not lost it)")
        return Verdict(Outcome.HOLDS, nums + f": the training accuracy is {how}.", ev, tol)
    if adabn < bn - tol:
        return Verdict(Outcome.REVERSED, nums + ": recalibration makes it worse.", ev, tol)
    return Verdict(Outcome.NO_EFFECT, nums + ": not restored"
                   + (" (better than before, still short)." if adabn > bn + tol else "."),
                   ev, tol)


def drift_claim(d_no_bn: float, d_bn: float, sym: str, rel: float = DRIFT_REL) -> Verdict:
    """"BN reduces the movement of a deep layer's inputs" on one drift pair.

    Holds when D with BN is below (1 − ``rel``)·D without; reversed when above (1 + ``rel``)·D
    without; no effect in between. Does not apply when a drift is not finite (a run diverged)
    or nothing moves without BN (D = 0: the layer's inputs are the fixed data)."""
    ev = {"drift_no_bn": d_no_bn, "drift_bn": d_bn}
    nums = f"Drift D of {sym} is {num(d_no_bn)} without BN and {num(d_bn)} with BN"
    if not (np.isfinite(d_no_bn) and np.isfinite(d_bn)):
        return Verdict(Outcome.NOT_APPLICABLE, nums + " — a run diverged, no verdict.", ev, rel)
    if d_no_bn <= 1e-12:
        return Verdict(Outcome.NOT_APPLICABLE, nums + f" — {sym} never moves (it is the data), "
                       "so there is no shift for BN to reduce.", ev, rel)
    ratio = d_bn / d_no_bn
    ev["ratio"] = ratio
    outcome = compare(1.0 - ratio, rel)
    said = {Outcome.HOLDS: f": BN cuts the movement to {pct(ratio, 0)} of it, as the lecture "
                           "says.",
            Outcome.REVERSED: f": here BN's inputs move more ({num(ratio)}× as far) — the "
                              "lecture's story fails for this layer.",
            Outcome.NO_EFFECT: f": within {pct(rel, 0)} of each other, BN makes no clear "
                               "difference here.",
            Outcome.NOT_APPLICABLE: " — no verdict."}[outcome]
    return Verdict(outcome, nums + said, ev, rel)


def pinning_claim(layer: int, pin: Pinning, tol: float = 1e-3) -> Verdict:
    """"BN pins the mean of z̃^[l] to β and its variance to γ²": holds when both are within
    ``tol`` at every step; reversed otherwise (a bug or a diverged run); does not apply when a
    number is not finite."""
    ev = pin._asdict()
    if not (np.isfinite(pin.off_mean) and np.isfinite(pin.off_var)):
        return Verdict(Outcome.NOT_APPLICABLE, "The moments of z̃ are not finite (a run "
                       "diverged): no verdict.", ev, tol)
    moves = (f"β travelled {num(pin.beta_range)} per unit on average, while without BN the "
             f"unit means of z̃^[{layer}] travelled {num(pin.plain_range)}.")
    if pin.off_mean <= tol and pin.off_var <= tol:
        return Verdict(Outcome.HOLDS, f"With BN the mean of z̃^[{layer}] is β and its variance "
                       f"γ² at every step (largest deviations {num(pin.off_mean, 2)} and a factor "
                       f"1 ± {num(pin.off_var, 2)}); " + moves, ev, tol)
    return Verdict(Outcome.REVERSED, f"The mean of z̃^[{layer}] is off β by up to "
                   f"{num(pin.off_mean)}, its variance off γ² by a factor 1 ± "
                   f"{num(pin.off_var)}: not pinned. " + moves, ev, tol)


def noise_law_claim(nv: NoiseView, tol: float = LAW_TOL) -> Verdict:
    """"μ_B varies as σ/√m": the measured shrink factor of the spread of μ_B from m_small to
    m_large against the law's (with the finite-set correction), compared on a log scale.

    Holds when log(measured)/log(law) is within ``tol`` of 1; reversed when the spread grows
    by more than 10 %; no effect otherwise. Does not apply for one size or a constant unit."""
    a, b = nv.i_small, nv.i_large
    ev = {"sd_small": float(nv.sd_mu[a]), "sd_large": float(nv.sd_mu[b]),
          "law_small": float(nv.law_fpc[a]), "law_large": float(nv.law_fpc[b])}
    nums = (f"the spread of μ_B is {num(nv.sd_mu[a])} at m = {nv.m_small} and "
            f"{num(nv.sd_mu[b])} at m = {nv.m_large}; σ/√m·√((N−m)/(N−1)) predicts "
            f"{num(nv.law_fpc[a])} and {num(nv.law_fpc[b])}")
    if nv.m_small == nv.m_large or not (nv.sigma > 0 and nv.sd_mu[b] > 0 and nv.law_fpc[b] > 0):
        return Verdict(Outcome.NOT_APPLICABLE, nums[0].upper() + nums[1:] + " — pick two "
                       "different sizes below the whole set.", ev, tol)
    measured, law = nv.sd_mu[a] / nv.sd_mu[b], nv.law_fpc[a] / nv.law_fpc[b]
    ev |= {"measured_factor": float(measured), "law_factor": float(law)}
    head = nums[0].upper() + nums[1:]
    if abs(np.log(measured) / np.log(law) - 1) <= tol:
        return Verdict(Outcome.HOLDS, head + ": the noise shrinks as 1/√m.", ev, tol)
    if measured < 1 / 1.1:
        return Verdict(Outcome.REVERSED, head + ": here the noise grows with m.", ev, tol)
    return Verdict(Outcome.NO_EFFECT, head + f": it shrinks {num(measured)}-fold, not the "
                   f"law's {num(law)}-fold (layers above 1 see normalised inputs).", ev, tol)


def noisy_claim(summary: pd.DataFrame, tol: float = NOISY_TOL) -> Verdict:
    """"Noisy BN trains about as well as BN although its inputs move far more."

    Per seed, noisy BN's final test accuracy is compared with BN's of the same seed. Holds
    when the mean is within ``tol`` of BN's (or better); reversed when worse by more; does not
    apply when a BN or noisy-BN run diverged. The evidence counts the seeds in which it held."""
    bn = summary[summary["variant"] == "bn"].set_index("seed")
    nz = summary[summary["variant"] == "noisy_bn"].set_index("seed")
    n = len(bn)
    means = noisy_means(summary)
    a1, a2 = means.test_acc["bn"], means.test_acc["noisy_bn"]
    ratio = means.drift["noisy_bn"] / max(means.drift["bn"], 1e-12)
    held = int(np.sum(nz["test_acc"] >= bn["test_acc"] - tol))
    ev = {"bn_acc": a1, "noisy_acc": a2, "drift_ratio": ratio, "seeds_held": held,
          "seeds": n}
    if bn["diverged"].any() or nz["diverged"].any() or not np.isfinite(a2 - a1):
        return Verdict(Outcome.NOT_APPLICABLE, "A BN or noisy-BN run diverged: no verdict "
                       "(try a smaller learning rate).", ev, tol)
    nums = (f"Noisy BN reaches {pct(a2)} test accuracy and BN {pct(a1)} (means of {n} "
            f"seed{'s' if n != 1 else ''}) while noisy BN's z̃ drifts {num(ratio)}× as far")
    if a2 >= a1 - tol:
        return Verdict(Outcome.HOLDS, nums + f"; it trains about as well (within {_size(tol)}) "
                       f"{runs(held, n)}.", ev, tol)
    return Verdict(Outcome.REVERSED, nums + f"; this much noise hurts: within {_size(tol)} "
                   f"of BN only {runs(held, n)}.", ev, tol)


def regularisation_claim(sweep: RegSweep, gap_min: float = GAP_MIN) -> Verdict:
    """"BN's slight regularisation shrinks as m grows": the BN networks' loss gap (test −
    train) at the largest m against the smallest, per seed and in the mean.

    Holds when the mean gap at the largest m exceeds the one at the smallest by more than
    ``gap_min`` (less noise, less regularisation); reversed when smaller by more; no effect in
    between (e.g. nothing overfits). Does not apply when a run diverged or fewer than two
    sizes were trained."""
    r = sweep.runs[sweep.runs["network"] == "bn"]
    sizes = sorted(r["m"].unique())
    ev = {"sizes": len(sizes)}
    if len(sizes) < 2 or r["diverged"].any():
        return Verdict(Outcome.NOT_APPLICABLE, "A run diverged or only one batch size fits "
                       "the training set: no verdict.", ev, gap_min)
    lo, hi = int(sizes[0]), int(sizes[-1])
    g_lo = r[r["m"] == lo].set_index("seed")["loss_gap"]
    g_hi = r[r["m"] == hi].set_index("seed")["loss_gap"]
    a_lo, a_hi = r[r["m"] == lo]["acc_gap"].mean(), r[r["m"] == hi]["acc_gap"].mean()
    n, held = len(g_lo), int(np.sum(g_hi - g_lo > gap_min))
    ev |= {"m_small": lo, "m_large": hi, "gap_small": float(g_lo.mean()),
           "gap_large": float(g_hi.mean()), "acc_gap_small": float(a_lo),
           "acc_gap_large": float(a_hi), "seeds_held": held, "seeds": n}
    nums = (f"With BN the test loss exceeds the training loss by {num(g_lo.mean())} at "
            f"m = {lo} and by {num(g_hi.mean())} at m = {hi} (accuracy gaps {pp(a_lo)} and "
            f"{pp(a_hi)}, means of {n} seed{'s' if n != 1 else ''})")
    outcome = compare(float(g_hi.mean() - g_lo.mean()), gap_min)
    said = {Outcome.HOLDS: f": the noisier small batches regularise, and larger m reduces it "
                           f"({runs(held, n)}).",
            Outcome.REVERSED: ": here the gap is larger at the small m — no regularisation "
                              "from the noise in this setting.",
            Outcome.NO_EFFECT: f": within {num(gap_min)} of each other, no regularisation "
                               "to see (nothing overfits here — try noisier data).",
            Outcome.NOT_APPLICABLE: ": no verdict."}[outcome]
    return Verdict(outcome, nums + said, ev, gap_min)
