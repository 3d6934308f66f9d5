r"""Test time: a trained BN network with running statistics vs with test-batch statistics.

At test time a BN layer can normalise z with

* the **running** estimates (eval mode), so each example stands alone::

      z_norm = (z − μ̂)/√(σ̂² + ε),  z̃ = γ·z_norm + β

* the statistics of the **test batch** it arrives in (batch-statistics mode), so its prediction
  depends on its k − 1 batch-mates. With k = 1 the batch mean is the example itself:
  z_norm = 0 and z̃ = β in every BN layer, so every input gets the same output.

Everything here is vectorised with the leading-axis support of :func:`bnsim.network.forward`:
``X`` of shape (B, k, 2) is B test batches of size k, predicted without any loop over batches
(one array pass, or a few cache-sized blocks of whole batches: see :func:`proba_batch`).
All random draws are seeded (``np.random.default_rng``). Labels ``y`` are ints in {0, 1};
"p" is the predicted probability of class 1.

The running estimate for any EMA coefficient β_EMA is recomputed from the batch statistics the
trainer recorded (:func:`ema_running`); with plain BN the running estimate never feeds back into
training, so this is exactly what training with that β_EMA would have stored.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim import network, notation, running
from bnsim.network import NetConfig
from bnsim.verdict import Outcome, Verdict, compare, num, pct, runs

KS = (1, 2, 4, 8, 16, 32, 64, 128, 256)  # test batch sizes of the accuracy-vs-k curve
MIXES = tuple(np.round(np.linspace(0.0, 1.0, 11), 2))  # share of class 1 in a skewed batch
MAX_ROWS = 2048  # examples per block of a batch-mode pass (a block's arrays stay in cache)


# ---------------------------------------------------------------- basic predictions
def proba_eval(params, net: NetConfig, run, X) -> np.ndarray:
    """p(class 1) in eval mode (running statistics ``run``); X (..., m, 2) -> (..., m)."""
    logits, _ = network.forward(params, X, net, "eval", run)
    return network.softmax(logits)[..., 1]


def proba_batch(params, net: NetConfig, Xb, max_rows: int | None = None) -> np.ndarray:
    """p(class 1) in batch-statistics mode; ``Xb`` (B, k, 2) = B test batches -> (B, k).

    Each Xb[b] is normalised by its own μ_B and σ²_B in every BN layer. ``max_rows`` None:
    one array pass; else blocks of whole batches with about ``max_rows`` examples each (a
    loop over blocks, never over batches), which keeps the temporaries in the CPU cache and
    is 2–3× faster on large inputs than one pass.
    """
    B, k = Xb.shape[0], Xb.shape[1]
    step = max(B, 1) if max_rows is None else max(1, max_rows // k)
    out = np.empty((B, k))
    for c in range(0, B, step):
        logits, _ = network.forward(params, Xb[c:c + step], net, "batch")
        out[c:c + step] = network.softmax(logits)[..., 1]
    return out


def accuracy(p, y) -> float:
    """Share of examples whose thresholded p(class 1) (≥ 0.5) equals the label."""
    return float(np.mean((np.asarray(p) >= 0.5) == np.asarray(y, dtype=bool)))


def eval_accuracy(params, net: NetConfig, run, X, y) -> float:
    """Eval-mode accuracy of the network on (X, y)."""
    return accuracy(proba_eval(params, net, run, X), y)


# ---------------------------------------------------------------- seeded draws
def _choose(rng: np.random.Generator, pool: np.ndarray, B: int, n: int) -> np.ndarray:
    """(B, n) indices from ``pool``: n distinct ones per row if the pool is big enough,
    else drawn with replacement (a batch larger than its class pool repeats examples)."""
    pool = np.asarray(pool)
    if n == 0:
        return np.empty((B, 0), dtype=np.intp)
    if n <= len(pool):
        return pool[np.argsort(rng.random((B, len(pool))), axis=1)[:, :n]]
    return pool[rng.integers(0, len(pool), (B, n))]


def mix_counts(mix: float, k: int) -> tuple[int, int]:
    """(class-0, class-1) counts of a batch of k with a share ``mix`` of class 1 (rounded)."""
    n1 = int(round(float(mix) * k))
    return k - n1, n1


def draw_mixed(y, k: int, mix: float, B: int, rng: np.random.Generator) -> np.ndarray:
    """(B, k) test-set indices: B batches of k, each with the class mix ``mix`` (share of
    class 1). Within a batch no example repeats unless its class pool is too small."""
    y = np.asarray(y)
    n0, n1 = mix_counts(mix, k)
    parts = [_choose(rng, np.flatnonzero(y == c), B, n) for c, n in ((0, n0), (1, n1)) if n]
    return np.concatenate(parts, axis=1) if parts else np.empty((B, 0), dtype=np.intp)


# ---------------------------------------------------------------- decision boundaries
class Grid(NamedTuple):
    xs: np.ndarray  # (n,)
    ys: np.ndarray  # (n,)
    points: np.ndarray  # (n·n, 2); points[i·n + j] = (xs[j], ys[i])


def extent(*Xs, pad: float = 0.3, step: float = 0.5) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) around all points of the arrays ``Xs`` (each (m, 2)), padded and
    rounded outward to multiples of ``step`` so that the axes stay put between reruns."""
    A = np.concatenate([np.asarray(X, dtype=float) for X in Xs])
    lo, hi = A.min(axis=0) - pad, A.max(axis=0) + pad
    lo, hi = np.floor(lo / step) * step, np.ceil(hi / step) * step
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def make_grid(ext, n: int = 50) -> Grid:
    """An n × n grid over ``ext`` = (x0, x1, y0, y1)."""
    xs, ys = np.linspace(ext[0], ext[1], n), np.linspace(ext[2], ext[3], n)
    gx, gy = np.meshgrid(xs, ys)
    return Grid(xs, ys, np.c_[gx.ravel(), gy.ravel()])


def boundary_eval(params, net: NetConfig, run, grid: Grid) -> np.ndarray:
    """(n, n) eval-mode p(class 1) at every grid point; each point stands alone."""
    n = len(grid.xs)
    return proba_eval(params, net, run, grid.points).reshape(n, n)


def predict_with_mates(params, net: NetConfig, points, mates,
                       max_rows: int | None = MAX_ROWS) -> np.ndarray:
    """(G,) batch-statistics p(class 1) of each of ``points`` (G, 2), each predicted inside
    its own test batch of k = 1 + len(mates) examples: itself and the same k − 1 batch-mates
    ``mates`` (k − 1, 2). One (G, k, 2) array of batches (in blocks of ``max_rows``)."""
    points = np.asarray(points, dtype=float)
    mates = np.asarray(mates, dtype=float).reshape(-1, points.shape[-1])
    Xb = np.empty((len(points), 1 + len(mates), points.shape[-1]))
    Xb[:, 0] = points
    Xb[:, 1:] = mates
    return proba_batch(params, net, Xb, max_rows)[:, 0]


def boundary_batch(params, net: NetConfig, grid: Grid, mates) -> np.ndarray:
    """(n, n) batch-statistics p(class 1): each grid point is predicted inside a test batch of
    k = 1 + len(mates) examples — itself and the same k − 1 batch-mates ``mates`` (k − 1, 2)
    (see :func:`predict_with_mates`). With no mates (k = 1) the map is flat."""
    n = len(grid.xs)
    return predict_with_mates(params, net, grid.points, mates).reshape(n, n)


class EvalMap(NamedTuple):
    """The eval-mode decision map of a network over a fixed extent."""

    xs: np.ndarray  # (n,) grid x₁
    ys: np.ndarray  # (n,) grid x₂
    ext: tuple[float, float, float, float]  # (x0, x1, y0, y1): fixed axes
    p_eval: np.ndarray  # (n, n) eval-mode p(class 1); p_eval[i, j] at (xs[j], ys[i])
    acc_eval: float  # eval-mode accuracy on the test set


class Boundaries(NamedTuple):
    """Both decision maps: eval mode, and batch statistics with the same k − 1 batch-mates."""

    xs: np.ndarray  # (n,)
    ys: np.ndarray  # (n,)
    ext: tuple[float, float, float, float]
    p_eval: np.ndarray  # (n, n) eval mode
    acc_eval: float  # eval-mode test accuracy
    mates: np.ndarray  # (k − 1,) test-set indices of the batch-mates
    p_batch: np.ndarray  # (n, n) each grid point inside a batch with ``mates``
    acc_batch: float  # test accuracy, each test point inside a batch with ``mates``

    @property
    def disagreement(self) -> float:
        """Share of the grid where the two maps predict different classes."""
        return float(np.mean((self.p_eval >= 0.5) != (self.p_batch >= 0.5)))

    def to_frame(self) -> pd.DataFrame:
        """Tidy grid: x1, x2, p_eval, p_batch (one row per grid point)."""
        return pd.DataFrame({"x1": np.tile(self.xs, len(self.ys)),
                             "x2": np.repeat(self.ys, len(self.xs)),
                             "p_eval": self.p_eval.ravel(), "p_batch": self.p_batch.ravel()})


def eval_map(params, net: NetConfig, run, X, X_test, y_test, n: int = 50) -> EvalMap:
    """Eval-mode map on an n × n grid around the training set ``X`` and the test set."""
    ext = extent(X, X_test)
    grid = make_grid(ext, n)
    return EvalMap(grid.xs, grid.ys, ext, boundary_eval(params, net, run, grid),
                   eval_accuracy(params, net, run, X_test, y_test))


def boundaries(params, net: NetConfig, X_test, y_test, emap: EvalMap, k: int, mix: float,
               seed: int) -> Boundaries:
    """``emap`` plus the batch-statistics map: k − 1 batch-mates drawn (seeded) from the test
    set with the class mix ``mix`` (share of class 1); every grid point and every test point
    is predicted inside a batch of k with those same mates."""
    X_test = np.asarray(X_test, dtype=float)
    mates = draw_mixed(y_test, k - 1, mix, 1, np.random.default_rng(seed))[0]
    grid = make_grid(emap.ext, len(emap.xs))
    p_test = predict_with_mates(params, net, X_test, X_test[mates])
    return Boundaries(*emap, mates=mates,
                      p_batch=boundary_batch(params, net, grid, X_test[mates]),
                      acc_batch=accuracy(p_test, y_test))


# ---------------------------------------------------------------- accuracy vs test batch size
def random_batchings(n: int, k: int, n_batchings: int, rng: np.random.Generator) -> np.ndarray:
    """(R, n // k, k) indices: R random batchings of a test set of n examples, each a random
    permutation cut into n // k batches of k (the n mod k left over are not used)."""
    if not 1 <= k <= n:
        raise ValueError(f"test batch size k must be from 1 to the test-set size {n}; got {k}.")
    perm = rng.permuted(np.broadcast_to(np.arange(n), (n_batchings, n)), axis=1)
    nb = n // k
    return perm[:, :nb * k].reshape(n_batchings, nb, k)


class AccVsK(NamedTuple):
    ks: np.ndarray  # (K,) test batch sizes
    acc: np.ndarray  # (K, R) batch-statistics accuracy of each random batching
    eval_acc: float  # eval-mode (running statistics) accuracy on the test set
    table: pd.DataFrame  # k, mean, std, p05, p95, eval_acc, n_batches


def accuracy_vs_k(params, net: NetConfig, run, X, y, ks=KS, n_batchings: int = 50,
                  seed: int = 0, max_rows: int | None = MAX_ROWS) -> AccVsK:
    """Batch-statistics test accuracy for each test batch size k over ``n_batchings`` random
    batchings of (X, y): all batchings of one k form ONE array of shape (R·(n // k), k, 2),
    predicted by :func:`proba_batch` without any loop over batches (in cache-sized blocks,
    or in a single pass with ``max_rows=None``). Sizes k larger than the test set are
    skipped."""
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    n = len(y)
    if n_batchings < 1:
        raise ValueError(f"n_batchings must be ≥ 1; got {n_batchings}.")
    ks = np.array([k for k in ks if 1 <= k <= n], dtype=int)
    rng = np.random.default_rng(seed)
    acc = np.empty((len(ks), n_batchings))
    for i, k in enumerate(ks):
        idx = random_batchings(n, int(k), n_batchings, rng)  # (R, nb, k)
        R, nb, _ = idx.shape
        p = proba_batch(params, net, X[idx.reshape(R * nb, k)], max_rows).reshape(R, nb * k)
        acc[i] = np.mean((p >= 0.5) == y[idx.reshape(R, nb * k)].astype(bool), axis=1)
    ev = eval_accuracy(params, net, run, X, y)
    table = pd.DataFrame({
        "k": ks, "mean": acc.mean(axis=1), "std": acc.std(axis=1),
        "p05": np.percentile(acc, 5, axis=1), "p95": np.percentile(acc, 95, axis=1),
        "eval_acc": ev, "n_batches": n // ks,
    })
    return AccVsK(ks, acc, ev, table)


class AtK(NamedTuple):
    """Batch-statistics accuracy at one test batch size k (over random batchings)."""

    k: int
    mean: float
    p05: float
    p95: float


def at_k(a: AccVsK, k: int) -> AtK:
    """The row of ``a`` for test batch size k (ValueError if ``a`` has no such k)."""
    row = a.table[a.table["k"] == k]
    if row.empty:
        raise ValueError(f"no accuracy computed for test batch size k = {k}.")
    r = row.iloc[0]
    return AtK(int(k), float(r["mean"]), float(r["p05"]), float(r["p95"]))


class Collapse(NamedTuple):
    cls: int  # the one class every example gets with k = 1
    p: float  # its p(class 1)
    share: float  # share of the test set in that class = the accuracy with k = 1
    majority: float  # majority-class rate of the test set


def collapse(params, net: NetConfig, y) -> Collapse:
    """What a test batch of one predicts: z_norm = 0, z̃ = β in every BN layer, so the output
    is the same for any input (computed on the origin; any input gives the same)."""
    p = float(proba_batch(params, net, np.zeros((1, 1, net.n_in)))[0, 0])
    y = np.asarray(y)
    cls = int(p >= 0.5)
    share1 = float(np.mean(y == 1))
    return Collapse(cls, p, share1 if cls else 1.0 - share1, max(share1, 1.0 - share1))


# ---------------------------------------------------------------- same example, new neighbours
def neighbours(params, net: NetConfig, X, i: int, k: int, n_draws: int = 200,
               seed: int = 0) -> np.ndarray:
    """(n_draws,) p(class 1) of test example ``i`` in ``n_draws`` random test batches of size
    k: itself plus k − 1 other test examples drawn at random (one array pass)."""
    X = np.asarray(X, dtype=float)
    if not 0 <= i < len(X):
        raise ValueError(f"test point must be from 0 to {len(X) - 1}; got {i}.")
    if not 1 <= k <= len(X):
        raise ValueError(f"test batch size k must be from 1 to {len(X)}; got {k}.")
    rng = np.random.default_rng(seed)
    mates = _choose(rng, np.delete(np.arange(len(X)), i), n_draws, k - 1)
    Xb = np.concatenate([np.broadcast_to(X[i], (n_draws, 1, X.shape[1])), X[mates]], axis=1)
    return proba_batch(params, net, Xb, MAX_ROWS)[:, 0]


class KView(NamedTuple):
    """Everything the test-batch-size view shows."""

    curve: AccVsK  # accuracy over all KS
    at: AtK  # the chosen k
    collapse: Collapse  # what k = 1 predicts


class Followed(NamedTuple):
    """One test example inside many random test batches vs alone in eval mode."""

    i: int  # test-set index
    label: int  # its class
    k: int  # test batch size
    p_eval: float  # its eval-mode p(class 1)
    draws: np.ndarray  # (n_draws,) its batch-statistics p(class 1) in each random batch

    @property
    def flips(self) -> float:
        """Share of the random batches that change its predicted class."""
        return float(np.mean((self.draws >= 0.5) != (self.p_eval >= 0.5)))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"batch": np.arange(len(self.draws)), "p_batch": self.draws,
                             "p_eval": self.p_eval})


def follow(params, net: NetConfig, run, X, y, i: int, k: int, n_draws: int = 200,
           seed: int = 0) -> Followed:
    """Test example ``i`` in ``n_draws`` random test batches of k (:func:`neighbours`) and
    alone in eval mode."""
    draws = neighbours(params, net, X, i, k, n_draws, seed)
    X = np.asarray(X, dtype=float)
    p_ev = float(proba_eval(params, net, run, X[i:i + 1])[0])
    return Followed(int(i), int(np.asarray(y)[i]), int(k), p_ev, draws)


# ---------------------------------------------------------------- skewed test batches
def skewed(params, net: NetConfig, run, X, y, k: int, mixes=MIXES, n_batches: int = 50,
           seed: int = 0) -> pd.DataFrame:
    """Accuracy on test batches of size k whose share of class 1 is each of ``mixes``:
    batch statistics (each batch normalised by itself) vs running statistics (eval mode, on
    the very same examples). All mixes are drawn at once and go through the network together
    (chunked array passes, no loop per batch).

    Returns columns mix (asked), actual_mix (round(mix·k)/k), batch_mean, batch_p05,
    batch_p95, running_mean (means over the ``n_batches`` batches).
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    if not 1 <= k <= len(y):
        raise ValueError(f"test batch size k must be from 1 to {len(y)}; got {k}.")
    rng = np.random.default_rng(seed)
    mixes = np.asarray(mixes, dtype=float)
    idx = np.stack([draw_mixed(y, k, m, n_batches, rng) for m in mixes])  # (M, B, k)
    M = len(mixes)
    Xb = X[idx.reshape(M * n_batches, k)]
    p = proba_batch(params, net, Xb, MAX_ROWS).reshape(M, n_batches, k)
    truth = y[idx].astype(bool)
    acc_b = np.mean((p >= 0.5) == truth, axis=2)
    p_eval = proba_eval(params, net, run, X)
    acc_r = np.mean((p_eval[idx] >= 0.5) == truth, axis=2)
    return pd.DataFrame({
        "mix": mixes, "actual_mix": [mix_counts(m, k)[1] / k for m in mixes],
        "batch_mean": acc_b.mean(axis=1), "batch_p05": np.percentile(acc_b, 5, axis=1),
        "batch_p95": np.percentile(acc_b, 95, axis=1), "running_mean": acc_r.mean(axis=1),
    })


class SkewAt(NamedTuple):
    """One row of :func:`skewed`: the class mix nearest to the asked one."""

    mix: float  # the class mix on the curve nearest to the asked one
    actual_mix: float  # round(mix·k)/k
    batch_mean: float
    running_mean: float


def skew_at(table: pd.DataFrame, mix: float) -> SkewAt:
    """The row of a :func:`skewed` table nearest to the class mix ``mix`` (share of class 1)."""
    r = table.iloc[int(np.argmin(np.abs(table["mix"].to_numpy() - mix)))]
    return SkewAt(float(r["mix"]), float(r["actual_mix"]), float(r["batch_mean"]),
                  float(r["running_mean"]))


def repeats_examples(y, k: int) -> bool:
    """Whether one-class test batches of k must repeat examples (k > a class's size)."""
    y = np.asarray(y)
    return k > min(np.sum(y == 0), np.sum(y == 1))


# ---------------------------------------------------------------- how good is the estimate?
def batch_variances(trace) -> np.ndarray:
    """(T, L, U) the batch variances the trace's convention averages: unbiased for PyTorch
    (m > 1), biased for Keras and the lecture."""
    if trace.cfg.convention == "pytorch" and trace.cfg.batch_size > 1:
        return trace.batch_var_unbiased
    return trace.batch_var


def ema_running(trace, ema_beta: float, bias_correction: bool = False):
    """Running (μ̂, σ̂²) after every step for EMA coefficient β_EMA, recomputed from the
    recorded batch statistics: v_t = β_EMA·v_{t−1} + (1 − β_EMA)·θ_t with v_0 = 0 (mean) and
    1 (variance) as the frameworks start; optionally bias-corrected. Returns two (T, L, U)."""
    mean = running.ema(trace.batch_mean, ema_beta, init=0.0, bias_correction=bias_correction)
    var = running.ema(batch_variances(trace), ema_beta, init=1.0,
                      bias_correction=bias_correction)
    return mean, var


def running_dict(net: NetConfig, mean_lu, var_lu) -> dict[str, np.ndarray]:
    """Running-statistics dict {mean{l}, var{l}} of the BN layers from (L, U) arrays."""
    r = {}
    for l in range(1, net.n_layers + 1):
        if net.bn[l - 1]:
            n = net.hidden[l - 1]
            r[f"mean{l}"] = np.array(mean_lu[l - 1, :n])
            r[f"var{l}"] = np.maximum(np.array(var_lu[l - 1, :n]), 0.0)
    return r


ESTIMATORS = {k: notation.ESTIMATORS[k].label for k in ("ema", "ema_bc", "population")}


def running_estimate_accuracy(trace, X, X_test, y_test, ema_beta: float) -> pd.DataFrame:
    """Eval-mode test accuracy of the network after t training steps, normalised with
    (a) the EMA after step t with β_EMA, (b) the bias-corrected EMA, (c) the population
    statistics of that network over the training set ``X``.

    Evaluated at every parameter snapshot (weights after t = s − 1 steps, t ≥ 1) and at the
    end (t = T, final weights). Returns a tidy frame: t, estimator (key of ESTIMATORS), acc.
    """
    net = trace.net
    T = len(trace.loss)
    if T == 0:
        raise ValueError("the network has not completed a single training step.")
    ema = ema_running(trace, ema_beta)
    ema_bc = ema_running(trace, ema_beta, bias_correction=True)
    rows = []

    def add(t, params, pop):
        for key, (m, v) in (("ema", (ema[0][t - 1], ema[1][t - 1])),
                            ("ema_bc", (ema_bc[0][t - 1], ema_bc[1][t - 1])),
                            ("population", pop)):
            run = running_dict(net, m, v)
            rows.append((t, key, eval_accuracy(params, net, run, X_test, y_test)))

    for i, s in enumerate(trace.snapshot_steps):
        t = int(s) - 1
        if 1 <= t < T:
            add(t, trace.snapshots[i][0], (trace.pop_mean[i], trace.pop_var[i]))
    final = network.population_stats(trace.params, X, net)
    U = max(net.hidden)
    pm, pv = np.full((net.n_layers, U), np.nan), np.full((net.n_layers, U), np.nan)
    for l, (m, v, _) in final.items():
        pm[l - 1, :len(m)], pv[l - 1, :len(v)] = m, v
    add(T, trace.params, (pm, pv))
    return pd.DataFrame(rows, columns=["t", "estimator", "acc"])


class EstimatorAcc(NamedTuple):
    """Eval-mode test accuracy with each running estimate (keys of ESTIMATORS)."""

    ema: float
    ema_bc: float
    population: float


class Lag(NamedTuple):
    """How far the EMA trails: accuracy per estimator at the largest lag and at the end."""

    table: pd.DataFrame  # tidy t, estimator, acc (:func:`running_estimate_accuracy`)
    wide: pd.DataFrame  # index t, one column per estimator key
    lag_t: int  # step t where population − EMA accuracy is largest
    at_lag: EstimatorAcc
    T: int  # last step
    at_end: EstimatorAcc
    start_weight: float  # β_EMA^T: the weight the start values still have at T


def lag(table: pd.DataFrame, ema_beta: float) -> Lag:
    """Summary of a :func:`running_estimate_accuracy` table for EMA coefficient β_EMA."""
    wide = table.pivot(index="t", columns="estimator", values="acc")
    t_lag = int((wide["population"] - wide["ema"]).idxmax())
    T = int(table["t"].max())

    def acc(t):
        return EstimatorAcc(*(float(wide.loc[t, e]) for e in EstimatorAcc._fields))

    return Lag(table, wide, t_lag, acc(t_lag), T, acc(T), float(ema_beta ** T))


# ---------------------------------------------------------------- plain BN vs Batch Renorm
def norm_curves(traces: dict, window: int = 50) -> pd.DataFrame:
    """Tidy curves per variant: at each evaluation step, eval-mode test accuracy and the
    train-mode mini-batch accuracy averaged over the last ``window`` steps."""
    parts = []
    for name, tr in traces.items():
        if not len(tr.eval_steps):
            continue
        c = np.cumsum(np.r_[0.0, tr.acc])
        t = tr.eval_steps
        lo = np.maximum(t - window, 0)
        parts.append(pd.DataFrame({"variant": name, "step": t,
                                   "eval_test_acc": tr.test_acc,
                                   "train_mode_acc": (c[t] - c[lo]) / (t - lo)}))
    cols = ["variant", "step", "eval_test_acc", "train_mode_acc"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


# ---------------------------------------------------------------- a usable network
def usable(trace):
    """(params, running, step) to evaluate: the final network, or after divergence the
    latest snapshot whose weights and running statistics are all finite (None if none)."""
    cands = [(trace.params, trace.running_stats, len(trace.loss))]
    if trace.diverged:
        cands = [(p, r, int(s) - 1) for s, (p, r) in
                 zip(trace.snapshot_steps[::-1], trace.snapshots[::-1], strict=True)]
    for p, r, s in cands:
        if all(np.all(np.isfinite(v)) for d in (p, r) for v in d.values()):
            return p, r, s
    return None


# ---------------------------------------------------------------- plain BN, Batch Renorm and
# ---------------------------------------------------------------- running averages in training
NORMS = ("bn", "renorm", "running")  # TrainConfig.norm of each compared variant
NORM_LABELS = {"bn": notation.MODELS["bn"].label, "renorm": notation.MODELS["renorm"].label,
               "running": notation.MODELS["running_bn"].label}
TRAIN_FORWARD = {"bn": "batch", "renorm": "renorm", "running": "running"}  # forward in training


def training_batches(y, m: int, sampling: str, n_epochs: int, rng) -> np.ndarray:
    """(B, m) indices: ``n_epochs`` passes over the examples of ``y`` cut into batches of m the
    way training cuts them — random ("iid") or one class per batch ("by_class")."""
    y = np.asarray(y)
    out = []
    for _ in range(n_epochs):
        pools = ([np.arange(len(y))] if sampling == "iid"
                 else [np.flatnonzero(y == c) for c in np.unique(y)])
        for pool in pools:
            p = rng.permutation(pool)
            nb = len(p) // m
            out.append(p[:nb * m].reshape(nb, m))
    idx = np.concatenate(out) if out else np.empty((0, m), dtype=np.intp)
    if not len(idx):
        raise ValueError(f"the test set has no batch of m = {m} for '{sampling}' batches.")
    return idx


class Mismatch(NamedTuple):
    """Train mode vs eval mode on the same examples (the test set)."""

    train_acc: float  # accuracy with the training-time normalisation, batches of m as in training
    eval_acc: float  # accuracy in eval mode (running estimates), the same examples
    disagree: float  # share of those predictions whose class differs between the two modes


def mismatch(params, run, net: NetConfig, norm: str, X, y, m: int, sampling: str,
             limits=(3.0, 5.0), n_epochs: int = 5, seed: int = 0) -> Mismatch:
    """The train/eval mismatch of a trained network on the same data: ``X`` (n, 2) cut into
    ``n_epochs`` × (n // m) batches of m as training cut its data, each batch through the
    training-time forward of ``norm`` (plain BN: its batch statistics; Batch Renorm: r, d
    within ``limits`` = (r_max, d_max); running averages: μ̂, σ̂²), and every example alone
    in eval mode."""
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    idx = training_batches(y, m, sampling, n_epochs, np.random.default_rng(seed))  # (B, m)
    logits, _ = network.forward(params, X[idx], net, TRAIN_FORWARD[norm], run, tuple(limits))
    p_train = network.softmax(logits)[..., 1] >= 0.5  # (B, m)
    p_eval = (proba_eval(params, net, run, X) >= 0.5)[idx]
    truth = y[idx].astype(bool)
    return Mismatch(float(np.mean(p_train == truth)), float(np.mean(p_eval == truth)),
                    float(np.mean(p_train != p_eval)))


def weight_norm(params, net: NetConfig) -> float:
    """‖W‖: Frobenius norm of all hidden weight matrices together."""
    return float(np.sqrt(sum(np.sum(params[f"W{l}"] ** 2) for l in range(1, net.n_layers + 1))))


def norm_table(stacks: dict, X_test, y_test, last: int = 100) -> pd.DataFrame:
    """One row per variant and seed from stacked runs {norm: StackedTrace} (every run of a
    stack trained with its cfg.norm): train-mode and eval-mode accuracy on the same test set
    (:func:`mismatch`), their difference, the share of flipped predictions, train-mode
    accuracy on the last ``last`` training mini-batches, ‖W‖ and the divergence step (0: none).
    A diverged run has NaN numbers."""
    rows = []
    for norm, st in stacks.items():
        cfg = st.cfg
        for r, s in enumerate(st.seeds):
            p, run = st.params[r], st.running_stats[r]
            ok = not st.diverged_at[r] and all(np.all(np.isfinite(v)) for d in (p, run)
                                               for v in d.values())
            mm = (mismatch(p, run, st.net, norm, X_test, y_test, cfg.batch_size, cfg.sampling,
                           (cfg.r_max, cfg.d_max)) if ok else Mismatch(np.nan, np.nan, np.nan))
            rows.append((norm, NORM_LABELS[norm], int(s), *mm, mm.train_acc - mm.eval_acc,
                         float(np.nanmean(st.acc[r, -last:])) if ok else np.nan,
                         weight_norm(p, st.net) if ok else np.nan, int(st.diverged_at[r])))
    return pd.DataFrame(rows, columns=["norm", "variant", "seed", "train_mode_acc",
                                       "eval_test_acc", "disagree", "gap", "batch_acc",
                                       "weight_norm", "diverged_at"])


def stacked_curves(stacks: dict, run: int = 0, window: int = 50) -> pd.DataFrame:
    """:func:`norm_curves` of run ``run`` of each stack (variant labels of NORM_LABELS)."""
    views = {NORM_LABELS[n]: SimpleNamespace(acc=st.acc[run], eval_steps=st.eval_steps,
                                             test_acc=st.test_acc[run])
             for n, st in stacks.items()}
    return norm_curves(views, window)


def norm_means(table: pd.DataFrame) -> pd.DataFrame:
    """Means over seeds per variant (rows in the order of the table), for bars and the CSV."""
    cols = ["train_mode_acc", "eval_test_acc", "disagree", "gap", "batch_acc", "weight_norm"]
    g = table.groupby("norm", sort=False)
    out = g[cols].mean()
    out["runs"] = g.size()
    out["diverged"] = g["diverged_at"].apply(lambda d: int(np.sum(d > 0)))
    out.insert(0, "variant", [NORM_LABELS[n] for n in out.index])
    return out.reset_index()


# ---------------------------------------------------------------- verdicts
def _paired(table: pd.DataFrame, a: str, b: str, col: str) -> tuple[np.ndarray, np.ndarray]:
    """Column ``col`` of variants ``a`` and ``b`` paired by seed: two arrays (n,)."""
    w = table.pivot(index="seed", columns="norm", values=col)
    return w[a].to_numpy(dtype=float), w[b].to_numpy(dtype=float)


RENORM_MIN_MISMATCH = 0.02  # below this share of flipped predictions plain BN has no mismatch


def renorm_verdict(table: pd.DataFrame, threshold: float = RENORM_MIN_MISMATCH) -> Verdict:
    """"Batch Renorm reduces the train/eval mismatch": the share of test predictions that
    change between train mode and eval mode, plain BN vs Batch Renorm, paired by seed."""
    bn, rn = _paired(table, "bn", "renorm", "disagree")
    ok = np.isfinite(bn) & np.isfinite(rn)
    n = int(ok.sum())
    ev = {"bn": float(np.mean(bn[ok])) if n else np.nan,
          "renorm": float(np.mean(rn[ok])) if n else np.nan, "runs": n}
    if n == 0:
        return Verdict(Outcome.NOT_APPLICABLE, "Every run diverged: no mismatch to compare.",
                       ev, threshold)
    said = (f"Train mode and eval mode disagree on {pct(ev['bn'])} of the test predictions "
            f"with plain BN and on {pct(ev['renorm'])} with Batch Renorm (mean of {n} seeds)")
    if ev["bn"] < threshold:
        return Verdict(Outcome.NOT_APPLICABLE, said + ": with these mini-batches plain BN has "
                       "almost no train/eval mismatch to remove.", ev, threshold)
    k = int(np.sum(bn[ok] - rn[ok] > threshold))
    ev["held"] = k
    outcome = compare(ev["bn"] - ev["renorm"], threshold)
    tail = {Outcome.HOLDS: f": Batch Renorm removes the mismatch, {runs(k, n)}.",
            Outcome.REVERSED: ": Batch Renorm has the larger mismatch here.",
            Outcome.NO_EFFECT: ": Batch Renorm does not reduce it here."}[outcome]
    return Verdict(outcome, said + tail, ev, threshold)


RUNNING_ACC_MARGIN = 0.03  # eval-mode accuracy difference that counts as an effect


def running_verdict(table: pd.DataFrame, threshold: float = RUNNING_ACC_MARGIN) -> Verdict:
    """The forum's "why not use the running averages during training?": eval-mode test
    accuracy of plain BN minus that of BN normalised by the running averages in training,
    paired by seed (HOLDS: the running averages train worse), plus what changes regardless:
    the weights' size ‖W‖."""
    bn, ra = _paired(table, "bn", "running", "eval_test_acc")
    wb, wr = _paired(table, "bn", "running", "weight_norm")
    div = int(np.sum(table.loc[table["norm"] == "running", "diverged_at"] > 0))
    n = len(bn)
    ok = np.isfinite(bn) & np.isfinite(ra)
    ev = {"bn": float(np.mean(bn[ok])) if ok.any() else np.nan,
          "running": float(np.mean(ra[ok])) if ok.any() else np.nan,
          "weight_ratio": float(np.mean(wr[ok] / wb[ok])) if ok.any() else np.nan,
          "diverged": div, "runs": n}
    if div > n / 2:
        return Verdict(Outcome.HOLDS, f"Normalising with the running averages diverged "
                       f"{runs(div, n)}: without a gradient through μ and σ nothing stops "
                       "the weights from running away.", ev, threshold)
    if not ok.any() or not np.isfinite(bn[ok]).all():
        return Verdict(Outcome.NOT_APPLICABLE, "Plain BN did not train: nothing to compare.",
                       ev, threshold)
    k = int(np.sum(bn[ok] - ra[ok] > threshold))
    ev["held"] = k
    said = (f"Eval-mode test accuracy: plain BN {pct(ev['bn'])}, running averages in "
            f"training {pct(ev['running'])} (mean of {int(ok.sum())} seeds)")
    outcome = compare(ev["bn"] - ev["running"], threshold)
    if outcome is Outcome.HOLDS:
        tail = f"; the running averages train worse, {runs(k, int(ok.sum()))}."
    elif outcome is Outcome.REVERSED:
        tail = ("; here they train better: with these mini-batches the mini-batch statistics "
                "themselves hurt plain BN.")
    else:
        tail = (f"; on this toy problem nothing goes wrong in accuracy, but without a gradient "
                f"through μ and σ the layer is no longer normalised in training and the "
                f"weights grow {num(ev['weight_ratio'])}× as large.")
    return Verdict(outcome, said + tail, ev, threshold)


COLLAPSE_MARGIN = 0.05


def collapse_verdict(c: Collapse, eval_acc: float, threshold: float = COLLAPSE_MARGIN
                     ) -> Verdict:
    """"A test batch of one collapses": z_norm = 0, z̃ = β, one output for every input, so
    the accuracy is the share of the one predicted class; HOLDS when that is below the
    eval-mode accuracy by more than ``threshold``."""
    ev = {"k1_acc": c.share, "eval_acc": eval_acc, "p": c.p, "majority": c.majority}
    said = (f"A test batch of one gives every input p(class 1) = {num(c.p)} (class {c.cls}), "
            f"so its accuracy is the share of class {c.cls} in the test set: {pct(c.share)} vs "
            f"{pct(eval_acc)} in eval mode (majority-class rate {pct(c.majority)})")
    outcome = compare(eval_acc - c.share, threshold)
    tail = {Outcome.HOLDS: ".",
            Outcome.NO_EFFECT: "; this network does no better than one class even alone.",
            Outcome.REVERSED: "; this network is worse than one class even in eval mode.",
            Outcome.NOT_APPLICABLE: "; no eval-mode accuracy to compare."}[outcome]
    return Verdict(outcome, said + tail, ev, threshold)


SKEW_MARGIN = 0.05
SKEWED = 0.2  # a batch is skewed when its share of class 1 is at most this or at least 1 − it


def skew_verdict(s: SkewAt, k: int, threshold: float = SKEW_MARGIN) -> Verdict:
    """"Skewed test batches hurt batch statistics but not running statistics": running minus
    batch-statistics accuracy on the same examples; NOT_APPLICABLE for a balanced mix."""
    ev = {"batch": s.batch_mean, "running": s.running_mean, "mix": s.actual_mix, "k": k}
    said = (f"In test batches of k = {k} with {pct(s.actual_mix, 0)} class 1, batch "
            f"statistics classify {pct(s.batch_mean)} correctly, running statistics "
            f"{pct(s.running_mean)} of the same examples")
    if SKEWED < s.actual_mix < 1 - SKEWED:
        return Verdict(Outcome.NOT_APPLICABLE, said + "; this mix is not skewed — move the "
                       "class mix towards 0 % or 100 %.", ev, threshold)
    outcome = compare(s.running_mean - s.batch_mean, threshold)
    tail = {Outcome.HOLDS: ": skewed batches hurt batch statistics, running ones don't care.",
            Outcome.NO_EFFECT: ": at this k and mix the skew costs batch statistics little.",
            Outcome.REVERSED: ": here the batch statistics do better.",
            Outcome.NOT_APPLICABLE: "."}[outcome]
    return Verdict(outcome, said + tail, ev, threshold)


LAG_MARGIN = 0.02
FORGOTTEN = 0.01  # start values weighing less than this: the EMA has forgotten them


def lag_verdict(g: Lag, threshold: float = LAG_MARGIN) -> Verdict:
    """"A slow EMA lags and costs accuracy": population minus EMA eval-mode accuracy after
    the last step; NOT_APPLICABLE when the start values weigh < 1 % (a fast EMA)."""
    end = g.at_end
    ev = {"ema": end.ema, "ema_bc": end.ema_bc, "population": end.population,
          "start_weight": g.start_weight, "T": g.T}
    said = (f"After {g.T} steps the start values μ̂ = 0, σ̂² = 1 still weigh "
            f"β_EMA^t = {pct(g.start_weight)}: eval-mode accuracy {pct(end.ema)} with the EMA, "
            f"{pct(end.ema_bc)} bias-corrected, {pct(end.population)} with population "
            "statistics")
    if g.start_weight < FORGOTTEN:
        return Verdict(Outcome.NOT_APPLICABLE, said + "; this EMA has forgotten its start — "
                       "try β_EMA = 0.999.", ev, threshold)
    outcome = compare(end.population - end.ema, threshold)
    tail = {Outcome.HOLDS: ": the slow EMA lags and costs accuracy.",
            Outcome.NO_EFFECT: ": the lag costs no accuracy here.",
            Outcome.REVERSED: ": here the lagging EMA happens to do better.",
            Outcome.NOT_APPLICABLE: "."}[outcome]
    return Verdict(outcome, said + tail, ev, threshold)


# ---------------------------------------------------------------- how typical is a point?
def flip_rates(params, net: NetConfig, run, X, k: int, n_draws: int = 40,
               seed: int = 0) -> np.ndarray:
    """(n,) for every test example: the share of ``n_draws`` random test batches of k (itself
    and k − 1 random others) that change its predicted class from its eval-mode class."""
    X = np.asarray(X, dtype=float)
    n = len(X)
    if not 1 <= k <= n:
        raise ValueError(f"test batch size k must be from 1 to {n}; got {k}.")
    rng = np.random.default_rng(seed)
    others = rng.integers(0, n - 1, (n, n_draws, k - 1))  # skip the point itself:
    others += others >= np.arange(n)[:, None, None]  # index ≥ i moves up by one
    Xb = np.concatenate([np.broadcast_to(X[:, None, None], (n, n_draws, 1, X.shape[1])),
                         X[others]], axis=2).reshape(n * n_draws, k, X.shape[1])
    p = proba_batch(params, net, Xb, MAX_ROWS).reshape(n, n_draws, k)[..., 0]
    return np.mean((p >= 0.5) != (proba_eval(params, net, run, X) >= 0.5)[:, None], axis=1)


class Typical(NamedTuple):
    """How the followed point's flip rate compares with every test point's."""

    rate: float  # the followed point's flip rate (over the same kind of draws)
    mean: float  # mean flip rate over all test points
    never: float  # share of test points that never flipped
    above: float  # share of test points that flip less often than this one


def typicality(rates: np.ndarray, rate: float) -> Typical:
    """Where a flip rate ``rate`` stands among every test point's ``rates`` (n,)."""
    rates = np.asarray(rates, dtype=float)
    return Typical(float(rate), float(rates.mean()), float(np.mean(rates == 0)),
                   float(np.mean(rates < rate)))
