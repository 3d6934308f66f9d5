"""The one trainer: trains the MLP on mini-batches and records what the lessons plot.

:func:`train` trains one network and records everything a lesson shows of it
(:class:`TrainTrace`); :func:`train_stacked` trains several runs of one architecture — other
seeds, other noise levels, other labels, other learning rates — in one vectorised pass with the
runs on a leading axis (:class:`StackedTrace`). Both are the same loop
(:func:`bnsim.stacked_runs.run_stacked`); a single run is a stack of one.

:func:`train` records, for every hidden layer l and unit j, per training step t = 1..T:
``batch_mean`` μ_B, ``batch_var`` σ²_B (biased) and ``batch_var_unbiased`` of z^[l] in that
mini-batch (computed with the weights used in that step), and the running estimates *after*
step t under the chosen framework convention — arrays ``(T, L, U)`` with U the widest layer
(NaN where a layer is narrower). Plus loss and accuracy per step, eval-mode test accuracy every
``eval_every`` steps, and parameter snapshots (≤ ``n_snapshots``) with the population
statistics of the network at those steps. It records; it never plots.

Divergence (NaN/inf loss) stops training with ``diverged=True`` and ``diverged_at`` = the step,
and every array is cut to the steps completed.

The parts live in their own modules and are re-exported here: the configuration
(:mod:`bnsim.train_config`), the mini-batch sampler (:mod:`bnsim.sampling`), the traces
(:mod:`bnsim.traces`), the population and evaluation passes (:mod:`bnsim.evaluation`) and
the loop (:mod:`bnsim.stacked_runs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from bnsim import batchnorm
from bnsim.network import NetConfig
from bnsim.sampling import epoch, epochs, minibatches
from bnsim.stacked_runs import run_stacked
from bnsim.traces import StackedTrace, TrainTrace, snapshot_index
from bnsim.train_config import (
    NORMS,
    SAMPLINGS,
    TrainConfig,
    eval_every,
    renorm_limits,
    snapshot_steps,
)

__all__ = ["NORMS", "SAMPLINGS", "StackedTrace", "TrainConfig", "TrainTrace", "epoch",
           "epochs", "eval_every", "minibatches", "renorm_limits", "snapshot_index",
           "snapshot_steps", "train", "train_stacked"]

MAX_RUNS = 64  # runs one stacked pass takes


def _check_data(X, y, net: NetConfig, what: str):
    """Validated X (n, n_in) float and y (n,) int labels in 0..n_out − 1."""
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


def _check_labels(X, y, net: NetConfig, n_runs: int, what: str):
    """Validated X (n, n_in) and labels as (k, n): shared labels are repeated per run."""
    y = np.asarray(y)
    if y.ndim == 2:
        if y.shape[0] != n_runs:
            raise ValueError(f"{what}: per-run labels need shape ({n_runs}, n); got {y.shape}.")
        checked = [_check_data(X, row, net, what) for row in y]
        return checked[0][0], np.stack([c[1] for c in checked])
    X, y = _check_data(X, y, net, what)
    return X, np.broadcast_to(y, (n_runs, len(y)))


def _check_batch_size(cfg: TrainConfig, n: int) -> None:
    if cfg.batch_size > n:
        raise ValueError(f"batch_size ({cfg.batch_size}) must not exceed the number of "
                         f"training examples ({n}).")


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
    _check_batch_size(cfg, len(y))
    runs = run_stacked(net, X, y[None], X_test, None if y_test is None else y_test[None], cfg,
                       [cfg.seed], [cfg.bn_noise], record=True, pop_rows=None,
                       noisy_population=False)
    diverged_at = int(runs.diverged_at[0])
    done = diverged_at - 1 if diverged_at else cfg.steps  # steps completed
    rec = runs.recorded
    snapshots = [({n: v[0] for n, v in p.items()}, {n: v[0] for n, v in r.items()})
                 for p, r in rec.snapshots]
    n_snaps = len(snapshots)
    n_evals = int(np.sum(runs.eval_steps < diverged_at)) if diverged_at else len(runs.eval_steps)
    pop = runs.population
    batch_var = rec.batch_var[0, :done]
    return TrainTrace(
        net=net, cfg=cfg,
        batch_mean=rec.batch_mean[0, :done], batch_var=batch_var,
        batch_var_unbiased=batchnorm.unbiased_variance(batch_var, cfg.batch_size),
        running_mean=rec.running_mean[0, :done], running_var=rec.running_var[0, :done],
        loss=runs.loss[0, :done].copy(), acc=runs.acc[0, :done].copy(),
        eval_steps=runs.eval_steps[:n_evals],
        train_eval_acc=runs.evals.train_eval_acc[0, :n_evals].copy(),
        test_acc=runs.evals.test_acc[0, :n_evals].copy(),
        test_loss=runs.evals.test_loss[0, :n_evals].copy(),
        snapshot_steps=runs.snapshot_steps[:n_snaps], snapshots=snapshots,
        pop_mean=pop.pop_mean[0, :n_snaps], pop_var=pop.pop_var[0, :n_snaps],
        pop_var_unbiased=batchnorm.unbiased_variance(pop.pop_var[0, :n_snaps], len(X)),
        params={name: v[0].copy() for name, v in runs.params.items()},
        running_stats={name: v[0].copy() for name, v in runs.running.items()},
        diverged=bool(diverged_at), diverged_at=diverged_at or None,
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
    n_runs = len(seeds)
    if not 1 <= n_runs <= MAX_RUNS:
        raise ValueError(f"need 1 to {MAX_RUNS} stacked runs; got {n_runs}.")
    if bn_noise is None:
        noise_levels = [float(cfg.bn_noise)] * n_runs
    else:
        noise_levels = [float(b) for b in bn_noise]
        if len(noise_levels) != n_runs:
            raise ValueError(f"bn_noise needs one value per run ({n_runs}); "
                             f"got {len(noise_levels)}.")
    rates = [float(cfg.lr)] * n_runs if lrs is None else [float(a) for a in lrs]
    if len(rates) != n_runs:
        raise ValueError(f"lrs needs one value per run ({n_runs}); got {len(rates)}.")
    for s, b, a in zip(seeds, noise_levels, rates, strict=True):
        replace(cfg, seed=s, bn_noise=b, lr=a)  # TrainConfig validates every run's values
    if any(b > 0 for b in noise_levels) and not any(net.bn):
        raise ValueError("noisy BN needs at least one BN layer.")
    X, y = _check_labels(X, y, net, n_runs, "training data")
    if X_test is not None:
        X_test, y_test = _check_labels(X_test, y_test, net, n_runs, "test data")
    _check_batch_size(cfg, X.shape[0])
    runs = run_stacked(net, X, y, X_test, y_test, cfg, seeds, noise_levels, record=False,
                       pop_rows=pop_rows, noisy_population=True, lrs=rates)
    pop, evals = runs.population, runs.evals
    return StackedTrace(
        net=net, cfg=cfg, seeds=tuple(seeds), bn_noise=tuple(noise_levels),
        loss=runs.loss, acc=runs.acc, eval_steps=runs.eval_steps,
        train_eval_acc=evals.train_eval_acc, test_acc=evals.test_acc, test_loss=evals.test_loss,
        snapshot_steps=runs.snapshot_steps,
        pop_mean=pop.pop_mean, pop_var=pop.pop_var, out_mean=pop.out_mean, out_std=pop.out_std,
        params=[{name: v[r].copy() for name, v in runs.params.items()} for r in range(n_runs)],
        running_stats=[{name: v[r].copy() for name, v in runs.running.items()}
                       for r in range(n_runs)],
        diverged_at=runs.diverged_at,
    )
