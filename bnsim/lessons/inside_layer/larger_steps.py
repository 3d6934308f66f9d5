"""Tab "Larger steps": does BN let a network train at a larger learning rate, and why (after
Bjorck, Gomes, Selman & Weinberger, *Understanding Batch Normalization*, NeurIPS 2018)?

Two parts, each from its own numbers:

* the learning-rate sweep of "With vs without BN" (:func:`bnsim.lessons.inside_layer.
  with_vs_without_bn.sweep`), once with ReLU and once with sigmoid, plain gradient descent as in
  the paper (:func:`sweeps`); its verdict is that tab's "largest α that trains";
* the gradient of the loss for every hidden layer's weights at initialisation,
  ‖∂L/∂W^[l]‖_F on one mini-batch in train mode, several seeds stacked in one pass, with and
  without BN (:func:`grad_norms`); the verdict :func:`spread_verdict` compares the spread of
  the layers' median norms (largest over smallest) against the glossary's *comparable
  gradients* (:data:`COMPARABLE`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim import data, network, notation, verdict
from bnsim.lessons.inside_layer import with_vs_without_bn as sweeping
from bnsim.modes import Mode
from bnsim.network import NetConfig
from bnsim.verdict import Outcome, Precondition, Verdict, abstain, num

ACTIVATIONS = ("relu", "sigmoid")  # the sweep runs both; the gradients show one
SWEEP = sweeping.SweepSetting()  # data, width, batch size and steps of the sweep
COMPARABLE_MAX = 10.0  # largest / smallest median layer gradient norm
COMPARABLE = verdict.define(
    "comparable gradients", "the hidden layers of a network have comparable gradients when the "
    "largest gradient norm ‖∂L/∂W^[l]‖ of a layer (median over the runs) is at most "
    f"{COMPARABLE_MAX:g} times the smallest.", COMPARABLE_MAX)


class Setting(NamedTuple):
    """What the tab trains (all scalars: the cache key)."""

    depth: int = 6  # hidden layers, 1 to 8
    n_seeds: int = 3
    steps: int = SWEEP.steps


def sweep_setting(s: Setting, activation: str) -> sweeping.SweepSetting:
    """The sweep of one activation: the tab's depth and seeds, plain gradient descent."""
    return SWEEP._replace(depth=int(s.depth), activation=activation, optimizer="gd",
                          n_seeds=int(s.n_seeds), steps=int(s.steps))


def sweeps(s: Setting) -> dict[str, sweeping.Sweep]:
    """{activation: the learning-rate sweep with and without BN} for ReLU and sigmoid."""
    return {act: sweeping.sweep(sweep_setting(s, act)) for act in ACTIVATIONS}


def sweeps_frame(sws: dict[str, sweeping.Sweep]) -> pd.DataFrame:
    """Tidy table of the sweeps: activation, α, model, seed, final test accuracy, …"""
    return pd.concat([sweeping.sweep_frame(sw).assign(activation=act) for act, sw in sws.items()],
                     ignore_index=True)


# ---------------------------------------------------------------- gradients at initialisation
class GradNorms(NamedTuple):
    """‖∂L/∂W^[l]‖_F at initialisation for k seeds, with and without BN."""

    activation: str
    depth: int
    seeds: tuple[int, ...]
    norms: dict  # {bn: (k, L) Frobenius norm of ∂L/∂W^[l] per seed and layer}
    params: dict  # {bn: stacked initial parameters, each (k, ...)}
    X: np.ndarray  # (k, m, 2) each seed's mini-batch
    y: np.ndarray  # (k, m)
    eps: float

    def median(self, bn: bool) -> np.ndarray:
        """(L,) median over the seeds of each layer's norm."""
        return np.median(self.norms[bn], axis=0)


def net_config(depth: int, activation: str, bn: bool) -> NetConfig:
    """The sweep's network (16 units per hidden layer) with BN in every layer or in none."""
    return NetConfig(hidden=(SWEEP.units,) * depth, bn=(bn,) * depth, activation=activation)


def minibatches(seeds, m: int = SWEEP.batch_size) -> tuple[np.ndarray, np.ndarray]:
    """Each seed's first mini-batch of the sweep's training set: X (k, m, 2), y (k, m)."""
    X, y, _, _ = data.train_test(SWEEP.dataset, SWEEP.n_train, sweeping.N_TEST, SWEEP.noise, 0)
    idx = np.stack([np.random.default_rng(s).permutation(len(X))[:m] for s in seeds])
    return X[idx], y[idx]


def layer_norms(net: NetConfig, params: dict, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(k, L) ‖∂L/∂W^[l]‖_F of the mean cross-entropy L of each run's mini-batch, one stacked
    train-mode forward and backward pass (the gradient flows through μ_B and σ²_B)."""
    logits, cache = network.forward(params, X, net, Mode.TRAIN)
    _, dlogits, _ = network.xent(logits, y)
    grads = network.backward(dlogits, cache, params, net)
    return np.stack([np.linalg.norm(grads[f"W{l}"], axis=(-2, -1))
                     for l in range(1, net.n_layers + 1)], axis=-1)


def grad_norms(depth: int, activation: str, seeds) -> GradNorms:
    """The gradient norms of every hidden layer at initialisation (He init for ReLU, Xavier
    for sigmoid; γ = 1, β = 0), with and without BN, the same mini-batch per seed for both."""
    seeds = tuple(int(s) for s in seeds)
    X, y = minibatches(seeds)
    norms, params = {}, {}
    for bn in (False, True):
        net = net_config(depth, activation, bn)
        per_run = [network.init_params(net, s) for s in seeds]
        params[bn] = {k: np.stack([p[k] for p in per_run]) for k in per_run[0]}
        norms[bn] = layer_norms(net, params[bn], X, y)
    return GradNorms(activation, int(depth), seeds, norms, params, X, y,
                     net_config(depth, activation, True).eps)


def grad_frame(g: GradNorms) -> pd.DataFrame:
    """Tidy table of the gradient norms: model, seed, layer, norm."""
    rows = [{"activation": g.activation, "model": "bn" if bn else "no_bn", "seed": s,
             "layer": l + 1, "grad_norm_W": float(g.norms[bn][k, l])}
            for bn in (False, True) for k, s in enumerate(g.seeds) for l in range(g.depth)]
    return pd.DataFrame(rows)


class Spread(NamedTuple):
    """The numbers :func:`spread_verdict` rests on."""

    activation: str
    n: int  # seeds
    median_bn: np.ndarray  # (L,) median norm per layer with BN
    median_no_bn: np.ndarray  # (L,) without BN

    @property
    def depth(self) -> int:
        return len(self.median_bn)

    def spread(self, bn: bool) -> float:
        """Largest over smallest median layer norm (NaN when not finite or a norm is 0)."""
        m = np.asarray(self.median_bn if bn else self.median_no_bn, float)
        ok = m.size and np.all(np.isfinite(m)) and m.min() > 0
        return float(m.max() / m.min()) if ok else float("nan")


def spread_of(g: GradNorms) -> Spread:
    return Spread(g.activation, len(g.seeds), g.median(True), g.median(False))


def spread_outcome(spread_bn: float, spread_no_bn: float, t: float = COMPARABLE_MAX) -> Outcome:
    """HOLDS when BN's layers have comparable gradients (spread ≤ t) and those without BN do
    not, or neither does and BN's spread is more than t times smaller; REVERSED the other way
    round; NO_EFFECT when both are comparable or neither is and the spreads are within a factor
    t; NOT_APPLICABLE when a spread is not a finite number."""
    if not (np.isfinite(spread_bn) and np.isfinite(spread_no_bn)):
        return Outcome.NOT_APPLICABLE
    ok_bn, ok_no = spread_bn <= t, spread_no_bn <= t
    if ok_bn != ok_no:
        return Outcome.HOLDS if ok_bn else Outcome.REVERSED
    if ok_bn:
        return Outcome.NO_EFFECT
    ratio = spread_no_bn / spread_bn
    return Outcome.HOLDS if ratio > t else Outcome.REVERSED if ratio < 1 / t else Outcome.NO_EFFECT


GRAD_SPREAD = verdict.claim(
    "inside_layer.larger_steps.grad_spread",
    where="Inside a BN layer → Larger steps (the sentence under the gradient chart)",
    words="At initialisation (…, L hidden layers of 16 units, one mini-batch of m = 32 in train "
          "mode, median of n runs / at this seed), ‖∂L/∂W^[l]‖ without BN runs from … (layer i) "
          "to … (layer j), a spread of …×; with BN from … to …, …×. With BN the layers have "
          "comparable gradients and without BN they do not / neither has comparable gradients, "
          "but BN narrows the spread …-fold / both have comparable gradients, so by this "
          "measure BN makes no difference here [— ReLU with He initialisation keeps them so "
          "without BN too] / neither …, the spreads within 10× of "
          "each other / here the network without BN has comparable gradients and the one with "
          "BN does not / … BN's spread is …-fold larger.",
    preconditions=("at least 2 hidden layers (one layer has nothing to compare)",
                   "every median norm finite and > 0"),
    threshold=f"*comparable gradients*: largest / smallest median layer norm ≤ "
              f"{COMPARABLE_MAX:g}; between two spreads that are not, a factor "
              f"{COMPARABLE_MAX:g}",
    test="tests/test_larger_steps.py::test_spread_verdict_branches, "
         "tests/test_larger_steps.py::test_spread_claim_over_seeds")

T = f"{COMPARABLE_MAX:g}×"


def _range(m: np.ndarray) -> str:
    lo, hi = int(np.argmin(m)), int(np.argmax(m))
    return f"from {num(m[lo])} (layer {lo + 1}) to {num(m[hi])} (layer {hi + 1})"


def spread_verdict(s: Spread, raw: dict | None = None) -> Verdict:
    """'With BN the layers' gradients stay comparable at initialisation, without BN they do not'
    — by :func:`spread_outcome` of the spreads of the median layer norms; NOT_APPLICABLE with
    one hidden layer or a norm that is not a finite number > 0."""
    sb, sn = s.spread(True), s.spread(False)
    ev = {"spread with BN": sb, "spread without BN": sn, "layers": s.depth, "runs": s.n}
    act = notation.ACTIVATIONS[s.activation].label
    runs = "at this seed" if s.n == 1 else f"median of {s.n} runs"
    lead = (f"At initialisation ({act}, {s.depth} hidden layer(s) of {SWEEP.units} units, one "
            f"mini-batch of m = {SWEEP.batch_size} in train mode, {runs}), ")
    pre = (Precondition("at least 2 hidden layers", s.depth >= 2,
                        f"‖∂L/∂W^[1]‖ = {num(s.median_no_bn[0])} without BN and "
                        f"{num(s.median_bn[0])} with BN: with one hidden layer there is no "
                        "other layer to compare it with, so no spread is judged."
                        if s.depth == 1 else "No hidden layer."),
           Precondition("finite norms", bool(np.isfinite(sb) and np.isfinite(sn)),
                        "a gradient norm is not a finite number above 0, so no spread is "
                        "judged."))
    if verdict.first_failed(pre):
        return abstain(GRAD_SPREAD, pre, ev, COMPARABLE_MAX, raw, lead=lead)
    numbers = (f"‖∂L/∂W^[l]‖ without BN runs {_range(s.median_no_bn)}, a spread of {num(sn)}×; "
               f"with BN {_range(s.median_bn)}, {num(sb)}×.")
    outcome = spread_outcome(sb, sn)
    if (sb <= COMPARABLE_MAX) != (sn <= COMPARABLE_MAX):
        tail = {Outcome.HOLDS: f" With BN the layers have comparable gradients (spread ≤ {T}) "
                               "and without BN they do not.",
                Outcome.REVERSED: " Here the network without BN has comparable gradients "
                                  f"(spread ≤ {T}) and the one with BN does not."}[outcome]
    elif sb <= COMPARABLE_MAX:
        tail = (f" Both have comparable gradients (spread ≤ {T}), so by this measure BN makes "
                "no difference here" + (" — ReLU with He initialisation keeps them so without "
                                        "BN too." if s.activation == "relu" else "."))
    else:
        tail = {Outcome.HOLDS: f" Neither has comparable gradients (spread ≤ {T}), but BN "
                               f"narrows the spread {num(sn / sb)}-fold (more than {T}).",
                Outcome.REVERSED: f" Neither has comparable gradients (spread ≤ {T}), and "
                                  f"BN's spread is {num(sb / sn)}-fold larger (more than {T}).",
                Outcome.NO_EFFECT: f" Neither has comparable gradients (spread ≤ {T}), and "
                                   f"the two spreads are within {T} of each other."}[outcome]
    return Verdict(outcome, lead + numbers + tail, ev, COMPARABLE_MAX, GRAD_SPREAD, pre,
                   raw or {})


def grad_verdict(g: GradNorms) -> Verdict:
    """:func:`spread_verdict` of ``g``, with the arrays an audit recomputes it from."""
    raw = {"norms_bn": g.norms[True], "norms_no_bn": g.norms[False],
           "params_bn": g.params[True], "params_no_bn": g.params[False], "X": g.X, "y": g.y,
           "activation": g.activation, "eps": g.eps, "threshold": COMPARABLE_MAX}
    return spread_verdict(spread_of(g), raw)
