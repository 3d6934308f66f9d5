"""Verdicts computed from numbers, and one format per kind of number.

A sentence on screen that judges ("BN reduces the drift", "does not repair input shift") is a
claim a lecturer reads aloud. Each such claim is a function of the numbers beside it that
returns a :class:`Verdict`: the outcome, chosen by explicit thresholds with a branch for every
case, and the evidence it rests on. The takeaway sentence is then rendered from the verdict, so
no slider can turn a printed sentence false.

**Claims as facts.** A verdict names the claim it decides (``claim``, an id registered with
:func:`claim` beside the verdict's function, which also says where it is shown, its words, its
preconditions, its threshold and the test that checks it — ``docs/claims.md`` is that table).
It lists the **preconditions** under which its words mean what they say
(:class:`Precondition`: "something trains", "k > 1", "the difference exceeds the seed-to-seed
spread"); when one fails, the verdict abstains (:func:`abstain`) and its text says what happens
instead. Each word with a threshold ("about as well", "trails", "pinned", "trains") is defined
once with :func:`define` and shown in the page's glossary. ``raw`` carries the arrays the
numbers were computed from, so an audit can recompute the claim independently; while
:func:`recording` is active every verdict made is collected (nothing is kept otherwise).

Numbers are formatted by :func:`pct` (accuracies, shares: always "98.8 %"), :func:`num`
(other quantities, 3 significant digits) and :func:`runs` ("in 9 of 10 runs").
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """What the numbers say about a claim."""

    HOLDS = "holds"  # the effect the lecture describes is there, beyond the threshold
    REVERSED = "reversed"  # the opposite effect, beyond the threshold
    NO_EFFECT = "no effect"  # the difference is within the threshold
    NOT_APPLICABLE = "does not apply"  # the claim's precondition is missing (e.g. no shift)


@dataclass(frozen=True)
class Precondition:
    """What must be true for a claim's words to mean what they say, whether it is, and the
    sentence the screen shows instead when it is not."""

    name: str  # e.g. "something trains", "k > 1"
    holds: bool
    instead: str = ""  # said instead of the claim when the precondition fails

    def __post_init__(self):
        if not self.holds and not self.instead:
            raise ValueError(f"precondition {self.name!r} fails but says nothing instead.")


@dataclass(frozen=True)
class Verdict:
    """A claim's outcome, the sentence that says it, and the numbers behind it."""

    outcome: Outcome
    text: str  # one or two sentences that name every number they quote
    evidence: Mapping[str, float] = field(default_factory=dict)  # the numbers it rests on
    threshold: float | None = None  # the margin that separates an effect from no effect
    claim: str = ""  # the id of the claim (see :func:`claim`); "" only in old code paths
    preconditions: tuple[Precondition, ...] = ()  # checked before the words were chosen
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        if self.claim and self.claim not in CLAIMS:
            raise ValueError(f"verdict of an unregistered claim {self.claim!r}.")
        if _LEDGER.records is not None:
            _LEDGER.records.append(self)

    @property
    def holds(self) -> bool:
        return self.outcome is Outcome.HOLDS

    @property
    def failed(self) -> Precondition | None:
        """The first precondition that does not hold (None: all hold)."""
        return first_failed(self.preconditions)


def first_failed(preconditions: Sequence[Precondition]) -> Precondition | None:
    """The first of ``preconditions`` that does not hold, or None."""
    return next((p for p in preconditions if not p.holds), None)


def abstain(claim_id: str, preconditions: Sequence[Precondition], evidence: Mapping | None = None,
            threshold: float | None = None, raw: Mapping | None = None, lead: str = "") -> Verdict:
    """The verdict of a claim whose precondition failed: NOT_APPLICABLE, its text the failed
    precondition's ``instead`` (after ``lead``, e.g. the numbers measured)."""
    failed = first_failed(preconditions)
    if failed is None:
        raise ValueError(f"{claim_id}: abstain() needs a failed precondition.")
    return Verdict(Outcome.NOT_APPLICABLE, lead + failed.instead, dict(evidence or {}), threshold,
                   claim_id, tuple(preconditions), dict(raw or {}))


# ---------------------------------------------------------------- the claims' register
@dataclass(frozen=True)
class Claim:
    """One claim the app can show: a row of ``docs/claims.md``."""

    id: str  # "<lesson stem>.<tab module>.<name>", e.g. "testtime.skewed_batches.skew"
    where: str  # page → tab (→ part of the view)
    words: str  # the sentence(s), with their variants, as the screen says them
    preconditions: tuple[str, ...]  # what must hold, and what is said when it does not
    threshold: str  # the margin(s), with their glossary words
    test: str  # the test(s) that check it: "tests/test_x.py::test_y"


CLAIMS: dict[str, Claim] = {}


def claim(id: str, *, where: str, words: str, preconditions: Sequence[str] = (),
          threshold: str = "", test: str = "") -> str:
    """Register a claim (once, at import, beside the function that decides it); returns its
    id, to pass to :class:`Verdict`. Registering one id twice with other words raises."""
    new = Claim(id, where, words, tuple(preconditions), threshold, test)
    if CLAIMS.setdefault(id, new) != new:
        raise ValueError(f"claim {id!r} is registered twice, differently.")
    return id


# ---------------------------------------------------------------- words with a threshold
@dataclass(frozen=True)
class Word:
    """A word the screen uses with a threshold, defined once and shown in the glossary."""

    term: str
    meaning: str  # one sentence, quoting the threshold
    threshold: float | None = None


WORDS: dict[str, Word] = {}


def define(term: str, meaning: str, threshold: float | None = None) -> Word:
    """Define a thresholded word once (at import); defining it again differently raises."""
    new = Word(term, meaning, threshold)
    if WORDS.setdefault(term, new) != new:
        raise ValueError(f"the word {term!r} is defined twice, differently.")
    return new


LEARNABLE_MIN = 0.60  # a 15-NN classifier must beat chance (50 %) by this much
TRAINS_SHARE = 0.75  # a network trains when it gets this share of the way from chance to 15-NN
LEARNABLE = define(
    "learnable", "a data set is learnable here when a 15-nearest-neighbour classifier, fitted "
    f"on the same training set, reaches at least {100 * LEARNABLE_MIN:.0f} % test accuracy "
    "(chance is 50 %).", LEARNABLE_MIN)
TRAINS = define(
    "trains", "a network trains when its test accuracy gets at least "
    f"{100 * TRAINS_SHARE:.0f} % of the way from chance (50 %) to what a 15-nearest-neighbour "
    "classifier reaches on the same data, on a learnable data set.", TRAINS_SHARE)


ABOUT_AS_WELL = define(
    "about as well", "two test accuracies are about as good when they differ by at most 2 "
    "percentage points, in either direction; beyond that one is better or worse.", 0.02)


def trains_bar(reference: float) -> float:
    """The test accuracy at which a network :data:`TRAINS`, given the 15-NN ``reference``."""
    return 0.5 + TRAINS_SHARE * (reference - 0.5)


def learnable(reference: float, what: str = "this data set") -> Precondition:
    """The precondition "the data is learnable" (15-NN accuracy ``reference``)."""
    return Precondition("the data is learnable", bool(reference >= LEARNABLE_MIN),
                        f"Nothing can be learned from {what} at this noise: a "
                        f"15-nearest-neighbour classifier gets {pct(reference)} test accuracy "
                        "(chance is 50 %), so no claim about training is made.")


def something_trains(accuracies: Mapping[str, float], reference: float,
                     besides: Mapping[str, float] | None = None) -> Precondition:
    """The precondition "at least one of the networks compared trains" (``accuracies``:
    {label: test accuracy}; ``reference``: the 15-NN accuracy on the same data). ``besides``:
    networks on screen that are not compared; those that train are named, so that "none of
    these" is not read as "none at all"."""
    bar = trains_bar(reference)
    ok = any(math.isfinite(a) and a >= bar for a in accuracies.values())
    said = ", ".join(f"{k} {pct(a)}" for k, a in accuracies.items())
    others = [f"{k} does ({pct(a)})" for k, a in (besides or {}).items()
              if math.isfinite(a) and a >= bar]
    return Precondition("something trains", ok,
                        f"None of these networks trains ({said}; a network *trains* at "
                        f"≥ {pct(bar)} here, see the glossary), so none is judged better or "
                        "worse" + (f" — though {', '.join(others)}." if others else "."))


def say(text: str | Verdict) -> str:
    """The one renderer of claims: a verdict's text (or a sentence made of verdicts' texts)
    with every word of the glossary's :data:`WORDS` in italics, outside math, so a reader sees
    which words carry a threshold (each is explained in the glossary)."""
    text = text.text if isinstance(text, Verdict) else text
    parts = re.split(r"(\$[^$]*\$)", text)  # keep $…$ math untouched
    for word in sorted(WORDS, key=len, reverse=True):
        pattern = re.compile(rf"(?<![\w*]){re.escape(word)}(?![\w*])")
        parts = [p if p.startswith("$") else pattern.sub(f"*{word}*", p) for p in parts]
    return "".join(parts)


# ---------------------------------------------------------------- the audit's ledger
class _Ledger:
    records: list[Verdict] | None = None  # process-wide: a page test runs its script in
    lock = threading.RLock()  # another thread; only the audit (one setting at a time) records


_LEDGER = _Ledger()


def remade(v: Verdict) -> Verdict:
    """A verdict taken from a cache, made again for this rerun (an equal copy). A view may
    cache its verdicts with the figures they describe, so a slider move costs no recomputing;
    but the claims audit collects every verdict *made* while a page renders
    (:func:`recording`), and a verdict shown must be one it sees."""
    return replace(v)


@contextmanager
def recording() -> Iterator[list[Verdict]]:
    """Collect every verdict made in this process while active (for the claims audit, which
    renders one setting at a time)."""
    with _LEDGER.lock:
        outer, _LEDGER.records = _LEDGER.records, []
        try:
            yield _LEDGER.records
        finally:
            _LEDGER.records = outer


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
    rounded = float(f"{x:.{digits - 1}e}")  # the magnitude after rounding: 0.99995 → "1.00"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(rounded))))
    return f"{x:.{decimals}f}"


def runs(k: int, n: int) -> str:
    """How many of n runs (seeds) showed an effect: ``runs(9, 10) == "in 9 of 10 runs"``."""
    return f"in {k} of {n} run{'s' if n != 1 else ''}"
