"""What the tabs "One mini-batch" and "γ and β" share: one unit's values after each operation of
BN (:func:`stages`, in the lecture's order), and the mini-batch of every recorded training step
through every layer (:func:`snapshot_batches`), from which a view picks a step, layer and unit
(:func:`around` also keeps its neighbours, for the browser's redraw).

Pure NumPy/pandas.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim import batchnorm, network
from bnsim.modes import Mode
from bnsim.sampling import minibatches
from bnsim.traces import TrainTrace, snapshot_index

STAGES = (  # (key, formula in lecture notation, short label): one row each, lecture order
    ("z", r"z^{[l](i)} = W^{[l]} a^{[l-1](i)} \quad(\text{no } b^{[l]})", "z"),
    ("mu", r"\mu_B = \frac{1}{m}\sum_{i=1}^{m} z^{(i)}", "μ_B"),
    ("zc", r"z^{(i)} - \mu_B", "z − μ_B"),
    ("sigma2", r"\sigma^2_B = \frac{1}{m}\sum_{i=1}^{m} \left(z^{(i)} - \mu_B\right)^2", "σ²_B"),
    ("inv_std", r"\frac{1}{\sqrt{\sigma^2_B + \varepsilon}}", "1/√(σ²_B + ε)"),
    ("z_norm", r"z^{(i)}_{\text{norm}} = \frac{z^{(i)} - \mu_B}{\sqrt{\sigma^2_B + \varepsilon}}",
     "z_norm"),
    ("gz", r"\gamma\, z^{(i)}_{\text{norm}}", "γ·z_norm"),
    ("z_tilde", r"\tilde z^{(i)} = \gamma\, z^{(i)}_{\text{norm}} + \beta", "z̃"),
    ("a", r"a^{[l](i)} = g^{[l]}\!\left(\tilde z^{(i)}\right)", "a = g(z̃)"),
)
PER_EXAMPLE = ("z", "zc", "z_norm", "gz", "z_tilde", "a")  # rows with m values; others: one


# ------------------------------------------------------------------ one unit, staged
class Stages(NamedTuple):
    """One unit's values after each operation of BN, for one mini-batch (lecture order).

    Per-example arrays are (m,); μ_B, σ²_B and 1/√(σ²_B + ε) are numbers."""

    z: np.ndarray  # (m,) W·a + b (b = 0 in a BN layer; b ≠ 0 only to show it cancels)
    mu: float
    zc: np.ndarray  # (m,) z − μ_B
    sigma2: float  # biased, 1/m
    inv_std: float  # 1/√(σ²_B + ε)
    z_norm: np.ndarray  # (m,)
    gz: np.ndarray  # (m,) γ·z_norm
    z_tilde: np.ndarray  # (m,) γ·z_norm + β
    a: np.ndarray  # (m,) g(z̃)
    gamma: float
    beta: float
    eps: float
    b: float
    activation: str

    def row(self, key: str) -> np.ndarray:
        """The values of row ``key`` (a number repeated for μ_B, σ²_B, 1/√(σ²_B + ε))."""
        v = getattr(self, key)
        return np.asarray(v, dtype=float) if np.ndim(v) else np.full(len(self.z), float(v))


def stages(z, gamma: float, beta: float, eps: float, activation: str, b: float = 0.0) -> Stages:
    """BN of one unit's pre-activations ``z`` (m,), one operation at a time, in the lecture's
    order; ``b`` is added to z first (a bias before BN, to show that BN cancels it). μ_B and
    the biased σ²_B are ``bnsim.batchnorm.batch_stats``; g is ``bnsim.network.activation``."""
    z = np.asarray(z, dtype=float) + float(b)
    if z.ndim != 1 or len(z) < 1:
        raise ValueError("z must be a non-empty vector of one unit's values.")
    stats = batchnorm.batch_stats(z, axis=0)
    mu, sigma2 = float(stats.mu), float(stats.sigma2)
    zc = z - mu
    inv_std = 1.0 / np.sqrt(sigma2 + eps)
    z_norm = zc * inv_std
    gz = gamma * z_norm
    z_tilde = gz + beta
    return Stages(z, mu, zc, sigma2, float(inv_std), z_norm, gz, z_tilde,
                  network.activation(activation, z_tilde), float(gamma), float(beta),
                  float(eps), float(b), activation)


def stages_frame(st: Stages) -> pd.DataFrame:
    """Tidy table of the rows: operation, example i (1-based), value."""
    m = len(st.z)
    return pd.DataFrame([{"operation": label, "example": i + 1, "value": st.row(key)[i]}
                         for key, _, label in STAGES for i in range(m)])


# ------------------------------------------------------------------ the replayed mini-batches
class Batch(NamedTuple):
    """The mini-batch of one recorded training step, at layer l, in the network of that step."""

    step: int  # the training step (a snapshot step: the weights that step used)
    layer: int  # l, 1-based
    idx: np.ndarray  # (m,) indices of the examples in the training set
    a_prev: np.ndarray  # (m, n^[l−1]) the layer's inputs (rows = examples, as the core stores)
    W: np.ndarray  # (n^[l], n^[l−1])
    z: np.ndarray  # (m, n^[l]) pre-activations W·a (no bias)
    gamma: np.ndarray  # (n^[l],) learned γ^[l] at that step (ones without BN)
    beta: np.ndarray  # (n^[l],) learned β^[l] at that step (zeros without BN)


def _order(trace: TrainTrace, y: np.ndarray):
    """The run's mini-batch order, replayed from its seed (``bnsim.sampling.minibatches``)."""
    cfg = trace.cfg
    if cfg.bn_noise > 0:
        raise ValueError("the mini-batch replay does not cover noisy BN.")
    return minibatches(y, cfg.batch_size, cfg.sampling, np.random.default_rng(cfg.seed))


def _batch(params: dict, X: np.ndarray, net, step: int, layer: int, idx: np.ndarray) -> Batch:
    _, cache = network.forward(params, X[idx], net, Mode.TRAIN)
    lc = cache.layers[layer - 1]
    n = net.hidden[layer - 1]
    has_bn = net.bn[layer - 1]
    gamma = params[f"gamma{layer}"] if has_bn else np.ones(n)
    beta = params[f"beta{layer}"] if has_bn else np.zeros(n)
    return Batch(step, layer, idx, lc.a_prev, params[f"W{layer}"], lc.z, gamma.copy(),
                 beta.copy())


def batch_at(trace: TrainTrace, X: np.ndarray, y: np.ndarray, step: int, layer: int) -> Batch:
    """The mini-batch that training step ``step`` used (rounded down to the latest recorded
    snapshot step), pushed through the weights of that step in train mode up to layer l.

    The mini-batch order is replayed from the run's seed, so μ_B of the result equals the
    trainer's recorded ``batch_mean[step − 1, l − 1]``. One batch, replayed on its own: the
    reference :func:`snapshot_batches` is checked against."""
    net = trace.net
    if not 1 <= layer <= net.n_layers:
        raise ValueError(f"layer must be 1 to {net.n_layers}; got {layer}.")
    batches = _order(trace, y)
    i = snapshot_index(trace.snapshot_steps, step)
    s = int(trace.snapshot_steps[i])
    for _ in range(s):
        idx = next(batches)
    return _batch(trace.snapshots[i][0], X, net, s, layer, idx)


class Batches(NamedTuple):
    """The mini-batch of every recorded snapshot step, through every layer: what
    :func:`batch_at` returns for each (snapshot, layer), computed in one replay of the
    mini-batch order. S snapshots, L layers."""

    steps: np.ndarray  # (S,) the snapshot steps
    batches: tuple  # S × L :class:`Batch` (layer l at index l − 1)

    def at(self, step: int, layer: int) -> Batch:
        """The :class:`Batch` of ``step`` (rounded down to a snapshot step) at layer l."""
        if not 1 <= layer <= len(self.batches[0]):
            raise ValueError(f"layer must be 1 to {len(self.batches[0])}; got {layer}.")
        return self.batches[snapshot_index(self.steps, step)][layer - 1]


def snapshot_batches(trace: TrainTrace, X: np.ndarray, y: np.ndarray) -> Batches:
    """:func:`batch_at` for every snapshot step and layer, replaying the mini-batch order once
    (so a page can switch step, layer or unit without replaying it again)."""
    net = trace.net
    batches = _order(trace, y)
    out, t = [], 0
    for s, (params, _) in zip(trace.snapshot_steps, trace.snapshots, strict=True):
        while t < s:
            idx = next(batches)
            t += 1
        out.append(tuple(_batch(params, X, net, int(s), layer, idx)
                         for layer in range(1, net.n_layers + 1)))
    return Batches(np.asarray(trace.snapshot_steps), tuple(out))


class Around(NamedTuple):
    """One unit's pre-activations z in the mini-batch shown and in its neighbours along each view
    slider — every unit of the layer, the same unit in every layer, every snapshot step — so a
    browser can redraw the rows for another layer, unit or step before the server answers.
    S snapshots, L layers, n units in the layer shown, m examples."""

    layer: int  # l shown, 1-based
    unit: int  # j shown, 1-based
    snap: int  # index of the snapshot shown
    steps: np.ndarray  # (S,) snapshot steps
    widths: np.ndarray  # (L,) n^[l] of every layer
    unit_z: np.ndarray  # (n, m) z of every unit of layer l at the step shown
    unit_gamma: np.ndarray  # (n,) their learned γ (ones without BN)
    unit_beta: np.ndarray  # (n,)
    layer_z: np.ndarray  # (L, m) z of unit min(j_slider, n^[l]) of every layer l, same step
    layer_gamma: np.ndarray  # (L,)
    layer_beta: np.ndarray  # (L,)
    step_z: np.ndarray  # (S, m) z of unit j of layer l at every snapshot step
    step_gamma: np.ndarray  # (S,)
    step_beta: np.ndarray  # (S,)
    step_idx: np.ndarray  # (S, m) the examples of every snapshot's mini-batch


def around(table: Batches, step: int, layer: int, unit: int) -> Around:
    """:class:`Around` the view of ``step`` (rounded down to a snapshot), layer l and unit j
    (``layer`` and ``unit`` are clipped to the network as the page clips its sliders)."""
    depth = len(table.batches[0])
    widths = np.array([b.W.shape[0] for b in table.batches[0]])
    layer = min(max(int(layer), 1), depth)
    j = min(max(int(unit), 1), int(widths[layer - 1]))
    snap = snapshot_index(table.steps, step)
    here = table.batches[snap]
    b = here[layer - 1]
    cols = [min(int(unit), int(w)) - 1 for w in widths]  # the unit in each layer, clipped
    per_step = [s[layer - 1] for s in table.batches]
    return Around(
        layer, j, snap, table.steps, widths, b.z.T.copy(), b.gamma, b.beta,
        np.array([h.z[:, c] for h, c in zip(here, cols, strict=True)]),
        np.array([h.gamma[c] for h, c in zip(here, cols, strict=True)]),
        np.array([h.beta[c] for h, c in zip(here, cols, strict=True)]),
        np.array([s.z[:, j - 1] for s in per_step]),
        np.array([s.gamma[j - 1] for s in per_step]),
        np.array([s.beta[j - 1] for s in per_step]), np.array([s.idx for s in per_step]))
