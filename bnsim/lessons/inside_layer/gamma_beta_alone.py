"""Tab "γ, β alone": train only γ, β of a BN network with its random weights frozen (after
Frankle, Schwab & Morcos, *Training BatchNorm and Only BatchNorm*, ICLR 2021), against
training everything, the output layer alone, and as many randomly chosen weights.

Four variants (:data:`VARIANTS`) of one BN network (BN in every hidden layer), the same
initial weights and mini-batch order per seed; each trains a subset of the parameters, given
by a 0/1 mask over the trainer's flat parameter vector (:func:`masks`):

* ``all``: every parameter;
* ``gamma_beta``: γ^[l], β^[l] of every hidden layer (2·Σ n_l parameters);
* ``output``: W_out, b_out (γ = 1, β = 0 stay frozen);
* ``random``: as many entries as there are γ, β, drawn from the W^[l] and W_out entries,
  fixed per seed (γ = 1, β = 0 frozen).

:func:`train_masked` trains all variants × seeds on one leading run axis in one pass: the
trainer's step (:func:`bnsim.stacked_runs.run_stacked`'s order: mini-batch, train-mode forward,
loss, running statistics, backward, optimiser step) with the gradient multiplied by the run's
mask before the step, so a frozen entry keeps its initial value exactly (every optimiser of
:mod:`bnsim.optim` moves an entry whose gradients were all 0 by exactly 0).
:func:`alone` is one setting's four variants with the final eval-mode test accuracies and the
learned γ of the γ, β-only variant; :func:`alone_verdict` compares the variants (the glossary's
*about as well*, 2 pp, and the spread over seeds) and :func:`off_verdict` counts the units that
γ ≈ 0 *switched off*.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim import data, evaluation, network, optim, running, sampling, verdict
from bnsim.modes import Mode
from bnsim.network import NetConfig
from bnsim.stacked_runs import _views, stack_params
from bnsim.train import MAX_RUNS, TrainConfig
from bnsim.verdict import Outcome, Precondition, Verdict, abstain, compare, pct, pp

VARIANTS = ("all", "gamma_beta", "output", "random")
LABELS = {"all": "everything", "gamma_beta": "γ, β only", "output": "output layer only",
          "random": "as many random weights"}
DATASET, NOISE, N_TRAIN, N_TEST, DATA_SEED = "spiral", 0.05, 400, 400, 0
BATCH_SIZE = 32
MASK_SEED = 7_919  # the random-weights variant draws its entries from (MASK_SEED, seed)


class Setting(NamedTuple):
    """One comparison (all scalars: the cache key)."""

    depth: int = 3
    width: int = 32
    activation: str = "relu"
    optimizer: str = "adam"
    lr: float = 0.01
    steps: int = 1000
    n_seeds: int = 3

    def net(self) -> NetConfig:
        return NetConfig(hidden=(int(self.width),) * int(self.depth), bn=(True,) * int(self.depth),
                         activation=self.activation)

    def cfg(self) -> TrainConfig:
        return TrainConfig(steps=int(self.steps), batch_size=BATCH_SIZE,
                           optimizer=self.optimizer, lr=float(self.lr))


# ---------------------------------------------------------------- which entries train
def _layout(net: NetConfig) -> dict[str, slice]:
    """Where each parameter of :func:`bnsim.network.init_params` lies in the flat vector."""
    out, offset = {}, 0
    for name, p in network.init_params(net, seed=0).items():
        out[name] = slice(offset, offset + p.size)
        offset += p.size
    return out


def n_gamma_beta(net: NetConfig) -> int:
    """The number of γ, β parameters: 2·Σ n_l."""
    return 2 * sum(net.hidden)


def mask(net: NetConfig, variant: str, seed: int) -> np.ndarray:
    """(P,) bool: the entries of the flat parameter vector that ``variant`` trains."""
    where = _layout(net)
    size = max(s.stop for s in where.values())
    out = np.zeros(size, dtype=bool)
    if variant == "all":
        out[:] = True
    elif variant == "gamma_beta":
        for name, s in where.items():
            if name.startswith(("gamma", "beta")):
                out[s] = True
    elif variant == "output":
        out[where["W_out"]] = out[where["b_out"]] = True
    elif variant == "random":
        weights = np.concatenate([np.arange(s.start, s.stop) for name, s in where.items()
                                  if name.startswith("W")])
        rng = np.random.default_rng([MASK_SEED, int(seed)])
        out[rng.choice(weights, size=n_gamma_beta(net), replace=False)] = True
    else:
        raise ValueError(f"variant must be one of {VARIANTS}; got {variant!r}.")
    return out


def masks(net: NetConfig, seeds: Sequence[int]) -> np.ndarray:
    """(V·k, P) float 0/1: run v·k + i is variant ``VARIANTS[v]`` with seed ``seeds[i]``."""
    return np.stack([mask(net, v, s) for v in VARIANTS for s in seeds]).astype(float)


# ---------------------------------------------------------------- the masked loop
class MaskedRuns(NamedTuple):
    """What :func:`train_masked` returns, each with the leading run axis R."""

    initial: np.ndarray  # (R, P) the flat parameters before training
    flat: np.ndarray  # (R, P) after training
    params: dict  # views (R, ...) into ``flat``, keys of bnsim.network.init_params
    running: dict  # running statistics (R, n_l)
    loss: np.ndarray  # (R, T) train-mode mini-batch loss (NaN from a run's divergence on)
    test_acc: np.ndarray  # (R,) final eval-mode test accuracy (NaN: diverged)
    train_acc: np.ndarray  # (R,) final eval-mode training accuracy
    diverged_at: np.ndarray  # (R,) int, 0 if never


def train_masked(net: NetConfig, X, y, X_test, y_test, cfg: TrainConfig, seeds: Sequence[int],
                 trainable: np.ndarray) -> MaskedRuns:
    """Train R = len(seeds) runs stacked on a leading axis, run r only on the entries where
    ``trainable[r]`` (R, P) is 1: dW ← mask·dW before each optimiser step.

    Run r starts from ``init_params(net, seed=seeds[r])`` and draws its mini-batches from
    ``default_rng(seeds[r])``, as :func:`bnsim.train.train_stacked` does; with a mask of ones
    it is that trainer's run. ``X`` (n, n_in), ``y`` (n,) int; ``X_test``, ``y_test`` likewise.
    Running statistics as the trainer keeps them (``cfg.convention``, default momentum); a run
    whose loss is not finite stops (its weights and statistics kept, its accuracy NaN).
    """
    n_runs = len(seeds)
    if not 1 <= n_runs <= MAX_RUNS:
        raise ValueError(f"need 1 to {MAX_RUNS} stacked runs; got {n_runs}.")
    flat, params = stack_params([network.init_params(net, seed=int(s)) for s in seeds])
    trainable = np.asarray(trainable, dtype=float)
    if trainable.shape != flat.shape or not np.isin(trainable, (0.0, 1.0)).all():
        raise ValueError(f"trainable must be 0/1 of shape {flat.shape}; got {trainable.shape}.")
    initial = flat.copy()
    dflat = np.empty_like(flat)
    grads = _views(dflat, {name: p.shape[1:] for name, p in params.items()})
    estimates = {name: np.tile(v, (n_runs, 1)) for name, v in network.init_running(net).items()}
    opt = optim.make(cfg.optimizer, flat, cfg.lr)
    rule = running.rule(cfg.convention, cfg.momentum if cfg.momentum is not None
                        else running.DEFAULT)
    y = np.broadcast_to(np.asarray(y), (n_runs, len(y)))
    batch_iters = [sampling.minibatches(y[r], cfg.batch_size, cfg.sampling,
                                        np.random.default_rng(int(s)))
                   for r, s in enumerate(seeds)]
    m, rows = cfg.batch_size, np.arange(n_runs)[:, None]
    loss_all = np.full((n_runs, cfg.steps), np.nan)
    diverged_at = np.zeros(n_runs, dtype=int)
    alive = np.ones(n_runs, dtype=bool)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(1, cfg.steps + 1):
            idx = np.stack([next(it) for it in batch_iters])  # (R, m)
            logits, cache = network.forward(params, X[idx], net, Mode.TRAIN, estimates)
            loss, dlogits, _ = network.xent(logits, y[rows, idx])
            bad = alive & ~np.isfinite(loss)
            if bad.any():  # these runs diverged now: they keep their last weights
                diverged_at[bad] = t
                alive &= ~bad
                if not alive.any():
                    break
            dlogits[~alive] = 0.0
            loss_all[alive, t - 1] = loss[alive]
            live = alive[:, None]
            for l, lc in enumerate(cache.layers, start=1):
                rm, rv = estimates[f"mean{l}"], estimates[f"var{l}"]
                new_m, new_v = running.update(rm, rv, lc.bn.mu, lc.bn.sigma2, m, t, rule)
                estimates[f"mean{l}"] = np.where(live, new_m, rm)
                estimates[f"var{l}"] = np.where(live, new_v, rv)
            network.backward(dlogits, cache, params, net, out=grads)
            dflat *= trainable  # the frozen entries get no gradient
            kept = flat[~alive].copy()
            opt.step(flat, dflat)
            flat[~alive] = kept
    X_eval = np.concatenate([X, X_test])
    ev = evaluation.evaluate(params, X_eval, y, np.broadcast_to(y_test, (n_runs, len(y_test))),
                             len(X), net, estimates)
    test_acc = np.where(diverged_at > 0, np.nan, ev.test_acc)
    return MaskedRuns(initial, flat, params, estimates, loss_all, test_acc,
                      np.where(diverged_at > 0, np.nan, ev.train_eval_acc), diverged_at)


# ---------------------------------------------------------------- one setting's comparison
class Alone(NamedTuple):
    """One setting's four variants, k seeds each."""

    setting: Setting
    seeds: tuple[int, ...]
    test_acc: dict  # variant -> (k,) final eval-mode test accuracy (NaN: diverged)
    diverged: dict  # variant -> (k,) bool
    trained: dict  # variant -> number of parameters trained
    gamma: np.ndarray  # (k, L, n) learned γ of the γ, β-only variant
    beta: np.ndarray  # (k, L, n) learned β of the γ, β-only variant
    reference: float  # 15-NN test accuracy on the same data
    data: tuple  # (X, y, X_test, y_test)


def data_sets() -> tuple:
    """The tab's data: (X, y, X_test, y_test)."""
    return data.train_test(DATASET, N_TRAIN, N_TEST, NOISE, DATA_SEED)


def alone(setting: Setting) -> Alone:
    """Train the four variants of ``setting``, ``setting.n_seeds`` seeds each, in one pass."""
    net, cfg = setting.net(), setting.cfg()
    seeds = tuple(range(int(setting.n_seeds)))
    X, y, Xt, yt = data_sets()
    trainable = masks(net, seeds)
    runs = train_masked(net, X, y, Xt, yt, cfg, list(seeds) * len(VARIANTS), trainable)
    k = len(seeds)
    per = {v: slice(i * k, (i + 1) * k) for i, v in enumerate(VARIANTS)}
    gb = per["gamma_beta"]
    gamma = np.stack([runs.params[f"gamma{l}"][gb] for l in range(1, net.n_layers + 1)], axis=1)
    beta = np.stack([runs.params[f"beta{l}"][gb] for l in range(1, net.n_layers + 1)], axis=1)
    return Alone(setting, seeds, {v: runs.test_acc[s].copy() for v, s in per.items()},
                 {v: runs.diverged_at[s] > 0 for v, s in per.items()},
                 {v: int(trainable[s][0].sum()) for v, s in per.items()}, gamma, beta,
                 data.reference_accuracy(X, y, Xt, yt), (X, y, Xt, yt))


def frame(a: Alone) -> pd.DataFrame:
    """Tidy table of the accuracy chart: variant, seed, parameters trained, test accuracy."""
    return pd.DataFrame([{"variant": v, "seed": s, "parameters_trained": a.trained[v],
                          "final_test_acc": acc, "diverged": bool(d)}
                         for v in VARIANTS
                         for s, acc, d in zip(a.seeds, a.test_acc[v], a.diverged[v], strict=True)])


def gamma_frame(a: Alone) -> pd.DataFrame:
    """Tidy table of the histogram: seed, layer, unit, learned γ and β (γ, β-only variant)."""
    k, n_layers, n = a.gamma.shape
    s, l, j = np.meshgrid(np.arange(k), np.arange(n_layers), np.arange(n), indexing="ij")
    return pd.DataFrame({"seed": np.asarray(a.seeds)[s.ravel()], "layer": l.ravel() + 1,
                         "unit": j.ravel() + 1, "gamma": a.gamma.ravel(),
                         "beta": a.beta.ravel()})


# ---------------------------------------------------------------- the verdicts
ABOUT = verdict.ABOUT_AS_WELL.threshold  # 2 pp
SPREAD = verdict.define(
    "spread over seeds", "the standard deviation (with n − 1) over the seeds of a per-seed "
    "difference of two test accuracies; a mean difference beyond 2 pp that is within it is "
    "called neither better nor worse.")
T_OFF = 0.1
SWITCHED_OFF = verdict.define(
    "switched off", f"a hidden unit is switched off when its learned |γ| < {T_OFF:g}, a tenth "
    "of its initial γ = 1: then z̃ = γ·z_norm + β stays near β for every input (z_norm has "
    "variance 1 over a mini-batch), so the unit passes a nearly constant value.", T_OFF)
MANY_SHARE = 0.25
MANY = verdict.define(
    "many units", f"many units are switched off when at least {100 * MANY_SHARE:.0f} % of the "
    "hidden units are; Frankle et al. (2021) report around a third in deep ResNets that train "
    "only γ, β.", MANY_SHARE)
PAPER = "Frankle et al. (2021)"

COMPARE = verdict.claim(
    "inside_layer.gamma_beta_alone.compare",
    where="Inside a BN layer → γ, β alone (the sentence under the accuracy chart)",
    words="Training only γ, β (P parameters) reaches A test accuracy (mean of n seeds / at this "
          "seed): better than / worse than / about as well as / neither better nor worse than "
          "training as many randomly chosen weights (P: B; ±d pp, spread over seeds s pp[: "
          "within it]); likewise against training the output layer alone and training "
          "everything. As Frankle et al. (2021) found in deep ResNets. / Frankle et al. (2021) "
          "found γ, β far ahead of as many random weights in deep ResNets; not so here.",
    preconditions=("the data is learnable (15-NN ≥ 60 %)", "no run diverged",
                   "something trains (one of the four variants, by its mean over seeds)"),
    threshold="2 pp (*about as well*) on the mean of the per-seed differences, and beyond the "
              "*spread over seeds* (their standard deviation) when n > 1",
    test="tests/test_gamma_beta_alone.py::test_claims_over_ten_seeds, "
         "::test_compare_verdict_branches")
OFF = verdict.claim(
    "inside_layer.gamma_beta_alone.switched_off",
    where="Inside a BN layer → γ, β alone (the sentence under the |γ| histogram)",
    words="k of n hidden units (x %) are switched off (|γ| < 0.1) after training only γ, β — "
          "many units, as in the deep ResNets of Frankle et al. / not many units, unlike them.",
    preconditions=("the data is learnable (15-NN ≥ 60 %)", "no γ, β-only run diverged",
                   "training only γ, β trains (mean over seeds)"),
    threshold="|γ| < 0.1 (*switched off*); ≥ 25 % of the units (*many units*)",
    test="tests/test_gamma_beta_alone.py::test_claims_over_ten_seeds, "
         "::test_off_verdict_branches")


def _means(a: Alone) -> dict[str, float]:
    return {v: float(np.mean(a.test_acc[v])) for v in VARIANTS}


def _versus(a: Alone, other: str) -> tuple[Outcome, str]:
    """γ, β only against ``other``: the outcome and its phrase (differences paired by seed)."""
    d = a.test_acc["gamma_beta"] - a.test_acc[other]
    mean = float(np.mean(d))
    spread = float(np.std(d, ddof=1)) if len(d) > 1 else 0.0
    outcome = compare(mean, max(ABOUT, spread))
    n = a.trained[other]
    what = {"random": f"training as many randomly chosen weights ({n}",
            "output": f"training the output layer alone ({n} parameters",
            "all": f"training everything ({n} parameters"}[other]
    said = f"{pct(float(np.mean(a.test_acc[other])))}; {pp(mean)}" + (
        f", spread over seeds {100 * spread:.1f} pp" if len(d) > 1 else "")
    word = {Outcome.HOLDS: "better than", Outcome.REVERSED: "worse than"}.get(outcome)
    if word is None and abs(mean) <= ABOUT:
        word = "about as well as"
    elif word is None:
        word, said = "neither better nor worse than", said + ": within it"
    return outcome, f"{word} {what}: {said})"


def _raw(a: Alone) -> dict:
    return {"test_acc": {v: a.test_acc[v].copy() for v in VARIANTS},
            "diverged": {v: a.diverged[v].copy() for v in VARIANTS},
            "trained": dict(a.trained), "reference": a.reference, "data": a.data,
            "gamma": a.gamma.copy(), "setting": a.setting._asdict()}


def _diverged(a: Alone, which: Sequence[str] = VARIANTS) -> Precondition:
    bad = {v: int(a.diverged[v].sum()) for v in which if a.diverged[v].any()}
    said = ", ".join(f"{LABELS[v]} {k}" for v, k in bad.items())
    return Precondition("no run diverged", not bad,
                        f"Some runs diverged ({said}), so they are not compared: try a smaller "
                        "α.")


def alone_verdict(a: Alone) -> Verdict:
    """'Training only γ, β gets far': HOLDS (γ, β better than as many random weights) /
    REVERSED (worse) / NO_EFFECT (about as well, or within the spread over seeds); the
    comparisons with the output layer alone and with training everything in the same words.
    NOT_APPLICABLE when the data is not learnable, a run diverged or nothing trains."""
    means, k = _means(a), len(a.seeds)
    ev = {f"test accuracy, {LABELS[v]}": means[v] for v in VARIANTS}
    pre = (verdict.learnable(a.reference, "the spiral data"), _diverged(a),
           verdict.something_trains({LABELS[v]: means[v] for v in VARIANTS}, a.reference))
    if verdict.first_failed(pre):
        return abstain(COMPARE, pre, ev, ABOUT, _raw(a))
    outcome, random_ = _versus(a, "random")
    (_, output), (_, everything) = _versus(a, "output"), _versus(a, "all")
    seeds = f"mean of {k} seeds" if k > 1 else "at this seed"
    paper = (f" As {PAPER} found in deep ResNets." if outcome is Outcome.HOLDS else
             f" {PAPER} found γ, β far ahead of as many random weights in deep ResNets; "
             "not so here.")
    text = (f"Training only γ, β ({a.trained['gamma_beta']} parameters) reaches "
            f"{pct(means['gamma_beta'])} test accuracy ({seeds}): {random_}; {output}; "
            f"{everything}." + paper)
    return Verdict(outcome, text, ev, ABOUT, COMPARE, pre, _raw(a))


def off_verdict(a: Alone) -> Verdict:
    """'Training only γ, β switches many units off': HOLDS when at least 25 % of the hidden
    units of the γ, β-only runs have |γ| < 0.1, else NO_EFFECT; NOT_APPLICABLE when the data
    is not learnable, a γ, β-only run diverged or that variant does not train."""
    off = np.abs(a.gamma) < T_OFF
    k, n = int(off.sum()), int(off.size)
    share = k / n
    s = a.setting
    ev = {"units switched off": k, "hidden units": n, "share": share}
    lead = (f"{k} of {n} hidden units ({pct(share)}) are switched off (|γ| < {T_OFF:g}: z̃ ≈ β "
            f"for every input) after training only γ, β ({s.depth} layer(s) × {s.width} units × "
            f"{len(a.seeds)} seed(s)). ")
    acc = float(np.mean(a.test_acc["gamma_beta"]))
    bar = verdict.trains_bar(a.reference)
    pre = (verdict.learnable(a.reference, "the spiral data"), _diverged(a, ("gamma_beta",)),
           Precondition("training only γ, β trains", bool(acc >= bar),
                        f"Training only γ, β does not train here ({pct(acc)}; it *trains* at "
                        f"≥ {pct(bar)}), so these γ are not compared with {PAPER}'s."))
    if verdict.first_failed(pre):
        return abstain(OFF, pre, ev, MANY_SHARE, _raw(a), lead=lead)
    if share >= MANY_SHARE:
        return Verdict(Outcome.HOLDS, lead + f"That is many units, as in the deep ResNets of "
                       f"{PAPER} (around a third).", ev, MANY_SHARE, OFF, pre, _raw(a))
    return Verdict(Outcome.NO_EFFECT, lead + "That is not many units (many: ≥ "
                   f"{100 * MANY_SHARE:.0f} %), unlike the deep ResNets of {PAPER}, where "
                   "around a third of the features are switched off.", ev, MANY_SHARE, OFF,
                   pre, _raw(a))
