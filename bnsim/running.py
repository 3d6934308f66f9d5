r"""Running (test-time) estimates of a BN layer's mean and variance.

During training each mini-batch gives its own ``mu_B`` and ``sigma2_B``; the layer keeps an
exponentially weighted average of them for test time. The lecture writes the EWA as

    v_t = β·v_{t−1} + (1 − β)·θ_t          (β here is the EMA coefficient, *not* the BN shift)

and the frameworks spell the same thing differently — the traps this module makes explicit:

=============  ==========================================================  ===========  =========
convention     update                                                      default      variance
=============  ==========================================================  ===========  =========
``pytorch``    running ← (1 − momentum)·running + momentum·batch            0.1 (=1−β)  unbiased
``pytorch``    ``momentum=None``: cumulative average, factor 1/t            —           unbiased
``keras``      moving ← momentum·moving + (1 − momentum)·batch              0.99 (=β)   biased
``lecture``    v_t = β·v_{t−1} + (1 − β)·θ_t, ``momentum`` is β            0.9          biased
=============  ==========================================================  ===========  =========

Unbiased means m/(m−1)·sigma2_B. Initial values are 0 for the mean and 1 for the variance.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from bnsim import batchnorm, modes
from bnsim.modes import Convention

CONVENTIONS = tuple(c.value for c in Convention)
DEFAULT_MOMENTUM = {Convention.PYTORCH: 0.1, Convention.KERAS: 0.99, Convention.LECTURE: 0.9}


class RunningTrace(NamedTuple):
    """Per-batch statistics and the running estimates *after* each batch; each (T, n_units)."""

    batch_mean: np.ndarray
    batch_var: np.ndarray  # biased (1/m)
    running_mean: np.ndarray
    running_var: np.ndarray


class _Default:
    """Marker for "the convention's default momentum" (so that an explicit ``None`` can mean
    PyTorch's cumulative average, as it does in PyTorch)."""

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT = _Default()


class RunningRule(NamedTuple):
    """A validated update rule: the weight on the *old* value, or None for the 1/t average."""

    keep: float | None
    unbiased: bool


def rule(convention: Convention | str, momentum=DEFAULT, unbiased: bool | None = None
         ) -> RunningRule:
    """Validate a convention and its momentum; return the update rule it means.

    ``momentum`` omitted (``DEFAULT``): the convention's default (0.1, 0.99, 0.9).
    ``momentum=None``: for ``pytorch`` the cumulative average (PyTorch's own
    ``momentum=None``); for the others their default.
    """
    convention = modes.parse(Convention, convention, "convention")
    default_unbiased = convention is Convention.PYTORCH
    unbiased = default_unbiased if unbiased is None else bool(unbiased)
    if momentum is None and convention is Convention.PYTORCH:
        return RunningRule(None, unbiased)
    if momentum is None or momentum is DEFAULT:
        momentum = DEFAULT_MOMENTUM[convention]
    momentum = float(momentum)
    if not (np.isfinite(momentum) and 0.0 <= momentum <= 1.0):
        raise ValueError(f"momentum must be a number in [0, 1]; got {momentum}.")
    keep = 1.0 - momentum if convention is Convention.PYTORCH else momentum
    return RunningRule(keep, unbiased)


def update(mean, var, batch_mean, batch_var, m: int, t: int, how: RunningRule):
    """One running-statistics update after batch number ``t`` (1-based) of size ``m``.

    ``batch_var`` is the biased batch variance; it is rescaled by m/(m−1) when ``how.unbiased``
    (left as is for m = 1, where the unbiased variance is undefined). Returns (mean, var).
    """
    if how.unbiased and m > 1:
        batch_var = batchnorm.unbiased_variance(batch_var, m)
    keep = (t - 1) / t if how.keep is None else how.keep
    return keep * mean + (1 - keep) * batch_mean, keep * var + (1 - keep) * batch_var


def track(
    batches,
    *,
    convention: Convention | str,
    momentum=DEFAULT,
    init_mean: float = 0.0,
    init_var: float = 1.0,
    unbiased: bool | None = None,
) -> RunningTrace:
    """Feed mini-batches through a BN layer's running-statistics update, as a framework does.

    Parameters
    ----------
    batches : (T, m, n_units) array, or a list of T arrays (m_t, n_units).
    convention : "pytorch", "keras" or "lecture" (see the module table).
    momentum : the convention's own momentum (PyTorch 0.1 = 1 − β; Keras 0.99 = β; lecture β).
        Omitted: that default. ``None``: for PyTorch the cumulative average (factor 1/t, so
        the first batch overwrites the initial values), as ``BatchNorm1d(momentum=None)``.
    init_mean, init_var : initial running values (0 and 1 as in the frameworks).
    unbiased : store the unbiased batch variance; None means the convention's own choice.

    Returns
    -------
    RunningTrace with batch_mean, batch_var (biased), running_mean, running_var, each (T, n_units).
    """
    how = rule(convention, momentum, unbiased)
    if isinstance(batches, np.ndarray) and batches.ndim == 3:
        batches = list(batches)
    if not isinstance(batches, (list, tuple)) or len(batches) == 0:
        raise ValueError("batches must be a (T, m, n_units) array or a non-empty list of arrays.")
    arrays = [np.asarray(b, dtype=float) for b in batches]
    n = arrays[0].shape[-1] if arrays[0].ndim == 2 else -1
    for i, b in enumerate(arrays):
        if b.ndim != 2 or b.shape[0] < 1 or b.shape[1] != n:
            raise ValueError(
                f"batch {i} must be a 2-D array (m_t, n_units) with m_t ≥ 1 and the same "
                f"n_units as batch 0; got shape {b.shape}."
            )
        if not np.all(np.isfinite(b)):
            raise ValueError(f"batch {i} contains NaN or inf; only finite values are allowed.")
    for name, v in (("init_mean", init_mean), ("init_var", init_var)):
        if not np.all(np.isfinite(v)):
            raise ValueError(f"{name} must be finite; got {v}.")
    T = len(arrays)
    out = {k: np.empty((T, n)) for k in RunningTrace._fields}
    mean = np.broadcast_to(np.asarray(init_mean, dtype=float), (n,)).copy()
    var = np.broadcast_to(np.asarray(init_var, dtype=float), (n,)).copy()
    for t, b in enumerate(arrays, start=1):
        bm, bv = batchnorm.batch_stats(b, axis=0)
        mean, var = update(mean, var, bm, bv, b.shape[0], t, how)
        out["batch_mean"][t - 1], out["batch_var"][t - 1] = bm, bv
        out["running_mean"][t - 1], out["running_var"][t - 1] = mean, var
    return RunningTrace(**out)


def ema(values, beta: float, init=0.0, bias_correction: bool = False) -> np.ndarray:
    """Exponentially weighted average of a sequence, as the lecture writes it.

    v_t = beta·v_{t−1} + (1 − beta)·θ_t, v_0 = ``init``; with ``bias_correction``,
    v̂_t = (v_t − beta^t·v_0)/(1 − beta^t), which is the lecture's v_t/(1 − beta^t) for v_0 = 0
    and returns a constant input exactly from step 1 for any v_0.

    Parameters
    ----------
    values : (T, ...) sequence θ_1..θ_T.
    beta : EMA coefficient in [0, 1).
    init : v_0, broadcastable to ``values[0]``.

    Returns
    -------
    (T, ...) array of v_1..v_T (bias-corrected if asked).
    """
    theta = np.asarray(values, dtype=float)
    if theta.ndim < 1 or theta.shape[0] < 1:
        raise ValueError(f"values must be a non-empty (T, ...) sequence; got shape {theta.shape}.")
    beta = float(beta)
    if not (np.isfinite(beta) and 0.0 <= beta < 1.0):
        raise ValueError(f"beta must be in [0, 1) (1 would never move); got {beta}.")
    v0 = np.broadcast_to(np.asarray(init, dtype=float), theta.shape[1:])
    out = np.empty_like(theta)
    v = v0
    for t in range(theta.shape[0]):
        v = beta * v + (1.0 - beta) * theta[t]
        out[t] = v
    if bias_correction:
        shape = (-1,) + (1,) * (theta.ndim - 1)
        bt = (beta ** np.arange(1, theta.shape[0] + 1)).reshape(shape)
        out = (out - bt * v0) / (1.0 - bt)
    return out


def cumulative_average(values) -> np.ndarray:
    """Running mean of a (T, ...) sequence: PyTorch's ``momentum=None`` estimator."""
    theta = np.asarray(values, dtype=float)
    shape = (-1,) + (1,) * (theta.ndim - 1)
    return np.cumsum(theta, axis=0) / np.arange(1, theta.shape[0] + 1).reshape(shape)


def population_stats(z_all) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """"Precise" statistics of a layer: mean and variance of its pre-BN values over the whole
    training set with frozen weights (see ``bnsim.network.population_stats`` for a network).

    ``z_all`` is (N, n_units). Returns (mean, var_biased, var_unbiased), each (n_units,).
    """
    z = np.asarray(z_all, dtype=float)
    if z.ndim != 2 or z.shape[0] < 2:
        raise ValueError(f"z_all must be (N, n_units) with N ≥ 2; got shape {z.shape}.")
    mean, var = batchnorm.batch_stats(z, axis=0)
    return mean, var, batchnorm.unbiased_variance(var, z.shape[0])
