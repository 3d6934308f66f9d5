"""The training loop, for k runs of one architecture stacked on a leading axis.

:func:`run_stacked` is the one loop behind :func:`bnsim.train.train` (a stack of one run that
records every step) and :func:`bnsim.train.train_stacked`. Run r follows exactly what a single
run with ``seed=seeds[r]`` does: the same initial weights, mini-batch order and noise draws
(one generator per run, consumed in the same order), forward/backward pass (the one BN kernel,
``bnsim.batchnorm``, through ``bnsim.network``), optimiser, running statistics and evaluation
steps. It returns :class:`Runs`, named arrays; the public traces are built from it.

Shapes: k runs, T steps, E evaluations, S snapshots, L hidden layers, U the widest hidden
layer (NaN padded), m the batch size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bnsim import batchnorm, evaluation, network, optim, running, sampling
from bnsim.evaluation import Evaluation, Population
from bnsim.modes import Norm
from bnsim.network import NetConfig
from bnsim.train_config import TrainConfig, eval_every, renorm_limits, snapshot_steps


@dataclass(frozen=True)
class StepRecord:
    """Per-step statistics of every hidden layer (``record=True``), each (k, T, L, U); NaN
    where a layer is narrower, has no BN (running estimates), or a step was not reached."""

    batch_mean: np.ndarray  # μ_B of z^[l] in that step's mini-batch
    batch_var: np.ndarray  # σ²_B, biased
    running_mean: np.ndarray  # the running estimates after the step
    running_var: np.ndarray
    snapshots: list  # S × (params, running): stacked copies taken before each snapshot step


@dataclass(frozen=True)
class Runs:
    """What :func:`run_stacked` returns: per-run arrays with the leading run axis k."""

    loss: np.ndarray  # (k, T) train-mode mini-batch loss (NaN from a run's divergence on)
    acc: np.ndarray  # (k, T) train-mode mini-batch accuracy
    eval_steps: np.ndarray  # (E,)
    evals: Evaluation  # train_eval_acc, test_acc, test_loss, each (k, E)
    snapshot_steps: np.ndarray  # (S,)
    population: Population  # pop_mean, pop_var, out_mean, out_std, each (k, S, L, U)
    params: dict  # final stacked parameters (k, ...)
    running: dict  # final stacked running statistics (k, n_l)
    diverged_at: np.ndarray  # (k,) int, 0 if never
    recorded: StepRecord | None  # with record=True


def stack_params(per_run: Sequence[dict]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """All parameters of k runs in one flat array (k, P) and views (k, *shape) into its rows,
    one per parameter (same keys as each run's dict), so that an optimiser updates every
    parameter of every run with a few vector operations."""
    flat = np.stack([np.concatenate([p.ravel() for p in run.values()]) for run in per_run])
    return flat, _views(flat, {name: p.shape for name, p in per_run[0].items()})


def _views(flat: np.ndarray, shapes: dict) -> dict[str, np.ndarray]:
    """Views (k, *shape) into the rows of ``flat`` (k, P), one per parameter."""
    views, offset = {}, 0
    n_runs = flat.shape[0]
    for name, shape in shapes.items():
        size = int(np.prod(shape))
        views[name] = flat[:, offset:offset + size].reshape(n_runs, *shape)
        offset += size
    return views


def _noise(net: NetConfig, levels, rngs, bn_layers) -> dict:
    """One step's noisy-BN draws {l: (scale, shift)}, each (k, n_l): 1 and 0 for a run
    without noise; per noisy run, per layer, n_l scales then n_l shifts from its generator."""
    n_runs = len(levels)
    draws = {l: (np.ones((n_runs, net.hidden[l - 1])), np.zeros((n_runs, net.hidden[l - 1])))
             for l in bn_layers}
    for r, level in enumerate(levels):
        if level > 0:
            for l in bn_layers:
                n = net.hidden[l - 1]
                draws[l][0][r] = 1.0 + level * rngs[r].standard_normal(n)
                draws[l][1][r] = level * rngs[r].standard_normal(n)
    return draws


def _record(per_layer, snapshots, net: NetConfig, n_runs: int, n_steps: int) -> StepRecord:
    """Stack the per-step (μ_B, σ²_B, running μ, running σ²) of each layer, (k, n_l) each
    (running ones None without BN), into the (k, T, L, U) arrays of a :class:`StepRecord`."""
    stats = np.full((4, n_runs, n_steps, net.n_layers, max(net.hidden)), np.nan)
    for l, steps in enumerate(per_layer):
        n = net.hidden[l]
        for i in range(4):
            if steps and steps[0][i] is not None:
                stats[i, :, :len(steps), l, :n] = np.stack([s[i] for s in steps], axis=1)
    return StepRecord(*stats, snapshots=snapshots)


def _stack_evaluations(evals: list[Evaluation], n_runs: int) -> Evaluation:
    """The E evaluations of (k,) arrays as one :class:`Evaluation` of (k, E) arrays."""
    return Evaluation(*(
        np.array([getattr(e, name) for e in evals], dtype=float).reshape(len(evals), n_runs)
        .T.copy() for name in Evaluation._fields))


def run_stacked(net: NetConfig, X, y, X_test, y_test, cfg: TrainConfig, seeds, noise_levels,
                *, record: bool, pop_rows: int | None, noisy_population: bool,
                lrs: Sequence[float] | None = None) -> Runs:
    """Train k = len(seeds) runs stacked on a leading axis (inputs validated by the caller).

    ``X`` (n, n_in) shared, ``y`` (k, n); ``X_test`` (n_test, n_in) and ``y_test``
    (k, n_test), or None. ``noise_levels``: noisy-BN std per run. ``record``: keep every
    step's μ_B, σ²_B and running estimates, and copies of the weights at the snapshot steps.
    ``pop_rows``: population statistics over the first rows of X only. ``noisy_population``:
    measure the snapshot population statistics with that step's noise (else without).
    ``lrs``: one learning rate per run (default cfg.lr).
    """
    n_runs = len(seeds)
    flat, params = stack_params([network.init_params(net, seed=s) for s in seeds])
    dflat = np.empty_like(flat)  # the gradients, written in place by the backward pass
    grads = _views(dflat, {name: p.shape[1:] for name, p in params.items()})
    estimates = {name: np.tile(v, (n_runs, 1))  # running μ̂, σ̂² (k, n_l)
                 for name, v in network.init_running(net).items()}
    opt = optim.make(cfg.optimizer, flat, cfg.lr)
    if lrs is not None and len(set(lrs)) > 1:  # run r's α over its row of parameters
        opt.lr = np.asarray(lrs, dtype=float)[:, None]
    rule = running.rule(cfg.convention, None if cfg.cumulative else (
        cfg.momentum if cfg.momentum is not None else running.DEFAULT))
    renorm = (cfg.r_max, cfg.d_max) if cfg.norm == Norm.RENORM else None
    mode = cfg.train_mode
    rngs = [np.random.default_rng(s) for s in seeds]
    batch_iters = [sampling.minibatches(y[r], cfg.batch_size, cfg.sampling, g)
                   for r, g in enumerate(rngs)]

    n_steps, m = cfg.steps, cfg.batch_size
    every = eval_every(cfg)
    snap_steps = snapshot_steps(n_steps, min(cfg.n_snapshots, n_steps))
    snap_index = {int(s): i for i, s in enumerate(snap_steps)}
    pop_shape = (n_runs, len(snap_steps), net.n_layers, max(net.hidden))
    pop_stats = Population(*(np.full(pop_shape, np.nan) for _ in Population._fields))
    X_eval = X if X_test is None else np.concatenate([X, X_test])
    X_pop = X if pop_rows is None else X[:max(2, int(pop_rows))]
    rows = np.arange(n_runs)[:, None]
    n_train = len(X)
    bn_layers = [l for l in range(1, net.n_layers + 1) if net.bn[l - 1]]
    any_noise = any(b > 0 for b in noise_levels)
    loss_all = np.full((n_runs, n_steps), np.nan)
    acc_all = np.full((n_runs, n_steps), np.nan)
    per_layer = [[] for _ in net.hidden] if record else None  # per step: μ_B, σ²_B, μ̂, σ̂²
    snapshots = [] if record else None
    eval_steps, evals = [], []
    diverged_at = np.zeros(n_runs, dtype=int)
    alive = np.ones(n_runs, dtype=bool)
    everyone, live = True, alive[:, None]  # every run still alive; the mask as a column

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(1, n_steps + 1):
            idx = (next(batch_iters[0])[None] if n_runs == 1
                   else np.stack([next(it) for it in batch_iters]))  # (k, m)
            noise = _noise(net, noise_levels, rngs, bn_layers) if any_noise else None
            if t in snap_index:
                if record:
                    snapshots.append(({n: v.copy() for n, v in params.items()},
                                      {n: v.copy() for n, v in estimates.items()}))
                measured = evaluation.population(params, X_pop, net,
                                                 noise if noisy_population else None,
                                                 outputs=not record)
                for buffer, value in zip(pop_stats, measured, strict=True):
                    buffer[:, snap_index[t]] = value
            yb = y[rows, idx]
            if renorm and cfg.renorm_ramp:  # Ioffe (2017): relax the clips gradually
                renorm = renorm_limits(cfg, t)
            logits, cache = network.forward(params, X[idx], net, mode, estimates, renorm, noise)
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
                    rm, rv = estimates[f"mean{l}"], estimates[f"var{l}"]
                    new_m, new_v = running.update(rm, rv, mu, s2, m, t, rule)
                    if not everyone:  # a diverged run keeps its last statistics
                        new_m, new_v = np.where(live, new_m, rm), np.where(live, new_v, rv)
                    estimates[f"mean{l}"], estimates[f"var{l}"] = new_m, new_v
                elif record:
                    mu, s2 = batchnorm.batch_stats(lc.z)
                    new_m = new_v = None
                if record:
                    per_layer[l - 1].append((mu, s2, new_m, new_v))
            network.backward(dlogits, cache, params, net, out=grads)
            if everyone:
                opt.step(flat, dflat)
            else:  # a diverged run keeps its last weights
                frozen = flat[~alive].copy()
                opt.step(flat, dflat)
                flat[~alive] = frozen
            if t % every == 0 or t == n_steps:
                eval_steps.append(t)
                evals.append(evaluation.evaluate(params, X_eval, y, y_test, n_train, net,
                                                 estimates))

    eval_steps = np.array(eval_steps, dtype=int)
    evals = _stack_evaluations(evals, n_runs)
    for r in np.flatnonzero(diverged_at):
        cut = diverged_at[r]
        for values in evals:
            values[r, eval_steps >= cut] = np.nan
        for values in pop_stats:
            values[r, snap_steps > cut] = np.nan
    recorded = _record(per_layer, snapshots, net, n_runs, n_steps) if record else None
    return Runs(loss_all, acc_all, eval_steps, evals, snap_steps, pop_stats, params, estimates,
                diverged_at, recorded)
