"""The stacked trainer: several runs on a leading axis equal separate train() calls; noise
injection ("noisy BN") is seeded; bad input is refused."""

from dataclasses import replace

import numpy as np
import pytest

from bnsim import data, evaluation, network, stacked_runs
from bnsim.network import NetConfig
from bnsim.train import TrainConfig, train, train_stacked
from tests import helpers


@pytest.fixture(scope="module")
def moons():
    return helpers.moons(300, 200, 0.1)


# ---------------------------------------------------------------- stacked = sequential
@pytest.mark.parametrize("net, opt, noise", [
    (NetConfig(hidden=(10, 8), bn=(True, True)), "adam", [0.0, 0.4, 0.0]),
    (NetConfig(hidden=(6, 5, 4), bn=(False, False, False), activation="tanh"), "momentum",
     None),
    (NetConfig(hidden=(8, 6), bn=(True, False), activation="sigmoid"), "rmsprop",
     [0.3, 0.0, 0.2]),
    (NetConfig(hidden=(8,), bn=(True,)), "gd", [0.0, 0.0, 0.0]),
])
def test_stacked_runs_equal_sequential_train(moons, net, opt, noise):
    X, y, Xt, yt = moons
    cfg = TrainConfig(steps=120, batch_size=16, optimizer=opt, lr=0.05, convention="keras")
    seeds = [0, 7, 3]
    st = train_stacked(net, X, y, Xt, yt, cfg, seeds, noise)
    for r, s in enumerate(seeds):
        tr = train(net, X, y, Xt, yt, replace(cfg, seed=s, bn_noise=noise[r] if noise else 0))
        np.testing.assert_allclose(st.loss[r], tr.loss, rtol=1e-12, atol=1e-14)
        np.testing.assert_array_equal(st.acc[r], tr.acc)
        np.testing.assert_array_equal(st.eval_steps, tr.eval_steps)
        np.testing.assert_allclose(st.test_acc[r], tr.test_acc)
        np.testing.assert_allclose(st.train_eval_acc[r], tr.train_eval_acc)
        np.testing.assert_allclose(st.test_loss[r], tr.test_loss, rtol=1e-10)
        for k, v in tr.params.items():
            np.testing.assert_allclose(st.params[r][k], v, rtol=1e-10, atol=1e-12)
        for k, v in tr.running_stats.items():
            np.testing.assert_allclose(st.running_stats[r][k], v, rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(st.snapshot_steps, tr.snapshot_steps)
        if not (noise and noise[r]):  # population statistics without noise, as train()'s
            np.testing.assert_allclose(st.pop_mean[r], tr.pop_mean, atol=1e-10)
            np.testing.assert_allclose(st.pop_var[r], tr.pop_var, rtol=1e-9, atol=1e-12)


def test_stacked_per_run_labels_and_class_batches():
    d = [data.make_shift(r, 0.0, 200, 2, seed=1) for r in ("sine", "circle", "linear")]
    Y = np.stack([s.y_train for s in d])
    net = NetConfig(hidden=(8, 8))
    cfg = TrainConfig(steps=60, batch_size=8, sampling="by_class")
    st = train_stacked(net, d[0].X_train, Y, cfg=cfg, seeds=[4, 4, 4])
    for r in range(3):
        tr = train(net, d[0].X_train, Y[r], cfg=replace(cfg, seed=4))
        np.testing.assert_allclose(st.loss[r], tr.loss, rtol=1e-12)
    assert not np.allclose(st.loss[0], st.loss[1])


def test_stacked_divergence_matches_train(moons):
    X, y, _, _ = moons
    net = NetConfig(hidden=(16,), bn=(False,))
    cfg = TrainConfig(steps=100, optimizer="gd", lr=10.0, batch_size=32)
    Xbig = X * np.array([1e3, 1.0])
    st = train_stacked(net, Xbig, y, cfg=cfg, seeds=[0, 1])
    for r, s in enumerate((0, 1)):
        tr = train(net, Xbig, y, cfg=replace(cfg, seed=s))
        assert tr.diverged and st.diverged_at[r] == tr.diverged_at
        n = tr.diverged_at - 1
        np.testing.assert_allclose(st.loss[r, :n], tr.loss, rtol=1e-12)
        assert np.all(np.isnan(st.loss[r, n:]))
        for k, v in tr.params.items():
            np.testing.assert_allclose(st.params[r][k], v, rtol=1e-12)


def test_stacked_output_statistics_closed_form(moons):
    """The BN-layer shortcut (mean β·s + h, std |γ·s|·√(σ²/(σ²+ε))) against a direct forward."""
    X, _, _, _ = moons
    rng = np.random.default_rng(3)
    net = NetConfig(hidden=(6, 5), bn=(True, False))
    inits = [network.init_params(net, s) for s in (0, 1)]
    params = {k: np.stack([p[k] for p in inits]) for k in inits[0]}
    params["gamma1"] = rng.normal(size=(2, 6))
    params["beta1"] = rng.normal(size=(2, 6))
    noise = {1: (1 + 0.5 * rng.normal(size=(2, 6)), 0.5 * rng.normal(size=(2, 6)))}
    pop = evaluation.population(params, X, net, noise)
    assert pop.pop_mean.shape == (2, 2, 6)
    _, cache = network.forward(params, X, net, "batch", noise=noise)
    for l in (0, 1):
        lc = cache.layers[l]
        n = lc.z.shape[-1]
        np.testing.assert_allclose(pop.pop_mean[:, l, :n], lc.z.mean(axis=1), atol=1e-12)
        np.testing.assert_allclose(pop.pop_var[:, l, :n], lc.z.var(axis=1), rtol=1e-12)
        np.testing.assert_allclose(pop.out_mean[:, l, :n], lc.z_tilde.mean(axis=1), atol=1e-12)
        np.testing.assert_allclose(pop.out_std[:, l, :n], lc.z_tilde.std(axis=1), rtol=1e-9)
    assert np.all(np.isnan(pop.pop_mean[:, 1, 5:]))  # layer 2 has 5 units: padded
    quiet = evaluation.population(params, X, net, noise, outputs=False)
    np.testing.assert_array_equal(quiet.pop_mean, pop.pop_mean)
    assert np.all(np.isnan(quiet.out_mean)) and np.all(np.isnan(quiet.out_std))


def test_stacked_parameters_are_views_into_one_flat_array():
    net = NetConfig(hidden=(6, 5), bn=(True, False))
    inits = [network.init_params(net, seed=s) for s in (0, 1, 2)]
    flat, views = stacked_runs.stack_params(inits)
    assert flat.shape == (3, sum(p.size for p in inits[0].values()))
    for r, init in enumerate(inits):
        for name, p in init.items():
            np.testing.assert_array_equal(views[name][r], p)
    flat[:] = 0.0
    assert all(np.all(v == 0) for v in views.values())


@pytest.mark.parametrize("sampling", ["iid", "by_class"])
def test_stacked_batch_renorm_equals_sequential_train(moons, sampling):
    """One trainer: Batch Renorm runs stack like plain BN runs (it used to be refused)."""
    X, y, Xt, yt = moons
    net = NetConfig(hidden=(8, 6), bn=(True, True))
    cfg = TrainConfig(steps=80, batch_size=8, norm="renorm", r_max=1.5, d_max=0.5,
                      sampling=sampling)
    st = train_stacked(net, X, y, Xt, yt, cfg, seeds=[2, 5])
    for r, s in enumerate((2, 5)):
        tr = train(net, X, y, Xt, yt, replace(cfg, seed=s))
        np.testing.assert_allclose(st.loss[r], tr.loss, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(st.test_acc[r], tr.test_acc)
        for k, v in tr.running_stats.items():
            np.testing.assert_allclose(st.running_stats[r][k], v, rtol=1e-10, atol=1e-12)


def test_stacked_rejects_bad_input(moons):
    X, y, _, _ = moons
    with pytest.raises(ValueError, match="one value per run"):
        train_stacked(NetConfig(), X, y, seeds=[0, 1], bn_noise=[0.1])
    with pytest.raises(ValueError, match="noisy BN needs"):
        train_stacked(NetConfig(bn=(False, False)), X, y, seeds=[0], bn_noise=[0.2])
    with pytest.raises(ValueError, match="bn_noise"):
        train_stacked(NetConfig(), X, y, seeds=[0], bn_noise=[-1.0])


def test_noise_injection_changes_training_and_is_seeded(moons):
    X, y, Xt, yt = moons
    cfg = TrainConfig(steps=80, batch_size=16)
    a = train(NetConfig(), X, y, Xt, yt, replace(cfg, bn_noise=0.3))
    b = train(NetConfig(), X, y, Xt, yt, replace(cfg, bn_noise=0.3))
    plain = train(NetConfig(), X, y, Xt, yt, cfg)
    other = train(NetConfig(), X, y, Xt, yt, replace(cfg, bn_noise=0.3, seed=1))
    np.testing.assert_array_equal(a.loss, b.loss)
    assert not np.allclose(a.loss, plain.loss)
    assert not np.allclose(a.loss, other.loss)




@pytest.mark.parametrize("opt", ["gd", "momentum", "rmsprop", "adam"])
def test_stacked_runs_with_their_own_learning_rates_equal_separate_runs(moons, opt):
    X, y, Xt, yt = moons
    net = NetConfig(hidden=(8, 6), bn=(True, False), activation="tanh")
    cfg = TrainConfig(steps=60, batch_size=16, optimizer=opt)
    lrs = [0.003, 0.1, 0.3]
    st = train_stacked(net, X, y, Xt, yt, cfg, seeds=[1, 1, 2], lrs=lrs)
    for r, (s, a) in enumerate(zip([1, 1, 2], lrs, strict=True)):
        tr = train(net, X, y, Xt, yt, replace(cfg, seed=s, lr=a))
        np.testing.assert_allclose(st.loss[r], tr.loss, rtol=1e-12, atol=1e-14)
        for k, v in tr.params.items():
            np.testing.assert_allclose(st.params[r][k], v, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="one value per run"):
        train_stacked(net, X, y, cfg=cfg, seeds=[0, 1], lrs=[0.1])
    with pytest.raises(ValueError, match="lr"):
        train_stacked(net, X, y, cfg=cfg, seeds=[0], lrs=[-1.0])
