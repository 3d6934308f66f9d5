"""The lecture claims the "Running statistics" page demonstrates at its defaults and presets,
over 10 seeds each: every claim must hold in at least 8 of them.

Each seed trains the page's own network through the page's own path (``train_run`` with the
control defaults and the preset's values, data and weights seeded alike, as the Seed control
does), and the verdict is the one the page renders. Thresholds are those of the verdict
functions in ``bnsim/lessons/running_stats/`` (one module per tab); what was measured is in the
comments (10 seeds, this machine).
"""

from __future__ import annotations

from functools import lru_cache

import pytest

from bnsim.lessons.running_stats import common
from bnsim.lessons.running_stats.error_vs_population import (
    start_value_lag_verdict,
    trails_verdict,
)
from bnsim.lessons.running_stats.trajectory import settles_verdict, variance_shortfall_verdict
from bnsim.ui.running_stats import LESSON, error_vs_population, trajectory
from bnsim.ui.running_stats.common import View, compute_view, train_run
from bnsim.verdict import Outcome

SEEDS = tuple(range(10))
NEED = 8  # of 10
LECTURE, SLOW, TINY, LEARNING = LESSON.all_presets  # the four lecture moments, in order


@lru_cache(maxsize=8)
def views(preset: str) -> tuple[View, ...]:
    """The page's view at ``preset`` for each seed (the preset's values over the defaults)."""
    v = {c.key: c.default for c in LESSON.all_controls} | dict(LESSON.all_presets[preset].values)
    out = []
    for seed in SEEDS:
        run = train_run({**v, "seed": seed})
        assert not run.trace.diverged
        choice = common.check_unit(run.trace.net, v["layer"], v["unit"])
        out.append(compute_view(run, choice.layer, choice.unit, {**v, "seed": seed}))
    return tuple(out)


def _count(verdicts, outcome=Outcome.HOLDS) -> int:
    return sum(v.outcome is outcome for v in verdicts)


def _settles(view: View, name: str, stat: str):
    return settles_verdict(view.errs.steps, view.errs.rel[stat][name], view.tol, name, stat)


@pytest.mark.parametrize("stat", ["mean", "var"])
def test_lecture_beta_09_the_ema_stays_within_the_tolerance(stat):
    """β_EMA = 0.9, tolerance 20 % (the default): the EMA of μ and of σ² stays within the
    tolerance from some step on (10 of 10 each; at 10 % σ² held in only 8 of 10)."""
    verdicts = [_settles(view, "ema", stat) for view in views(LECTURE)]
    assert _count(verdicts) >= NEED, [v.text for v in verdicts]


def test_lecture_beta_09_the_cumulative_average_trails():
    """At the defaults (learning rate 0.01) the cumulative average ends ≥ 2× as far off as the
    EMA and ≥ 10 % off (mostly in σ², which grows while the network learns): 10 of 10."""
    verdicts = [trails_verdict(view.us, view.errs, view.variance)
                for view in views(LECTURE)]
    assert _count(verdicts) >= NEED, [v.text for v in verdicts]


def test_slow_beta_0999_the_ema_ends_further_off_than_at_beta_09():
    """The slow preset changes only β_EMA, so its runs are the lecture preset's: after step
    1000 the start value 0 still weighs 0.999^1000 = 36.8 % and the EMA of μ ends further
    from μ_pop than at β_EMA = 0.9 (10 of 10 measured: 1.1–55 % against 0–2.9 % of σ_pop).
    Whether that is outside the tolerance depends on the unit (7 of 10 at 20 %), so the
    takeaway says it per unit, from ``settles``."""
    slow = [_settles(view, "ema", "mean").evidence["final"] for view in views(SLOW)]
    fast = [_settles(view, "ema", "mean").evidence["final"] for view in views(LECTURE)]
    assert sum(s > f for s, f in zip(slow, fast, strict=True)) >= NEED, (slow, fast)


def test_slow_beta_0999_bias_correction_helps():
    """...and the bias-corrected EMA is closer by more than 5 % of σ_pop (9 of 10 measured)."""
    verdicts = [start_value_lag_verdict(view.us, view.est, view.errs, "mean", view.variance)
                for view in views(SLOW)]
    assert _count(verdicts) >= NEED, [v.text for v in verdicts]
    assert all(v.evidence["weight"] == pytest.approx(0.999 ** 1000) for v in verdicts)


def test_tiny_batches_the_biased_batch_variance_averages_m_minus_1_over_m():
    """m = 4, layer 1: the biased σ²_B average (m − 1)/m = 75 % of σ²_pop — below 100 % beyond
    two standard errors in 10 of 10 seeds, and within 12 points of 75 % (measured 69–86 %)."""
    verdicts = [variance_shortfall_verdict(view.us, view.variance, view.bn_below)
                for view in views(TINY)]
    assert all(view.us.m == 4 and view.us.layer == 1 and not view.bn_below
               for view in views(TINY))
    near = [v.holds and abs(v.evidence["ratio"] - 0.75) <= 0.12 for v in verdicts]
    assert sum(near) >= NEED, [v.text for v in verdicts]


def test_tiny_batches_the_unbiased_variance_shows_no_shortfall():
    """The same runs with the unbiased m/(m − 1)·σ²_B: no shortfall beyond the noise."""
    verdicts = [variance_shortfall_verdict(view.us, "unbiased", view.bn_below)
                for view in views(TINY)]
    assert _count(verdicts, Outcome.NO_EFFECT) >= NEED, [v.text for v in verdicts]


def test_network_still_learning_the_cumulative_average_trails():
    """Learning rate 0.1, β_EMA = 0.99, layer 2 unit 3: the cumulative average ends ≥ 2× as
    far off as the EMA and ≥ 10 % off, in μ or σ² (9 of 10 measured)."""
    verdicts = [trails_verdict(view.us, view.errs, view.variance)
                for view in views(LEARNING)]
    assert _count(verdicts) >= NEED, [v.text for v in verdicts]


@pytest.mark.parametrize("preset", [LECTURE, SLOW, TINY, LEARNING])
def test_every_takeaway_of_a_preset_has_at_most_two_sentences(preset):
    for view in views(preset)[:3]:
        for text in (trajectory.trajectory_takeaway(view), trajectory.variance_takeaway(view),
                     error_vs_population.error_takeaway(view)):
            assert _sentences(text) <= 2, text


def _sentences(text: str) -> int:
    """Sentence ends: '. ' or a final '.', not decimal points or abbreviations like 'e.g.'."""
    import re

    return len(re.findall(r"[.!?](?:\s+(?=[A-Zμσβ])|$)", text.strip()))
