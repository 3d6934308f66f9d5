"""Smoothing of a curve over training steps — the one moving average the lessons draw.

:func:`smoothed` is the trailing moving average of the last ``window`` values (a loss or an
accuracy per step). The EMA of the lecture, v_t = β·v_{t−1} + (1 − β)·θ_t, is a different
thing — the running estimate BN keeps — and lives in :func:`bnsim.running.ema`.
"""

from __future__ import annotations

import numpy as np


def smoothed(values, window: int) -> np.ndarray:
    """Trailing moving average along the last axis: entry t is the mean of values t − w + 1
    .. t with w = min(``window``, t + 1), so the first entries average over what exists so far.

    ``values``: (..., T), e.g. (T,) one curve or (k, T) one per run; NaN (a run that diverged)
    makes every window that holds it NaN. ``window`` < 1 counts as 1 (no smoothing). Returns
    a float array of the same shape.
    """
    x = np.asarray(values, dtype=float)
    window = max(int(window), 1)
    missing = np.isnan(x)
    total = np.cumsum(np.where(missing, 0.0, x), axis=-1)
    gaps = np.cumsum(missing, axis=-1)
    total[..., window:] -= total[..., :-window].copy()
    gaps[..., window:] -= gaps[..., :-window].copy()
    counts = np.minimum(np.arange(1, x.shape[-1] + 1), window)
    return np.where(gaps > 0, np.nan, total / counts)
