"""PyTorch & Keras: the running mean and variance each framework's BN layer holds for one unit,
fed the same mini-batches, with the β_EMA of the page."""

from __future__ import annotations

from typing import NamedTuple

from bnsim.lessons.running_stats.common import Estimates
from bnsim.modes import Convention


class RunningValues(NamedTuple):
    """What a framework's BN layer holds for one unit: running mean and running variance."""

    mean: float
    var: float


def framework_values(est: Estimates, step: int | None = None
                     ) -> dict[Convention, RunningValues]:
    """The running mean and variance that PyTorch ``BatchNorm1d(momentum=1−β_EMA)`` and Keras
    ``BatchNormalization(momentum=β_EMA)`` hold after ``step`` (default: the last one), fed
    the same mini-batches: PyTorch averages the unbiased σ²_B, Keras the biased one."""
    t = len(est.ema) if step is None else int(step)
    row = est.ema[t - 1]  # columns μ, σ² biased, σ² unbiased
    return {Convention.PYTORCH: RunningValues(float(row[0]), float(row[2])),
            Convention.KERAS: RunningValues(float(row[0]), float(row[1]))}
