"""Mini-batches: how the trainer cuts its training set, the one sampler of bnsim.

An epoch is one pass over the examples without replacement, cut into batches of exactly
``batch_size`` (a last partial batch is dropped):

- ``"iid"`` (:class:`bnsim.modes.Sampling`): a random permutation of all examples;
- ``"by_class"``: each class permuted and cut on its own, so every batch holds one class only
  (the non-i.i.d. case); with ``shuffle`` the batches of all classes come in random order.

:func:`minibatches` is the trainer's endless stream (a lesson that replays a run's batches
calls it with a generator seeded like the run, ``np.random.default_rng(cfg.seed)``);
:func:`epochs` stacks whole epochs into one index array.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from bnsim import modes
from bnsim.modes import Sampling


def epoch(y, batch_size: int, sampling: Sampling | str, rng: np.random.Generator, *,
          shuffle: bool = True) -> np.ndarray:
    """One epoch of mini-batch indices into ``y`` (n,): an int array (B, batch_size), B the
    number of whole batches (0 if none fits). ``shuffle`` (by_class only): batches of all
    classes in random order; without it class by class, in the order of ``np.unique(y)``."""
    sampling = modes.parse(Sampling, sampling, "sampling")
    y = np.asarray(y)
    if sampling is Sampling.IID:
        order = rng.permutation(len(y))
        n_batches = len(order) // batch_size
        return order[:n_batches * batch_size].reshape(n_batches, batch_size)
    chunks = []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_batches = len(idx) // batch_size
        chunks.append(idx[:n_batches * batch_size].reshape(n_batches, batch_size))
    batches = np.concatenate(chunks) if chunks else np.empty((0, batch_size), dtype=np.intp)
    if shuffle and len(batches):
        batches = batches[rng.permutation(len(batches))]
    return batches


def minibatches(y, batch_size: int, sampling: Sampling | str, rng: np.random.Generator
                ) -> Iterator[np.ndarray]:
    """Endless mini-batches: index arrays (batch_size,) into ``y`` (n,), epoch after epoch of
    :func:`epoch` (with ``shuffle``). Raises ``ValueError`` if no whole batch fits (by_class:
    ``batch_size`` larger than every class)."""
    while True:
        batches = epoch(y, batch_size, sampling, rng)
        if not len(batches):
            what = "the size of a class" if sampling == Sampling.BY_CLASS else "n"
            raise ValueError(f"{sampling} sampling needs batch_size ≤ {what}.")
        yield from batches


def epochs(y, batch_size: int, sampling: Sampling | str, n_epochs: int,
           rng: np.random.Generator, *, shuffle: bool = True) -> np.ndarray:
    """``n_epochs`` epochs of :func:`epoch` one after the other: indices (B, batch_size) with
    B = n_epochs × the batches of one epoch (possibly 0)."""
    parts = [epoch(y, batch_size, sampling, rng, shuffle=shuffle) for _ in range(n_epochs)]
    return np.concatenate(parts) if parts else np.empty((0, batch_size), dtype=np.intp)
