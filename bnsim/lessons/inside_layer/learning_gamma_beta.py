"""Tab "Learning γ, β": γ^[l]_j and β^[l]_j over training, read from a run's snapshots
(:func:`param_path`) — they are parameters, updated by the optimiser exactly like W.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim.traces import TrainTrace


class ParamPath(NamedTuple):
    """γ^[l]_j and β^[l]_j at the snapshot steps of one run."""

    optimizer: str
    steps: np.ndarray  # (S,)
    gamma: np.ndarray  # (S,)
    beta: np.ndarray  # (S,)
    test_acc: float  # final eval-mode test accuracy


def param_path(trace: TrainTrace, layer: int, unit: int) -> ParamPath:
    """γ, β of layer l and unit j (both 1-based) at every snapshot of ``trace``."""
    if not trace.net.bn[layer - 1]:
        raise ValueError(f"layer {layer} has no BN, so no γ, β.")
    g = np.array([p[f"gamma{layer}"][unit - 1] for p, _ in trace.snapshots])
    b = np.array([p[f"beta{layer}"][unit - 1] for p, _ in trace.snapshots])
    return ParamPath(trace.cfg.optimizer, np.asarray(trace.snapshot_steps), g, b,
                     float(trace.test_acc[-1]) if len(trace.test_acc) else float("nan"))


def paths_frame(paths: Sequence[ParamPath]) -> pd.DataFrame:
    """Tidy table: optimizer, step, parameter (gamma/beta), value."""
    return pd.concat([pd.DataFrame({"optimizer": p.optimizer, "step": p.steps,
                                    "parameter": name, "value": getattr(p, name)})
                      for p in paths for name in ("gamma", "beta")], ignore_index=True)
