"""The one trainer: trains the MLP on mini-batches and records what the lessons plot.

:func:`train` trains one network and records everything a lesson shows of it
(:class:`TrainTrace`); :func:`train_stacked` trains several runs of one architecture — other
seeds, other noise levels, other labels — in one vectorised pass with the runs on a leading
axis (:class:`StackedTrace`). Both are the same loop (:func:`_train_runs`), which calls the one
BN kernel (``bnsim.batchnorm``) through ``bnsim.network``; a single run is a stack of one.

:func:`train` records, for every hidden layer l and unit j, per training step t = 1..T:

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

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from bnsim import network, optim, running
from bnsim.network import NetConfig

SAMPLINGS = ("iid", "by_class")
NORMS = ("bn", "renorm", "running")


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
    norm: str = "bn"  # "bn"; "renorm" (Batch Renormalization); "running": normalise with the
    #                   running estimates in training too, no gradient through them
    r_max: float = 3.0  # Batch Renorm clip limits (reached after ``renorm_ramp`` steps)
    d_max: float = 5.0
    renorm_ramp: int = 0  # steps over which r_max grows from 1 and d_max from 0 (0: fixed)
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
        if not isinstance(self.renorm_ramp, (int, np.integer)) or self.renorm_ramp < 0:
            raise ValueError(f"renorm_ramp must be a whole number ≥ 0; got "
                             f"{self.renorm_ramp!r}.")
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


def minibatches(y: np.ndarray, batch_size: int, sampling: str, rng: np.random.Generator):
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


def renorm_limits(cfg: TrainConfig, t: int) -> tuple[float, float]:
    """Batch Renorm's (r_max, d_max) at step t: with ``cfg.renorm_ramp`` > 0 they grow linearly
    from (1, 0) — plain BN — to (cfg.r_max, cfg.d_max) at step ``renorm_ramp``."""
    f = 1.0 if not cfg.renorm_ramp else min(1.0, t / cfg.renorm_ramp)
    return 1.0 + (cfg.r_max - 1.0) * f, cfg.d_max * f


def eval_every(cfg: TrainConfig) -> int:
    """Steps between evaluations: ``cfg.eval_every``, or about 50 evaluations per run."""
    return cfg.eval_every or max(1, cfg.steps // 50)


def _snapshot_steps(T: int, n: int) -> np.ndarray:
    """About ``n`` steps in 1..T: half evenly spaced, half log-spaced (dense at the start,
    where a running estimate is still forming)."""
    lin = np.linspace(1, T, max(n - n // 2, 1))
    log = np.geomspace(1, T, n // 2) if n > 1 else []
    return np.unique(np.r_[lin, log].round().astype(int))


@dataclass
class StackedTrace:
    """What k stacked runs recorded. Shapes: k runs, T steps, E evaluations, S snapshots,
    L hidden layers, U widest layer (NaN padded). After a run diverged (NaN/inf loss at step
    ``diverged_at[r]``) its entries from that step on are NaN."""

    net: NetConfig
    cfg: TrainConfig
    seeds: tuple[int, ...]
    bn_noise: tuple[float, ...]
    loss: np.ndarray  # (k, T) train-mode mini-batch loss
    acc: np.ndarray  # (k, T) train-mode mini-batch accuracy
    eval_steps: np.ndarray  # (E,)
    train_eval_acc: np.ndarray  # (k, E) eval mode, whole training set
    test_acc: np.ndarray  # (k, E) eval mode, test set (NaN without one)
    test_loss: np.ndarray  # (k, E)
    snapshot_steps: np.ndarray  # (S,) weights used by step s, before its update
    pop_mean: np.ndarray  # (k, S, L, U) population mean of z^[l] (before BN), training set
    #                       (or its first ``pop_rows`` examples)
    pop_var: np.ndarray  # (k, S, L, U) biased
    out_mean: np.ndarray  # (k, S, L, U) population mean of the activation's input at step s
    out_std: np.ndarray  # (k, S, L, U)
    params: list  # k final parameter dicts
    running_stats: list  # k final running-statistics dicts
    diverged_at: np.ndarray  # (k,) int, 0 if the run never diverged

    @property
    def k(self) -> int:
        return len(self.seeds)


def _stack_views(flat: np.ndarray, shapes: dict) -> dict[str, np.ndarray]:
    """Views (k, *shape) into the rows of ``flat`` (k, P), one per parameter."""
    views, o = {}, 0
    k = flat.shape[0]
    for name, shape in shapes.items():
        size = int(np.prod(shape))
        views[name] = flat[:, o:o + size].reshape(k, *shape)
        o += size
    return views


def _check_labels(X, y, net: NetConfig, k: int, what: str):
    """Validated X (n, n_in) and labels as (k, n): shared labels are repeated per run."""
    y = np.asarray(y)
    if y.ndim == 2:
        if y.shape[0] != k:
            raise ValueError(f"{what}: per-run labels need shape ({k}, n); got {y.shape}.")
        checked = [_check_data(X, row, net, what) for row in y]
        return checked[0][0], np.stack([c[1] for c in checked])
    X, y = _check_data(X, y, net, what)
    return X, np.broadcast_to(y, (k, len(y)))


def _population(params, X, net: NetConfig, noise, out, outputs: bool = True) -> None:
    """Population statistics of stacked runs over a whole data set ``X`` with frozen weights
    (batch mode), written into ``out`` (4, k, L, U): mean and biased variance of z^[l], mean
    and standard deviation of what the activation receives (after BN and ``noise``; only with
    ``outputs``).

    For a BN layer the latter follow in closed form from the batch normalisation itself:
    z̃ = γ·z_norm + β has mean β and standard deviation |γ|·√(σ²/(σ² + ε)) over the batch,
    and the noise maps them to β·scale + shift and |γ·scale|·√(σ²/(σ² + ε))."""
    _, cache = network.forward(params, X, net, "batch", noise=noise)
    for l, lc in enumerate(cache.layers, start=1):
        n = lc.z.shape[-1]
        if lc.bn is not None:
            mu, s2 = lc.bn.mu, lc.bn.sigma2
            out[0, :, l - 1, :n], out[1, :, l - 1, :n] = mu, s2
            if not outputs:
                continue
            g, b = params[f"gamma{l}"], params[f"beta{l}"]
            spread = np.abs(g) * np.sqrt(s2 / (s2 + net.eps))
            if lc.noise_scale is not None:
                sc, sh = noise[l]
                b, spread = b * sc + sh, spread * np.abs(sc)
            out[2, :, l - 1, :n], out[3, :, l - 1, :n] = b, spread
        else:
            mean = lc.z.mean(axis=-2)
            out[0, :, l - 1, :n], out[1, :, l - 1, :n] = mean, lc.z.var(axis=-2)
            if not outputs:
                continue
            out[2, :, l - 1, :n] = mean + params[f"b{l}"]
            out[3, :, l - 1, :n] = lc.z_tilde.std(axis=-2)


def _eval_logits(params, X, net: NetConfig, run):
    """Eval-mode logits (k, n, n_out) with each BN layer folded into its weights:
    z̃ = a·(A∘W)ᵀ + (β − A∘μ̂) with A = γ/√(σ̂² + ε) — two array operations per layer."""
    a = X
    for l in range(1, net.n_layers + 1):
        W = params[f"W{l}"]
        if net.bn[l - 1]:
            A = params[f"gamma{l}"] / np.sqrt(run[f"var{l}"] + net.eps)
            B = params[f"beta{l}"] - A * run[f"mean{l}"]
            zt = np.matmul(a, (A[:, :, None] * W).transpose(0, 2, 1)) + B[:, None, :]
        else:
            zt = np.matmul(a, W.transpose(0, 2, 1)) + params[f"b{l}"][:, None, :]
        a = network._act(net.activation, zt)
    return np.matmul(a, params["W_out"].transpose(0, 2, 1)) + params["b_out"][:, None, :]


def _evaluate(params, X_eval, y, y_test, n_train, net, run):
    """Eval-mode (running statistics) accuracy on the training set and accuracy and loss on
    the test set, per run, from one forward pass over both sets: three arrays (k,) (NaN
    where logits are not finite or there is no test set)."""
    logits = _eval_logits(params, X_eval, net, run)
    k = logits.shape[0]
    finite = np.all(np.isfinite(logits), axis=(1, 2))
    hit = logits.argmax(axis=-1)
    train_acc = np.where(finite, np.mean(hit[:, :n_train] == y, axis=1), np.nan)
    if y_test is None:
        return train_acc, np.full(k, np.nan), np.full(k, np.nan)
    test_acc = np.where(finite, np.mean(hit[:, n_train:] == y_test, axis=1), np.nan)
    loss, _, _ = network.xent(logits[:, n_train:], y_test)
    return train_acc, test_acc, np.where(finite, loss, np.nan)


@dataclass
class _Runs:
    """What :func:`_train_runs` returns: per-run arrays with a leading axis k."""

    loss: np.ndarray  # (k, T)
    acc: np.ndarray  # (k, T)
    eval_steps: np.ndarray  # (E,)
    evals: np.ndarray  # (3, k, E): eval-mode train accuracy, test accuracy, test loss
    snapshot_steps: np.ndarray  # (S,)
    pop: np.ndarray  # (4, k, S, L, U): see _population
    params: dict  # final stacked parameters (k, ...)
    running: dict  # final stacked running statistics (k, n)
    diverged_at: np.ndarray  # (k,) int, 0 if never
    recorded: dict | None  # with record=True: per-step statistics (k, T, L, U) and snapshots


def _train_runs(net: NetConfig, X, y, X_test, y_test, cfg: TrainConfig, seeds, noise_levels,
                *, record: bool, pop_rows: int | None, noisy_population: bool,
                lrs: Sequence[float] | None = None) -> _Runs:
    """The training loop, for k = len(seeds) runs stacked on a leading axis.

    ``y`` (k, n), ``y_test`` (k, n_test) or None. ``record``: keep every step's μ_B, σ²_B and
    running estimates, and copies of the weights at the snapshot steps. ``noisy_population``:
    measure the snapshot population statistics with that step's noise (else without).
    Run r follows exactly what a single run with ``seed=seeds[r]`` does: the same initial
    weights, mini-batch order and noise draws (one generator per run, consumed in the same
    order), forward/backward pass, optimiser, running statistics and evaluation steps.
    """
    k = len(seeds)
    inits = [network.init_params(net, seed=s) for s in seeds]
    shapes = {name: p.shape for name, p in inits[0].items()}
    flat = np.stack([np.concatenate([p.ravel() for p in ini.values()]) for ini in inits])
    params = _stack_views(flat, shapes)
    dflat = np.empty_like(flat)  # the gradients, written in place by the backward pass
    grads = _stack_views(dflat, shapes)
    run = {name: np.tile(v, (k, 1)) for name, v in network.init_running(net).items()}
    opt = optim.make(cfg.optimizer, flat, cfg.lr)
    if lrs is not None and len(set(lrs)) > 1:  # run r's α over its row of parameters
        opt.lr = np.asarray(lrs, dtype=float)[:, None]
    how = running.rule(cfg.convention, None if cfg.cumulative else (
        cfg.momentum if cfg.momentum is not None else running.DEFAULT))
    renorm = (cfg.r_max, cfg.d_max) if cfg.norm == "renorm" else None
    mode = {"bn": "train", "renorm": "renorm", "running": "running"}[cfg.norm]
    rngs = [np.random.default_rng(s) for s in seeds]
    batch_iters = [minibatches(y[r], cfg.batch_size, cfg.sampling, g) for r, g in enumerate(rngs)]

    T, L, U, m = cfg.steps, net.n_layers, max(net.hidden), cfg.batch_size
    every = eval_every(cfg)
    snap_steps = _snapshot_steps(T, min(cfg.n_snapshots, T))
    snap_index = {int(s): i for i, s in enumerate(snap_steps)}
    pop = np.full((4, k, len(snap_steps), L, U), np.nan)
    X_eval = X if X_test is None else np.concatenate([X, X_test])
    X_pop = X if pop_rows is None else X[:max(2, int(pop_rows))]
    rows = np.arange(k)[:, None]
    n_train = len(X)
    bn_layers = [l for l in range(1, L + 1) if net.bn[l - 1]]
    noisy = [b > 0 for b in noise_levels]
    loss_all = np.full((k, T), np.nan)
    acc_all = np.full((k, T), np.nan)
    rec = [] if record else None  # per step, per layer: μ_B, σ²_B, running μ, σ² (k, n_l)
    snaps = [] if record else None
    evals = []
    diverged_at = np.zeros(k, dtype=int)
    alive = np.ones(k, dtype=bool)
    everyone, live = True, alive[:, None]  # every run still alive; the mask as a column

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(1, T + 1):
            idx = (next(batch_iters[0])[None] if k == 1
                   else np.stack([next(it) for it in batch_iters]))  # (k, m)
            noise = None
            if any(noisy):
                noise = {}
                for l in bn_layers:
                    n = net.hidden[l - 1]
                    noise[l] = (np.ones((k, n)), np.zeros((k, n)))
                for r in range(k):  # per run: per step, per layer, scale then shift
                    if noisy[r]:
                        for l in bn_layers:
                            n = net.hidden[l - 1]
                            noise[l][0][r] = 1.0 + noise_levels[r] * rngs[r].standard_normal(n)
                            noise[l][1][r] = noise_levels[r] * rngs[r].standard_normal(n)
            if t in snap_index:
                if record:
                    snaps.append(({n: v.copy() for n, v in params.items()},
                                  {n: v.copy() for n, v in run.items()}))
                _population(params, X_pop, net, noise if noisy_population else None,
                            pop[:, :, snap_index[t]], outputs=not record)
            yb = y[rows, idx]
            if renorm and cfg.renorm_ramp:  # Ioffe (2017): relax the clips gradually
                renorm = renorm_limits(cfg, t)
            logits, cache = network.forward(params, X[idx], net, mode, run, renorm, noise)
            loss, dlogits, hits = network.xent(logits, yb)
            if not np.isfinite(loss).all():  # some run's loss is NaN/inf: it diverged now
                bad = alive & ~np.isfinite(loss)
                diverged_at[bad] = t
                alive &= ~bad
                if not alive.any():
                    break
                everyone = False
                live = alive[:, None]
            if everyone:
                loss_all[:, t - 1] = loss
                acc_all[:, t - 1] = hits * (1.0 / m)
            else:
                dlogits[~alive] = 0.0
                loss_all[alive, t - 1] = loss[alive]
                acc_all[alive, t - 1] = hits[alive] * (1.0 / m)
            for l, lc in enumerate(cache.layers, start=1):
                if lc.bn is not None:
                    mu, s2 = lc.bn.mu, lc.bn.sigma2
                    rm, rv = run[f"mean{l}"], run[f"var{l}"]
                    new_m, new_v = running.update(rm, rv, mu, s2, m, t, how)
                    if not everyone:  # a diverged run keeps its last statistics
                        new_m, new_v = np.where(live, new_m, rm), np.where(live, new_v, rv)
                    run[f"mean{l}"], run[f"var{l}"] = new_m, new_v
                elif record:
                    mu = np.add.reduce(lc.z, axis=-2) * (1.0 / m)
                    zc = lc.z - mu[:, None, :]
                    s2 = np.add.reduce(zc * zc, axis=-2) * (1.0 / m)
                    new_m = new_v = None
                if record:
                    rec.append((mu, s2, new_m, new_v))
            network.backward(dlogits, cache, params, net, out=grads)
            if everyone:
                opt.step(flat, dflat)
            else:  # a diverged run keeps its last weights
                frozen = flat[~alive].copy()
                opt.step(flat, dflat)
                flat[~alive] = frozen
            if t % every == 0 or t == T:
                evals.append((t, *_evaluate(params, X_eval, y, y_test, n_train, net, run)))

    ev_steps = np.array([e[0] for e in evals], dtype=int)
    ev = np.array([e[1:] for e in evals], dtype=float).reshape(len(evals), 3, k)
    ev = ev.transpose(1, 2, 0).copy()  # (3, k, E)
    for r in range(k):
        if diverged_at[r]:
            cut = diverged_at[r]
            ev[:, r, ev_steps >= cut] = np.nan
            pop[:, r, snap_steps > cut] = np.nan
    recorded = None
    if record:  # (4, k, T, L, U), NaN where a layer is narrower, has no BN, or was not reached
        stats = np.full((4, k, T, L, U), np.nan)
        for l in range(L):
            steps = rec[l::L]
            n = net.hidden[l]
            for i in range(4):
                if steps and steps[0][i] is not None:
                    stats[i, :, :len(steps), l, :n] = np.stack([s[i] for s in steps], axis=1)
        recorded = {"stats": stats, "snapshots": snaps}
    return _Runs(loss_all, acc_all, ev_steps, ev, snap_steps, pop, params, run, diverged_at,
                 recorded)


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
    res = _train_runs(net, X, y[None], X_test, None if y_test is None else y_test[None], cfg,
                      [cfg.seed], [cfg.bn_noise], record=True, pop_rows=None,
                      noisy_population=False)
    d = int(res.diverged_at[0])
    done = d - 1 if d else cfg.steps
    rec = res.recorded["stats"][:, 0, :done]
    snaps = [({n: v[0] for n, v in p.items()}, {n: v[0] for n, v in r.items()})
             for p, r in res.recorded["snapshots"]]
    S = len(snaps)
    n, m = len(X), cfg.batch_size
    pop = res.pop[:, 0, :S]
    evals = res.evals[:, 0, res.eval_steps < d] if d else res.evals[:, 0]
    batch_var = rec[1]
    return TrainTrace(
        net=net, cfg=cfg,
        batch_mean=rec[0], batch_var=batch_var,
        batch_var_unbiased=(batch_var * (m / (m - 1)) if m > 1
                            else np.full_like(batch_var, np.nan)),
        running_mean=rec[2], running_var=rec[3],
        loss=res.loss[0, :done].copy(), acc=res.acc[0, :done].copy(),
        eval_steps=res.eval_steps[:evals.shape[1]], train_eval_acc=evals[0].copy(),
        test_acc=evals[1].copy(), test_loss=evals[2].copy(),
        snapshot_steps=res.snapshot_steps[:S], snapshots=snaps,
        pop_mean=pop[0], pop_var=pop[1], pop_var_unbiased=pop[1] * (n / (n - 1)),
        params={k: v[0].copy() for k, v in res.params.items()},
        running_stats={k: v[0].copy() for k, v in res.running.items()},
        diverged=bool(d), diverged_at=d or None,
    )


def train_stacked(net: NetConfig, X, y, X_test=None, y_test=None,
                  cfg: TrainConfig | None = None, seeds: Sequence[int] = (0,),
                  bn_noise: Sequence[float] | None = None, pop_rows: int | None = None,
                  lrs: Sequence[float] | None = None) -> StackedTrace:
    """Train k = len(seeds) copies of ``net`` on (X, y) in one vectorised pass.

    Run r uses ``cfg`` with ``seed=seeds[r]`` and ``bn_noise=bn_noise[r]`` (default: cfg's
    own bn_noise for every run). ``X`` (n, n_in) is shared by all runs; ``y`` is (n,), or
    (k, n) to give run r its own labels ``y[r]`` for the same inputs (e.g. one labelling rule
    per run). Optional test set likewise: ``X_test`` (n_test, n_in), ``y_test`` (n_test,) or
    (k, n_test). Run r then equals ``train(net, X, y[r], X_test, y_test[r], cfg_r)``.
    ``pop_rows``: take the snapshot population statistics over the first ``pop_rows`` training
    examples only (a fixed random sample, since data sets come shuffled) — cheaper for large
    sets; default all of X. Unlike :func:`train`, the snapshot statistics here include that
    step's noisy-BN scale and shift (what the next layer really receives). ``lrs``: one
    learning rate per run (default: ``cfg.lr`` for all), e.g. a learning-rate sweep in one pass.
    """
    cfg = cfg or TrainConfig()
    seeds = [int(s) for s in seeds]
    k = len(seeds)
    if not 1 <= k <= 64:
        raise ValueError(f"need 1 to 64 stacked runs; got {k}.")
    if bn_noise is None:
        noise_levels = [float(cfg.bn_noise)] * k
    else:
        noise_levels = [float(b) for b in bn_noise]
        if len(noise_levels) != k:
            raise ValueError(f"bn_noise needs one value per run ({k}); got {len(noise_levels)}.")
    rates = [float(cfg.lr)] * k if lrs is None else [float(a) for a in lrs]
    if len(rates) != k:
        raise ValueError(f"lrs needs one value per run ({k}); got {len(rates)}.")
    for s, b, a in zip(seeds, noise_levels, rates, strict=True):
        replace(cfg, seed=s, bn_noise=b, lr=a)  # TrainConfig validates every run's values
    if any(b > 0 for b in noise_levels) and not any(net.bn):
        raise ValueError("noisy BN needs at least one BN layer.")
    X, y = _check_labels(X, y, net, k, "training data")
    if X_test is not None:
        X_test, y_test = _check_labels(X_test, y_test, net, k, "test data")
    if cfg.batch_size > X.shape[0]:
        raise ValueError(f"batch_size ({cfg.batch_size}) must not exceed the number of "
                         f"training examples ({X.shape[0]}).")
    res = _train_runs(net, X, y, X_test, y_test, cfg, seeds, noise_levels, record=False,
                      pop_rows=pop_rows, noisy_population=True, lrs=rates)
    return StackedTrace(
        net=net, cfg=cfg, seeds=tuple(seeds), bn_noise=tuple(noise_levels),
        loss=res.loss, acc=res.acc, eval_steps=res.eval_steps,
        train_eval_acc=res.evals[0], test_acc=res.evals[1], test_loss=res.evals[2],
        snapshot_steps=res.snapshot_steps,
        pop_mean=res.pop[0], pop_var=res.pop[1], out_mean=res.pop[2], out_std=res.pop[3],
        params=[{name: v[r].copy() for name, v in res.params.items()} for r in range(k)],
        running_stats=[{name: v[r].copy() for name, v in res.running.items()}
                       for r in range(k)],
        diverged_at=res.diverged_at,
    )
