"""PyTorch & Keras: the running mean and variance each framework's BN layer holds for one unit,
fed the same mini-batches, with the β_EMA of the page."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from bnsim import running
from bnsim.lessons.running_stats.common import INIT, Estimates
from bnsim.modes import Convention
from bnsim.verdict import Outcome, Precondition, Verdict, abstain, claim, num


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


OWN_CLAIM = claim(
    "running_stats.frameworks.own_values",
    where="Running statistics → PyTorch & Keras (caption under the code)",
    words="The network on this page trained with PyTorch's default momentum = 0.1 (β_EMA = 0.9) "
          "and holds μ̂ = a, σ̂² = b for this unit: the PyTorch row at β_EMA = 0.9 / which is not "
          "the PyTorch row at β_EMA = 0.9",
    preconditions=("the run recorded its running statistics",),
    threshold="equal to 1e-9 (relative)",
    test="tests/test_claims_running_stats.py::test_own_values_oracle_over_seeds")
OWN_TOL = 1e-9


def own_values_verdict(own_mean: float, own_var: float, mu: np.ndarray, var_u: np.ndarray
                       ) -> Verdict:
    """Whether the trainer's own running estimates after the last step (PyTorch's rule,
    momentum 0.1) are what the PyTorch row shows at β_EMA = 0.9: the EMA of the recorded μ_B
    and unbiased σ²_B. HOLDS: equal to ``OWN_TOL``; REVERSED: not; NOT_APPLICABLE: no value."""
    beta = 1 - running.DEFAULT_MOMENTUM["pytorch"]
    theta = np.stack([np.asarray(mu, float), np.asarray(var_u, float)], axis=1)
    row = running.ema(theta, beta, init=np.array([INIT["mean"], INIT["var"]]))[-1]
    raw = {"own_mean": float(own_mean), "own_var": float(own_var), "mu": np.asarray(mu),
           "var_u": np.asarray(var_u), "beta": beta}
    ev = {"own_mean": float(own_mean), "own_var": float(own_var), "pt_mean": float(row[0]),
          "pt_var": float(row[1])}
    pre = (Precondition("the run recorded its running statistics",
                        bool(np.isfinite(own_mean) and np.isfinite(own_var)),
                        "The network recorded no running estimate for this unit."),)
    if not pre[0].holds:
        return abstain(OWN_CLAIM, pre, ev, OWN_TOL, raw)
    same = bool(np.allclose([own_mean, own_var], row, rtol=OWN_TOL, atol=1e-12))
    head = (f"The network on this page trained with PyTorch's default momentum = 0.1 "
            f"(β_EMA = 0.9) and holds μ̂ = {num(own_mean, 6)}, σ̂² = {num(own_var, 6)} for this "
            "unit")
    tail = ("BN never uses the running estimate while training, so every β_EMA here is "
            "recomputed from the recorded μ_B, σ²_B without retraining.")
    if same:
        return Verdict(Outcome.HOLDS, f"{head}: the PyTorch row at β_EMA = 0.9. {tail}", ev,
                       OWN_TOL, OWN_CLAIM, pre, raw)
    return Verdict(Outcome.REVERSED, f"{head}, which is not the PyTorch row at β_EMA = 0.9 "
                   f"(μ̂ = {num(row[0], 6)}, σ̂² = {num(row[1], 6)}). {tail}", ev, OWN_TOL,
                   OWN_CLAIM, pre, raw)
