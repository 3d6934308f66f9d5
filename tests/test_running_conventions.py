"""Running statistics against the PyTorch 2.13 BatchNorm1d vectors and closed forms."""

import numpy as np
import pytest

from bnsim import batchnorm, running

B1 = [[1, 10], [2, 20], [3, 30], [4, 40]]
B2 = [[2, 0], [4, 0], [6, 1], [8, 1]]
B3 = [[-1, 5], [1, 5], [-1, 5], [1, 9]]
BATCHES = np.array([B1, B2, B3], float)
TOL = dict(rtol=0, atol=1e-12)


def test_pytorch_default_momentum():
    tr = running.track(BATCHES, convention="pytorch")
    np.testing.assert_allclose(tr.running_mean, [[0.25, 2.5], [0.725, 2.3], [0.6525, 2.67]], **TOL)
    exact_var = [[1 + 0.1 * (5 / 3 - 1), 0.9 + 0.1 * 500 / 3],  # closed forms of the vectors
                 [0.9 * (0.9 + 0.1 * 5 / 3) + 0.1 * 20 / 3, 0.9 * (0.9 + 50 / 3) + 0.1 * 1 / 3],
                 [None, None]]
    np.testing.assert_allclose(
        tr.running_var,
        [[1.0666667, 17.5666667], [1.6266667, 15.8433333], [1.5973333, 14.659]], atol=5e-8)
    np.testing.assert_allclose(tr.running_var[:2], np.array(exact_var[:2], float), **TOL)
    np.testing.assert_allclose(tr.running_var[2, 1], 14.659, **TOL)
    np.testing.assert_allclose(tr.batch_var[0], [1.25, 125.0], **TOL)  # trace keeps biased


def test_pytorch_cumulative_average():
    tr = running.track(BATCHES, convention="pytorch", momentum=None)
    np.testing.assert_allclose(tr.running_mean, [[2.5, 25], [3.75, 12.75], [2.5, 10.5]], **TOL)
    np.testing.assert_allclose(
        tr.running_var, [[5 / 3, 500 / 3], [25 / 6, 83.5], [29 / 9, 57.0]], **TOL)
    np.testing.assert_allclose(
        tr.running_var, [[1.6666667, 166.6666667], [4.1666667, 83.5], [3.2222222, 57.0]],
        atol=5e-8)


def test_keras_convention():
    tr = running.track(BATCHES, convention="keras", momentum=0.99)
    np.testing.assert_allclose(tr.running_mean[-1], [0.0740025, 0.309975], **TOL)
    np.testing.assert_allclose(tr.running_var[-1], [1.0420502, 2.227899], atol=5e-8)
    default = running.track(BATCHES, convention="keras")
    np.testing.assert_array_equal(default.running_var, tr.running_var)


def test_lecture_convention_equals_keras_with_same_beta_and_pytorch_with_one_minus():
    lec = running.track(BATCHES, convention="lecture", momentum=0.9)
    ker = running.track(BATCHES, convention="keras", momentum=0.9)
    np.testing.assert_allclose(lec.running_mean, ker.running_mean, **TOL)
    np.testing.assert_allclose(lec.running_var, ker.running_var, **TOL)
    pt = running.track(BATCHES, convention="pytorch", momentum=0.1)
    np.testing.assert_allclose(lec.running_mean, pt.running_mean, **TOL)
    lec_u = running.track(BATCHES, convention="lecture", momentum=0.9, unbiased=True)
    np.testing.assert_allclose(lec_u.running_var, pt.running_var, **TOL)
    assert not np.allclose(lec.running_var, pt.running_var)


def test_eval_with_tracked_statistics_matches_pytorch():
    tr = running.track(BATCHES, convention="pytorch")
    out = batchnorm.forward_eval([[0, 0], [1, 10]], 1, 0, tr.running_mean[-1],
                                 tr.running_var[-1])
    np.testing.assert_allclose(out, [[-0.5162753, -0.6973631], [0.2749512, 1.9144836]],
                               atol=1e-7)


def test_list_of_batches_of_different_sizes():
    tr = running.track([np.array(B1, float), np.array(B2, float)[:2]], convention="pytorch")
    assert tr.running_mean.shape == (2, 2)
    # batch 2 = [[2,0],[4,0]]: mean (3, 0), unbiased var (2, 0)
    np.testing.assert_allclose(tr.running_mean[1], [0.9 * 0.25 + 0.3, 0.9 * 2.5], **TOL)
    np.testing.assert_allclose(tr.running_var[1], 0.9 * tr.running_var[0] + 0.1 * np.array([2, 0]),
                               **TOL)


def test_ema_closed_form_and_bias_correction():
    beta = 0.9
    theta = np.array([3.0, 3.0, 3.0, 3.0])
    v = running.ema(theta, beta)
    np.testing.assert_allclose(v, 3 * (1 - beta ** np.arange(1, 5)), rtol=1e-15)
    np.testing.assert_allclose(running.ema(theta, beta, bias_correction=True), 3.0, rtol=1e-15)
    # with a non-zero start the correction removes the start's weight exactly too
    np.testing.assert_allclose(running.ema(theta, 0.999, init=1.0, bias_correction=True), 3.0,
                               rtol=1e-12)
    # vector-valued sequences and β = 0 (no memory)
    seq = np.random.default_rng(0).normal(size=(10, 3))
    np.testing.assert_array_equal(running.ema(seq, 0.0), seq)


def test_cumulative_average_equals_pytorch_none():
    tr = running.track(BATCHES, convention="pytorch", momentum=None)
    np.testing.assert_allclose(running.cumulative_average(tr.batch_mean), tr.running_mean, **TOL)


def test_population_stats():
    z = np.random.default_rng(1).normal(2, 3, (500, 4))
    mean, vb, vu = running.population_stats(z)
    np.testing.assert_allclose(mean, z.mean(0), **TOL)
    np.testing.assert_allclose(vb, z.var(0), rtol=1e-14)
    np.testing.assert_allclose(vu, z.var(0, ddof=1), rtol=1e-14)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: running.track(BATCHES, convention="tf"), "convention"),
        (lambda: running.track(BATCHES, convention="keras", momentum=1.5), "momentum"),
        (lambda: running.track(BATCHES, convention="keras", momentum=np.nan), "momentum"),
        (lambda: running.track([], convention="keras"), "non-empty"),
        (lambda: running.track([np.ones((2, 2)), np.ones((2, 3))], convention="keras"),
         "batch 1"),
        (lambda: running.track([np.full((2, 2), np.inf)], convention="keras"), "NaN or inf"),
        (lambda: running.ema([1.0, 2.0], 1.0), "beta"),
        (lambda: running.ema([], 0.9), "non-empty"),
        (lambda: running.population_stats(np.ones((1, 3))), "N ≥ 2"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
