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

from bnsim import verdict
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
NOISY_TOL = verdict.ABOUT_AS_WELL.threshold  # "about as well": within 2 pp, either direction
NOISY = verdict.claim(
    "covariate_shift.noisy_bn.noisy", where="Covariate shift → Noisy BN (the sentence under "
    "the figures)",
    words="Noisy BN reaches A and BN B test accuracy (means of n seeds | at this seed) while "
          "noisy BN's z̃ drifts r× as far; (a) it trains about as well as BN (within 2 pp) — "
          "within 2 pp in k of n runs; (b) it does better than BN, by X pp — more than 2 pp "
          "better in k of n runs; (c) this much noise hurts: X pp below BN — more than 2 pp "
          "below in k of n runs. Abstains: a run diverged; nothing learnable; neither BN nor "
          "noisy BN trains.",
    preconditions=("no BN or noisy-BN run diverged", "the data is learnable",
                   "something trains (BN or noisy BN, means over seeds)"),
    threshold="2 pp (*about as well*), on the means over seeds; per seed for the run counts",
    test="tests/test_claims_covariate_shift.py::test_noisy_bn_trains_about_as_well_as_bn, "
         "tests/test_claims_covariate_shift.py::"
         "test_noisy_bn_at_a_large_learning_rate_is_not_judged, "
         "tests/test_covariate_shift.py::test_noisy_verdict_branches, "
         "tests/test_page_covariate_shift.py::test_noisy_bn_is_not_judged_where_nothing_trains")


def noisy_verdict(summary: pd.DataFrame, reference: float, data_sets: tuple | None = None,
                  tol: float = NOISY_TOL) -> Verdict:
    """"Noisy BN trains about as well as BN although its inputs move far more."

    Noisy BN's mean final test accuracy over the seeds against BN's: *about as well* within
    ``tol`` (2 pp) in either direction (HOLDS), better by more (HOLDS, said as better), worse
    by more (REVERSED: the noise hurts). Abstains (NOT_APPLICABLE) when a BN or noisy-BN run
    diverged, the data is not learnable or neither BN nor noisy BN trains (``reference``: the
    15-NN test accuracy on the same data; ``data_sets``: (X, y, X_test, y_test), carried in
    ``raw`` for the audit). The run counts compare each seed's pair."""
    bn = summary[summary["variant"] == "bn"].set_index("seed").sort_index()
    nz = summary[summary["variant"] == "noisy_bn"].set_index("seed").sort_index()
    nb = summary[summary["variant"] == "no_bn"].set_index("seed").sort_index()
    n = len(bn)
    means = noisy_means(summary)
    a1, a2 = means.test_acc["bn"], means.test_acc["noisy_bn"]
    ratio = means.drift["noisy_bn"] / max(means.drift["bn"], 1e-12)
    d = nz["test_acc"].to_numpy() - bn["test_acc"].to_numpy()
    counts = {"about": int(np.sum(np.abs(d) <= tol)), "better": int(np.sum(d > tol)),
              "worse": int(np.sum(d < -tol))}
    ev = {"bn_acc": a1, "noisy_acc": a2, "no_bn_acc": means.test_acc["no_bn"],
          "drift_ratio": ratio, "seeds": n, "reference": reference} | {
              f"seeds_{k}": v for k, v in counts.items()}
    raw = {"seeds": bn.index.to_numpy(), "reference": reference,
           "diverged": {k: g["diverged"].to_numpy() for k, g in
                        (("no_bn", nb), ("bn", bn), ("noisy_bn", nz))},
           "test_acc": {k: g["test_acc"].to_numpy() for k, g in
                        (("no_bn", nb), ("bn", bn), ("noisy_bn", nz))},
           "drift": {k: g["drift"].to_numpy() for k, g in
                     (("no_bn", nb), ("bn", bn), ("noisy_bn", nz))}}
    if data_sets is not None:
        raw["data"] = tuple(data_sets)
    seeds = f"means of {n} seeds" if n != 1 else "at this seed"
    ok = bool(not (bn["diverged"].any() or nz["diverged"].any()) and np.isfinite(a2 - a1))
    pre = (verdict.Precondition("no BN or noisy-BN run diverged", ok,
                                "A BN or noisy-BN run diverged: no verdict (try a smaller "
                                "learning rate)."),
           verdict.learnable(reference),
           verdict.something_trains({"BN": a1, "noisy BN": a2}, reference,
                                    {"the network without BN": means.test_acc["no_bn"]}))
    lead = (f"Noisy BN reaches {pct(a2)} test accuracy and BN {pct(a1)} ({seeds}). ")
    if verdict.first_failed(pre) is not None:
        return verdict.abstain(NOISY, pre, ev, tol, raw, lead=lead if ok else "")
    nums = (f"Noisy BN reaches {pct(a2)} test accuracy and BN {pct(a1)} ({seeds}) while noisy "
            f"BN's z̃ drifts {num(ratio)}× as far")
    one = n == 1
    if abs(a2 - a1) <= tol:
        return Verdict(Outcome.HOLDS, nums + f"; it trains about as well as BN (within "
                       f"{margin(tol)})" + ("." if one else f", within {margin(tol)} "
                       f"{runs(counts['about'], n)}."), ev, tol, NOISY, pre, raw)
    if a2 > a1:
        return Verdict(Outcome.HOLDS, nums + f"; it does better than BN, by {margin(a2 - a1)}"
                       + ("." if one else f", more than {margin(tol)} better "
                       f"{runs(counts['better'], n)}."), ev, tol, NOISY, pre, raw)
    return Verdict(Outcome.REVERSED, nums + f"; this much noise hurts: {margin(a1 - a2)} below "
                   "BN" + ("." if one else f", more than {margin(tol)} below "
                   f"{runs(counts['worse'], n)}."), ev, tol, NOISY, pre, raw)
