"""Every claim the "Train vs test" page demonstrates at its defaults or presets, run over 10
seeds (stacked in one pass where possible): it must hold in at least 8. And every branch of
every verdict (each abstention included), on numbers made to fall into it — each verdict also
checked by its oracle (benchmarks/claim_oracles/testtime.py), which recomputes it from the raw
arrays."""

import numpy as np
import pandas as pd
import pytest

from benchmarks.claim_oracles.testtime import ORACLES
from bnsim import data, verdict
from bnsim.lessons.testtime import (
    batch_renorm,
    batch_size,
    boundaries,
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
REF = 0.9875  # the 15-NN accuracy on the page's default data (moons, noise 0.15)


def checked(v: verdict.Verdict) -> verdict.Verdict:
    """``v`` after its oracle found nothing wrong and no failed precondition is ignored."""
    assert v.claim in verdict.CLAIMS and v.claim in ORACLES, v.claim
    assert v.failed is None or v.outcome is Outcome.NOT_APPLICABLE, v.text
    assert ORACLES[v.claim](v) == [], (ORACLES[v.claim](v), v.text)
    assert "nan" not in v.text.lower(), v.text
    return v


@pytest.fixture(scope="module")
def moons():
    return data.train_test("moons", 400, 400, 0.15, 0)  # the page's data


def test_reference_of_the_default_data(moons):
    assert data.reference_accuracy(*moons) == pytest.approx(REF)


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
        out = common.proba_batch(p, st.net, Xt[:, None, :])[:, 0]
        assert np.ptp(out) == 0.0  # one output for every input, every seed
        k1 = [common.accuracy(out, yt)] * 3
        v = checked(batch_size.collapse_verdict(
            c, common.eval_accuracy(p, st.net, run, Xt, yt), REF, k1))
        held += v.holds
    assert held >= NEED, held


def test_one_class_test_batches_hurt_batch_but_not_running_statistics(default_bn, moons):
    _, _, Xt, yt = moons  # preset "A test batch of only cats": k = 32, 100 % class 1
    st = default_bn["bn"]
    held = 0
    for r in range(len(SEEDS)):
        held += _skew(st, r, Xt, yt, 32, 1.0).holds
    assert held >= NEED, held


def _skew(st, r, Xt, yt, k, mix):
    p, run = st.params[r], st.running_stats[r]
    runs = skewed_batches.skewed_runs(p, st.net, run, Xt, yt, k, mixes=(0.5, mix),
                                      n_batches=20, seed=0)
    return checked(skewed_batches.skew_verdict(
        runs, mix, k, eval_acc=common.eval_accuracy(p, st.net, run, Xt, yt), reference=REF,
        collapse_p=batch_size.collapse(p, st.net, yt).p, seed=r))


def test_skew_at_k1_abstains_over_seeds(default_bn, moons):
    """Issue 19, case 2 (k = 1, mix = 100 %): the batch accuracy is 0 % or 100 % depending on
    which one output the network gives every input — both happen over the seeds — so the
    verdict says so and does not judge the skew."""
    _, _, Xt, yt = moons
    st = default_bn["bn"]
    seen = set()
    for r in range(len(SEEDS)):
        for mix in (1.0, 0.5, 0.0):
            v = _skew(st, r, Xt, yt, 1, mix)
            assert v.outcome is Outcome.NOT_APPLICABLE and "cannot be judged at k = 1" in v.text
            seen.add(v.evidence["batch"])
        assert "0 of its 1 examples in class 1 (0.0 %; the nearest to the asked 50 %)" in \
            _skew(st, r, Xt, yt, 1, 0.5).text
    assert seen == {0.0, 1.0}


def test_the_drawn_mix_is_said_and_a_balanced_mix_is_not_judged(default_bn, moons):
    _, _, Xt, yt = moons
    st = default_bn["bn"]
    for r in range(len(SEEDS)):
        v = _skew(st, r, Xt, yt, 34, 0.8)  # 27 of 34 = 79.4 %: not skewed
        assert "27 of its 34 examples in class 1 (79.4 %; the nearest to the asked 80 %)" in \
            v.text
        assert v.outcome is Outcome.NOT_APPLICABLE and "not *skewed*" in v.text
        assert _skew(st, r, Xt, yt, 3, 0.2).outcome is Outcome.NOT_APPLICABLE  # 1 of 3
        assert _skew(st, r, Xt, yt, 5, 0.2).failed is None  # 1 of 5 = 20 %: skewed


def test_small_test_batches_cost_accuracy_over_seeds(default_bn, moons):
    """k = 2 and 4 cost accuracy against eval mode in ≥ 8 of 10 seeds; k = 256 does not."""
    _, _, Xt, yt = moons
    st = default_bn["bn"]
    for k, want in ((2, Outcome.HOLDS), (4, Outcome.HOLDS), (256, Outcome.NO_EFFECT)):
        held = 0
        for r in range(len(SEEDS)):
            p, run = st.params[r], st.running_stats[r]
            a = batch_size.accuracy_vs_k(p, st.net, run, Xt, yt, (k,), 20, 0)
            v = checked(batch_size.at_k_verdict(batch_size.at_k(a, k), a.acc[0], a.eval_acc,
                                                REF, batch_size.collapse(p, st.net, yt).p, 20))
            held += v.outcome is want
        assert held >= NEED, (k, held)


def test_a_slow_ema_lags_and_costs_accuracy(moons):
    X, y, Xt, yt = moons  # preset "A slow running average": β_EMA = 0.999, 1000 steps
    held = 0
    for s in SEEDS:
        tr = train(NetConfig(), X, y, Xt, yt, TrainConfig(steps=1000, seed=s, n_snapshots=4))
        slow = running_estimate.running_estimate_accuracy(tr, X, Xt, yt, 0.999)
        held += checked(running_estimate.lag_verdict(running_estimate.lag(slow, 0.999),
                                                     REF)).holds
        fast = running_estimate.lag(running_estimate.running_estimate_accuracy(tr, X, Xt, yt, 0.9),
                                    0.9)
        v = checked(running_estimate.lag_verdict(fast, REF))  # the default β_EMA
        assert v.outcome is Outcome.NOT_APPLICABLE and "forgotten" in v.text
    assert held >= NEED, held


@pytest.mark.parametrize("batch, sampling", [(4, "iid"), (32, "by_class")])
def test_batch_renorm_removes_the_mismatch_of_tiny_or_one_class_batches(moons, batch,
                                                                         sampling):
    _, _, Xt, yt = moons  # preset "Tiny training batches" (m = 4) and one-class mini-batches
    stacks = _stacks(moons, ("bn", "renorm"), batch_size=batch, sampling=sampling, steps=600)
    v = checked(batch_renorm.renorm_verdict(common.norm_table(stacks, Xt, yt)))
    assert v.holds and v.evidence["held"] >= NEED, v.text
    assert "beyond the seed spread" in v.text
    assert v.evidence["bn"] > 0.08 and v.evidence["renorm"] < 0.02  # honest margins


def test_batch_renorm_at_the_default_setting(default_bn, moons):
    _, _, Xt, yt = moons  # m = 32, random mini-batches: BN's own mismatch is small
    v = checked(batch_renorm.renorm_verdict(common.norm_table(default_bn, Xt, yt)))
    assert v.outcome is Outcome.HOLDS and v.evidence["held"] >= NEED, v.text
    assert v.evidence["bn"] < 0.06  # …and the sentence says how small


def test_running_averages_in_training_what_the_preset_shows(default_bn, moons):
    """Preset "Why not use the running averages in training?" (m = 32, random mini-batches):
    on this toy problem the accuracy does not suffer (NO_EFFECT, said so on screen), the
    train/eval mismatch is zero by construction and the weights grow larger — in ≥ 8 of 10."""
    _, _, Xt, yt = moons
    tab = common.norm_table(default_bn, Xt, yt)
    v = checked(running_averages.running_verdict(tab, REF))
    assert v.outcome is Outcome.NO_EFFECT and "about as well (within 2 pp)" in v.text, v.text
    bn, ra = (tab[tab["norm"] == n].reset_index(drop=True) for n in ("bn", "running"))
    assert np.sum(np.abs(bn["eval_test_acc"] - ra["eval_test_acc"]) <= 0.02) >= NEED
    assert np.all(ra["disagree"] == 0.0)  # train mode is eval mode
    assert np.sum(ra["weight_norm"] > 1.2 * bn["weight_norm"]) >= NEED
    assert "weights grow" in v.text


def test_running_averages_beat_plain_bn_on_one_class_batches(moons):
    _, _, Xt, yt = moons
    stacks = _stacks(moons, ("bn", "running"), sampling="by_class", steps=600)
    v = checked(running_averages.running_verdict(common.norm_table(stacks, Xt, yt), REF))
    assert v.outcome is Outcome.REVERSED and "beyond the seed spread" in v.text, v.text


# ---------------------------------------------------------------- every branch
NA = Outcome.NOT_APPLICABLE
RNG = np.random.default_rng(0)


def _around(x, n=20, sd=0.01):
    """n per-batch (or per-seed) numbers around x, in [0, 1]."""
    return np.clip(x + sd * RNG.standard_normal(n), 0, 1) if np.isfinite(x) else np.full(n, x)


def _table(rows):
    return pd.DataFrame(rows, columns=["norm", "seed", "disagree", "eval_test_acc",
                                       "weight_norm", "diverged_at"])


@pytest.mark.parametrize("bn, rn, outcome, said", [
    ([0.30, 0.28, 0.32], [0.0, 0.01, 0.0], Outcome.HOLDS, "removes the mismatch"),
    ([0.30, 0.28, 0.32], [0.10, 0.11, 0.12], Outcome.HOLDS, "reduces the mismatch"),
    ([0.10, 0.11, 0.09], [0.30, 0.31, 0.29], Outcome.REVERSED, "larger mismatch"),
    ([0.10, 0.10, 0.10], [0.095, 0.09, 0.10], Outcome.NO_EFFECT, "within 2 pp"),
    ([0.40, 0.10, 0.10], [0.10, 0.30, 0.10], Outcome.NO_EFFECT, "not beyond the seed spread"),
    ([0.01, 0.01, 0.01], [0.0, 0.0, 0.0], NA, "almost no train/eval mismatch"),
    ([np.nan] * 3, [np.nan] * 3, NA, "Every run diverged"),
    ([0.3, np.nan, np.nan], [0.0, 0.0, 0.0], NA, "Fewer than 2 runs")])
def test_renorm_verdict_branches(bn, rn, outcome, said):
    tab = _table([(n, s, d[s], .9, 1.0, 0) for s in range(3) for n, d in (("bn", bn),
                                                                            ("renorm", rn))])
    v = checked(batch_renorm.renorm_verdict(tab))
    assert v.outcome is outcome and said in v.text, v.text
    v = checked(batch_renorm.renorm_verdict(tab, clips=(1.0, 0.0)))  # Batch Renorm = plain BN
    assert v.outcome is NA and "Batch Renorm is plain BN" in v.text


@pytest.mark.parametrize("bn, ra, div, w, ref, outcome, said", [
    (0.95, 0.80, 0, 8.0, REF, Outcome.HOLDS, "train worse"),
    (0.95, np.nan, 3, 8.0, REF, Outcome.HOLDS, "diverged in 3 of 3 runs"),
    (np.nan, np.nan, 3, 8.0, REF, NA, "Both diverge"),
    (0.70, 0.95, 0, 8.0, REF, Outcome.REVERSED, "train better"),
    (0.95, 0.95, 0, 8.0, REF, Outcome.NO_EFFECT, "weights grow 1.60× as large"),
    (0.95, 0.95, 0, 3.0, REF, Outcome.NO_EFFECT, "weights shrink"),
    (0.95, 0.95, 0, 5.5, REF, Outcome.NO_EFFECT, "about as large"),
    (0.95, (0.70, 0.99, 0.99), 0, 8.0, REF, Outcome.NO_EFFECT, "not beyond the seed spread"),
    ((np.nan, np.nan, 0.95), 0.95, 0, 8.0, REF, NA, "Fewer than 2 runs"),
    (0.55, 0.56, 0, 8.0, REF, NA, "None of these networks trains"),
    (0.95, 0.95, 0, 8.0, 0.55, NA, "Nothing can be learned")])
def test_running_verdict_branches(bn, ra, div, w, ref, outcome, said):
    bn, ra = np.broadcast_to(bn, 3), np.broadcast_to(ra, 3)
    div_bn = 3 if np.all(np.isnan(bn)) else 0
    tab = _table([(n, s, 0.0, a[s], wt, d) for s in range(3)
                  for n, a, wt, d in (("bn", bn, 5.0, div_bn), ("running", ra, w, div))])
    v = checked(running_averages.running_verdict(tab, ref))
    assert v.outcome is outcome and said in v.text, v.text


@pytest.mark.parametrize("share, ev, ref, outcome, said", [
    (0.5, 0.98, REF, Outcome.HOLDS, "the collapse costs 48.0 pp"),
    (0.57, 0.58, 0.6, Outcome.NO_EFFECT, "about as well (within 2 pp)"),
    (0.62, 0.58, 0.6, Outcome.REVERSED, "worse than predicting that one class"),
    (0.5, np.nan, REF, NA, "None of these networks trains"),
    (0.5, 0.98, 0.55, NA, "Nothing can be learned")])
def test_collapse_verdict_branches(share, ev, ref, outcome, said):
    c = batch_size.Collapse(1, 0.7, share, max(share, 1 - share))
    v = checked(batch_size.collapse_verdict(c, ev, ref, [share] * 4))
    assert v.outcome is outcome and said in v.text, v.text


def _runs(mix, skew_b, skew_r, bal_b=0.97, bal_r=0.97, k=32, wide=False):
    t = pd.DataFrame({"mix": [0.5, mix], "actual_mix": [round(0.5 * k) / k,
                                                        round(mix * k) / k]})
    if wide:  # 4 batches, far apart: 2·SE ≈ 11.5 pp
        acc_b = np.array([[bal_b] * 4, skew_b + 0.1 * np.array([-1, 1, -1, 1])])
    else:
        acc_b = np.stack([_around(bal_b), _around(skew_b)])
    acc_r = np.stack([_around(bal_r, len(acc_b[0])), _around(skew_r, len(acc_b[0]))])
    t["batch_mean"], t["running_mean"] = acc_b.mean(axis=1), acc_r.mean(axis=1)
    return skewed_batches.SkewRuns(t, acc_b, acc_r)


@pytest.mark.parametrize("runs, mix, k, ev, ref, outcome, said", [
    (_runs(1.0, 0.6, 0.97), 1.0, 32, 0.98, REF, Outcome.HOLDS, "*hurts*"),
    (_runs(0.0, 0.95, 0.97), 0.0, 32, 0.98, REF, Outcome.NO_EFFECT, "does not *hurt*"),
    (_runs(1.0, 0.99, 0.80), 1.0, 32, 0.98, REF, Outcome.REVERSED, "less here"),
    (_runs(1.0, 0.89, 0.97, wide=True), 1.0, 32, 0.98, REF, Outcome.NO_EFFECT,
     "not beyond the spread"),
    (_runs(0.5, 0.6, 0.97), 0.5, 32, 0.98, REF, NA, "not *skewed*"),
    (_runs(0.8, 0.6, 0.97, k=34), 0.8, 34, 0.98, REF, NA, "79.4 %"),
    (_runs(1.0, 0.6, 0.97), 1.0, 32, 0.55, REF, NA, "None of these networks trains"),
    (_runs(1.0, 0.6, 0.97), 1.0, 32, 0.98, 0.55, NA, "Nothing can be learned")])
def test_skew_verdict_branches(runs, mix, k, ev, ref, outcome, said):
    v = checked(skewed_batches.skew_verdict(runs, mix, k, eval_acc=ev, reference=ref,
                                            collapse_p=0.7, seed=0))
    assert v.outcome is outcome and f"k = {k}" in v.text and said in v.text, v.text


def test_skew_verdict_at_k1_says_what_happens_instead():
    t = pd.DataFrame({"mix": [0.5, 1.0], "actual_mix": [0.0, 1.0]})
    acc_b = np.stack([np.zeros(20), np.ones(20)])  # p = 0.7: class 1 for every input
    runs = skewed_batches.SkewRuns(t, acc_b, np.ones((2, 20)))
    v = checked(skewed_batches.skew_verdict(runs, 1.0, 1, eval_acc=0.98, reference=REF,
                                            collapse_p=0.7, seed=0))
    assert v.outcome is NA and "every input gets the same p(class 1) = 0.700" in v.text


def _lag(ema, bc, pop, weight=0.37, early=(0.6, 0.9, 0.95)):
    wide = pd.DataFrame({"ema": [early[0], ema], "ema_bc": [early[1], bc],
                         "population": [early[2], pop]}, index=pd.Index([10, 1000], name="t"))
    t_lag = int((wide["population"] - wide["ema"]).idxmax())
    at = running_estimate.EstimatorAcc(ema, bc, pop)
    return running_estimate.Lag(None, wide, t_lag,
                                running_estimate.EstimatorAcc(*wide.loc[t_lag]), 1000, at,
                                weight)


@pytest.mark.parametrize("g, diverged, ref, outcome, said", [
    (_lag(0.80, 0.97, 0.97), False, REF, Outcome.HOLDS, "bias correction recovers it"),
    (_lag(0.80, 0.90, 0.97), False, REF, Outcome.HOLDS, "even bias-corrected"),
    (_lag(0.96, 0.97, 0.97), False, REF, Outcome.NO_EFFECT, "about as well"),
    (_lag(0.99, 0.90, 0.90), False, REF, Outcome.REVERSED, "better than the population"),
    (_lag(0.80, 0.97, 0.97, weight=0.001), False, REF, NA, "forgotten"),
    (_lag(0.80, 0.97, 0.97), True, REF, NA, "diverged"),
    (_lag(0.50, 0.55, 0.55), False, REF, NA, "None of these networks trains")])
def test_lag_verdict_branches(g, diverged, ref, outcome, said):
    v = checked(running_estimate.lag_verdict(g, ref, diverged))
    assert v.outcome is outcome and said in v.text, v.text
    assert "Largest gap (population − EMA) at t = 10" in v.text


def _maps(acc_batch_wrong, k=8, flat=False):
    y = np.r_[np.zeros(50, int), np.ones(50, int)]
    p_eval = np.where(y == 1, 0.9, 0.1).astype(float)
    p_test = p_eval.copy()
    p_test[:acc_batch_wrong] = 0.9  # the first ones misclassified with these mates
    if flat:
        p_test[:] = 0.7
    grid = np.linspace(0.1, 0.9, 25).reshape(5, 5)
    b = boundaries.Boundaries(np.arange(5.0), np.arange(5.0), (0, 4, 0, 4), grid,
                              float(np.mean((p_eval >= .5) == (y == 1))), np.arange(k - 1),
                              np.full((5, 5), 0.7) if flat else grid.T,
                              float(np.mean((p_test >= .5) == (y == 1))), p_test)
    return b, y


@pytest.mark.parametrize("wrong, k, flat, ref, outcome, said", [
    (10, 8, False, REF, Outcome.HOLDS, "cost 10.0 pp"),
    (1, 8, False, REF, Outcome.NO_EFFECT, "about as well"),
    (0, 1, True, REF, NA, "the batch map is one class and its 50.0 %"),
    (45, 8, False, 0.95, NA, "None of these networks trains"),
    (0, 8, False, 0.55, NA, "Nothing can be learned")])
def test_maps_verdict_branches(wrong, k, flat, ref, outcome, said):
    b, y = _maps(wrong, k, flat)
    if outcome is NA and not flat and ref > 0.9:  # neither map trains: a poor eval map too
        b = b._replace(acc_eval=0.55)
    v = checked(boundaries.maps_verdict(b, k, y, ref))
    assert v.outcome is outcome and said in v.text, v.text


def test_maps_verdict_reversed():
    b, y = _maps(0)
    b = b._replace(acc_eval=0.9)  # the eval map misses 10 %, these mates none
    v = checked(boundaries.maps_verdict(b, 8, y, REF))
    assert v.outcome is Outcome.REVERSED and "help, by 10.0 pp" in v.text


@pytest.mark.parametrize("k, mean, ev, ref, outcome, said", [
    (4, 0.90, 0.98, REF, Outcome.HOLDS, "cost 8.0 pp"),
    (64, 0.975, 0.98, REF, Outcome.NO_EFFECT, "about as well"),
    (64, 0.98, 0.90, REF, Outcome.REVERSED, "do 8.0 pp better"),
    (1, 0.5, 0.98, REF, NA, "is the share of class 1"),
    (4, 0.55, 0.56, REF, NA, "None of these networks trains")])
def test_at_k_verdict_branches(k, mean, ev, ref, outcome, said):
    acc = np.full(10, mean) if k == 1 else mean + 0.01 * np.r_[-1, 1] .repeat(5)
    a = batch_size.AtK(k, float(acc.mean()), float(np.percentile(acc, 5)),
                       float(np.percentile(acc, 95)))
    v = checked(batch_size.at_k_verdict(a, acc, ev, ref, 0.7, 10))
    assert v.outcome is outcome and said in v.text, v.text


@pytest.mark.parametrize("draws, k, outcome, said", [
    (np.r_[np.full(5, 0.2), np.full(15, 0.8)], 32, Outcome.HOLDS, "flips in 25.0 %"),
    (np.full(20, 0.8), 32, Outcome.NO_EFFECT, "flips in 0.0 %"),
    (np.full(20, 0.3), 1, NA, "the collapse, not its neighbours")])
def test_flips_verdict_branches(draws, k, outcome, said):
    f = same_point.Followed(3, 1, k, 0.9, draws)
    rates = np.r_[np.zeros(8), 0.25, 0.5]
    v = checked(same_point.flips_verdict(f, same_point.typicality(rates, f.flips), rates))
    assert v.outcome is outcome and said in v.text, v.text


def test_oracles_catch_a_false_sentence():
    """The oracles are not blind: a number or a word changed in a true verdict is found."""
    f = same_point.Followed(3, 1, 32, 0.9, np.r_[np.full(5, 0.2), np.full(15, 0.8)])
    v = same_point.flips_verdict(f)
    assert ORACLES[v.claim](v) == []
    wrong = verdict.Verdict(v.outcome, v.text.replace("25.0 %", "35.0 %"), v.evidence,
                            v.threshold, v.claim, v.preconditions, v.raw)
    assert ORACLES[v.claim](wrong)
    b, y = _maps(10)
    v = boundaries.maps_verdict(b, 8, y, REF)
    wrong = verdict.Verdict(Outcome.NO_EFFECT, v.text.replace("cost", "about as well"),
                            v.evidence, v.threshold, v.claim, v.preconditions, v.raw)
    assert len(ORACLES[v.claim](wrong)) == 2  # the outcome and "about as well"


def test_every_claim_of_the_lesson_is_registered_with_an_oracle_and_a_test():
    ours = [c for c in verdict.CLAIMS.values() if c.id.startswith("testtime.")]
    assert {c.id for c in ours} == set(ORACLES)
    for c in ours:
        assert c.where.startswith("Train vs test → ") and c.words and c.threshold
        assert c.test.startswith("tests/test_claims_testtime.py::")
        for name in c.test.replace("tests/test_claims_testtime.py", "").split(", "):
            assert name.lstrip(":").split("[")[0] in globals(), name


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
