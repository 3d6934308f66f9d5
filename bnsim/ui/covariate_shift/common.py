"""What the tabs of "Covariate shift" share: the controls every tab uses (:data:`SHARED`) and
the data controls of three tabs (:data:`DATA`), the cache keys built from them, the one pair
of trained networks the deep-layer and mini-batch tabs study, and a few sentences.

Cached work is keyed on hashable settings only (:class:`NetKey`, :class:`DataKey`: named
tuples of scalars and a frozen :class:`bnsim.train.TrainConfig`). Cached objects are shared
between reruns and sessions: treat them as read-only.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import streamlit as st

from bnsim import data, notation
from bnsim.lessons.covariate_shift.mini_batch_noise import BATCH_SIZES
from bnsim.train import TrainConfig, TrainTrace
from bnsim.ui import concepts
from bnsim.ui.cache import TrainSetting, trained
from bnsim.verdict import remade  # noqa: F401  (the views' cached verdicts, made again)

N_TRAIN, N_TEST, DATA_SEED = 1000, 400, 0  # the data sets of the tabs after the first
WARN = ":material/warning:"

# ---------------------------------------------------------------- controls
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
SHARED = (
    concepts.DEPTH.narrow(min=2, max=4, default=3, old_keys=("layers",),
                          help="Number of hidden layers (every network on this page)."),
    concepts.WIDTH.narrow(min=4, max=32, step=4, default=16, old_keys=("units",),
                          help="Width of every hidden layer."),
    concepts.ACTIVATION.narrow(help="Activation after each hidden layer."),
    concepts.OPTIMIZER.narrow(help="The same optimiser for all networks compared."),
    concepts.LR.narrow(values=LEARNING_RATES, default=0.01, legacy={"1.0": 1.0},
                       help="The same learning rate for all networks compared."),
    concepts.BATCH.narrow(values=BATCH_SIZES, default=32,
                          help="Examples per training mini-batch."),
    concepts.STEPS.narrow(min=200, max=4000, step=100, default=1000,
                          help="Number of mini-batches."),
    concepts.SEED.narrow(max=99, help="Initial weights and mini-batch order (the same for "
                                      "with and without BN)."),
)
DATA = (  # the data set of the tabs after the first (the first draws its own clouds)
    concepts.DATASET.narrow(help="Toy 2-D data set (1000 training, 400 test examples)."),
    concepts.NOISE.narrow(max=0.5, default=0.1, old_keys=("dnoise",),
                          help="Gaussian noise added to the inputs."),
)


# ---------------------------------------------------------------- cache keys
class NetKey(NamedTuple):
    """What every network a comparison trains shares, BN aside: the architecture and the
    training (hashable, so it is a cache key)."""

    hidden: tuple[int, ...]
    activation: str
    training: TrainConfig

    @property
    def depth(self) -> int:
        return len(self.hidden)

    @property
    def width(self) -> int:
        return self.hidden[0]


class DataKey(NamedTuple):
    dataset: str = "moons"
    noise: float = 0.1


def net_key(v: dict) -> NetKey:
    """The network setting the controls ``v`` describe."""
    return NetKey(hidden=(v["width"],) * v["depth"], activation=v["act"],
                  training=TrainConfig(steps=v["steps"], batch_size=v["batch"],
                                       optimizer=v["opt"], lr=v["lr"], seed=v["seed"]))


def seeds(net: NetKey, n_seeds: int) -> list[int]:
    """The seeds of a comparison over ``n_seeds`` runs: the training seed and the next ones."""
    return [net.training.seed + i for i in range(n_seeds)]


def data_key(v: dict) -> DataKey:
    """The data set of the tabs after the first, as the controls ``v`` describe it."""
    return DataKey(dataset=v["dataset"], noise=v["noise"])


# ---------------------------------------------------------------- the data and its yardstick
@st.cache_resource(max_entries=16, show_spinner=False)
def data_sets(d: DataKey, n_train: int = N_TRAIN, n_test: int = N_TEST) -> tuple:
    """(X, y, X_test, y_test) of the tabs after the first (read-only: shared between reruns)."""
    return data.train_test(d.dataset, n_train, n_test, d.noise, DATA_SEED)


@st.cache_data(max_entries=64, show_spinner=False)
def reference(d: DataKey, n_train: int = N_TRAIN, n_test: int = N_TEST) -> float:
    """The 15-NN test accuracy on :func:`data_sets` (the glossary's yardstick of *trains*)."""
    return data.reference_accuracy(*data_sets(d, n_train, n_test))


# ---------------------------------------------------------------- one network, two ways
class LayerRuns(NamedTuple):
    """The same network without and with BN (same seed, data, optimiser, learning rate) and
    the data it was trained on."""

    plain: TrainTrace
    bn: TrainTrace
    X: np.ndarray  # (N_TRAIN, 2)
    y: np.ndarray
    X_test: np.ndarray  # (N_TEST, 2)
    y_test: np.ndarray


def layer_runs(d: DataKey, net: NetKey) -> LayerRuns:
    """Both runs, shared with other pages' cache of :func:`bnsim.ui.cache.trained`."""
    training = net.training
    runs = [trained(TrainSetting(dataset=d.dataset, noise=d.noise, n_train=N_TRAIN,
                                 data_seed=DATA_SEED, hidden=net.hidden, bn=(bn,) * net.depth,
                                 activation=net.activation, optimizer=training.optimizer,
                                 lr=training.lr, batch_size=training.batch_size,
                                 steps=training.steps, seed=training.seed, n_test=N_TEST))
            for bn in (False, True)]
    with_bn = runs[1]
    return LayerRuns(runs[0].trace, with_bn.trace, with_bn.X, with_bn.y, with_bn.X_test,
                     with_bn.y_test)


# ---------------------------------------------------------------- sentences
def setting(net: NetKey) -> str:
    """The training setting in one line."""
    training = net.training
    return (f"{net.depth}×{net.width} {notation.ACTIVATIONS[net.activation].label}, "
            f"{notation.OPTIMIZERS[training.optimizer].label} α = {training.lr}, "
            f"m = {training.batch_size}, {training.steps} steps, seed {training.seed}")


def lower_first(text: str) -> str:
    """A verdict's sentence continued after a colon: its first letter in lower case."""
    return text[0].lower() + text[1:]
