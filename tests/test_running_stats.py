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
    assert even.outcome is Outcome.NO_EFFECT and "too small to see" in even.text
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
