"""Cached work of the "Covariate shift" page, keyed on scalars only.

Training is cached with ``st.cache_resource`` (one entry per network setting) and the
summaries a view needs with ``st.cache_data`` keyed on the same scalars plus the view's own
(layer, quantity, shift settings), so a view control never retrains. The figures of the two
views a lecturer drags through (the shift, the unit) are cached too: building a plotly figure
costs tens of milliseconds, so a view seen once comes back at once. Cached objects are shared
between reruns and sessions: treat them as read-only.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import streamlit as st

from bnsim import covariate_shift as cv
from bnsim import data
from bnsim.figures import covariate_shift as figs
from bnsim.train import TrainConfig
from bnsim.ui.cache import train_on_dataset

N_TRAIN, N_TEST, DATA_SEED = 1000, 400, 0  # data sets of tabs 2–4
SHIFT_N_TRAIN, SHIFT_N_TEST = 400, 400  # the covariate-shift clouds of tab 1
SHIFT_RULES = tuple(data.RULES)
XLIM, YLIM, GRID = (-5.0, 7.0), (-3.5, 5.5), (72, 54)  # the fixed view of the first tab


class NetKey(NamedTuple):
    """Architecture and training (all scalars)."""

    layers: int = 3
    units: int = 16
    activation: str = "relu"
    optimizer: str = "adam"
    lr: float = 0.01
    batch_size: int = 32
    steps: int = 1000
    seed: int = 0

    @property
    def hidden(self) -> tuple[int, ...]:
        return (self.units,) * self.layers

    def cfg(self) -> TrainConfig:
        return TrainConfig(steps=self.steps, batch_size=self.batch_size,
                           optimizer=self.optimizer, lr=self.lr, seed=self.seed)


class DataKey(NamedTuple):
    dataset: str = "moons"
    noise: float = 0.1


# ---------------------------------------------------------------- 1. input covariate shift
@st.cache_resource(max_entries=8, show_spinner="Training with and without BN on the training "
                   "region (all three rules)…")
def shift_models(net: NetKey, spread: float) -> cv.ShiftModels:
    """Networks with and without BN for every rule, trained on the training cloud."""
    return cv.train_shift_models(SHIFT_RULES, net.hidden, net.activation, net.cfg(), spread,
                                 SHIFT_N_TRAIN, DATA_SEED)


@st.cache_data(max_entries=64, show_spinner=False)
def shift_sweep(net: NetKey, spread: float, rule: str, test_scale: float
                ) -> tuple[pd.DataFrame, dict]:
    """(accuracy table over the shift grid, accuracy on the training distribution)."""
    sw = cv.shift_sweep(shift_models(net, spread), rule, spread, test_scale, SHIFT_N_TRAIN,
                        SHIFT_N_TEST, DATA_SEED)
    return sw.table, sw.train_dist


@st.cache_data(max_entries=64, show_spinner=False)
def rule_comparison(net: NetKey, spread: float, shift: float, test_scale: float
                    ) -> pd.DataFrame:
    return cv.rule_comparison(shift_models(net, spread), shift, spread, test_scale,
                              SHIFT_N_TRAIN, SHIFT_N_TEST, DATA_SEED)


@st.cache_resource(max_entries=256, show_spinner=False)
def shift_view(net: NetKey, spread: float, rule: str, shift: float, test_scale: float,
               model: str) -> dict:
    """Everything the first tab shows for one setting: the three figures and their numbers."""
    models = shift_models(net, spread)
    table, train_dist = shift_sweep(net, spread, rule, test_scale)
    rules = rule_comparison(net, spread, shift, test_scale)
    Xt, yt = cv.shifted_sets(rule, [shift], spread, test_scale, SHIFT_N_TRAIN, SHIFT_N_TEST,
                             DATA_SEED)
    grid = cv.decision_grid(models, rule, model, Xt[0], XLIM, YLIM, GRID)
    i = models.index(rule)
    diverged = [m for m in ("no_bn", "bn") if models.diverged[(rule, m)]]
    return dict(
        scene=figs.shift_scene(models.X_train, models.y_train[i], Xt[0], yt[0], grid, model,
                               XLIM, YLIM),
        accuracy=figs.shift_accuracy(table, train_dist, shift), rules=figs.rule_bars(rules),
        table=table, train_dist=train_dist, rule_table=rules, diverged=diverged)


# ---------------------------------------------------------------- 2./3. one network, two ways
def layer_runs(d: DataKey, net: NetKey):
    """(trace without BN, trace with BN, (X, y, X_test, y_test)): the same seed, data,
    optimiser and learning rate; shared with other pages' cache of ``train_on_dataset``."""
    out = []
    for bn in (False, True):
        trace, xy = train_on_dataset(d.dataset, d.noise, N_TRAIN, DATA_SEED, net.hidden,
                                     (bn,) * net.layers, net.activation, net.optimizer, net.lr,
                                     net.batch_size, net.steps, net.seed, n_test=N_TEST)
        out.append(trace)
    return out[0], out[1], xy


@st.cache_data(max_entries=32, show_spinner="Following the layer through training…")
def layer_view(d: DataKey, net: NetKey, layer: int, quantity: str, bins: int = 40) -> dict:
    """Per run ("no_bn", "bn"): snapshot steps, quantile band (S, n, 5), mean and std (S, n),
    histograms per unit (edges (n, bins+1), density (S, n, bins)) and the drift D; plus the
    mean and variance of z̃^[l] (S, n) and, with BN, β and γ² at the snapshots."""
    plain, bn, (X, *_) = layer_runs(d, net)
    out = {}
    for key, trace in (("no_bn", plain), ("bn", bn)):
        vals = cv.layer_values(trace.snapshots, X, trace.net, layer, quantity)
        mean, std = cv.moments(vals)
        finite = bool(np.all(np.isfinite(vals)))
        n = vals.shape[2]
        edges = np.zeros((n, bins + 1))
        dens = np.zeros((len(vals), n, bins))
        if finite:
            for j in range(n):
                edges[j], dens[:, j] = cv.histograms(vals[:, :, j], bins)
        zt = vals if quantity == "z_tilde" else cv.layer_values(trace.snapshots, X, trace.net,
                                                                 layer, "z_tilde")
        zt_mean, zt_std = cv.moments(zt)
        entry = dict(steps=trace.snapshot_steps, band=cv.band(vals) if finite else None,
                     mean=mean, std=std, edges=edges, density=dens, finite=finite,
                     drift=cv.drift(mean, std) if finite else float("nan"),
                     zt_mean=zt_mean, zt_var=zt_std ** 2, diverged=trace.diverged,
                     diverged_at=trace.diverged_at, test_acc=float(trace.test_acc[-1])
                     if len(trace.test_acc) else float("nan"))
        if trace.net.bn[layer - 1]:
            entry["beta"] = np.array([p[f"beta{layer}"] for p, _ in trace.snapshots])
            entry["gamma2"] = np.array([p[f"gamma{layer}"] ** 2 for p, _ in trace.snapshots])
        out[key] = entry
    return out


@st.cache_resource(max_entries=128, show_spinner=False)
def layer_figures(d: DataKey, net: NetKey, layer: int, quantity: str, unit: int, style: str,
                  logx: bool, label: str):
    """(distribution figure, z̃ moments figure) of the second tab for one view."""
    lv = layer_view(d, net, layer, quantity)
    runs = ("no_bn", "bn")
    if style == "band":
        top = figs.layer_band(lv["bn"]["steps"], {k: lv[k]["band"][:, unit] for k in runs},
                              label, logx)
    else:
        top = figs.layer_heatmaps(lv["bn"]["steps"], {k: (lv[k]["edges"][unit],
                                                          lv[k]["density"][:, unit])
                                                      for k in runs}, label, logx)
    zt_unit = min(unit, net.units - 1)
    bottom = figs.zt_moments(lv["bn"]["steps"], {k: (lv[k]["zt_mean"], lv[k]["zt_var"])
                                                 for k in runs}, zt_unit, logx)
    return top, bottom


@st.cache_resource(max_entries=8, show_spinner="Drawing many mini-batches…")
def batch_noise(d: DataKey, net: NetKey) -> cv.BatchNoise:
    """μ_B, σ²_B of every layer over 256 mini-batches of every size, for the trained BN net."""
    _, bn, (X, *_) = layer_runs(d, net)
    return cv.batch_noise(bn.params, bn.net, X, cv.BATCH_SIZES, n_batches=256, seed=DATA_SEED)


# ---------------------------------------------------------------- 4. noisy BN
@st.cache_resource(max_entries=6, show_spinner="Training no BN, BN and noisy BN (all seeds)…")
def noisy_runs(d: DataKey, net: NetKey, noise: float, n_seeds: int) -> cv.NoisyComparison:
    X, y, Xt, yt = data.train_test(d.dataset, N_TRAIN, N_TEST, d.noise, DATA_SEED)
    seeds = [net.seed + i for i in range(n_seeds)]
    return cv.noisy_comparison(X, y, Xt, yt, net.hidden, net.activation, net.cfg(), noise,
                               seeds)
