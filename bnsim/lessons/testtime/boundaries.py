"""Boundaries: the decision map in eval mode next to the map with test-batch statistics.

In the batch-statistics map every grid point is predicted inside a test batch of k: itself and
the same k − 1 batch-mates, drawn (seeded) from the test set with a class mix. With k = 1 the
batch mean is the point itself, so the map is flat.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim.lessons.testtime.common import (
    MAX_ROWS,
    EvalMap,
    Grid,
    accuracy,
    draw_mixed,
    make_grid,
    proba_batch,
)
from bnsim.network import NetConfig


def predict_with_mates(params, net: NetConfig, points, mates,
                       max_rows: int | None = MAX_ROWS) -> np.ndarray:
    """(G,) batch-statistics p(class 1) of each of ``points`` (G, 2), each predicted inside
    its own test batch of k = 1 + len(mates) examples: itself and the same k − 1 batch-mates
    ``mates`` (k − 1, 2). One (G, k, 2) array of batches (in blocks of ``max_rows``)."""
    points = np.asarray(points, dtype=float)
    mates = np.asarray(mates, dtype=float).reshape(-1, points.shape[-1])
    Xb = np.empty((len(points), 1 + len(mates), points.shape[-1]))
    Xb[:, 0] = points
    Xb[:, 1:] = mates
    return proba_batch(params, net, Xb, max_rows)[:, 0]


def boundary_batch(params, net: NetConfig, grid: Grid, mates) -> np.ndarray:
    """(n, n) batch-statistics p(class 1): each grid point is predicted inside a test batch of
    k = 1 + len(mates) examples — itself and the same k − 1 batch-mates ``mates`` (k − 1, 2)
    (see :func:`predict_with_mates`). With no mates (k = 1) the map is flat."""
    n = len(grid.xs)
    return predict_with_mates(params, net, grid.points, mates).reshape(n, n)


class Boundaries(NamedTuple):
    """Both decision maps: eval mode, and batch statistics with the same k − 1 batch-mates."""

    xs: np.ndarray  # (n,)
    ys: np.ndarray  # (n,)
    ext: tuple[float, float, float, float]
    p_eval: np.ndarray  # (n, n) eval mode
    acc_eval: float  # eval-mode test accuracy
    mates: np.ndarray  # (k − 1,) test-set indices of the batch-mates
    p_batch: np.ndarray  # (n, n) each grid point inside a batch with ``mates``
    acc_batch: float  # test accuracy, each test point inside a batch with ``mates``

    @property
    def disagreement(self) -> float:
        """Share of the grid where the two maps predict different classes."""
        return float(np.mean((self.p_eval >= 0.5) != (self.p_batch >= 0.5)))

    def to_frame(self) -> pd.DataFrame:
        """Tidy grid: x1, x2, p_eval, p_batch (one row per grid point)."""
        return pd.DataFrame({"x1": np.tile(self.xs, len(self.ys)),
                             "x2": np.repeat(self.ys, len(self.xs)),
                             "p_eval": self.p_eval.ravel(), "p_batch": self.p_batch.ravel()})


def boundaries(params, net: NetConfig, X_test, y_test, emap: EvalMap, k: int, mix: float,
               seed: int) -> Boundaries:
    """``emap`` plus the batch-statistics map: k − 1 batch-mates drawn (seeded) from the test
    set with the class mix ``mix`` (share of class 1); every grid point and every test point
    is predicted inside a batch of k with those same mates."""
    X_test = np.asarray(X_test, dtype=float)
    mates = draw_mixed(y_test, k - 1, mix, 1, np.random.default_rng(seed))[0]
    grid = make_grid(emap.ext, len(emap.xs))
    p_test = predict_with_mates(params, net, X_test, X_test[mates])
    return Boundaries(*emap, mates=mates,
                      p_batch=boundary_batch(params, net, grid, X_test[mates]),
                      acc_batch=accuracy(p_test, y_test))
