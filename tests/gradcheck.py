"""Central finite differences and a relative-error helper for gradient checks."""

from __future__ import annotations

import numpy as np


def numerical_grad(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """d f(x) / dx by central differences; ``f`` returns a float and reads ``x`` in place."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fp = f()
        x[i] = old - h
        fm = f()
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad


def rel_error(a, b) -> float:
    """‖a − b‖ / max(‖a‖ + ‖b‖, 1e-12): near 1e-10 when a gradient is right, near 1 when not.

    (Elementwise ratios would let entries that are ~0 in both dominate with pure noise.)
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))
