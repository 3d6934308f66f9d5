"""Running estimate: eval-mode test accuracy over training with the EMA running estimate,
the bias-corrected EMA and the population statistics — a slow EMA lags.

The running estimate for any EMA coefficient β_EMA is recomputed from the batch statistics the
trainer recorded (:func:`ema_running`); with plain BN the running estimate never feeds back into
training, so this is exactly what training with that β_EMA would have stored.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim import network, notation, running
from bnsim.lessons.testtime.common import eval_accuracy, judge, network_trains
from bnsim.network import NetConfig
from bnsim.verdict import ABOUT_AS_WELL, Outcome, Precondition, Verdict, claim, pct, pp

ESTIMATORS = {k: notation.ESTIMATORS[k].label for k in ("ema", "ema_bc", "population")}


def batch_variances(trace) -> np.ndarray:
    """(T, L, U) the batch variances the trace's convention averages: unbiased for PyTorch
    (m > 1), biased for Keras and the lecture."""
    if running.rule(trace.cfg.convention).unbiased and trace.cfg.batch_size > 1:
        return trace.batch_var_unbiased
    return trace.batch_var


def ema_running(trace, ema_beta: float, bias_correction: bool = False):
    """Running (μ̂, σ̂²) after every step for EMA coefficient β_EMA, recomputed from the
    recorded batch statistics: v_t = β_EMA·v_{t−1} + (1 − β_EMA)·θ_t with v_0 = 0 (mean) and
    1 (variance) as the frameworks start; optionally bias-corrected. Returns two (T, L, U)."""
    mean = running.ema(trace.batch_mean, ema_beta, init=0.0, bias_correction=bias_correction)
    var = running.ema(batch_variances(trace), ema_beta, init=1.0,
                      bias_correction=bias_correction)
    return mean, var


def running_dict(net: NetConfig, mean_lu, var_lu) -> dict[str, np.ndarray]:
    """Running-statistics dict {mean{l}, var{l}} of the BN layers from (L, U) arrays."""
    r = {}
    for l in range(1, net.n_layers + 1):
        if net.bn[l - 1]:
            n = net.hidden[l - 1]
            r[f"mean{l}"] = np.array(mean_lu[l - 1, :n])
            r[f"var{l}"] = np.maximum(np.array(var_lu[l - 1, :n]), 0.0)
    return r


def running_estimate_accuracy(trace, X, X_test, y_test, ema_beta: float) -> pd.DataFrame:
    """Eval-mode test accuracy of the network after t training steps, normalised with
    (a) the EMA after step t with β_EMA, (b) the bias-corrected EMA, (c) the population
    statistics of that network over the training set ``X``.

    Evaluated at every parameter snapshot (weights after t = s − 1 steps, t ≥ 1) and at the
    end (t = T, final weights). Returns a tidy frame: t, estimator (key of ESTIMATORS), acc.
    """
    net = trace.net
    T = len(trace.loss)
    if T == 0:
        raise ValueError("the network has not completed a single training step.")
    ema = ema_running(trace, ema_beta)
    ema_bc = ema_running(trace, ema_beta, bias_correction=True)
    rows = []

    def add(t, params, population):
        for key, run in (("ema", running_dict(net, ema[0][t - 1], ema[1][t - 1])),
                         ("ema_bc", running_dict(net, ema_bc[0][t - 1], ema_bc[1][t - 1])),
                         ("population", population)):
            rows.append((t, key, eval_accuracy(params, net, run, X_test, y_test)))

    for i, s in enumerate(trace.snapshot_steps):
        t = int(s) - 1
        if 1 <= t < T:
            add(t, trace.snapshots[i][0], running_dict(net, trace.pop_mean[i], trace.pop_var[i]))
    add(T, trace.params, network.recalibrate(trace.params, X, net))
    return pd.DataFrame(rows, columns=["t", "estimator", "acc"])


class EstimatorAcc(NamedTuple):
    """Eval-mode test accuracy with each running estimate (keys of ESTIMATORS)."""

    ema: float
    ema_bc: float
    population: float


class Lag(NamedTuple):
    """How far the EMA trails: accuracy per estimator at the largest lag and at the end."""

    table: pd.DataFrame  # tidy t, estimator, acc (:func:`running_estimate_accuracy`)
    wide: pd.DataFrame  # index t, one column per estimator key
    lag_t: int  # step t where population − EMA accuracy is largest
    at_lag: EstimatorAcc
    T: int  # last step
    at_end: EstimatorAcc
    start_weight: float  # β_EMA^T: the weight the start values still have at T


def lag(table: pd.DataFrame, ema_beta: float) -> Lag:
    """Summary of a :func:`running_estimate_accuracy` table for EMA coefficient β_EMA."""
    wide = table.pivot(index="t", columns="estimator", values="acc")
    t_lag = int((wide["population"] - wide["ema"]).idxmax())
    T = int(table["t"].max())

    def acc(t):
        return EstimatorAcc(*(float(wide.loc[t, e]) for e in EstimatorAcc._fields))

    return Lag(table, wide, t_lag, acc(t_lag), T, acc(T), float(ema_beta ** T))


LAG_MARGIN = ABOUT_AS_WELL.threshold
FORGOTTEN = 0.01  # start values weighing less than this: the EMA has forgotten them
LAG = claim(
    "testtime.running_estimate.lag", where="Train vs test → Running estimate (takeaway)",
    words="Largest gap (population − EMA) at t: EMA a %, bias-corrected b %, population c %. "
          "After T steps the start values μ̂ = 0, σ̂² = 1 still weigh β_EMA^T = w: eval-mode "
          "accuracy … : at this seed the EMA, still leaning on its start values, costs d pp — "
          "bias correction recovers it (within 2 pp) / even bias-corrected it stays d′ pp "
          "below / EMA and population statistics classify about as well (within 2 pp) / the "
          "EMA does d pp better. Abstains when the start values weigh < 1 % (forgotten), "
          "training diverged, the data is not learnable or nothing trains.",
    preconditions=("training did not diverge", "the data is learnable",
                   "something trains (population statistics)",
                   "the start values still weigh ≥ 1 %"),
    threshold="2 pp (*about as well*); start values forgotten below 1 %",
    test="tests/test_claims_testtime.py::test_a_slow_ema_lags_and_costs_accuracy, "
         "::test_lag_verdict_branches")


def lag_verdict(g: Lag, reference: float = 1.0, diverged: bool = False,
                threshold: float = LAG_MARGIN) -> Verdict:
    """"A slow EMA still leans on its start values and costs accuracy": population minus EMA
    eval-mode accuracy after the last step, and whether bias correction recovers it;
    NOT_APPLICABLE when the start values weigh < 1 % (a fast EMA), training diverged, or
    nothing trains (``reference``: the 15-NN accuracy)."""
    end, lo = g.at_end, g.at_lag
    ev = {"ema": end.ema, "ema_bc": end.ema_bc, "population": end.population,
          "start_weight": g.start_weight, "T": g.T}
    wide = g.wide
    raw = {"t": None if wide is None else wide.index.to_numpy(),
           **({} if wide is None else {e: wide[e].to_numpy() for e in EstimatorAcc._fields}),
           "lag_t": g.lag_t, "T": g.T, "start_weight": g.start_weight,
           "end": tuple(end), "at_lag": tuple(lo), "reference": reference,
           "diverged": diverged}
    said = (f"Largest gap (population − EMA) at t = {g.lag_t}: EMA {pct(lo.ema)}, "
            f"bias-corrected EMA {pct(lo.ema_bc)}, population statistics {pct(lo.population)}. "
            f"After T = {g.T} steps the start values μ̂ = 0, σ̂² = 1 weigh "
            f"β_EMA^T = {pct(g.start_weight)}: eval-mode accuracy {pct(end.ema)} with the EMA, "
            f"{pct(end.ema_bc)} bias-corrected, {pct(end.population)} with population "
            "statistics")
    pre = (Precondition("training did not diverge", not diverged,
                        "Training diverged, so these accuracies say nothing about the EMA: "
                        "try a smaller learning rate."),
           *network_trains({"population statistics": end.population}, reference),
           Precondition("the start values still weigh ≥ 1 %", g.start_weight >= FORGOTTEN,
                        "This EMA has forgotten its start values (they weigh less than 1 %), "
                        "so they cannot cost accuracy here — try β_EMA = 0.999."))
    d, d_bc = end.population - end.ema, end.population - end.ema_bc
    if d_bc <= threshold:
        fix = f"bias correction recovers it ({pct(end.ema_bc)}, within 2 pp)."
    else:
        fix = f"even bias-corrected it stays {pp(d_bc)[1:]} below."
    return judge(d, threshold, said, {
        Outcome.HOLDS: f": at this seed the EMA, still leaning on its start values, costs "
                       f"{pp(d)[1:]}; " + fix,
        Outcome.NO_EFFECT: ": at this seed EMA and population statistics classify about as "
                           "well (within 2 pp).",
        Outcome.REVERSED: f": at this seed the EMA does {pp(-d)[1:]} better than the "
                          "population statistics."}, ev,
        claim=LAG, preconditions=pre, raw=raw)
