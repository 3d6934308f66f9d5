"""Verdicts and number formats shared by every lesson."""

import math

import pytest

from bnsim import notation
from bnsim.verdict import Outcome, compare, num, pct, pp, runs


@pytest.mark.parametrize("effect, expected", [
    (0.2, Outcome.HOLDS), (-0.2, Outcome.REVERSED), (0.05, Outcome.NO_EFFECT),
    (-0.1, Outcome.NO_EFFECT), (math.nan, Outcome.NOT_APPLICABLE),
    (math.inf, Outcome.NOT_APPLICABLE),
])
def test_compare_has_a_branch_per_outcome(effect, expected):
    assert compare(effect, 0.1) is expected


def test_formats():
    assert pct(0.9876) == "98.8 %" and pct(1.0, 0) == "100 %" and pct(math.nan) == "n/a"
    assert pp(0.052) == "+5.2 pp" and pp(-0.01) == "-1.0 pp"
    assert num(2.2049) == "2.20" and num(0.00052) == "0.000520" and num(0) == "0"
    assert num(123456.0) == "123456" and num(4e-15) == "4.00e-15"
    assert runs(9, 10) == "in 9 of 10 runs" and runs(1, 1) == "in 1 of 1 run"


def test_every_glossary_term_is_explained_in_a_sentence():
    for term, text in notation.TERMS.items():
        assert term and text.endswith((".", ")")), term
