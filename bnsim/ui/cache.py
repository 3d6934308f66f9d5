"""Cached training, keyed on scalar parameters only.

Training is the only expensive step; everything a view-only control changes is computed from
the returned trace without retraining. The trace is shared between reruns and sessions, so
callers must treat it as read-only.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import streamlit as st

from bnsim import data
from bnsim.network import NetConfig
from bnsim.train import TrainConfig, TrainTrace, train


class Trained(NamedTuple):
    """A cached training run and the data it was trained and tested on."""

    trace: TrainTrace
    X: np.ndarray  # (n_train, 2)
    y: np.ndarray  # (n_train,)
    X_test: np.ndarray  # (n_test, 2)
    y_test: np.ndarray  # (n_test,)


@st.cache_resource(max_entries=24, show_spinner="Training the network…")
def train_on_dataset(
    dataset: str, *, noise: float, n_train: int, data_seed: int,
    hidden: tuple[int, ...], bn: tuple[bool, ...], activation: str,
    optimizer: str, lr: float, batch_size: int, steps: int, seed: int,
    convention: str = "pytorch", norm: str = "bn", sampling: str = "iid",
    bn_noise: float = 0.0, n_test: int = 400, r_max: float = 3.0, d_max: float = 5.0,
) -> Trained:
    """Train on a toy dataset (every argument a scalar or a tuple: the cache key)."""
    X, y, Xt, yt = data.train_test(dataset, n_train, n_test, noise, data_seed)
    net = NetConfig(hidden=hidden, bn=bn, activation=activation)
    cfg = TrainConfig(steps=steps, batch_size=batch_size, optimizer=optimizer, lr=lr,
                      seed=seed, convention=convention, norm=norm, sampling=sampling,
                      bn_noise=bn_noise, r_max=r_max, d_max=d_max)
    return Trained(train(net, X, y, Xt, yt, cfg), X, y, Xt, yt)
