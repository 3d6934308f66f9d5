"""Moved: the stacked trainer is now :func:`bnsim.train.train_stacked` (one trainer)."""

from bnsim.train import StackedTrace, train_stacked

__all__ = ["StackedTrace", "train_stacked"]
