r"""What several tabs of "Covariate shift" share: the pair of networks compared (without and
with BN), the drift measure D, the unsigned margin the verdicts quote, the glossary's words and
the mini-batch helpers (the 1/√m law, random m-subsets)."""

from __future__ import annotations

import numpy as np

from bnsim import verdict
from bnsim.network import NetConfig
from bnsim.verdict import pp


def networks(hidden: tuple[int, ...], activation: str) -> tuple[NetConfig, NetConfig]:
    """The two architectures every comparison of the lesson trains: (without BN, with BN on
    every hidden layer), the same widths and activation."""
    n = len(hidden)
    return (NetConfig(hidden=hidden, bn=(False,) * n, activation=activation),
            NetConfig(hidden=hidden, bn=(True,) * n, activation=activation))


def drift(mean, std) -> float:
    r"""One number for how much a layer's input distribution moved during a run.

    ``mean`` and ``std`` are (S, units): the mean m_j(s) and standard deviation d_j(s) of unit
    j over the training set at snapshot s = 1..S (e.g. from
    :func:`bnsim.lessons.covariate_shift.moving_inputs.moments`; NaN columns, the padding of
    narrower layers, are ignored). With the total variation of each unit's path

        TV_j = Σ_{s=1}^{S−1} |m_j(s+1) − m_j(s)| + |d_j(s+1) − d_j(s)|,

    the drift is

        D = mean_j TV_j / mean_{j,s} d_j(s),

    the total distance the units' means and standard deviations travelled, in units of the
    layer's typical standard deviation. D = 0 for a distribution whose mean and spread never
    change; a mean walking steadily from 0 to 1 at standard deviation 1 gives D = 1. D is
    unchanged when all values are scaled by one positive factor or shifted by one constant, and
    it depends on the snapshot steps (compare runs recorded at the same steps). It sees only
    mean and spread: a change of shape at fixed mean and variance does not count.
    """
    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
    if mean.shape != std.shape or mean.ndim != 2 or mean.shape[0] < 2:
        raise ValueError(f"mean and std must both be (S ≥ 2, units); got {mean.shape}, "
                         f"{std.shape}.")
    keep = ~(np.all(np.isnan(mean), axis=0) | np.all(np.isnan(std), axis=0))
    mean, std = mean[:, keep], std[:, keep]
    if mean.shape[1] == 0 or np.isnan(mean).any() or np.isnan(std).any():
        return float("nan")
    tv = np.abs(np.diff(mean, axis=0)).sum(axis=0) + np.abs(np.diff(std, axis=0)).sum(axis=0)
    scale = std.mean()
    if scale == 0:
        return 0.0 if np.all(tv == 0) else float("inf")
    return float(tv.mean() / scale)


def margin(x: float) -> str:
    """An unsigned margin in percentage points, as the verdicts quote it:
    ``margin(0.1) == "10.0 pp"``."""
    return pp(abs(x)).lstrip("+")


# ---------------------------------------------------------------- the lesson's words
# Each word with a threshold is defined once (the glossary shows it); the verdicts quote these
# thresholds, and the claims' oracles read them back from bnsim.verdict.WORDS.
LOSES = verdict.define(
    "loses accuracy under a shift", "a network loses accuracy under a shift when its test "
    "accuracy on the shifted cloud is more than 10 percentage points below its accuracy on "
    "fresh inputs from the training cloud.", 0.10)
LEARNED_RULE = verdict.define(
    "learned the rule", "a network of the black-cat example learned its rule when it scores "
    "at least 80 % on fresh inputs from the training cloud (the rule is noise-free, so a "
    "15-nearest-neighbour classifier scores close to 100 % there).", 0.80)
RESTORES = verdict.define(
    "restores (AdaBN)", "AdaBN restores the training accuracy when the recalibrated network "
    "scores within 3 percentage points of its accuracy on the training cloud; it makes things "
    "worse when it scores more than 3 points below BN without recalibration.", 0.03)
REDUCES_DRIFT = verdict.define(
    "reduces the drift", "BN reduces the drift D of a layer's inputs when D with BN is more "
    "than 10 % below D without BN (the same seed); more than 10 % above: BN's inputs move "
    "more; in between: no clear difference.", 0.10)
PINNED = verdict.define(
    "pinned (z̃)", "with BN a unit's z̃ is pinned when, at every snapshot, its mean is β within "
    "0.001 and its variance is γ²·σ²/(σ² + ε) within a factor 1 ± 0.001 (σ²: the variance of z "
    "before BN, ε = 1e-5); for σ² ≫ ε that is γ².", 1e-3)
FOLLOWS_LAW = verdict.define(
    "follows 1/√m", "the spread of μ_B follows the 1/√m law between two batch sizes when the "
    "measured shrink factor and the law's (with the finite-set correction) agree within 25 % "
    "on a log scale: |log(measured)/log(law) − 1| ≤ 0.25.", 0.25)
MATCHED = verdict.define(
    "matched training accuracy", "two networks have matched training accuracy when their "
    "accuracies on their own training set differ by at most 2 percentage points; a smaller "
    "train–test gap without it can come from fitting the training set less (underfitting) "
    "rather than from regularisation.", 0.02)
GAP_CHANGE = verdict.define(
    "the loss gap changes", "the train–test loss gap (test loss − training loss) changes "
    "between two batch sizes when it moves by more than 0.05.", 0.05)
ONE_CLASS = verdict.define(
    "mostly one class", "a shifted test cloud is mostly one class when at least 95 % of its "
    "points carry the same label: always answering that label then scores at least 95 %, so "
    "accuracies there say little about what a network learned.", 0.95)


# ---------------------------------------------------------------- mini-batches
def mean_spread_law(sigma, m, N: int | None = None):
    r"""Standard deviation of the mean of m examples drawn without replacement from N values
    whose (biased) standard deviation is σ:  σ/√m · √((N − m)/(N − 1)). Without ``N``
    (infinitely many examples, or drawing with replacement) it is the 1/√m law σ/√m."""
    m = np.asarray(m, dtype=float)
    out = np.asarray(sigma, dtype=float) / np.sqrt(m)
    if N is not None:
        out = out * np.sqrt((N - m) / (N - 1))
    return out


def sample_batches(N: int, m: int, B: int, rng: np.random.Generator) -> np.ndarray:
    """B index arrays of m distinct examples out of N (each a uniformly random m-subset, as a
    batch within the trainer's epochs is): (B, m)."""
    if not 1 <= m <= N:
        raise ValueError(f"batch size must be 1 to {N}; got {m}.")
    keys = rng.random((B, N))
    if m == N:
        return np.argsort(keys, axis=1)
    return np.argpartition(keys, m - 1, axis=1)[:, :m]
