"""Toy data: shapes, determinism per seed, the covariate-shift rule, bad parameters."""

import numpy as np
import pytest

from bnsim import data


@pytest.mark.parametrize("name", sorted(data.DATASETS))
def test_dataset_shapes_balance_and_determinism(name):
    X, y = data.make_dataset(name, n=301, noise=0.1, seed=5)
    assert X.shape == (301, 2) and y.shape == (301,)
    assert set(np.unique(y)) == {0, 1}
    assert abs(y.mean() - 0.5) < 0.1
    X2, y2 = data.make_dataset(name, n=301, noise=0.1, seed=5)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = data.make_dataset(name, n=301, noise=0.1, seed=6)
    assert not np.allclose(X, X3)


def test_noise_zero_moons_lie_on_the_half_circles():
    X, y = data.make_dataset("moons", n=200, noise=0.0, seed=0)
    r0 = np.hypot(X[y == 0, 0], X[y == 0, 1])
    r1 = np.hypot(X[y == 1, 0] - 1, X[y == 1, 1] - 0.5)
    np.testing.assert_allclose(r0, 1.0, atol=1e-12)
    np.testing.assert_allclose(r1, 1.0, atol=1e-12)


def test_train_test_are_different_draws():
    X, y, Xt, yt = data.train_test("circles", 100, 50, 0.05, 1)
    assert X.shape == (100, 2) and Xt.shape == (50, 2)
    assert not np.allclose(X[:50], Xt)


@pytest.mark.parametrize("rule", sorted(data.RULES))
def test_shift_labels_follow_the_same_rule_on_both_sides(rule):
    d = data.make_shift(rule=rule, shift=2.0, n_train=300, n_test=200, seed=3)
    np.testing.assert_array_equal(d.y_train, data.label_rule(rule, d.X_train))
    np.testing.assert_array_equal(d.y_test, data.label_rule(rule, d.X_test))
    # the test cloud moved by (shift, shift/2), the training cloud did not
    np.testing.assert_allclose(d.X_test.mean(0) - d.X_train.mean(0), [2.0, 1.0], atol=0.25)
    np.testing.assert_allclose(d.test_centre - d.train_centre, [2.0, 1.0])


def test_shift_zero_is_the_same_distribution_and_label_noise_flips():
    d = data.make_shift(shift=0.0, n_train=4000, n_test=4000, seed=0)
    np.testing.assert_allclose(d.X_train.mean(0), d.X_test.mean(0), atol=0.06)
    noisy = data.make_shift(shift=0.0, n_train=4000, n_test=10, label_noise=0.2, seed=0)
    flipped = np.mean(noisy.y_train != data.label_rule("sine", noisy.X_train))
    assert 0.17 < flipped < 0.23


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: data.make_dataset("cats"), "dataset must be one of"),
        (lambda: data.make_dataset("moons", n=1), "n must be"),
        (lambda: data.make_dataset("moons", n=10**7), "n must be"),
        (lambda: data.make_dataset("moons", n=2.5), "n must be"),
        (lambda: data.make_dataset("moons", noise=-0.1), "noise"),
        (lambda: data.make_dataset("moons", noise=np.nan), "noise"),
        (lambda: data.make_dataset("moons", seed=-1), "seed"),
        (lambda: data.make_shift(rule="dog"), "rule"),
        (lambda: data.make_shift(shift=-1), "shift"),
        (lambda: data.make_shift(spread=0), "spread"),
        (lambda: data.make_shift(test_scale=np.inf), "test_scale"),
        (lambda: data.make_shift(label_noise=0.9), "label_noise"),
        (lambda: data.label_rule("dog", np.zeros((2, 2))), "rule"),
    ],
)
def test_bad_parameters(call, match):
    with pytest.raises(ValueError, match=match):
        call()
