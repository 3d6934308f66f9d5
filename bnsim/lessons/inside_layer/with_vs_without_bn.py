"""Tab "With vs without BN": a learning-rate sweep of one network with and without BN, seeds
stacked in one pass per setting (:func:`sweep`), and the verdict "BN trains better at this α"
(:func:`bn_verdict`) from the numbers of :func:`compare_at`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim import data
from bnsim.network import NetConfig
from bnsim.smoothing import smoothed
from bnsim.train import TrainConfig, train_stacked
from bnsim.verdict import Outcome, Verdict, compare, num, pct, runs

LRS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
TRAINS_ACC = 0.9  # "still trains": mean final test accuracy at least this (moons: linear ≈ 0.87)
TARGET_LOSS = 0.25  # "steps to a target loss": smoothed train-mode loss first ≤ this
SMOOTH = 50  # moving average (steps) of the mini-batch loss
HELP_THRESHOLD = 0.02  # 2 points of test accuracy separate "BN helps/hurts" from "no difference"
N_TEST = 400  # test examples of the sweep's data


class SweepSetting(NamedTuple):
    """One sweep (all scalars: the cache key)."""

    dataset: str = "moons"
    noise: float = 0.15
    n_train: int = 400
    depth: int = 4
    units: int = 16
    activation: str = "sigmoid"
    optimizer: str = "gd"
    batch_size: int = 32
    steps: int = 300  # enough for the effect (BN ahead in 10 of 10 seeds); keeps it short
    n_seeds: int = 3


class SweepRun(NamedTuple):
    """k seeds of one (α, with/without BN) setting."""

    lr: float
    bn: bool
    loss: np.ndarray  # (k, T) train-mode mini-batch loss (NaN after divergence)
    test_acc: np.ndarray  # (k,) final eval-mode test accuracy (NaN if diverged)
    eval_steps: np.ndarray  # (1,) = (the last step,)
    test_acc_curve: np.ndarray  # (k, 1)
    diverged: np.ndarray  # (k,) bool


def steps_to(loss: np.ndarray, target: float = TARGET_LOSS) -> float:
    """First step (1-based) at which the smoothed mean loss over seeds is ≤ ``target``; NaN
    if never."""
    s = smoothed(np.nanmean(np.atleast_2d(loss), axis=0) if np.isfinite(loss).any()
                 else np.full(np.shape(loss)[-1], np.nan), SMOOTH)
    hit = np.flatnonzero(np.isfinite(s) & (s <= target))
    return float(hit[0] + 1) if len(hit) else float("nan")


def sweep_runs(setting: SweepSetting, lrs: Sequence[float], bn: bool, data_seed: int = 0
               ) -> dict[float, SweepRun]:
    """Train ``setting.n_seeds`` seeds of every α in ``lrs`` (with or without BN) in one
    stacked pass — each run its own learning rate — and split the stack by α."""
    X, y, Xt, yt = data.train_test(setting.dataset, setting.n_train, N_TEST, setting.noise,
                                   data_seed)
    net = NetConfig(hidden=(setting.units,) * setting.depth, bn=(bn,) * setting.depth,
                    activation=setting.activation)
    # Evaluated once, after the last step: the sweep shows the final test accuracy only.
    cfg = TrainConfig(steps=setting.steps, batch_size=setting.batch_size,
                      optimizer=setting.optimizer, lr=float(lrs[0]), n_snapshots=2,
                      eval_every=setting.steps)
    n = setting.n_seeds
    st = train_stacked(net, X, y, Xt, yt, cfg, seeds=list(range(n)) * len(lrs), pop_rows=2,
                       lrs=np.repeat(np.asarray(lrs, dtype=float), n))
    div = st.diverged_at > 0
    acc = st.test_acc[:, -1].copy()
    acc[div] = np.nan
    out = {}
    for i, lr in enumerate(lrs):
        rows = slice(i * n, (i + 1) * n)
        out[float(lr)] = SweepRun(float(lr), bool(bn), st.loss[rows], acc[rows],
                                  st.eval_steps, st.test_acc[rows], div[rows])
    return out


class Sweep(NamedTuple):
    setting: SweepSetting
    lrs: tuple[float, ...]
    runs: dict  # (lr, bn) -> SweepRun

    def acc(self, bn: bool) -> np.ndarray:
        """(len(lrs),) mean final test accuracy over seeds (NaN if any seed diverged)."""
        return np.array([float(np.mean(self.runs[lr, bn].test_acc)) for lr in self.lrs])

    def largest_training_lr(self, bn: bool) -> float:
        """Largest α whose mean final test accuracy reaches :data:`TRAINS_ACC` (NaN: none)."""
        ok = [lr for lr, a in zip(self.lrs, self.acc(bn), strict=True)
              if np.isfinite(a) and a >= TRAINS_ACC]
        return max(ok) if ok else float("nan")

    def steps_to_target(self, bn: bool) -> np.ndarray:
        return np.array([steps_to(self.runs[lr, bn].loss) for lr in self.lrs])


def sweep(setting: SweepSetting, lrs: Sequence[float] = LRS) -> Sweep:
    """Every α of ``lrs`` with and without BN: two stacked passes (all α and seeds in each)."""
    runs_ = {}
    for bn in (False, True):
        runs_.update({(lr, bn): run for lr, run in sweep_runs(setting, lrs, bn).items()})
    return Sweep(setting, tuple(float(lr) for lr in lrs), runs_)


def sweep_frame(sw: Sweep) -> pd.DataFrame:
    """Tidy table of what the sweep plots: α, model, seed, final test accuracy, steps to the
    target loss (of the seeds' mean)."""
    rows = []
    for (lr, bn), r in sw.runs.items():
        to = steps_to(r.loss)
        for k, a in enumerate(r.test_acc):
            rows.append({"learning_rate": lr, "model": "bn" if bn else "no_bn", "seed": k,
                         "final_test_acc": a, "diverged": bool(r.diverged[k]),
                         "steps_to_target_loss": to})
    return pd.DataFrame(rows)


class Comparison(NamedTuple):
    """With vs without BN at one α: the numbers the verdict rests on."""

    lr: float
    acc_bn: float  # mean final test accuracy over seeds
    acc_no_bn: float
    better: int  # seeds where BN's accuracy beats no BN's by more than the threshold
    n: int  # seeds
    steps_bn: float  # steps to the target loss (NaN: never)
    steps_no_bn: float


def compare_at(sw: Sweep, lr: float) -> Comparison:
    """The numbers behind :func:`bn_verdict` at α = ``lr`` (one of the sweep's)."""
    r0, r1 = sw.runs[lr, False], sw.runs[lr, True]
    a0, a1 = np.nan_to_num(r0.test_acc, nan=0.0), np.nan_to_num(r1.test_acc, nan=0.0)
    return Comparison(float(lr), float(np.mean(a1)), float(np.mean(a0)),
                      int(np.sum(a1 - a0 > HELP_THRESHOLD)), len(a0),
                      steps_to(r1.loss), steps_to(r0.loss))


def _steps_sentence(c: Comparison) -> str:
    """How many steps each network needs to the target loss ("" when neither gets there)."""
    if np.isfinite(c.steps_bn) and np.isfinite(c.steps_no_bn):
        return (f" The smoothed loss reaches {TARGET_LOSS:g} after {c.steps_bn:.0f} steps "
                f"with BN and {c.steps_no_bn:.0f} without ({num(c.steps_no_bn / c.steps_bn)}×).")
    if np.isfinite(c.steps_bn):
        return (f" The smoothed loss reaches {TARGET_LOSS:g} after {c.steps_bn:.0f} steps "
                "with BN and never without.")
    if np.isfinite(c.steps_no_bn):
        return (f" The smoothed loss reaches {TARGET_LOSS:g} after {c.steps_no_bn:.0f} "
                "steps without BN and never with it.")
    return ""


def bn_verdict(c: Comparison) -> Verdict:
    """'BN trains better at this α' — HOLDS / REVERSED (BN hurts) / NO_EFFECT / NOT_APPLICABLE
    (neither network learned anything beyond chance), by mean final test accuracy."""
    ev = {"α": c.lr, "test accuracy with BN": c.acc_bn, "test accuracy without BN": c.acc_no_bn,
          "steps to loss with BN": c.steps_bn, "steps to loss without BN": c.steps_no_bn}
    where = f"At α = {c.lr:g}"
    accs = (f"final test accuracy {pct(c.acc_bn)} with BN and {pct(c.acc_no_bn)} without")
    if max(c.acc_bn, c.acc_no_bn) < 0.6:
        return Verdict(Outcome.NOT_APPLICABLE, f"{where} neither network trains ({accs}).", ev,
                       HELP_THRESHOLD)
    outcome = compare(c.acc_bn - c.acc_no_bn, HELP_THRESHOLD)
    seeds = runs(c.better, c.n)
    text = {Outcome.HOLDS: f"{where} BN helps: {accs} (BN ahead {seeds}).",
            Outcome.REVERSED: f"{where} BN hurts: {accs}.",
            Outcome.NO_EFFECT: f"{where} BN makes no difference to the result: {accs}."}[outcome]
    return Verdict(outcome, text + _steps_sentence(c), ev, HELP_THRESHOLD)
