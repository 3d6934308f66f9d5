r"""Black cats → coloured cats: input covariate shift, as the lecture argues it, measured.

One fixed labelling rule ("cat or not"), training inputs in one region, test inputs moved by a
shift. Networks with and without BN are trained once on the training region;
:func:`shift_sweep` then measures their accuracy on test sets moved by every shift, and the
accuracy of the BN network after AdaBN recalibration (its BN statistics re-estimated on the
shifted test inputs, weights untouched — :func:`bnsim.network.recalibrate`).

Verdicts: :func:`shift_verdict` (BN with its training statistics does not repair input shift)
and :func:`adabn_verdict` (recalibration restores the training accuracy, or not).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim import data, network, verdict
from bnsim.lessons.covariate_shift.common import (
    LEARNED_RULE,
    LOSES,
    ONE_CLASS,
    RESTORES,
    margin,
    networks,
)
from bnsim.modes import Mode
from bnsim.network import NetConfig
from bnsim.train import TrainConfig, train_stacked
from bnsim.verdict import Outcome, Verdict, pct

SHIFTS = np.round(np.arange(0.0, 5.0001, 0.25), 2)  # the sweep: 0, 0.25, …, 5
MODELS = ("no_bn", "bn", "adabn")  # keys of bnsim.notation.MODELS


@dataclass
class ShiftModels:
    """Networks trained on the training region of each rule (runs share the inputs X_train).

    ``plain[i]`` are the weights of the network without BN for ``rules[i]``; ``bn[i]`` is
    (weights, running statistics) of the network with BN on every hidden layer."""

    rules: tuple[str, ...]
    net_plain: NetConfig
    net_bn: NetConfig
    plain: list
    bn: list
    X_train: np.ndarray  # (n, 2)
    y_train: np.ndarray  # (len(rules), n)
    diverged: dict  # {(rule, "no_bn" | "bn"): bool}

    def index(self, rule: str) -> int:
        return self.rules.index(rule)


def train_shift_models(rules: Sequence[str], hidden: tuple[int, ...], activation: str,
                       cfg: TrainConfig, spread: float = 0.8, n_train: int = 400,
                       data_seed: int = 0) -> ShiftModels:
    """Train, for every rule, one network without and one with BN on the *training* region of
    :func:`bnsim.data.make_shift` (the training inputs do not depend on the shift or the rule,
    only on ``spread``, ``n_train`` and ``data_seed``). Two stacked passes, one per architecture,
    all rules in each (:func:`bnsim.train.train_stacked` with per-run labels)."""
    rules = tuple(rules)
    if not rules:
        raise ValueError("need at least one rule.")
    sets = [data.make_shift(rule=r, shift=0.0, n_train=n_train, n_test=2, spread=spread,
                            test_scale=1.0, label_noise=0.0, seed=data_seed) for r in rules]
    X = sets[0].X_train
    Y = np.stack([s.y_train for s in sets])
    net_plain, net_bn = networks(hidden, activation)
    seeds = [cfg.seed] * len(rules)
    quiet = replace(cfg, bn_noise=0.0, eval_every=cfg.steps, n_snapshots=1)
    plain = train_stacked(net_plain, X, Y, cfg=quiet, seeds=seeds)
    bn = train_stacked(net_bn, X, Y, cfg=quiet, seeds=seeds)
    diverged = {}
    for i, r in enumerate(rules):
        diverged[(r, "no_bn")] = bool(plain.diverged_at[i])
        diverged[(r, "bn")] = bool(bn.diverged_at[i])
    return ShiftModels(rules, net_plain, net_bn, plain.params,
                       list(zip(bn.params, bn.running_stats, strict=True)), X, Y, diverged)


def shifted_sets(rule: str, shifts, spread: float, test_scale: float, n_train: int,
                 n_test: int, data_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Test inputs and labels for every shift: X (G, n_test, 2), y (G, n_test). The same seed
    draws the same noise at every shift, so the clouds only move."""
    sets = [data.make_shift(rule=rule, shift=float(s), n_train=n_train, n_test=n_test,
                            spread=spread, test_scale=test_scale, label_noise=0.0, seed=data_seed)
            for s in shifts]
    return np.stack([d.X_test for d in sets]), np.stack([d.y_test for d in sets])


def predict(models: ShiftModels, rule: str, model: str, X) -> np.ndarray:
    """Class-1 probability (..., k) of ``model`` for inputs X (..., k, 2).

    ``"no_bn"`` and ``"bn"`` use the network as trained (BN in eval mode with the running
    statistics from training). ``"adabn"`` re-estimates the BN statistics on each slice
    X[..., :, :] (the shifted test set) — "batch" mode over the whole slice, which is the same
    as :func:`bnsim.network.recalibrate` on that slice followed by eval mode."""
    i = models.index(rule)
    if model == "no_bn":
        p = network.predict_proba(models.plain[i], X, models.net_plain, Mode.EVAL)
    elif model == "bn":
        params, running = models.bn[i]
        p = network.predict_proba(params, X, models.net_bn, Mode.EVAL, running)
    elif model == "adabn":
        p = network.predict_proba(models.bn[i][0], X, models.net_bn, Mode.BATCH)
    else:
        raise ValueError(f"model must be one of {MODELS}; got {model!r}.")
    return p[..., 1]


@dataclass
class ShiftSweep:
    """Accuracy on shifted test sets. ``table``: one row per shift with columns ``shift``,
    ``no_bn``, ``bn``, ``adabn`` (test accuracy), ``majority`` (accuracy of always answering the
    test set's majority class) and ``class1`` (fraction of class 1). ``train_dist``: accuracy
    of each model on a fresh sample of the *training* distribution (shift 0, same scale)."""

    table: pd.DataFrame
    train_dist: dict


def shift_sweep(models: ShiftModels, rule: str, spread: float, test_scale: float = 1.0,
                n_train: int = 400, n_test: int = 400, data_seed: int = 0,
                shifts=SHIFTS) -> ShiftSweep:
    """Accuracy of every model in :data:`MODELS` at every shift (one vectorised pass each)."""
    Xs, ys = shifted_sets(rule, shifts, spread, test_scale, n_train, n_test, data_seed)
    table = {"shift": np.asarray(shifts, dtype=float)}
    for m in MODELS:
        table[m] = np.mean((predict(models, rule, m, Xs) > 0.5) == ys, axis=1)
    frac1 = ys.mean(axis=1)
    table["majority"] = np.maximum(frac1, 1 - frac1)
    table["class1"] = frac1
    X0, y0 = shifted_sets(rule, [0.0], spread, 1.0, n_train, n_test, data_seed)
    train_dist = {m: float(np.mean((predict(models, rule, m, X0[0]) > 0.5) == y0[0]))
                  for m in MODELS}
    return ShiftSweep(pd.DataFrame(table), train_dist)


def rule_comparison(models: ShiftModels, shift: float, spread: float, test_scale: float,
                    n_train: int = 400, n_test: int = 400, data_seed: int = 0) -> pd.DataFrame:
    """Test accuracy of every model for every rule at one shift: columns rule, model, accuracy,
    majority."""
    rows = []
    for rule in models.rules:
        Xs, ys = shifted_sets(rule, [shift], spread, test_scale, n_train, n_test, data_seed)
        frac1 = ys.mean()
        for m in MODELS:
            acc = float(np.mean((predict(models, rule, m, Xs[0]) > 0.5) == ys[0]))
            rows.append({"rule": rule, "model": m, "accuracy": acc,
                         "majority": max(frac1, 1 - frac1)})
    return pd.DataFrame(rows)


class ShiftAt(NamedTuple):
    """Test accuracy at the sweep's shift nearest the current one, and on the training
    distribution (a fresh sample at shift 0)."""

    no_bn: float
    bn: float
    adabn: float  # BN after AdaBN recalibration on the shifted test inputs
    majority: float  # always answering the test set's majority class
    train_no_bn: float
    train_bn: float


def shift_at(sweep: ShiftSweep, shift: float) -> ShiftAt:
    """The row of ``sweep.table`` nearest ``shift`` with the training-distribution accuracy."""
    t = sweep.table
    row = t.iloc[int(np.argmin(np.abs(t["shift"] - shift)))]
    return ShiftAt(float(row["no_bn"]), float(row["bn"]), float(row["adabn"]),
                   float(row["majority"]), sweep.train_dist["no_bn"], sweep.train_dist["bn"])


class RuleAccuracy(NamedTuple):
    """:func:`rule_comparison` as lookups: accuracy[(rule, model)], majority[rule]."""

    accuracy: dict
    majority: dict


def rule_accuracy(table: pd.DataFrame) -> RuleAccuracy:
    """The accuracy of every (rule, model) and each rule's majority-class rate."""
    acc = table.set_index(["rule", "model"])["accuracy"]
    maj = table.drop_duplicates("rule").set_index("rule")["majority"]
    return RuleAccuracy({k: float(a) for k, a in acc.items()},
                        {k: float(m) for k, m in maj.items()})


def decision_grid(models: ShiftModels, rule: str, model: str, X_test, xlim, ylim,
                  n: tuple[int, int] = (110, 80)):
    """Probability of class 1 on a grid (ny, nx) for the boundary plot, and the true rule there.

    For ``"adabn"`` the BN statistics come from the test inputs ``X_test`` (n_test, 2)
    (:func:`bnsim.network.recalibrate`), then every grid point goes through eval mode.
    Returns (xs (nx,), ys (ny,), proba (ny, nx), truth (ny, nx))."""
    xs, ys = np.linspace(*xlim, n[0]), np.linspace(*ylim, n[1])
    gx, gy = np.meshgrid(xs, ys)
    G = np.c_[gx.ravel(), gy.ravel()]
    if model == "adabn":
        params = models.bn[models.index(rule)][0]
        running = network.recalibrate(params, X_test, models.net_bn)
        p = network.predict_proba(params, G, models.net_bn, Mode.EVAL, running)[:, 1]
    else:
        p = predict(models, rule, model, G)
    truth = data.label_rule(rule, G)
    return xs, ys, p.reshape(gx.shape), truth.reshape(gx.shape)


# ---------------------------------------------------------------- verdicts
SHIFT_DROP = LOSES.threshold  # an accuracy drop larger than this: the network *loses* accuracy
ADABN_TOL = RESTORES.threshold  # AdaBN within this of the training accuracy *restores* it
MIN_TRAINED = LEARNED_RULE.threshold  # below this on the training cloud: the rule not learned
MAX_MAJORITY = ONE_CLASS.threshold  # a shifted cloud this much one class: accuracies say little


def both_classes(majority: float, lead: str = ": ") -> verdict.Precondition:
    """The precondition "the shifted cloud holds both classes" (``majority``: the accuracy of
    always answering its majority class)."""
    return verdict.Precondition(
        "the shifted cloud holds both classes", majority < MAX_MAJORITY,
        f"{lead}the shifted cloud is mostly one class (always answering it scores "
        f"{pct(majority)}), so the accuracies there say little — no verdict (try a smaller "
        "shift or another rule).")

SHIFT = verdict.claim(
    "covariate_shift.black_cats.shift", where="Covariate shift → Black cats → coloured cats "
    "(the sentence under the two figures)",
    words="On fresh inputs from the training cloud BN scores A and no BN B; on the shifted "
          "cloud BN, no BN, AdaBN and the majority class score …; (a) both lose accuracy: BN "
          "loses X pp and no BN Y pp — with its training statistics BN does not repair input "
          "shift; (b) BN loses X pp while no BN changes by only Y pp — BN does not repair it, "
          "here it is hurt more than the network without BN; (c) BN kept its accuracy (within "
          "10 pp) while no BN lost Y pp — at this shift BN did absorb it; (d) neither loses "
          "more than 10 pp — nothing to repair. Abstains: no shift; a network did not learn "
          "the rule; the shifted cloud is mostly one class.",
    preconditions=("the test cloud is shifted (shift > 0 or test spread ≠ 1)",
                   "both networks learned the rule (≥ 80 % on the training cloud)",
                   "the shifted cloud holds both classes (majority class < 95 %)"),
    threshold="10 pp (*loses accuracy under a shift*); 80 % (*learned the rule*); 95 % "
              "(*mostly one class*)",
    test="tests/test_claims_covariate_shift.py::"
         "test_bn_with_training_statistics_does_not_repair_the_default_shift, "
         "tests/test_claims_covariate_shift.py::"
         "test_the_shift_verdict_says_too_only_when_both_lose, "
         "tests/test_covariate_shift.py::test_shift_verdict_branches, "
         "tests/test_covariate_shift.py::"
         "test_shift_verdict_states_the_contrast_when_only_bn_loses")


def _change(x: float) -> str:
    """A network's accuracy change under the shift, in words: "loses 3.0 pp" / "gains 1.0 pp"
    (``x``: training-cloud accuracy − shifted accuracy)."""
    return f"loses {margin(x)}" if x >= 0 else f"gains {margin(x)}"


def shift_verdict(shift: float, test_scale: float, now: ShiftAt, drop: float = SHIFT_DROP,
                  sweep: ShiftSweep | None = None) -> Verdict:
    """"BN with its training statistics does not repair input shift" at this shift.

    Does not apply without a shift (shift 0, test spread × 1) or when a network did not learn
    the rule (below :data:`MIN_TRAINED` on the training cloud); no effect when the shift costs
    neither network more than ``drop``; holds when the BN network loses more than ``drop`` —
    said as "both lose" only when the network without BN loses more than ``drop`` too, else
    as the contrast; reversed when BN keeps its accuracy while the network without BN loses
    it. ``sweep`` (the table ``now`` was read from) is carried in ``raw`` for the audit."""
    ev = {"shift": shift, "test_scale": test_scale, "bn": now.bn, "no_bn": now.no_bn,
          "train_bn": now.train_bn, "train_no_bn": now.train_no_bn,
          "drop_bn": now.train_bn - now.bn, "drop_no_bn": now.train_no_bn - now.no_bn}
    raw = {"shift": shift, "test_scale": test_scale, "now": now._asdict()}
    if sweep is not None:
        raw |= {"table": {k: sweep.table[k].to_numpy() for k in sweep.table.columns},
                "train_dist": dict(sweep.train_dist)}
    fresh = (f"On fresh inputs from the training cloud the network with BN scores "
             f"{pct(now.train_bn)} and the one without {pct(now.train_no_bn)}")
    pre = (verdict.Precondition("the test cloud is shifted", not (shift == 0 and test_scale == 1),
                                ": the test cloud is not shifted, so there is no shift to "
                                "repair — move the shift slider."),
           verdict.Precondition("both networks learned the rule",
                                min(now.train_bn, now.train_no_bn) >= MIN_TRAINED,
                                f": below {pct(MIN_TRAINED, 0)}, a network did not learn the "
                                "rule, so the shift cannot be judged."),
           both_classes(now.majority))
    if verdict.first_failed(pre) is not None:
        return verdict.abstain(SHIFT, pre, ev, drop, raw, lead=fresh)
    moved = (f"on the shifted cloud BN scores {pct(now.bn)}, no BN {pct(now.no_bn)}, BN after "
             f"AdaBN recalibration {pct(now.adabn)} and always answering the majority class "
             f"{pct(now.majority)}")
    db, dn = ev["drop_bn"], ev["drop_no_bn"]
    if max(db, dn) <= drop:
        return Verdict(Outcome.NO_EFFECT, fresh + f"; {moved}: at this shift neither loses more "
                       f"than {margin(drop)} (BN {_change(db)}, no BN {_change(dn)}), so there "
                       "is nothing to repair.", ev, drop, SHIFT, pre, raw)
    if db > drop and dn > drop:
        return Verdict(Outcome.HOLDS, fresh + f"; {moved}. Both lose accuracy: BN loses "
                       f"{margin(db)} and no BN {margin(dn)} — with its training statistics BN "
                       "does not repair input shift.", ev, drop, SHIFT, pre, raw)
    if db > drop:
        return Verdict(Outcome.HOLDS, fresh + f"; {moved}. BN loses {margin(db)} while no BN "
                       f"{_change(dn)} only: with its training statistics BN does not repair "
                       "input shift — here it is hurt more than the network without BN.",
                       ev, drop, SHIFT, pre, raw)
    return Verdict(Outcome.REVERSED, fresh + f"; {moved}. Here BN kept its accuracy (it "
                   f"{_change(db)}, within {margin(drop)}) while no BN lost {margin(dn)}: at "
                   "this shift BN did absorb it.", ev, drop, SHIFT, pre, raw)


ADABN = verdict.claim(
    "covariate_shift.black_cats.adabn", where="Covariate shift → Black cats → coloured cats → "
    "AdaBN (one line per rule)",
    words="<rule>: A after AdaBN, B before, C on the training cloud: (a) the training accuracy "
          "is restored | kept (BN alone had not lost it); (b) recalibration makes it worse; "
          "(c) not restored (better than before, still short). Abstains: no shift; the BN "
          "network did not learn this rule; the shifted cloud is mostly one class.",
    preconditions=("the test cloud is shifted", "the BN network learned the rule (≥ 80 % on "
                   "the training cloud)", "the shifted cloud holds both classes (majority "
                   "class < 95 %)"),
    threshold="3 pp (*restores (AdaBN)*); 80 % (*learned the rule*); 95 % (*mostly one "
              "class*)",
    test="tests/test_claims_covariate_shift.py::"
         "test_adabn_restores_the_line_but_not_sine_or_circle, "
         "tests/test_covariate_shift.py::test_adabn_verdict_branches, "
         "tests/test_covariate_shift.py::"
         "test_shift_and_adabn_verdicts_abstain_on_a_one_class_cloud")


def adabn_verdict(rule_label: str, shift: float, test_scale: float, bn: float, adabn: float,
                  train_bn: float, tol: float = ADABN_TOL, majority: float = 0.5) -> Verdict:
    """"AdaBN recalibration restores the training accuracy" for one rule at this shift.

    Holds when AdaBN is within ``tol`` of the BN network's accuracy on the training
    distribution; reversed when it scores below BN without recalibration by more than ``tol``;
    no effect otherwise (not restored, perhaps partly better). Does not apply without a shift
    or when the network did not learn the rule, or when the shifted cloud is mostly one class
    (``majority``: the accuracy of always answering its majority class)."""
    ev = {"shift": shift, "bn": bn, "adabn": adabn, "train_bn": train_bn, "majority": majority}
    raw = {"shift": shift, "test_scale": test_scale, "bn": bn, "adabn": adabn,
           "train_bn": train_bn, "majority": majority}
    nums = (f"{rule_label}: {pct(adabn)} after AdaBN, {pct(bn)} before, {pct(train_bn)} on "
            "the training cloud")
    pre = (verdict.Precondition("the test cloud is shifted", not (shift == 0 and test_scale == 1),
                                " — no shift, nothing to recalibrate."),
           verdict.Precondition("the BN network learned the rule", train_bn >= MIN_TRAINED,
                                f" — the network did not learn this rule (below "
                                f"{pct(MIN_TRAINED, 0)} on the training cloud)."),
           both_classes(majority, " — "))
    if verdict.first_failed(pre) is not None:
        return verdict.abstain(ADABN, pre, ev, tol, raw, lead=nums)
    if adabn >= train_bn - tol:
        how = ("restored" if bn < train_bn - tol else
               "kept (BN alone had not lost it)")
        return Verdict(Outcome.HOLDS, nums + f": the training accuracy is {how}.", ev, tol,
                       ADABN, pre, raw)
    if adabn < bn - tol:
        return Verdict(Outcome.REVERSED, nums + ": recalibration makes it worse.", ev, tol,
                       ADABN, pre, raw)
    short = (f" — no better than always answering the majority class ({pct(majority)})"
             if adabn <= majority + tol else "")
    return Verdict(Outcome.NO_EFFECT, nums + ": not restored"
                   + (f" (better than before, still short{short})." if adabn > bn + tol
                      else f"{short}."), ev, tol, ADABN, pre, raw)
