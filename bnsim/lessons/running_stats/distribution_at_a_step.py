"""Distribution at a step: z^[l]_j over the whole training set and over one replayed
mini-batch, with the weights of the snapshot step nearest to the one asked for."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from bnsim import batchnorm, network, train
from bnsim.lessons.running_stats.common import INIT, NOUN, Range, UnitStats, layers_phrase
from bnsim.modes import Mode
from bnsim.verdict import Outcome, Verdict, claim, num


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


GAPS_CLAIM = claim(
    "running_stats.distribution_at_a_step.gaps",
    where="Running statistics → Distribution at a step (takeaway)",
    words="At step s this mini-batch's μ_B = x is d from the population mean μ_pop = p (batch "
          "noise / batch noise and the normalisation by the batch-mates below); the EMA is v, "
          "d' from μ_pop",
    preconditions=(),
    threshold="none (numbers only)",
    test="tests/test_claims_running_stats.py::test_distribution_gaps_oracle_over_seeds")


def distribution_verdict(dist: Distribution, marks: dict[str, float], below: tuple[int, ...],
                         batch_mu: np.ndarray, beta: float) -> Verdict:
    """μ_B vs the population (batch noise) vs the first running estimate shown (its lag) at the
    step of ``dist``. ``marks``: {estimator: estimate of μ after that step}; ``below``: the BN
    layers under this one (then μ_B also carries their normalisation by the batch-mates);
    ``batch_mu``, ``beta``: the recorded μ_B and β_EMA the marks were computed from (raw)."""
    gap = abs(dist.mu_batch - dist.pop_mean)
    why = ("batch noise" if not below else
           f"batch noise; BN in {layers_phrase(below)} also ties μ_B to the batch-mates")
    text = (f"At step {dist.step} this mini-batch's μ_B = {num(dist.mu_batch)} is "
            f"{num(gap)} from the population mean μ_pop = {num(dist.pop_mean)} ({why})")
    if marks:
        name, val = next(iter(marks.items()))
        text += (f"; {NOUN[name]} is {num(val)}, {num(abs(val - dist.pop_mean))} from "
                 "μ_pop")
    if dist.z_batch is None:
        text += " (the mini-batch itself could not be replayed, so only μ_B is marked)"
    raw = {"step": dist.step, "z_all": dist.z_all, "z_batch": dist.z_batch,
           "mu_batch": dist.mu_batch, "pop_mean": dist.pop_mean, "marks": dict(marks),
           "batch_mu": np.asarray(batch_mu), "beta": float(beta), "below": below}
    return Verdict(Outcome.HOLDS, text + ".", {"gap": float(gap)}, None, GAPS_CLAIM, (), raw)
