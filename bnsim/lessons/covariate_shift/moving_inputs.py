r"""A deep layer's moving inputs: internal covariate shift, made measurable.

The distribution of a hidden layer's inputs over training steps, from the parameter snapshots
of a :class:`bnsim.train.TrainTrace` (:func:`layer_values`, :func:`band`, :func:`histograms`,
:func:`moments`), one number per run (the drift D,
:func:`bnsim.lessons.covariate_shift.common.drift`) and how tightly BN pins the mean and
variance of z̃^[l] to β and γ² (:func:`pinning`).

Verdicts: :func:`drift_verdict` (BN reduces the movement of a deep layer's inputs) and
:func:`pinning_verdict` (BN pins the mean of z̃^[l] to β and its variance to γ²).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim import network, verdict
from bnsim.lessons.covariate_shift.common import PINNED, REDUCES_DRIFT, drift
from bnsim.modes import Mode
from bnsim.network import NetConfig
from bnsim.verdict import Outcome, Verdict, compare, num, pct

QUANTITIES = {"a_prev": "a^[l−1], the inputs of layer l", "z": "z^[l], before BN",
              "z_tilde": "z̃^[l], after BN"}
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def layer_values(snapshots, X, net: NetConfig, l: int, quantity: str = "a_prev") -> np.ndarray:
    """Values of one quantity of hidden layer ``l`` (1-based) over the whole data set ``X``
    (n, n_in), for every snapshot: array (S, n, units).

    ``snapshots`` is a list of (params, running) as in ``TrainTrace.snapshots``. The network
    runs in "batch" mode on all of X (frozen weights), as in ``TrainTrace.pop_mean``: this is
    the distribution a layer sees during training at that step, without mini-batch noise.
    ``quantity``: "a_prev" the layer's inputs a^[l−1] (for l = 1 the data X itself), "z" the
    pre-activation z^[l] = W^[l] a^[l−1] (before BN), "z_tilde" what the activation receives,
    z̃^[l] = γ·z_norm + β with BN or z^[l] + b^[l] without."""
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity must be one of {sorted(QUANTITIES)}; got {quantity!r}.")
    if not 1 <= l <= net.n_layers:
        raise ValueError(f"layer must be 1 to {net.n_layers}; got {l}.")
    out = []
    for params, _ in snapshots:
        _, cache = network.forward(params, X, net, Mode.BATCH)
        lc = cache.layers[l - 1]
        if quantity == "a_prev":
            v = lc.a_prev
        elif quantity == "z":
            v = lc.z
        elif net.bn[l - 1]:
            v = params[f"gamma{l}"] * lc.bn.z_norm + params[f"beta{l}"]
        else:
            v = lc.z + params[f"b{l}"]
        out.append(v)
    return np.stack(out)


def band(values: np.ndarray, quantiles=QUANTILES) -> np.ndarray:
    """Quantiles over examples: (S, n, units) -> (S, units, len(quantiles))."""
    return np.moveaxis(np.quantile(values, quantiles, axis=1), 0, -1)


def moments(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit mean and standard deviation (biased) over examples: two arrays (S, units)."""
    return values.mean(axis=1), values.std(axis=1)


def histograms(values: np.ndarray, bins: int = 40, lo: float | None = None,
               hi: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of one unit at every snapshot on shared bin edges: values (S, n) ->
    (edges (bins+1,), density (S, bins)), each row a probability density. The default range
    is the 0.5–99.5 % range over all snapshots, so a few outliers do not squash the picture."""
    v = np.asarray(values, dtype=float)
    if lo is None or hi is None:
        q_lo, q_hi = np.quantile(v, [0.005, 0.995])
        lo = q_lo if lo is None else lo
        hi = q_hi if hi is None else hi
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, bins + 1)
    width = edges[1] - edges[0]
    idx = np.clip(((v - lo) / width).astype(int), 0, bins - 1)
    inside = (v >= lo) & (v <= hi)
    counts = np.zeros((v.shape[0], bins))
    rows = np.broadcast_to(np.arange(v.shape[0])[:, None], v.shape)
    np.add.at(counts, (rows[inside], idx[inside]), 1.0)
    return edges, counts / (v.shape[1] * width)


def layer_width(quantity: str, l: int, units: int, n_in: int = 2) -> int:
    """Number of units of ``quantity`` in hidden layer ``l``: a^[0] is the data x (n_in)."""
    return n_in if (quantity == "a_prev" and l == 1) else units


class LayerRun(NamedTuple):
    """One run's view of hidden layer l over training (S snapshots, n units)."""

    steps: np.ndarray  # (S,) snapshot steps
    band: np.ndarray | None  # (S, n, 5) quantiles (None if the values overflowed)
    mean: np.ndarray  # (S, n) per-unit mean over the data set
    std: np.ndarray  # (S, n) per-unit standard deviation (biased)
    edges: np.ndarray  # (n, bins + 1) histogram edges per unit
    density: np.ndarray  # (S, n, bins)
    finite: bool  # all values finite (no overflow)
    drift: float  # common.drift of mean and std (NaN if not finite)
    zt_mean: np.ndarray  # (S, n_l) mean of z̃^[l]
    zt_var: np.ndarray  # (S, n_l) variance of z̃^[l]
    diverged: bool
    diverged_at: int | None
    test_acc: float  # final eval-mode test accuracy (NaN if never evaluated)
    beta: np.ndarray | None = None  # (S, n_l) β^[l] at the snapshots (BN only)
    gamma2: np.ndarray | None = None  # (S, n_l) (γ^[l])² at the snapshots (BN only)
    z_var: np.ndarray | None = None  # (S, n_l) variance of z^[l] before BN (BN only)
    eps: float = 0.0  # BN's ε (BN only)


def layer_run(trace, X, l: int, quantity: str, bins: int = 40) -> LayerRun:
    """Follow ``quantity`` of hidden layer ``l`` through the snapshots of ``trace`` (a
    :class:`bnsim.train.TrainTrace`) over the data set X (N, n_in)."""
    vals = layer_values(trace.snapshots, X, trace.net, l, quantity)  # (S, N, n)
    mean, std = moments(vals)
    finite = bool(np.all(np.isfinite(vals)))
    n = vals.shape[2]
    edges = np.zeros((n, bins + 1))
    dens = np.zeros((len(vals), n, bins))
    if finite:
        for j in range(n):
            edges[j], dens[:, j] = histograms(vals[:, :, j], bins)
    zt = vals if quantity == "z_tilde" else layer_values(trace.snapshots, X, trace.net, l,
                                                         "z_tilde")
    zt_mean, zt_std = moments(zt)
    beta = gamma2 = z_var = None
    eps = 0.0
    if trace.net.bn[l - 1]:
        beta = np.array([p[f"beta{l}"] for p, _ in trace.snapshots])
        gamma2 = np.array([p[f"gamma{l}"] ** 2 for p, _ in trace.snapshots])
        z = vals if quantity == "z" else layer_values(trace.snapshots, X, trace.net, l, "z")
        z_var = z.var(axis=1)
        eps = float(trace.net.eps)
    return LayerRun(
        steps=trace.snapshot_steps, band=band(vals) if finite else None, mean=mean, std=std,
        edges=edges, density=dens, finite=finite,
        drift=drift(mean, std) if finite else float("nan"), zt_mean=zt_mean,
        zt_var=zt_std ** 2, diverged=trace.diverged, diverged_at=trace.diverged_at,
        test_acc=float(trace.test_acc[-1]) if len(trace.test_acc) else float("nan"),
        beta=beta, gamma2=gamma2, z_var=z_var, eps=eps)


class LayerView(NamedTuple):
    """The same layer in the network without BN and with BN (same seed, data, optimiser)."""

    no_bn: LayerRun
    bn: LayerRun


class Pinning(NamedTuple):
    """How tightly BN pins z̃^[l]: its per-unit mean to β and variance to γ²·σ²/(σ² + ε)."""

    off_mean: float  # max |mean(z̃) − β| over steps and units
    off_var: float  # max |var(z̃)/(γ²·σ²/(σ²+ε)) − 1|, σ² the variance of z before BN
    beta_range: float  # mean over units of the range β travelled
    plain_range: float  # the same for the unit means of z̃ without BN
    eps_shrink: float = 0.0  # max 1 − σ²/(σ²+ε): how far ε alone pulls var(z̃) below γ²


def pinning(view: LayerView) -> Pinning:
    """:class:`Pinning` from the BN run's β, γ², the variance of z before BN and the moments
    of z̃ in both runs."""
    b = view.bn
    shrink = b.z_var / (b.z_var + b.eps)
    return Pinning(float(np.max(np.abs(b.zt_mean - b.beta))),
                   float(np.max(np.abs(b.zt_var / (b.gamma2 * shrink) - 1))),
                   float(np.mean(np.ptp(b.beta, axis=0))),
                   float(np.mean(np.ptp(view.no_bn.zt_mean, axis=0))),
                   float(np.max(1 - shrink)))


def band_table(view: LayerView, unit: int) -> pd.DataFrame:
    """Tidy table of one unit's quantile band, mean and std per step and network (0-based
    ``unit``)."""
    cols = [f"q{int(q * 100)}" for q in QUANTILES]
    return pd.concat([pd.DataFrame(r.band[:, unit], columns=cols)
                      .assign(step=r.steps, network=k, mean=r.mean[:, unit], std=r.std[:, unit])
                      for k, r in (("no_bn", view.no_bn), ("bn", view.bn))])



# ---------------------------------------------------------------- verdicts
DRIFT_REL = REDUCES_DRIFT.threshold  # BN *reduces the drift* when D_BN < (1 − this)·D_noBN
PIN_TOL = PINNED.threshold

DRIFT = verdict.claim(
    "covariate_shift.moving_inputs.drift", where="Covariate shift → A deep layer's moving "
    "inputs (the sentence under the distribution plot)",
    words="Drift D of <quantity> is A without BN and B with BN (one run each, the same seed): "
          "(a) at this seed BN cuts the movement to r % of it, as the lecture says; (b) at this "
          "seed the values of <quantity> move more with BN (r× as far) — the lecture's story "
          "fails for this layer; "
          "(c) within 10 % of each other, BN makes no clear difference at this seed. Abstains: "
          "a drift is not finite; the quantity never moves without BN (it is the data).",
    preconditions=("both drifts are finite numbers", "the quantity moves without BN (D > 0)"),
    threshold="10 % of D without BN (*reduces the drift*)",
    test="tests/test_claims_covariate_shift.py::"
         "test_bn_reduces_the_drift_of_a_deep_layers_inputs_at_the_default_view, "
         "tests/test_covariate_shift.py::test_drift_verdict_branches")
PIN = verdict.claim(
    "covariate_shift.moving_inputs.pinning", where="Covariate shift → A deep layer's moving "
    "inputs → mean and variance of z̃ (the sentence under the moments plot)",
    words="(a) With BN the mean of z̃^[l] is β and its variance γ² (or γ²·σ²/(σ²+ε), below γ² "
          "by up to X % where z hardly varies) at every step (largest deviations …); β "
          "travelled A per unit, without BN the unit means of z̃ travelled B; (b) the mean of "
          "z̃ is off β by up to …: not pinned. Abstains: the moments are not finite.",
    preconditions=("the moments of z̃ are finite numbers",),
    threshold="0.001 (*pinned (z̃)*)",
    test="tests/test_claims_covariate_shift.py::test_bn_pins_the_mean_and_variance_of_z_tilde, "
         "tests/test_covariate_shift.py::test_pinning_verdict_branches")


def drift_verdict(d_no_bn: float, d_bn: float, sym: str, rel: float = DRIFT_REL,
                  view: LayerView | None = None) -> Verdict:
    """"BN reduces the movement of a deep layer's inputs" on one drift pair (one run each, the
    same seed: the words say "at this seed").

    Holds when D with BN is below (1 − ``rel``)·D without; reversed when above (1 + ``rel``)·D
    without; no effect in between. Does not apply when a drift is not finite (a run diverged,
    or every unit is constant) or nothing moves without BN (D = 0: the layer's inputs are the
    fixed data). ``view`` (the runs the drifts come from) is carried in ``raw``."""
    ev = {"drift_no_bn": d_no_bn, "drift_bn": d_bn}
    raw = {"drift_no_bn": d_no_bn, "drift_bn": d_bn}
    if view is not None:
        raw |= {"mean_no_bn": view.no_bn.mean, "std_no_bn": view.no_bn.std,
                "mean_bn": view.bn.mean, "std_bn": view.bn.std}
    nums = f"Drift D of {sym} is {num(d_no_bn)} without BN and {num(d_bn)} with BN"
    finite = bool(np.isfinite(d_no_bn) and np.isfinite(d_bn))
    pre = (verdict.Precondition("both drifts are finite numbers", finite,
                                " — D is not a finite number (a run diverged, or every unit "
                                "of the layer is constant), no verdict."),
           verdict.Precondition("the quantity moves without BN", not finite or d_no_bn > 1e-12,
                                f" — {sym} never moves (it is the data), so there is no shift "
                                "for BN to reduce."))
    if verdict.first_failed(pre) is not None:
        return verdict.abstain(DRIFT, pre, ev, rel, raw, lead=nums)
    ratio = d_bn / d_no_bn
    ev["ratio"] = ratio
    outcome = compare(1.0 - ratio, rel)
    said = {Outcome.HOLDS: f": at this seed BN cuts the movement to {pct(ratio, 0)} of it, as "
                           "the lecture says.",
            Outcome.REVERSED: f": at this seed the values of {sym} move more with BN "
                              f"({num(ratio)}× as far) — the lecture's story fails for this "
                              "layer.",
            Outcome.NO_EFFECT: f": within {pct(rel, 0)} of each other, BN makes no clear "
                               "difference at this seed."}[outcome]
    return Verdict(outcome, nums + said, ev, rel, DRIFT, pre, raw)


def pinning_verdict(layer: int, pin: Pinning, tol: float = PIN_TOL,
                    view: LayerView | None = None) -> Verdict:
    """"BN pins the mean of z̃^[l] to β and its variance to γ²": holds when the mean is within
    ``tol`` of β and the variance within a factor 1 ± ``tol`` of γ²·σ²/(σ² + ε) at every step
    (said as γ² when ε changes it by less than ``tol``, else with ε's share); reversed
    otherwise (a bug); does not apply when a number is not finite. ``view`` is carried in
    ``raw``."""
    ev = pin._asdict()
    raw = dict(ev)
    if view is not None:
        b = view.bn
        raw |= {"zt_mean": b.zt_mean, "zt_var": b.zt_var, "beta": b.beta, "gamma2": b.gamma2,
                "z_var": b.z_var, "eps": b.eps, "plain_zt_mean": view.no_bn.zt_mean}
    pre = (verdict.Precondition("the moments of z̃ are finite numbers",
                                bool(np.isfinite(pin.off_mean) and np.isfinite(pin.off_var)),
                                "The moments of z̃ are not finite (a run diverged): no "
                                "verdict."),)
    if verdict.first_failed(pre) is not None:
        return verdict.abstain(PIN, pre, ev, tol, raw)
    moves = (f"β travelled {num(pin.beta_range)} per unit on average, while without BN the "
             f"unit means of z̃^[{layer}] travelled {num(pin.plain_range)}.")
    if pin.off_mean <= tol and pin.off_var <= tol:
        if pin.eps_shrink > tol:
            var = (f"γ²·σ²/(σ² + ε) — below γ² by up to {pct(pin.eps_shrink)} where z^[{layer}] "
                   "hardly varies (σ² not much larger than ε = 1e-5)")
        else:
            var = "γ²"
        return Verdict(Outcome.HOLDS, f"With BN the mean of z̃^[{layer}] is β and its variance "
                       f"{var} at every step (largest deviations {num(pin.off_mean, 2)} and a "
                       f"factor 1 ± {num(pin.off_var, 2)}); " + moves, ev, tol, PIN, pre, raw)
    return Verdict(Outcome.REVERSED, f"The mean of z̃^[{layer}] is off β by up to "
                   f"{num(pin.off_mean)}, its variance off γ²·σ²/(σ² + ε) by a factor 1 ± "
                   f"{num(pin.off_var)}: not pinned. " + moves, ev, tol, PIN, pre, raw)
