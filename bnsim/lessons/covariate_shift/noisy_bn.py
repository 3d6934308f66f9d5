r"""Noisy BN: no BN, BN, and BN followed by random per-step scale and shift (which re-creates
covariate shift on purpose), several seeds each, trained in stacked passes
(:func:`noisy_comparison`, :func:`noisy_summary`) — the idea of Santurkar et al. (2018) on a
toy problem.

Verdict: :func:`noisy_verdict` (noisy BN trains about as well as BN although its inputs move
far more).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim.lessons.covariate_shift.common import drift, margin, networks
from bnsim.smoothing import smoothed
from bnsim.train import StackedTrace, TrainConfig, train_stacked
from bnsim.verdict import Outcome, Verdict, num, pct, runs

VARIANTS = ("no_bn", "bn", "noisy_bn")  # keys of bnsim.notation.MODELS


@dataclass
class NoisyComparison:
    """Three variants × several seeds. ``plain`` holds the no-BN runs (one per seed);
    ``bn`` the BN runs then the noisy-BN runs (seeds in the same order)."""

    seeds: tuple[int, ...]
    noise: float
    plain: StackedTrace
    bn: StackedTrace

    def runs(self, variant: str) -> tuple[StackedTrace, list[int]]:
        """The trace holding ``variant`` and the run indices (one per seed) in it."""
        k = len(self.seeds)
        if variant == "no_bn":
            return self.plain, list(range(k))
        if variant == "bn":
            return self.bn, list(range(k))
        if variant == "noisy_bn":
            return self.bn, list(range(k, 2 * k))
        raise ValueError(f"variant must be one of {VARIANTS}; got {variant!r}.")


def noisy_comparison(X, y, X_test, y_test, hidden: tuple[int, ...], activation: str,
                     cfg: TrainConfig, noise: float, seeds: Sequence[int],
                     pop_rows: int | None = 250) -> NoisyComparison:
    """Train no BN, BN and noisy BN (BN then z̃·(1 + σ·ξ₁) + σ·ξ₂ per unit, fresh standard
    normal ξ every step, σ = ``noise``; ``TrainConfig.bn_noise``) for every seed, with the same
    data, optimiser, learning rate and steps. Two stacked passes: the no-BN runs, and the BN
    and noisy-BN runs together (same architecture). Evaluated once, after the last step; the
    snapshot statistics behind :func:`noisy_summary`'s drift are taken over the first
    ``pop_rows`` training examples (None: all)."""
    if not (np.isfinite(noise) and 0 < noise <= 5):
        raise ValueError(f"noise must be in (0, 5]; got {noise!r}.")
    seeds = tuple(int(s) for s in seeds)
    net_plain, net_bn = networks(hidden, activation)
    cfg = replace(cfg, bn_noise=0.0, eval_every=cfg.steps)  # only the final accuracy is shown
    plain = train_stacked(net_plain, X, y, X_test, y_test, cfg, seeds, pop_rows=pop_rows)
    bn = train_stacked(net_bn, X, y, X_test, y_test, cfg, seeds * 2,
                       [0.0] * len(seeds) + [float(noise)] * len(seeds), pop_rows=pop_rows)
    return NoisyComparison(seeds, float(noise), plain, bn)


def noisy_summary(cmp: NoisyComparison, layer: int, tail: float = 0.1) -> pd.DataFrame:
    """One row per variant and seed: final eval-mode test and training accuracy, mean
    mini-batch loss over the last ``tail`` of the steps, whether it diverged, and the
    :func:`drift` of what the activation of hidden layer ``layer`` receives (z̃^[l] after BN
    and the noise of that step; z^[l] + b^[l] without BN) over the training set at the
    snapshot steps."""
    rows = []
    for v in VARIANTS:
        tr, idx = cmp.runs(v)
        T = tr.loss.shape[1]
        last = slice(T - max(1, int(round(T * tail))), T)
        for seed, r in zip(cmp.seeds, idx, strict=True):
            rows.append({
                "variant": v, "seed": seed,
                "test_acc": float(tr.test_acc[r, -1]),
                "train_acc": float(tr.train_eval_acc[r, -1]),
                "final_loss": float(np.nanmean(tr.loss[r, last])) if not tr.diverged_at[r]
                else float("nan"),
                "diverged": bool(tr.diverged_at[r]),
                "drift": drift(tr.out_mean[r, :, layer - 1], tr.out_std[r, :, layer - 1]),
            })
    return pd.DataFrame(rows)


def loss_curves(cmp: NoisyComparison, window: int) -> dict:
    """{variant: (seeds, T)} mini-batch loss per run, smoothed over ``window`` steps."""
    out = {}
    for v in VARIANTS:
        tr, idx = cmp.runs(v)
        out[v] = smoothed(tr.loss[idx], window)
    return out


def loss_steps(curves: dict) -> np.ndarray:
    """The steps 1, 2, …, T of :func:`loss_curves`' curves."""
    return np.arange(1, next(iter(curves.values())).shape[-1] + 1)


def loss_table(curves: dict, seeds: Sequence[int]) -> pd.DataFrame:
    """One column per variant and seed, one row per step (1, 2, …)."""
    return pd.DataFrame({"step": loss_steps(curves)} | {
        f"{k}_seed{s}": curves[k][i] for k in curves for i, s in enumerate(seeds)})


def diverged_runs(summary: pd.DataFrame) -> list[tuple[str, int]]:
    """(variant, seed) of every run of :func:`noisy_summary` that diverged."""
    return [(r.variant, int(r.seed)) for r in summary[summary["diverged"]].itertuples()]


class NoisyMeans(NamedTuple):
    """Means over seeds per variant: {variant: final test accuracy}, {variant: drift D}."""

    test_acc: dict
    drift: dict


def noisy_means(summary: pd.DataFrame) -> NoisyMeans:
    """Means over seeds of :func:`noisy_summary`'s test accuracy and drift, per variant."""
    g = summary.groupby("variant")[["test_acc", "drift"]].mean()
    return NoisyMeans({k: float(g.loc[k, "test_acc"]) for k in VARIANTS},
                      {k: float(g.loc[k, "drift"]) for k in VARIANTS})


# ---------------------------------------------------------------- verdict
NOISY_TOL = 0.02  # noisy BN "trains about as well" within this of BN's test accuracy


def noisy_verdict(summary: pd.DataFrame, tol: float = NOISY_TOL) -> Verdict:
    """"Noisy BN trains about as well as BN although its inputs move far more."

    Per seed, noisy BN's final test accuracy is compared with BN's of the same seed. Holds
    when the mean is within ``tol`` of BN's (or better); reversed when worse by more; does not
    apply when a BN or noisy-BN run diverged. The evidence counts the seeds in which it held."""
    bn = summary[summary["variant"] == "bn"].set_index("seed")
    nz = summary[summary["variant"] == "noisy_bn"].set_index("seed")
    n = len(bn)
    means = noisy_means(summary)
    a1, a2 = means.test_acc["bn"], means.test_acc["noisy_bn"]
    ratio = means.drift["noisy_bn"] / max(means.drift["bn"], 1e-12)
    held = int(np.sum(nz["test_acc"] >= bn["test_acc"] - tol))
    ev = {"bn_acc": a1, "noisy_acc": a2, "drift_ratio": ratio, "seeds_held": held,
          "seeds": n}
    if bn["diverged"].any() or nz["diverged"].any() or not np.isfinite(a2 - a1):
        return Verdict(Outcome.NOT_APPLICABLE, "A BN or noisy-BN run diverged: no verdict "
                       "(try a smaller learning rate).", ev, tol)
    nums = (f"Noisy BN reaches {pct(a2)} test accuracy and BN {pct(a1)} (means of {n} "
            f"seed{'s' if n != 1 else ''}) while noisy BN's z̃ drifts {num(ratio)}× as far")
    if a2 >= a1 - tol:
        return Verdict(Outcome.HOLDS, nums + f"; it trains about as well (within {margin(tol)}) "
                       f"{runs(held, n)}.", ev, tol)
    return Verdict(Outcome.REVERSED, nums + f"; this much noise hurts: within {margin(tol)} "
                   f"of BN only {runs(held, n)}.", ev, tol)

