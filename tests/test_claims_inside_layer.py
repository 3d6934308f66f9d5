"""The claims "Inside a BN layer" demonstrates at its defaults and presets, over 10 seeds (each
must hold in at least 8). Seeds are trained in one stacked pass where the claim allows."""

import numpy as np
import pytest

from bnsim import data
from bnsim.lessons.inside_layer import common, gamma_and_beta
from bnsim.lessons.inside_layer import with_vs_without_bn as sweeps
from bnsim.network import NetConfig
from bnsim.train import TrainConfig, train, train_stacked
from bnsim.ui.inside_layer import common as page_common

SEEDS = range(10)
NEEDED = 8


@pytest.fixture(scope="module")
def moons_data():
    return data.train_test("moons", page_common.N_TRAIN, page_common.N_TEST, 0.15,
                            page_common.DATA_SEED)


def _stacked(moons_data, depth, activation, lr, bn, steps=1000):
    X, y, Xt, yt = moons_data
    net = NetConfig(hidden=(16,) * depth, bn=(bn,) * depth, activation=activation)
    st = train_stacked(net, X, y, Xt, yt, TrainConfig(steps=steps, batch_size=32,
                                                      optimizer="gd", lr=lr, n_snapshots=2),
                       seeds=SEEDS, pop_rows=2)
    acc = st.test_acc[:, -1].copy()
    acc[st.diverged_at > 0] = 0.0
    return acc


def test_bn_rescues_a_deep_sigmoid_net_at_lr_0_3(moons_data):
    """The preset (and the sweep's default α): sigmoid, 4 hidden layers, GD, α = 0.3. Known:
    ≈ 0.82 without BN, ≈ 0.98 with BN. Per seed, BN ahead by more than 10 points."""
    no_bn = _stacked(moons_data, 4, "sigmoid", 0.3, False)
    bn = _stacked(moons_data, 4, "sigmoid", 0.3, True)
    assert np.sum(bn - no_bn > 0.10) >= NEEDED, (bn, no_bn)
    trains = sweeps.TRAINS_ACC
    assert np.sum(bn >= trains) >= NEEDED and np.sum(no_bn < trains) >= NEEDED


def test_at_the_sweeps_default_the_page_says_bn_helps(moons_data):
    """The sweep's default (its step count, α = 0.3): the verdict HOLDS seed by seed in ≥ 8 of
    10, and the sweep's "still trains" line separates the two."""
    steps = sweeps.SweepSetting().steps
    no_bn = _stacked(moons_data, 4, "sigmoid", 0.3, False, steps=steps)
    bn = _stacked(moons_data, 4, "sigmoid", 0.3, True, steps=steps)
    trains = sweeps.TRAINS_ACC
    assert np.sum(bn >= trains) >= NEEDED and np.sum(no_bn < trains) >= NEEDED
    verdicts = [sweeps.bn_verdict(sweeps.Comparison(0.3, b, n, 1, 1, np.nan, np.nan)).holds
                for b, n in zip(bn, no_bn, strict=True)]
    assert sum(verdicts) >= NEEDED


def test_learned_gamma_beta_move_sigmoid_inputs_out_of_the_linear_middle(moons_data):
    """The γ, β tab at the page's defaults (2 × 8 sigmoid units, Adam α = 0.01, m = 8, 1000
    steps, layer 2, the last step): the verdict HOLDS in ≥ 8 of 10 seeds."""
    X, y, Xt, yt = moons_data
    net = NetConfig(hidden=(8, 8), bn=(True, True), activation="sigmoid")
    held = 0
    for seed in SEEDS:
        trace = train(net, X, y, Xt, yt, TrainConfig(steps=1000, batch_size=8,
                                                     optimizer="adam", lr=0.01, seed=seed))
        b = common.batch_at(trace, X, y, 1000, 2)
        mid = gamma_and_beta.layer_middle(b, 1e-5, "sigmoid")
        held += gamma_and_beta.sigmoid_verdict(mid, "sigmoid", True, 2).holds
    assert held >= NEEDED, held
