"""The simulator's modes, each an ``Enum`` (a ``StrEnum``: its members compare equal to, and
format as, the plain strings used in URLs, CSV columns and older code).

- :class:`Mode`: how ``network.forward`` normalises a layer.
- :class:`Norm`: the normalisation used while training (``train.TrainConfig.norm``).
- :class:`Sampling`: how the trainer draws mini-batches.
- :class:`Convention`: whose running-statistics update rule (and ``momentum`` meaning).
- :class:`Variance`: biased 1/m or unbiased 1/(m − 1) batch variance.
"""

from __future__ import annotations

from enum import StrEnum


class Mode(StrEnum):
    """Normalisation of a forward pass."""

    TRAIN = "train"  # this mini-batch's μ_B, σ²_B (gradient through them)
    EVAL = "eval"  # the running estimates μ̂, σ̂²: each example stands alone
    BATCH = "batch"  # the statistics of a given test batch; running estimates untouched
    RENORM = "renorm"  # Batch Renormalization in training
    RUNNING = "running"  # the running estimates in training (no gradient through them)


class Norm(StrEnum):
    """Normalisation used in training."""

    BN = "bn"  # plain BN: mini-batch statistics
    RENORM = "renorm"  # Batch Renormalization (Ioffe, 2017)
    RUNNING = "running"  # normalise by the running estimates


class Sampling(StrEnum):
    """How the trainer draws its mini-batches."""

    IID = "iid"  # random examples
    BY_CLASS = "by_class"  # every mini-batch from one class only (non-i.i.d.)


class Convention(StrEnum):
    """Whose running-statistics rule: PyTorch (momentum = 1 − β_EMA, stores the unbiased
    variance), Keras (momentum = β_EMA, biased) or the lecture's EMA."""

    PYTORCH = "pytorch"
    KERAS = "keras"
    LECTURE = "lecture"


class Variance(StrEnum):
    """Batch variance: biased σ²_B = 1/m·Σ(z − μ_B)², or unbiased m/(m − 1)·σ²_B."""

    BIASED = "biased"
    UNBIASED = "unbiased"


def parse(enum: type[StrEnum], value, what: str) -> StrEnum:
    """``value`` as a member of ``enum``, or a ``ValueError`` that lists what is allowed."""
    if type(value) is enum:  # already a member: the common case on hot paths
        return value
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in enum)
        raise ValueError(f"{what} must be one of {allowed}; got {value!r}.") from None
