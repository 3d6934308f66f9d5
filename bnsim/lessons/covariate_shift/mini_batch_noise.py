r"""Mini-batch noise: how much μ_B and σ²_B vary from mini-batch to mini-batch, and the slight
regularisation that noise brings.

For a fixed network, μ_B and σ²_B of every layer over many mini-batches of every size m
against the 1/√m law, and how far train-mode outputs (batch statistics) are from outputs with
population statistics (:func:`batch_noise`, :func:`mean_spread_law`, :func:`noise_view`).
Then the train/test gap of BN networks trained with m = 4 … 256 next to the noise of μ_B,
σ²_B (:func:`regularisation_sweep`).

Verdicts: :func:`noise_law_verdict` (μ_B varies as σ/√m) and :func:`regularisation_verdict`
(BN's slight regularisation shrinks as m grows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim import network, verdict
from bnsim.batchnorm import batch_stats
from bnsim.lessons.covariate_shift.common import (
    FOLLOWS_LAW,
    GAP_CHANGE,
    MATCHED,
    margin,
    mean_spread_law,
    networks,
    sample_batches,
)
from bnsim.modes import Mode
from bnsim.network import NetConfig
from bnsim.train import TrainConfig, train_stacked
from bnsim.verdict import Outcome, Verdict, num, pct, runs

BATCH_SIZES = (2, 4, 8, 16, 32, 64, 128, 256)


@dataclass
class BatchNoise:
    """μ_B and σ²_B of every hidden layer's z^[l] over many mini-batches of every size, and
    train-mode outputs vs outputs with population statistics for the same examples. M sizes,
    B batches, n_l units."""

    sizes: np.ndarray  # (M,)
    mu: list  # per layer l = 1..L: (M, B, n_l) μ_B per batch and unit
    sigma2: list  # per layer: (M, B, n_l) σ²_B (biased)
    pop_mean: list  # per layer: (n_l,) μ of z^[l] over the whole set (batch mode, all N)
    pop_var: list  # per layer: (n_l,) biased
    n_examples: int  # N, the size of the set the batches are drawn from
    out_diff: np.ndarray  # (M,) mean |p_train − p_eval| of the class-1 probability
    flips: np.ndarray  # (M,) fraction of examples whose predicted class differs

    def spread(self, l: int) -> tuple[np.ndarray, np.ndarray]:
        """Standard deviation over batches of μ_B and of σ²_B in layer l: two arrays (M, n_l)."""
        return self.mu[l - 1].std(axis=1), self.sigma2[l - 1].std(axis=1)


def batch_noise(params, net: NetConfig, X, sizes=BATCH_SIZES, n_batches: int = 400,
                seed: int = 0) -> BatchNoise:
    """For a fixed network (``params``), draw ``n_batches`` mini-batches of every size in
    ``sizes`` from X (N, n_in) and record μ_B and σ²_B of every layer's z^[l] as training
    sees them (lower BN layers normalised by the same mini-batch), all batches of one size in
    one vectorised pass. The reference outputs use the **population statistics** of X (μ, σ²
    of the whole set, not the running estimates of eval mode), so the output difference is
    the mini-batch noise alone, not a lagging running average."""
    X = np.asarray(X, dtype=float)
    N = len(X)
    sizes = np.array([int(m) for m in sizes if 2 <= m <= N])
    if not len(sizes):
        raise ValueError(f"no batch size between 2 and the {N} examples.")
    rng = np.random.default_rng(seed)
    pop = network.population_stats(params, X, net)
    pop_running = network.recalibrate(params, X, net)
    p_eval = network.predict_proba(params, X, net, Mode.EVAL, pop_running)
    L = net.n_layers
    mus, s2s = [[] for _ in range(L)], [[] for _ in range(L)]
    diffs, flips = [], []
    for m in sizes:
        idx = sample_batches(N, int(m), n_batches, rng)
        logits, cache = network.forward(params, X[idx], net, Mode.BATCH)
        for l, lc in enumerate(cache.layers):  # lc.z: (B, m, n_l), one row of batches
            stats = batch_stats(lc.z)  # μ_B, σ²_B (biased), each (B, n_l)
            mus[l].append(stats.mu)
            s2s[l].append(stats.sigma2)
        p_train = network.softmax(logits)
        pe = p_eval[idx]
        diffs.append(float(np.mean(np.abs(p_train[..., 1] - pe[..., 1]))))
        flips.append(float(np.mean(p_train.argmax(-1) != pe.argmax(-1))))
    return BatchNoise(sizes, [np.stack(v) for v in mus], [np.stack(v) for v in s2s],
                      [pop[l][0] for l in range(1, L + 1)], [pop[l][1] for l in range(1, L + 1)],
                      N, np.array(diffs), np.array(flips))


class NoiseView(NamedTuple):
    """What the mini-batch tab shows for one layer, unit and two batch sizes (M sizes)."""

    layer: int  # 1-based
    unit: int  # 0-based
    m_small: int
    m_large: int
    i_small: int  # index of m_small in sizes
    i_large: int
    sigma: float  # population standard deviation of z^[l]_unit (biased)
    pop_mean: float
    law: np.ndarray  # (M,) σ/√m
    law_fpc: np.ndarray  # (M,) σ/√m·√((N−m)/(N−1))
    mu_small: np.ndarray  # (B,) μ_B over batches of m_small
    mu_large: np.ndarray  # (B,)
    sd_mu: np.ndarray  # (M,) std of μ_B over batches
    sd_s2: np.ndarray  # (M,) std of σ²_B over batches
    sizes: np.ndarray  # (M,)
    n_examples: int
    out_diff: np.ndarray  # (M,) mean |p_train − p_eval|
    flips: np.ndarray  # (M,) fraction of flipped predictions


def noise_view(bn: BatchNoise, l: int, unit: int, m1: int, m2: int) -> NoiseView:
    """Select layer ``l`` (1-based), ``unit`` (0-based) and the two sizes (sorted) of ``bn``."""
    sizes = [int(m) for m in bn.sizes]
    ma, mb = (m1, m2) if m1 <= m2 else (m2, m1)
    ia, ib = sizes.index(ma), sizes.index(mb)
    sigma = float(np.sqrt(bn.pop_var[l - 1][unit]))
    mu = bn.mu[l - 1][:, :, unit]
    sd_mu, sd_s2 = bn.spread(l)
    return NoiseView(l, unit, ma, mb, ia, ib, sigma, float(bn.pop_mean[l - 1][unit]),
                     mean_spread_law(sigma, bn.sizes),
                     mean_spread_law(sigma, bn.sizes, bn.n_examples), mu[ia], mu[ib],
                     sd_mu[:, unit], sd_s2[:, unit], bn.sizes, bn.n_examples, bn.out_diff,
                     bn.flips)


def noise_table(nv: NoiseView) -> pd.DataFrame:
    """The spreads and the train/eval gap per batch size, as plotted."""
    return pd.DataFrame({"m": nv.sizes, "sd_mu": nv.sd_mu, "sd_sigma2": nv.sd_s2, "law": nv.law,
                         "law_finite": nv.law_fpc, "mean_abs_p_diff": nv.out_diff,
                         "flips": nv.flips})



# ---------------------------------------------------------------- slight regularisation
REG_SIZES = (4, 16, 64, 256)  # training batch sizes compared (256 = the whole training set)
REG_N_TRAIN = 256  # so that m = 256 is a full batch: μ_B = population μ, no noise at all
NETWORKS = ("bn", "no_bn")  # keys of bnsim.notation.MODELS


@dataclass
class RegSweep:
    """The train/test gap of networks trained with several batch sizes m (same steps).

    ``runs``: one row per batch size m, network ("bn" | "no_bn") and seed, with eval-mode
    train and test loss and accuracy and the gaps test − train (loss) and train − test
    (accuracy). ``noise``: one row per m, the spread over mini-batches of μ_B (÷ σ) and σ²_B
    (÷ σ²) of the BN network trained with that m (first seed), averaged over every hidden unit
    — the noise that m leaves in BN's statistics."""

    runs: pd.DataFrame
    noise: pd.DataFrame
    n_train: int

    def mean_gap(self, network: str = "bn", what: str = "loss_gap") -> pd.Series:
        """Mean over seeds of a gap per batch size m (index m)."""
        r = self.runs[self.runs["network"] == network]
        return r.groupby("m")[what].mean()


def _eval_loss_acc(params, X, y, net: NetConfig, running) -> tuple[float, float]:
    """Eval-mode (running estimates) cross-entropy and accuracy on (X, y)."""
    p = network.predict_proba(params, X, net, Mode.EVAL, running)
    loss = float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))
    return loss, float(np.mean(p.argmax(-1) == y))


def regularisation_sweep(X, y, X_test, y_test, hidden: tuple[int, ...], activation: str,
                         cfg: TrainConfig, seeds: Sequence[int], sizes=REG_SIZES,
                         n_batches: int = 200) -> RegSweep:
    """Train BN networks and, as the reference, the same networks without BN with every batch
    size in ``sizes`` (each for ``cfg.steps`` steps, all seeds of one m and network in one
    stacked pass) and measure their train/test gap in eval mode; then the spread of μ_B and
    σ²_B over ``n_batches`` mini-batches of m for the BN network trained with that m."""
    X, X_test = np.asarray(X, dtype=float), np.asarray(X_test, dtype=float)
    N = len(X)
    sizes = tuple(int(m) for m in sizes if 2 <= m <= N)
    if not sizes:
        raise ValueError(f"no batch size between 2 and the {N} training examples.")
    seeds = tuple(int(s) for s in seeds)
    n = len(hidden)
    nets = dict(zip(("no_bn", "bn"), networks(hidden, activation), strict=True))
    rows, noise = [], []
    base = replace(cfg, bn_noise=0.0, eval_every=cfg.steps, n_snapshots=1)
    for m in sizes:
        for key in NETWORKS:
            net = nets[key]
            tr = train_stacked(net, X, y, X_test, y_test, replace(base, batch_size=m), seeds)
            for r, seed in enumerate(seeds):
                ok = not tr.diverged_at[r]
                trl, tra = _eval_loss_acc(tr.params[r], X, y, net, tr.running_stats[r]) \
                    if ok else (np.nan, np.nan)
                tel = float(tr.test_loss[r, -1]) if ok else np.nan
                tea = float(tr.test_acc[r, -1]) if ok else np.nan
                rows.append({"m": m, "network": key, "seed": seed, "train_loss": trl,
                             "test_loss": tel, "train_acc": tra, "test_acc": tea,
                             "loss_gap": tel - trl, "acc_gap": tra - tea, "diverged": not ok})
            if key == "bn":
                bn = batch_noise(tr.params[0], net, X, (m,), n_batches, seed=0)
                rel_mu, rel_s2 = [], []
                for l in range(1, n + 1):
                    sd_mu, sd_s2 = bn.spread(l)
                    var = bn.pop_var[l - 1]
                    keep = var > 1e-12
                    rel_mu.append(sd_mu[0, keep] / np.sqrt(var[keep]))
                    rel_s2.append(sd_s2[0, keep] / var[keep])
                noise.append({"m": m, "sd_mu_rel": float(np.mean(np.concatenate(rel_mu))),
                              "sd_sigma2_rel": float(np.mean(np.concatenate(rel_s2)))})
    return RegSweep(pd.DataFrame(rows), pd.DataFrame(noise), N)


def regularisation_table(sweep: RegSweep) -> pd.DataFrame:
    """The CSV: every run's numbers with the noise of its m beside them."""
    return sweep.runs.merge(sweep.noise, on="m", how="left")


# ---------------------------------------------------------------- verdicts
LAW_TOL = FOLLOWS_LAW.threshold  # the spread *follows 1/√m*: exponent within this of the law's
GAP_MIN = GAP_CHANGE.threshold  # a loss gap change smaller than this between two m: none
MATCH_TOL = MATCHED.threshold  # *matched training accuracy*: within 2 pp
ROUNDING = 1e-9  # a spread of μ_B below this share of σ is 0 up to floating-point rounding

LAW = verdict.claim(
    "covariate_shift.mini_batch_noise.noise_law", where="Covariate shift → Mini-batch noise "
    "(the sentence under the μ_B histograms)",
    words="Unit u of layer l: the spread of μ_B is A at m₁ and B at m₂; σ/√m·√((N−m)/(N−1)) "
          "predicts C and D: (a) the noise shrinks as 1/√m; (b) here the noise grows with m; "
          "(c) it shrinks X-fold, not the law's Y-fold (layer > 1: its inputs were normalised "
          "by the same mini-batch | layer 1: 256 batches per size leave the measured spread "
          "itself noisy). Abstains: one size twice; a constant unit.",
    preconditions=("two different batch sizes", "the unit varies over the set (σ > 0)"),
    threshold="25 % on a log scale (*follows 1/√m*); 10 % growth for (b)",
    test="tests/test_claims_covariate_shift.py::test_mini_batch_noise_shrinks_as_one_over_root_m,"
         " tests/test_covariate_shift.py::test_noise_law_verdict_branches")
REG = verdict.claim(
    "covariate_shift.mini_batch_noise.regularisation", where="Covariate shift → Mini-batch "
    "noise → slight regularisation (the sentence under the gap figure)",
    words="With BN the test loss exceeds the training loss by A at the smallest m and B at the "
          "largest (without BN: C and D; means of n seeds): (a) the gap grows with m by X, more "
          "than without BN (Y): less noise, less regularisation (k of n runs); (b) it grows, "
          "but without BN as much: the growth comes from m itself, not from BN's noise; (c) "
          "the gap is larger at the small m — no regularisation from the noise; (d) within "
          "0.05, no regularisation to see. Abstains: a run diverged; nothing learnable; no BN "
          "network trains; BN's training accuracies at the two m are not matched (said as "
          "underfitting when the smaller gap, at the small m, comes with the lower training "
          "accuracy).",
    preconditions=("no run diverged and two batch sizes fit", "the data is learnable",
                   "something trains (BN at the smallest or largest m)",
                   "matched training accuracy (BN at the smallest vs the largest m, 2 pp)"),
    threshold="0.05 in loss (*the loss gap changes*), also beyond the change without BN; "
              "2 pp (*matched training accuracy*)",
    test="tests/test_claims_covariate_shift.py::test_the_regularisation_view_at_the_preset, "
         "tests/test_covariate_shift.py::test_regularisation_verdict_branches, "
         "tests/test_covariate_shift.py::test_regularisation_verdict_abstains_on_underfitting")


def noise_law_verdict(nv: NoiseView, tol: float = LAW_TOL) -> Verdict:
    """"μ_B varies as σ/√m": the measured shrink factor of the spread of μ_B from m_small to
    m_large against the law's (with the finite-set correction), compared on a log scale.

    Holds when log(measured)/log(law) is within ``tol`` of 1; reversed when the spread grows
    by more than 10 %; no effect otherwise (the reason said depends on the layer). Does not
    apply for one size or a constant unit."""
    a, b = nv.i_small, nv.i_large
    rounding = ROUNDING * nv.sigma  # a spread this small is 0 up to floating-point rounding
    sd = {i: float(nv.sd_mu[i]) if nv.sd_mu[i] > rounding else 0.0 for i in (a, b)}
    ev = {"sd_small": sd[a], "sd_large": sd[b],
          "law_small": float(nv.law_fpc[a]), "law_large": float(nv.law_fpc[b])}
    raw = {"layer": nv.layer, "m_small": nv.m_small, "m_large": nv.m_large, "sigma": nv.sigma,
           "n_examples": nv.n_examples, "mu_small": nv.mu_small, "mu_large": nv.mu_large,
           "sd_small": ev["sd_small"], "sd_large": ev["sd_large"]}
    def spread(i):
        return num(sd[i]) if sd[i] > 0 else "0 (up to rounding)"

    nums = (f"the spread of μ_B is {spread(a)} at m = {nv.m_small} and "
            f"{spread(b)} at m = {nv.m_large}; σ/√m·√((N−m)/(N−1)) predicts "
            f"{num(nv.law_fpc[a])} and {num(nv.law_fpc[b])}")
    head = nums[0].upper() + nums[1:]
    pre = (verdict.Precondition("two different batch sizes", nv.m_small != nv.m_large,
                                " — pick two different sizes."),
           verdict.Precondition("the unit varies over the set",
                                bool(nv.sigma > 0 and sd[b] > 0 and nv.law_fpc[b] > 0),
                                " — this unit does not vary, so there is no spread to "
                                "compare."))
    if verdict.first_failed(pre) is not None:
        return verdict.abstain(LAW, pre, ev, tol, raw, lead=head)
    measured, law = sd[a] / sd[b], nv.law_fpc[a] / nv.law_fpc[b]
    ev |= {"measured_factor": float(measured), "law_factor": float(law)}
    if measured > 0 and abs(np.log(measured) / np.log(law) - 1) <= tol:
        return Verdict(Outcome.HOLDS, head + ": the noise shrinks as 1/√m.", ev, tol, LAW, pre,
                       raw)
    if measured < 1 / 1.1:
        return Verdict(Outcome.REVERSED, head + ": here the noise grows with m" + (
            " (its inputs were normalised by the same mini-batch below)." if nv.layer > 1
            else "."), ev, tol, LAW, pre, raw)
    why = ("its inputs were normalised by the same mini-batch below" if nv.layer > 1 else
           "256 batches per size leave the measured spread itself noisy")
    return Verdict(Outcome.NO_EFFECT, head + f": it shrinks {num(measured)}-fold, not the "
                   f"law's {num(law)}-fold ({why}).", ev, tol, LAW, pre, raw)


def regularisation_verdict(sweep: RegSweep, reference: float, data_sets: tuple | None = None,
                           gap_min: float = GAP_MIN, match: float = MATCH_TOL) -> Verdict:
    """"BN's slight regularisation shrinks as m grows": the BN networks' loss gap (test −
    train) at the largest m against the smallest, against the same change without BN.

    Abstains when a run diverged or fewer than two sizes were trained, the data is not
    learnable (``reference``: 15-NN test accuracy), no BN network (smallest or largest m)
    trains, or BN's training accuracies at the two sizes are not *matched* (within ``match``):
    a smaller gap then comes with fitting the training set less, and the text says so.
    Holds when BN's mean gap grows by more than ``gap_min`` and by more than ``gap_min``
    beyond the change without BN; no effect when it grows but no more than without BN, or
    moves by less than ``gap_min``; reversed when it shrinks by more."""
    runs_ = sweep.runs
    raw = {k: runs_[k].to_numpy() for k in ("m", "network", "seed", "train_loss", "test_loss",
                                             "train_acc", "test_acc", "diverged")}
    raw["reference"] = reference
    if data_sets is not None:
        raw["data"] = tuple(data_sets)
    r = runs_[runs_["network"] == "bn"]
    p = runs_[runs_["network"] == "no_bn"]
    sizes = sorted(r["m"].unique())
    ev = {"sizes": len(sizes), "reference": reference}
    ok = len(sizes) >= 2 and not runs_["diverged"].any()
    first = verdict.Precondition("no run diverged and two batch sizes fit", ok,
                                 "A run diverged or only one batch size fits the training set: "
                                 "no verdict.")
    if not ok:
        return verdict.abstain(REG, (first,), ev, gap_min, raw)
    lo, hi = int(sizes[0]), int(sizes[-1])

    def at(frame, m, what):
        return float(frame[frame["m"] == m][what].mean())

    g_lo, g_hi = at(r, lo, "loss_gap"), at(r, hi, "loss_gap")
    q_lo, q_hi = at(p, lo, "loss_gap"), at(p, hi, "loss_gap")
    t_lo, t_hi = at(r, lo, "train_acc"), at(r, hi, "train_acc")
    u_lo, u_hi = at(p, lo, "train_acc"), at(p, hi, "train_acc")
    per_lo = r[r["m"] == lo].set_index("seed")["loss_gap"]
    per_hi = r[r["m"] == hi].set_index("seed")["loss_gap"]
    n, held = len(per_lo), int(np.sum(per_hi - per_lo > gap_min))
    ev |= {"m_small": lo, "m_large": hi, "gap_small": g_lo, "gap_large": g_hi,
           "gap_small_no_bn": q_lo, "gap_large_no_bn": q_hi, "train_small": t_lo,
           "train_large": t_hi, "train_small_no_bn": u_lo, "train_large_no_bn": u_hi,
           "seeds_held": held, "seeds": n}
    seeds = f"means of {n} seeds" if n != 1 else "at this seed"
    nums = (f"With BN the test loss exceeds the training loss by {num(g_lo)} at m = {lo} and "
            f"by {num(g_hi)} at m = {hi} (without BN: {num(q_lo)} and {num(q_hi)}; {seeds})")
    trains = (f"BN's training accuracy is {pct(t_lo)} at m = {lo} and {pct(t_hi)} at m = {hi} "
              f"(without BN {pct(u_lo)} and {pct(u_hi)})")
    if t_lo < t_hi and g_lo < g_hi:
        unmatched = (f"{nums}; {trains}: at m = {lo} BN fits its training set "
                     f"{margin(t_hi - t_lo)} less, so the smaller gap there comes with "
                     "underfitting, not regularisation — no verdict on regularisation (see "
                     "*matched training accuracy* in the glossary).")
    else:
        unmatched = (f"{nums}; {trains}: at m = {lo} BN fits its training set "
                     f"{margin(t_hi - t_lo)} {'less' if t_lo < t_hi else 'better'}, so the "
                     "gaps are not compared at matched training accuracy — no verdict on "
                     "regularisation.")
    pre = (first, verdict.learnable(reference),
           verdict.something_trains({f"BN at m = {lo}": at(r, lo, "test_acc"),
                                     f"BN at m = {hi}": at(r, hi, "test_acc")}, reference),
           verdict.Precondition("matched training accuracy", abs(t_lo - t_hi) <= match,
                                unmatched))
    failed = verdict.first_failed(pre)
    if failed is not None:
        return verdict.abstain(REG, pre, ev, gap_min, raw,
                               lead="" if failed.name == "matched training accuracy"
                               else nums + ". ")
    d_bn, d_no = g_hi - g_lo, q_hi - q_lo
    nums += f"; {trains}, matched"
    if d_bn > gap_min and d_bn - d_no > gap_min:
        return Verdict(Outcome.HOLDS, nums + f": the gap grows with m by {num(d_bn)}, more than "
                       f"without BN ({num(d_no)}): less noise, less regularisation (the gap "
                       f"grows by more than {num(gap_min)} {runs(held, n)}).", ev, gap_min, REG,
                       pre, raw)
    if d_bn > gap_min:
        return Verdict(Outcome.NO_EFFECT, nums + f": the gap grows with m by {num(d_bn)}, but "
                       f"without BN it grows by {num(d_no)}, within {num(gap_min)} of that or "
                       "more: the growth comes from m itself (more examples per step, less "
                       "gradient noise), not from BN's noise.", ev, gap_min, REG, pre, raw)
    if d_bn < -gap_min:
        return Verdict(Outcome.REVERSED, nums + ": here the gap is larger at the small m — no "
                       "regularisation from the noise in this setting.", ev, gap_min, REG, pre,
                       raw)
    quiet = (" (nothing overfits: both gaps are below "
             f"{num(gap_min)})" if max(g_lo, g_hi) < gap_min else "")
    return Verdict(Outcome.NO_EFFECT, nums + f": within {num(gap_min)} of each other, no "
                   f"regularisation to see{quiet}.", ev, gap_min, REG, pre, raw)
