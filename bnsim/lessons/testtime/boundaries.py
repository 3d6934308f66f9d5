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
    collapse_words,
    draw_mixed,
    judge,
    k_above_one,
    make_grid,
    network_trains,
    proba_first,
)
from bnsim.network import NetConfig
from bnsim.verdict import ABOUT_AS_WELL, Outcome, Verdict, claim, pct, pp


def predict_with_mates(params, net: NetConfig, points, mates,
                       max_rows: int | None = MAX_ROWS) -> np.ndarray:
    """(G,) batch-statistics p(class 1) of each of ``points`` (G, 2), each predicted inside
    its own test batch of k = 1 + len(mates) examples: itself and the same k − 1 batch-mates
    ``mates`` (k − 1, 2). G batches of k, gathered and predicted in blocks of ``max_rows``
    (:func:`~bnsim.lessons.testtime.common.proba_first`; None: one block)."""
    points = np.asarray(points, dtype=float)
    mates = np.asarray(mates, dtype=float).reshape(-1, points.shape[-1])
    G, k = len(points), 1 + len(mates)
    idx = np.empty((G, k), dtype=np.intp)
    idx[:, 0] = np.arange(G)
    idx[:, 1:] = np.arange(G, G + k - 1)
    return proba_first(params, net, np.concatenate([points, mates]), idx,
                       G * k if max_rows is None else max_rows)


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
    p_test: np.ndarray  # (n_test,) batch-statistics p(class 1) of each test point, with mates

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
                      acc_batch=accuracy(p_test, y_test), p_test=p_test)


MAPS = claim(
    "testtime.boundaries.maps", where="Train vs test → Boundaries (takeaway)",
    words="With these batch-mates test-batch statistics classify a % of the test set "
          "correctly, running statistics (eval mode) b %; the two maps disagree on c % of the "
          "plane: at this seed these batch-mates cost d pp / both classify about as well "
          "(within 2 pp) / the batch-mates help by d pp. At k = 1: every point gets the same "
          "p(class 1) = p, so the batch map is one class and a % is that class's share.",
    preconditions=("k > 1", "the data is learnable", "something trains"),
    threshold="2 pp (*about as well*)",
    test="tests/test_claims_testtime.py::test_maps_verdict_branches")


def maps_verdict(b: Boundaries, k: int, y_test, reference: float,
                 threshold: float = ABOUT_AS_WELL.threshold) -> Verdict:
    """"These batch-mates change the predictions": eval-mode minus batch-statistics test
    accuracy with the same k − 1 batch-mates, and the share of the plane where the maps
    disagree."""
    ev = {"batch": b.acc_batch, "eval": b.acc_eval, "disagree": b.disagreement, "k": k}
    raw = {"k": k, "y_test": np.asarray(y_test), "p_test": b.p_test, "acc_eval": b.acc_eval,
           "p_eval": b.p_eval, "p_batch": b.p_batch, "reference": reference}
    said = (("With no batch-mates (k = 1)," if k == 1 else "With these batch-mates")
            + f" test-batch statistics classify {pct(b.acc_batch)} of the "
            f"test set correctly, running statistics (eval mode) {pct(b.acc_eval)}; the two "
            f"maps disagree on {pct(b.disagreement)} of the plane")
    p = float(b.p_batch.flat[0])
    pre = (k_above_one(k, collapse_words(p)[0].upper() + collapse_words(p)[1:]
                       + f", so the batch map is one class and its {pct(b.acc_batch)} is "
                       f"the share of class {int(p >= 0.5)} in the test set."),
           *network_trains({"batch statistics": b.acc_batch, "eval mode": b.acc_eval},
                           reference))
    d = b.acc_eval - b.acc_batch
    return judge(d, threshold, said, {
        Outcome.HOLDS: f": at this seed these batch-mates cost {pp(d)[1:]}.",
        Outcome.NO_EFFECT: ": at this seed both classify about as well (within 2 pp).",
        Outcome.REVERSED: f": at this seed these batch-mates help, by {pp(-d)[1:]}."}, ev,
        claim=MAPS, preconditions=pre, raw=raw)
