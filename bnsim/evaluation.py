"""What the trainer measures between steps with the weights frozen, for k stacked runs:
population statistics over a data set (:func:`population`) and eval-mode accuracy and loss
(:func:`evaluate`).

Parameters and running statistics carry a leading run axis (k, ...); shapes below use
n examples, L hidden layers and U the widest hidden layer (NaN padded).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from bnsim import batchnorm, network
from bnsim.modes import Mode
from bnsim.network import NetConfig


class Population(NamedTuple):
    """Population statistics of every hidden layer, (k, L, U) for one pass; the trainer stacks
    them over the snapshot steps, (k, S, L, U)."""

    pop_mean: np.ndarray  # mean of z^[l] (before BN)
    pop_var: np.ndarray  # biased variance of z^[l]
    out_mean: np.ndarray  # mean of what the activation receives (z̃^[l], after any noise)
    out_std: np.ndarray  # its standard deviation


class Evaluation(NamedTuple):
    """One evaluation of k runs, each (k,); the trainer stacks them over evaluations, (k, E).
    NaN where a run's logits are not finite or there is no test set."""

    train_eval_acc: np.ndarray  # eval-mode accuracy on the whole training set
    test_acc: np.ndarray  # eval-mode accuracy on the test set
    test_loss: np.ndarray  # eval-mode cross-entropy on the test set


def population(params, X, net: NetConfig, noise=None, outputs: bool = True) -> Population:
    """Population statistics of stacked runs over a whole data set ``X`` (n, n_in) with frozen
    weights (batch mode): mean and biased variance of z^[l], and (only with ``outputs``; else
    NaN) mean and standard deviation of what the activation receives, after BN and ``noise``
    ({l: (scale, shift)} arrays (k, n_l), as :func:`bnsim.network.forward` takes it).

    For a BN layer the latter follow in closed form from the batch normalisation itself:
    z̃ = γ·z_norm + β has mean β and standard deviation |γ|·√(σ²/(σ² + ε)) over the batch,
    and the noise maps them to β·scale + shift and |γ·scale|·√(σ²/(σ² + ε))."""
    _, cache = network.forward(params, X, net, Mode.BATCH, noise=noise)
    n_runs = cache.layers[0].z.shape[0]
    out = Population(*np.full((len(Population._fields), n_runs, net.n_layers, max(net.hidden)),
                              np.nan))
    for l, lc in enumerate(cache.layers, start=1):
        n = lc.z.shape[-1]
        # (k, n) each; unpacked, so that no reference to a layer's cache outlives the loop
        mu, sigma2 = (lc.bn.mu, lc.bn.sigma2) if lc.bn is not None else batchnorm.batch_stats(lc.z)
        out.pop_mean[:, l - 1, :n], out.pop_var[:, l - 1, :n] = mu, sigma2
        if not outputs:
            continue
        if lc.bn is not None:
            shift = params[f"beta{l}"]
            spread = np.abs(params[f"gamma{l}"]) * np.sqrt(sigma2 / (sigma2 + net.eps))
            if lc.noise_scale is not None:
                scale, noise_shift = noise[l]
                shift, spread = shift * scale + noise_shift, spread * np.abs(scale)
            out.out_mean[:, l - 1, :n], out.out_std[:, l - 1, :n] = shift, spread
        else:
            out.out_mean[:, l - 1, :n] = mu + params[f"b{l}"]
            out.out_std[:, l - 1, :n] = np.sqrt(batchnorm.batch_stats(lc.z_tilde).sigma2)
    return out


def eval_logits(params, X, net: NetConfig, running):
    """Eval-mode logits (k, n, n_out) of stacked runs with each BN layer folded into its
    weights: z̃ = a·(A∘W)ᵀ + (β − A∘μ̂) with A = γ/√(σ̂² + ε) — two array operations per
    layer. ``running``: stacked running statistics (k, n_l)."""
    a = X
    for l in range(1, net.n_layers + 1):
        W = params[f"W{l}"]  # (k, n_l, n_{l-1})
        if net.bn[l - 1]:
            A = params[f"gamma{l}"] / np.sqrt(running[f"var{l}"] + net.eps)  # (k, n_l)
            B = params[f"beta{l}"] - A * running[f"mean{l}"]
            zt = np.matmul(a, (A[:, :, None] * W).transpose(0, 2, 1)) + B[:, None, :]
        else:
            zt = np.matmul(a, W.transpose(0, 2, 1)) + params[f"b{l}"][:, None, :]
        a = network.activation(net.activation, zt)
    return np.matmul(a, params["W_out"].transpose(0, 2, 1)) + params["b_out"][:, None, :]


def evaluate(params, X_eval, y, y_test, n_train: int, net: NetConfig, running) -> Evaluation:
    """Eval-mode (running statistics) accuracy on the training set and accuracy and loss on
    the test set, per run, from one forward pass over both sets: ``X_eval`` holds the n_train
    training inputs, then the test inputs; ``y`` (k, n_train), ``y_test`` (k, n_test) or
    None."""
    logits = eval_logits(params, X_eval, net, running)
    n_runs = logits.shape[0]
    finite = np.all(np.isfinite(logits), axis=(1, 2))
    hit = logits.argmax(axis=-1)
    train_acc = np.where(finite, np.mean(hit[:, :n_train] == y, axis=1), np.nan)
    if y_test is None:
        return Evaluation(train_acc, np.full(n_runs, np.nan), np.full(n_runs, np.nan))
    test_acc = np.where(finite, np.mean(hit[:, n_train:] == y_test, axis=1), np.nan)
    loss, _, _ = network.xent(logits[:, n_train:], y_test)
    return Evaluation(train_acc, test_acc, np.where(finite, loss, np.nan))
