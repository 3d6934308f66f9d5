"""What the tabs of "Train vs test" share: predictions in both modes, the one sampler of random
test batches, the eval-mode map, the usable network, and the trained variants (plain BN, Batch
Renorm, running averages in training) that the last two tabs compare.

``X`` of shape (B, k, 2) is B test batches of size k, predicted without any loop over batches
(one array pass, or a few cache-sized blocks of whole batches: see :func:`proba_batch`).
All random draws are seeded (``np.random.default_rng``). Labels ``y`` are ints in {0, 1};
"p" is the predicted probability of class 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim import network, notation
from bnsim.modes import Mode, Norm
from bnsim.network import NetConfig
from bnsim.sampling import epochs
from bnsim.smoothing import smoothed
from bnsim.verdict import (
    Outcome,
    Precondition,
    Verdict,
    abstain,
    compare,
    define,
    first_failed,
    learnable,
    num,
    something_trains,
)

MAX_ROWS = 2048  # examples per block of a batch-mode pass (a block's arrays stay in cache)


# ---------------------------------------------------------------- predictions
def proba_eval(params, net: NetConfig, run, X) -> np.ndarray:
    """p(class 1) in eval mode (running statistics ``run``); X (..., m, 2) -> (..., m)."""
    logits, _ = network.forward(params, X, net, Mode.EVAL, run)
    return network.softmax(logits)[..., 1]


def proba_batch(params, net: NetConfig, Xb, max_rows: int | None = None) -> np.ndarray:
    """p(class 1) in batch-statistics mode; ``Xb`` (B, k, 2) = B test batches -> (B, k).

    Each Xb[b] is normalised by its own μ_B and σ²_B in every BN layer. ``max_rows`` None:
    one array pass; else blocks of whole batches with about ``max_rows`` examples each (a
    loop over blocks, never over batches), which keeps the temporaries in the CPU cache and
    is faster on large inputs than one pass.
    """
    B, k = Xb.shape[0], Xb.shape[1]
    step = max(B, 1) if max_rows is None else max(1, max_rows // k)
    out = np.empty((B, k))
    for c in range(0, B, step):
        logits, _ = network.forward(params, Xb[c:c + step], net, Mode.BATCH)
        out[c:c + step] = network.softmax(logits)[..., 1]
    return out


def proba_first(params, net: NetConfig, X, idx, max_rows: int = MAX_ROWS) -> np.ndarray:
    """p(class 1) in batch-statistics mode of the FIRST example of each test batch
    ``X[idx[b]]`` (``X`` (N, 2), ``idx`` (B, k) indices) -> (B,): ``proba_batch(params, net,
    X[idx])[:, 0]`` (to rounding) for a fraction of the work — the batches are gathered block
    by block (``max_rows`` examples each), hidden layers are normalised in place with no
    backward cache, and the last BN layer normalises (and the output predicts) only the first
    member, from the statistics of all k."""
    X, idx = np.asarray(X, dtype=float), np.asarray(idx)
    B, k = idx.shape
    step = max(1, max_rows // k)
    out = np.empty(B)
    last = net.n_layers
    for c in range(0, B, step):
        a = X[idx[c:c + step]]  # (b, k, n_in)
        for l in range(1, last + 1):
            z = np.matmul(a, params[f"W{l}"].T)  # (b, k, n_l)
            if not net.bn[l - 1]:
                z += params[f"b{l}"]
                a = network.activation(net.activation, z if l < last else z[:, :1])
                continue
            mu = np.add.reduce(z, axis=1, keepdims=True) * (1.0 / k)
            z -= mu
            std = np.add.reduce(z * z, axis=1, keepdims=True) * (1.0 / k)
            std += net.eps
            np.sqrt(std, out=std)
            if l == last:  # only the first member goes on
                z = z[:, :1]
            z /= std
            z *= params[f"gamma{l}"]
            z += params[f"beta{l}"]
            a = network.activation(net.activation, z)
        logits = np.matmul(a[:, 0], params["W_out"].T) + params["b_out"]  # (b, n_out)
        out[c:c + step] = network.softmax(logits)[:, 1]
    return out


def accuracy(p, y) -> float:
    """Share of examples whose thresholded p(class 1) (≥ 0.5) equals the label."""
    return float(np.mean((np.asarray(p) >= 0.5) == np.asarray(y, dtype=bool)))


def eval_accuracy(params, net: NetConfig, run, X, y) -> float:
    """Eval-mode accuracy of the network on (X, y)."""
    return accuracy(proba_eval(params, net, run, X), y)


def check_k(k: int, n: int) -> None:
    """ValueError unless the test batch size k is from 1 to the test-set size n."""
    if not 1 <= k <= n:
        raise ValueError(f"test batch size k must be from 1 to the test-set size {n}; "
                         f"got {k}.")


# ---------------------------------------------------------------- the one sampler
def choose(rng: np.random.Generator, pool, shape, n: int, *,
           replace: bool = False) -> np.ndarray:
    """(*shape, n) examples drawn from ``pool`` (indices, or an int N for 0 … N − 1): n
    distinct ones per row if the pool is big enough and ``replace`` is False, else drawn
    with replacement (a batch larger than its pool repeats examples)."""
    pool = np.arange(pool) if np.ndim(pool) == 0 else np.asarray(pool)
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    if n == 0:
        return np.empty((*shape, 0), dtype=np.intp)
    if not replace and n <= len(pool):
        return pool[np.argsort(rng.random((*shape, len(pool))), axis=-1)[..., :n]]
    return pool[rng.integers(0, len(pool), (*shape, n))]


def mix_counts(mix: float, k: int) -> tuple[int, int]:
    """(class-0, class-1) counts of a batch of k with a share ``mix`` of class 1 (rounded)."""
    n1 = int(round(float(mix) * k))
    return k - n1, n1


def draw_mixed(y, k: int, mix: float, B: int, rng: np.random.Generator) -> np.ndarray:
    """(B, k) test-set indices: B batches of k, each with the class mix ``mix`` (share of
    class 1). Within a batch no example repeats unless its class pool is too small."""
    y = np.asarray(y)
    n0, n1 = mix_counts(mix, k)
    parts = [choose(rng, np.flatnonzero(y == c), B, n) for c, n in ((0, n0), (1, n1)) if n]
    return np.concatenate(parts, axis=1) if parts else np.empty((B, 0), dtype=np.intp)


def judge(effect: float, threshold: float, said: str, tails: Mapping[Outcome, str],
          evidence: dict, *, claim: str, preconditions: Sequence[Precondition] = (),
          raw: Mapping | None = None) -> Verdict:
    """The verdict of claim ``claim``: ``effect`` against ``threshold``
    (:func:`bnsim.verdict.compare`); the sentence ``said`` ends with the tail ``tails`` gives
    its outcome ("." if none). When one of ``preconditions`` fails: NOT_APPLICABLE, and the
    sentence ``said`` is followed by what happens instead (:func:`bnsim.verdict.abstain`)."""
    if first_failed(preconditions) is not None:
        return abstain(claim, preconditions, evidence, threshold, raw, lead=said + ". ")
    outcome = compare(effect, threshold)
    return Verdict(outcome, said + tails.get(outcome, "."), evidence, threshold, claim,
                   tuple(preconditions), dict(raw or {}))


# ---------------------------------------------------------------- shared preconditions
SKEWED_SHARE = 0.2  # a test batch is skewed when its share of class 1 is ≤ this or ≥ 1 − this
SKEWED = define(
    "skewed", "a test batch is skewed when at most 20 % or at least 80 % of its examples are "
    "of class 1 (the test set itself is half class 1).", SKEWED_SHARE)
SPREAD = define(
    "beyond the spread", "a mean difference is beyond the spread when it exceeds twice its "
    "standard error: over seeds (paired by seed) 2·s/√n, with s the standard deviation of "
    "the n paired differences (at least 2 runs); over random test batches, twice the "
    "standard error of the difference of the two means.", 2.0)


def k_above_one(k: int, instead: str) -> Precondition:
    """The precondition "k > 1" (a test batch of one example collapses)."""
    return Precondition("k > 1", bool(k > 1), instead)


def collapse_words(p: float) -> str:
    """What a test batch of one example gives every input (p(class 1) ``p``)."""
    return (f"at k = 1 every test batch is one example, so BN normalises each example by "
            f"itself (z_norm = 0, z̃ = β) and every input gets the same p(class 1) = {num(p)} "
            f"(class {int(p >= 0.5)})")


def network_trains(accuracies: Mapping[str, float], reference: float
                   ) -> tuple[Precondition, Precondition]:
    """The shared preconditions "the data is learnable" and "something trains"."""
    return learnable(reference), something_trains(accuracies, reference)


def standard_error(d) -> float:
    """2·s/√n of the paired differences ``d`` (NaN for fewer than 2): :data:`SPREAD`."""
    d = np.asarray(d, dtype=float)
    return float(SPREAD.threshold * np.std(d, ddof=1) / np.sqrt(len(d))) if len(d) > 1 \
        else float("nan")


def beyond_spread(d, threshold: float) -> Outcome:
    """HOLDS / REVERSED when the mean of the paired differences ``d`` exceeds ``threshold``
    and is :data:`SPREAD` (beyond twice its standard error), else NO_EFFECT."""
    d = np.asarray(d, dtype=float)
    return beyond(float(np.mean(d)), standard_error(d), threshold)


def beyond(mean: float, se: float, threshold: float) -> Outcome:
    """:func:`bnsim.verdict.compare` of ``mean`` with ``threshold``, NO_EFFECT unless
    |mean| > ``se`` (twice the standard error: :data:`SPREAD`)."""
    outcome = compare(mean, threshold)
    if outcome in (Outcome.HOLDS, Outcome.REVERSED) and not abs(mean) > se:
        return Outcome.NO_EFFECT
    return outcome


# ---------------------------------------------------------------- the eval-mode map
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


class EvalMap(NamedTuple):
    """The eval-mode decision map of a network over a fixed extent."""

    xs: np.ndarray  # (n,) grid x₁
    ys: np.ndarray  # (n,) grid x₂
    ext: tuple[float, float, float, float]  # (x0, x1, y0, y1): fixed axes
    p_eval: np.ndarray  # (n, n) eval-mode p(class 1); p_eval[i, j] at (xs[j], ys[i])
    acc_eval: float  # eval-mode accuracy on the test set


def eval_map(params, net: NetConfig, run, X, X_test, y_test, n: int = 50) -> EvalMap:
    """Eval-mode map on an n × n grid around the training set ``X`` and the test set."""
    ext = extent(X, X_test)
    grid = make_grid(ext, n)
    return EvalMap(grid.xs, grid.ys, ext, boundary_eval(params, net, run, grid),
                   eval_accuracy(params, net, run, X_test, y_test))


# ---------------------------------------------------------------- a usable network
def usable(trace):
    """(params, running, step) to evaluate: the final network, or after divergence the
    latest snapshot whose weights and running statistics are all finite (None if none)."""
    cands = [(trace.params, trace.running_stats, len(trace.loss))]
    if trace.diverged:
        cands = [(p, r, int(s) - 1) for s, (p, r) in
                 zip(trace.snapshot_steps[::-1], trace.snapshots[::-1], strict=True)]
    for p, r, s in cands:
        if _finite(p, r):
            return p, r, s
    return None


def _finite(*dicts) -> bool:
    """Whether every array in the dicts (weights, running statistics) is finite."""
    return all(np.all(np.isfinite(v)) for d in dicts for v in d.values())


# ---------------------------------------------------------------- the trained variants
NORMS = tuple(Norm)  # TrainConfig.norm of each compared variant: bn, renorm, running
NORM_LABELS = {Norm.BN: notation.MODELS["bn"].label, Norm.RENORM: notation.MODELS["renorm"].label,
               Norm.RUNNING: notation.MODELS["running_bn"].label}
TRAIN_FORWARD = {Norm.BN: Mode.BATCH, Norm.RENORM: Mode.RENORM,
                 Norm.RUNNING: Mode.RUNNING}  # the forward pass of each variant in training


def ramp_steps(steps: int) -> int:
    """Batch Renorm's ramp: r_max grows from 1 and d_max from 0 to their limits over the first
    half of training (Ioffe 2017 relaxes them gradually over its first 40k steps)."""
    return max(1, steps // 2)


def training_batches(y, m: int, sampling: str, n_epochs: int, rng) -> np.ndarray:
    """(B, m) indices: ``n_epochs`` passes over the examples of ``y`` cut into batches of m by
    the trainer's own sampler (:func:`bnsim.sampling.epochs`) — random ("iid") or one class
    per batch ("by_class", class by class)."""
    idx = epochs(y, m, sampling, n_epochs, rng, shuffle=False)
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
    logits, _ = network.forward(params, X[idx], net, TRAIN_FORWARD[Norm(norm)], run,
                                tuple(limits))
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
            ok = not st.diverged_at[r] and _finite(p, run)
            mm = (mismatch(p, run, st.net, norm, X_test, y_test, cfg.batch_size, cfg.sampling,
                           (cfg.r_max, cfg.d_max)) if ok else Mismatch(np.nan, np.nan, np.nan))
            rows.append((str(norm), NORM_LABELS[Norm(norm)], int(s), *mm,
                         mm.train_acc - mm.eval_acc,
                         float(np.nanmean(st.acc[r, -last:])) if ok else np.nan,
                         weight_norm(p, st.net) if ok else np.nan, int(st.diverged_at[r])))
    return pd.DataFrame(rows, columns=["norm", "variant", "seed", "train_mode_acc",
                                       "eval_test_acc", "disagree", "gap", "batch_acc",
                                       "weight_norm", "diverged_at"])


def norm_curves(traces: dict, window: int = 50) -> pd.DataFrame:
    """Tidy curves per variant: at each evaluation step, eval-mode test accuracy and the
    train-mode mini-batch accuracy averaged over the last ``window`` steps."""
    parts = []
    for name, tr in traces.items():
        if not len(tr.eval_steps):
            continue
        t = tr.eval_steps
        parts.append(pd.DataFrame({"variant": name, "step": t,
                                   "eval_test_acc": tr.test_acc,
                                   "train_mode_acc": smoothed(tr.acc, window)[t - 1]}))
    cols = ["variant", "step", "eval_test_acc", "train_mode_acc"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def stacked_curves(stacks: dict, run: int = 0, window: int = 50) -> pd.DataFrame:
    """:func:`norm_curves` of run ``run`` of each stack (variant labels of NORM_LABELS)."""
    views = {NORM_LABELS[Norm(n)]: SimpleNamespace(acc=st.acc[run], eval_steps=st.eval_steps,
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
    out.insert(0, "variant", [NORM_LABELS[Norm(n)] for n in out.index])
    return out.reset_index()


def paired(table: pd.DataFrame, a: str, b: str, col: str) -> tuple[np.ndarray, np.ndarray]:
    """Column ``col`` of variants ``a`` and ``b`` of a :func:`norm_table` paired by seed: two
    arrays (n,)."""
    w = table.pivot(index="seed", columns="norm", values=col)
    return w[a].to_numpy(dtype=float), w[b].to_numpy(dtype=float)
