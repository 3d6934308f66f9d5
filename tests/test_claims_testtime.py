"""Every claim the "Train vs test" page demonstrates at its defaults or presets, run over 10
seeds (stacked in one pass where possible): it must hold in at least 8. And every branch of
every verdict, on numbers made to fall into it."""

import numpy as np
import pandas as pd
import pytest

from bnsim import data
from bnsim.lessons.testtime import (
    batch_renorm,
    batch_size,
    common,
    running_averages,
    running_estimate,
    same_point,
    skewed_batches,
)
from bnsim.network import NetConfig
from bnsim.train import TrainConfig, train, train_stacked
from bnsim.verdict import Outcome

SEEDS = range(10)
NEED = 8


@pytest.fixture(scope="module")
def moons():
    return data.train_test("moons", 400, 400, 0.15, 0)  # the page's data


def _stacks(moons, norms, **cfg):
    X, y, Xt, yt = moons
    steps = cfg.pop("steps", 1000)
    return {n: train_stacked(NetConfig(), X, y, Xt, yt, TrainConfig(
        steps=steps, norm=n, renorm_ramp=steps // 2 if n == "renorm" else 0, **cfg),
        seeds=SEEDS) for n in norms}


@pytest.fixture(scope="module")
def default_bn(moons):
    """The page's default network (m = 32, random mini-batches, 1000 steps), 10 seeds."""
    return _stacks(moons, common.NORMS)


# ---------------------------------------------------------------- seed tests
def test_a_test_batch_of_one_collapses_in_8_of_10_seeds(default_bn, moons):
    _, _, Xt, yt = moons
    st = default_bn["bn"]
    held = 0
    for r in range(len(SEEDS)):
        p, run = st.params[r], st.running_stats[r]
        c = batch_size.collapse(p, st.net, yt)
        v = batch_size.collapse_verdict(c, common.eval_accuracy(p, st.net, run, Xt, yt))
        out = common.proba_batch(p, st.net, Xt[:50, None, :])
        assert np.ptp(out) == 0.0  # one output for every input, every seed
        held += v.holds
    assert held >= NEED, held


def test_one_class_test_batches_hurt_batch_but_not_running_statistics(default_bn, moons):
    _, _, Xt, yt = moons  # preset "A test batch of only cats": k = 32, 100 % class 1
    st = default_bn["bn"]
    held = 0
    for r in range(len(SEEDS)):
        tab = skewed_batches.skewed(st.params[r], st.net, st.running_stats[r], Xt, yt, 32,
                              mixes=(1.0,), n_batches=20, seed=0)
        held += skewed_batches.skew_verdict(skewed_batches.skew_at(tab, 1.0), 32).holds
    assert held >= NEED, held


def test_a_slow_ema_lags_and_costs_accuracy(moons):
    X, y, Xt, yt = moons  # preset "A slow running average": β_EMA = 0.999, 1000 steps
    held = 0
    for s in SEEDS:
        tr = train(NetConfig(), X, y, Xt, yt, TrainConfig(steps=1000, seed=s, n_snapshots=4))
        slow = running_estimate.running_estimate_accuracy(tr, X, Xt, yt, 0.999)
        held += running_estimate.lag_verdict(running_estimate.lag(slow, 0.999)).holds
        fast = running_estimate.lag(running_estimate.running_estimate_accuracy(tr, X, Xt, yt, 0.9),
                                    0.9)
        assert running_estimate.lag_verdict(fast).outcome is Outcome.NOT_APPLICABLE  # the default
    assert held >= NEED, held


@pytest.mark.parametrize("batch, sampling", [(4, "iid"), (32, "by_class")])
def test_batch_renorm_removes_the_mismatch_of_tiny_or_one_class_batches(moons, batch,
                                                                         sampling):
    _, _, Xt, yt = moons  # preset "Tiny training batches" (m = 4) and one-class mini-batches
    stacks = _stacks(moons, ("bn", "renorm"), batch_size=batch, sampling=sampling, steps=600)
    v = batch_renorm.renorm_verdict(common.norm_table(stacks, Xt, yt))
    assert v.holds and v.evidence["held"] >= NEED, v.text
    assert v.evidence["bn"] > 0.08 and v.evidence["renorm"] < 0.02  # honest margins


def test_batch_renorm_at_the_default_setting(default_bn, moons):
    _, _, Xt, yt = moons  # m = 32, random mini-batches: BN's own mismatch is small
    v = batch_renorm.renorm_verdict(common.norm_table(default_bn, Xt, yt))
    assert v.outcome is Outcome.HOLDS and v.evidence["held"] >= NEED, v.text
    assert v.evidence["bn"] < 0.06  # …and the sentence says how small


def test_running_averages_in_training_what_the_preset_shows(default_bn, moons):
    """Preset "Why not use the running averages in training?" (m = 32, random mini-batches):
    on this toy problem the accuracy does not suffer (NO_EFFECT, said so on screen), the
    train/eval mismatch is zero by construction and the weights grow larger — in ≥ 8 of 10."""
    _, _, Xt, yt = moons
    tab = common.norm_table(default_bn, Xt, yt)
    v = running_averages.running_verdict(tab)
    assert v.outcome is Outcome.NO_EFFECT, v.text
    bn, ra = (tab[tab["norm"] == n].reset_index(drop=True) for n in ("bn", "running"))
    assert np.sum(np.abs(bn["eval_test_acc"] - ra["eval_test_acc"]) <= 0.03) >= NEED
    assert np.all(ra["disagree"] == 0.0)  # train mode is eval mode
    assert np.sum(ra["weight_norm"] > 1.2 * bn["weight_norm"]) >= NEED
    assert "weights grow" in v.text


def test_running_averages_beat_plain_bn_on_one_class_batches(moons):
    _, _, Xt, yt = moons
    stacks = _stacks(moons, ("bn", "running"), sampling="by_class", steps=600)
    v = running_averages.running_verdict(common.norm_table(stacks, Xt, yt))
    assert v.outcome is Outcome.REVERSED, v.text


# ---------------------------------------------------------------- every branch
def _table(rows):
    return pd.DataFrame(rows, columns=["norm", "seed", "disagree", "eval_test_acc",
                                       "weight_norm", "diverged_at"])


@pytest.mark.parametrize("bn, rn, outcome", [
    (0.30, 0.00, Outcome.HOLDS), (0.10, 0.30, Outcome.REVERSED),
    (0.10, 0.095, Outcome.NO_EFFECT), (0.01, 0.00, Outcome.NOT_APPLICABLE),
    (np.nan, np.nan, Outcome.NOT_APPLICABLE)])
def test_renorm_verdict_branches(bn, rn, outcome):
    tab = _table([(n, s, d, .9, 1.0, 0) for s in range(3) for n, d in (("bn", bn),
                                                                         ("renorm", rn))])
    v = batch_renorm.renorm_verdict(tab)
    assert v.outcome is outcome
    assert "nan" not in v.text.lower()


@pytest.mark.parametrize("bn, ra, div, outcome", [
    (0.95, 0.80, 0, Outcome.HOLDS), (0.95, np.nan, 3, Outcome.HOLDS),
    (0.70, 0.95, 0, Outcome.REVERSED), (0.95, 0.95, 0, Outcome.NO_EFFECT),
    (np.nan, 0.95, 0, Outcome.NOT_APPLICABLE)])
def test_running_verdict_branches(bn, ra, div, outcome):
    tab = _table([(n, s, 0.0, a, w, d) for s in range(3)
                  for n, a, w, d in (("bn", bn, 5.0, 0), ("running", ra, 8.0, div))])
    v = running_averages.running_verdict(tab)
    assert v.outcome is outcome, v.text
    if outcome is Outcome.NO_EFFECT:
        assert "1.60× as large" in v.text


@pytest.mark.parametrize("share, ev, outcome", [
    (0.5, 0.98, Outcome.HOLDS), (0.5, 0.52, Outcome.NO_EFFECT), (0.5, 0.3, Outcome.REVERSED),
    (0.5, np.nan, Outcome.NOT_APPLICABLE)])
def test_collapse_verdict_branches(share, ev, outcome):
    v = batch_size.collapse_verdict(batch_size.Collapse(1, 0.7, share, 0.5), ev)
    assert v.outcome is outcome and "50.0 %" in v.text


@pytest.mark.parametrize("mix, batch, running, outcome", [
    (1.0, 0.6, 0.97, Outcome.HOLDS), (0.0, 0.95, 0.97, Outcome.NO_EFFECT),
    (1.0, 0.99, 0.80, Outcome.REVERSED), (0.5, 0.6, 0.97, Outcome.NOT_APPLICABLE)])
def test_skew_verdict_branches(mix, batch, running, outcome):
    v = skewed_batches.skew_verdict(skewed_batches.SkewAt(mix, mix, batch, running), 32)
    assert v.outcome is outcome and "k = 32" in v.text


@pytest.mark.parametrize("ema, pop, weight, outcome", [
    (0.80, 0.97, 0.37, Outcome.HOLDS), (0.96, 0.97, 0.37, Outcome.NO_EFFECT),
    (0.99, 0.90, 0.37, Outcome.REVERSED), (0.80, 0.97, 0.001, Outcome.NOT_APPLICABLE)])
def test_lag_verdict_branches(ema, pop, weight, outcome):
    acc = running_estimate.EstimatorAcc(ema, pop, pop)
    g = running_estimate.Lag(None, None, 10, acc, 1000, acc, weight)
    assert running_estimate.lag_verdict(g).outcome is outcome


# ---------------------------------------------------------------- how typical is the point
def test_flip_rates_and_typicality(default_bn, moons):
    _, _, Xt, yt = moons
    st = default_bn["bn"]
    p, run = st.params[0], st.running_stats[0]
    rates = same_point.flip_rates(p, st.net, run, Xt, 32, n_draws=20, seed=1)
    assert rates.shape == (400,) and 0 <= rates.min() and rates.max() <= 1
    alone = common.proba_batch(p, st.net, Xt[:, None, :])[:, 0] >= 0.5  # k = 1: one class
    flipped = alone != (common.proba_eval(p, st.net, run, Xt) >= 0.5)
    np.testing.assert_array_equal(same_point.flip_rates(p, st.net, run, Xt, 1, n_draws=3),
                                  flipped.astype(float))
    t = same_point.typicality(np.array([0.0, 0.0, 0.1, 0.5]), 0.5)
    assert t == (0.5, 0.15, 0.5, 0.75)
