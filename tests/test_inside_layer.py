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
    assert verdict(check(0.0, 0.0, 0.0)).outcome is Outcome.NOT_APPLICABLE
    assert verdict(check(1.0, 1.0, 0.3)).outcome is Outcome.REVERSED


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


def _cmp(acc_bn, acc_no, s_bn=100.0, s_no=400.0):
    return sweeps.Comparison(0.3, acc_bn, acc_no, 3, 3, s_bn, s_no)


def test_bn_verdict_branches():
    v = sweeps.bn_verdict(_cmp(0.98, 0.82))
    assert v.outcome is Outcome.HOLDS and "98.0 %" in v.text and "4.00×" in v.text
    assert sweeps.bn_verdict(_cmp(0.80, 0.95)).outcome is Outcome.REVERSED
    assert "hurts" in sweeps.bn_verdict(_cmp(0.80, 0.95)).text
    assert sweeps.bn_verdict(_cmp(0.97, 0.965)).outcome is Outcome.NO_EFFECT
    assert sweeps.bn_verdict(_cmp(0.5, 0.5, np.nan, np.nan)).outcome is Outcome.NOT_APPLICABLE
    assert "never without" in sweeps.bn_verdict(_cmp(0.98, 0.82, 100.0, np.nan)).text


def test_small_sweep_bookkeeping():
    sw = sweeps.sweep(sweeps.SweepSetting(depth=1, units=4, steps=60, n_seeds=2), lrs=(0.01, 1.0))
    assert set(sw.runs) == {(0.01, False), (0.01, True), (1.0, False), (1.0, True)}
    assert sw.acc(True).shape == (2,) and sw.runs[1.0, True].loss.shape == (2, 60)
    df = sweeps.sweep_frame(sw)
    assert len(df) == 2 * 2 * 2 and set(df["model"]) == {"bn", "no_bn"}
    c = sweeps.compare_at(sw, 1.0)
    assert c.n == 2 and 0 <= c.acc_bn <= 1
