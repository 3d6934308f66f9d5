"""The core of "Inside a BN layer": staged rows, the replayed mini-batch, the bias, γ and β,
the verdicts (one test per branch) and the sweep's bookkeeping."""

import numpy as np
import pytest

from bnsim import batchnorm, network
from bnsim.lessons.inside_layer import common, gamma_and_beta, learning_gamma_beta, one_mini_batch
from bnsim.lessons.inside_layer import with_vs_without_bn as sweeps
from bnsim.network import NetConfig
from bnsim.train import TrainConfig, train
from bnsim.verdict import Outcome
from tests.helpers import moons


@pytest.fixture(scope="module")
def run():
    X, y, Xt, yt = moons()
    net = NetConfig(hidden=(8, 8), bn=(True, True), activation="sigmoid")
    return train(net, X, y, Xt, yt, TrainConfig(steps=300, batch_size=8, lr=0.01, seed=3)), X, y


@pytest.mark.parametrize("layer", [1, 2])
@pytest.mark.parametrize("step", [1, 150, 300])
def test_replayed_batch_is_the_one_training_used(run, layer, step):
    trace, X, y = run
    b = common.batch_at(trace, X, y, step, layer)
    assert b.step <= step and b.step in trace.snapshot_steps
    np.testing.assert_allclose(b.z.mean(axis=0), trace.batch_mean[b.step - 1, layer - 1, :8],
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(b.z.var(axis=0), trace.batch_var[b.step - 1, layer - 1, :8],
                               rtol=0, atol=1e-12)


def test_the_snapshot_table_holds_every_replayed_batch(run):
    trace, X, y = run
    table = common.snapshot_batches(trace, X, y)
    np.testing.assert_array_equal(table.steps, trace.snapshot_steps)
    for step in (1, 2, 7, 150, 299, 300, 10_000):
        for layer in (1, 2):
            a, b = table.at(step, layer), common.batch_at(trace, X, y, step, layer)
            assert a.step == b.step and a.layer == b.layer
            for field in ("idx", "a_prev", "W", "z", "gamma", "beta"):
                np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    with pytest.raises(ValueError, match="layer must be 1 to 2"):
        table.at(1, 3)


@pytest.mark.parametrize("unit", range(8))
def test_staged_rows_equal_the_fused_kernel(run, unit):
    trace, X, y = run
    b = common.batch_at(trace, X, y, 300, 2)
    z_tilde, cache = batchnorm.forward_train(b.z, b.gamma, b.beta, 1e-5)
    s = common.stages(b.z[:, unit], b.gamma[unit], b.beta[unit], 1e-5, "sigmoid")
    assert abs(s.mu - cache.mu[unit]) <= 1e-12 and abs(s.sigma2 - cache.sigma2[unit]) <= 1e-12
    np.testing.assert_allclose(s.z_norm, cache.z_norm[:, unit], rtol=0, atol=1e-12)
    np.testing.assert_allclose(s.z_tilde, z_tilde[:, unit], rtol=0, atol=1e-12)
    np.testing.assert_allclose(s.zc, b.z[:, unit] - cache.mu[unit], rtol=0, atol=1e-12)
    np.testing.assert_allclose(s.inv_std, 1 / np.sqrt(cache.sigma2[unit] + 1e-5), rtol=1e-13)
    np.testing.assert_allclose(s.a, 1 / (1 + np.exp(-z_tilde[:, unit])), rtol=0, atol=1e-12)


def test_rows_are_in_the_lectures_order_and_the_frame_has_every_value():
    assert [k for k, _, _ in common.STAGES] == ["z", "mu", "zc", "sigma2", "inv_std", "z_norm",
                                               "gz", "z_tilde", "a"]
    s = common.stages([1.0, 2.0, 4.0], 2.0, 1.0, 1e-5, "relu")
    df = common.stages_frame(s)
    assert len(df) == 9 * 3 and set(df["example"]) == {1, 2, 3}
    assert np.allclose(df[df["operation"] == "μ_B"]["value"], 7 / 3)


@pytest.mark.parametrize("b", [-5.0, -0.1, 0.7, 3.0])
def test_a_bias_before_bn_moves_z_and_nothing_after(b):
    z = np.random.default_rng(1).normal(2.0, 3.0, 16)
    check = one_mini_batch.bias_check(z, b, 1.7, -0.4, 1e-5, "tanh")
    assert check.z_moved == pytest.approx(abs(b))
    assert check.largest_difference < 1e-13
    v = one_mini_batch.bias_verdict(check)
    assert v.outcome is Outcome.HOLDS and "rounding" in v.text


def test_bias_verdict_branches():
    verdict, check = one_mini_batch.bias_verdict, one_mini_batch.BiasCheck
    v = verdict(check(0.0, 0.0, 0.0))
    assert v.outcome is Outcome.NOT_APPLICABLE and "nothing to cancel" in v.text
    assert v.claim == one_mini_batch.BIAS_CANCELLED and v.failed.name == "b ≠ 0"
    assert verdict(check(1.0, 1.0, 0.3)).outcome is Outcome.REVERSED
    v = verdict(check(1.0, 1.0, np.nan))  # a diverged run
    assert v.outcome is Outcome.NOT_APPLICABLE and "diverged" in v.text
    assert verdict(check(-2.0, 2.0, 1e-15)).outcome is Outcome.HOLDS


def _staged(z, gamma=1.5, beta=-0.5):
    return common.stages(np.asarray(z, float), gamma, beta, 1e-5, "sigmoid")


def test_normalised_verdict_branches():
    z = np.random.default_rng(0).normal(1.0, 2.0, 8)
    v = one_mini_batch.normalised_verdict(_staged(z))
    assert v.outcome is Outcome.HOLDS and v.claim == one_mini_batch.NORMALISED
    assert "with mean 0 and variance 1.00" in v.text and "give z̃ mean -0.500" in v.text
    v = one_mini_batch.normalised_verdict(_staged(1.0 + 1e-3 * z))  # σ²_B ≈ 4e-6 < ε
    assert v.outcome is Outcome.NOT_APPLICABLE and "not large against ε" in v.text
    assert "not 1" in v.text and v.failed.name == "σ²_B ≫ ε"
    v = one_mini_batch.normalised_verdict(_staged(np.full(8, np.nan)))
    assert v.outcome is Outcome.NOT_APPLICABLE and "diverged" in v.text


def test_undo_verdict_branches():
    z = np.random.default_rng(1).normal(3.0, 2.0, 8)
    s = _staged(z)
    g, b = gamma_and_beta.undo(s)
    v = gamma_and_beta.undo_verdict(common.stages(z, g, b, 1e-5, "sigmoid"))
    assert v.outcome is Outcome.HOLDS and "z̃ equals z" in v.text
    v = gamma_and_beta.undo_verdict(_staged(np.full(8, np.nan)))
    assert v.outcome is Outcome.NOT_APPLICABLE and "diverged" in v.text


def test_spread_verdict_branches():
    z = np.random.default_rng(2).normal(0.0, 1.0, 8)
    v = gamma_and_beta.spread_verdict(_staged(z, 2.0, 1.0))
    assert v.outcome is Outcome.HOLDS and "mean 1.00 (= β)" in v.text
    assert "standard deviation 2.00 (≈ |γ| = 2.00)" in v.text
    v = gamma_and_beta.spread_verdict(_staged(1e-3 * z, 2.0, 1.0))  # σ²_B ≈ 1e-6 < ε
    assert v.outcome is Outcome.NOT_APPLICABLE and "|γ| =" not in v.text
    assert "barely varies" in v.text
    v = gamma_and_beta.spread_verdict(_staged(np.full(8, np.nan)))
    assert v.outcome is Outcome.NOT_APPLICABLE and "diverged" in v.text


@pytest.mark.parametrize("seed", range(5))
def test_undo_gives_z_back(seed):
    rng = np.random.default_rng(seed)
    s = common.stages(rng.normal(rng.normal(0, 5), rng.uniform(0.1, 5), 8), 1.0, 0.0, 1e-5, "relu")
    assert gamma_and_beta.undo_difference(s) <= 1e-12
    g, b = gamma_and_beta.undo(s)
    assert g == pytest.approx(np.sqrt(s.sigma2 + 1e-5)) and b == s.mu


def test_middle_share_at_identity_is_at_least_chebyshevs_bound():
    """z_norm has mean 0 and variance ≤ 1, so at most 1/w² of it lies beyond |w|."""
    rng = np.random.default_rng(0)
    for _ in range(20):
        s = common.stages(rng.standard_exponential(8) ** 3, 1.0, 0.0, 1e-5, "sigmoid")
        w = gamma_and_beta.MIDDLE["sigmoid"]
        assert gamma_and_beta.middle_share(s.z_tilde, "sigmoid") >= 1 - 1 / w**2
    assert np.isnan(gamma_and_beta.middle_share([0.0, 5.0], "relu"))


def test_middle_is_where_the_slope_is_half_its_largest():
    for act, g0 in (("sigmoid", 0.25), ("tanh", 1.0)):
        w = gamma_and_beta.MIDDLE[act]
        h = 1e-6
        slope = (network.activation(act, w + h) - network.activation(act, w - h)) / (2 * h)
        assert slope == pytest.approx(g0 / 2, rel=1e-6)


def test_sigmoid_verdict_branches():
    mid, verdict = gamma_and_beta.LayerMiddle, gamma_and_beta.sigmoid_verdict
    assert verdict(mid(0.98, 0.6, 64), "sigmoid", True, 2).outcome is Outcome.HOLDS
    assert verdict(mid(0.8, 0.95, 64), "sigmoid", True).outcome is Outcome.REVERSED
    assert verdict(mid(0.9, 0.88, 64), "tanh", True).outcome is Outcome.NO_EFFECT
    assert verdict(mid(0.9, 0.5, 64), "relu", True).outcome is Outcome.NOT_APPLICABLE
    assert verdict(mid(0.9, 0.5, 64), "sigmoid", False).outcome is Outcome.NOT_APPLICABLE
    assert "98.0 %" in verdict(mid(0.98, 0.6, 64), "sigmoid", True, 2).text
    assert "changed little" in verdict(mid(0.9, 0.88, 64), "tanh", True).text
    assert "train longer" not in verdict(mid(0.9, 0.88, 64), "tanh", True).text
    v = verdict(mid(0.9, 0.5, 64), "sigmoid", True, 2, moved=False)
    assert v.outcome is Outcome.NOT_APPLICABLE and "initial values" in v.text
    v = verdict(mid(1.0, 0.0, 64), "sigmoid", True, 2, varying=0.25)
    assert v.outcome is Outcome.NOT_APPLICABLE and "25.0 %" in v.text
    v = verdict(mid(np.nan, np.nan, 64), "sigmoid", True, 2)
    assert v.outcome is Outcome.NOT_APPLICABLE and "diverged" in v.text


def test_middle_of_a_batch_at_the_first_step_and_later(run):
    trace, X, y = run
    first = gamma_and_beta.middle_of(common.batch_at(trace, X, y, 1, 2), 1e-5, "sigmoid")
    assert first.outcome is Outcome.NOT_APPLICABLE and first.claim == gamma_and_beta.MIDDLE_CLAIM
    last = gamma_and_beta.middle_of(common.batch_at(trace, X, y, 300, 2), 1e-5, "sigmoid")
    assert last.outcome is not Outcome.NOT_APPLICABLE and last.raw["z"].shape == (8, 8)


def test_param_path_starts_at_one_and_zero(run):
    trace, _, _ = run
    p = learning_gamma_beta.param_path(trace, 1, 1)
    assert p.gamma[0] == 1.0 and p.beta[0] == 0.0 and len(p.steps) == len(p.gamma)
    assert p.gamma[-1] == trace.snapshots[-1][0]["gamma1"][0] and p.steps[-1] == 300
    df = learning_gamma_beta.paths_frame([p])
    assert set(df["parameter"]) == {"gamma", "beta"}


def test_smoothing_and_steps_to_target():
    loss = np.array([[1.0] * 10 + [0.1] * 90])
    s = sweeps.smoothed(loss, window=10)
    assert s[0, 0] == 1.0 and s[0, 9] == 1.0 and s[0, -1] == pytest.approx(0.1)
    assert s[0, 14] == pytest.approx(0.55)
    s = sweeps.smoothed(loss, sweeps.SMOOTH)
    assert sweeps.steps_to(loss) == np.flatnonzero(s[0] <= sweeps.TARGET_LOSS)[0] + 1
    assert np.isnan(sweeps.steps_to(np.ones((2, 50))))


def _cmp(acc_bn, acc_no, s_bn=100.0, s_no=400.0, n=3, reference=1.0):
    return sweeps.Comparison(0.3, acc_bn, acc_no, n, n, s_bn, s_no, reference, 0, 0)


def test_bn_verdict_branches():
    """A network *trains* at ≥ 87.5 % when the 15-NN reference is 100 %."""
    v = sweeps.bn_verdict(_cmp(0.98, 0.90))
    assert v.outcome is Outcome.HOLDS and "98.0 %" in v.text and "4.00×" in v.text
    assert "BN helps" in v.text and "in 3 of 3 runs" in v.text
    v = sweeps.bn_verdict(_cmp(0.98, 0.82))  # without BN does not train: no step count for it
    assert v.outcome is Outcome.HOLDS and "400" not in v.text and "does not train" in v.text
    assert sweeps.bn_verdict(_cmp(0.80, 0.95)).outcome is Outcome.REVERSED
    assert "hurts" in sweeps.bn_verdict(_cmp(0.80, 0.95)).text
    v = sweeps.bn_verdict(_cmp(0.97, 0.965))
    assert v.outcome is Outcome.NO_EFFECT and "about as well" in v.text
    v = sweeps.bn_verdict(_cmp(0.5, 0.5, np.nan, np.nan))
    assert v.outcome is Outcome.NOT_APPLICABLE and v.failed.name == "something trains"
    v = sweeps.bn_verdict(_cmp(0.86, 0.70))  # 16 pp apart, but neither trains: not judged
    assert v.outcome is Outcome.NOT_APPLICABLE and "helps" not in v.text
    v = sweeps.bn_verdict(_cmp(0.55, 0.50, reference=0.55))  # nothing to learn
    assert v.outcome is Outcome.NOT_APPLICABLE and v.failed.name == "the data is learnable"
    assert "never without" in sweeps.bn_verdict(_cmp(0.98, 0.90, 100.0, np.nan)).text
    assert "at this seed" in sweeps.bn_verdict(_cmp(0.98, 0.90, n=1)).text


def _fake_sweep(acc_bn, acc_no, reference=1.0):
    """A Sweep over two α with the given per-α, per-seed accuracies (NaN: diverged)."""
    lrs = (0.1, 1.0)
    runs = {}
    for bn, acc in ((True, acc_bn), (False, acc_no)):
        for lr, a in zip(lrs, acc, strict=True):
            a = np.asarray(a, float)
            runs[lr, bn] = sweeps.SweepRun(lr, bn, np.ones((len(a), 10)), a, np.array([10]),
                                           a[:, None], np.isnan(a))
    n = len(acc_bn[0])
    return sweeps.Sweep(sweeps.SweepSetting(n_seeds=n), lrs, runs, reference)


def test_largest_lr_verdict_branches():
    v = sweeps.largest_lr_verdict(_fake_sweep([[0.99, 0.99], [0.98, 0.97]],
                                              [[0.95, 0.96], [0.5, 0.99]]))
    assert v.outcome is Outcome.HOLDS and "α = 1 with BN, α = 0.1 without" in v.text
    assert "in all 2 runs" in v.text and "largest α tried" in v.text
    v = sweeps.largest_lr_verdict(_fake_sweep([[0.99, 0.99], [np.nan, 0.97]],
                                              [[0.95, 0.96], [0.95, 0.99]]))
    assert v.outcome is Outcome.REVERSED and "without BN trains at a larger" in v.text
    v = sweeps.largest_lr_verdict(_fake_sweep([[0.99], [0.6]], [[0.95], [0.6]]))
    assert v.outcome is Outcome.NO_EFFECT and "at this seed" in v.text
    assert "largest α tried" not in v.text
    v = sweeps.largest_lr_verdict(_fake_sweep([[0.6], [0.6]], [[0.7], [0.5]]))
    assert v.outcome is Outcome.NOT_APPLICABLE and v.failed.name == "some α trains"
    v = sweeps.largest_lr_verdict(_fake_sweep([[0.6], [0.6]], [[0.7], [0.5]], reference=0.5))
    assert v.outcome is Outcome.NOT_APPLICABLE and v.failed.name == "the data is learnable"


def test_small_sweep_bookkeeping():
    sw = sweeps.sweep(sweeps.SweepSetting(depth=1, units=4, steps=60, n_seeds=2), lrs=(0.01, 1.0))
    assert set(sw.runs) == {(0.01, False), (0.01, True), (1.0, False), (1.0, True)}
    assert sw.acc(True).shape == (2,) and sw.runs[1.0, True].loss.shape == (2, 60)
    df = sweeps.sweep_frame(sw)
    assert len(df) == 2 * 2 * 2 and set(df["model"]) == {"bn", "no_bn"}
    c = sweeps.compare_at(sw, 1.0)
    assert c.n == 2 and 0 <= c.acc_bn <= 1


def test_steps_to_target_only_for_networks_that_train():
    """A loss near 0 at chance accuracy (a collapsed network) is no speed: the steps chart
    leaves out an α at which the network does not train."""
    sw = _fake_sweep([[0.99, 0.99], [0.5, 0.5]], [[0.99, 0.99], [0.99, 0.99]])
    zero = {k: r._replace(loss=np.zeros_like(r.loss)) for k, r in sw.runs.items()}
    sw = sw._replace(runs=zero)
    np.testing.assert_array_equal(sw.steps_to_target(True), [1.0, np.nan])
    np.testing.assert_array_equal(sw.steps_to_target(False), [1.0, 1.0])
