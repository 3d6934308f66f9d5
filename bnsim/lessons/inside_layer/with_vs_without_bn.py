"""Tab "With vs without BN": a learning-rate sweep of one network with and without BN, seeds
stacked in one pass per setting (:func:`sweep`); the verdict "BN trains better at this α"
(:func:`bn_verdict`, from the numbers of :func:`compare_at`) and the verdict "BN trains at a
larger α" (:func:`largest_lr_verdict`, from :meth:`Sweep.largest_training_lr`).

"Trains" is the glossary's word (:data:`bnsim.verdict.TRAINS`, against the 15-NN accuracy of
the sweep's data, :attr:`Sweep.reference`); "better" and "about as well" the glossary's 2 pp
(:data:`bnsim.verdict.ABOUT_AS_WELL`). A run that diverged counts at chance (50 %).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim import data, notation, verdict
from bnsim.network import NetConfig
from bnsim.smoothing import smoothed
from bnsim.train import TrainConfig, train_stacked
from bnsim.verdict import Outcome, Precondition, Verdict, abstain, compare, num, pct, runs

LRS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
TARGET_LOSS = 0.25  # "steps to a target loss": smoothed train-mode loss first ≤ this
SMOOTH = 50  # moving average (steps) of the mini-batch loss
HELP_THRESHOLD = verdict.ABOUT_AS_WELL.threshold  # "helps/hurts" beyond, "about as well" within
CHANCE = 0.5  # the accuracy a diverged run counts at
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
    reference: float = float("nan")  # 15-NN test accuracy on the sweep's data (what *trains* means)
    data: tuple = ()  # (X, y, X_test, y_test) of the sweep (for an independent recomputation)

    @property
    def bar(self) -> float:
        """The test accuracy at which a run *trains* (the glossary's word)."""
        return verdict.trains_bar(self.reference)

    def counted(self, lr: float, bn: bool) -> np.ndarray:
        """(k,) the final test accuracies of α = ``lr``, a diverged run counted at chance."""
        return np.nan_to_num(self.runs[lr, bn].test_acc, nan=CHANCE)

    def trains_all(self, bn: bool) -> np.ndarray:
        """(len(lrs),) bool: every seed of that α trains."""
        return np.array([bool(np.all(self.counted(lr, bn) >= self.bar)) for lr in self.lrs])

    def acc(self, bn: bool) -> np.ndarray:
        """(len(lrs),) mean final test accuracy over seeds (NaN if any seed diverged)."""
        return np.array([float(np.mean(self.runs[lr, bn].test_acc)) for lr in self.lrs])

    def largest_training_lr(self, bn: bool) -> float:
        """Largest α of the sweep at which every seed *trains* (NaN: none)."""
        ok = [lr for lr, t in zip(self.lrs, self.trains_all(bn), strict=True) if t]
        return max(ok) if ok else float("nan")

    def steps_to_target(self, bn: bool) -> np.ndarray:
        """(len(lrs),) steps until the smoothed mean loss reaches :data:`TARGET_LOSS` — NaN
        where it never does, or where the network does not *train* at that α (mean final test
        accuracy below the glossary's level: a loss near 0 then measures nothing learned)."""
        steps = np.array([steps_to(self.runs[lr, bn].loss) for lr in self.lrs])
        if np.isfinite(self.reference):
            trains = np.array([np.mean(self.counted(lr, bn)) >= self.bar for lr in self.lrs])
            steps[~trains] = np.nan
        return steps


def sweep(setting: SweepSetting, lrs: Sequence[float] = LRS) -> Sweep:
    """Every α of ``lrs`` with and without BN: two stacked passes (all α and seeds in each)."""
    runs_ = {}
    for bn in (False, True):
        runs_.update({(lr, bn): run for lr, run in sweep_runs(setting, lrs, bn).items()})
    xy = data.train_test(setting.dataset, setting.n_train, N_TEST, setting.noise, 0)
    return Sweep(setting, tuple(float(lr) for lr in lrs), runs_, data.reference_accuracy(*xy),
                 xy)


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
    acc_bn: float  # mean final test accuracy over seeds (a diverged seed counted at chance)
    acc_no_bn: float
    better: int  # seeds where BN's accuracy beats no BN's by more than the threshold
    n: int  # seeds
    steps_bn: float  # steps to the target loss (NaN: never)
    steps_no_bn: float
    reference: float = 1.0  # 15-NN test accuracy on the same data
    diverged: int = 0  # seeds that diverged (with or without BN)
    worse: int = 0  # seeds where BN's accuracy trails no BN's by more than the threshold


def compare_at(sw: Sweep, lr: float) -> Comparison:
    """The numbers behind :func:`bn_verdict` at α = ``lr`` (one of the sweep's)."""
    r0, r1 = sw.runs[lr, False], sw.runs[lr, True]
    a0, a1 = sw.counted(lr, False), sw.counted(lr, True)
    return Comparison(float(lr), float(np.mean(a1)), float(np.mean(a0)),
                      int(np.sum(a1 - a0 > HELP_THRESHOLD)), len(a0), steps_to(r1.loss),
                      steps_to(r0.loss), sw.reference,
                      int(np.sum(r0.diverged) + np.sum(r1.diverged)),
                      int(np.sum(a0 - a1 > HELP_THRESHOLD)))


def raw_at(sw: Sweep, lr: float) -> dict:
    """The arrays :func:`compare_at` reads (per-seed accuracies, NaN = diverged; losses)."""
    r0, r1 = sw.runs[lr, False], sw.runs[lr, True]
    return {"acc_bn": r1.test_acc, "acc_no_bn": r0.test_acc, "loss_bn": r1.loss,
            "loss_no_bn": r0.loss, "reference": sw.reference, "lr": float(lr),
            "smooth": SMOOTH, "target": TARGET_LOSS, "chance": CHANCE, "data": sw.data}


def verdict_at(sw: Sweep, lr: float) -> Verdict:
    """:func:`bn_verdict` at α = ``lr``, with its raw arrays."""
    return bn_verdict(compare_at(sw, lr), raw_at(sw, lr))


def _steps_sentence(c: Comparison) -> str:
    """How many steps each network needs to the target loss — for a network that trains (its
    mean final test accuracy at least the *trains* level); "" when neither trains."""
    bar = verdict.trains_bar(c.reference)
    said = {}
    for name, acc, steps in (("with BN", c.acc_bn, c.steps_bn),
                             ("without BN", c.acc_no_bn, c.steps_no_bn)):
        if acc < bar:
            said[name] = "does not train"
        elif np.isfinite(steps):
            said[name] = f"{steps:.0f}"
        else:
            said[name] = "never"
    head = f" The smoothed loss (mean over the runs) reaches {TARGET_LOSS:g}"
    bn, no = said["with BN"], said["without BN"]
    if bn.isdigit() and no.isdigit():
        return (f"{head} after {bn} steps with BN and {no} without "
                f"({num(c.steps_no_bn / c.steps_bn)}×).")
    if bn.isdigit():
        why = "never without" if no == "never" else \
            "; the network without BN does not train, so its loss is not compared"
        return f"{head} after {bn} steps with BN{' and ' if no == 'never' else ''}{why}."
    if no.isdigit():
        why = "never with it" if bn == "never" else \
            "; the network with BN does not train, so its loss is not compared"
        return f"{head} after {no} steps without BN{' and ' if bn == 'never' else ''}{why}."
    return ""


BN_AT_LR = verdict.claim(
    "inside_layer.with_vs_without_bn.bn_at_lr",
    where="Inside a BN layer → With vs without BN (the sentence under the two charts)",
    words="At α = … BN helps / BN hurts / with and without BN train about as well: final test "
          "accuracy … with BN and … without (mean of n runs; BN ahead in k of n runs / at this "
          "seed). [The smoothed loss (mean over the runs) reaches 0.25 after … steps with BN and "
          "… without (…×) / never without / never with it.]",
    preconditions=("the data is learnable (15-NN ≥ 60 %)",
                   "something trains (with or without BN, by the mean over the runs)"),
    threshold="2 pp (*about as well*) between the means; a diverged run counts at 50 %",
    test="tests/test_claims_inside_layer.py::test_bn_at_lr_over_seeds, "
         "tests/test_inside_layer.py::test_bn_verdict_branches")


PP = f"{100 * HELP_THRESHOLD:g} pp"


def _in_runs(k: int, n: int) -> str:
    """"in k of n runs", or "at this seed" for one run."""
    return "at this seed" if n == 1 else runs(k, n)


def bn_verdict(c: Comparison, raw: dict | None = None) -> Verdict:
    """'BN trains better at this α' — HOLDS (BN helps) / REVERSED (BN hurts) / NO_EFFECT
    (about as well) by the mean final test accuracy over the runs; NOT_APPLICABLE when the
    data is not learnable or neither network trains."""
    ev = {"α": c.lr, "test accuracy with BN": c.acc_bn, "test accuracy without BN": c.acc_no_bn,
          "steps to loss with BN": c.steps_bn, "steps to loss without BN": c.steps_no_bn}
    raw = raw or {}
    where = f"At α = {c.lr:g}"
    mean = "" if c.n == 1 else f"mean of {c.n} runs"
    div = f"{c.diverged} diverged run(s) counted at {pct(CHANCE)}" if c.diverged else ""
    paren = "; ".join(x for x in (mean, div) if x)
    accs = (f"final test accuracy {pct(c.acc_bn)} with BN and {pct(c.acc_no_bn)} without"
            + (f" ({paren})" if paren else ""))
    pre = (verdict.learnable(c.reference, "the sweep's data"),
           verdict.something_trains({"with BN": c.acc_bn, "without BN": c.acc_no_bn},
                                    c.reference))
    if verdict.first_failed(pre):
        return abstain(BN_AT_LR, pre, ev, HELP_THRESHOLD, raw, lead=f"{where}: {accs}. ")
    outcome = compare(c.acc_bn - c.acc_no_bn, HELP_THRESHOLD)
    text = {Outcome.HOLDS: f"{where} BN helps: {accs}; BN ahead by more than {PP} "
                           f"{_in_runs(c.better, c.n)}.",
            Outcome.REVERSED: f"{where} BN hurts: {accs}; BN behind by more than {PP} "
                              f"{_in_runs(c.worse, c.n)}.",
            Outcome.NO_EFFECT: f"{where} the networks with and without BN train about as well "
                               f"(means within {PP}): {accs}."}[outcome]
    return Verdict(outcome, text + _steps_sentence(c), ev, HELP_THRESHOLD, BN_AT_LR, pre, raw)


LARGEST_LR = verdict.claim(
    "inside_layer.with_vs_without_bn.largest_lr",
    where="Inside a BN layer → With vs without BN (the line under the verdict)",
    words="The largest α of the sweep at which all n runs train (n = 1: at this seed): α = … "
          "with BN, α = … / no α of the sweep without; BN trains at a larger α / without BN "
          "trains at a larger α / both the same [(the largest α tried: larger ones were not "
          "tried)].",
    preconditions=("the data is learnable (15-NN ≥ 60 %)",
                   "some α of the sweep trains, with or without BN"),
    threshold="*trains* (the glossary's word) in every run of that α; a diverged run does not "
              "train",
    test="tests/test_claims_inside_layer.py::test_largest_lr_relu_over_seeds, "
         "tests/test_inside_layer.py::test_largest_lr_verdict_branches")


def largest_lr_verdict(sw: Sweep) -> Verdict:
    """'BN lets the network train at a larger α' — HOLDS when the largest α of the sweep at
    which every run trains is larger with BN, REVERSED when it is smaller, NO_EFFECT when
    equal; NOT_APPLICABLE when the data is not learnable or no α trains at all."""
    s = sw.setting
    big = {bn: sw.largest_training_lr(bn) for bn in (True, False)}
    ev = {"largest α with BN": big[True], "largest α without BN": big[False],
          "trains at": sw.bar}
    raw = {"lrs": np.asarray(sw.lrs), "reference": sw.reference, "chance": CHANCE, "data": sw.data,
           "setting": s._asdict(),
           "acc_bn": np.array([sw.runs[lr, True].test_acc for lr in sw.lrs]),
           "acc_no_bn": np.array([sw.runs[lr, False].test_acc for lr in sw.lrs])}
    who = "at this seed" if s.n_seeds == 1 else f"in all {s.n_seeds} runs"
    lead = (f"{notation.DATASETS[s.dataset].label} (noise {s.noise:g}, {s.n_train} training "
            f"examples), {s.depth} hidden layer(s) of {s.units} "
            f"{notation.ACTIVATIONS[s.activation].label} units, "
            f"{notation.OPTIMIZERS[s.optimizer].label}, m = {s.batch_size}, {s.steps} steps. ")

    def say(bn):
        x = big[bn]
        return f"α = {x:g}" if np.isfinite(x) else "no α of the sweep"

    pre = (verdict.learnable(sw.reference, "the sweep's data"),
           Precondition("some α trains", bool(np.isfinite(big[True]) or np.isfinite(big[False])),
                        f"No α of the sweep trains {who} (a run *trains* at ≥ {pct(sw.bar)} "
                        "here, see the glossary), with or without BN, so no largest α is "
                        "compared."))
    if verdict.first_failed(pre):
        return abstain(LARGEST_LR, pre, ev, None, raw, lead=lead)
    line = (f"The largest α of the sweep at which the network trains {who} (test accuracy ≥ "
            f"{pct(sw.bar)}, see *trains* in the glossary): {say(True)} with BN, {say(False)} "
            "without")
    hi = max(sw.lrs)
    a, b = (np.nan_to_num(big[True], nan=0.0), np.nan_to_num(big[False], nan=0.0))
    outcome = Outcome.HOLDS if a > b else Outcome.REVERSED if a < b else Outcome.NO_EFFECT
    tail = {Outcome.HOLDS: ": BN lets the network train at a larger learning rate",
            Outcome.REVERSED: ": here the network without BN trains at a larger learning rate",
            Outcome.NO_EFFECT: ": the same α with and without BN"}[outcome]
    if max(a, b) == hi:
        tail += f" ({hi:g} is the largest α tried; larger ones may train too)"
    return Verdict(outcome, lead + line + tail + ".", ev, None, LARGEST_LR, pre, raw)
