"""The lecture's optimisers: gradient descent, momentum, RMSprop and Adam.

Each is a small class with one signature — ``Opt(w, lr)`` then ``opt.step(w, dw)`` — that
updates the parameter array ``w`` in place. The trainer keeps all parameters in one flat
vector (the per-layer arrays are views into it), so one step is a handful of vector operations.
"""

from __future__ import annotations

import numpy as np


class GD:
    """W ← W − lr·dW."""

    def __init__(self, w: np.ndarray, lr: float):  # noqa: ARG002 - the shared signature
        self.lr = lr

    def step(self, w: np.ndarray, dw: np.ndarray) -> None:
        w -= self.lr * dw


class Momentum:
    """v ← β1·v + (1 − β1)·dW;  W ← W − lr·v   (the lecture's form, β1 = 0.9)."""

    def __init__(self, w: np.ndarray, lr: float, beta1: float = 0.9):
        self.lr, self.beta1 = lr, beta1
        self.v = np.zeros_like(w)

    def step(self, w: np.ndarray, dw: np.ndarray) -> None:
        self.v *= self.beta1
        self.v += (1 - self.beta1) * dw
        w -= self.lr * self.v


class RMSprop:
    """s ← β2·s + (1 − β2)·dW²;  W ← W − lr·dW/(√s + ε)."""

    def __init__(self, w: np.ndarray, lr: float, beta2: float = 0.999, eps: float = 1e-8):
        self.lr, self.beta2, self.eps = lr, beta2, eps
        self.s = np.zeros_like(w)

    def step(self, w: np.ndarray, dw: np.ndarray) -> None:
        self.s *= self.beta2
        self.s += (1 - self.beta2) * dw * dw
        w -= self.lr * dw / (np.sqrt(self.s) + self.eps)


class Adam:
    """Momentum and RMSprop together, bias-corrected:
    W ← W − lr·v̂/(√ŝ + ε) with v̂ = v/(1 − β1^t), ŝ = s/(1 − β2^t)."""

    def __init__(self, w: np.ndarray, lr: float, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.v, self.s = np.zeros_like(w), np.zeros_like(w)
        self._step, self._den = np.empty_like(w), np.empty_like(w)  # scratch, no allocations
        self.t = 0

    def step(self, w: np.ndarray, dw: np.ndarray) -> None:
        self.t += 1
        b1, b2, tmp, den = self.beta1, self.beta2, self._step, self._den
        self.v *= b1
        np.multiply(dw, 1 - b1, out=tmp)
        self.v += tmp  # v ← β1·v + (1 − β1)·dW
        self.s *= b2
        np.multiply(dw, 1 - b2, out=tmp)
        tmp *= dw
        self.s += tmp  # s ← β2·s + (1 − β2)·dW²
        np.multiply(self.v, self.lr / (1 - b1**self.t), out=tmp)
        np.divide(self.s, 1 - b2**self.t, out=den)
        np.sqrt(den, out=den)
        den += self.eps
        tmp /= den
        w -= tmp  # W ← W − lr·v̂/(√ŝ + ε), the same operations in the same order as written


OPTIMIZERS = {"gd": GD, "momentum": Momentum, "rmsprop": RMSprop, "adam": Adam}


def make(name: str, w: np.ndarray, lr: float):
    """An optimiser from :data:`OPTIMIZERS` with the lecture's default hyper-parameters."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}; got {name!r}.")
    if not (np.isfinite(lr) and 0 < lr <= 10):
        raise ValueError(f"learning rate must be a number in (0, 10]; got {lr!r}.")
    return OPTIMIZERS[name](w, float(lr))
