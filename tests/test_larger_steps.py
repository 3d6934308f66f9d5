"""The tab "Larger steps": gradient norms at initialisation against finite differences, the
gradient-spread claim over 10 seeds at the defaults and the extremes of its controls, every
branch of its verdict, its oracle, and the tab in the page (view controls never retrain)."""

from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from benchmarks.claim_oracles.inside_layer import ORACLES
from bnsim import network
from bnsim.figures.inside_layer import larger_steps as figures
from bnsim.lessons.inside_layer import larger_steps as core
from bnsim.lessons.inside_layer import with_vs_without_bn as sweeping
from bnsim.network import NetConfig
from bnsim.verdict import WORDS, Outcome
from tests.gradcheck import numerical_grad, rel_error
from tests.helpers import arr

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "1_Inside_a_BN_layer.py")
T = core.COMPARABLE_MAX
SEEDS = range(10)


# ---------------------------------------------------------------- the gradients plotted
@pytest.mark.parametrize("act", core.ACTIVATIONS)
@pytest.mark.parametrize("bn", [False, True])
def test_layer_norms_are_norms_of_the_finite_difference_gradients(act, bn):
    """Two stacked runs of a small network: each layer's norm is ‖numerical ∂L/∂W^[l]‖ of that
    run's own loss (network.forward + softmax_xent, one run at a time)."""
    net = NetConfig(hidden=(5, 4, 3), bn=(bn,) * 3, activation=act)
    X, y = core.minibatches([3, 4], m=8)
    per_run = [network.init_params(net, s) for s in (3, 4)]
    stacked = {k: np.stack([p[k] for p in per_run]) for k in per_run[0]}
    norms = core.layer_norms(net, stacked, X, y)
    assert norms.shape == (2, 3)
    for r, params in enumerate(per_run):
        def f(params=params, r=r):
            return network.softmax_xent(network.forward(params, X[r], net, "train")[0], y[r])[0]

        for l in range(1, 4):
            fd = numerical_grad(f, params[f"W{l}"])
            assert rel_error(np.linalg.norm(fd), norms[r, l - 1]) < 1e-7, (r, l)


def test_grad_norms_use_each_seeds_initial_weights_and_one_minibatch_for_both():
    g = core.grad_norms(3, "relu", [0, 5])
    X, y = core.minibatches([0, 5])
    np.testing.assert_array_equal(g.X, X)
    np.testing.assert_array_equal(g.y, y)
    for bn in (False, True):
        ref = network.init_params(core.net_config(3, "relu", bn), 5)
        np.testing.assert_array_equal(g.params[bn]["W2"][1], ref["W2"])
        one = core.layer_norms(core.net_config(3, "relu", bn),
                               {k: v[1:] for k, v in g.params[bn].items()}, X[1:], y[1:])
        np.testing.assert_allclose(g.norms[bn][1], one[0], rtol=1e-12)


def test_the_figure_draws_the_median_and_the_min_max_band():
    g = core.grad_norms(4, "sigmoid", range(3))
    fig = figures.layer_gradients(g).to_plotly_json()
    for bn, i in ((False, 0), (True, 2)):
        band, line = fig["data"][i], fig["data"][i + 1]
        np.testing.assert_allclose(arr(line["y"]), np.median(g.norms[bn], axis=0))
        np.testing.assert_allclose(arr(band["y"]), np.r_[g.norms[bn].max(0),
                                                         g.norms[bn].min(0)[::-1]])
    assert fig["layout"]["yaxis"]["type"] == "log"
    assert figures.layer_gradients(g, log_y=False).layout.yaxis.type is None


# ---------------------------------------------------------------- the claim over seeds
def _per_seed(depth: int, act: str):
    """10 seeds in one stacked pass: each seed's own spread with and without BN, and the
    verdict on the medians of all 10."""
    g = core.grad_norms(depth, act, SEEDS)
    spread = {bn: g.norms[bn].max(axis=1) / g.norms[bn].min(axis=1) for bn in (True, False)}
    return spread, core.grad_verdict(g)


# (depth, activation): (min seeds of 10 with BN ≤ 10×, min seeds without BN ≤ 10×,
#  max seeds without BN ≤ 10×, the verdict on the medians of 10). Measured (seeds 0–9):
#  sigmoid 8: BN ≤ 10× in 9, no BN > 10× in 10 (spreads 1.7e3–6.2e4), medians 3.70 vs 2.6e4;
#  sigmoid 6: BN 9, no BN > 10× in 9 (one 9.1), medians 2.89 vs 567;
#  relu 6: BN 10, no BN 9 (one 11.7), medians 3.14 vs 3.42; relu 8: BN 8 (11.2, 17.2),
#  no BN 10, medians 4.81 vs 2.50; depth 2: all ≤ 5.3.
CASES = {(8, "sigmoid"): (8, 0, 1, Outcome.HOLDS),
         (6, "sigmoid"): (8, 0, 2, Outcome.HOLDS),
         (6, "relu"): (9, 8, 10, Outcome.NO_EFFECT),
         (8, "relu"): (7, 9, 10, Outcome.NO_EFFECT),
         (2, "relu"): (10, 10, 10, Outcome.NO_EFFECT),
         (2, "sigmoid"): (10, 10, 10, Outcome.NO_EFFECT)}


@pytest.mark.parametrize("depth, act", list(CASES))
def test_spread_claim_over_seeds(depth, act):
    bn_ok, no_lo, no_hi, outcome = CASES[depth, act]
    spread, v = _per_seed(depth, act)
    assert np.sum(spread[True] <= T) >= bn_ok, spread[True]
    assert no_lo <= np.sum(spread[False] <= T) <= no_hi, spread[False]
    assert v.outcome is outcome, v.text
    if outcome is Outcome.HOLDS:  # without BN the lower layers' gradients are the small ones
        assert "without BN runs from" in v.text and "(layer 1) to" in v.text
        assert v.evidence["spread without BN"] > 10 * T  # by far, not near the threshold


@pytest.mark.parametrize("act", core.ACTIVATIONS)
def test_one_hidden_layer_has_nothing_to_compare(act):
    spread, v = _per_seed(1, act)
    assert np.all(spread[True] == 1.0) and np.all(spread[False] == 1.0)
    assert v.outcome is Outcome.NOT_APPLICABLE and "no spread is judged" in v.text


def test_the_oracle_passes_the_verdict_and_catches_wrong_norms():
    oracle = ORACLES[core.GRAD_SPREAD]
    g = core.grad_norms(6, "sigmoid", range(3))
    v = core.grad_verdict(g)
    assert oracle(v) == []
    wrong = core.grad_verdict(g._replace(norms={True: g.norms[True] * 1.01,
                                                False: g.norms[False]}))
    assert any("finite differences" in p for p in oracle(wrong))


# ---------------------------------------------------------------- every branch
def _spread(bn, no, act="sigmoid", n=3):
    return core.spread_verdict(core.Spread(act, n, np.array(bn, float), np.array(no, float)))


@pytest.mark.parametrize("bn, no, act, outcome, words", [
    ([1, 2], [1, 100], "sigmoid", Outcome.HOLDS, "With BN the layers have comparable gradients"),
    ([1, 20], [1, 1000], "sigmoid", Outcome.HOLDS, "BN narrows the spread 50.0-fold"),
    ([1, 2], [1, 3], "sigmoid", Outcome.NO_EFFECT, "Both have comparable gradients"),
    ([1, 2], [1, T], "relu", Outcome.NO_EFFECT, "He initialisation keeps them so"),
    ([1, 20], [1, 50], "sigmoid", Outcome.NO_EFFECT, "the two spreads are within 10×"),
    ([1, 100], [1, 2], "relu", Outcome.REVERSED, "without BN has comparable gradients"),
    ([1, 1000], [1, 20], "sigmoid", Outcome.REVERSED, "BN's spread is 50.0-fold larger"),
    ([0.3], [0.2], "sigmoid", Outcome.NOT_APPLICABLE, "one hidden layer"),
    ([np.nan, 1], [1, 2], "sigmoid", Outcome.NOT_APPLICABLE, "not a finite number"),
    ([0.0, 1], [1, 2], "relu", Outcome.NOT_APPLICABLE, "not a finite number"),
])
def test_spread_verdict_branches(bn, no, act, outcome, words):
    v = _spread(bn, no, act)
    assert v.outcome is outcome, v.text
    assert words in v.text, v.text
    assert ("He initialisation" in v.text) == (words == "He initialisation keeps them so")
    assert v.claim == core.GRAD_SPREAD and WORDS["comparable gradients"].threshold == T


def test_the_sentence_quotes_the_layers_and_the_runs():
    v = _spread([0.5, 2.0, 1.0], [0.001, 0.01, 0.2], n=1)
    assert "at this seed" in v.text and "3 hidden layer(s)" in v.text
    assert "without BN runs from 0.00100 (layer 1) to 0.200 (layer 3), a spread of 200×" \
        in v.text
    assert "with BN from 0.500 (layer 1) to 2.00 (layer 2), 4.00×" in v.text


# ---------------------------------------------------------------- the tab in the page
def _takeaways(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith(":material/lightbulb:")]


def test_the_tab_runs_and_view_controls_never_retrain(monkeypatch):
    st.cache_resource.clear()
    trained, grads = [], []
    real_train, real_grads = sweeping.train_stacked, core.grad_norms
    monkeypatch.setattr(sweeping, "train_stacked",
                        lambda *a, **k: trained.append(1) or real_train(*a, **k))
    monkeypatch.setattr(core, "grad_norms", lambda *a, **k: grads.append(1) or real_grads(*a, **k))
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params.update({"tab": "Larger steps", "ls_depth": "2", "ls_seeds": "2"})
    at.run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    said = _takeaways(at)
    assert sum("The largest α of the sweep" in t for t in said) == 2  # ReLU and sigmoid
    assert any("ReLU units" in t for t in said) and any("sigmoid units" in t for t in said)
    assert any("At initialisation (sigmoid, 2 hidden layer(s)" in t for t in said)
    assert len(trained) == 4 and len(grads) == 1  # 2 activations × with/without BN
    at.toggle(key="ls_logy").set_value(False).run()
    at.selectbox(key="ls_act").set_value("ReLU").run()
    assert not at.exception
    assert any("At initialisation (ReLU, 2 hidden layer(s)" in t for t in _takeaways(at))
    assert len(trained) == 4 and len(grads) == 2  # the sweep is not trained again
    at.selectbox(key="ls_act").set_value("sigmoid").run()
    at.toggle(key="ls_logy").set_value(True).run()
    assert len(trained) == 4 and len(grads) == 2  # and the gradients not computed again
    assert at.get("download_button")
