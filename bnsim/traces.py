"""What the trainer records: :class:`TrainTrace` for one run, :class:`StackedTrace` for k runs
trained side by side, and :func:`snapshot_index`, the one lookup of a recorded snapshot.

Shapes (named once here, used in every field comment):

- T training steps done, E evaluations, S parameter snapshots;
- L hidden layers, U the widest hidden layer (narrower layers are NaN padded);
- k stacked runs (:class:`StackedTrace` only, always the leading axis).

Layer index l − 1 in the arrays is the lecture's layer l; unit index j is the lecture's unit
j + 1 (tables and CSVs number both from 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bnsim.network import NetConfig
from bnsim.train_config import TrainConfig


def snapshot_index(snapshot_steps, step: int) -> int:
    """Index of the latest snapshot at or before ``step`` in the sorted ``snapshot_steps``
    (the first snapshot for a step before it)."""
    return max(int(np.searchsorted(snapshot_steps, step, side="right")) - 1, 0)


@dataclass
class TrainTrace:
    """What one training run recorded (shapes: see the module docstring)."""

    net: NetConfig
    cfg: TrainConfig
    batch_mean: np.ndarray  # (T, L, U) μ_B of z^[l] per step
    batch_var: np.ndarray  # (T, L, U) σ²_B, biased (1/m)
    batch_var_unbiased: np.ndarray  # (T, L, U) m/(m−1)·σ²_B (NaN for m = 1)
    running_mean: np.ndarray  # (T, L, U) after step t, cfg.convention (NaN without BN)
    running_var: np.ndarray  # (T, L, U)
    loss: np.ndarray  # (T,) mini-batch loss in train mode
    acc: np.ndarray  # (T,) mini-batch accuracy in train mode
    eval_steps: np.ndarray  # (E,) steps after which the network was evaluated
    train_eval_acc: np.ndarray  # (E,) eval-mode accuracy on the whole training set
    test_acc: np.ndarray  # (E,) eval-mode accuracy on the test set (NaN if none given)
    test_loss: np.ndarray  # (E,)
    snapshot_steps: np.ndarray  # (S,) step s: the weights used by step s (before its update)
    snapshots: list  # S × (params, running) copies; running = estimate after step s − 1
    pop_mean: np.ndarray  # (S, L, U) population μ of z^[l] over the training set at step s
    pop_var: np.ndarray  # (S, L, U) biased
    pop_var_unbiased: np.ndarray  # (S, L, U)
    params: dict  # final weights
    running_stats: dict  # final running statistics
    diverged: bool = False
    diverged_at: int | None = None  # the step whose loss was NaN/inf

    @property
    def steps(self) -> np.ndarray:
        """(T,) the step numbers 1..T."""
        return np.arange(1, len(self.loss) + 1)

    def snapshot_at(self, step: int):
        """(params, running) of the latest snapshot at or before ``step``."""
        return self.snapshots[snapshot_index(self.snapshot_steps, step)]

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: step, layer (1-based), unit (1-based), statistic, value — the per-step
        statistics at every step, the population statistics at the snapshot steps."""
        parts = [_tidy(self.steps, self, ("batch_mean", "batch_var", "batch_var_unbiased",
                                          "running_mean", "running_var")),
                 _tidy(self.snapshot_steps, self, ("pop_mean", "pop_var", "pop_var_unbiased"))]
        df = pd.concat(parts, ignore_index=True)
        widths = np.array(self.net.hidden)
        inside = df["unit"].to_numpy() <= widths[df["layer"].to_numpy() - 1]  # drop padding
        return df[inside].reset_index(drop=True)


def _tidy(steps, trace: TrainTrace, names) -> pd.DataFrame:
    """Long rows (step, layer, unit, statistic, value) of the (len(steps), L, U) arrays
    ``names`` of ``trace``, layers and units numbered from 1."""
    _, n_layers, width = trace.batch_mean.shape
    step, layer, unit = np.meshgrid(steps, np.arange(1, n_layers + 1),
                                    np.arange(1, width + 1), indexing="ij")
    columns = {"step": step.ravel(), "layer": layer.ravel(), "unit": unit.ravel()}
    return pd.concat([pd.DataFrame({**columns, "statistic": name,
                                    "value": getattr(trace, name).reshape(step.size)})
                      for name in names], ignore_index=True)


@dataclass
class StackedTrace:
    """What k stacked runs recorded (shapes: see the module docstring). After a run diverged
    (NaN/inf loss at step ``diverged_at[r]``) its entries from that step on are NaN."""

    net: NetConfig
    cfg: TrainConfig
    seeds: tuple[int, ...]
    bn_noise: tuple[float, ...]
    loss: np.ndarray  # (k, T) train-mode mini-batch loss
    acc: np.ndarray  # (k, T) train-mode mini-batch accuracy
    eval_steps: np.ndarray  # (E,)
    train_eval_acc: np.ndarray  # (k, E) eval mode, whole training set
    test_acc: np.ndarray  # (k, E) eval mode, test set (NaN without one)
    test_loss: np.ndarray  # (k, E)
    snapshot_steps: np.ndarray  # (S,) weights used by step s, before its update
    pop_mean: np.ndarray  # (k, S, L, U) population mean of z^[l] (before BN), training set
    #                       (or its first ``pop_rows`` examples)
    pop_var: np.ndarray  # (k, S, L, U) biased
    out_mean: np.ndarray  # (k, S, L, U) population mean of the activation's input at step s
    out_std: np.ndarray  # (k, S, L, U)
    params: list  # k final parameter dicts
    running_stats: list  # k final running-statistics dicts
    diverged_at: np.ndarray  # (k,) int, 0 if the run never diverged

    @property
    def k(self) -> int:
        return len(self.seeds)
