"""The MLP: finite-difference gradients in every configuration, modes, statistics."""

import numpy as np
import pytest

from bnsim import network
from bnsim.network import NetConfig
from tests.gradcheck import numerical_grad, rel_error

CONFIGS = [
    NetConfig(hidden=(5, 4), bn=(True, True), activation="tanh"),
    NetConfig(hidden=(6,), bn=(False,), activation="sigmoid"),
    NetConfig(hidden=(4, 3, 5), bn=(True, False, True), activation="tanh", n_out=3),
    NetConfig(hidden=(3, 3, 3, 3), bn=(False, True, True, False), activation="sigmoid"),
]


def _data(net, m=7, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, net.n_in)), rng.integers(0, net.n_out, m)


def _check_grads(net, mode="train", running=None, renorm=None, noise=None, seed=0):
    X, y = _data(net, seed=seed)
    params = network.init_params(net, seed=seed)
    rng = np.random.default_rng(seed + 1)
    for k in params:  # move γ, β and biases off their initial values
        params[k] = params[k] + 0.3 * rng.normal(size=params[k].shape)

    def loss():
        logits, _ = network.forward(params, X, net, mode, running, renorm, noise)
        return network.softmax_xent(logits, y)[0]

    logits, cache = network.forward(params, X, net, mode, running, renorm, noise)
    _, dlogits = network.softmax_xent(logits, y)
    grads = network.backward(dlogits, cache, params, net)
    assert set(grads) == set(params)
    for k in params:
        err = rel_error(grads[k], numerical_grad(loss, params[k]))
        assert err < 1e-6, f"{k}: relative error {err:.2e}"


@pytest.mark.parametrize("net", CONFIGS, ids=lambda n: f"{n.hidden}-{n.bn}-{n.activation}")
def test_gradients_match_finite_differences(net):
    _check_grads(net)


def test_relu_gradients_match_finite_differences():
    # ReLU has a kink at 0; random inputs almost surely avoid it at this step size.
    _check_grads(NetConfig(hidden=(8, 8), bn=(True, True), activation="relu"), seed=4)


def test_noisy_bn_and_renorm_gradients():
    net = NetConfig(hidden=(5, 4), bn=(True, True), activation="tanh")
    rng = np.random.default_rng(9)
    noise = {l: (1 + 0.5 * rng.normal(size=n), 0.5 * rng.normal(size=n))
             for l, n in ((1, 5), (2, 4))}
    _check_grads(net, noise=noise)


def test_renorm_without_room_to_correct_is_plain_bn_in_the_network():
    # (r and d are constants in Batch Renorm's gradient, so finite differences of the network
    # do not apply; the layer-level test freezes them. Here: r_max = 1, d_max = 0 is BN.)
    net = NetConfig(hidden=(5, 4), bn=(True, True), activation="tanh")
    rng = np.random.default_rng(9)
    running = {"mean1": rng.normal(size=5), "var1": rng.uniform(0.5, 2, 5),
               "mean2": rng.normal(size=4), "var2": rng.uniform(0.5, 2, 4)}
    X, y = _data(net)
    params = network.init_params(net, seed=1)
    out = {}
    for mode, renorm in (("train", None), ("renorm", (1.0, 0.0))):
        logits, cache = network.forward(params, X, net, mode, running, renorm)
        _, dl = network.softmax_xent(logits, y)
        out[mode] = (logits, network.backward(dl, cache, params, net))
    np.testing.assert_array_equal(out["train"][0], out["renorm"][0])
    for k in params:
        np.testing.assert_array_equal(out["train"][1][k], out["renorm"][1][k])


def test_no_bias_where_bn_follows():
    p = network.init_params(NetConfig(hidden=(4, 4), bn=(True, False)))
    assert {"W1", "gamma1", "beta1", "W2", "b2", "W_out", "b_out"} == set(p)
    assert p["W1"].shape == (4, 2)  # W^[l] is (n_l, n_{l-1}) as in the lecture


def test_batch_mode_with_k_1_gives_the_same_output_for_every_input():
    net = NetConfig(hidden=(8, 8), bn=(True, True))
    params = network.init_params(net, seed=1)
    params["beta1"] = np.linspace(-1, 1, 8)
    X = np.random.default_rng(0).normal(size=(50, 1, 2)) * 5  # 50 test batches of one
    p = network.predict_proba(params, X, net, mode="batch")
    assert p.shape == (50, 1, 2)
    np.testing.assert_array_equal(p, np.broadcast_to(p[0], p.shape))


def test_batch_mode_stacked_equals_one_by_one_and_eval_is_per_example():
    net = NetConfig(hidden=(6, 5), bn=(True, True), activation="tanh")
    params = network.init_params(net, seed=2)
    X = np.random.default_rng(1).normal(size=(4, 8, 2))  # 4 test batches of 8
    stacked = network.predict_proba(params, X, net, mode="batch")
    for i in range(4):
        np.testing.assert_allclose(network.predict_proba(params, X[i], net, mode="batch"),
                                   stacked[i], rtol=1e-13)
    run = network.init_running(net)
    whole = network.predict_proba(params, X[0], net, mode="eval", running=run)
    single = network.predict_proba(params, X[0, :1], net, mode="eval", running=run)
    np.testing.assert_allclose(whole[:1], single, rtol=1e-14)


def test_population_stats_and_recalibration():
    net = NetConfig(hidden=(6, 5), bn=(True, False), activation="relu")
    params = network.init_params(net, seed=3)
    X = np.random.default_rng(2).normal(size=(300, 2))
    stats = network.population_stats(params, X, net)
    z1 = X @ params["W1"].T
    np.testing.assert_allclose(stats[1][0], z1.mean(0), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(stats[1][1], z1.var(0), rtol=1e-13)
    np.testing.assert_allclose(stats[1][2], z1.var(0, ddof=1), rtol=1e-13)
    before = {k: v.copy() for k, v in params.items()}
    run = network.recalibrate(params, X + 3.0, net)
    assert set(run) == {"mean1", "var1"}  # only BN layers have running statistics
    np.testing.assert_allclose(run["mean1"], ((X + 3.0) @ params["W1"].T).mean(0), rtol=1e-13)
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])  # weights untouched


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(hidden=()), "1 to 8"),
        (dict(hidden=(8,) * 9, bn=(True,) * 9), "1 to 8"),
        (dict(hidden=(1,), bn=(True,)), "2 to 64"),
        (dict(hidden=(65,), bn=(True,)), "2 to 64"),
        (dict(hidden=(8, 8), bn=(True,)), "one flag"),
        (dict(activation="gelu"), "activation"),
        (dict(eps=0.0), "eps"),
    ],
)
def test_bad_config(kw, match):
    with pytest.raises(ValueError, match=match):
        NetConfig(**kw)


def test_predict_bad_input():
    net = NetConfig()
    params = network.init_params(net)
    with pytest.raises(ValueError, match="shape"):
        network.predict_proba(params, np.ones((3, 3)), net, "batch")
    with pytest.raises(ValueError, match="NaN"):
        network.predict_proba(params, np.full((3, 2), np.nan), net, "batch")
    with pytest.raises(ValueError, match="running"):
        network.predict_proba(params, np.ones((3, 2)), net, "eval")
    with pytest.raises(ValueError, match="mode"):
        network.predict_proba(params, np.ones((3, 2)), net, "train")
    with pytest.raises(ValueError, match="mode must be one of"):
        network.forward(params, np.ones((3, 2)), net, "test")


def test_cross_entropy_of_stacked_runs_equals_each_run_alone():
    rng = np.random.default_rng(5)
    logits, y = rng.normal(size=(3, 7, 4)), rng.integers(0, 4, (3, 7))
    loss, dlogits, hits = network.xent(logits, y)
    for r in range(3):
        l1, d1 = network.softmax_xent(logits[r], y[r])
        assert loss[r] == pytest.approx(l1, rel=1e-14)
        np.testing.assert_allclose(dlogits[r], d1, rtol=1e-14)
        assert hits[r] == np.sum(logits[r].argmax(axis=1) == y[r])
