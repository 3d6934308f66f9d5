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


# ---------------------------------------------------------------- claims as facts
def test_a_failed_precondition_must_say_what_happens_instead():
    import pytest

    from bnsim.verdict import Precondition

    with pytest.raises(ValueError, match="says nothing instead"):
        Precondition("k > 1", False)
    assert Precondition("k > 1", True).holds


def test_abstain_says_the_failed_precondition_and_judges_nothing():
    import pytest

    from bnsim.verdict import Outcome, Precondition, abstain, claim

    cid = claim("test.verdict.abstain", where="nowhere", words="x", test="tests/test_verdict.py")
    pre = (Precondition("a", True), Precondition("k > 1", False, "At k = 1 every input gets "
                                                 "the same output."))
    v = abstain(cid, pre, {"k": 1}, lead="Measured 100 %. ")
    assert v.outcome is Outcome.NOT_APPLICABLE and v.failed is pre[1]
    assert v.text == "Measured 100 %. At k = 1 every input gets the same output."
    with pytest.raises(ValueError, match="needs a failed precondition"):
        abstain(cid, pre[:1])


def test_claims_and_words_are_registered_once():
    import pytest

    from bnsim.verdict import Outcome, Verdict, claim, define

    first = claim("test.verdict.once", where="a", words="b", test="tests/test_verdict.py")
    assert claim("test.verdict.once", where="a", words="b", test="tests/test_verdict.py") == first
    with pytest.raises(ValueError, match="registered twice"):
        claim("test.verdict.once", where="a", words="other", test="tests/test_verdict.py")
    with pytest.raises(ValueError, match="unregistered claim"):
        Verdict(Outcome.HOLDS, "x", claim="test.verdict.never")
    define("test word", "means 1", 1.0)  # "test …": left out of docs/claims.md
    with pytest.raises(ValueError, match="defined twice"):
        define("test word", "means 2", 2.0)


def test_recording_collects_every_verdict_made_and_nothing_outside():
    from bnsim.verdict import Outcome, Verdict, recording

    Verdict(Outcome.HOLDS, "before")
    with recording() as made:
        Verdict(Outcome.HOLDS, "inside")
        with recording() as inner:
            Verdict(Outcome.REVERSED, "nested")
    Verdict(Outcome.HOLDS, "after")
    assert [v.text for v in made] == ["inside"] and [v.text for v in inner] == ["nested"]


def test_something_trains_uses_the_glossarys_bar():
    from bnsim.verdict import TRAINS, learnable, something_trains, trains_bar

    assert trains_bar(1.0) == 0.5 + TRAINS.threshold * 0.5 == 0.875
    assert something_trains({"BN": 0.90, "no BN": 0.5}, 1.0).holds
    pre = something_trains({"BN": 0.676, "noisy BN": 0.732}, 0.9975)
    assert not pre.holds and "67.6 %" in pre.instead and "73.2 %" in pre.instead
    assert not learnable(0.5075).holds and learnable(0.69).holds


def test_reference_accuracy_is_a_15_nearest_neighbour_vote():
    import numpy as np

    from bnsim.data import reference_accuracy

    rng = np.random.default_rng(0)
    far = np.r_[rng.normal(-5, 1, (50, 2)), rng.normal(5, 1, (50, 2))]
    labels = np.r_[np.zeros(50), np.ones(50)]
    assert reference_accuracy(far, labels, far, labels) == 1.0
    noise = rng.normal(0, 1, (400, 2))
    coin = rng.integers(0, 2, 400)
    assert abs(reference_accuracy(noise[:200], coin[:200], noise[200:], coin[200:]) - 0.5) < 0.1
    # one example, k = 1: its own label
    assert reference_accuracy([[0, 0], [3, 3]], [0, 1], [[2.9, 3]], [1], k=1) == 1.0


def test_say_marks_every_thresholded_word_once_outside_math():
    from bnsim.verdict import say

    text = "Noisy BN trains about as well as BN; a network *trains* at ≥ 87 %; $\\text{trains}$."
    assert say(text) == ("Noisy BN *trains* *about as well* as BN; a network *trains* at ≥ 87 %;"
                         " $\\text{trains}$.")
    assert say("it retrains") == "it retrains"


def test_num_counts_significant_digits_after_rounding():
    from bnsim.verdict import num

    assert [num(0.99995), num(9.9999), num(-0.99995), num(123456)] == [
        "1.00", "10.0", "-1.00", "123456"]
