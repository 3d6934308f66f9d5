"""Cached work of the "Train vs test" page, keyed on scalars only.

Training is cached (``st.cache_resource``) by :class:`TrainKey`, a tuple of scalars; the
test-time computations that take more than a few milliseconds (many random test batches) are
cached (``st.cache_data``) by that key plus their own scalar test-batch settings, so that a
test-batch control never retrains and a value seen once comes back at once. Cached results are
shared between reruns and sessions: treat them as read-only.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import streamlit as st

from bnsim import testtime
from bnsim.train import TrainTrace
from bnsim.ui.cache import train_on_dataset

N_TEST = 400
DATA_SEED = 0


class TrainKey(NamedTuple):
    """Everything that defines one trained network (all scalars)."""

    dataset: str = "moons"
    noise: float = 0.15
    n_train: int = 400
    layers: int = 2
    units: int = 16
    batch_size: int = 32
    sampling: str = "iid"
    steps: int = 1000
    lr: float = 0.01
    seed: int = 0
    norm: str = "bn"  # "bn" or "renorm"
    r_max: float = 3.0
    d_max: float = 5.0

    def variant(self, norm: str) -> TrainKey:
        """The same setting with another normalisation (plain BN ignores r_max, d_max)."""
        key = self._replace(norm=norm)
        if norm == "bn":
            key = key._replace(r_max=TrainKey.r_max, d_max=TrainKey.d_max)
        return key


def trained(key: TrainKey) -> tuple[TrainTrace, tuple]:
    """(trace, (X, y, X_test, y_test)) for ``key``; trains only on a cache miss."""
    return train_on_dataset(key.dataset, key.noise, key.n_train, DATA_SEED,
                            (key.units,) * key.layers, (True,) * key.layers, "relu", "adam",
                            key.lr, key.batch_size, key.steps, key.seed, norm=key.norm,
                            sampling=key.sampling, n_test=N_TEST, r_max=key.r_max,
                            d_max=key.d_max)


def network_of(key: TrainKey):
    """(trace, params, running, step, data): the network to evaluate (the final one, or the
    last finite snapshot if training diverged; ``params`` None if there is none)."""
    trace, d = trained(key)
    got = testtime.usable(trace)
    params, run, step = got if got else (None, None, 0)
    return trace, params, run, step, d


def _need(key: TrainKey):
    trace, params, run, _, d = network_of(key)
    if params is None:
        raise ValueError("training diverged before any usable weights were recorded.")
    return trace.net, params, run, d


@st.cache_data(max_entries=64, show_spinner="Sampling random test batches…")
def accuracy_vs_k(key: TrainKey, ks: tuple[int, ...], n_batchings: int, seed: int):
    """:func:`bnsim.testtime.accuracy_vs_k` on the test set; returns an AccVsK."""
    net, params, run, (_, _, Xt, yt) = _need(key)
    return testtime.accuracy_vs_k(params, net, run, Xt, yt, ks, n_batchings, seed)


@st.cache_data(max_entries=32, show_spinner=False)
def eval_map(key: TrainKey, n: int = 50) -> dict:
    """Eval-mode decision map: xs, ys (n,), ext (x0, x1, y0, y1), p_eval (n, n), and the
    eval-mode test accuracy acc_eval."""
    net, params, run, (X, _, Xt, yt) = _need(key)
    ext = testtime.extent(X, Xt)
    grid = testtime.make_grid(ext, n)
    return dict(xs=grid.xs, ys=grid.ys, ext=ext,
                p_eval=testtime.boundary_eval(params, net, run, grid),
                acc_eval=testtime.eval_accuracy(params, net, run, Xt, yt))


@st.cache_data(max_entries=64, show_spinner="Predicting the grid inside test batches…")
def boundaries(key: TrainKey, k: int, mix: float, seed: int, n: int = 50) -> dict:
    """Both decision maps (:func:`eval_map` plus p_batch (n, n)), the batch-mates ``mates``
    (k − 1,) test indices with the class mix ``mix``, and acc_batch: test accuracy when every
    test point is predicted inside a batch with those same mates."""
    net, params, _, (_, _, Xt, yt) = _need(key)
    out = dict(eval_map(key, n))
    mates = testtime.draw_mixed(yt, k - 1, mix, 1, np.random.default_rng(seed))[0]
    grid = testtime.make_grid(out["ext"], n)
    p_test = testtime.predict_with_mates(params, net, Xt, Xt[mates])
    out.update(mates=mates, p_batch=testtime.boundary_batch(params, net, grid, Xt[mates]),
               acc_batch=testtime.accuracy(p_test, yt))
    return out


@st.cache_data(max_entries=64, show_spinner=False)
def neighbours(key: TrainKey, i: int, k: int, n_draws: int, seed: int) -> np.ndarray:
    """:func:`bnsim.testtime.neighbours` for test point ``i``."""
    net, params, _, (_, _, Xt, _) = _need(key)
    return testtime.neighbours(params, net, Xt, i, k, n_draws, seed)


@st.cache_data(max_entries=64, show_spinner=False)
def skewed(key: TrainKey, k: int, n_batches: int, seed: int):
    """:func:`bnsim.testtime.skewed` on the test set for every class mix."""
    net, params, run, (_, _, Xt, yt) = _need(key)
    return testtime.skewed(params, net, run, Xt, yt, k, testtime.MIXES, n_batches, seed)
