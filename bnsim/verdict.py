"""Verdicts computed from numbers, and one format per kind of number.

A sentence on screen that judges ("BN reduces the drift", "does not repair input shift") is a
claim a lecturer reads aloud. Each such claim is a function of the numbers beside it that
returns a :class:`Verdict`: the outcome, chosen by explicit thresholds with a branch for every
case, and the evidence it rests on. The takeaway sentence is then rendered from the verdict, so
no slider can turn a printed sentence false.

Numbers are formatted by :func:`pct` (accuracies, shares: always "98.8 %"), :func:`num`
(other quantities, 3 significant digits) and :func:`runs` ("in 9 of 10 runs").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    """What the numbers say about a claim."""

    HOLDS = "holds"  # the effect the lecture describes is there, beyond the threshold
    REVERSED = "reversed"  # the opposite effect, beyond the threshold
    NO_EFFECT = "no effect"  # the difference is within the threshold
    NOT_APPLICABLE = "does not apply"  # the claim's precondition is missing (e.g. no shift)


@dataclass(frozen=True)
class Verdict:
    """A claim's outcome, the sentence that says it, and the numbers behind it."""

    outcome: Outcome
    text: str  # one or two sentences that name every number they quote
    evidence: Mapping[str, float] = field(default_factory=dict)  # the numbers it rests on
    threshold: float | None = None  # the margin that separates an effect from no effect

    @property
    def holds(self) -> bool:
        return self.outcome is Outcome.HOLDS


def compare(effect: float, threshold: float) -> Outcome:
    """HOLDS when ``effect`` > threshold, REVERSED when < −threshold, else NO_EFFECT;
    NOT_APPLICABLE when the effect is not a finite number (e.g. a run diverged)."""
    if not math.isfinite(effect):
        return Outcome.NOT_APPLICABLE
    if effect > threshold:
        return Outcome.HOLDS
    if effect < -threshold:
        return Outcome.REVERSED
    return Outcome.NO_EFFECT


def pct(x: float, digits: int = 1) -> str:
    """A share or an accuracy in [0, 1] as a percentage: ``pct(0.9876) == "98.8 %"``."""
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{100 * x:.{digits}f} %"


def pp(x: float, digits: int = 1) -> str:
    """A difference of two shares in percentage points, signed: ``pp(0.052) == "+5.2 pp"``."""
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{100 * x:+.{digits}f} pp"


def num(x: float, digits: int = 3) -> str:
    """Any other quantity with ``digits`` significant digits, without scientific notation for
    everyday sizes: ``num(2.2049) == "2.20"``, ``num(0.00052) == "0.000520"``."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    if abs(x) < 1e-4 or abs(x) >= 1e6:
        return f"{x:.{digits - 1}e}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    return f"{x:.{decimals}f}"


def runs(k: int, n: int) -> str:
    """How many of n runs (seeds) showed an effect: ``runs(9, 10) == "in 9 of 10 runs"``."""
    return f"in {k} of {n} run{'s' if n != 1 else ''}"
