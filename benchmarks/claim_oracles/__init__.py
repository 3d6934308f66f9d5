"""The claims audit's oracles: per lesson, ``ORACLES = {claim id: oracle}``.

An oracle takes one :class:`bnsim.verdict.Verdict` and returns the problems it finds ([]: the
claim is true). It recomputes the claim from the verdict's ``raw`` arrays with its own code —
never with the functions that made the verdict — and checks that the words on screen follow
from the numbers: the outcome, each thresholded word (thresholds from the glossary's words,
:data:`bnsim.verdict.WORDS`), the preconditions, and the numbers quoted.

Helpers shared by the oracles are below; they, too, are written apart from ``bnsim``.
"""

from __future__ import annotations

import math
import re

import numpy as np

from bnsim import verdict


def knn_accuracy(X, y, X_test, y_test, k: int = 15) -> float:
    """Test accuracy of a k-nearest-neighbour vote (ties: class 0), by a full sort."""
    X, X_test = np.asarray(X, float), np.asarray(X_test, float)
    y, y_test = np.asarray(y).ravel(), np.asarray(y_test).ravel()
    d = np.sqrt(((X_test[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    nearest = np.argsort(d, axis=1, kind="stable")[:, :k]
    return float(np.mean((y[nearest].sum(axis=1) * 2 > k) == (y_test == 1)))


def trains_bar(reference: float) -> float:
    """The accuracy at which a network *trains* (the glossary's definition)."""
    return 0.5 + verdict.TRAINS.threshold * (reference - 0.5)


def percents(text: str) -> list[float]:
    """Every "12.3 %" in ``text``, as shares (0.123)."""
    return [float(x) / 100 for x in re.findall(r"(-?\d+(?:\.\d+)?)\s?%", text)]


def quoted(text: str, share: float, digits: int = 1) -> bool:
    """Whether ``share`` appears in ``text`` as a percentage rounded to ``digits``."""
    return f"{100 * share:.{digits}f} %" in text


def close(a: float, b: float, tol: float = 1e-9) -> bool:
    return math.isfinite(a) and math.isfinite(b) and abs(a - b) <= tol * max(1.0, abs(b))


def expect(ok: bool, problem: str) -> list[str]:
    """``[problem]`` unless ``ok``."""
    return [] if ok else [problem]
