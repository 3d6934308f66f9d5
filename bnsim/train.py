"""The recording trainer: trains the MLP on mini-batches and records what the lessons plot.

It records, for every hidden layer l and unit j, per training step t = 1..T:
``batch_mean`` μ_B, ``batch_var`` σ²_B (biased) and ``batch_var_unbiased`` of z^[l] in that
mini-batch (computed with the weights used in that step), and the running estimates *after*
step t under the chosen framework convention — arrays ``(T, L, U)`` with U the widest layer
(NaN where a layer is narrower). Plus loss and accuracy per step, eval-mode test accuracy every
``eval_every`` steps, and parameter snapshots (≤ ``n_snapshots``) with the population
statistics of the network at those steps. It records; it never plots.

Divergence (NaN/inf loss) stops training with ``diverged=True`` and ``diverged_at`` = the step,
and every array is cut to the steps completed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bnsim import network, optim, running
from bnsim.network import NetConfig

SAMPLINGS = ("iid", "by_class")
NORMS = ("bn", "renorm")


@dataclass(frozen=True)
class TrainConfig:
    """Everything about training besides the architecture and the data (all scalars)."""

    steps: int = 1000  # number of mini-batches T
    batch_size: int = 32  # m
    optimizer: str = "adam"  # gd, momentum, rmsprop, adam
    lr: float = 0.01
    seed: int = 0  # weights and mini-batch order
    convention: str = "pytorch"  # running statistics: pytorch, keras, lecture
    momentum: float | None = None  # that convention's momentum (None: its default)
    cumulative: bool = False  # PyTorch momentum=None: cumulative average of the batches
    norm: str = "bn"  # "bn" or "renorm" (Batch Renormalization)
    r_max: float = 3.0  # Batch Renorm clip limits
    d_max: float = 5.0
    sampling: str = "iid"  # "iid", or "by_class": every mini-batch from one class
    bn_noise: float = 0.0  # "noisy BN": per-step random scale/shift after BN, this std
    eval_every: int = 0  # 0: automatic, about 50 evaluations per run
    n_snapshots: int = 100  # parameter snapshots kept (half even, half log-spaced)

    def __post_init__(self):
        if not isinstance(self.steps, (int, np.integer)) or not 1 <= self.steps <= 20_000:
            raise ValueError(f"steps must be a whole number from 1 to 20000; got {self.steps!r}.")
        if not isinstance(self.batch_size, (int, np.integer)) or self.batch_size < 1:
            raise ValueError(f"batch_size must be a whole number ≥ 1; got {self.batch_size!r}.")
        if self.optimizer not in optim.OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(optim.OPTIMIZERS)}; "
                             f"got {self.optimizer!r}.")
        if not (np.isfinite(self.lr) and 0 < self.lr <= 10):
            raise ValueError(f"lr must be a number in (0, 10]; got {self.lr!r}.")
        running.rule(self.convention, self.momentum)  # validates both
        if self.cumulative and self.convention != "pytorch":
            raise ValueError("cumulative averaging is PyTorch's momentum=None; use "
                             "convention='pytorch' with it.")
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}; got {self.norm!r}.")
        if not (np.isfinite(self.r_max) and self.r_max >= 1):
            raise ValueError(f"r_max must be ≥ 1; got {self.r_max!r}.")
        if not (np.isfinite(self.d_max) and self.d_max >= 0):
            raise ValueError(f"d_max must be ≥ 0; got {self.d_max!r}.")
        if self.sampling not in SAMPLINGS:
            raise ValueError(f"sampling must be one of {SAMPLINGS}; got {self.sampling!r}.")
        if not (np.isfinite(self.bn_noise) and 0 <= self.bn_noise <= 5):
            raise ValueError(f"bn_noise must be in [0, 5]; got {self.bn_noise!r}.")
        if self.eval_every < 0 or self.n_snapshots < 1:
            raise ValueError("eval_every must be ≥ 0 and n_snapshots ≥ 1.")


@dataclass
class TrainTrace:
    """What one training run recorded. Shapes: T steps done, L hidden layers, U widest layer,
    E evaluations, S snapshots. Layer index l in the arrays is the lecture's l − 1."""

    net: NetConfig
    cfg: TrainConfig
    batch_mean: np.ndarray  # (T, L, U) μ_B of z^[l] per step
    batch_var: np.ndarray  # (T, L, U) σ²_B, biased (1/m)
    batch_var_unbiased: np.ndarray  # (T, L, U) m/(m−1)·σ²_B (NaN for m = 1)
    running_mean: np.ndarray  # (T, L, U) after step t, cfg.convention (NaN without BN)
    running_var: np.ndarray  # (T, L, U)
    loss: np.ndarray  # (T,) mini-batch loss in train mode
    acc: np.ndarray  # (T,) mini-batch accuracy in train mode
    eval_steps: np.ndarray  # (E,) steps after which the network was evaluated
    train_eval_acc: np.ndarray  # (E,) eval-mode accuracy on the whole training set
    test_acc: np.ndarray  # (E,) eval-mode accuracy on the test set (NaN if none given)
    test_loss: np.ndarray  # (E,)
    snapshot_steps: np.ndarray  # (S,) step s: the weights used by step s (before its update)
    snapshots: list  # S × (params, running) copies; running = estimate after step s − 1
    pop_mean: np.ndarray  # (S, L, U) population μ of z^[l] over the training set at step s
    pop_var: np.ndarray  # (S, L, U) biased
    pop_var_unbiased: np.ndarray  # (S, L, U)
    params: dict  # final weights
    running_stats: dict  # final running statistics
    diverged: bool = False
    diverged_at: int | None = None  # the step whose loss was NaN/inf

    @property
    def steps(self) -> np.ndarray:
        """(T,) the step numbers 1..T."""
        return np.arange(1, len(self.loss) + 1)

    def snapshot_at(self, step: int):
        """(params, running) of the latest snapshot at or before ``step``."""
        i = int(np.searchsorted(self.snapshot_steps, step, side="right")) - 1
        return self.snapshots[max(i, 0)]

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: step, layer (1-based), unit (0-based), statistic, value."""
        T, L, U = self.batch_mean.shape
        parts = []
        names = ("batch_mean", "batch_var", "batch_var_unbiased", "running_mean", "running_var")
        step, layer, unit = np.meshgrid(np.arange(1, T + 1), np.arange(1, L + 1), np.arange(U),
                                        indexing="ij")
        for name in names:
            parts.append(pd.DataFrame({"step": step.ravel(), "layer": layer.ravel(),
                                       "unit": unit.ravel(), "statistic": name,
                                       "value": getattr(self, name).ravel()}))
        S = len(self.snapshot_steps)
        step, layer, unit = np.meshgrid(self.snapshot_steps, np.arange(1, L + 1), np.arange(U),
                                        indexing="ij")
        for name in ("pop_mean", "pop_var", "pop_var_unbiased"):
            parts.append(pd.DataFrame({"step": step.ravel(), "layer": layer.ravel(),
                                       "unit": unit.ravel(), "statistic": name,
                                       "value": getattr(self, name).reshape(S * L * U)}))
        df = pd.concat(parts, ignore_index=True)
        widths = np.array(self.net.hidden)
        return df[df["unit"].to_numpy() < widths[df["layer"].to_numpy() - 1]].reset_index(
            drop=True)


def _batches(y: np.ndarray, batch_size: int, sampling: str, rng: np.random.Generator):
    """Endless mini-batch index arrays, without replacement within an epoch (a last partial
    batch is dropped so every batch has exactly ``batch_size`` examples)."""
    n = len(y)
    while True:
        if sampling == "iid":
            order = rng.permutation(n)
            for i in range(n // batch_size):
                yield order[i * batch_size:(i + 1) * batch_size]
        else:
            chunks = []
            for c in np.unique(y):
                idx = rng.permutation(np.flatnonzero(y == c))
                chunks += [idx[i * batch_size:(i + 1) * batch_size]
                           for i in range(len(idx) // batch_size)]
            if not chunks:
                raise ValueError("by_class sampling needs batch_size ≤ the size of a class.")
            for j in rng.permutation(len(chunks)):
                yield chunks[j]


def _evaluate(params, X_eval, y, y_test, n_train, net, run):
    """Eval-mode (running statistics) accuracy on the training set, and accuracy and loss on
    the test set (NaN without one), from one forward pass over both sets."""
    logits, _ = network.forward(params, X_eval, net, "eval", run)
    if not np.all(np.isfinite(logits)):
        return np.nan, np.nan, np.nan
    hit = logits.argmax(axis=1)
    train_acc = float(np.mean(hit[:n_train] == y))
    if y_test is None:
        return train_acc, np.nan, np.nan
    loss, _ = network.softmax_xent(logits[n_train:], y_test)
    return train_acc, float(np.mean(hit[n_train:] == y_test)), loss


def _copy(d: dict) -> dict:
    return {k: v.copy() for k, v in d.items()}


def _check_data(X, y, net: NetConfig, what: str):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != net.n_in or len(y) != len(X) or len(y) < 2:
        raise ValueError(f"{what}: X must be (n, {net.n_in}) and y (n,) with n ≥ 2; "
                         f"got {X.shape} and {y.shape}.")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{what}: X contains NaN or inf.")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= net.n_out:
        raise ValueError(f"{what}: y must be integers from 0 to {net.n_out - 1}.")
    return X, y.astype(np.intp)


def eval_every(cfg: TrainConfig) -> int:
    """Steps between evaluations: ``cfg.eval_every``, or about 50 evaluations per run."""
    return cfg.eval_every or max(1, cfg.steps // 50)


def _snapshot_steps(T: int, n: int) -> np.ndarray:
    """About ``n`` steps in 1..T: half evenly spaced, half log-spaced (dense at the start,
    where a running estimate is still forming)."""
    lin = np.linspace(1, T, max(n - n // 2, 1))
    log = np.geomspace(1, T, n // 2) if n > 1 else []
    return np.unique(np.r_[lin, log].round().astype(int))


def _stack(rows: list, L: int, U: int, widths) -> np.ndarray:
    """(T, L, U) array from T rows of L per-layer arrays (n_l,), NaN-padded; None = all NaN."""
    out = np.full((len(rows), L, U), np.nan)
    for l in range(L):
        col = [r[l] for r in rows]
        if col and col[0] is not None:
            out[:, l, : widths[l]] = col
    return out


def train(net: NetConfig, X, y, X_test=None, y_test=None, cfg: TrainConfig | None = None,
          ) -> TrainTrace:
    """Train ``net`` on (X, y) for ``cfg.steps`` mini-batches and record a :class:`TrainTrace`.

    ``X`` (n, n_in), ``y`` (n,) int; optional test set likewise. Deterministic per
    ``cfg.seed``. ``cfg.batch_size`` must not exceed n.
    """
    cfg = cfg or TrainConfig()
    X, y = _check_data(X, y, net, "training data")
    if X_test is not None:
        X_test, y_test = _check_data(X_test, y_test, net, "test data")
    if cfg.batch_size > len(y):
        raise ValueError(f"batch_size ({cfg.batch_size}) must not exceed the number of "
                         f"training examples ({len(y)}).")
    rng = np.random.default_rng(cfg.seed)
    flat, params = network.flatten(network.init_params(net, seed=cfg.seed))
    keys = list(params)
    run = network.init_running(net)
    opt = optim.make(cfg.optimizer, flat, cfg.lr)
    how = running.rule(cfg.convention, None if cfg.cumulative else (
        cfg.momentum if cfg.momentum is not None else running.DEFAULT))
    renorm = (cfg.r_max, cfg.d_max) if cfg.norm == "renorm" else None
    mode = "renorm" if renorm else "train"

    T, L, U, m = cfg.steps, net.n_layers, max(net.hidden), cfg.batch_size
    every = eval_every(cfg)
    snap_steps = _snapshot_steps(T, min(cfg.n_snapshots, T))
    snap_set = set(snap_steps.tolist())
    # train and test sets evaluated in one forward pass
    X_eval = X if X_test is None else np.concatenate([X, X_test])
    n_train = len(y)
    bn_layers = [l for l in range(1, L + 1) if net.bn[l - 1]]
    batches = _batches(y, m, cfg.sampling, rng)
    inv_m = 1.0 / m
    snaps, evals, losses, accs = [], [], [], []
    mus, s2s, rmeans, rvars = [], [], [], []
    diverged_at = None

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(1, T + 1):
            if t in snap_set:
                snaps.append((_copy(params), _copy(run)))
            idx = next(batches)
            yb = y[idx]
            noise = None
            if cfg.bn_noise > 0:
                noise = {l: (1.0 + cfg.bn_noise * rng.standard_normal(net.hidden[l - 1]),
                             cfg.bn_noise * rng.standard_normal(net.hidden[l - 1]))
                         for l in bn_layers}
            logits, cache = network.forward(params, X[idx], net, mode, run, renorm, noise)
            loss, dlogits, hits = network._xent(logits, yb)
            if not np.isfinite(loss):
                diverged_at = t
                break
            losses.append(loss)
            accs.append(hits * inv_m)
            mu_t, s2_t, rm_t, rv_t = [], [], [], []
            for l, lc in enumerate(cache.layers, start=1):
                if lc.bn is not None:
                    mu, s2 = lc.bn.mu, lc.bn.sigma2
                    rm, rv = running.update(run[f"mean{l}"], run[f"var{l}"], mu, s2, m, t, how)
                    run[f"mean{l}"], run[f"var{l}"] = rm, rv
                else:
                    mu = np.add.reduce(lc.z, axis=0) * inv_m
                    zc = lc.z - mu
                    s2 = np.add.reduce(zc * zc, axis=0) * inv_m
                    rm = rv = None
                mu_t.append(mu)
                s2_t.append(s2)
                rm_t.append(rm)
                rv_t.append(rv)
            mus.append(mu_t)
            s2s.append(s2_t)
            rmeans.append(rm_t)
            rvars.append(rv_t)
            grads = network.backward(dlogits, cache, params, net)
            opt.step(flat, np.concatenate([grads[k].ravel() for k in keys]))
            if t % every == 0 or t == T:
                evals.append((t, *_evaluate(params, X_eval, y, y_test, n_train, net, run)))

        done = len(losses)
        snap_steps = snap_steps[: len(snaps)]
        pop = np.full((3, len(snaps), L, U), np.nan)
        for i, (p, _) in enumerate(snaps):
            for l, stats in network._population_stats(p, X, net).items():
                pop[:, i, l - 1, : net.hidden[l - 1]] = stats

    w = net.hidden
    batch_var = _stack(s2s, L, U, w)
    ev = np.array(evals, dtype=float).reshape(-1, 4)
    return TrainTrace(
        net=net, cfg=cfg,
        batch_mean=_stack(mus, L, U, w), batch_var=batch_var,
        batch_var_unbiased=(batch_var * (m / (m - 1)) if m > 1
                            else np.full_like(batch_var, np.nan)),
        running_mean=_stack(rmeans, L, U, w), running_var=_stack(rvars, L, U, w),
        loss=np.array(losses, dtype=float).reshape(done),
        acc=np.array(accs, dtype=float).reshape(done),
        eval_steps=ev[:, 0].astype(int), train_eval_acc=ev[:, 1], test_acc=ev[:, 2],
        test_loss=ev[:, 3],
        snapshot_steps=snap_steps, snapshots=snaps,
        pop_mean=pop[0], pop_var=pop[1], pop_var_unbiased=pop[2],
        params=_copy(params), running_stats=_copy(run),
        diverged=diverged_at is not None, diverged_at=diverged_at,
    )
