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


# ---- every claim against its oracle (benchmarks/claim_oracles/running_stats.py), 10 seeds ----
# Settings: the defaults (layer 2, BN below), a batch of two (issue 19, case 3), layer 1 with
# the biased σ²_B, a layer without BN above one with BN, a BN layer with none below, a layer
# without BN and none below, the learning preset and extremes of β.
ORACLE_SETTINGS = {
    "defaults": {},
    "batch of two": {"batch": 2},
    "layer 1, biased": {"layer": 1, "var": "biased"},
    "no BN in layer 2": {"bn": ["1"]},
    "BN in layer 2 only": {"bn": ["2"]},
    "no BN in layer 1": {"bn": ["2"], "layer": 1},
    "still learning": {"lr": 0.1, "ema_beta": 0.99, "unit": 3},
    "β_EMA = 0": {"ema_beta": 0.0, "steps": 200},
    "β_EMA = 0.999, 50 steps": {"ema_beta": 0.999, "steps": 50, "batch": 2},
}


@lru_cache(maxsize=16)
def recorded(setting: str) -> tuple:
    """Every verdict the page's sentences make at ``setting`` for each seed (all tabs)."""
    from bnsim import verdict
    from bnsim.ui.running_stats import distribution_at_a_step, frameworks, step_by_step

    v = {c.key: c.default for c in LESSON.all_controls} | ORACLE_SETTINGS[setting]
    out = []
    for seed in SEEDS:
        vs = {**v, "seed": seed}
        run = train_run(vs)
        choice = common.check_unit(run.trace.net, vs["layer"], vs["unit"])
        view = compute_view(run, choice.layer, choice.unit, vs)
        with verdict.recording() as made:
            trajectory.trajectory_takeaway(view)
            trajectory.variance_takeaway(view)
            trajectory.eval_takeaway(view)
            if view.est is not None:
                error_vs_population.error_takeaway(view)
                step_by_step.scrub_takeaway(view.beta)
                frameworks.framework_note(run, view)
            dist = distribution_at_a_step.distribution_of(run, view.us.layer, view.us.unit,
                                                          vs["step"])
            distribution_at_a_step.distribution_takeaway(
                dist, distribution_at_a_step.marks_at(view, dist.step), view)
        out += list(made)
    return tuple(out)


def _oracle_over_seeds(claim_id: str, need: int = 1) -> None:
    """Every verdict of ``claim_id`` made at any of the settings, over 10 seeds, is true by
    its oracle (no claim without a claim id); it is made at least ``need`` times."""
    from benchmarks.claim_oracles.running_stats import ORACLES

    made = [v for s in ORACLE_SETTINGS for v in recorded(s) if v.claim == claim_id]
    assert len(made) >= need, (claim_id, len(made))
    problems = [(v.text, p) for v in made for p in ORACLES[claim_id](v)]
    assert not problems, problems[:5]


def test_every_verdict_of_the_page_names_a_claim_with_an_oracle():
    from benchmarks.claim_oracles.running_stats import ORACLES

    ids = {v.claim for s in ORACLE_SETTINGS for v in recorded(s)}
    assert "" not in ids
    assert ids <= set(ORACLES), ids - set(ORACLES)


def test_settles_oracle_over_seeds():
    _oracle_over_seeds("running_stats.trajectory.settles", need=100)


def test_tracking_oracle_over_seeds():
    _oracle_over_seeds("running_stats.trajectory.tracking", need=100)


def test_batch_variance_oracle_over_seeds():
    _oracle_over_seeds("running_stats.trajectory.batch_variance", need=20)


def test_batch_mates_oracle_over_seeds():
    _oracle_over_seeds("running_stats.trajectory.batch_mates", need=40)


def test_eval_spread_oracle_over_seeds():
    _oracle_over_seeds("running_stats.trajectory.eval_spread", need=10)


def test_batch_mean_spread_oracle_over_seeds():
    _oracle_over_seeds("running_stats.trajectory.batch_mean_spread", need=10)


def test_mean_batch_mates_oracle_over_seeds():
    """Layer 2 without BN, BN in layer 1: the replayed mini-batches scatter as random ones
    predict, the recorded μ_B much less (layer 1's BN centres each mini-batch)."""
    _oracle_over_seeds("running_stats.trajectory.mean_batch_mates", need=10)
    made = [v for v in recorded("no BN in layer 2")
            if v.claim == "running_stats.trajectory.mean_batch_mates"]
    assert sum(0.8 <= v.evidence["iid_ratio"] <= 1.25 for v in made) >= NEED
    assert sum(v.holds and v.evidence["factor"] < 0.8 for v in made) >= NEED, \
        [v.text for v in made]


def test_start_value_lag_oracle_over_seeds():
    _oracle_over_seeds("running_stats.error_vs_population.start_value_lag", need=50)


def test_trails_oracle_over_seeds():
    _oracle_over_seeds("running_stats.error_vs_population.trails", need=50)


def test_distribution_gaps_oracle_over_seeds():
    _oracle_over_seeds("running_stats.distribution_at_a_step.gaps", need=50)


def test_own_values_oracle_over_seeds():
    """The network's own running estimates are the PyTorch row at β_EMA = 0.9 (every seed)."""
    _oracle_over_seeds("running_stats.frameworks.own_values", need=50)
    made = [v for s in ORACLE_SETTINGS for v in recorded(s)
            if v.claim == "running_stats.frameworks.own_values"]
    assert all(v.holds for v in made)


def test_start_weight_oracle():
    from benchmarks.claim_oracles.running_stats import ORACLES

    for beta in (0.0, 0.001, 0.5, 0.9, 0.99, 0.999):
        v = common.start_weight_verdict(beta)
        assert ORACLES[v.claim](v) == [], v.text


def test_a_batch_of_two_inflates_the_variance_of_layer_2_and_the_replay_shows_why():
    """Issue 19, case 3: at m = 2 (layer 2, BN in layer 1) σ²_B of z^[2] averages well above
    σ²_pop (measured 122–225 % over 10 seeds), while the same mini-batches with layer 1
    normalised by population statistics average about σ²_pop (83–128 %): BN in layer 1 adds
    the excess beyond the noise in 8 of 10 seeds, and the EMA of σ² ends outside the 20 %
    tolerance (eval spread HOLDS) in most."""
    made = recorded("batch of two")
    mates = [v for v in made if v.claim == "running_stats.trajectory.batch_mates"]
    mates = list({v.text: v for v in mates}.values())  # the eval sentence asks for it again
    assert len(mates) == len(SEEDS)
    assert _count(mates) >= NEED, [v.text for v in mates]
    assert sum(0.75 <= v.evidence["iid_ratio"] <= 1.35 for v in mates) >= 9
    assert sum(v.evidence["ratio"] > 1.15 for v in mates) >= 9
    spread = [v for v in made if v.claim == "running_stats.trajectory.eval_spread"]
    assert _count(spread) >= 6, [v.text for v in spread]


def test_at_the_defaults_layer_1s_bn_changes_the_variance_of_layer_2_within_the_noise():
    """m = 32: the replayed mini-batches and the recorded ones agree within the noise (9 of 10
    measured), so the eval-mode sentence is added only where they do not (1 of 10)."""
    made = recorded("defaults")
    mates = [v for v in made if v.claim == "running_stats.trajectory.batch_mates"]
    mates = list({v.text: v for v in mates}.values())
    assert len(mates) == len(SEEDS)
    assert len({v.text for v in made if v.claim == "running_stats.trajectory.eval_spread"}) <= 2
    assert _count(mates, Outcome.NO_EFFECT) >= NEED, [v.text for v in mates]


def test_oracles_catch_a_wrong_number_and_a_wrong_outcome():
    """The oracles are not rubber stamps: a verdict with one number or its outcome changed
    fails its oracle."""
    import dataclasses

    from benchmarks.claim_oracles.running_stats import ORACLES

    tampered = 0
    for v in recorded("batch of two"):
        if v.outcome is Outcome.NOT_APPLICABLE:
            continue
        import re

        m = re.search(r"\d+\.\d %", v.text)
        if m:
            x = float(m.group(0)[:-2]) + 7.0
            bad = dataclasses.replace(v, text=v.text.replace(m.group(0), f"{x:.1f} %", 1))
            assert ORACLES[v.claim](bad), (v.claim, bad.text)
            tampered += 1
        if v.claim != "running_stats.distribution_at_a_step.gaps" and \
                v.claim != "running_stats.step_by_step.start_weight":
            other = Outcome.REVERSED if v.outcome is not Outcome.REVERSED else Outcome.HOLDS
            assert ORACLES[v.claim](dataclasses.replace(v, outcome=other)), v.claim
    assert tampered >= 30
