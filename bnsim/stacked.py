r"""Several training runs of one architecture in one vectorised pass (runs on a leading axis).

A comparison such as "BN vs noisy BN over 3 seeds" trains k small networks that differ only in
their seed and the noisy-BN level. :func:`train_stacked` keeps the k parameter sets stacked,
``W^[l]`` of shape (k, n_l, n_{l−1}), and runs every numpy operation of a training step once on
arrays (k, m, n) instead of k times on (m, n): for these tiny networks the cost of a step is
mostly Python and numpy call overhead, which is then paid once for all k runs.

Each run r follows exactly what :func:`bnsim.train.train` does with
``replace(cfg, seed=seeds[r], bn_noise=bn_noise[r])``: the same initial weights, the same
mini-batch order and noise draws (one random generator per run, consumed in the same order), the
same forward/backward pass, optimiser and running statistics, the same evaluation steps. The
numbers agree to rounding (tests check it). A plain BN run in the stack gets noise scale 1 and
shift 0, which changes nothing: z̃·1 + 0 = z̃.

It records less than :class:`bnsim.train.TrainTrace` — what a comparison plots: per-step
mini-batch loss and accuracy, eval-mode accuracies, final weights and running statistics, and at
the snapshot steps the population mean and standard deviation of every hidden layer's z^[l]
(before BN) and of the output the activation receives, z̃^[l]·scale_t + shift_t (after BN and
that step's noise; z^[l] + b^[l] without BN), over the whole training set. Batch Renorm
(``cfg.norm="renorm"``) is not supported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from bnsim import network, optim, running
from bnsim.network import NetConfig
from bnsim.train import TrainConfig, _batches, _check_data, _snapshot_steps, eval_every


@dataclass
class StackedTrace:
    """What k stacked runs recorded. Shapes: k runs, T steps, E evaluations, S snapshots,
    L hidden layers, U widest layer (NaN padded). After a run diverged (NaN/inf loss at step
    ``diverged_at[r]``) its entries from that step on are NaN."""

    net: NetConfig
    cfg: TrainConfig
    seeds: tuple[int, ...]
    bn_noise: tuple[float, ...]
    loss: np.ndarray  # (k, T) train-mode mini-batch loss
    acc: np.ndarray  # (k, T) train-mode mini-batch accuracy
    eval_steps: np.ndarray  # (E,)
    train_eval_acc: np.ndarray  # (k, E) eval mode, whole training set
    test_acc: np.ndarray  # (k, E) eval mode, test set (NaN without one)
    test_loss: np.ndarray  # (k, E)
    snapshot_steps: np.ndarray  # (S,) weights used by step s, before its update
    pop_mean: np.ndarray  # (k, S, L, U) population mean of z^[l] (before BN), training set
    #                       (or its first ``pop_rows`` examples)
    pop_var: np.ndarray  # (k, S, L, U) biased
    out_mean: np.ndarray  # (k, S, L, U) population mean of the activation's input at step s
    out_std: np.ndarray  # (k, S, L, U)
    params: list  # k final parameter dicts
    running_stats: list  # k final running-statistics dicts
    diverged_at: np.ndarray  # (k,) int, 0 if the run never diverged

    @property
    def k(self) -> int:
        return len(self.seeds)


def _stack_views(flat: np.ndarray, shapes: dict) -> dict[str, np.ndarray]:
    """Views (k, *shape) into the rows of ``flat`` (k, P), one per parameter."""
    views, o = {}, 0
    k = flat.shape[0]
    for name, shape in shapes.items():
        size = int(np.prod(shape))
        views[name] = flat[:, o:o + size].reshape(k, *shape)
        o += size
    return views


def _forward(params, X, net: NetConfig, mode: str, noise=None):
    """Stacked forward pass. ``X`` (k, m, n_in) or (m, n_in) shared by all runs.

    ``mode``: "train"/"batch" (statistics of the given batch, axis −2) or ("eval", running).
    ``noise``: {l: (scale, shift)} arrays (k, n_l). Returns logits (k, m, n_out) and per-layer
    tuples (a_prev, z, z_norm, mu, sigma2, noise scale, zt, a); mu, sigma2 (k, 1, n)."""
    a = X
    act = net.activation
    layers = []
    for l in range(1, net.n_layers + 1):
        z = np.matmul(a, params[f"W{l}"].transpose(0, 2, 1))
        zn = mu = s2 = nscale = None
        if net.bn[l - 1]:
            g, b = params[f"gamma{l}"][:, None, :], params[f"beta{l}"][:, None, :]
            if isinstance(mode, tuple):
                run = mode[1]
                mean, var = run[f"mean{l}"][:, None, :], run[f"var{l}"][:, None, :]
                zt = g * (z - mean) / np.sqrt(var + net.eps) + b
            else:
                inv_m = 1.0 / z.shape[-2]
                mu = np.add.reduce(z, axis=-2, keepdims=True) * inv_m
                zc = z - mu
                s2 = np.add.reduce(zc * zc, axis=-2, keepdims=True) * inv_m
                zn = zc / np.sqrt(s2 + net.eps)
                zt = g * zn + b
            if noise is not None and l in noise:
                nscale, nshift = noise[l]
                nscale = nscale[:, None, :]
                zt = zt * nscale + nshift[:, None, :]
        else:
            zt = z + params[f"b{l}"][:, None, :]
        a_prev, a = a, network._act(act, zt)
        layers.append((a_prev, z, zn, mu, s2, nscale, zt, a))
    logits = np.matmul(a, params["W_out"].transpose(0, 2, 1)) + params["b_out"][:, None, :]
    return logits, layers


def _xent(logits, y):
    """Per-run mean cross-entropy (k,) and dlogits (k, m, K) for labels y (k, m)."""
    k, m, _ = logits.shape
    rows, cols = np.arange(k)[:, None], np.arange(m)[None, :]
    shifted = logits - np.maximum.reduce(logits, axis=-1, keepdims=True)
    e = np.exp(shifted)
    s = np.add.reduce(e, axis=-1)
    loss = np.add.reduce(np.log(s) - shifted[rows, cols, y], axis=-1) * (1.0 / m)
    d = e / s[..., None]
    d[rows, cols, y] -= 1.0
    d *= 1.0 / m
    return loss, d


def _backward(dlogits, layers, params, net: NetConfig) -> dict[str, np.ndarray]:
    """Stacked gradients, same keys as ``params``, each (k, *shape)."""
    g = {}
    a_last = layers[-1][7]
    g["W_out"] = np.matmul(dlogits.transpose(0, 2, 1), a_last)
    g["b_out"] = dlogits.sum(axis=1)
    da = np.matmul(dlogits, params["W_out"])
    act = net.activation
    for l in range(net.n_layers, 0, -1):
        a_prev, _, zn, _, s2, nscale, _, a = layers[l - 1]
        dzt = da * network._act_grad(act, a)
        if net.bn[l - 1]:
            if nscale is not None:
                dzt = dzt * nscale
            m = dzt.shape[-2]
            dgamma = np.add.reduce(dzt * zn, axis=-2)
            dbeta = np.add.reduce(dzt, axis=-2)
            scale = params[f"gamma{l}"][:, None, :] / np.sqrt(s2 + net.eps)
            dz = (scale / m) * (m * dzt - dbeta[:, None, :]
                                - zn * np.add.reduce(dzt * zn, axis=-2, keepdims=True))
            g[f"gamma{l}"], g[f"beta{l}"] = dgamma, dbeta
        else:
            dz = dzt
            g[f"b{l}"] = dz.sum(axis=1)
        g[f"W{l}"] = np.matmul(dz.transpose(0, 2, 1), a_prev)
        if l > 1:
            da = np.matmul(dz, params[f"W{l}"])
    return g


def _check_labels(X, y, net: NetConfig, k: int, what: str):
    """Validated X (n, n_in) and labels as (k, n): shared labels are repeated per run."""
    y = np.asarray(y)
    if y.ndim == 2:
        if y.shape[0] != k:
            raise ValueError(f"{what}: per-run labels need shape ({k}, n); got {y.shape}.")
        checked = [_check_data(X, row, net, what) for row in y]
        return checked[0][0], np.stack([c[1] for c in checked])
    X, y = _check_data(X, y, net, what)
    return X, np.broadcast_to(y, (k, len(y)))


def _as_list(values, k: int, default, what: str) -> list:
    if values is None:
        return [default] * k
    values = list(values)
    if len(values) != k:
        raise ValueError(f"{what} needs one value per run ({k}); got {len(values)}.")
    return values


def train_stacked(net: NetConfig, X, y, X_test=None, y_test=None,
                  cfg: TrainConfig | None = None, seeds: Sequence[int] = (0,),
                  bn_noise: Sequence[float] | None = None, pop_rows: int | None = None,
                  ) -> StackedTrace:
    """Train k = len(seeds) copies of ``net`` on (X, y) in one vectorised pass.

    Run r uses ``cfg`` with ``seed=seeds[r]`` and ``bn_noise=bn_noise[r]`` (default: cfg's
    own bn_noise for every run). ``X`` (n, n_in) is shared by all runs; ``y`` is (n,), or
    (k, n) to give run r its own labels ``y[r]`` for the same inputs (e.g. one labelling rule
    per run). Optional test set likewise: ``X_test`` (n_test, n_in), ``y_test`` (n_test,) or
    (k, n_test). Run r then equals ``train(net, X, y[r], X_test, y_test[r], cfg_r)``.
    ``pop_rows``: take the snapshot population statistics over the first ``pop_rows`` training
    examples only (a fixed random sample, since data sets come shuffled) — cheaper for large
    sets; default all of X, as ``TrainTrace.pop_mean``.
    """
    cfg = cfg or TrainConfig()
    if cfg.norm != "bn":
        raise ValueError("stacked training supports norm='bn' only (no Batch Renorm).")
    seeds = [int(s) for s in seeds]
    k = len(seeds)
    if not 1 <= k <= 64:
        raise ValueError(f"need 1 to 64 stacked runs; got {k}.")
    noise_levels = [float(b) for b in _as_list(bn_noise, k, cfg.bn_noise, "bn_noise")]
    for s, b in zip(seeds, noise_levels, strict=True):
        replace(cfg, seed=s, bn_noise=b)  # TrainConfig validates every run's seed and noise
    if any(b > 0 for b in noise_levels) and not any(net.bn):
        raise ValueError("noisy BN needs at least one BN layer.")
    X, y = _check_labels(X, y, net, k, "training data")
    if X_test is not None:
        X_test, y_test = _check_labels(X_test, y_test, net, k, "test data")
    if cfg.batch_size > len(X):
        raise ValueError(f"batch_size ({cfg.batch_size}) must not exceed the number of "
                         f"training examples ({len(X)}).")

    inits = [network.init_params(net, seed=s) for s in seeds]
    shapes = {name: p.shape for name, p in inits[0].items()}
    flat = np.stack([np.concatenate([p.ravel() for p in ini.values()]) for ini in inits])
    params = _stack_views(flat, shapes)
    keys = list(shapes)
    run0 = network.init_running(net)
    run = {name: np.tile(v, (k, 1)) for name, v in run0.items()}
    opt = optim.make(cfg.optimizer, flat, cfg.lr)
    how = running.rule(cfg.convention, None if cfg.cumulative else (
        cfg.momentum if cfg.momentum is not None else running.DEFAULT))
    rngs = [np.random.default_rng(s) for s in seeds]
    batch_iters = [_batches(y[r], cfg.batch_size, cfg.sampling, g) for r, g in enumerate(rngs)]

    T, L, U, m = cfg.steps, net.n_layers, max(net.hidden), cfg.batch_size
    every = eval_every(cfg)
    snap_steps = _snapshot_steps(T, min(cfg.n_snapshots, T))
    snap_index = {int(s): i for i, s in enumerate(snap_steps)}
    S = len(snap_steps)
    pop = np.full((4, k, S, L, U), np.nan)
    X_eval = X if X_test is None else np.concatenate([X, X_test])
    X_pop = X if pop_rows is None else X[:max(2, int(pop_rows))]
    rows = np.arange(k)[:, None]
    n_train = len(X)
    bn_layers = [l for l in range(1, L + 1) if net.bn[l - 1]]
    noisy = [b > 0 for b in noise_levels]
    any_noise = any(noisy)
    loss_all = np.full((k, T), np.nan)
    acc_all = np.full((k, T), np.nan)
    evals = []
    diverged_at = np.zeros(k, dtype=int)
    alive = np.ones(k, dtype=bool)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(1, T + 1):
            idx = np.stack([next(it) for it in batch_iters])  # (k, m)
            noise = None
            if any_noise:
                noise = {}
                for l in bn_layers:
                    n = net.hidden[l - 1]
                    noise[l] = (np.ones((k, n)), np.zeros((k, n)))
                for r in range(k):  # the same draw order as train(): per step, per layer
                    if noisy[r]:
                        for l in bn_layers:
                            n = net.hidden[l - 1]
                            noise[l][0][r] = 1.0 + noise_levels[r] * rngs[r].standard_normal(n)
                            noise[l][1][r] = noise_levels[r] * rngs[r].standard_normal(n)
            if t in snap_index:
                _population(params, X_pop, net, noise, pop[:, :, snap_index[t]])
            yb = y[rows, idx]
            logits, layers = _forward(params, X[idx], net, "train", noise)
            loss, dlogits = _xent(logits, yb)
            bad = alive & ~np.isfinite(loss)
            if bad.any():
                diverged_at[bad] = t
                alive &= ~bad
                dlogits[~alive] = 0.0
            loss_all[alive, t - 1] = loss[alive]
            hits = np.count_nonzero(logits.argmax(axis=-1) == yb, axis=-1) * (1.0 / m)
            acc_all[alive, t - 1] = hits[alive]
            everyone = alive.all()
            live = alive[:, None]
            for l, lay in enumerate(layers, start=1):
                if net.bn[l - 1]:
                    mu, s2 = lay[3][:, 0, :], lay[4][:, 0, :]
                    rm, rv = run[f"mean{l}"], run[f"var{l}"]
                    new_m, new_v = running.update(rm, rv, mu, s2, m, t, how)
                    if not everyone:  # a diverged run keeps its last statistics
                        new_m, new_v = np.where(live, new_m, rm), np.where(live, new_v, rv)
                    run[f"mean{l}"], run[f"var{l}"] = new_m, new_v
            grads = _backward(dlogits, layers, params, net)
            dflat = np.concatenate([grads[name].reshape(k, -1) for name in keys], axis=1)
            if everyone:
                opt.step(flat, dflat)
            else:  # a diverged run keeps its last weights, as train() returns them
                frozen = flat[~alive].copy()
                opt.step(flat, dflat)
                flat[~alive] = frozen
            if t % every == 0 or t == T:
                evals.append((t, *_evaluate(params, X_eval, y, y_test, n_train, net, run)))
            if not alive.any():
                break

    ev_steps = np.array([e[0] for e in evals], dtype=int)
    ev = np.array([e[1:] for e in evals], dtype=float).reshape(len(evals), 3, k)
    for r in range(k):
        if diverged_at[r]:
            cut = diverged_at[r]
            ev[ev_steps >= cut, :, r] = np.nan
            pop[:, r, snap_steps > cut] = np.nan
    finals = [{name: v[r].copy() for name, v in params.items()} for r in range(k)]
    runs = [{name: v[r].copy() for name, v in run.items()} for r in range(k)]
    return StackedTrace(
        net=net, cfg=cfg, seeds=tuple(seeds), bn_noise=tuple(noise_levels),
        loss=loss_all, acc=acc_all, eval_steps=ev_steps,
        train_eval_acc=ev[:, 0].T.copy(), test_acc=ev[:, 1].T.copy(),
        test_loss=ev[:, 2].T.copy(), snapshot_steps=snap_steps,
        pop_mean=pop[0], pop_var=pop[1], out_mean=pop[2], out_std=pop[3],
        params=finals, running_stats=runs, diverged_at=diverged_at,
    )


def _population(params, X, net: NetConfig, noise, out) -> None:
    """Population statistics over the whole training set ``X`` with frozen weights (batch
    mode), written into ``out`` (4, k, L, U): mean and biased variance of z^[l], mean and
    standard deviation of the activation's input (after BN and this step's noise).

    For a BN layer the latter follow in closed form from the batch normalisation itself:
    z̃ = γ·z_norm + β has mean β and standard deviation |γ|·√(σ²/(σ² + ε)) over the batch,
    and the noise maps them to β·scale + shift and |γ·scale|·√(σ²/(σ² + ε))."""
    _, layers = _forward(params, X, net, "batch", noise)
    for l, lay in enumerate(layers, start=1):
        z, mu, s2, nscale, zt = lay[1], lay[3], lay[4], lay[5], lay[6]
        n = z.shape[-1]
        if net.bn[l - 1]:
            mu, s2 = mu[:, 0, :], s2[:, 0, :]
            g, b = params[f"gamma{l}"], params[f"beta{l}"]
            spread = np.abs(g) * np.sqrt(s2 / (s2 + net.eps))
            if nscale is not None:
                sc, sh = noise[l]
                b, spread = b * sc + sh, spread * np.abs(sc)
            out[0, :, l - 1, :n], out[1, :, l - 1, :n] = mu, s2
            out[2, :, l - 1, :n], out[3, :, l - 1, :n] = b, spread
        else:
            mean = np.add.reduce(z, axis=-2) * (1.0 / z.shape[-2])
            out[0, :, l - 1, :n], out[1, :, l - 1, :n] = mean, z.var(axis=-2)
            out[2, :, l - 1, :n] = mean + params[f"b{l}"]
            out[3, :, l - 1, :n] = zt.std(axis=-2)


def _eval_logits(params, X, net: NetConfig, run):
    """Eval-mode logits (k, n, n_out) with each BN layer folded into its weights:
    z̃ = a·(A∘W)ᵀ + (β − A∘μ̂) with A = γ/√(σ̂² + ε) — two array operations per layer."""
    a = X
    for l in range(1, net.n_layers + 1):
        W = params[f"W{l}"]
        if net.bn[l - 1]:
            A = params[f"gamma{l}"] / np.sqrt(run[f"var{l}"] + net.eps)
            B = params[f"beta{l}"] - A * run[f"mean{l}"]
            zt = np.matmul(a, (A[:, :, None] * W).transpose(0, 2, 1)) + B[:, None, :]
        else:
            zt = np.matmul(a, W.transpose(0, 2, 1)) + params[f"b{l}"][:, None, :]
        a = network._act(net.activation, zt)
    return np.matmul(a, params["W_out"].transpose(0, 2, 1)) + params["b_out"][:, None, :]


def _evaluate(params, X_eval, y, y_test, n_train, net, run):
    """Eval-mode accuracy on the training set and accuracy/loss on the test set, per run:
    three arrays (k,) (NaN where logits are not finite or there is no test set)."""
    logits = _eval_logits(params, X_eval, net, run)
    k = logits.shape[0]
    finite = np.all(np.isfinite(logits), axis=(1, 2))
    hit = logits.argmax(axis=-1)
    train_acc = np.where(finite, np.mean(hit[:, :n_train] == y, axis=1), np.nan)
    if y_test is None:
        return train_acc, np.full(k, np.nan), np.full(k, np.nan)
    test_acc = np.where(finite, np.mean(hit[:, n_train:] == y_test, axis=1), np.nan)
    loss, _ = _xent(logits[:, n_train:], y_test)
    return train_acc, test_acc, np.where(finite, loss, np.nan)
