"""Distribution at a step: z^[l]_j over the whole training set and over one replayed
mini-batch, with the weights of the snapshot step nearest to the one asked for."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from bnsim import batchnorm, network, train
from bnsim.lessons.running_stats.common import INIT, Range, UnitStats
from bnsim.modes import Mode


class Distribution(NamedTuple):
    """z^[l]_j at one snapshot step, for the histogram of the distribution view."""

    step: int  # the snapshot step shown (nearest to the one asked for)
    z_all: np.ndarray  # (N,) over the whole training set, weights of that step
    z_batch: np.ndarray | None  # (m,) over that step's mini-batch (None: not reconstructible)
    mu_batch: float  # recorded μ_B of that step
    pop_mean: float  # μ_pop at that step


def nearest_snapshot(snapshot_steps: np.ndarray, step: int) -> int:
    """Index of the snapshot step closest to ``step`` (weights are stored only there)."""
    return int(np.argmin(np.abs(np.asarray(snapshot_steps) - int(step))))


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
    set the trace was recorded on; ``unit``: 0-based. The mini-batch is replayed and checked
    against the recorded μ_B; if they don't agree it is left out (``z_batch=None``)."""
    net, i = trace.net, layer - 1
    k = nearest_snapshot(trace.snapshot_steps, step)
    s = int(trace.snapshot_steps[k])
    params, _ = trace.snapshot_at(s)
    _, cache = network.forward(params, np.asarray(X, float), net, Mode.BATCH)
    z_all = cache.layers[i].z[:, unit].copy()
    mu_rec = float(trace.batch_mean[s - 1, i, unit])
    z_batch = None
    idx = batch_indices(trace, y, s)
    if idx is not None:
        _, bc = network.forward(params, np.asarray(X, float)[idx], net, Mode.TRAIN)
        zb = bc.layers[i].z[:, unit]
        if np.isclose(batchnorm.batch_stats(zb, axis=0).mu, mu_rec, rtol=1e-9, atol=1e-12):
            z_batch = zb.copy()
    return Distribution(s, z_all, z_batch, mu_rec, float(trace.pop_mean[k, i, unit]))


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
