"""BN layer maths against PyTorch-verified vectors, finite differences and invariants."""

import numpy as np
import pytest

from bnsim import batchnorm
from tests.gradcheck import numerical_grad, rel_error

B1 = np.array([[1, 10], [2, 20], [3, 30], [4, 40]], float)


def test_train_output_matches_pytorch():
    out, cache = batchnorm.forward_train(B1, np.ones(2), np.zeros(2))
    np.testing.assert_allclose(out[:, 0], [-1.3416354, -0.4472118, 0.4472118, 1.3416354],
                               atol=1e-7)
    np.testing.assert_allclose(cache.mu, [2.5, 25.0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(cache.sigma2, [1.25, 125.0], rtol=1e-15)  # biased (1/m)
    np.testing.assert_allclose(cache.sigma2_unbiased, [5 / 3, 500 / 3], rtol=1e-15)


def test_eval_matches_pytorch_after_three_batches():
    mean, var = np.array([0.6525, 2.67]), np.array([1.5973333333333333, 14.659])
    out = batchnorm.forward_eval([[0, 0], [1, 10]], np.ones(2), np.zeros(2), mean, var)
    np.testing.assert_allclose(out, [[-0.5162753, -0.6973631], [0.2749512, 1.9144836]],
                               atol=1e-7)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_train_output_per_unit_has_mean_beta_and_std_gamma(seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(3.0, 5.0, (64, 7))
    gamma, beta = rng.uniform(0.5, 2, 7), rng.normal(size=7)
    out, cache = batchnorm.forward_train(z, gamma, beta)
    np.testing.assert_allclose(cache.z_norm.mean(0), 0, atol=1e-13)
    # variance of z_norm is σ²/(σ²+ε): 1 up to ε
    np.testing.assert_allclose(cache.z_norm.var(0), cache.sigma2 / (cache.sigma2 + 1e-5),
                               rtol=1e-12)
    np.testing.assert_allclose(out.mean(0), beta, atol=1e-12)
    np.testing.assert_allclose(out.std(0), gamma, rtol=1e-6)


def test_batch_of_one_outputs_beta_for_any_input():
    beta = np.array([0.3, -1.2, 7.0])
    for z in ([[5.0, -2.0, 1e6]], [[0.0, 0.0, 0.0]]):
        out, cache = batchnorm.forward_train(z, np.array([2.0, 3.0, 4.0]), beta)
        assert np.all(cache.z_norm == 0.0)
        np.testing.assert_array_equal(out[0], beta)
        assert np.all(np.isnan(cache.sigma2_unbiased))


def test_backward_compact_form_and_finite_differences():
    rng = np.random.default_rng(42)
    z = rng.normal(1.0, 2.0, (6, 4))
    gamma, beta = rng.uniform(0.5, 2, 4), rng.normal(size=4)
    w = rng.normal(size=(6, 4))  # loss = Σ w·z_tilde, so dz_tilde = w

    def loss():
        return float(np.sum(w * batchnorm.forward_train(z, gamma, beta)[0]))

    _, cache = batchnorm.forward_train(z, gamma, beta)
    dz, dgamma, dbeta = batchnorm.backward(w, cache)
    assert rel_error(dz, numerical_grad(loss, z)) < 1e-7
    assert rel_error(dgamma, numerical_grad(loss, gamma)) < 1e-7
    assert rel_error(dbeta, numerical_grad(loss, beta)) < 1e-7
    # the compact form quoted in the issue, written out independently
    m, zn, dy = 6, cache.z_norm, w
    compact = gamma / (m * np.sqrt(cache.sigma2 + 1e-5)) * (
        m * dy - dy.sum(0) - zn * (dy * zn).sum(0))
    np.testing.assert_allclose(dz, compact, rtol=1e-13, atol=1e-15)


def test_staged_equals_fused():
    """BN written one operation per line, each with its d-twin, equals the fused backward."""
    rng = np.random.default_rng(3)
    z, dy = rng.normal(size=(8, 3)), rng.normal(size=(8, 3))
    gamma, beta, eps = rng.uniform(0.5, 2, 3), rng.normal(size=3), 1e-5
    m = z.shape[0]
    mu = z.sum(0) / m
    zc = z - mu
    sq = zc**2
    sigma2 = sq.sum(0) / m
    std = np.sqrt(sigma2 + eps)
    inv = 1 / std
    z_norm = zc * inv
    # staged backward
    dgamma = (dy * z_norm).sum(0)
    dz_norm = dy * gamma
    dinv = (dz_norm * zc).sum(0)
    dzc = dz_norm * inv
    dstd = -dinv / std**2
    dsigma2 = dstd * 0.5 / std
    dsq = np.ones_like(sq) * dsigma2 / m
    dzc += 2 * zc * dsq
    dz = dzc.copy()
    dmu = -dzc.sum(0)
    dz += dmu / m
    _, cache = batchnorm.forward_train(z, gamma, beta, eps)
    fz, fg, fb = batchnorm.backward(dy, cache)
    np.testing.assert_allclose(fz, dz, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(fg, dgamma, rtol=1e-13)
    np.testing.assert_allclose(fb, dy.sum(0), rtol=1e-13)


def test_renorm_with_no_clipping_room_is_plain_bn():
    rng = np.random.default_rng(7)
    z, dy = rng.normal(2, 3, (5, 4)), rng.normal(size=(5, 4))
    g, b = rng.uniform(0.5, 2, 4), rng.normal(size=4)
    rm, rv = rng.normal(size=4), rng.uniform(0.1, 5, 4)
    out_bn, c_bn = batchnorm.forward_train(z, g, b)
    out_rn, c_rn = batchnorm.forward_renorm(z, g, b, rm, rv, r_max=1.0, d_max=0.0)
    np.testing.assert_array_equal(out_rn, out_bn)
    for a, c in zip(batchnorm.backward(dy, c_rn), batchnorm.backward(dy, c_bn), strict=True):
        np.testing.assert_array_equal(a, c)


def test_renorm_corrections_and_gradient_with_r_d_constant():
    rng = np.random.default_rng(8)
    z = rng.normal(2, 3, (6, 3))
    g, b = rng.uniform(0.5, 2, 3), rng.normal(size=3)
    rm, rv = np.array([1.0, 2.0, 3.0]), np.array([4.0, 9.0, 1.0])
    out, c = batchnorm.forward_renorm(z, g, b, rm, rv, r_max=1e9, d_max=1e9)
    # unclipped: r·z_norm + d = (z − μ_running)/σ_running exactly (up to ε inside both roots)
    np.testing.assert_allclose(c.z_hat, (z - rm) / np.sqrt(rv + 1e-5), rtol=1e-12)
    # clipped corrections obey their limits
    _, c2 = batchnorm.forward_renorm(z, g, b, rm, rv, r_max=1.5, d_max=0.2)
    assert np.all((c2.r >= 1 / 1.5) & (c2.r <= 1.5)) and np.all(np.abs(c2.d) <= 0.2)
    # gradient with r, d frozen at their forward values
    dy = rng.normal(size=z.shape)
    r, d = c2.r, c2.d

    def loss():
        zn = (z - z.mean(0)) / np.sqrt(z.var(0) + 1e-5)
        return float(np.sum(dy * (g * (zn * r + d) + b)))

    dz, dg, db = batchnorm.backward(dy, c2)
    assert rel_error(dz, numerical_grad(loss, z)) < 1e-7
    assert rel_error(dg, numerical_grad(loss, g)) < 1e-7


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: batchnorm.forward_train(np.ones(3), 1, 0), "2-D"),
        (lambda: batchnorm.forward_train(np.ones((0, 3)), 1, 0), "m ≥ 1"),
        (lambda: batchnorm.forward_train([[1.0, np.nan]], 1, 0), "NaN or inf"),
        (lambda: batchnorm.forward_train([[1.0, np.inf]], 1, 0), "NaN or inf"),
        (lambda: batchnorm.forward_train(np.ones((2, 3)), np.ones(2), 0), "gamma must have"),
        (lambda: batchnorm.forward_train(np.ones((2, 3)), 1, np.ones(4)), "beta must have"),
        (lambda: batchnorm.forward_train(np.ones((2, 3)), 1, 0, eps=0), "eps must be"),
        (lambda: batchnorm.forward_train(np.ones((2, 3)), 1, 0, eps=-1e-5), "eps must be"),
        (lambda: batchnorm.forward_eval(np.ones((2, 3)), 1, 0, 0, -1.0), "var must be"),
        (lambda: batchnorm.forward_eval(np.ones((2, 3)), 1, 0, np.ones(2), 1), "mean must"),
        (lambda: batchnorm.forward_renorm(np.ones((2, 3)), 1, 0, 0, 1, r_max=0.5), "r_max"),
        (lambda: batchnorm.forward_renorm(np.ones((2, 3)), 1, 0, 0, 1, d_max=-1), "d_max"),
        (lambda: batchnorm.backward(np.ones((2, 3)), None), "BNCache"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_backward_shape_mismatch():
    _, cache = batchnorm.forward_train(np.arange(6.0).reshape(3, 2), 1, 0)
    with pytest.raises(ValueError, match="shape"):
        batchnorm.backward(np.ones((2, 2)), cache)


def test_the_kernel_on_stacked_runs_equals_each_run_alone():
    """The one BN kernel takes a leading runs axis: (R, m, n) with gamma, beta (R, n) gives,
    slice by slice, what the public 2-D functions give (forward, Batch Renorm, backward)."""
    rng = np.random.default_rng(11)
    R, m, n = 3, 6, 4
    z = rng.normal(2.0, 3.0, (R, m, n))
    gamma, beta = rng.normal(size=(R, n)), rng.normal(size=(R, n))
    rmean, rvar = rng.normal(size=(R, n)), rng.uniform(0.5, 2.0, (R, n))
    dy = rng.normal(size=(R, m, n))
    for running in (None, (rmean, rvar)):
        extra = (running, 2.0, 1.0) if running else ()
        out, cache = batchnorm._forward(z, gamma, beta, 1e-5, *extra)
        dz, dgamma, dbeta = batchnorm._backward(dy, cache)
        assert out.shape == (R, m, n) and cache.mu.shape == (R, n) and dgamma.shape == (R, n)
        for r in range(R):
            if running:
                o1, c1 = batchnorm.forward_renorm(z[r], gamma[r], beta[r], rmean[r], rvar[r],
                                                  r_max=2.0, d_max=1.0)
            else:
                o1, c1 = batchnorm.forward_train(z[r], gamma[r], beta[r])
            np.testing.assert_allclose(out[r], o1, rtol=1e-13, atol=1e-13)
            np.testing.assert_allclose(cache.sigma2[r], c1.sigma2, rtol=1e-13)
            for got, want in zip((dz[r], dgamma[r], dbeta[r]), batchnorm.backward(dy[r], c1),
                                 strict=True):
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


def test_normalising_by_the_running_estimates_has_the_gradient_of_an_affine_map():
    """The forum's "running averages in training": z̃ = γ·(z − μ̂)/√(σ̂² + ε) + β with μ̂, σ̂²
    fixed. Its backward must equal finite differences of exactly that map — no term through
    the batch statistics — while the cache still reports this batch's μ_B and σ²_B."""
    rng = np.random.default_rng(4)
    z = rng.normal(1.0, 2.0, (5, 3))
    gamma, beta = rng.normal(size=3), rng.normal(size=3)
    rmean, rvar = rng.normal(size=3), rng.uniform(0.5, 2.0, 3)
    dy = rng.normal(size=(5, 3))

    def loss():
        out, _ = batchnorm._forward_frozen(z, gamma, beta, 1e-5, (rmean, rvar))
        return float(np.sum(out * dy))

    out, cache = batchnorm._forward_frozen(z, gamma, beta, 1e-5, (rmean, rvar))
    np.testing.assert_allclose(out, batchnorm.forward_eval(z, gamma, beta, rmean, rvar),
                               rtol=1e-14)
    np.testing.assert_allclose(cache.mu, z.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(cache.sigma2, z.var(axis=0), rtol=1e-13)
    dz, dgamma, dbeta = batchnorm._backward(dy, cache)
    assert rel_error(dz, numerical_grad(loss, z)) < 1e-8
    assert rel_error(dgamma, numerical_grad(loss, gamma)) < 1e-8
    assert rel_error(dbeta, numerical_grad(loss, beta)) < 1e-8


def test_one_kernel_for_batch_statistics():
    """The forward passes, batch_stats and the unbiased conversion agree to the last bit."""
    rng = np.random.default_rng(4)
    z = rng.normal(2.0, 3.0, (3, 9, 5))  # 3 stacked batches of 9 examples, 5 units
    gamma, beta = np.ones((3, 5)), np.zeros((3, 5))
    stats = batchnorm.batch_stats(z)
    _, cache = batchnorm._forward(z, gamma, beta, 1e-5)
    np.testing.assert_array_equal(cache.mu, stats.mu)
    np.testing.assert_array_equal(cache.sigma2, stats.sigma2)
    _, frozen = batchnorm._forward_frozen(z, gamma, beta, 1e-5, (np.zeros((3, 5)),
                                                                  np.ones((3, 5))))
    np.testing.assert_array_equal(frozen.mu, stats.mu)
    np.testing.assert_array_equal(frozen.sigma2, stats.sigma2)
    unbiased = batchnorm.batch_stats(z, unbiased=True).sigma2
    np.testing.assert_array_equal(unbiased, batchnorm.unbiased_variance(stats.sigma2, 9))
    np.testing.assert_array_equal(unbiased, cache.sigma2_unbiased)
    np.testing.assert_allclose(unbiased, z.var(axis=1, ddof=1), rtol=1e-14)
    by_rows = batchnorm.batch_stats(z[0], axis=0)  # examples on axis 0
    np.testing.assert_array_equal(by_rows.mu, stats.mu[0])
    assert np.all(np.isnan(batchnorm.unbiased_variance(np.ones(3), 1)))
