"""Same point, new neighbours: one test example inside many random test batches, against the
one prediction it gets alone in eval mode — and how typical its flip rate is.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim.lessons.testtime.common import (
    MAX_ROWS,
    check_k,
    choose,
    k_above_one,
    proba_eval,
    proba_first,
)
from bnsim.network import NetConfig
from bnsim.verdict import Outcome, Verdict, abstain, claim, first_failed, num, pct


def neighbours(params, net: NetConfig, X, i: int, k: int, n_draws: int = 200,
               seed: int = 0) -> np.ndarray:
    """(n_draws,) p(class 1) of test example ``i`` in ``n_draws`` random test batches of size
    k: itself plus k − 1 other test examples drawn at random (one array pass)."""
    X = np.asarray(X, dtype=float)
    if not 0 <= i < len(X):
        raise ValueError(f"test point must be from 0 to {len(X) - 1}; got {i}.")
    check_k(k, len(X))
    rng = np.random.default_rng(seed)
    mates = choose(rng, np.delete(np.arange(len(X)), i), n_draws, k - 1)
    idx = np.concatenate([np.full((n_draws, 1), i), mates], axis=1)
    return proba_first(params, net, X, idx, MAX_ROWS)


class Followed(NamedTuple):
    """One test example inside many random test batches vs alone in eval mode."""

    i: int  # test-set index
    label: int  # its class
    k: int  # test batch size
    p_eval: float  # its eval-mode p(class 1)
    draws: np.ndarray  # (n_draws,) its batch-statistics p(class 1) in each random batch

    @property
    def flips(self) -> float:
        """Share of the random batches that change its predicted class."""
        return float(np.mean((self.draws >= 0.5) != (self.p_eval >= 0.5)))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"batch": np.arange(len(self.draws)), "p_batch": self.draws,
                             "p_eval": self.p_eval})


def follow(params, net: NetConfig, run, X, y, i: int, k: int, n_draws: int = 200,
           seed: int = 0) -> Followed:
    """Test example ``i`` in ``n_draws`` random test batches of k (:func:`neighbours`) and
    alone in eval mode."""
    draws = neighbours(params, net, X, i, k, n_draws, seed)
    X = np.asarray(X, dtype=float)
    p_ev = float(proba_eval(params, net, run, X[i:i + 1])[0])
    return Followed(int(i), int(np.asarray(y)[i]), int(k), p_ev, draws)


# ---------------------------------------------------------------- how typical is a point?
def flip_rates(params, net: NetConfig, run, X, k: int, n_draws: int = 40,
               seed: int = 0) -> np.ndarray:
    """(n,) for every test example: the share of ``n_draws`` random test batches of k (itself
    and k − 1 random others, drawn with replacement) that change its predicted class from its
    eval-mode class."""
    X = np.asarray(X, dtype=float)
    n = len(X)
    check_k(k, n)
    rng = np.random.default_rng(seed)
    others = choose(rng, n - 1, (n, n_draws), k - 1, replace=True)  # skip the point itself:
    others += others >= np.arange(n)[:, None, None]  # index ≥ i moves up by one
    idx = np.concatenate([np.broadcast_to(np.arange(n)[:, None, None], (n, n_draws, 1)),
                          others], axis=2).reshape(n * n_draws, k)
    p = proba_first(params, net, X, idx, MAX_ROWS).reshape(n, n_draws)
    return np.mean((p >= 0.5) != (proba_eval(params, net, run, X) >= 0.5)[:, None], axis=1)


class Typical(NamedTuple):
    """How the followed point's flip rate compares with every test point's."""

    rate: float  # the followed point's flip rate (over its own random test batches)
    mean: float  # mean flip rate over all test points
    never: float  # share of test points that never flipped
    above: float  # share of test points that flip less often than this one


def typicality(rates: np.ndarray, rate: float) -> Typical:
    """Where a flip rate ``rate`` stands among every test point's ``rates`` (n,)."""
    rates = np.asarray(rates, dtype=float)
    return Typical(float(rate), float(rates.mean()), float(np.mean(rates == 0)),
                   float(np.mean(rates < rate)))


FLIPS = claim(
    "testtime.same_point.flips", where="Train vs test → Same point, new neighbours (takeaway)",
    words="Test point #i (class c) always gets p(class 1) = p in eval mode; in N random test "
          "batches of k its p ranges from a to b and its class flips in f % of them. Typical? "
          "Over all test points the mean flip rate is m %, n % never flip, and this one flips "
          "more often than q % of them. At k = 1: the point is a batch of its own, so every "
          "draw gives the one output every input gets; its flips are the collapse, not "
          "neighbours (its class differs from eval mode's in all draws or none).",
    preconditions=("k > 1",),
    threshold="none (numbers only)",
    test="tests/test_claims_testtime.py::test_flips_verdict_branches, "
         "::test_flip_rates_and_typicality")


def flips_verdict(f: Followed, t: Typical | None = None, rates=None) -> Verdict:
    """The followed point's flips (HOLDS: its class flips in some random test batch) and,
    with ``t``, how typical its flip rate is among every test point's ``rates``."""
    ev = {"flips": f.flips, "p_eval": f.p_eval, "k": f.k}
    raw = {"k": f.k, "draws": np.asarray(f.draws), "p_eval": f.p_eval, "label": f.label,
           "i": f.i, "rates": None if rates is None else np.asarray(rates, dtype=float)}
    said = (f"Test point #{f.i} (class {f.label}) always gets p(class 1) = {num(f.p_eval)} in "
            f"eval mode; in {len(f.draws)} random test batches of k = {f.k} its p ranges from "
            f"{num(f.draws.min())} to {num(f.draws.max())} and its class flips in "
            f"{pct(f.flips)} of them")
    pre = (k_above_one(f.k, "At k = 1 the point is a test batch of its own: BN normalises it "
                            "by itself (z_norm = 0, z̃ = β), so every draw gives the one output "
                            "every input gets, and its class differs from eval mode's in all "
                            f"draws or in none (here {pct(f.flips)}) — the collapse, not its "
                            "neighbours; move k up."),)
    if first_failed(pre) is not None:
        return abstain(FLIPS, pre, ev, None, raw, lead=said + ". ")
    if t is not None:
        said += (f". Typical? Over all test points the mean flip rate is {pct(t.mean)}, "
                 f"{pct(t.never)} never flip, and "
                 + (f"this one flips more often than {pct(t.above)} of them" if f.flips > 0
                    else "this one is one of them"))
    outcome = Outcome.HOLDS if f.flips > 0 else Outcome.NO_EFFECT
    return Verdict(outcome, said + ".", ev, None, FLIPS, pre, raw)
