"""Oracles of the claims of the tab "Larger steps" (lesson inside_layer; see the package
docstring).

The gradient-spread claim is recomputed from the verdict's ``raw`` arrays — the initial
weights, each run's mini-batch — with the NumPy below: a forward pass of its own (BN with the
mini-batch's statistics, the activation, softmax cross-entropy) and the gradient of every
hidden layer's W^[l] by central finite differences of that loss, never with ``bnsim``'s
backward pass. The norms must match those the verdict carries; the medians, spreads, outcome,
words and quoted numbers must follow from them.
"""

from __future__ import annotations

import re

import numpy as np

from benchmarks.claim_oracles import expect
from bnsim import verdict
from bnsim.verdict import Outcome

NUMBER = r"(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)"
H = 1e-6  # finite-difference step
RTOL, ATOL = 1e-3, 1e-7  # |finite differences − the verdict's norm| ≤ RTOL·norm + ATOL


def _g(name: str, x):
    if name == "relu":
        return np.where(x > 0, x, 0.0)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-x))
    if name == "tanh":
        return np.tanh(x)
    raise ValueError(name)


def loss(params: dict, X, y, act: str, eps: float):
    """Mean cross-entropy per run; every array broadcasts over the leading axes (…, m, ·)."""
    a = X
    l = 1
    while f"W{l}" in params:
        z = np.matmul(a, np.swapaxes(params[f"W{l}"], -1, -2))
        if f"gamma{l}" in params:
            mu = z.mean(axis=-2, keepdims=True)
            var = ((z - mu) ** 2).mean(axis=-2, keepdims=True)
            z = params[f"gamma{l}"][..., None, :] * (z - mu) / np.sqrt(var + eps) \
                + params[f"beta{l}"][..., None, :]
        else:
            z = z + params[f"b{l}"][..., None, :]
        a = _g(act, z)
        l += 1
    out = np.matmul(a, np.swapaxes(params["W_out"], -1, -2)) + params["b_out"][..., None, :]
    top = out.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(out - top).sum(axis=-1)) + top[..., 0]
    picked = np.take_along_axis(out, np.broadcast_to(y, out.shape[:-1])[..., None],
                                axis=-1)[..., 0]
    return (lse - picked).mean(axis=-1)


def fd_norms(params: dict, X, y, act: str, eps: float, h: float = H) -> np.ndarray:
    """(k, L) ‖∂L/∂W^[l]‖_F by central differences: every entry of W^[l] moved by ±h, all
    moves of one layer and every run in one broadcast pass."""
    k = X.shape[0]
    depth = sum(1 for key in params if re.fullmatch(r"W\d+", key))
    out = np.zeros((k, depth))
    for l in range(1, depth + 1):
        W = params[f"W{l}"]  # (k, n, n_prev)
        e = W.shape[1] * W.shape[2]
        moves = np.concatenate([np.eye(e), -np.eye(e)]).reshape(2 * e, *W.shape[1:]) * h
        moved = {key: p[:, None] for key, p in params.items()}  # (k, 1, ...)
        moved[f"W{l}"] = W[:, None] + moves[None]  # (k, 2e, n, n_prev)
        f = loss(moved, X[:, None], y[:, None], act, eps)  # (k, 2e)
        grad = (f[:, :e] - f[:, e:]) / (2 * h)
        out[:, l - 1] = np.sqrt((grad ** 2).sum(axis=1))
    return out


def shown_as(shown: str, value: float) -> bool:
    """Whether ``value`` rounds to the digits ``shown`` ("3.29", "9.53e-05", "13475")."""
    mantissa, _, exp = shown.partition("e")
    unit = 10.0 ** (-len(mantissa.partition(".")[2]) + (int(exp) if exp else 0))
    return bool(np.isfinite(value) and abs(float(shown) - value)
                <= 0.5 * unit * (1 + 1e-6) + 1e-9 * abs(value))


def grad_spread(v) -> list[str]:
    r = v.raw
    act, eps = r["activation"], float(r["eps"])
    t = verdict.WORDS["comparable gradients"].threshold
    out = expect(r["threshold"] == t, "the threshold is not the glossary's")
    medians = {}
    for key, name in (("bn", "with BN"), ("no_bn", "without BN")):
        fd = fd_norms(r[f"params_{key}"], r["X"], r["y"], act, eps)
        shown = np.asarray(r[f"norms_{key}"], float)
        bad = np.abs(fd - shown) > RTOL * np.abs(fd) + ATOL
        out += expect(shown.shape == fd.shape and not bad.any(),
                      f"{name}: gradient norms differ from finite differences "
                      f"(max rel. {np.max(np.abs(fd - shown) / np.maximum(fd, 1e-300)):.2e})")
        medians[key] = np.median(shown, axis=0)
    k, depth = np.asarray(r["norms_bn"]).shape
    runs = "at this seed" if k == 1 else f"median of {k} runs"
    out += expect(runs in v.text, f"'{runs}' missing")
    out += expect(f"{depth} hidden layer(s)" in v.text, "the depth is not quoted")
    ok = all(np.all(np.isfinite(m)) and m.min() > 0 for m in medians.values())
    if depth < 2 or not ok:
        return out + expect(v.outcome is Outcome.NOT_APPLICABLE,
                            f"outcome {v.outcome}, but there is nothing to compare")
    spread = {key: float(m.max() / m.min()) for key, m in medians.items()}
    fine = {key: s <= t for key, s in spread.items()}
    if fine["bn"] != fine["no_bn"]:
        want = Outcome.HOLDS if fine["bn"] else Outcome.REVERSED
        phrase = ("With BN the layers have comparable gradients" if fine["bn"] else
                  "without BN has comparable gradients")
    elif fine["bn"]:
        want, phrase = Outcome.NO_EFFECT, "Both have comparable gradients"
    else:
        ratio = spread["no_bn"] / spread["bn"]
        want = (Outcome.HOLDS if ratio > t else Outcome.REVERSED if ratio < 1 / t
                else Outcome.NO_EFFECT)
        phrase = {Outcome.HOLDS: "BN narrows the spread", Outcome.REVERSED: "-fold larger",
                  Outcome.NO_EFFECT: "within"}[want]
        out += expect("Neither has comparable gradients" in v.text, "'Neither' missing")
    out += expect(v.outcome is want, f"outcome {v.outcome}, recomputed {want}")
    out += expect(phrase in v.text, f"'{phrase}' missing")
    out += expect(("He initialisation" in v.text) == (want is Outcome.NO_EFFECT and
                                                      all(fine.values()) and act == "relu"),
                  "the He-initialisation remark is said wrongly")
    said = re.search(rf"without BN runs from {NUMBER} \(layer (\d+)\) to {NUMBER} \(layer "
                     rf"(\d+)\), a spread of {NUMBER}×; with BN from {NUMBER} \(layer (\d+)\) "
                     rf"to {NUMBER} \(layer (\d+)\), {NUMBER}×", v.text)
    if not said:
        return out + ["the norms and spreads are not quoted"]
    for i, key in ((0, "no_bn"), (5, "bn")):
        m = medians[key]
        lo, hi = int(np.argmin(m)), int(np.argmax(m))
        out += expect(int(said.group(i + 2)) == lo + 1 and int(said.group(i + 4)) == hi + 1,
                      f"{key}: the layers of the smallest and largest norm")
        out += expect(shown_as(said.group(i + 1), m[lo]) and shown_as(said.group(i + 3), m[hi]),
                      f"{key}: the smallest and largest median norm")
        out += expect(shown_as(said.group(i + 5), spread[key]), f"{key}: the spread")
    if m := re.search(rf"narrows the spread {NUMBER}-fold", v.text):
        out += expect(shown_as(m.group(1), spread["no_bn"] / spread["bn"]), "the fold")
    if m := re.search(rf"spread is {NUMBER}-fold larger", v.text):
        out += expect(shown_as(m.group(1), spread["bn"] / spread["no_bn"]), "the fold")
    return out


ORACLES: dict = {"inside_layer.larger_steps.grad_spread": grad_spread}
