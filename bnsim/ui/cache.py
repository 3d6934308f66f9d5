"""Cached training, keyed on scalar parameters only.

Training is the only expensive step; everything a view-only control changes is computed from
the returned trace without retraining. The trace is shared between reruns and sessions, so
callers must treat it as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True, kw_only=True)
class TrainSetting:
    """Everything one cached training run depends on (scalars and tuples only: hashable, so it
    is the cache key, and two sessions asking for the same setting share one run)."""

    dataset: str
    noise: float
    n_train: int
    data_seed: int
    hidden: tuple[int, ...]
    bn: tuple[bool, ...]
    activation: str
    optimizer: str
    lr: float
    batch_size: int
    steps: int
    seed: int
    convention: str = "pytorch"
    norm: str = "bn"
    sampling: str = "iid"
    bn_noise: float = 0.0
    n_test: int = 400
    r_max: float = 3.0
    d_max: float = 5.0


@st.cache_resource(max_entries=24, show_spinner="Training the network…")
def trained(setting: TrainSetting) -> Trained:
    """Train on a toy dataset as ``setting`` says (cached on the setting)."""
    s = setting
    X, y, Xt, yt = data.train_test(s.dataset, s.n_train, s.n_test, s.noise, s.data_seed)
    net = NetConfig(hidden=s.hidden, bn=s.bn, activation=s.activation)
    cfg = TrainConfig(steps=s.steps, batch_size=s.batch_size, optimizer=s.optimizer, lr=s.lr,
                      seed=s.seed, convention=s.convention, norm=s.norm, sampling=s.sampling,
                      bn_noise=s.bn_noise, r_max=s.r_max, d_max=s.d_max)
    return Trained(train(net, X, y, Xt, yt, cfg), X, y, Xt, yt)

