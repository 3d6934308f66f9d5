r"""Batch Normalization of one layer: forward (train and eval mode) and backward.

Lecture notation, for a mini-batch of ``m`` examples and the pre-activations ``z`` of layer l::

    mu      = 1/m · Σ_i z_i                         (per unit)
    sigma2  = 1/m · Σ_i (z_i − mu)²                 (biased, as every framework normalises)
    z_norm  = (z − mu) / √(sigma2 + eps)
    z_tilde = gamma · z_norm + beta                 (beta replaces the bias b^[l])

Shapes: ``z`` is ``(m, n_units)``; ``gamma``, ``beta``, ``mu``, ``sigma2`` are ``(n_units,)``.
The kernel behind the public functions, ``_forward``/``_backward``, also takes leading axes
``(..., m, n_units)`` (statistics over axis −2): many test batches in one pass, or several
training runs stacked on a leading axis. It is the only BN code in bnsim; the network, the
trainer and every lesson call it.

m = 1 in train mode is allowed and is a lesson of its own: mu equals the single example, so
z_norm is exactly 0 and the output is beta whatever the input.

Batch Renormalization (Ioffe, 2017) is the same layer with ``z_hat = z_norm·r + d`` in place of
z_norm, where r = clip(σ_B/σ, 1/r_max, r_max) and d = clip((μ_B − μ)/σ, −d_max, d_max) use the
running estimates μ, σ and are treated as constants in the gradient. With r_max = 1 and
d_max = 0 it is exactly plain BN.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class BNCache(NamedTuple):
    """What backward needs, by name. Arrays are ``(n_units,)`` unless said otherwise."""

    z_norm: np.ndarray  # (m, n_units): (z − mu)/√(sigma2 + eps)
    z_hat: np.ndarray  # (m, n_units): what gamma multiplies (z_norm, or z_norm·r + d)
    mu: np.ndarray  # batch mean
    sigma2: np.ndarray  # biased batch variance
    gamma: np.ndarray
    eps: float
    r: np.ndarray | None  # Batch Renorm scale correction (None for plain BN)
    d: np.ndarray | None  # Batch Renorm shift correction (None for plain BN)
    std: np.ndarray | None = None  # √(sigma2 + eps), kept so backward need not recompute it
    frozen: bool = False  # normalised by the running estimates: no gradient through μ, σ

    @property
    def sigma2_unbiased(self) -> np.ndarray:
        """Unbiased batch variance m/(m−1)·sigma2 (NaN where m = 1)."""
        return unbiased_variance(self.sigma2, self.z_norm.shape[-2])


class BatchStats(NamedTuple):
    """Per-unit statistics of a batch (``(..., n_units)``, the batch axis reduced)."""

    mu: np.ndarray  # mean μ_B
    sigma2: np.ndarray  # variance σ²_B: biased 1/m, or unbiased 1/(m − 1) if asked


def batch_stats(z, *, axis: int = -2, unbiased: bool = False) -> BatchStats:
    r"""Batch mean and variance of ``z`` over ``axis`` — the one place bnsim computes them.

    .. math:: \mu_B = \frac1m\sum_i z_i,\qquad
              \sigma^2_B = \frac1m\sum_i (z_i - \mu_B)^2
              \quad(\text{unbiased: } \tfrac{m}{m-1}\,\sigma^2_B)

    ``z``: ``(..., m, n_units)`` with the examples on ``axis`` (default −2: BN's layout; any
    axis works, e.g. ``axis=0`` for ``(m, ...)``). Returns :class:`BatchStats` with that axis
    removed. Unbiased with m = 1 gives NaN (no spread can be estimated from one example).
    The BN forward passes (:func:`forward_train`, Batch Renorm, the frozen path) compute their
    statistics with the same code (:func:`_moments`), so they agree with this to the last bit.
    """
    z = np.asarray(z, dtype=float)
    mu, _, sigma2 = _moments(z, axis)
    mu, sigma2 = np.squeeze(mu, axis=axis), np.squeeze(sigma2, axis=axis)
    if unbiased:
        sigma2 = unbiased_variance(sigma2, z.shape[axis])
    return BatchStats(mu, sigma2)


def unbiased_variance(sigma2, m: int):
    """The biased variance σ² of m values as the unbiased m/(m − 1)·σ² (NaN where m = 1) —
    the one biased → unbiased conversion (PyTorch's ``running_var``, population statistics).
    ``sigma2``: any shape; returned in the same shape."""
    return sigma2 * (m / (m - 1)) if m > 1 else np.full_like(sigma2, np.nan)


# ---------------------------------------------------------------- validation helpers
def _finite(name: str, a: np.ndarray, problem: str | None) -> np.ndarray:
    """``a`` if ``problem`` is None and every value is finite, else a ``ValueError``."""
    if problem is not None:
        raise ValueError(f"{name} must {problem}; got shape {a.shape}.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or inf; only finite values are allowed.")
    return a


def _as_2d(name: str, a) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    bad = a.ndim != 2 or a.shape[0] < 1 or a.shape[1] < 1
    return _finite(name, a, "be a 2-D array of shape (m, n_units) with m ≥ 1 and n_units ≥ 1"
                   if bad else None)


def _as_units(name: str, a, n_units: int) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        a = np.full(n_units, float(a))
    return _finite(name, a, f"have shape ({n_units},) to match z's {n_units} units (or be a "
                   "scalar)" if a.shape != (n_units,) else None)


def _check_eps(eps: float) -> float:
    eps = float(eps)
    if not np.isfinite(eps) or eps <= 0:
        raise ValueError(f"eps must be a finite number > 0 (e.g. 1e-5); got {eps}.")
    return eps


# ---------------------------------------------------------------- the kernel (no checks)
# One kernel serves every caller: a single layer (z: (m, n)), many test batches at once
# (z: (B, k, n)) and several training runs stacked on a leading axis (z: (R, m, n) with
# gamma, beta: (R, n)). Statistics are always taken over axis −2 (the examples); gamma, beta
# and the running statistics carry the same leading axes as z without the example axis.
def _moments(z, axis: int = -2):
    """μ, z − μ and the biased σ² of ``z`` over ``axis``; μ and σ² keep that axis (length 1)
    so they broadcast against ``z``. No validation: this is the hot path of every BN pass."""
    inv_m = 1.0 / z.shape[axis]
    mu = np.add.reduce(z, axis=axis, keepdims=True) * inv_m
    zc = z - mu
    return mu, zc, np.add.reduce(zc * zc, axis=axis, keepdims=True) * inv_m


def _forward(z, gamma, beta, eps, running=None, r_max=1.0, d_max=0.0):
    """Train-mode BN on ``z`` ``(..., m, n)``; statistics over axis −2. No validation.

    ``gamma``, ``beta``: (n,) or (..., n) with z's leading axes. ``running = (mean, var)``
    ((..., n) likewise) switches on Batch Renorm with the given clip limits. Returns
    ``z_tilde`` (..., m, n) and a :class:`BNCache` whose ``mu``, ``sigma2``, ``std``, ``r``,
    ``d`` are (..., n).
    """
    mu, zc, sigma2 = _moments(z)  # (..., 1, n), (..., m, n), (..., 1, n)
    std = np.sqrt(sigma2 + eps)
    z_norm = zc / std
    r = d = None
    z_hat = z_norm
    if running is not None:
        r_mean, r_var = running
        r_std = np.sqrt(r_var[..., None, :] + eps)
        r = np.clip(std / r_std, 1.0 / r_max, r_max)
        d = np.clip((mu - r_mean[..., None, :]) / r_std, -d_max, d_max)
        z_hat = z_norm * r + d
    out = z_hat * gamma[..., None, :]
    out += beta[..., None, :]
    mu, sigma2 = mu[..., 0, :], sigma2[..., 0, :]
    if r is not None:
        r, d = r[..., 0, :], d[..., 0, :]
    return out, BNCache(z_norm, z_hat, mu, sigma2, gamma, eps, r, d, std[..., 0, :])


def _forward_frozen(z, gamma, beta, eps, running):
    """BN in training that normalises with the running estimates instead of the mini-batch's
    own statistics: z_hat = (z − μ̂)/√(σ̂² + ε), z̃ = γ·z_hat + β, with μ̂, σ̂ constants for the
    gradient (the forum's "why not use the running averages during training?"). The cache
    still carries this batch's ``mu`` and ``sigma2``, from which the caller updates μ̂, σ̂².
    Shapes as :func:`_forward`."""
    mu, _, sigma2 = _moments(z)  # this batch's statistics, for the running update only
    r_mean, r_var = running
    std = np.sqrt(r_var + eps)
    z_hat = (z - r_mean[..., None, :]) / std[..., None, :]
    out = z_hat * gamma[..., None, :]
    out += beta[..., None, :]
    return out, BNCache(z_hat, z_hat, mu[..., 0, :], sigma2[..., 0, :], gamma, eps, None, None,
                        std, frozen=True)


def _backward(dz_tilde, cache: BNCache, out=(None, None)):
    """Backward of :func:`_forward` for any leading axes; gradients flow through mu and sigma2.

    ``dz_tilde`` (..., m, n) like the forward output. Returns ``dz`` (..., m, n) and
    ``dgamma``, ``dbeta`` (..., n) (sums over the m examples of each batch), written into
    ``out = (dgamma, dbeta)`` arrays when given.
    """
    m = dz_tilde.shape[-2]
    dgamma = np.add.reduce(dz_tilde * cache.z_hat, axis=-2, out=out[0])
    dbeta = np.add.reduce(dz_tilde, axis=-2, out=out[1])
    std = cache.std if cache.std is not None else np.sqrt(cache.sigma2 + cache.eps)
    scale = cache.gamma / std
    if cache.frozen:  # μ̂, σ̂ are constants: each example's gradient stands alone
        return dz_tilde * scale[..., None, :], dgamma, dbeta
    if cache.r is not None:
        scale = scale * cache.r  # r and d are constants in the gradient
    zn = cache.z_norm
    # Σ dy·z_norm: for plain BN (z_hat is z_norm) that is dgamma, already summed
    dy_zn = dgamma if cache.r is None else np.add.reduce(dz_tilde * zn, axis=-2)
    dz = (scale / m)[..., None, :] * (
        m * dz_tilde - dbeta[..., None, :] - zn * dy_zn[..., None, :])
    return dz, dgamma, dbeta


# ---------------------------------------------------------------- public API
def forward_train(z, gamma, beta, eps: float = 1e-5) -> tuple[np.ndarray, BNCache]:
    """Train-mode BN: normalise with the statistics of this mini-batch.

    z_tilde = gamma · (z − mu)/√(sigma2 + eps) + beta, with mu and the *biased* sigma2 of ``z``.

    Parameters
    ----------
    z : (m, n_units) pre-activations of one mini-batch; m = 1 gives z_norm = 0, output beta.
    gamma, beta : (n_units,) or scalars.
    eps : > 0.

    Returns
    -------
    z_tilde : (m, n_units)
    cache : BNCache with ``mu``, ``sigma2`` (biased), ``z_norm`` and what backward needs.
    """
    z = _as_2d("z", z)
    gamma = _as_units("gamma", gamma, z.shape[1])
    beta = _as_units("beta", beta, z.shape[1])
    return _forward(z, gamma, beta, _check_eps(eps))


def _with_statistics(z, gamma, beta, mean, var, mean_name: str, var_name: str):
    """z, gamma, beta and fixed statistics ``mean``, ``var`` checked (var ≥ 0) and shaped."""
    z = _as_2d("z", z)
    n = z.shape[1]
    gamma, beta = _as_units("gamma", gamma, n), _as_units("beta", beta, n)
    mean, var = _as_units(mean_name, mean, n), _as_units(var_name, var, n)
    if np.any(var < 0):
        raise ValueError(f"{var_name} must be ≥ 0 for every unit (it is a variance).")
    return z, gamma, beta, mean, var


def forward_eval(z, gamma, beta, mean, var, eps: float = 1e-5) -> np.ndarray:
    """Eval-mode BN: normalise with fixed (running) statistics, so each example stands alone.

    z_tilde = gamma · (z − mean)/√(var + eps) + beta.

    Shapes: ``z`` (m, n_units); ``gamma``, ``beta``, ``mean``, ``var`` (n_units,) or scalars;
    ``var`` ≥ 0. Returns ``z_tilde`` (m, n_units).
    """
    z, gamma, beta, mean, var = _with_statistics(z, gamma, beta, mean, var, "mean", "var")
    return gamma * (z - mean) / np.sqrt(var + _check_eps(eps)) + beta


def forward_renorm(
    z, gamma, beta, running_mean, running_var, r_max: float = 3.0, d_max: float = 5.0,
    eps: float = 1e-5,
) -> tuple[np.ndarray, BNCache]:
    """Train-mode Batch Renormalization (Ioffe, 2017).

    z_hat = z_norm · r + d with r = clip(σ_B/σ, 1/r_max, r_max), d = clip((μ_B − μ)/σ, ±d_max),
    σ = √(running_var + eps), μ = running_mean; z_tilde = gamma · z_hat + beta. r and d are
    constants for the gradient. r_max = 1, d_max = 0 is plain BN.

    Shapes as :func:`forward_train`; ``running_mean``, ``running_var`` are (n_units,).
    Returns ``(z_tilde, cache)``; ``cache.r`` and ``cache.d`` hold the corrections.
    """
    z, gamma, beta, rm, rv = _with_statistics(z, gamma, beta, running_mean, running_var,
                                              "running_mean", "running_var")
    if not (np.isfinite(r_max) and r_max >= 1):
        raise ValueError(f"r_max must be a finite number ≥ 1; got {r_max}.")
    if not (np.isfinite(d_max) and d_max >= 0):
        raise ValueError(f"d_max must be a finite number ≥ 0; got {d_max}.")
    return _forward(z, gamma, beta, _check_eps(eps), (rm, rv), float(r_max), float(d_max))


def backward(dz_tilde, cache: BNCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of train-mode BN (and Batch Renorm), through mu and sigma2.

    dz = gamma/(m·√(sigma2 + eps)) · (m·dy − Σdy − z_norm·Σ(dy·z_norm))   (times r for renorm)
    dgamma = Σ dy·z_hat,  dbeta = Σ dy   (sums over the m examples).

    Shapes: ``dz_tilde`` (m, n_units) like the forward output. Returns ``(dz, dgamma, dbeta)``.
    """
    if not isinstance(cache, BNCache):
        raise ValueError("cache must be the BNCache returned by forward_train/forward_renorm.")
    dz_tilde = np.asarray(dz_tilde, dtype=float)
    if dz_tilde.shape != cache.z_norm.shape:
        raise ValueError(
            f"dz_tilde must have the forward output's shape {cache.z_norm.shape}; "
            f"got {dz_tilde.shape}."
        )
    if not np.all(np.isfinite(dz_tilde)):
        raise ValueError("dz_tilde contains NaN or inf; only finite values are allowed.")
    return _backward(dz_tilde, cache)
