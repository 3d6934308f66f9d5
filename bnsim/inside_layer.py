"""Lesson "Inside a BN layer": one mini-batch through one BN layer, operation by operation, and
BN's headline effect (faster training, larger learning rates) measured with and without BN.

Pure NumPy/pandas; every result is named. The claims the page makes are functions that return a
:class:`bnsim.verdict.Verdict` from the numbers beside them:

* :func:`stages` — the lecture's order, one array per operation, for unit j of layer l:
  z = W·a (no b) → μ_B → z − μ_B → σ²_B → 1/√(σ²_B + ε) → z_norm → γ·z_norm → z̃ → a = g(z̃).
* :func:`bias_check` — a bias b added before BN moves z but not z_norm or anything after it.
* :func:`undo` — γ = √(σ²_B + ε), β = μ_B gives z̃ = z back.
* :func:`middle_share` / :func:`sigmoid_claim` — how many of g's inputs sit in its nearly
  linear middle at γ = 1, β = 0 and at the learned γ, β.
* :func:`sweep` — learning rate × (with, without BN), seeds stacked in one pass per setting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from bnsim import batchnorm, data, network
from bnsim.network import NetConfig
from bnsim.train import TrainConfig, TrainTrace, minibatches, train_stacked
from bnsim.verdict import Outcome, Verdict, compare, num, pct, runs

# ------------------------------------------------------------------ one mini-batch, staged
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
SHOW_NUMBERS_MAX_M = 8  # the "show numbers" table lists the values up to this batch size
# The nearly linear middle of g: where its slope is at least half its largest slope
# (sigmoid: σ(1 − σ) ≥ 1/8 ⇔ |z̃| ≤ 2·artanh(1/√2); tanh: 1 − tanh² ≥ 1/2 ⇔ |z̃| ≤ artanh(1/√2)).
MIDDLE = {"sigmoid": 2 * float(np.arctanh(np.sqrt(0.5))), "tanh": float(np.arctanh(np.sqrt(0.5)))}


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


def batch_at(trace: TrainTrace, X: np.ndarray, y: np.ndarray, step: int, layer: int) -> Batch:
    """The mini-batch that training step ``step`` used (rounded down to the latest recorded
    snapshot step), pushed through the weights of that step in train mode up to layer l.

    The mini-batch order is replayed from the run's seed (``bnsim.train.minibatches``), so μ_B
    of the result equals the trainer's recorded ``batch_mean[step − 1, l − 1]``."""
    net, cfg = trace.net, trace.cfg
    if not 1 <= layer <= net.n_layers:
        raise ValueError(f"layer must be 1 to {net.n_layers}; got {layer}.")
    if cfg.bn_noise > 0:
        raise ValueError("the mini-batch replay does not cover noisy BN.")
    i = snapshot_index(trace.snapshot_steps, step)
    s = int(trace.snapshot_steps[i])
    params, _ = trace.snapshots[i]
    batches = minibatches(y, cfg.batch_size, cfg.sampling, np.random.default_rng(cfg.seed))
    for _ in range(s):
        idx = next(batches)
    return _batch(params, X, net, s, layer, idx)


def snapshot_index(snapshot_steps: np.ndarray, step: int) -> int:
    """Index of the latest recorded snapshot at or before ``step`` (the first one before it)."""
    return max(int(np.searchsorted(snapshot_steps, step, side="right")) - 1, 0)


def _batch(params: dict, X: np.ndarray, net, step: int, layer: int, idx: np.ndarray) -> Batch:
    _, cache = network.forward(params, X[idx], net, "train")
    lc = cache.layers[layer - 1]
    n = net.hidden[layer - 1]
    has_bn = net.bn[layer - 1]
    gamma = params[f"gamma{layer}"] if has_bn else np.ones(n)
    beta = params[f"beta{layer}"] if has_bn else np.zeros(n)
    return Batch(step, layer, idx, lc.a_prev, params[f"W{layer}"], lc.z, gamma.copy(),
                 beta.copy())


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
    L = len(table.batches[0])
    widths = np.array([b.W.shape[0] for b in table.batches[0]])
    layer = min(max(int(layer), 1), L)
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


def snapshot_batches(trace: TrainTrace, X: np.ndarray, y: np.ndarray) -> Batches:
    """:func:`batch_at` for every snapshot step and layer, replaying the mini-batch order once
    (so a page can switch step, layer or unit without replaying it again)."""
    net, cfg = trace.net, trace.cfg
    if cfg.bn_noise > 0:
        raise ValueError("the mini-batch replay does not cover noisy BN.")
    batches = minibatches(y, cfg.batch_size, cfg.sampling, np.random.default_rng(cfg.seed))
    out, t = [], 0
    for s, (params, _) in zip(trace.snapshot_steps, trace.snapshots, strict=True):
        while t < s:
            idx = next(batches)
            t += 1
        out.append(tuple(_batch(params, X, net, int(s), layer, idx)
                         for layer in range(1, net.n_layers + 1)))
    return Batches(np.asarray(trace.snapshot_steps), tuple(out))


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


def activate(name: str, x) -> np.ndarray:
    """g(x) for an activation of ``bnsim.network`` (ReLU, tanh, sigmoid)."""
    return network.activation(name, np.asarray(x, dtype=float))


def stages(z, gamma: float, beta: float, eps: float, activation: str, b: float = 0.0) -> Stages:
    """BN of one unit's pre-activations ``z`` (m,), one operation at a time, in the lecture's
    order; ``b`` is added to z first (a bias before BN, to show that BN cancels it)."""
    z = np.asarray(z, dtype=float) + float(b)
    if z.ndim != 1 or len(z) < 1:
        raise ValueError("z must be a non-empty vector of one unit's values.")
    mu = float(np.add.reduce(z) / len(z))
    zc = z - mu
    sigma2 = float(np.add.reduce(zc * zc) / len(z))
    inv_std = 1.0 / np.sqrt(sigma2 + eps)
    z_norm = zc * inv_std
    gz = gamma * z_norm
    z_tilde = gz + beta
    return Stages(z, mu, zc, sigma2, float(inv_std), z_norm, gz, z_tilde,
                  activate(activation, z_tilde), float(gamma), float(beta), float(eps),
                  float(b), activation)


def stages_frame(st: Stages) -> pd.DataFrame:
    """Tidy table of the rows: operation, example i (1-based), value."""
    m = len(st.z)
    return pd.DataFrame([{"operation": label, "example": i + 1, "value": st.row(key)[i]}
                         for key, _, label in STAGES for i in range(m)])


def fused_difference(batch: Batch, unit: int, eps: float, activation: str) -> float:
    """Largest |staged − fused| over z_norm, z̃ and a for unit ``unit`` (0-based): the staged
    rows against ``bnsim.batchnorm.forward_train`` on the whole layer (γ, β learned)."""
    z_tilde, cache = batchnorm.forward_train(batch.z, batch.gamma, batch.beta, eps)
    st = stages(batch.z[:, unit], batch.gamma[unit], batch.beta[unit], eps, activation)
    return float(max(abs(st.mu - cache.mu[unit]), abs(st.sigma2 - cache.sigma2[unit]),
                     np.max(np.abs(st.z_norm - cache.z_norm[:, unit])),
                     np.max(np.abs(st.z_tilde - z_tilde[:, unit])),
                     np.max(np.abs(st.a - activate(activation, z_tilde[:, unit])))))


# ------------------------------------------------------------------ the bias is cancelled
class BiasCheck(NamedTuple):
    b: float
    z_moved: float  # how far z moved (= |b|)
    largest_difference: float  # max |Δ| over z_norm, z̃ and a between b = 0 and this b


def bias_check(z, b: float, gamma: float, beta: float, eps: float, activation: str) -> BiasCheck:
    """Add ``b`` before BN: z moves by b, μ_B by b, and z − μ_B (hence all after) stays put."""
    s0 = stages(z, gamma, beta, eps, activation)
    s1 = stages(z, gamma, beta, eps, activation, b=b)
    diff = max(float(np.max(np.abs(getattr(s1, k) - getattr(s0, k))))
               for k in ("z_norm", "z_tilde", "a"))
    return BiasCheck(float(b), float(np.max(np.abs(s1.z - s0.z))), diff)


BIAS_TOLERANCE = 1e-9  # "does not move": far above rounding (~1e-16), far below anything visible


def bias_claim(check: BiasCheck) -> Verdict:
    """'b^[l] is cancelled by the mean subtraction' from the numbers of :func:`bias_check`."""
    ev = {"b": check.b, "z moved": check.z_moved, "largest difference": check.largest_difference}
    if check.b == 0:
        return Verdict(Outcome.NOT_APPLICABLE,
                       "With b^[l] = 0 there is nothing to cancel: move the b^[l] slider.",
                       ev, BIAS_TOLERANCE)
    if check.largest_difference <= BIAS_TOLERANCE:
        return Verdict(Outcome.HOLDS,
                       f"Adding b^[l] = {num(check.b)} moved every z by {num(check.z_moved)}, "
                       f"and z_norm, z̃ and a changed by at most "
                       f"{check.largest_difference:.1e} (rounding): μ_B absorbs b^[l], so β^[l] "
                       "takes its role.", ev, BIAS_TOLERANCE)
    return Verdict(Outcome.REVERSED,
                   f"Adding b^[l] = {num(check.b)} changed z_norm by up to "
                   f"{num(check.largest_difference)}: more than rounding — this should not "
                   "happen.", ev, BIAS_TOLERANCE)


# ------------------------------------------------------------------ γ, β can undo BN
def undo(st: Stages) -> tuple[float, float]:
    """γ = √(σ²_B + ε), β = μ_B: the values for which z̃ = z (BN undone)."""
    return float(np.sqrt(st.sigma2 + st.eps)), st.mu


def undo_difference(st: Stages) -> float:
    """max |z̃ − z| when γ, β undo BN."""
    g, b = undo(st)
    back = stages(st.z, g, b, st.eps, st.activation)
    return float(np.max(np.abs(back.z_tilde - st.z)))


def middle_share(z_tilde, activation: str) -> float:
    """Share of g's inputs inside its nearly linear middle (slope ≥ half the largest slope);
    NaN for ReLU, whose two pieces are both exactly linear."""
    if activation not in MIDDLE:
        return float("nan")
    return float(np.mean(np.abs(np.asarray(z_tilde, dtype=float)) <= MIDDLE[activation]))


class LayerMiddle(NamedTuple):
    """How much of layer l's mini-batch sits in g's nearly linear middle (all units)."""

    identity: float  # share of z_norm (γ = 1, β = 0) inside the middle
    learned: float  # share of the learned z̃ = γ·z_norm + β inside the middle
    n_values: int  # m × n^[l] values counted


def layer_middle(batch: Batch, eps: float, activation: str) -> LayerMiddle:
    """:func:`middle_share` over every unit of the layer at γ = 1, β = 0 and at the learned γ, β."""
    z_tilde, cache = batchnorm.forward_train(batch.z, batch.gamma, batch.beta, eps)
    return LayerMiddle(middle_share(cache.z_norm, activation),
                       middle_share(z_tilde, activation), int(batch.z.size))


MIDDLE_THRESHOLD = 0.05  # 5 percentage points of the layer's values


def sigmoid_claim(mid: LayerMiddle, activation: str, has_bn: bool, layer: int = 1) -> Verdict:
    """'At γ = 1, β = 0 the inputs of g sit in its linear middle; the learned γ, β move them
    out.' HOLDS when the learned γ, β put at least 5 points fewer values inside the middle."""
    ev = {"inside at γ=1, β=0": mid.identity, "inside at learned γ, β": mid.learned}
    if activation not in MIDDLE or not has_bn:
        why = ("ReLU has no curved middle: both of its pieces are straight lines"
               if activation not in MIDDLE else "this layer has no BN")
        return Verdict(Outcome.NOT_APPLICABLE, f"Does not apply here: {why}.", ev,
                       MIDDLE_THRESHOLD)
    head = (f"At γ = 1, β = 0, {pct(mid.identity)} of layer {layer}'s {mid.n_values} inputs "
            f"of g sit in its nearly linear middle; at the learned γ, β {pct(mid.learned)} do")
    outcome = compare(mid.identity - mid.learned, MIDDLE_THRESHOLD)
    tail = {Outcome.HOLDS: ": learning γ, β moved them out, so the layer uses the curve.",
            Outcome.REVERSED: ": the learned γ, β pulled them further in — this network kept "
                              "the layer nearly linear.",
            Outcome.NO_EFFECT: ": the learned γ, β changed little (within "
                               f"{pct(MIDDLE_THRESHOLD, 0)}) — train longer or use a larger α.",
            Outcome.NOT_APPLICABLE: "."}[outcome]
    return Verdict(outcome, head + tail, ev, MIDDLE_THRESHOLD)


def sigmoid_curve(activation: str, lo: float = -6.0, hi: float = 6.0, n: int = 241
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(x, g(x)) for drawing the activation."""
    x = np.linspace(lo, hi, n)
    return x, activate(activation, x)


# ------------------------------------------------------------------ γ, β learned like weights
class ParamPath(NamedTuple):
    """γ^[l]_j and β^[l]_j at the snapshot steps of one run."""

    optimizer: str
    steps: np.ndarray  # (S,)
    gamma: np.ndarray  # (S,)
    beta: np.ndarray  # (S,)
    test_acc: float  # final eval-mode test accuracy


def param_path(trace: TrainTrace, layer: int, unit: int) -> ParamPath:
    """γ, β of layer l (1-based), unit j (0-based) at every snapshot of ``trace``."""
    if not trace.net.bn[layer - 1]:
        raise ValueError(f"layer {layer} has no BN, so no γ, β.")
    g = np.array([p[f"gamma{layer}"][unit] for p, _ in trace.snapshots])
    b = np.array([p[f"beta{layer}"][unit] for p, _ in trace.snapshots])
    return ParamPath(trace.cfg.optimizer, np.asarray(trace.snapshot_steps), g, b,
                     float(trace.test_acc[-1]) if len(trace.test_acc) else float("nan"))


def paths_frame(paths: Sequence[ParamPath]) -> pd.DataFrame:
    """Tidy table: optimizer, step, parameter (gamma/beta), value."""
    return pd.concat([pd.DataFrame({"optimizer": p.optimizer, "step": p.steps,
                                    "parameter": name, "value": getattr(p, name)})
                      for p in paths for name in ("gamma", "beta")], ignore_index=True)


# ------------------------------------------------------------------ with vs without BN
LRS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
TRAINS_ACC = 0.9  # "still trains": mean final test accuracy at least this (moons: linear ≈ 0.87)
TARGET_LOSS = 0.25  # "steps to a target loss": smoothed train-mode loss first ≤ this
SMOOTH = 50  # moving average (steps) of the mini-batch loss
HELP_THRESHOLD = 0.02  # 2 points of test accuracy separate "BN helps/hurts" from "no difference"


class SweepSetting(NamedTuple):
    """One sweep (all scalars: the cache key)."""

    dataset: str = "moons"
    noise: float = 0.15
    n_train: int = 400
    depth: int = 4
    units: int = 16
    activation: str = "sigmoid"
    optimizer: str = "gd"
    batch_size: int = 32
    steps: int = 300  # enough for the effect (BN ahead in 10 of 10 seeds); keeps it short
    n_seeds: int = 3


class SweepRun(NamedTuple):
    """k seeds of one (α, with/without BN) setting."""

    lr: float
    bn: bool
    loss: np.ndarray  # (k, T) train-mode mini-batch loss (NaN after divergence)
    test_acc: np.ndarray  # (k,) final eval-mode test accuracy (NaN if diverged)
    eval_steps: np.ndarray  # (E,) = (the last step,)
    test_acc_curve: np.ndarray  # (k, E)
    diverged: np.ndarray  # (k,) bool


def smoothed(loss: np.ndarray, window: int = SMOOTH) -> np.ndarray:
    """Trailing moving average over the last axis (shorter windows at the start)."""
    loss = np.asarray(loss, dtype=float)
    c = np.cumsum(np.nan_to_num(loss, nan=np.inf), axis=-1)
    n = np.arange(1, loss.shape[-1] + 1)
    lagged = np.concatenate([np.zeros(loss.shape[:-1] + (window,)), c[..., :-window]], axis=-1)
    with np.errstate(invalid="ignore"):
        return (c - lagged[..., :loss.shape[-1]]) / np.minimum(n, window)


def steps_to(loss: np.ndarray, target: float = TARGET_LOSS) -> float:
    """First step (1-based) at which the smoothed mean loss over seeds is ≤ ``target``; NaN
    if never."""
    s = smoothed(np.nanmean(np.atleast_2d(loss), axis=0) if np.isfinite(loss).any()
                 else np.full(np.shape(loss)[-1], np.nan))
    hit = np.flatnonzero(np.isfinite(s) & (s <= target))
    return float(hit[0] + 1) if len(hit) else float("nan")


def sweep_runs(setting: SweepSetting, lrs: Sequence[float], bn: bool, data_seed: int = 0
               ) -> dict[float, SweepRun]:
    """Train ``setting.n_seeds`` seeds of every α in ``lrs`` (with or without BN) in one
    stacked pass — each run its own learning rate — and split the stack by α."""
    X, y, Xt, yt = data.train_test(setting.dataset, setting.n_train, 400, setting.noise,
                                   data_seed)
    net = NetConfig(hidden=(setting.units,) * setting.depth, bn=(bn,) * setting.depth,
                    activation=setting.activation)
    # Evaluated once, after the last step: the sweep shows the final test accuracy only.
    cfg = TrainConfig(steps=setting.steps, batch_size=setting.batch_size,
                      optimizer=setting.optimizer, lr=float(lrs[0]), n_snapshots=2,
                      eval_every=setting.steps)
    n = setting.n_seeds
    st = train_stacked(net, X, y, Xt, yt, cfg, seeds=list(range(n)) * len(lrs), pop_rows=2,
                       lrs=np.repeat(np.asarray(lrs, dtype=float), n))
    div = st.diverged_at > 0
    acc = st.test_acc[:, -1].copy()
    acc[div] = np.nan
    out = {}
    for i, lr in enumerate(lrs):
        rows = slice(i * n, (i + 1) * n)
        out[float(lr)] = SweepRun(float(lr), bool(bn), st.loss[rows], acc[rows],
                                  st.eval_steps, st.test_acc[rows], div[rows])
    return out


def sweep_run(setting: SweepSetting, lr: float, bn: bool, data_seed: int = 0) -> SweepRun:
    """Train ``setting.n_seeds`` seeds of one (α, BN or not) in one stacked pass."""
    return sweep_runs(setting, [lr], bn, data_seed)[float(lr)]


class Sweep(NamedTuple):
    setting: SweepSetting
    lrs: tuple[float, ...]
    runs: dict  # (lr, bn) -> SweepRun

    def acc(self, bn: bool) -> np.ndarray:
        """(len(lrs),) mean final test accuracy over seeds (NaN if any seed diverged)."""
        return np.array([float(np.mean(self.runs[lr, bn].test_acc)) for lr in self.lrs])

    def largest_training_lr(self, bn: bool) -> float:
        """Largest α whose mean final test accuracy reaches :data:`TRAINS_ACC` (NaN: none)."""
        ok = [lr for lr, a in zip(self.lrs, self.acc(bn), strict=True)
              if np.isfinite(a) and a >= TRAINS_ACC]
        return max(ok) if ok else float("nan")

    def steps_to_target(self, bn: bool) -> np.ndarray:
        return np.array([steps_to(self.runs[lr, bn].loss) for lr in self.lrs])


def sweep(setting: SweepSetting, lrs: Sequence[float] = LRS) -> Sweep:
    """Every α of ``lrs`` with and without BN: two stacked passes (all α and seeds in each)."""
    runs = {}
    for bn in (False, True):
        runs.update({(lr, bn): run for lr, run in sweep_runs(setting, lrs, bn).items()})
    return Sweep(setting, tuple(float(lr) for lr in lrs), runs)


def sweep_frame(sw: Sweep) -> pd.DataFrame:
    """Tidy table of what the sweep plots: α, model, seed, final test accuracy, steps to the
    target loss (of the seeds' mean)."""
    rows = []
    for (lr, bn), r in sw.runs.items():
        to = steps_to(r.loss)
        for k, a in enumerate(r.test_acc):
            rows.append({"learning_rate": lr, "model": "bn" if bn else "no_bn", "seed": k,
                         "final_test_acc": a, "diverged": bool(r.diverged[k]),
                         "steps_to_target_loss": to})
    return pd.DataFrame(rows)


class Comparison(NamedTuple):
    """With vs without BN at one α: the numbers the verdict rests on."""

    lr: float
    acc_bn: float  # mean final test accuracy over seeds
    acc_no_bn: float
    better: int  # seeds where BN's accuracy beats no BN's by more than the threshold
    n: int  # seeds
    steps_bn: float  # steps to the target loss (NaN: never)
    steps_no_bn: float


def compare_at(sw: Sweep, lr: float) -> Comparison:
    """The numbers behind :func:`bn_claim` at α = ``lr`` (one of the sweep's)."""
    r0, r1 = sw.runs[lr, False], sw.runs[lr, True]
    a0, a1 = np.nan_to_num(r0.test_acc, nan=0.0), np.nan_to_num(r1.test_acc, nan=0.0)
    return Comparison(float(lr), float(np.mean(a1)), float(np.mean(a0)),
                      int(np.sum(a1 - a0 > HELP_THRESHOLD)), len(a0),
                      steps_to(r1.loss), steps_to(r0.loss))


def bn_claim(c: Comparison) -> Verdict:
    """'BN trains better at this α' — HOLDS / REVERSED (BN hurts) / NO_EFFECT / NOT_APPLICABLE
    (neither network learned anything beyond chance), by mean final test accuracy."""
    ev = {"α": c.lr, "test accuracy with BN": c.acc_bn, "test accuracy without BN": c.acc_no_bn,
          "steps to loss with BN": c.steps_bn, "steps to loss without BN": c.steps_no_bn}
    where = f"At α = {c.lr:g}"
    accs = (f"final test accuracy {pct(c.acc_bn)} with BN and {pct(c.acc_no_bn)} without")
    if max(c.acc_bn, c.acc_no_bn) < 0.6:
        return Verdict(Outcome.NOT_APPLICABLE, f"{where} neither network trains ({accs}).", ev,
                       HELP_THRESHOLD)
    outcome = compare(c.acc_bn - c.acc_no_bn, HELP_THRESHOLD)
    seeds = runs(c.better, c.n)
    text = {Outcome.HOLDS: f"{where} BN helps: {accs} (BN ahead {seeds}).",
            Outcome.REVERSED: f"{where} BN hurts: {accs}.",
            Outcome.NO_EFFECT: f"{where} BN makes no difference to the result: {accs}."}[outcome]
    if np.isfinite(c.steps_bn) and np.isfinite(c.steps_no_bn):
        text += (f" The smoothed loss reaches {TARGET_LOSS:g} after {c.steps_bn:.0f} steps "
                 f"with BN and {c.steps_no_bn:.0f} without ({num(c.steps_no_bn / c.steps_bn)}×).")
    elif np.isfinite(c.steps_bn):
        text += (f" The smoothed loss reaches {TARGET_LOSS:g} after {c.steps_bn:.0f} steps "
                 "with BN and never without.")
    elif np.isfinite(c.steps_no_bn):
        text += (f" The smoothed loss reaches {TARGET_LOSS:g} after {c.steps_no_bn:.0f} "
                 "steps without BN and never with it.")
    return Verdict(outcome, text, ev, HELP_THRESHOLD)
