r"""What several tabs of "Covariate shift" share: the pair of networks compared (without and
with BN), the drift measure D and the unsigned margin the verdicts quote."""

from __future__ import annotations

import numpy as np

from bnsim.network import NetConfig
from bnsim.verdict import pp


def networks(hidden: tuple[int, ...], activation: str) -> tuple[NetConfig, NetConfig]:
    """The two architectures every comparison of the lesson trains: (without BN, with BN on
    every hidden layer), the same widths and activation."""
    n = len(hidden)
    return (NetConfig(hidden=hidden, bn=(False,) * n, activation=activation),
            NetConfig(hidden=hidden, bn=(True,) * n, activation=activation))


def drift(mean, std) -> float:
    r"""One number for how much a layer's input distribution moved during a run.

    ``mean`` and ``std`` are (S, units): the mean m_j(s) and standard deviation d_j(s) of unit
    j over the training set at snapshot s = 1..S (e.g. from
    :func:`bnsim.lessons.covariate_shift.moving_inputs.moments`; NaN columns, the padding of
    narrower layers, are ignored). With the total variation of each unit's path

        TV_j = Σ_{s=1}^{S−1} |m_j(s+1) − m_j(s)| + |d_j(s+1) − d_j(s)|,

    the drift is

        D = mean_j TV_j / mean_{j,s} d_j(s),

    the total distance the units' means and standard deviations travelled, in units of the
    layer's typical standard deviation. D = 0 for a distribution whose mean and spread never
    change; a mean walking steadily from 0 to 1 at standard deviation 1 gives D = 1. D is
    unchanged when all values are scaled by one positive factor or shifted by one constant, and
    it depends on the snapshot steps (compare runs recorded at the same steps). It sees only
    mean and spread: a change of shape at fixed mean and variance does not count.
    """
    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
    if mean.shape != std.shape or mean.ndim != 2 or mean.shape[0] < 2:
        raise ValueError(f"mean and std must both be (S ≥ 2, units); got {mean.shape}, "
                         f"{std.shape}.")
    keep = ~(np.all(np.isnan(mean), axis=0) | np.all(np.isnan(std), axis=0))
    mean, std = mean[:, keep], std[:, keep]
    if mean.shape[1] == 0 or np.isnan(mean).any() or np.isnan(std).any():
        return float("nan")
    tv = np.abs(np.diff(mean, axis=0)).sum(axis=0) + np.abs(np.diff(std, axis=0)).sum(axis=0)
    scale = std.mean()
    if scale == 0:
        return 0.0 if np.all(tv == 0) else float("inf")
    return float(tv.mean() / scale)


def margin(x: float) -> str:
    """An unsigned margin in percentage points, as the verdicts quote it:
    ``margin(0.1) == "10.0 pp"``."""
    return pp(abs(x)).lstrip("+")
