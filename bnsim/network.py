r"""A small MLP with Batch Normalization where the lecture puts it.

For each hidden layer l = 1..L (lecture notation, weights W^[l] of shape (n_l, n_{l−1})):

    z^[l] = W^[l] a^[l−1]            (no bias b^[l] where BN follows: β^[l] replaces it)
    z̃^[l] = BN(z^[l]) = γ^[l]·z_norm + β^[l]
    a^[l] = g(z̃^[l])                  g = ReLU, tanh or sigmoid

and without BN, z^[l] = W^[l] a^[l−1] + b^[l], a^[l] = g(z^[l]). The output layer is
softmax(W_out a^[L] + b_out) with cross-entropy loss. Arrays carry examples in rows:
``X`` is (m, n_in), so z = a @ W.T is (m, n_l).

Forward modes (:class:`bnsim.modes.Mode`; the plain strings work too):

* ``"train"``: batch statistics of this mini-batch (the caller updates running statistics
  from the returned ``batch_stats``);
* ``"eval"``: the running statistics, so each example stands alone;
* ``"batch"``: the batch statistics of a given test batch; running statistics untouched.
  ``X`` may then carry leading axes (..., k, n_in) — many test batches of size k in one pass.
* ``"renorm"``: Batch Renormalization in training (needs ``running`` and ``renorm``).
* ``"running"``: training that normalises with the running estimates (needs ``running``),
  with no gradient through them — the forum's "why not use the running averages in training?".

Parameters live in a dict: ``W1, gamma1, beta1`` (BN layer) or ``W1, b1`` (plain layer), …,
``W_out, b_out``. Running statistics: ``mean1, var1, …`` for every BN layer.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from bnsim import batchnorm, modes
from bnsim.modes import Mode

ACTIVATIONS = ("relu", "tanh", "sigmoid")
MODES = tuple(m.value for m in Mode)


@dataclass(frozen=True)
class NetConfig:
    """The architecture. ``bn[l−1]`` says whether hidden layer l has BN."""

    hidden: tuple[int, ...] = (16, 16)  # units per hidden layer, 1–8 layers of 2–64 units
    bn: tuple[bool, ...] = (True, True)
    activation: str = "relu"
    n_in: int = 2
    n_out: int = 2
    eps: float = 1e-5
    widths: tuple[int, ...] = field(init=False, repr=False)

    def __post_init__(self):
        hidden, bn = tuple(int(h) for h in self.hidden), tuple(bool(b) for b in self.bn)
        if not 1 <= len(hidden) <= 8:
            raise ValueError(f"hidden must list 1 to 8 layers; got {len(hidden)}.")
        if any(not 2 <= h <= 64 for h in hidden):
            raise ValueError(f"each hidden layer must have 2 to 64 units; got {hidden}.")
        if len(bn) != len(hidden):
            raise ValueError(f"bn needs one flag per hidden layer ({len(hidden)}); got {len(bn)}.")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}; got {self.activation!r}.")
        if self.n_in < 1 or self.n_out < 2:
            raise ValueError(f"need n_in ≥ 1 and n_out ≥ 2; got {self.n_in}, {self.n_out}.")
        if not (np.isfinite(self.eps) and self.eps > 0):
            raise ValueError(f"eps must be a finite number > 0; got {self.eps}.")
        object.__setattr__(self, "hidden", hidden)
        object.__setattr__(self, "bn", bn)
        object.__setattr__(self, "widths", (self.n_in, *hidden))

    @property
    def n_layers(self) -> int:
        return len(self.hidden)


def init_params(net: NetConfig, seed: int = 0) -> dict[str, np.ndarray]:
    """He (ReLU) or Xavier (tanh, sigmoid) initialisation; γ = 1, β = 0; seeded."""
    rng = np.random.default_rng(seed)
    gain = 2.0 if net.activation == "relu" else 1.0
    params: dict[str, np.ndarray] = {}
    for l in range(1, net.n_layers + 1):
        n_prev, n = net.widths[l - 1], net.widths[l]
        params[f"W{l}"] = rng.standard_normal((n, n_prev)) * np.sqrt(gain / n_prev)
        if net.bn[l - 1]:
            params[f"gamma{l}"], params[f"beta{l}"] = np.ones(n), np.zeros(n)
        else:
            params[f"b{l}"] = np.zeros(n)
    n_last = net.widths[-1]
    params["W_out"] = rng.standard_normal((net.n_out, n_last)) * np.sqrt(1.0 / n_last)
    params["b_out"] = np.zeros(net.n_out)
    return params


def init_running(net: NetConfig) -> dict[str, np.ndarray]:
    """Running statistics as the frameworks start them: mean 0, variance 1."""
    running: dict[str, np.ndarray] = {}
    for l in range(1, net.n_layers + 1):
        if net.bn[l - 1]:
            n = net.widths[l]
            running[f"mean{l}"], running[f"var{l}"] = np.zeros(n), np.ones(n)
    return running


class LayerCache(NamedTuple):
    """One hidden layer's forward values. Shapes for one run; stacked runs add a leading axis."""

    a_prev: np.ndarray  # (m, n_{l−1}) input of the layer
    z: np.ndarray  # (m, n_l) pre-activation before BN
    bn: batchnorm.BNCache | None  # None without BN (or in eval mode)
    noise_scale: np.ndarray | None  # noisy-BN scale applied to z̃ (None: no noise)
    z_tilde: np.ndarray  # (m, n_l) what the activation receives (z + b^[l] without BN)
    a: np.ndarray  # (m, n_l) activation output


class NetCache(NamedTuple):
    layers: list[LayerCache]
    a_last: np.ndarray  # input of the output layer


def activation(name: str, x):
    """g(x) for an activation name of :data:`ACTIVATIONS` — the one Python copy of g (the
    trainer, the eval-mode fold and every lesson call it). Sigmoid is written overflow-free."""
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "tanh":
        return np.tanh(x)
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # sigmoid, overflow-free


def _act_grad(name: str, a):
    """g'(·) written with the activation output a."""
    if name == "relu":
        return a > 0
    if name == "tanh":
        return 1.0 - a * a
    return a * (1.0 - a)


def _units(v):
    """A per-unit vector (n,) or stacked (R, n) as a row that broadcasts over examples."""
    return v[..., None, :]


def _t(w):
    """Transpose of a weight matrix (n_out, n_in), or of each in a stack (R, n_out, n_in)."""
    return w.swapaxes(-1, -2)


def forward(params, X, net: NetConfig, mode: Mode | str = Mode.TRAIN, running=None,
            renorm=None, noise=None):
    """Logits (..., m, n_out) and a :class:`NetCache` for :func:`backward`.

    One run: parameters as :func:`init_params` makes them, ``X`` (m, n_in), or (..., m, n_in)
    in "batch" mode (many test batches at once). Several runs stacked: every parameter and
    running statistic with a leading run axis (R, ...), ``X`` (R, m, n_in) or (m, n_in) shared.

    ``running``: dict of running statistics (needed by "eval", "renorm" and "running").
    ``renorm``: (r_max, d_max) for "renorm". ``noise``: {l: (scale, shift)} arrays (n_l,) or
    (R, n_l) applied after BN as z̃·scale + shift ("noisy BN"). No validation here: this is
    the hot path (``mode`` alone is checked); :func:`predict_proba` and the trainer validate
    their inputs.
    """
    mode = modes.parse(Mode, mode, "mode")
    own_stats = mode is Mode.TRAIN or mode is Mode.BATCH  # this batch's own μ_B, σ²_B
    a = X
    act = net.activation
    layers = []
    for l in range(1, net.n_layers + 1):
        z = np.matmul(a, _t(params[f"W{l}"]))
        cache_bn = None
        nscale = None
        if net.bn[l - 1]:
            g, b = params[f"gamma{l}"], params[f"beta{l}"]
            if own_stats:
                zt, cache_bn = batchnorm._forward(z, g, b, net.eps)
            elif mode is Mode.EVAL:
                mean, var = _units(running[f"mean{l}"]), _units(running[f"var{l}"])
                zt = _units(g) * (z - mean) / np.sqrt(var + net.eps) + _units(b)
            elif mode is Mode.RENORM:
                rs = (running[f"mean{l}"], running[f"var{l}"])
                zt, cache_bn = batchnorm._forward(z, g, b, net.eps, rs, *renorm)
            else:  # running
                rs = (running[f"mean{l}"], running[f"var{l}"])
                zt, cache_bn = batchnorm._forward_frozen(z, g, b, net.eps, rs)
            if noise is not None and l in noise:
                nscale, nshift = _units(noise[l][0]), _units(noise[l][1])
                zt = zt * nscale + nshift
        else:
            zt = z + _units(params[f"b{l}"])
        a_prev, a = a, activation(act, zt)
        layers.append(LayerCache(a_prev, z, cache_bn, nscale, zt, a))
    logits = np.matmul(a, _t(params["W_out"])) + _units(params["b_out"])
    return logits, NetCache(layers, a)


def backward(dlogits, cache: NetCache, params, net: NetConfig, out=None
             ) -> dict[str, np.ndarray]:
    """Gradients of the loss for every parameter, same keys (and run axis) as ``params``.

    ``dlogits`` (m, n_out), or (R, m, n_out) for stacked runs, is dLoss/dlogits. Through BN
    layers the gradient flows through the batch statistics μ_B and σ²_B (train mode; Batch
    Renorm treats r, d as constants). ``out``: arrays shaped like ``params`` to write the
    gradients into (the trainer passes views of one flat vector); they are returned.
    """
    buffers = out if out is not None else {}  # where each gradient is written (or nowhere)
    grads = out if out is not None else {}
    grads["W_out"] = np.matmul(_t(dlogits), cache.a_last, out=buffers.get("W_out"))
    grads["b_out"] = np.add.reduce(dlogits, axis=-2, out=buffers.get("b_out"))
    da = np.matmul(dlogits, params["W_out"])
    act = net.activation
    for l in range(net.n_layers, 0, -1):
        lc = cache.layers[l - 1]
        dz_tilde = da * _act_grad(act, lc.a)
        if net.bn[l - 1]:
            if lc.noise_scale is not None:
                dz_tilde = dz_tilde * lc.noise_scale
            into = (buffers.get(f"gamma{l}"), buffers.get(f"beta{l}"))
            dz, grads[f"gamma{l}"], grads[f"beta{l}"] = batchnorm._backward(dz_tilde, lc.bn, into)
        else:
            dz = dz_tilde
            grads[f"b{l}"] = np.add.reduce(dz, axis=-2, out=buffers.get(f"b{l}"))
        grads[f"W{l}"] = np.matmul(_t(dz), lc.a_prev, out=buffers.get(f"W{l}"))
        if l > 1:
            da = np.matmul(dz, params[f"W{l}"])
    return grads


def softmax_xent(logits, y):
    """Mean cross-entropy of softmax(logits) against int labels y; returns (loss, dlogits).

    ``logits`` (m, K), ``y`` (m,). dlogits = (softmax − one_hot(y))/m.
    """
    loss, dlogits, _ = xent(logits, y)
    return float(loss), dlogits


@functools.lru_cache(maxsize=16)
def _row_starts(n: int, K: int) -> np.ndarray:
    """Where each of n rows of K logits starts in the flattened array (read-only)."""
    starts = np.arange(n) * K
    starts.flags.writeable = False
    return starts


def xent(logits, y):
    """Cross-entropy for one batch or for stacked runs' batches, with its gradient.

    ``logits`` (..., m, K), ``y`` (..., m) int. Returns the mean loss per batch (...,), dlogits
    = (softmax − one_hot(y))/m (..., m, K) and the number of examples per batch whose label
    has the largest logit (...,).
    """
    m, K = logits.shape[-2:]
    shifted = logits - np.maximum.reduce(logits, axis=-1, keepdims=True)
    e = np.exp(shifted)
    s = np.add.reduce(e, axis=-1)
    at = _row_starts(y.size, K) + y.reshape(-1)  # each example's label in the flat array
    picked = shifted.reshape(-1)[at].reshape(y.shape)  # 0 where the label's logit is largest
    loss = np.add.reduce(np.log(s) - picked, axis=-1) * (1.0 / m)
    dlogits = e / s[..., None]
    dlogits.reshape(-1)[at] -= 1.0
    dlogits *= 1.0 / m
    return loss, dlogits, np.add.reduce(picked == 0.0, axis=-1, dtype=np.intp)


def softmax(logits):
    """Class probabilities along the last axis."""
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _check_X(X, net: NetConfig, min_rows: int = 1) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim < 2 or X.shape[-1] != net.n_in or X.shape[-2] < min_rows:
        raise ValueError(
            f"X must have shape (..., m, {net.n_in}) with m ≥ {min_rows}; got {X.shape}."
        )
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or inf; only finite values are allowed.")
    return X


def predict_proba(params, X, net: NetConfig, mode: Mode | str = Mode.EVAL, running=None,
                  renorm=None):
    """Class probabilities (..., m, n_out) in ``mode`` "eval" or "batch" (see module doc).

    In "batch" mode each slice X[..., :, :] is one test batch whose own μ and σ² normalise it:
    a batch of k = 1 gives z_norm = 0, so every example gets the same output.
    """
    mode = modes.parse(Mode, mode, "mode")
    if mode not in (Mode.EVAL, Mode.BATCH):
        raise ValueError(f"mode must be 'eval' or 'batch' for prediction; got {mode.value!r}.")
    X = _check_X(X, net)
    if mode is Mode.EVAL and running is None and any(net.bn):
        raise ValueError("eval mode needs the running statistics (running=...).")
    logits, _ = forward(params, X, net, mode, running, renorm)
    return softmax(logits)


def population_stats(params, X, net: NetConfig):
    """"Precise" statistics of every hidden layer's pre-BN z over a whole data set ``X``.

    The network runs in "batch" mode on all of X with frozen weights, so layer l's z is
    normalised below it by the population statistics of the lower layers too.
    Returns {l: (mean, var_biased, var_unbiased)}, arrays (n_l,), for every hidden layer.
    """
    return _population_stats(params, _check_X(X, net, min_rows=2), net)


def _population_stats(params, X, net: NetConfig):
    """:func:`population_stats` without input checks. BN layers reuse the statistics their
    batch-mode forward already computed."""
    _, cache = forward(params, X, net, Mode.BATCH)
    n = X.shape[0]
    out = {}
    for l, lc in enumerate(cache.layers, start=1):
        stats = lc.bn if lc.bn is not None else batchnorm.batch_stats(lc.z, axis=0)
        out[l] = (stats.mu, stats.sigma2, batchnorm.unbiased_variance(stats.sigma2, n))
    return out


def recalibrate(params, X, net: NetConfig, unbiased: bool = False) -> dict[str, np.ndarray]:
    """AdaBN-style test-time recalibration: new running statistics estimated on ``X`` (e.g.
    the shifted test inputs); no weight changes. Returns a new running-statistics dict."""
    stats = population_stats(params, X, net)
    r = {}
    for l, (mean, var_b, var_u) in stats.items():
        if net.bn[l - 1]:
            r[f"mean{l}"], r[f"var{l}"] = mean, (var_u if unbiased else var_b)
    return r
