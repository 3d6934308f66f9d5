"""Estimators of the running-statistics lesson against PyTorch 2.13 vectors, the core's
framework rules and the trainer's own running statistics; every verdict's branches."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from bnsim import data, network, notation, running
from bnsim.lessons.running_stats import (
    common,
    distribution_at_a_step,
    error_vs_population,
    frameworks,
    trajectory,
)
from bnsim.lessons.running_stats.error_vs_population import (
    start_value_lag_verdict,
    trails_verdict,
)
from bnsim.lessons.running_stats.trajectory import (
    batch_mean_spread_verdict,
    settles_verdict,
    variance_shortfall_verdict,
)
from bnsim.network import NetConfig
from bnsim.train import TrainConfig, train
from bnsim.verdict import Outcome
from tests import helpers

# 6 mini-batches of m = 5 examples, 2 units; the running statistics torch.nn.BatchNorm1d(2)
# (float64, train mode) holds after each of them, for momentum 0.1, 0.25 and None.
Z = np.array([
    [[1.5, 2.1], [0.95, -0.28], [0.59, -0.48], [1.62, 4.18], [0.52, 0.26]],
    [[2.48, 2.21], [1.71, -0.36], [1.44, 2.89], [-1.19, 0.58], [-2.3, -1.08]],
    [[-2.18, 1.03], [-1.03, 2.04], [1.81, 1.13], [-3.53, 0.42], [1.4, 1.73]],
    [[-1.56, 0.54], [-0.46, -0.12], [3.62, -0.12], [1.43, 3.27], [0.33, 1.28]],
    [[1.72, 1.63], [-0.95, 1.65], [4.22, -1.59], [3.22, 1.74], [0.22, 5.5]],
    [[3.02, -0.9], [1.65, 2.65], [1.12, 2.87], [1.37, 2.83], [4.38, 0.15]],
])
TORCH = {
    0.1: ([[0.1036, 0.1156], [0.13604, 0.18884], [0.051836, 0.296956],
           [0.1138524, 0.3642604], [0.27106716, 0.50643436], [0.474760444, 0.607790924]],
          [[0.925723, 1.289428], [1.2566077, 1.4423122], [1.65639993, 1.33818598],
           [1.881896937, 1.403047382], [2.1405352433, 1.8936456438],
           [2.11458871897, 2.01800107942]]),
    0.25: ([[0.259, 0.289], [0.30125, 0.42875], [0.0494375, 0.6390625],
            [0.205078125, 0.721796875], [0.57530859375, 0.98784765625],
            [1.008481445312, 1.120885742188]],
           [[0.8143075, 1.72357], [1.669373125, 1.997245], [2.56566234375, 1.59819625],
            [2.902089257812, 1.6953471875], [3.293636943359, 2.848767890625],
            [2.94049520752, 2.920875917969]]),
    None: ([[1.036, 1.156], [0.732, 1.002], [0.252666666667, 1.091333333333],
            [0.3575, 1.061], [0.6232, 1.206], [0.904, 1.258333333333]],
           [[0.25723, 3.89428], [2.2459, 3.356275], [3.248776666667, 2.3712],
            [3.414425, 2.2751], [3.625196, 3.081886], [3.334508333333, 3.091105]]),
}


def _unit(batches: np.ndarray, j: int) -> common.UnitStats:
    """UnitStats of unit j of raw batches (T, m, n), with a made-up population."""
    T, m, _ = batches.shape
    var_b = batches[:, :, j].var(axis=1)
    steps = np.arange(1, T + 1)
    return common.UnitStats(layer=1, unit=j, has_bn=True, m=m, steps=steps,
                            mu=batches[:, :, j].mean(axis=1), var_b=var_b,
                            var_u=var_b * m / (m - 1), pop_steps=steps, pop_mean=np.full(T, 0.5),
                            pop_var_b=np.full(T, 2.0), pop_var_u=np.full(T, 2.0 * 400 / 399))


@pytest.mark.parametrize("j", [0, 1])
@pytest.mark.parametrize("momentum", [0.1, 0.25])
def test_ema_is_pytorch_batchnorm_with_momentum_one_minus_beta(momentum, j):
    est = common.estimate(_unit(Z, j), beta=1 - momentum)
    mean, var = (np.array(a)[:, j] for a in TORCH[momentum])
    np.testing.assert_allclose(est.get("ema", "mean"), mean, rtol=0, atol=1e-11)
    np.testing.assert_allclose(est.get("ema", "var", "unbiased"), var, rtol=0, atol=1e-10)
    pytorch = frameworks.framework_values(est)["pytorch"]
    assert pytorch == pytest.approx((mean[-1], var[-1]), abs=1e-10)


@pytest.mark.parametrize("j", [0, 1])
def test_cumulative_average_is_pytorch_momentum_none(j):
    est = common.estimate(_unit(Z, j), beta=0.9)
    mean, var = (np.array(a)[:, j] for a in TORCH[None])
    np.testing.assert_allclose(est.get("cumulative", "mean"), mean, rtol=0, atol=1e-11)
    np.testing.assert_allclose(est.get("cumulative", "var", "unbiased"), var, rtol=0, atol=1e-11)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.99, 0.999])
def test_estimators_equal_the_core_framework_rules_on_the_same_batches(beta):
    batches = np.random.default_rng(3).normal(1.0, 2.0, (40, 8, 3))
    pt = running.track(batches, convention="pytorch", momentum=1 - beta)
    ke = running.track(batches, convention="keras", momentum=beta)
    cum = running.track(batches, convention="pytorch", momentum=None)
    for j in range(3):
        est = common.estimate(_unit(batches, j), beta)
        np.testing.assert_allclose(est.get("ema", "mean"), pt.running_mean[:, j], rtol=1e-12,
                                   atol=1e-14)
        np.testing.assert_allclose(est.get("ema", "var", "unbiased"), pt.running_var[:, j],
                                   rtol=1e-12)
        np.testing.assert_allclose(est.get("ema", "var", "biased"), ke.running_var[:, j],
                                   rtol=1e-12)
        np.testing.assert_allclose(est.get("cumulative", "var", "unbiased"),
                                   cum.running_var[:, j], rtol=1e-12)
        fw = frameworks.framework_values(est, step=17)
        assert fw["pytorch"] == pytest.approx((pt.running_mean[16, j], pt.running_var[16, j]),
                                              rel=1e-12)
        assert fw["keras"] == pytest.approx((ke.running_mean[16, j], ke.running_var[16, j]),
                                            rel=1e-12)


def test_bias_correction_removes_the_start_value():
    """v̂_1 = θ_1 whatever v_0 is, and a constant sequence is returned exactly."""
    us = _unit(Z, 0)
    est = common.estimate(us, 0.99)
    assert est.get("ema_bc", "mean")[0] == pytest.approx(us.mu[0], rel=1e-12)
    assert est.get("ema_bc", "var", "biased")[0] == pytest.approx(us.var_b[0], rel=1e-12)
    const = np.ones((30, 4, 1)) * np.array([0.0, 1.0, 2.0, 5.0])[None, :, None]
    e = common.estimate(_unit(const, 0), 0.9)
    np.testing.assert_allclose(e.get("ema_bc", "mean"), 2.0, rtol=1e-12)
    np.testing.assert_allclose(e.get("ema_bc", "var", "biased"), 3.5, rtol=1e-12)
    # the plain EMA of the mean starts at (1 − β)·θ: pulled towards its start value 0
    np.testing.assert_allclose(e.get("ema", "mean")[:3], 2.0 * (1 - 0.9 ** np.arange(1, 4)))


def test_window_first_within_and_error_at():
    assert common.effective_window(0.9) == pytest.approx(10.0)
    assert common.effective_window(0.999) == pytest.approx(1000.0)
    assert common.effective_window(0.0) == 1.0
    steps = np.array([1, 2, 4, 8, 16])
    rel = np.array([0.9, 0.3, 0.04, 0.06, 0.01])
    assert trajectory.within_from(steps, rel, 0.05) == 16  # the dip to 4 % at step 4 doesn't last
    assert trajectory.within_from(steps, rel, 0.1) == 4
    assert trajectory.within_from(steps, rel, 1.0) == 1
    assert trajectory.within_from(steps, rel, 0.005) is None
    assert trajectory.within_from(steps, np.array([0.0, np.nan, 0.0, 0.0, 0.0]), 0.1) == 4
    assert error_vs_population.error_at(steps, rel, 10.0) == (16, 0.01)
    assert error_vs_population.error_at(steps, rel, 99.0) == (16, 0.01)


@pytest.fixture(scope="module")
def moons():
    return helpers.moons(200, 100, 0.1)


@pytest.fixture(scope="module")
def run(moons):
    X, y, Xt, yt = moons
    return train(NetConfig(hidden=(8, 6), bn=(True, True)), X, y, Xt, yt,
                 TrainConfig(steps=150, batch_size=16, seed=2))


def test_ema_with_beta_09_reproduces_the_trainers_pytorch_running_statistics(run):
    """The trainer ran PyTorch's convention (momentum 0.1): β_EMA = 0.9 with the unbiased
    variance must give exactly what the network stored, for every unit."""
    for layer, width in ((1, 8), (2, 6)):
        for unit in range(width):
            est = common.estimate(common.unit_stats(run, layer, unit), 0.9)
            np.testing.assert_allclose(est.get("ema", "mean"),
                                       run.running_mean[:, layer - 1, unit], rtol=1e-12,
                                       atol=1e-14)
            np.testing.assert_allclose(est.get("ema", "var", "unbiased"),
                                       run.running_var[:, layer - 1, unit], rtol=1e-12)
    est = common.estimate(common.unit_stats(run, 2, 3), 0.9)
    mean, var = frameworks.framework_values(est)["pytorch"]
    assert (mean, var) == pytest.approx((run.running_stats["mean2"][3],
                                         run.running_stats["var2"][3]), rel=1e-12)


def test_keras_convention_trainer_matches_the_biased_ema(moons):
    X, y, _, _ = moons
    tr = train(NetConfig(hidden=(4,), bn=(True,)), X, y,
               cfg=TrainConfig(steps=30, batch_size=8, convention="keras", momentum=0.95))
    est = common.estimate(common.unit_stats(tr, 1, 2), 0.95)
    np.testing.assert_allclose(est.get("ema", "var", "biased"), tr.running_var[:, 0, 2],
                               rtol=1e-12)


def test_errors_against_the_population_at_snapshot_steps(run):
    us = common.unit_stats(run, 2, 1)
    est = common.estimate(us, 0.8)
    errs = common.errors(us, est, "unbiased")
    np.testing.assert_array_equal(errs.steps, run.snapshot_steps)
    i = 7
    s = run.snapshot_steps[i]
    expect = abs(est.get("ema_bc", "mean")[s - 1] - run.pop_mean[i, 1, 1])
    assert errs.abs["mean"]["ema_bc"][i] == pytest.approx(expect, rel=1e-12)
    assert errs.rel["mean"]["ema_bc"][i] == pytest.approx(
        expect / np.sqrt(run.pop_var_unbiased[i, 1, 1]), rel=1e-12)
    expect_v = abs(est.get("cumulative", "var", "biased")[s - 1] - run.pop_var[i, 1, 1])
    errs_b = common.errors(us, est, "biased")
    assert errs_b.rel["var"]["cumulative"][i] == pytest.approx(
        expect_v / run.pop_var[i, 1, 1], rel=1e-12)


def test_value_range_holds_every_estimator_for_any_beta(run):
    """The y-range doesn't depend on β_EMA, and every estimate stays inside it (up to the few
    percentile-clipped batch outliers, which the estimators average away)."""
    us = common.unit_stats(run, 1, 4)
    for stat, var in (("mean", "unbiased"), ("var", "unbiased"), ("var", "biased")):
        lo, hi = common.value_range(us, stat, var)
        for beta in (0.0, 0.5, 0.9, 0.999):
            est = common.estimate(us, beta)
            for name in common.RUNNING:
                v = est.get(name, stat, var)
                inside = np.mean((v >= lo) & (v <= hi))
                assert inside > (0.97 if beta == 0 else 0.99), (stat, var, beta, name)
        assert lo <= common.INIT[stat] <= hi


def test_variance_ratio_shows_the_bias_of_the_biased_batch_variance(moons):
    X, y, _, _ = moons
    tr = train(NetConfig(hidden=(6,), bn=(True,)), X, y,
               cfg=TrainConfig(steps=400, batch_size=4, lr=1e-4, optimizer="gd"))
    us = common.unit_stats(tr, 1, 2)
    biased, unbiased = (variance_shortfall_verdict(us, kind, False).evidence["ratio"]
                        for kind in ("biased", "unbiased"))
    assert biased == pytest.approx(0.75, abs=0.08)
    assert unbiased == pytest.approx(1.0, abs=0.1)
    assert unbiased / biased == pytest.approx(
        4 / 3 * 199 / 200, rel=1e-9)  # m/(m−1) over (N/(N−1)), N = 200


def test_check_unit_clips_with_a_note():
    """Units are numbered j = 1 … n^[l] on screen (as on every page); the index is j − 1."""
    net = NetConfig(hidden=(16, 8), bn=(True, False))
    assert common.check_unit(net, 2, 3) == (2, 2, [])
    assert common.check_unit(net, 2, 8) == (2, 7, [])
    layer, unit, notes = common.check_unit(net, 4, 12)
    assert (layer, unit) == (2, 7)
    assert "2 hidden layers" in notes[0] and "8 units (1–8)" in notes[1]
    assert "showing unit 8 instead of 12" in notes[1]
    assert common.check_unit(net, 0, 0)[:2] == (1, 0)
    with pytest.raises(ValueError, match="layer 3"):
        common.unit_stats(train(net, *data.make_dataset("xor", 40, 0.1, 0),
                                cfg=TrainConfig(steps=3, batch_size=8)), 3, 0)


def test_layer_without_bn_has_batch_stats_but_no_running_estimate(moons):
    X, y, _, _ = moons
    tr = train(NetConfig(hidden=(5, 5), bn=(False, True)), X, y,
               cfg=TrainConfig(steps=20, batch_size=10))
    us = common.unit_stats(tr, 1, 0)
    assert not us.has_bn and np.all(np.isfinite(us.mu))
    assert common.unit_stats(tr, 2, 0).has_bn


def test_trajectory_frame_is_tidy_and_matches_the_estimates(run):
    us = common.unit_stats(run, 1, 2)
    est = common.estimate(us, 0.9)
    df = trajectory.trajectory_frame(us, est, "biased", shown=("ema", "population"))
    assert list(df.columns) == ["step", "layer", "unit", "statistic", "series", "value",
                                "beta_ema", "variance"]
    T, S = len(run.loss), len(run.snapshot_steps)
    assert len(df) == 2 * (2 * T + S)
    assert set(df["series"]) == {"batch", "ema", "population"}
    v = df[(df.statistic == "variance") & (df.series == "ema")]["value"].to_numpy()
    np.testing.assert_array_equal(v, est.get("ema", "var", "biased"))
    pop = df[(df.statistic == "mean") & (df.series == "population")]
    np.testing.assert_array_equal(pop["step"], run.snapshot_steps)
    assert (df["layer"] == 1).all() and (df["beta_ema"] == 0.9).all()
    assert (df["unit"] == 3).all()  # unit index 2 is unit j = 3 on screen and in the CSV
    no_bn = trajectory.trajectory_frame(us, None, "unbiased")
    assert set(no_bn["series"]) == {"batch", "population"} and no_bn["beta_ema"].isna().all()
    assert isinstance(df, pd.DataFrame)


def test_distribution_replays_the_mini_batch_of_that_step(run, moons):
    X, y = moons[0], moons[1]
    s = int(run.snapshot_steps[9])
    asked = s + 1 if s + 1 not in run.snapshot_steps else s
    d = distribution_at_a_step.distribution_at(run, X, y, 2, 4, asked)
    assert d.step == s
    assert d.z_batch is not None and len(d.z_batch) == 16
    assert d.z_batch.mean() == pytest.approx(run.batch_mean[s - 1, 1, 4], rel=1e-10)
    assert d.z_batch.var() == pytest.approx(run.batch_var[s - 1, 1, 4], rel=1e-10)
    assert d.z_all.mean() == pytest.approx(run.pop_mean[9, 1, 4], rel=1e-10)
    params, _ = run.snapshot_at(s)
    pop = network.population_stats(params, X, run.net)[2]
    assert d.pop_mean == pytest.approx(pop[0][4], rel=1e-12)
    lo, hi = distribution_at_a_step.z_range(common.unit_stats(run, 2, 4))
    assert lo < d.pop_mean < hi


def test_noisy_bn_runs_show_no_replayed_batch(moons):
    X, y, _, _ = moons
    tr = train(NetConfig(hidden=(4,), bn=(True,)), X, y,
               cfg=TrainConfig(steps=10, batch_size=8, bn_noise=0.5))
    d = distribution_at_a_step.distribution_at(tr, X, y, 1, 0, 5)
    assert d.z_batch is None and d.mu_batch == tr.batch_mean[d.step - 1, 0, 0]


def test_running_estimators_are_named_by_the_registry():
    assert set(common.RUNNING) < set(notation.ESTIMATORS)
    assert common.Estimates._fields[1:] == common.RUNNING  # a field per estimator, drawn in order


def test_estimators_module_imports_neither_streamlit_nor_plotly():
    modules = ", ".join(f"bnsim.lessons.running_stats.{m}" for m in (
        "common", "trajectory", "error_vs_population", "distribution_at_a_step", "frameworks"))
    code = (f"import sys, {modules}\n"
            "sys.exit(any(m.split('.')[0] in ('streamlit', 'plotly') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_bad_input():
    with pytest.raises(ValueError, match="beta"):
        common.estimate(_unit(Z, 0), 1.0)
    with pytest.raises(ValueError, match="variance"):
        _unit(Z, 0).sigma2("sample")


# ---- claims: one test per outcome of every judging sentence --------------------------------

def _series(mu, var=None, pop_mean=None, pop_var=None, m=32, N=400, layer=1) -> common.UnitStats:
    """UnitStats of T steps from given μ_B (and σ²_B biased); every step is a snapshot."""
    mu = np.asarray(mu, dtype=float)
    T = len(mu)
    var = np.ones(T) if var is None else np.asarray(var, dtype=float)
    pop_mean = mu.copy() if pop_mean is None else np.asarray(pop_mean, dtype=float)
    pop_var = np.ones(T) if pop_var is None else np.asarray(pop_var, dtype=float)
    steps = np.arange(1, T + 1)
    return common.UnitStats(layer=layer, unit=0, has_bn=True, m=m, steps=steps, mu=mu,
                            var_b=var, var_u=var * m / (m - 1), pop_steps=steps,
                            pop_mean=pop_mean, pop_var_b=pop_var, pop_var_u=pop_var * N / (N - 1))


def test_settles_has_a_branch_for_every_outcome():
    steps = np.array([1, 2, 4, 8, 16])
    v = settles_verdict(steps, np.array([0.9, 0.3, 0.04, 0.06, 0.01]), 0.1, "ema", "mean")
    assert v.outcome is Outcome.HOLDS and v.evidence["from_step"] == 4
    assert v.text == ("The EMA of μ stays within 10 % of σ_pop from step 4 on (1.0 % off at "
                      "step 16).")
    v = settles_verdict(steps, np.array([0.9, 0.3, 0.2, 0.2, 0.05]), 0.1, "cumulative", "var")
    assert v.outcome is Outcome.NO_EFFECT and "only at the last step (16)" in v.text
    v = settles_verdict(steps, np.array([0.9, 0.3, 0.04, 0.06, 0.25]), 0.1, "ema_bc", "mean")
    assert v.outcome is Outcome.REVERSED and v.text == (
        "The bias-corrected EMA of μ is still 25.0 % of σ_pop off at step 16, outside the "
        "10 % tolerance.")
    v = settles_verdict(steps, np.array([0.9, 0.3, 0.04, 0.06, np.nan]), 0.1, "ema", "var")
    assert v.outcome is Outcome.NOT_APPLICABLE and "σ²_pop = 0" in v.text
    assert settles_verdict(steps, np.zeros(5) + 1e-5, 0.1, "ema", "mean").text.endswith(
        "(< 0.1 % off at step 16).")


def test_start_value_lag_has_a_branch_for_every_outcome():
    def lag(us, beta):
        est = common.estimate(us, beta)
        return start_value_lag_verdict(us, est, common.errors(us, est), "mean")

    far = lag(_series(np.full(40, 2.0)), 0.9)  # μ_pop = 2 = μ_B, σ_pop = 1, v₀ = 0
    assert far.outcome is Outcome.HOLDS and far.evidence["step"] == 10
    assert far.evidence["ema"] == pytest.approx(2 * 0.9 ** 10 / np.sqrt(400 / 399))  # σ_pop
    assert far.evidence["ema_bc"] == pytest.approx(0, abs=1e-12)
    assert far.text == ("At step 10 the start value v₀ = 0 still weighs β_EMA^10 = 34.9 %: the "
                        "EMA of μ is 69.6 % of σ_pop off, the bias-corrected EMA only < 0.1 %.")
    near = lag(_series(np.full(40, 0.02)), 0.9)  # μ_pop ≈ v₀: the start value costs little
    assert near.outcome is Outcome.NO_EFFECT
    assert near.evidence["gap"] == pytest.approx(0.02 * 0.9 ** 10 / np.sqrt(400 / 399))
    helped = lag(_series(np.full(40, 1.0), pop_mean=np.zeros(40)), 0.9)  # μ_B ≠ μ_pop = v₀
    assert helped.outcome is Outcome.REVERSED and "happened to help" in helped.text
    assert lag(_series(np.full(40, 2.0)), 0.0).outcome is Outcome.NOT_APPLICABLE
    slow = lag(_series(np.full(40, 2.0)), 0.999)  # window 1000 > 40 steps: judged at the end
    assert slow.evidence["step"] == 40 and slow.holds


def test_trails_has_a_branch_for_every_outcome():
    def verdict(us, beta):
        return trails_verdict(us, common.errors(us, common.estimate(us, beta)))

    learning = verdict(_series(np.linspace(0, 2, 200)), 0.9)  # μ_pop moves by 2 σ_pop
    assert learning.outcome is Outcome.HOLDS
    assert learning.evidence["cum_mean"] == pytest.approx(1.0, abs=0.02)
    assert "its μ is 99.9 % of σ_pop off, the EMA's 9.0 %" in learning.text  # σ_pop: 1/(N−1)
    slow = verdict(_series(np.full(200, 2.0), pop_mean=np.linspace(1.7, 2, 200)), 0.999)
    assert slow.outcome is Outcome.REVERSED and "the EMA trails more" in slow.text
    little = verdict(_series(np.linspace(1.85, 2, 200)), 0.9)  # moved 0.15: both close
    assert little.outcome is Outcome.NO_EFFECT
    still = verdict(_series(np.full(200, 2.0)), 0.9)
    assert still.outcome is Outcome.NOT_APPLICABLE and "hardly moved" in still.text


def test_variance_shortfall_has_a_branch_for_every_outcome():
    rng = np.random.default_rng(0)
    noise = 1 + 0.1 * rng.standard_normal(100)
    short = variance_shortfall_verdict(_series(np.zeros(100), 0.75 * noise, m=4), "biased", False)
    assert short.outcome is Outcome.HOLDS
    assert short.evidence["ratio"] == pytest.approx(0.75, abs=0.03)
    assert short.text.startswith("The biased σ²_B of m = 4 average 7") and "75.0 %" in short.text
    even = variance_shortfall_verdict(_series(np.zeros(100), noise, m=32), "biased", False)
    assert even.outcome is Outcome.NO_EFFECT and "too small to see" not in even.text
    assert "within the noise (±1.9 %) of 100 %, although (m − 1)/m = 96.9 % predicts a " \
           "shortfall of 3.1 %" in even.text  # the noise is smaller than 1/m: not "too small"
    wide = variance_shortfall_verdict(_series(np.zeros(100), 1 + 0.4 * rng.standard_normal(100),
                                              m=32), "biased", False)
    assert wide.outcome is Outcome.NO_EFFECT and "too small to see" in wide.text
    more = variance_shortfall_verdict(_series(np.zeros(100), 1.3 * noise, m=4), "biased", False)
    assert more.outcome is Outcome.REVERSED
    fixed = variance_shortfall_verdict(_series(np.zeros(100), 0.75 * noise, m=4), "unbiased", False)
    assert fixed.outcome is Outcome.NO_EFFECT and "removes the 1/m shortfall" in fixed.text
    below = variance_shortfall_verdict(_series(np.zeros(100), 0.75 * noise, m=4, layer=2),
                                       "biased", True)
    assert below.outcome is Outcome.NOT_APPLICABLE and "BN in layer 1" in below.text
    few = variance_shortfall_verdict(_series(np.zeros(5), np.ones(5)), "biased", False)
    assert few.outcome is Outcome.NOT_APPLICABLE


def test_batch_mean_spread_has_a_branch_for_every_outcome():
    rng = np.random.default_rng(1)
    m, N = 32, 400
    sd = np.sqrt((N - m) / (N - 1)) / np.sqrt(m)  # σ_pop = 1
    iid = batch_mean_spread_verdict(_series(sd * rng.standard_normal(400),
                                            pop_mean=np.zeros(400)), False)
    assert iid.outcome is Outcome.HOLDS and iid.evidence["ratio"] == pytest.approx(1, abs=0.1)
    assert iid.evidence["predicted_last"] == pytest.approx(sd, rel=1e-6)
    wide = batch_mean_spread_verdict(_series(3 * sd * rng.standard_normal(400),
                                             pop_mean=np.zeros(400)), False)
    assert wide.outcome is Outcome.REVERSED and "more than random" in wide.text
    below = batch_mean_spread_verdict(_series(sd * rng.standard_normal(400),
                                              pop_mean=np.zeros(400), layer=2), True)
    assert below.outcome is Outcome.NOT_APPLICABLE


def test_window_phrase_reads_right_at_every_beta():
    assert common.window_phrase(0.0) == ("β_EMA = 0 keeps no memory: the EMA is the last "
                                    "mini-batch's value")
    assert common.window_phrase(0.3).endswith("= 1 mini-batch")
    assert common.window_phrase(0.9).endswith("= 10 mini-batches")


# ---- issue 19: the new branches (tracking, batch-mates, eval spread, lag across, own values) --
def test_tracking_has_a_branch_for_every_outcome():
    from bnsim.lessons.running_stats.trajectory import tracking_verdict

    steps = np.array([1, 2, 4, 8, 16])
    good, bad = np.array([0.9, 0.3, 0.04, 0.06, 0.01]), np.array([0.9, 0.3, 0.2, 0.2, 0.25])
    all_ = tracking_verdict(steps, {"ema": good, "ema_bc": good}, 0.1, "mean")
    assert all_.outcome is Outcome.HOLDS and all_.text == (
        "μ settles within 10 % of σ_pop of the population value: the EMA from step 4 on; the "
        "bias-corrected EMA from step 4 on.")
    mixed = tracking_verdict(steps, {"ema": good, "cumulative": bad}, 0.1, "var")
    assert mixed.outcome is Outcome.NO_EFFECT
    assert "the cumulative average not by step 16 (25.0 % off)" in mixed.text
    none = tracking_verdict(steps, {"cumulative": bad}, 0.1, "mean")
    assert none.outcome is Outcome.REVERSED
    off = tracking_verdict(steps, {}, 0.1, "mean")
    assert off.outcome is Outcome.NOT_APPLICABLE and "Turn on an estimator" in off.text
    const = tracking_verdict(steps, {"ema": np.full(5, np.nan)}, 0.1, "var")
    assert const.outcome is Outcome.NOT_APPLICABLE and "σ²_pop = 0" in const.text


def _iid(us: common.UnitStats, var_b: np.ndarray):
    from bnsim.lessons.running_stats.trajectory import IidVariance

    m = us.m
    col = np.asarray(var_b, float)[:, None]
    return IidVariance(us.pop_steps, col, col * m / (m - 1))


def test_batch_mates_has_a_branch_for_every_outcome():
    rng = np.random.default_rng(2)
    noise = 1 + 0.1 * rng.standard_normal(100)
    us = _series(np.zeros(100), 1.4 * noise, m=2, layer=2)
    base = _iid(us, noise)
    more = variance_shortfall_verdict(us, "biased", (1,), base)
    assert more.outcome is Outcome.HOLDS and more.claim.endswith("batch_mates")
    assert "So BN in layer 1 adds 4" in more.text and "−1 and +1" in more.text
    assert more.evidence["iid_ratio"] == pytest.approx(1.0, abs=0.03)
    less = variance_shortfall_verdict(_series(np.zeros(100), 0.6 * noise, m=4, layer=3), "biased",
                                      (1, 2), _iid(us, noise))
    assert less.outcome is Outcome.REVERSED and "BN in layers 1 and 2 removes" in less.text
    assert "−1 and +1" not in less.text
    wide = _series(np.zeros(100), noise, m=32, layer=2)
    same = variance_shortfall_verdict(wide, "biased", (1,), _iid(wide, noise))
    assert same.outcome is Outcome.NO_EFFECT and "within the noise" in same.text
    lost = variance_shortfall_verdict(us, "biased", (1,), None)
    assert lost.outcome is Outcome.NOT_APPLICABLE and "could not be replayed" in lost.text
    short = _series(np.zeros(5), np.ones(5), m=2, layer=2)
    few = variance_shortfall_verdict(short, "biased", (1,), _iid(short, np.ones(5)))
    assert few.outcome is Outcome.NOT_APPLICABLE and "Too few" in few.text


def test_eval_spread_has_a_branch_for_every_outcome():
    from bnsim.lessons.running_stats.trajectory import eval_spread_verdict

    rng = np.random.default_rng(3)
    noise = 1 + 0.1 * rng.standard_normal(300)
    us = _series(np.zeros(300), 1.5 * noise, m=2, layer=2)
    mates = variance_shortfall_verdict(us, "unbiased", (1,), _iid(us, noise))
    assert mates.holds
    est = common.estimate(us, 0.9)
    far = eval_spread_verdict(us, est, "unbiased", 0.2, (1,), mates)
    assert far.outcome is Outcome.HOLDS and "outside the 20 % tolerance" in far.text
    assert far.evidence["spread"] == pytest.approx(far.evidence["ratio"] ** -0.5)
    near_ = eval_spread_verdict(us, est, "unbiased", 2.5, (1,), mates)
    assert near_.outcome is Outcome.NO_EFFECT and "close to training's 1" in near_.text
    slow = eval_spread_verdict(us, common.estimate(us, 0.999), "unbiased", 0.2, (1,), mates)
    assert slow.outcome is Outcome.NOT_APPLICABLE and "still weighs" in slow.text
    flat = _series(np.zeros(300), 1.5 * noise, pop_var=np.zeros(300), m=2, layer=2)
    assert eval_spread_verdict(flat, common.estimate(flat, 0.9), "unbiased", 0.2, (1,),
                               mates).outcome is Outcome.NOT_APPLICABLE
    same = variance_shortfall_verdict(us, "unbiased", (1,), _iid(us, 1.5 * noise))
    assert not same.holds and eval_spread_verdict(us, est, "unbiased", 0.2, (1,), same) is None
    assert eval_spread_verdict(us, est, "unbiased", 0.2, (), mates) is None


def test_iid_batch_variance_replays_the_trainers_batches():
    """Layer 1 has nothing below: its replayed σ²_B are the recorded ones."""
    from bnsim.lessons.running_stats.trajectory import iid_batch_variance

    X, y = data.make_dataset("moons", 200, noise=0.1, seed=0)
    trace = train(NetConfig(hidden=(8, 8), bn=(True, True)), X, y,
                  cfg=TrainConfig(steps=60, batch_size=4, seed=0))
    iid = iid_batch_variance(trace, X, y, 1)
    steps = iid.steps
    np.testing.assert_allclose(iid.var_b, trace.batch_var[steps - 1, 0, :8], rtol=1e-9)
    assert iid_batch_variance(trace, X, y, 2).var_b.shape == (len(steps), 8)


def test_start_value_lag_across_the_population_value_is_not_called_little():
    """The EMA and the bias-corrected EMA equally far off on either side of μ_pop: the errors
    agree, but the correction is large — the sentence says so instead of 'changes little'."""
    est_us = _series(np.full(40, 2.0), pop_mean=np.full(40, 2.0 * (1 - 0.9 ** 10 / 2)))
    est = common.estimate(est_us, 0.9)
    v = start_value_lag_verdict(est_us, est, common.errors(est_us, est), "mean")
    assert v.outcome is Outcome.NO_EFFECT and v.evidence["gap"] > 0.05
    assert "opposite sides" in v.text and "changes little" not in v.text


def test_trails_judges_only_a_statistic_whose_population_moved():
    """σ²_pop fixed, μ_pop moving a little (≤ 10 %): not 'the learning network', whatever σ²."""
    us = _series(np.linspace(1.95, 2, 200), var=np.linspace(3, 1, 200))
    v = trails_verdict(us, common.errors(us, common.estimate(us, 0.9)))
    assert v.outcome is Outcome.NOT_APPLICABLE and "hardly moved" in v.text


def test_own_values_has_a_branch_for_every_outcome():
    us = _unit(Z, 0)
    row = common.estimate(us, 0.9).ema[-1]
    same = frameworks.own_values_verdict(row[0], row[2], us.mu, us.var_u)
    assert same.holds and "the PyTorch row at β_EMA = 0.9." in same.text
    other = frameworks.own_values_verdict(row[0] + 1, row[2], us.mu, us.var_u)
    assert other.outcome is Outcome.REVERSED and "which is not the PyTorch row" in other.text
    gone = frameworks.own_values_verdict(np.nan, np.nan, us.mu, us.var_u)
    assert gone.outcome is Outcome.NOT_APPLICABLE


def test_start_weight_reads_right_at_every_beta():
    assert "no memory" in common.start_weight_verdict(0.0).text
    assert common.start_weight_verdict(0.9).text.startswith(
        "Each mini-batch moves the EMA 10.0 % of the way to its μ_B. The start value v₀ = 0 "
        "still weighs β_EMA^k = 34.9 % after k = 10 batches")


def test_mean_batch_mates_has_a_branch_for_every_outcome():
    from bnsim.lessons.running_stats.trajectory import IidVariance

    rng = np.random.default_rng(4)
    m, N, T = 32, 400, 200
    sd = np.sqrt((N - m) / (N - 1)) / np.sqrt(m)

    def replay(mu):
        return IidVariance(np.arange(1, T + 1), np.ones((T, 1)), np.ones((T, 1)),
                           np.asarray(mu, float)[:, None])

    random_mu = sd * rng.standard_normal(T)
    tight = _series(0.3 * sd * rng.standard_normal(T), pop_mean=np.zeros(T), layer=2)
    less = batch_mean_spread_verdict(tight, (1,), replay(random_mu))
    assert less.holds and less.claim.endswith("mean_batch_mates")
    assert "scatter less, by a factor of 0.3" in less.text
    wide = _series(3 * sd * rng.standard_normal(T), pop_mean=np.zeros(T), layer=2)
    assert "scatter more" in batch_mean_spread_verdict(wide, (1,), replay(random_mu)).text
    same = _series(sd * rng.standard_normal(T), pop_mean=np.zeros(T), layer=2)
    v = batch_mean_spread_verdict(same, (1,), replay(random_mu))
    assert v.outcome is Outcome.NO_EFFECT and "within 0.8–1.25" in v.text
    lost = batch_mean_spread_verdict(same, (1,), None)
    assert lost.outcome is Outcome.NOT_APPLICABLE and "does not predict" in lost.text


def test_tracking_says_when_the_tolerance_is_below_the_emas_own_noise():
    from bnsim.lessons.running_stats.trajectory import noise_floor, tracking_verdict

    steps = np.arange(1, 41)
    rng = np.random.default_rng(5)
    batch_rel = 0.2 * rng.standard_normal(40)  # μ_B scatter by 0.2 σ_pop
    floor = noise_floor(batch_rel, 0.9)
    assert floor == pytest.approx(batch_rel.std(ddof=1) * np.sqrt(0.1 / 1.9))
    off = np.full(40, 0.05)
    tight = tracking_verdict(steps, {"ema": off}, 0.01, "mean", batch_rel, 0.9)
    assert "below the EMA's own batch noise" in tight.text and tight.outcome is Outcome.REVERSED
    loose = tracking_verdict(steps, {"ema": off}, 0.2, "mean", batch_rel, 0.9)
    assert "batch noise" not in loose.text and loose.holds
    cum = tracking_verdict(steps, {"cumulative": off}, 0.01, "mean", batch_rel, 0.9)
    assert "batch noise" not in cum.text  # only an EMA's noise is meant
