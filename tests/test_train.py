"""The recording trainer: shapes, determinism, recorded statistics, divergence, estimators."""

import numpy as np
import pytest

from bnsim import network, running, sampling, smoothing
from bnsim.modes import Convention, Mode, Norm, Sampling
from bnsim.network import NetConfig
from bnsim.train import TrainConfig, minibatches, renorm_limits, snapshot_index, train
from tests import helpers


@pytest.fixture(scope="module")
def moons():
    return helpers.moons(200, 200, 0.1)


@pytest.fixture(scope="module")
def default_run(moons):
    X, y, Xt, yt = moons
    return train(NetConfig(hidden=(16, 12), bn=(True, True)), X, y, Xt, yt,
                 TrainConfig(steps=300, batch_size=16, lr=0.01, seed=3))


def test_shapes_and_learning(default_run):
    tr = default_run
    assert tr.batch_mean.shape == (300, 2, 16)
    assert np.all(np.isnan(tr.batch_mean[:, 1, 12:]))  # layer 2 has 12 units: padded
    assert tr.loss.shape == tr.acc.shape == (300,)
    assert tr.eval_steps[-1] == 300 and len(tr.eval_steps) == len(tr.test_acc)
    assert tr.test_acc[-1] > 0.95  # moons are learnable
    assert np.mean(tr.loss[-20:]) < 0.3 * np.mean(tr.loss[:20])
    assert not tr.diverged and tr.diverged_at is None


def test_deterministic_per_seed(moons):
    X, y, Xt, yt = moons
    cfg = TrainConfig(steps=50, batch_size=8, seed=11)
    a, b = (train(NetConfig(), X, y, Xt, yt, cfg) for _ in range(2))
    np.testing.assert_array_equal(a.batch_mean, b.batch_mean)
    np.testing.assert_array_equal(a.loss, b.loss)
    c = train(NetConfig(), X, y, Xt, yt, TrainConfig(steps=50, batch_size=8, seed=12))
    assert not np.allclose(a.loss, c.loss)


def test_recorded_batch_statistics_are_those_of_the_snapshot_weights(default_run, moons):
    """μ_B at step s is the mean of z over that mini-batch with the weights used at step s;
    averaged over the examples it must be the population statistic of the same weights."""
    tr = default_run
    X = moons[0]
    s = int(tr.snapshot_steps[0])
    assert s == 1
    params, run = tr.snapshot_at(s)
    z1 = X @ params["W1"].T
    np.testing.assert_allclose(tr.pop_mean[0, 0, :16], z1.mean(0), rtol=1e-12, atol=1e-14)
    # every mini-batch of step 1 is a subset of X: its mean lies within the data's range
    assert np.all(tr.batch_mean[0, 0] >= z1.min(0)) and np.all(tr.batch_mean[0, 0] <= z1.max(0))
    np.testing.assert_array_equal(run["mean1"], 0.0)  # before step 1: initial values


def test_running_estimates_follow_the_convention(default_run):
    tr = default_run
    m = tr.cfg.batch_size
    expect_mean = running.ema(tr.batch_mean[:, 0, :16], 0.9)  # PyTorch 0.1 = β 0.9
    expect_var = running.ema(tr.batch_var[:, 0, :16] * m / (m - 1), 0.9, init=1.0)
    np.testing.assert_allclose(tr.running_mean[:, 0, :16], expect_mean, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tr.running_var[:, 0, :16], expect_var, rtol=1e-12)
    np.testing.assert_allclose(tr.batch_var_unbiased, tr.batch_var * m / (m - 1), rtol=1e-15)
    np.testing.assert_array_equal(tr.running_mean[-1, 0, :16], tr.running_stats["mean1"])


def test_keras_and_cumulative_conventions(moons):
    X, y, _, _ = moons
    k = train(NetConfig(), X, y, cfg=TrainConfig(steps=40, convention="keras"))
    np.testing.assert_allclose(k.running_var[:, 1, :16],
                               running.ema(k.batch_var[:, 1, :16], 0.99, init=1.0), rtol=1e-12)
    c = train(NetConfig(), X, y, cfg=TrainConfig(steps=40, cumulative=True))
    np.testing.assert_allclose(c.running_mean[:, 0, :16],
                               running.cumulative_average(c.batch_mean[:, 0, :16]), rtol=1e-12)
    with pytest.raises(ValueError, match="cumulative"):
        TrainConfig(cumulative=True, convention="keras")


def test_population_statistics_recorded_at_snapshots(default_run, moons):
    tr = default_run
    X = moons[0]
    i = len(tr.snapshot_steps) // 2
    params, _ = tr.snapshots[i]
    stats = network.population_stats(params, X, tr.net)
    np.testing.assert_allclose(tr.pop_mean[i, 1, :12], stats[2][0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tr.pop_var_unbiased[i, 1, :12], stats[2][2], rtol=1e-12)
    assert len(tr.snapshots) <= tr.cfg.n_snapshots


def test_layers_without_bn_record_batch_stats_but_no_running(moons):
    X, y, _, _ = moons
    tr = train(NetConfig(hidden=(8, 8), bn=(False, True)), X, y, cfg=TrainConfig(steps=20))
    assert np.all(np.isfinite(tr.batch_mean[:, 0, :8]))
    assert np.all(np.isnan(tr.running_mean[:, 0]))
    assert np.all(np.isfinite(tr.running_mean[:, 1, :8]))


def test_divergence_is_detected_and_arrays_are_cut(moons):
    X, y, _, _ = moons
    tr = train(NetConfig(hidden=(16,), bn=(False,), activation="relu"), X * 1e3, y,
               cfg=TrainConfig(steps=200, optimizer="gd", lr=10.0, batch_size=32))
    assert tr.diverged and tr.diverged_at is not None and 1 <= tr.diverged_at <= 200
    assert len(tr.loss) == tr.diverged_at - 1
    assert np.all(np.isfinite(tr.loss))


@pytest.mark.parametrize("opt", ["gd", "momentum", "rmsprop", "adam"])
def test_every_optimiser_learns(moons, opt):
    X, y, Xt, yt = moons
    lr = {"gd": 0.5, "momentum": 0.5, "rmsprop": 0.01, "adam": 0.01}[opt]
    tr = train(NetConfig(), X, y, Xt, yt, TrainConfig(steps=300, optimizer=opt, lr=lr))
    assert tr.test_acc[-1] > 0.85, opt


def test_renorm_and_noise_train_and_differ_from_plain_bn(moons):
    X, y, Xt, yt = moons
    base = dict(steps=60, batch_size=8)
    plain = train(NetConfig(), X, y, Xt, yt, TrainConfig(**base))
    renorm = train(NetConfig(), X, y, Xt, yt, TrainConfig(**base, norm="renorm"))
    noisy = train(NetConfig(), X, y, Xt, yt, TrainConfig(**base, bn_noise=0.3))
    for tr in (renorm, noisy):
        assert not tr.diverged and len(tr.loss) == 60
        assert not np.allclose(tr.loss, plain.loss)
    same = train(NetConfig(), X, y, Xt, yt, TrainConfig(**base, norm="renorm", r_max=1.0,
                                                        d_max=0.0))
    np.testing.assert_array_equal(same.loss, plain.loss)


def test_sampling_without_replacement_and_by_class():
    y = np.r_[np.zeros(40, int), np.ones(24, int)]
    rng = np.random.default_rng(0)
    gen = minibatches(y, 8, "iid", rng)
    epoch = np.concatenate([next(gen) for _ in range(8)])
    np.testing.assert_array_equal(np.sort(epoch), np.arange(64))  # each example once
    gen = minibatches(y, 8, "by_class", rng)
    for _ in range(16):
        assert len(np.unique(y[next(gen)])) == 1


def test_epochs_cut_like_the_stream_and_refuse_what_cannot_be_cut():
    y = np.r_[np.zeros(40, int), np.ones(24, int)]
    stream = minibatches(y, 8, "by_class", np.random.default_rng(5))
    whole = sampling.epochs(y, 8, "by_class", 2, np.random.default_rng(5))
    assert whole.shape == (16, 8)
    np.testing.assert_array_equal(whole, np.stack([next(stream) for _ in range(16)]))
    grouped = sampling.epoch(y, 8, "by_class", np.random.default_rng(0), shuffle=False)
    assert np.all(y[grouped[:5]] == 0) and np.all(y[grouped[5:]] == 1)  # class by class
    assert sampling.epochs(y, 30, "by_class", 3, np.random.default_rng(0)).shape == (3, 30)
    with pytest.raises(ValueError, match="batch_size"):
        next(minibatches(y, 41, "by_class", np.random.default_rng(0)))
    with pytest.raises(ValueError, match="sampling"):
        sampling.epoch(y, 8, "sorted", np.random.default_rng(0))


def test_smoothed_is_a_trailing_mean_and_keeps_divergence_visible():
    x = np.array([1.0, 2.0, 3.0, 4.0, np.nan, np.nan])
    np.testing.assert_allclose(smoothing.smoothed(x, 2)[:4], [1.0, 1.5, 2.5, 3.5])
    assert np.all(np.isnan(smoothing.smoothed(x, 2)[4:]))
    np.testing.assert_array_equal(smoothing.smoothed(x[:4], 1), x[:4])
    np.testing.assert_array_equal(smoothing.smoothed(x[:4], 0), x[:4])  # < 1 counts as 1
    runs = np.array([[1.0] * 10 + [0.1] * 90, [0.5] * 100])
    s = smoothing.smoothed(runs, 10)
    assert s.shape == runs.shape and s[0, 9] == 1.0 and s[0, 14] == pytest.approx(0.55)
    np.testing.assert_allclose(s[1], 0.5)
    gap = np.r_[np.ones(5), np.nan, np.ones(5)]  # a NaN spoils only the windows that hold it
    np.testing.assert_array_equal(np.isnan(smoothing.smoothed(gap, 3)),
                                  [False] * 5 + [True] * 3 + [False] * 3)


def test_snapshot_index_is_the_latest_snapshot_at_or_before_a_step():
    steps = np.array([1, 5, 20])
    assert [snapshot_index(steps, s) for s in (0, 1, 4, 5, 19, 20, 99)] == [0, 0, 0, 1, 1, 2, 2]


def test_to_frame_is_tidy(default_run):
    df = default_run.to_frame()
    assert list(df.columns) == ["step", "layer", "unit", "statistic", "value"]
    assert df.unit.min() == 1 and df.layer.min() == 1  # numbered from 1, as on screen
    assert df[df.layer == 2].unit.max() == 12  # layer 2 has 12 units: padding dropped
    sel = df[(df.statistic == "batch_mean") & (df.layer == 1) & (df.unit == 4)]
    np.testing.assert_array_equal(sel.value.to_numpy(), default_run.batch_mean[:, 0, 3])
    assert set(df.statistic) >= {"batch_mean", "running_var", "pop_mean"}


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(steps=0), "steps"),
        (dict(batch_size=0), "batch_size"),
        (dict(optimizer="sgd2"), "optimizer"),
        (dict(lr=0.0), "lr"),
        (dict(lr=np.nan), "lr"),
        (dict(convention="mxnet"), "convention"),
        (dict(momentum=2.0), "momentum"),
        (dict(norm="layer"), "norm"),
        (dict(sampling="sorted"), "sampling"),
        (dict(bn_noise=-1.0), "bn_noise"),
        (dict(r_max=0.5), "r_max"),
    ],
)
def test_bad_config(kw, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**kw)


def test_bad_data(moons):
    X, y, _, _ = moons
    with pytest.raises(ValueError, match="batch_size"):
        train(NetConfig(), X[:10], y[:10], cfg=TrainConfig(batch_size=32))
    with pytest.raises(ValueError, match="NaN"):
        train(NetConfig(), np.full_like(X, np.nan), y)
    with pytest.raises(ValueError, match="y must be"):
        train(NetConfig(), X, y + 5)


def test_batch_renorm_ramp_starts_as_plain_bn_and_reaches_its_limits(moons):

    cfg = TrainConfig(norm="renorm", r_max=3.0, d_max=5.0, renorm_ramp=100)
    assert renorm_limits(cfg, 0) == (1.0, 0.0)
    assert renorm_limits(cfg, 50) == pytest.approx((2.0, 2.5))
    assert renorm_limits(cfg, 100) == renorm_limits(cfg, 10_000) == (3.0, 5.0)
    assert renorm_limits(TrainConfig(norm="renorm"), 1) == (3.0, 5.0)  # no ramp: fixed
    X, y, _, _ = moons
    net = NetConfig(hidden=(8, 8))
    # a ramp so long that the limits stay ≈ (1, 0): the run equals plain BN to rounding
    slow = train(net, X, y, cfg=TrainConfig(steps=30, norm="renorm", renorm_ramp=10**9))
    plain = train(net, X, y, cfg=TrainConfig(steps=30))
    np.testing.assert_allclose(slow.loss, plain.loss, rtol=1e-6)
    ramped = train(net, X, y, cfg=TrainConfig(steps=30, norm="renorm", renorm_ramp=5))
    assert not np.allclose(ramped.loss, plain.loss)


def test_training_with_the_running_estimates_has_no_train_eval_mismatch(moons):
    """norm="running" normalises each mini-batch with the estimates eval mode will use, so a
    batch's train-mode output equals eval mode with the estimates before that batch."""

    X, y, Xt, yt = moons
    net = NetConfig(hidden=(8, 8))
    tr = train(net, X, y, Xt, yt, TrainConfig(steps=40, norm="running", optimizer="gd",
                                               lr=0.1))
    assert np.all(np.isfinite(tr.loss)) and not tr.diverged
    params, run = tr.snapshot_at(20)
    xb = X[:16]
    train_out, _ = network.forward(params, xb, net, "running", run)
    eval_out, _ = network.forward(params, xb, net, "eval", run)
    np.testing.assert_allclose(train_out, eval_out, rtol=1e-12, atol=1e-12)
    # and the running estimates are still the EMA of the mini-batch statistics
    assert not np.allclose(tr.running_mean[-1, 0], 0.0)


def test_modes_are_enums_and_the_plain_strings_still_work():
    cfg = TrainConfig(norm="renorm", sampling="by_class", convention="keras")
    assert cfg.norm is Norm.RENORM and cfg.sampling is Sampling.BY_CLASS
    assert cfg.convention is Convention.KERAS and cfg.train_mode is Mode.RENORM
    same = TrainConfig(norm=Norm.RENORM, sampling=Sampling.BY_CLASS, convention=Convention.KERAS)
    assert cfg == same and hash(cfg) == hash(same)
    assert cfg.norm == "renorm" and f"{cfg.sampling}" == "by_class"  # URLs and CSVs unchanged
    assert TrainConfig().train_mode is Mode.TRAIN
