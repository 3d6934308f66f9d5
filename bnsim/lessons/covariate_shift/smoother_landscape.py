r"""Smoother landscape: how the loss and its gradient change along the gradient, during
training, without BN, with BN and with noisy BN — after Santurkar, Tsipras, Ilyas & Mądry
(*How Does Batch Normalization Help Optimization?*, NeurIPS 2018, §3.1 and Fig. 4).

At recorded steps t of each run, with the weights w_t and the gradient g_t = ∇L(w_t) on a
mini-batch B_t, the network is moved along −g_t by step sizes η in a range, on the same
mini-batch (and, for noisy BN, the same noise draw), and three numbers are recorded
(:func:`landscape`):

* **loss variation** — max_η L(w_t − η g_t) − min_η L(w_t − η g_t);
* **gradient predictiveness** — max_η ‖∇L(w_t − η g_t) − g_t‖ − min_η ‖…‖: how far the
  gradient one step away differs from the gradient here (small: g_t predicts it well);
* **effective β-smoothness** — max_η ‖∇L(w_t − η g_t) − g_t‖ / ‖η g_t‖, the largest ratio of
  gradient change to distance moved (a local Lipschitz constant of the gradient).

Lower is smoother. The gradient is that of the training loss in train mode: through BN's
mini-batch statistics μ_B, σ²_B (:func:`loss_and_grad`, checked against finite differences
in the tests). Verdict: :func:`lower_verdict` (does BN's band sit lower?).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim import network, verdict
from bnsim.lessons.covariate_shift.common import networks
from bnsim.network import NetConfig
from bnsim.stacked_runs import _views, run_stacked, stack_params
from bnsim.train import TrainConfig
from bnsim.verdict import Outcome, Precondition, Verdict, num, pct

VARIANTS = ("no_bn", "bn", "noisy_bn")  # keys of bnsim.notation.MODELS
METRICS = {"loss_range": "loss variation", "grad_range": "gradient predictiveness",
           "beta_smooth": "effective β-smoothness"}
ETA_MAX = (0.05, 0.1, 0.2, 0.4, 1.0, 2.0)  # the largest step η of the range (paper: 0.4)
N_ETA = 8  # step sizes η from η_max/8 to η_max, evenly spaced (the paper's 0.05 … 0.4)
N_STEPS = 16  # recorded steps per run (half evenly spaced, half log-spaced: dense early)
N_PROBES = 4  # mini-batches per recorded step; the three numbers are their means


def etas(eta_max: float, n: int = N_ETA) -> np.ndarray:
    """The step sizes η: η_max/n, 2·η_max/n, …, η_max."""
    if not (np.isfinite(eta_max) and 0 < eta_max <= 10):
        raise ValueError(f"eta_max must be in (0, 10]; got {eta_max!r}.")
    return eta_max * np.arange(1, n + 1) / n


# ---------------------------------------------------------------- the loss and its gradient
def loss_and_grad(flat: np.ndarray, shapes: dict, net: NetConfig, X: np.ndarray, y: np.ndarray,
                  noise: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The train-mode mini-batch loss of R stacked networks and its gradient.

    ``flat`` (R, P): every parameter of run r in one row (``shapes``: {name: shape} in that
    order, as :func:`bnsim.stacked_runs.stack_params` lays them out); ``X`` (R, m, n_in) and
    ``y`` (R, m): run r's mini-batch; ``noise``: noisy BN's {l: (scale, shift)}, each (R, n_l),
    or None. Returns the loss (R,) and dL/dflat (R, P) — through μ_B and σ²_B of each BN layer.
    """
    params = _views(flat, shapes)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        logits, cache = network.forward(params, X, net, "train", noise=noise)
        loss, dlogits, _ = network.xent(logits, y)
        grad = np.empty_like(flat)
        network.backward(dlogits, cache, params, net, out=_views(grad, shapes))
    return loss, grad


def _probe(seeds, step: int, n_train: int, m: int, net: NetConfig, levels, j: int = 0) -> tuple:
    """Run r's ``j``-th mini-batch at a recorded step (indices (R, m), drawn without
    replacement from the training set by a generator of (seed, step, j)) and its noisy-BN draw
    (None: no noise)."""
    idx, draws = [], {l: (np.ones((len(seeds), n)), np.zeros((len(seeds), n)))
                      for l, n in enumerate(net.hidden, start=1) if net.bn[l - 1]}
    for r, (s, level) in enumerate(zip(seeds, levels, strict=True)):
        g = np.random.default_rng([int(s), int(step), int(j), 7])
        idx.append(g.choice(n_train, size=m, replace=False))
        if level > 0:
            for scale, shift in draws.values():
                scale[r] = 1.0 + level * g.standard_normal(scale.shape[1])
                shift[r] = level * g.standard_normal(shift.shape[1])
    return np.stack(idx), (draws if any(b > 0 for b in levels) else None)


def landscape(flat: np.ndarray, shapes: dict, net: NetConfig, X, y, idx, noise,
              eta: np.ndarray) -> dict[str, np.ndarray]:
    """The three numbers of the module docstring for R runs at one step: {metric: (R,)}.

    ``flat`` (R, P) the weights w_t; ``idx`` (R, m) each run's mini-batch; ``eta`` (E,)."""
    R, E = flat.shape[0], len(eta)
    Xb, yb = X[idx], y[idx]
    _, g = loss_and_grad(flat, shapes, net, Xb, yb, noise)  # g_t (R, P)
    moved = (flat[:, None, :] - eta[None, :, None] * g[:, None, :]).reshape(R * E, -1)
    noise_e = None if noise is None else {
        l: (np.repeat(s, E, axis=0), np.repeat(b, E, axis=0)) for l, (s, b) in noise.items()}
    with np.errstate(over="ignore", invalid="ignore"):
        loss, g_moved = loss_and_grad(moved, shapes, net, np.repeat(Xb, E, axis=0),
                                      np.repeat(yb, E, axis=0), noise_e)
        loss = loss.reshape(R, E)
        change = np.linalg.norm(g_moved.reshape(R, E, -1) - g[:, None, :], axis=-1)  # (R, E)
        g_norm = np.linalg.norm(g, axis=-1)  # (R,)
        return {"loss_range": loss.max(axis=1) - loss.min(axis=1),
                "grad_range": change.max(axis=1) - change.min(axis=1),
                "beta_smooth": np.max(change / (eta[None, :] * g_norm[:, None]), axis=1)}


# ---------------------------------------------------------------- the runs
@dataclass
class Landscape:
    """The three variants × seeds: final test accuracy, divergence, and the metrics at the
    recorded steps. Arrays per variant: ``metrics[v][name]`` (seeds, S)."""

    seeds: tuple[int, ...]
    noise: float
    eta: np.ndarray  # (E,)
    steps: np.ndarray  # (S,) the recorded steps
    test_acc: dict  # {variant: (seeds,)} final eval-mode test accuracy (NaN: diverged)
    diverged: dict  # {variant: (seeds,) bool}
    metrics: dict  # {variant: {metric: (seeds, S)}}


class Snapshots(NamedTuple):
    """What training keeps for the landscape: per pass (no BN; BN + noisy BN) the network, the
    stacked weights at each recorded step and the final numbers."""

    nets: tuple[NetConfig, NetConfig]
    steps: np.ndarray
    weights: tuple[list, list]  # per pass: S stacked parameter dicts (k, ...)
    test_acc: tuple[np.ndarray, np.ndarray]
    diverged_at: tuple[np.ndarray, np.ndarray]


def train_snapshots(X, y, X_test, y_test, hidden: tuple[int, ...], activation: str,
                    cfg: TrainConfig, noise: float, seeds: Sequence[int]) -> Snapshots:
    """Train no BN, BN and noisy BN (σ = ``noise``) for every seed — two stacked passes, as
    :func:`bnsim.lessons.covariate_shift.noisy_bn.noisy_comparison` does — keeping the weights
    at :data:`N_STEPS` recorded steps."""
    if not (np.isfinite(noise) and 0 < noise <= 5):
        raise ValueError(f"noise must be in (0, 5]; got {noise!r}.")
    seeds = [int(s) for s in seeds]
    cfg = replace(cfg, bn_noise=0.0, eval_every=cfg.steps, n_snapshots=N_STEPS)
    k = len(seeds)
    y, y_test = np.asarray(y), np.asarray(y_test)
    out = []
    for net, run_seeds, levels in zip(networks(hidden, activation), (seeds, seeds * 2),
                                      ([0.0] * k, [0.0] * k + [float(noise)] * k), strict=True):
        R = len(run_seeds)
        runs = run_stacked(net, np.asarray(X, float), np.broadcast_to(y, (R, len(y))),
                           np.asarray(X_test, float), np.broadcast_to(y_test, (R, len(y_test))),
                           cfg, run_seeds, levels, record=True, pop_rows=2,
                           noisy_population=False)
        out.append((net, runs))
    (net0, r0), (net1, r1) = out
    return Snapshots((net0, net1), r0.snapshot_steps,
                     ([p for p, _ in r0.recorded.snapshots], [p for p, _ in r1.recorded.snapshots]),
                     (r0.evals.test_acc[:, -1], r1.evals.test_acc[:, -1]),
                     (r0.diverged_at, r1.diverged_at))


def measure(snap: Snapshots, X, y, seeds: Sequence[int], noise: float, batch_size: int,
            eta_max: float) -> Landscape:
    """The three metrics of every run at every recorded step it reached (NaN after it
    diverged), for the step sizes :func:`etas` (``eta_max``): each the mean over
    :data:`N_PROBES` mini-batches of ``batch_size`` examples."""
    seeds = tuple(int(s) for s in seeds)
    k, eta = len(seeds), etas(eta_max)
    X, y = np.asarray(X, float), np.asarray(y)
    S = len(snap.steps)
    per_pass = []
    for p, (net, weights, div) in enumerate(zip(snap.nets, snap.weights, snap.diverged_at,
                                                strict=True)):
        run_seeds = seeds if p == 0 else seeds * 2
        levels = [0.0] * k if p == 0 else [0.0] * k + [float(noise)] * k
        vals = {m: np.full((len(run_seeds), S), np.nan) for m in METRICS}
        for i, (step, params) in enumerate(zip(snap.steps, weights, strict=True)):
            flat, _ = stack_params([{n: v[r] for n, v in params.items()}
                                    for r in range(len(run_seeds))])
            shapes = {n: v.shape[1:] for n, v in params.items()}
            got = [landscape(flat, shapes, net, X, y, *_probe(run_seeds, int(step), len(X),
                                                               batch_size, net, levels, j), eta)
                   for j in range(N_PROBES)]
            got = {m: np.mean([g[m] for g in got], axis=0) for m in METRICS}
            reached = (div == 0) | (div > step)
            for m in METRICS:
                vals[m][:, i] = np.where(reached, got[m], np.nan)
        per_pass.append(vals)
    acc = {"no_bn": snap.test_acc[0], "bn": snap.test_acc[1][:k],
           "noisy_bn": snap.test_acc[1][k:]}
    div = {"no_bn": snap.diverged_at[0] > 0, "bn": snap.diverged_at[1][:k] > 0,
           "noisy_bn": snap.diverged_at[1][k:] > 0}
    metrics = {"no_bn": per_pass[0],
               "bn": {m: a[:k] for m, a in per_pass[1].items()},
               "noisy_bn": {m: a[k:] for m, a in per_pass[1].items()}}
    return Landscape(seeds, float(noise), eta, np.asarray(snap.steps), acc, div, metrics)


def table(ls: Landscape) -> pd.DataFrame:
    """One row per variant, seed and recorded step: the three metrics and the final test
    accuracy (the CSV download)."""
    rows = []
    for v in VARIANTS:
        for r, seed in enumerate(ls.seeds):
            for i, step in enumerate(ls.steps):
                rows.append({"variant": v, "seed": seed, "step": int(step)}
                            | {m: float(ls.metrics[v][m][r, i]) for m in METRICS}
                            | {"test_acc": float(ls.test_acc[v][r])})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- verdict
LOWER_FACTOR = 1.25
SITS_LOWER = verdict.define(
    "sits lower", "BN's curve of a landscape measure sits lower than no BN's when, in every "
    "seed, the median over the recorded steps of (no BN's value / BN's value at the same step) "
    f"exceeds {LOWER_FACTOR:g}; *sits higher* when it is below 1/{LOWER_FACTOR:g} in every "
    "seed; otherwise no clear difference is claimed.", LOWER_FACTOR)
LOWER = verdict.claim(
    "covariate_shift.smoother_landscape.lower", where="Covariate shift → Smoother landscape "
    "(one sentence per landscape measure, under the figure)",
    words="<measure>: (a) BN's curve sits lower than no BN's — no BN / BN r× (median over "
          "the recorded steps, r_min× to r_max× over n seeds); BN's band below at k, above at "
          "j of S recorded steps; (b) BN's curve sits higher — no BN / BN r×; (c) no clear "
          "difference — BN lower by more than 1.25× in k of n seeds. Then noisy BN's median "
          "ratio. Abstains: a run diverged or the measure overflowed; the data is not "
          "learnable; BN or no BN does not train.",
    preconditions=("no run diverged and every measure is finite", "the data is learnable",
                   "BN and no BN both train (means over seeds)"),
    threshold="*sits lower*: no BN / BN > 1.25 in every seed (median over the steps)",
    test="tests/test_smoother_landscape.py::test_bn_sits_lower_over_ten_seeds, "
         "::test_lower_verdict_branches, ::test_abstains_where_nothing_trains")


def band_counts(a: np.ndarray, b: np.ndarray) -> tuple[int, int, int]:
    """(steps where a's band lies below b's, steps where above, steps compared): bands are
    min–max over the seeds (rows) of (seeds, S) arrays; steps with a NaN are not compared."""
    ok = np.isfinite(a).all(axis=0) & np.isfinite(b).all(axis=0)
    below = int(np.sum(ok & (a.max(axis=0) < b.min(axis=0))))
    above = int(np.sum(ok & (a.min(axis=0) > b.max(axis=0))))
    return below, above, int(ok.sum())


def seed_ratios(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per seed (row), the median over the recorded steps of b / a at the same step (a value
    of 0 over 0 counts as 1: nothing changed in either)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where((a == 0) & (b == 0), 1.0, b / a)
    return np.median(q, axis=1)


def lower_verdict(ls: Landscape, metric: str, reference: float,
                  data_sets: tuple | None = None) -> Verdict:
    """"BN's curve of ``metric`` sits lower than no BN's" (:data:`SITS_LOWER`: per seed, the
    median over the recorded steps of no BN / BN, beyond 1.25 in every seed), with the band
    counts of the figure and noisy BN's ratio. Abstains when a run diverged or a value is not
    finite, the data is not learnable (``reference``: 15-NN test accuracy) or BN or no BN does
    not train (means over seeds)."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {tuple(METRICS)}; got {metric!r}.")
    name = METRICS[metric].capitalize()
    a, b, c = (np.asarray(ls.metrics[v][metric], float) for v in ("bn", "no_bn", "noisy_bn"))
    acc = {v: float(np.mean(ls.test_acc[v])) for v in VARIANTS}
    finite = bool(not any(ls.diverged[v].any() for v in VARIANTS)
                  and all(np.isfinite(x).all() and (x >= 0).all() for x in (a, b, c))
                  and (a > 0).any(axis=1).all() and (c > 0).any(axis=1).all())
    below, above, S = band_counts(a, b) if finite else (0, 0, 0)
    q = seed_ratios(a, b) if finite else np.full(len(ls.seeds), np.nan)
    qn = seed_ratios(c, b) if finite else np.full(len(ls.seeds), np.nan)
    ratio, noisy_ratio = float(np.median(q)), float(np.median(qn))
    n = len(q)
    k = int(np.sum(q > LOWER_FACTOR))
    ev = {"below": below, "above": above, "steps": S, "ratio": ratio, "ratio_min":
          float(np.min(q)), "ratio_max": float(np.max(q)), "seeds_lower": k,
          "noisy_ratio": noisy_ratio, "bn_acc": acc["bn"], "no_bn_acc": acc["no_bn"],
          "reference": reference}
    raw = {"metric": metric, "bn": a, "no_bn": b, "noisy_bn": c, "reference": reference,
           "test_acc": {v: np.asarray(ls.test_acc[v], float) for v in VARIANTS},
           "diverged": {v: np.asarray(ls.diverged[v], bool) for v in VARIANTS}}
    if data_sets is not None:
        raw["data"] = tuple(data_sets)
    bar = verdict.trains_bar(reference)
    pre = (Precondition("no run diverged and every measure is finite", finite,
                        f"{name}: a run diverged or the loss overflowed along the gradient, so "
                        "no verdict (try a smaller learning rate or a smaller η range)."),
           verdict.learnable(reference),
           Precondition("BN and no BN both train", bool(acc["bn"] >= bar and acc["no_bn"] >= bar),
                        f"{name}: a network that does not train has no landscape worth "
                        f"comparing (BN {pct(acc['bn'])}, no BN {pct(acc['no_bn'])} test "
                        f"accuracy; a network *trains* at ≥ {pct(bar)} here), so no verdict."))
    if verdict.first_failed(pre) is not None:
        return verdict.abstain(LOWER, pre, ev, LOWER_FACTOR, raw)
    spread = ("" if n == 1 else
              f", {num(ev['ratio_min'])}× to {num(ev['ratio_max'])}× over {n} seeds")
    bands = f"BN's band below at {below}, above at {above} of {S} recorded steps"
    noisy = f" Noisy BN: no BN / noisy BN {num(noisy_ratio)}×."
    if k == n:
        return Verdict(Outcome.HOLDS, f"{name}: BN's curve sits lower than no BN's — no BN / "
                       f"BN {num(ratio)}× (median over the steps{spread}); {bands}." + noisy,
                       ev, LOWER_FACTOR, LOWER, pre, raw)
    if np.all(q < 1 / LOWER_FACTOR):
        return Verdict(Outcome.REVERSED, f"{name}: BN's curve sits higher than no BN's — no "
                       f"BN / BN {num(ratio)}× (median over the steps{spread}); {bands}."
                       + noisy, ev, LOWER_FACTOR, LOWER, pre, raw)
    return Verdict(Outcome.NO_EFFECT, f"{name}: no clear difference — BN lower by more than "
                   f"{LOWER_FACTOR:g}× in {k} of {n} seed{'s' if n != 1 else ''} (no BN / BN "
                   f"{num(ratio)}×, median over the steps{spread}); {bands}." + noisy,
                   ev, LOWER_FACTOR, LOWER, pre, raw)
