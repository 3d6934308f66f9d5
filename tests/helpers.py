"""Helpers shared by the test files (data sets, Plotly arrays)."""

from __future__ import annotations

import base64
from functools import lru_cache

import numpy as np

from bnsim import data


@lru_cache(maxsize=8)
def moons(n_train: int = 200, n_test: int = 200, noise: float = 0.1, seed: int = 0):
    """``(X, y, X_test, y_test)`` of the moons data set, made once per test session."""
    return data.train_test("moons", n_train, n_test, noise, seed)


def arr(v) -> np.ndarray:
    """A Plotly trace array as numpy: a plain list, or the typed ``{dtype, bdata, shape}`` form
    that Plotly uses for numpy arrays in figure JSON."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return a.reshape([int(n) for n in str(v.get("shape", len(a))).split(",")])
    return np.asarray(v, dtype=float)
