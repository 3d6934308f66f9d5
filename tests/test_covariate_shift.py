"""Core of the "Covariate shift" page: shift data, AdaBN recalibration, noisy BN, the drift
measure, mini-batch noise and the noisy-BN comparison."""

import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from bnsim import data, network, smoothing
from bnsim.lessons.covariate_shift import (
    black_cats,
    common,
    mini_batch_noise,
    moving_inputs,
    noisy_bn,
)
from bnsim.network import NetConfig
from bnsim.train import TrainConfig, train
from tests import helpers


@pytest.fixture(scope="module")
def moons():
    return helpers.moons(300, 200, 0.1)


@pytest.fixture(scope="module")
def shift_models():
    cfg = TrainConfig(steps=150, batch_size=32, lr=0.02)
    return black_cats.train_shift_models(("sine", "circle", "linear"), (12, 12), "relu", cfg)


# ---------------------------------------------------------------- shift data
def test_training_inputs_ignore_shift_scale_and_rule():
    """What lets the page move the test cloud without retraining."""
    a = data.make_shift("sine", 0.0, 200, 50, 0.8, 1.0, 0.0, 5)
    for rule, shift, scale in (("circle", 4.0, 2.0), ("linear", 2.5, 0.5)):
        b = data.make_shift(rule, shift, 200, 50, 0.8, scale, 0.0, 5)
        np.testing.assert_array_equal(a.X_train, b.X_train)


def test_shifted_sets_only_move_and_labels_follow_the_rule():
    shifts = [0.0, 1.0, 3.5]
    for rule in data.RULES:
        Xs, ys = black_cats.shifted_sets(rule, shifts, 0.8, 1.5, 100, 80, 2)
        for g, s in enumerate(shifts):
            np.testing.assert_allclose(Xs[g] - Xs[0], np.broadcast_to([s, s / 2], (80, 2)),
                                       atol=1e-12)
            np.testing.assert_array_equal(ys[g], data.label_rule(rule, Xs[g]))
    # test_scale scales the cloud about its centre
    X1, _ = black_cats.shifted_sets("sine", [2.0], 0.8, 1.0, 100, 80, 2)
    X2, _ = black_cats.shifted_sets("sine", [2.0], 0.8, 2.0, 100, 80, 2)
    centre = np.array([-1.5 + 2.0, 1.0])
    np.testing.assert_allclose(X2[0] - centre, 2.0 * (X1[0] - centre), atol=1e-12)


# ---------------------------------------------------------------- AdaBN recalibration
def test_recalibration_replaces_statistics_and_leaves_weights_untouched(moons):
    X, y, Xt, yt = moons
    tr = train(NetConfig(), X, y, cfg=TrainConfig(steps=100))
    before = {k: v.copy() for k, v in tr.params.items()}
    run_before = {k: v.copy() for k, v in tr.running_stats.items()}
    X_new = 3.0 * Xt + np.array([4.0, -2.0])
    new = network.recalibrate(tr.params, X_new, tr.net)
    for k in before:  # weights untouched, not even in place
        np.testing.assert_array_equal(tr.params[k], before[k])
    for k in run_before:
        np.testing.assert_array_equal(tr.running_stats[k], run_before[k])
    assert set(new) == set(run_before)
    # replaced by the statistics of z on the new inputs, layer by layer (independent recompute)
    a = X_new
    for l in (1, 2):
        z = a @ tr.params[f"W{l}"].T
        np.testing.assert_allclose(new[f"mean{l}"], z.mean(axis=0), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(new[f"var{l}"], z.var(axis=0), rtol=1e-12)
        zn = (z - z.mean(0)) / np.sqrt(z.var(0) + tr.net.eps)
        a = np.maximum(tr.params[f"gamma{l}"] * zn + tr.params[f"beta{l}"], 0)
    assert not np.allclose(new["mean1"], run_before["mean1"])


def test_recalibration_undoes_a_change_of_mean_and_scale(moons):
    """With BN right after the first linear layer, AdaBN on X·c + δ gives exactly the outputs
    the network gives X itself with its own statistics (z = Wx shifts and scales per unit)."""
    X, y, _, _ = moons
    tr = train(NetConfig(), X, y, cfg=TrainConfig(steps=100))
    own = network.predict_proba(tr.params, X, tr.net, "eval", network.recalibrate(
        tr.params, X, tr.net))
    moved = 2.5 * X + np.array([3.0, 1.5])
    adabn = network.predict_proba(tr.params, moved, tr.net, "eval",
                                  network.recalibrate(tr.params, moved, tr.net))
    np.testing.assert_allclose(adabn, own, atol=1e-4)  # up to ε in √(σ² + ε)
    stale = network.predict_proba(tr.params, moved, tr.net, "eval", tr.running_stats)
    assert np.abs(stale - own).max() > 0.1


def test_adabn_predictions_equal_recalibrate_then_eval(shift_models):
    Xs, _ = black_cats.shifted_sets("sine", [0.0, 2.0, 4.0], 0.8, 1.0, 400, 100, 0)
    fast = black_cats.predict(shift_models, "sine", "adabn", Xs)
    params = shift_models.bn[0][0]
    for g in range(3):
        run = network.recalibrate(params, Xs[g], shift_models.net_bn)
        slow = network.predict_proba(params, Xs[g], shift_models.net_bn, "eval", run)[:, 1]
        np.testing.assert_allclose(fast[g], slow, atol=1e-12)


def test_shift_sweep_columns(shift_models):
    sw = black_cats.shift_sweep(shift_models, "linear", 0.8, 1.0, 400, 120, 0)
    t = sw.table
    assert list(t["shift"]) == list(black_cats.SHIFTS)
    Xs, ys = black_cats.shifted_sets("linear", black_cats.SHIFTS, 0.8, 1.0, 400, 120, 0)
    params, run = shift_models.bn[2]
    p = network.predict_proba(params, Xs, shift_models.net_bn, "eval", run)[..., 1]
    np.testing.assert_allclose(t["bn"], np.mean((p > 0.5) == ys, axis=1))
    np.testing.assert_allclose(t["class1"], ys.mean(axis=1))
    assert np.all(t["majority"] >= 0.5)
    for m in black_cats.MODELS:
        assert 0.0 <= sw.train_dist[m] <= 1.0
    # the linear rule moves along its own boundary: AdaBN recovers the training accuracy
    assert t["adabn"].min() > sw.train_dist["bn"] - 0.05


def test_shift_at_picks_the_nearest_row_and_rule_accuracy_looks_up(shift_models):
    sw = black_cats.shift_sweep(shift_models, "sine", 0.8, 1.0, 400, 120, 0)
    now = black_cats.shift_at(sw, 2.1)  # nearest grid shift: 2.0
    row = sw.table[sw.table["shift"] == 2.0].iloc[0]
    assert now == (row["no_bn"], row["bn"], row["adabn"], row["majority"],
                   sw.train_dist["no_bn"], sw.train_dist["bn"])
    table = black_cats.rule_comparison(shift_models, 2.0, 0.8, 1.0, 400, 120, 0)
    ra = black_cats.rule_accuracy(table)
    assert len(ra.accuracy) == 3 * len(black_cats.MODELS)
    assert set(ra.majority) == set(shift_models.rules)
    for r in table.itertuples():
        assert ra.accuracy[r.rule, r.model] == r.accuracy and ra.majority[r.rule] == r.majority
    np.testing.assert_allclose([ra.accuracy["sine", m] for m in black_cats.MODELS],
                               [now.no_bn, now.bn, now.adabn], atol=1e-12)

def test_decision_grid_shapes_and_truth(shift_models):
    Xt, _ = black_cats.shifted_sets("circle", [2.0], 0.8, 1.0, 400, 100, 0)
    xs, ys, p, truth = black_cats.decision_grid(shift_models, "circle", "adabn", Xt[0], (-5, 7),
                                                (-3, 5), n=(30, 20))
    assert p.shape == truth.shape == (20, 30) and np.all((p >= 0) & (p <= 1))
    gx, gy = np.meshgrid(xs, ys)
    np.testing.assert_array_equal(truth, np.hypot(gx, gy) < 1.5)


# ---------------------------------------------------------------- the drift measure
def _line(S, a, b):
    return np.linspace(a, b, S)[:, None] * np.ones((1, 3))


@pytest.mark.parametrize("mean, std, expected", [
    (np.zeros((5, 3)), np.ones((5, 3)), 0.0),  # nothing moves
    (_line(11, 0, 1), np.ones((11, 3)), 1.0),  # mean walks 0 → 1 at std 1
    (np.zeros((9, 3)), _line(9, 1, 3), 1.0),  # std grows 1 → 3: TV 2, average std 2
    (np.array([[0.0], [1.0], [0.0], [1.0]]), np.ones((4, 1)), 3.0),  # back and forth
    (np.array([[0.0, 0.0], [2.0, 0.0]]), np.ones((2, 2)), 1.0),  # mean over units
])
def test_drift_known_answers(mean, std, expected):
    assert common.drift(mean, std) == pytest.approx(expected)


def test_drift_is_invariant_to_rescaling_and_ignores_padding():
    rng = np.random.default_rng(0)
    vals = rng.normal(size=(20, 50, 4)).cumsum(axis=0)
    d = common.drift(*moving_inputs.moments(vals))
    assert d == pytest.approx(common.drift(*moving_inputs.moments(3.0 * vals - 7.0)))
    m, s = moving_inputs.moments(vals)
    padded_m = np.c_[m, np.full((20, 2), np.nan)]
    padded_s = np.c_[s, np.full((20, 2), np.nan)]
    assert common.drift(padded_m, padded_s) == pytest.approx(d)
    assert common.drift(np.array([[0.0], [1.0]]), np.zeros((2, 1))) == float("inf")
    with pytest.raises(ValueError, match="mean and std"):
        common.drift(np.zeros((1, 3)), np.ones((1, 3)))


# ---------------------------------------------------------------- a layer over training
def test_layer_values_match_the_trace_and_bn_pins_mean_and_variance(moons):
    X, y, _, _ = moons
    tr = train(NetConfig(hidden=(8, 6)), X, y, cfg=TrainConfig(steps=80, n_snapshots=10))
    z = moving_inputs.layer_values(tr.snapshots, X, tr.net, 2, "z")
    np.testing.assert_allclose(z.mean(axis=1), tr.pop_mean[:, 1, :6], atol=1e-10)
    np.testing.assert_allclose(z.var(axis=1), tr.pop_var[:, 1, :6], rtol=1e-10)
    a0 = moving_inputs.layer_values(tr.snapshots, X, tr.net, 1, "a_prev")
    np.testing.assert_array_equal(a0[3], X)
    zt = moving_inputs.layer_values(tr.snapshots, X, tr.net, 2, "z_tilde")
    beta = np.array([p["beta2"] for p, _ in tr.snapshots])
    gamma = np.array([p["gamma2"] for p, _ in tr.snapshots])
    np.testing.assert_allclose(zt.mean(axis=1), beta, atol=1e-12)
    s2 = z.var(axis=1)
    np.testing.assert_allclose(zt.var(axis=1), gamma ** 2 * s2 / (s2 + tr.net.eps), rtol=1e-9)
    with pytest.raises(ValueError, match="quantity"):
        moving_inputs.layer_values(tr.snapshots, X, tr.net, 1, "weights")


def test_layer_run_and_pinning(moons):
    X, y, Xt, yt = moons
    cfg = TrainConfig(steps=80, n_snapshots=10)
    plain = train(NetConfig(hidden=(8, 6), bn=(False, False)), X, y, Xt, yt, cfg)
    bn = train(NetConfig(hidden=(8, 6)), X, y, Xt, yt, cfg)
    view = moving_inputs.LayerView(moving_inputs.layer_run(plain, X, 2, "z", bins=20),
                                   moving_inputs.layer_run(bn, X, 2, "z", bins=20))
    r = view.bn
    z = moving_inputs.layer_values(bn.snapshots, X, bn.net, 2, "z")
    np.testing.assert_array_equal(r.steps, bn.snapshot_steps)
    np.testing.assert_allclose(r.mean, z.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(r.band, moving_inputs.band(z), rtol=1e-12)
    assert r.drift == common.drift(z.mean(axis=1), z.std(axis=1))
    assert r.edges.shape == (6, 21) and r.density.shape == (len(z), 6, 20) and r.finite
    assert r.test_acc == bn.test_acc[-1] > 0.5 and view.no_bn.beta is None
    np.testing.assert_allclose(r.beta, [p["beta2"] for p, _ in bn.snapshots])
    pin = moving_inputs.pinning(view)
    assert pin.off_mean < 1e-12 and pin.off_var < 1e-3  # up to ε in √(σ² + ε)
    assert pin.beta_range == pytest.approx(np.mean(np.ptp(r.beta, axis=0)), rel=1e-12)
    assert pin.plain_range == pytest.approx(np.mean(np.ptp(view.no_bn.zt_mean, axis=0)),
                                            rel=1e-12)
    tab = moving_inputs.band_table(view, 3)
    assert list(tab["network"].unique()) == ["no_bn", "bn"] and len(tab) == 2 * len(z)
    np.testing.assert_allclose(tab.loc[tab["network"] == "bn", "q50"], r.band[:, 3, 2])
    assert moving_inputs.layer_width("a_prev", 1, 16) == 2
    assert moving_inputs.layer_width("a_prev", 2, 16) == 16
    assert moving_inputs.layer_width("z", 1, 16) == 16

def test_band_and_histograms():
    rng = np.random.default_rng(1)
    vals = rng.normal(size=(6, 2000, 3)) * np.arange(1, 7)[:, None, None]
    q = moving_inputs.band(vals)
    assert q.shape == (6, 3, 5) and np.all(np.diff(q, axis=-1) >= 0)
    np.testing.assert_allclose(q[:, :, 2], np.median(vals, axis=1))
    edges, dens = moving_inputs.histograms(vals[:, :, 0], bins=30, lo=-40, hi=40)
    assert dens.shape == (6, 30)
    np.testing.assert_allclose(dens.sum(axis=1) * (edges[1] - edges[0]), 1.0)


# ---------------------------------------------------------------- mini-batch noise
def test_mean_spread_law_closed_form():
    np.testing.assert_allclose(mini_batch_noise.mean_spread_law(2.0, [1, 4, 16]), [2.0, 1.0, 0.5])
    np.testing.assert_allclose(mini_batch_noise.mean_spread_law(2.0, [1, 100], N=100), [2.0, 0.0])


def test_sample_batches_are_distinct_uniform_subsets():
    rng = np.random.default_rng(0)
    idx = mini_batch_noise.sample_batches(50, 7, 4000, rng)
    assert idx.shape == (4000, 7)
    assert all(len(set(r)) == 7 for r in idx[:200])
    counts = np.bincount(idx.ravel(), minlength=50)
    assert counts.min() > 0.8 * 4000 * 7 / 50 and counts.max() < 1.2 * 4000 * 7 / 50


def test_batch_noise_follows_the_law_in_layer_one(moons):
    X, y, _, _ = moons
    tr = train(NetConfig(), X, y, cfg=TrainConfig(steps=100))
    B = 1500
    bn = mini_batch_noise.batch_noise(tr.params, tr.net, X, (2, 8, 32, 128), n_batches=B, seed=1)
    sd_mu, _ = bn.spread(1)
    law = mini_batch_noise.mean_spread_law(np.sqrt(bn.pop_var[0]), bn.sizes[:, None], len(X))
    np.testing.assert_allclose(sd_mu, law, rtol=0.1)  # the sd of an sd estimate is ~1/√(2B)
    np.testing.assert_allclose(bn.mu[0].mean(axis=1), np.broadcast_to(bn.pop_mean[0],
                                                                      (4, 16)),
                               atol=4 * law.max() / np.sqrt(B))
    assert bn.out_diff[0] > 3 * bn.out_diff[-1] > 0
    assert bn.flips[0] >= bn.flips[-1]


def test_noise_view_selects_layer_unit_and_sorted_sizes(moons):
    X, y, _, _ = moons
    tr = train(NetConfig(), X, y, cfg=TrainConfig(steps=50))
    bn = mini_batch_noise.batch_noise(tr.params, tr.net, X, (2, 8, 32), n_batches=50, seed=1)
    nv = mini_batch_noise.noise_view(bn, 2, 5, 32, 2)  # sizes given large first
    assert (nv.m_small, nv.m_large, nv.i_small, nv.i_large) == (2, 32, 0, 2)
    assert nv.sigma == pytest.approx(np.sqrt(bn.pop_var[1][5]), rel=1e-15)
    np.testing.assert_array_equal(nv.mu_large, bn.mu[1][2, :, 5])
    np.testing.assert_array_equal(nv.sd_mu, bn.spread(2)[0][:, 5])
    np.testing.assert_allclose(nv.law_fpc,
                               mini_batch_noise.mean_spread_law(nv.sigma, [2, 8, 32], len(X)))
    table = mini_batch_noise.noise_table(nv)
    assert list(table["m"]) == [2, 8, 32]
    np.testing.assert_array_equal(table["flips"], bn.flips)

def test_a_batch_of_everything_is_eval_mode(moons):
    X, y, _, _ = moons
    tr = train(NetConfig(), X, y, cfg=TrainConfig(steps=50))
    bn = mini_batch_noise.batch_noise(tr.params, tr.net, X[:40], (40,), n_batches=3)
    assert bn.out_diff[0] < 1e-9 and bn.flips[0] == 0
    np.testing.assert_allclose(bn.spread(2)[0], 0.0, atol=1e-12)


def test_noisy_comparison_summary(moons):
    X, y, Xt, yt = moons
    cfg = TrainConfig(steps=200, batch_size=32, n_snapshots=30)
    cmp = noisy_bn.noisy_comparison(X, y, Xt, yt, (12, 12), "relu", cfg, 0.5, [0, 1])
    summ = noisy_bn.noisy_summary(cmp, 1)
    assert list(summ["variant"]) == ["no_bn"] * 2 + ["bn"] * 2 + ["noisy_bn"] * 2
    assert list(summ["seed"]) == [0, 1] * 3
    # the BN runs are the plain train() runs; the noisy runs are train() with bn_noise
    tr, idx = cmp.runs("noisy_bn")
    ref = train(NetConfig(hidden=(12, 12)), X, y, Xt, yt, replace(cfg, seed=1, bn_noise=0.5))
    np.testing.assert_allclose(tr.loss[idx[1]], ref.loss, rtol=1e-12)
    assert summ.loc[5, "test_acc"] == ref.test_acc[-1]  # noisy BN, seed 1
    # the injected per-step noise moves z̃ far more than learning does
    d = summ.groupby("variant")["drift"].mean()
    assert d["noisy_bn"] > 5 * d["bn"]
    with pytest.raises(ValueError, match="noise"):
        noisy_bn.noisy_comparison(X, y, Xt, yt, (4,), "relu", cfg, 0.0, [0])


def test_noisy_means_verdict_and_tables():
    summ = pd.DataFrame({"variant": ["no_bn", "no_bn", "bn", "bn", "noisy_bn", "noisy_bn"],
                         "seed": [0, 1] * 3, "test_acc": [1.0, 0.8, 0.9, 0.9, 0.7, 0.9],
                         "drift": [5.0, 7.0, 2.0, 2.0, 90.0, 80.0],
                         "diverged": [False, True, False, False, False, False]})
    means = noisy_bn.noisy_means(summ)
    assert means.test_acc == pytest.approx({"no_bn": 0.9, "bn": 0.9, "noisy_bn": 0.8})
    assert means.drift == pytest.approx({"no_bn": 6.0, "bn": 2.0, "noisy_bn": 85.0})
    assert noisy_bn.diverged_runs(summ) == [("no_bn", 1)]
    hurts = noisy_bn.noisy_verdict(summ, 0.99)  # a no-BN run diverged: not its concern
    assert hurts.outcome is Outcome.REVERSED
    assert hurts.evidence["drift_ratio"] == pytest.approx(42.5)
    holds = noisy_bn.noisy_verdict(summ.assign(test_acc=[1.0, 0.8, 0.9, 0.9, 0.88, 0.89]), 0.99)
    assert holds.outcome is Outcome.HOLDS  # within 0.02 of BN
    curves = {v: np.full((2, 4), i + 1.0) for i, v in enumerate(noisy_bn.VARIANTS)}
    np.testing.assert_array_equal(noisy_bn.loss_steps(curves), [1, 2, 3, 4])
    table = noisy_bn.loss_table(curves, (3, 4))
    assert list(table.columns) == ["step", "no_bn_seed3", "no_bn_seed4", "bn_seed3",
                                   "bn_seed4", "noisy_bn_seed3", "noisy_bn_seed4"]
    assert list(table["noisy_bn_seed4"]) == [3.0] * 4


def test_the_loss_curves_use_the_one_smoothing():
    assert noisy_bn.smoothed is smoothing.smoothed


def test_smooth():
    x = np.array([1.0, 2.0, 3.0, 4.0, np.nan])
    np.testing.assert_allclose(noisy_bn.smoothed(x, 2)[:4], [1.0, 1.5, 2.5, 3.5])
    assert np.isnan(noisy_bn.smoothed(x, 2)[4])
    np.testing.assert_array_equal(noisy_bn.smoothed(x[:4], 1), x[:4])


def test_core_modules_import_neither_streamlit_nor_plotly():
    code = ("import sys\nimport bnsim.lessons.covariate_shift.black_cats\n"
            "import bnsim.lessons.covariate_shift.moving_inputs\n"
            "import bnsim.lessons.covariate_shift.mini_batch_noise\n"
            "import bnsim.lessons.covariate_shift.noisy_bn\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('streamlit', 'plotly')]\n"
            "sys.exit(1 if bad else 0)\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


# ---------------------------------------------------------------- verdicts: every branch
from bnsim.verdict import Outcome  # noqa: E402


def _now(no_bn, bn, adabn=0.9, majority=0.8, train_no_bn=0.97, train_bn=0.97):
    return black_cats.ShiftAt(no_bn, bn, adabn, majority, train_no_bn, train_bn)


def test_shift_verdict_branches():
    assert black_cats.shift_verdict(0.0, 1.0, _now(0.97, 0.96)).outcome is Outcome.NOT_APPLICABLE
    v0 = black_cats.shift_verdict(0.0, 1.0, _now(0.97, 0.96))
    assert "repair" in v0.text and "does not repair" not in v0.text  # no verdict at shift 0
    assert v0.failed.name == "the test cloud is shifted"
    nl = black_cats.shift_verdict(3.0, 1.0, _now(0.5, 0.4, train_bn=0.6))
    assert nl.outcome is Outcome.NOT_APPLICABLE  # BN never learned the rule
    assert nl.failed.name == "both networks learned the rule" and "did not learn" in nl.text
    assert black_cats.shift_verdict(0.0, 1.5, _now(0.5, 0.4)).outcome is Outcome.HOLDS  # scale only
    held = black_cats.shift_verdict(3.0, 1.0, _now(0.3, 0.35, 0.77, 0.89))
    assert held.outcome is Outcome.HOLDS and "does not repair input shift" in held.text
    assert "Both lose accuracy" in held.text and "too" not in held.text
    assert "35.0 %" in held.text and "30.0 %" in held.text and "77.0 %" in held.text
    assert held.evidence["drop_bn"] == pytest.approx(0.62)
    assert black_cats.shift_verdict(1.0, 1.0, _now(0.95, 0.94)).outcome is Outcome.NO_EFFECT
    rev = black_cats.shift_verdict(3.0, 1.0, _now(0.6, 0.95))
    assert rev.outcome is Outcome.REVERSED and "absorb" in rev.text


def test_shift_verdict_states_the_contrast_when_only_bn_loses():
    """Issue 19, case 5: BN loses 64.5 pp, no BN 2.7 pp — no "too", the contrast instead."""
    v = black_cats.shift_verdict(3.0, 1.0, _now(0.943, 0.325, train_no_bn=0.97, train_bn=0.97))
    assert v.outcome is Outcome.HOLDS
    assert "too" not in v.text and "Both lose" not in v.text
    assert "BN loses 64.5 pp while no BN loses 2.7 pp only" in v.text
    assert "hurt more than the network without BN" in v.text
    gain = black_cats.shift_verdict(3.0, 1.0, _now(0.98, 0.5, train_no_bn=0.97, train_bn=0.97))
    assert "no BN gains 1.0 pp only" in gain.text


def test_adabn_verdict_branches():
    assert black_cats.adabn_verdict("line", 0.0, 1.0, 0.9, 0.9, 0.98).outcome \
        is Outcome.NOT_APPLICABLE
    nl = black_cats.adabn_verdict("line", 3.0, 1.0, 0.5, 0.5, 0.6)
    assert nl.outcome is Outcome.NOT_APPLICABLE and "did not learn" in nl.text
    v = black_cats.adabn_verdict("line", 3.0, 1.0, 0.83, 0.98, 0.98)
    assert v.outcome is Outcome.HOLDS and "restored" in v.text
    assert "kept" in black_cats.adabn_verdict("line", 3.0, 1.0, 0.98, 0.98, 0.99).text
    assert black_cats.adabn_verdict("circle", 3.0, 1.0, 0.73, 0.50, 0.96).outcome \
        is Outcome.REVERSED
    part = black_cats.adabn_verdict("sine", 3.0, 1.0, 0.35, 0.77, 0.97)
    assert part.outcome is Outcome.NO_EFFECT and "still short" in part.text
    assert black_cats.adabn_verdict("sine", 3.0, 1.0, 0.35, 0.36, 0.97).outcome is Outcome.NO_EFFECT


def test_drift_verdict_branches():
    held = moving_inputs.drift_verdict(8.0, 4.0, "a^[2]")
    assert held.outcome is Outcome.HOLDS and "8.00" in held.text and "4.00" in held.text
    assert held.evidence["ratio"] == 0.5 and "at this seed" in held.text
    rev = moving_inputs.drift_verdict(2.2, 2.86, "a^[1]")
    assert rev.outcome is Outcome.REVERSED and "at this seed" in rev.text
    same = moving_inputs.drift_verdict(2.2, 2.3, "a^[1]")
    assert same.outcome is Outcome.NO_EFFECT and "at this seed" in same.text
    still = moving_inputs.drift_verdict(0.0, 0.0, "a^[0]")
    assert still.outcome is Outcome.NOT_APPLICABLE and "never moves" in still.text
    nan = moving_inputs.drift_verdict(float("nan"), 1.0, "z")
    assert nan.outcome is Outcome.NOT_APPLICABLE and "not a finite number" in nan.text


def test_pinning_verdict_branches():
    ok = moving_inputs.pinning_verdict(2, moving_inputs.Pinning(1e-15, 1e-6, 0.4, 1.2))
    assert ok.outcome is Outcome.HOLDS and "0.400" in ok.text and "1.20" in ok.text
    assert "variance γ² at every step" in ok.text
    eps = moving_inputs.pinning_verdict(2, moving_inputs.Pinning(1e-15, 1e-6, 0.4, 1.2, 0.3))
    assert eps.outcome is Outcome.HOLDS and "γ²·σ²/(σ² + ε)" in eps.text  # ε's share said
    assert "30.0 %" in eps.text
    off = moving_inputs.Pinning(0.3, 0.2, 0.4, 1.2)
    assert moving_inputs.pinning_verdict(2, off).outcome is Outcome.REVERSED
    assert moving_inputs.pinning_verdict(2, off._replace(off_mean=float("nan"))).outcome \
        is Outcome.NOT_APPLICABLE


def _nv(sd_small, sd_large, m=(4, 64), sigma=1.0, layer=1):
    sizes = np.array(m)
    law = mini_batch_noise.mean_spread_law(sigma, sizes, 1000)
    return mini_batch_noise.NoiseView(layer, 0, m[0], m[1], 0, len(m) - 1, sigma, 0.0, law, law,
                                      np.zeros(3), np.zeros(3), np.array([sd_small, sd_large]),
                                      np.zeros(2), sizes, 1000, np.zeros(2), np.zeros(2))


def test_noise_law_verdict_branches():
    law = mini_batch_noise.mean_spread_law(1.0, np.array([4, 64]), 1000)
    assert mini_batch_noise.noise_law_verdict(_nv(*law)).outcome is Outcome.HOLDS
    grows = mini_batch_noise.noise_law_verdict(_nv(0.1, 0.2))
    assert grows.outcome is Outcome.REVERSED and "normalised" not in grows.text
    assert "normalised by the same" in mini_batch_noise.noise_law_verdict(
        _nv(0.1, 0.2, layer=3)).text
    one = mini_batch_noise.noise_law_verdict(_nv(0.2, 0.19))
    assert one.outcome is Outcome.NO_EFFECT and "measured spread itself noisy" in one.text
    two = mini_batch_noise.noise_law_verdict(_nv(0.2, 0.19, layer=2))
    assert two.outcome is Outcome.NO_EFFECT and "normalised by the same mini-batch" in two.text
    same = mini_batch_noise.noise_law_verdict(_nv(0.5, 0.5, m=(4, 4)))
    assert same.outcome is Outcome.NOT_APPLICABLE and "two different sizes" in same.text
    flat = mini_batch_noise.noise_law_verdict(_nv(0.5, 0.1, sigma=0.0))
    assert flat.outcome is Outcome.NOT_APPLICABLE and "does not vary" in flat.text
    # at m = 2 over a BN layer μ_B can be constant: a spread of 1e-15 is said as 0, not quoted
    pinned = mini_batch_noise.noise_law_verdict(_nv(1.15e-15, 0.00236, layer=4))
    assert pinned.outcome is Outcome.REVERSED and "is 0 (up to rounding) at m" in pinned.text
    assert "e-15" not in pinned.text


def _summary(bn, noisy, diverged=False):
    k = len(bn)
    return pd.DataFrame({"variant": ["no_bn"] * k + ["bn"] * k + ["noisy_bn"] * k,
                         "seed": list(range(k)) * 3, "test_acc": [0.99] * k + bn + noisy,
                         "drift": [6.0] * k + [2.0] * k + [90.0] * k,
                         "diverged": [False] * (3 * k - 1) + [diverged]})


def test_noisy_verdict_branches():
    held = noisy_bn.noisy_verdict(_summary([0.99, 0.98, 0.99], [0.985, 0.99, 0.95]), 0.99)
    assert held.outcome is Outcome.HOLDS and "in 2 of 3 runs" in held.text
    assert "about as well" in held.text
    assert held.evidence["drift_ratio"] == pytest.approx(45.0)
    worse = noisy_bn.noisy_verdict(_summary([0.99, 0.98], [0.90, 0.91]), 0.99)
    assert worse.outcome is Outcome.REVERSED and "in 2 of 2 runs" in worse.text
    assert "hurts: 8.0 pp below BN" in worse.text
    assert noisy_bn.noisy_verdict(_summary([0.99], [0.9], diverged=True), 0.99).outcome \
        is Outcome.NOT_APPLICABLE


def test_noisy_verdict_about_as_well_means_within_2_pp_either_way():
    """Issue 19, case 1: noisy BN 5.6 pp above BN is "better", not "about as well"."""
    better = noisy_bn.noisy_verdict(_summary([0.90, 0.92, 0.91], [0.96, 0.97, 0.97]), 0.99)
    assert better.outcome is Outcome.HOLDS and "about as well" not in better.text
    assert "does better than BN, by 5.7 pp" in better.text and "in 3 of 3 runs" in better.text
    one = noisy_bn.noisy_verdict(_summary([0.95], [0.96]), 0.99)
    assert "at this seed" in one.text and " run" not in one.text.split("as far")[1]


def test_noisy_verdict_needs_something_that_trains():
    """Issue 19, case 1: 73.2 % vs 67.6 % where a network trains at ≥ 87 %: no judgement."""
    v = noisy_bn.noisy_verdict(_summary([0.676, 0.676, 0.676], [0.732, 0.732, 0.732]), 0.998)
    assert v.outcome is Outcome.NOT_APPLICABLE and v.failed.name == "something trains"
    assert "None of these networks trains" in v.text
    assert "about as well" not in v.text and "hurts" not in v.text
    flat = noisy_bn.noisy_verdict(_summary([0.5], [0.5]), 0.52)  # nothing learnable
    assert flat.outcome is Outcome.NOT_APPLICABLE and flat.failed.name == "the data is learnable"


def _reg(gaps_small, gaps_large, diverged=False, train=(0.95, 0.95), plain=(0.0, 0.0),
         test=0.9):
    """A sweep with the BN loss gaps per seed at m = 4 and 256, BN's training accuracy at the
    two sizes (``train``) and the no-BN gaps (``plain``, the same for every seed)."""
    rows = []
    for i, (m, gaps) in enumerate(((4, gaps_small), (256, gaps_large))):
        for s, g in enumerate(gaps):
            for key, gap, acc in (("bn", g, train[i]), ("no_bn", plain[i], 0.95)):
                rows.append({"m": m, "network": key, "seed": s, "train_loss": 0.1,
                             "test_loss": 0.1 + gap, "loss_gap": gap, "train_acc": acc,
                             "test_acc": test, "acc_gap": acc - test,
                             "diverged": diverged and m == 256 and key == "bn"})
    noise = pd.DataFrame({"m": [4, 256], "sd_mu_rel": [0.2, 0.0], "sd_sigma2_rel": [0.4, 0.0]})
    return mini_batch_noise.RegSweep(pd.DataFrame(rows), noise, 256)


def test_regularisation_verdict_branches():
    ref = 0.95
    held = mini_batch_noise.regularisation_verdict(_reg([0.0, 0.01], [1.0, 0.02]), ref)
    assert held.outcome is Outcome.HOLDS and "in 1 of 2 runs" in held.text
    assert "m = 4" in held.text and "m = 256" in held.text and "matched" in held.text
    same = mini_batch_noise.regularisation_verdict(_reg([0.0, 0.01], [1.0, 0.02],
                                                        plain=(0.0, 0.6)), ref)
    assert same.outcome is Outcome.NO_EFFECT and "comes from m itself" in same.text
    assert mini_batch_noise.regularisation_verdict(_reg([0.5, 0.5], [0.0, 0.1]), ref).outcome \
        is Outcome.REVERSED
    quiet = mini_batch_noise.regularisation_verdict(_reg([0.0, 0.0], [0.01, 0.02]), ref)
    assert quiet.outcome is Outcome.NO_EFFECT and "nothing overfits" in quiet.text
    loud = mini_batch_noise.regularisation_verdict(_reg([0.5, 0.5], [0.52, 0.53]), ref)
    assert loud.outcome is Outcome.NO_EFFECT and "nothing overfits" not in loud.text
    assert mini_batch_noise.regularisation_verdict(_reg([0.0], [1.0], diverged=True),
                                                   ref).outcome is Outcome.NOT_APPLICABLE


def test_regularisation_verdict_abstains_on_underfitting():
    """Issue 19, case 4: a smaller gap at m = 4 that comes with a lower training accuracy is
    underfitting, not regularisation."""
    under = mini_batch_noise.regularisation_verdict(
        _reg([0.0, 0.0], [1.0, 1.0], train=(0.85, 0.98)), 0.95)
    assert under.outcome is Outcome.NOT_APPLICABLE
    assert under.failed.name == "matched training accuracy"
    assert "underfitting" in under.text and "13.0 pp less" in under.text
    assert "less regularisation" not in under.text
    over = mini_batch_noise.regularisation_verdict(
        _reg([0.0, 0.0], [1.0, 1.0], train=(0.99, 0.95)), 0.95)
    assert over.outcome is Outcome.NOT_APPLICABLE and "4.0 pp better" in over.text
    # lower training accuracy at m = 4 but the larger gap there: not "underfitting"
    flip = mini_batch_noise.regularisation_verdict(
        _reg([0.2, 0.2], [0.0, 0.0], train=(0.96, 1.0)), 0.95)
    assert flip.outcome is Outcome.NOT_APPLICABLE and "underfitting" not in flip.text
    assert "4.0 pp less" in flip.text and "not compared at matched" in flip.text
    flat = mini_batch_noise.regularisation_verdict(_reg([0.0], [1.0], test=0.6), 0.95)
    assert flat.outcome is Outcome.NOT_APPLICABLE and flat.failed.name == "something trains"


def test_regularisation_sweep_measures_gaps_and_noise(moons):
    X, y, Xt, yt = moons
    sw = mini_batch_noise.regularisation_sweep(X[:64], y[:64], Xt, yt, (8, 8), "relu",
                                               TrainConfig(steps=60), [0, 1],
                                               sizes=(4, 64, 500))
    assert sorted(sw.runs["m"].unique()) == [4, 64]  # 500 > the 64 examples: skipped
    assert len(sw.runs) == 2 * 2 * 2 and set(sw.runs["network"]) == {"bn", "no_bn"}
    r = sw.runs.iloc[0]
    assert r["loss_gap"] == pytest.approx(r["test_loss"] - r["train_loss"])
    assert r["acc_gap"] == pytest.approx(r["train_acc"] - r["test_acc"])
    noise = sw.noise.set_index("m")["sd_mu_rel"]
    assert noise[4] > 0.1 and noise[64] < 1e-9  # a batch of all 64 has no noise
    columns = list(mini_batch_noise.regularisation_table(sw).columns)
    assert columns[-2:] == ["sd_mu_rel", "sd_sigma2_rel"]
    # the BN runs are the stacked train() runs: the eval-mode loss on the training set
    from bnsim import network
    tr = train(NetConfig(hidden=(8, 8)), X[:64], y[:64], Xt, yt, TrainConfig(steps=60,
                                                                             batch_size=4))
    p = network.predict_proba(tr.params, X[:64], tr.net, "eval", tr.running_stats)
    loss = -np.mean(np.log(p[np.arange(64), y[:64]]))
    assert r["train_loss"] == pytest.approx(loss, rel=1e-9)


def test_shift_and_adabn_verdicts_abstain_on_a_one_class_cloud():
    """A shifted cloud that is ≥ 95 % one class: a constant answer scores that much, so "BN
    kept its accuracy" or "restored" would say nothing — both verdicts abstain and say why."""
    v = black_cats.shift_verdict(5.0, 2.0, _now(0.0, 1.0, majority=1.0, train_no_bn=0.9,
                                                train_bn=0.99))
    assert v.outcome is Outcome.NOT_APPLICABLE
    assert v.failed.name == "the shifted cloud holds both classes"
    assert "mostly one class" in v.text and "absorb" not in v.text
    a = black_cats.adabn_verdict("sine", 5.0, 2.0, 1.0, 0.89, 0.99, majority=0.97)
    assert a.outcome is Outcome.NOT_APPLICABLE and "mostly one class" in a.text
    assert "restored" not in a.text and "worse" not in a.text
    kept = black_cats.adabn_verdict("sine", 5.0, 2.0, 1.0, 0.99, 0.99, majority=0.94)
    assert kept.outcome is Outcome.HOLDS  # 94 % one class: still judged
