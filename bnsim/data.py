"""Toy 2-D classification data, deterministic per seed.

Every generator in :data:`DATASETS` shares one signature ``(n, noise, rng) -> (X, y)`` with
``X`` (n, 2) float and ``y`` (n,) int in {0, 1}; :func:`make_dataset` validates and seeds.

:func:`make_shift` is the lecture's "trained on black cats, tested on coloured cats": one fixed
labelling rule, training inputs from one region and test inputs from a region moved by ``shift``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

Generator = Callable[[int, float, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def _halves(n: int) -> tuple[int, int]:
    return n - n // 2, n // 2


def moons(n: int, noise: float, rng: np.random.Generator):
    """Two interleaving half circles."""
    n0, n1 = _halves(n)
    t0, t1 = rng.uniform(0, np.pi, n0), rng.uniform(0, np.pi, n1)
    x0 = np.c_[np.cos(t0), np.sin(t0)]
    x1 = np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]
    X = np.r_[x0, x1] + noise * rng.standard_normal((n, 2))
    return X, np.r_[np.zeros(n0, int), np.ones(n1, int)]


def circles(n: int, noise: float, rng: np.random.Generator):
    """A small circle (class 1) inside a large one (class 0)."""
    n0, n1 = _halves(n)
    t = rng.uniform(0, 2 * np.pi, n)
    r = np.r_[np.ones(n0), 0.5 * np.ones(n1)]
    X = r[:, None] * np.c_[np.cos(t), np.sin(t)] + noise * rng.standard_normal((n, 2))
    return X, np.r_[np.zeros(n0, int), np.ones(n1, int)]


def xor(n: int, noise: float, rng: np.random.Generator):
    """Four quadrants; class 1 where the two coordinates have opposite signs."""
    X = rng.uniform(-1, 1, (n, 2))
    y = (X[:, 0] * X[:, 1] < 0).astype(int)
    return X + noise * rng.standard_normal((n, 2)), y


def blobs(n: int, noise: float, rng: np.random.Generator):
    """Two Gaussian blobs; ``noise`` adds to their unit-free spread of 0.5."""
    n0, n1 = _halves(n)
    centres = np.r_[np.tile([[-1.0, -1.0]], (n0, 1)), np.tile([[1.0, 1.0]], (n1, 1))]
    X = centres + (0.5 + noise) * rng.standard_normal((n, 2))
    return X, np.r_[np.zeros(n0, int), np.ones(n1, int)]


def spiral(n: int, noise: float, rng: np.random.Generator):
    """Two interleaved spirals, about 1.5 turns each."""
    n0, n1 = _halves(n)
    out = []
    for k, nk in enumerate((n0, n1)):
        t = np.sqrt(rng.uniform(0, 1, nk)) * 3 * np.pi
        r = t / (3 * np.pi)
        out.append(np.c_[r * np.cos(t + k * np.pi), r * np.sin(t + k * np.pi)])
    X = np.r_[out[0], out[1]] + noise * rng.standard_normal((n, 2))
    return X, np.r_[np.zeros(n0, int), np.ones(n1, int)]


DATASETS: dict[str, Generator] = {
    "moons": moons, "circles": circles, "xor": xor, "blobs": blobs, "spiral": spiral,
}
MAX_N = 20_000


def _check(n: int, noise: float, seed: int, what: str = "n") -> None:
    if not isinstance(n, (int, np.integer)) or not 2 <= n <= MAX_N:
        raise ValueError(f"{what} must be a whole number from 2 to {MAX_N}; got {n!r}.")
    if not (np.isfinite(noise) and 0.0 <= noise <= 2.0):
        raise ValueError(f"noise must be a number from 0 to 2; got {noise!r}.")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number ≥ 0; got {seed!r}.")


def make_dataset(name: str, n: int = 400, noise: float = 0.1, seed: int = 0):
    """``(X, y)`` of dataset ``name`` (a key of :data:`DATASETS`), shuffled, deterministic per
    seed. ``X`` (n, 2) float, ``y`` (n,) int in {0, 1}."""
    if name not in DATASETS:
        raise ValueError(f"dataset must be one of {sorted(DATASETS)}; got {name!r}.")
    _check(n, noise, seed)
    rng = np.random.default_rng(seed)
    X, y = DATASETS[name](int(n), float(noise), rng)
    order = rng.permutation(len(y))
    return X[order], y[order]


def train_test(name: str, n_train: int, n_test: int, noise: float, seed: int):
    """Train and test sets drawn independently from the same distribution (seeds differ)."""
    _check(n_test, noise, seed, "n_test")
    X, y = make_dataset(name, n_train, noise, seed)
    Xt, yt = make_dataset(name, n_test, noise, seed + 1_000_003)
    return X, y, Xt, yt


# ---------------------------------------------------------------- covariate shift
def _rule_sine(X):
    return (X[:, 1] > np.sin(1.5 * X[:, 0])).astype(int)


def _rule_circle(X):
    return (np.hypot(X[:, 0], X[:, 1]) < 1.5).astype(int)


def _rule_linear(X):
    return (X[:, 1] > 0.5 * X[:, 0]).astype(int)


RULES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sine": _rule_sine, "circle": _rule_circle, "linear": _rule_linear,
}


class ShiftData(NamedTuple):
    """Covariate-shift data: one rule, two input distributions."""

    X_train: np.ndarray  # (n_train, 2)
    y_train: np.ndarray  # (n_train,)
    X_test: np.ndarray  # (n_test, 2), the shifted inputs
    y_test: np.ndarray  # (n_test,)
    rule: str
    train_centre: np.ndarray  # (2,)
    test_centre: np.ndarray  # (2,)


def label_rule(rule: str, X) -> np.ndarray:
    """The fixed labelling rule ("cat or not"): ``y`` (n,) for inputs ``X`` (n, 2)."""
    if rule not in RULES:
        raise ValueError(f"rule must be one of {sorted(RULES)}; got {rule!r}.")
    return RULES[rule](np.asarray(X, dtype=float))


def make_shift(
    rule: str = "sine", shift: float = 1.0, n_train: int = 400, n_test: int = 400,
    spread: float = 0.8, test_scale: float = 1.0, label_noise: float = 0.0, seed: int = 0,
) -> ShiftData:
    """Training inputs ~ N(c, spread²·I) at c = (−1.5, 0); test inputs ~ N(c + (shift, shift/2),
    (test_scale·spread)²·I). Labels come from the same :func:`label_rule` on both sides (the
    rule never changes, only where the inputs lie); ``label_noise`` flips that fraction.

    Allowed: ``shift`` in [0, 5]; ``spread`` and ``test_scale`` in (0, 3];
    ``label_noise`` in [0, 0.5].
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {sorted(RULES)}; got {rule!r}.")
    _check(n_train, 0.0, seed, "n_train")
    _check(n_test, 0.0, seed, "n_test")
    checks = (("shift", shift, 0.0, 5.0, True), ("spread", spread, 0.0, 3.0, False),
              ("test_scale", test_scale, 0.0, 3.0, False),
              ("label_noise", label_noise, 0.0, 0.5, True))
    for name, v, lo, hi, closed in checks:
        ok = np.isfinite(v) and (lo <= v if closed else lo < v) and v <= hi
        if not ok:
            bracket = "[" if closed else "("
            raise ValueError(f"{name} must be in {bracket}{lo}, {hi}]; got {v!r}.")
    rng = np.random.default_rng(seed)
    c_train = np.array([-1.5, 0.0])
    c_test = c_train + np.array([shift, shift / 2])
    Xtr = c_train + spread * rng.standard_normal((n_train, 2))
    Xte = c_test + test_scale * spread * rng.standard_normal((n_test, 2))
    ytr, yte = label_rule(rule, Xtr), label_rule(rule, Xte)
    if label_noise > 0:
        ytr = np.where(rng.random(n_train) < label_noise, 1 - ytr, ytr)
        yte = np.where(rng.random(n_test) < label_noise, 1 - yte, yte)
    return ShiftData(Xtr, ytr, Xte, yte, rule, c_train, c_test)


def reference_accuracy(X, y, X_test, y_test, k: int = 15) -> float:
    """Test accuracy of a ``k``-nearest-neighbour classifier fitted on (X, y): what these data
    allow without any network, the yardstick of the glossary's word *trains*
    (:data:`bnsim.verdict.TRAINS`). Ties (an even vote) count as class 0."""
    X, X_test = np.asarray(X, dtype=float), np.asarray(X_test, dtype=float)
    y, y_test = np.asarray(y).ravel(), np.asarray(y_test).ravel()
    if not 1 <= k <= len(X):
        raise ValueError(f"k must be in 1 … {len(X)} (the training set's size); got {k}.")
    d = ((X_test[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    nearest = np.argpartition(d, k - 1, axis=1)[:, :k]
    predicted = (y[nearest].mean(axis=1) > 0.5).astype(y_test.dtype)
    return float(np.mean(predicted == y_test))
