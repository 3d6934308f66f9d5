"""How a network is trained: :class:`TrainConfig` (validated scalars) and the schedules that
follow from it — Batch Renorm's clip limits per step, the evaluation interval, the snapshot
steps.

Everything here is a scalar or a function of scalars, so a config is hashable and a cached
trainer can be keyed on it. The modes (``norm``, ``sampling``, ``convention``) are the enums
of :mod:`bnsim.modes`; the plain strings are accepted and stored as those enum members (which
compare equal to the strings).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bnsim import modes, optim, running
from bnsim.modes import Convention, Mode, Norm, Sampling

SAMPLINGS = tuple(s.value for s in Sampling)
NORMS = tuple(n.value for n in Norm)
# the forward mode that trains each normalisation (bnsim.network.forward)
TRAIN_MODE = {Norm.BN: Mode.TRAIN, Norm.RENORM: Mode.RENORM, Norm.RUNNING: Mode.RUNNING}


def _whole(value, lo: int, hi: int | None = None) -> bool:
    """``value`` is an integer in [lo, hi] (no upper bound if ``hi`` is None)."""
    return (isinstance(value, (int, np.integer)) and value >= lo
            and (hi is None or value <= hi))


@dataclass(frozen=True)
class TrainConfig:
    """Everything about training besides the architecture and the data (all scalars)."""

    steps: int = 1000  # number of mini-batches T
    batch_size: int = 32  # m
    optimizer: str = "adam"  # gd, momentum, rmsprop, adam
    lr: float = 0.01
    seed: int = 0  # weights and mini-batch order
    convention: Convention = Convention.PYTORCH  # running statistics: pytorch, keras, lecture
    momentum: float | None = None  # that convention's momentum (None: its default)
    cumulative: bool = False  # PyTorch momentum=None: cumulative average of the batches
    norm: Norm = Norm.BN  # "bn"; "renorm" (Batch Renormalization); "running": normalise with
    #                       the running estimates in training too, no gradient through them
    r_max: float = 3.0  # Batch Renorm clip limits (reached after ``renorm_ramp`` steps)
    d_max: float = 5.0
    renorm_ramp: int = 0  # steps over which r_max grows from 1 and d_max from 0 (0: fixed)
    sampling: Sampling = Sampling.IID  # "iid", or "by_class": every mini-batch from one class
    bn_noise: float = 0.0  # "noisy BN": per-step random scale/shift after BN, this std
    eval_every: int = 0  # 0: automatic, about 50 evaluations per run
    n_snapshots: int = 100  # parameter snapshots kept (half even, half log-spaced)

    def __post_init__(self):
        if not _whole(self.steps, 1, 20_000):
            raise ValueError(f"steps must be a whole number from 1 to 20000; got {self.steps!r}.")
        if not _whole(self.batch_size, 1):
            raise ValueError(f"batch_size must be a whole number ≥ 1; got {self.batch_size!r}.")
        if self.optimizer not in optim.OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(optim.OPTIMIZERS)}; "
                             f"got {self.optimizer!r}.")
        if not (np.isfinite(self.lr) and 0 < self.lr <= 10):
            raise ValueError(f"lr must be a number in (0, 10]; got {self.lr!r}.")
        for name, enum in (("convention", Convention), ("norm", Norm), ("sampling", Sampling)):
            object.__setattr__(self, name, modes.parse(enum, getattr(self, name), name))
        running.rule(self.convention, self.momentum)  # validates the momentum
        if self.cumulative and self.convention is not Convention.PYTORCH:
            raise ValueError("cumulative averaging is PyTorch's momentum=None; use "
                             "convention='pytorch' with it.")
        if not (np.isfinite(self.r_max) and self.r_max >= 1):
            raise ValueError(f"r_max must be ≥ 1; got {self.r_max!r}.")
        if not (np.isfinite(self.d_max) and self.d_max >= 0):
            raise ValueError(f"d_max must be ≥ 0; got {self.d_max!r}.")
        if not _whole(self.renorm_ramp, 0):
            raise ValueError(f"renorm_ramp must be a whole number ≥ 0; got "
                             f"{self.renorm_ramp!r}.")
        if not (np.isfinite(self.bn_noise) and 0 <= self.bn_noise <= 5):
            raise ValueError(f"bn_noise must be in [0, 5]; got {self.bn_noise!r}.")
        if self.eval_every < 0 or self.n_snapshots < 1:
            raise ValueError("eval_every must be ≥ 0 and n_snapshots ≥ 1.")

    @property
    def train_mode(self) -> Mode:
        """The forward mode of a training step under this ``norm``."""
        return TRAIN_MODE[self.norm]


def renorm_limits(cfg: TrainConfig, t: int) -> tuple[float, float]:
    """Batch Renorm's (r_max, d_max) at step t: with ``cfg.renorm_ramp`` > 0 they grow linearly
    from (1, 0) — plain BN — to (cfg.r_max, cfg.d_max) at step ``renorm_ramp``."""
    f = 1.0 if not cfg.renorm_ramp else min(1.0, t / cfg.renorm_ramp)
    return 1.0 + (cfg.r_max - 1.0) * f, cfg.d_max * f


def eval_every(cfg: TrainConfig) -> int:
    """Steps between evaluations: ``cfg.eval_every``, or about 50 evaluations per run."""
    return cfg.eval_every or max(1, cfg.steps // 50)


def snapshot_steps(n_steps: int, n_snapshots: int) -> np.ndarray:
    """About ``n_snapshots`` steps in 1..n_steps: half evenly spaced, half log-spaced (dense
    at the start, where a running estimate is still forming). Sorted, unique, int."""
    lin = np.linspace(1, n_steps, max(n_snapshots - n_snapshots // 2, 1))
    log = np.geomspace(1, n_steps, n_snapshots // 2) if n_snapshots > 1 else []
    return np.unique(np.r_[lin, log].round().astype(int))
