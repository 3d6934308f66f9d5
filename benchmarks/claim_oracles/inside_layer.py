"""Oracles of the claims of the lesson inside_layer (see the package docstring).

Each recomputes its claim from the verdict's ``raw`` arrays with the NumPy below (BN of one
unit, the activations, the nearly linear middle found by bisection, the moving average of the
loss, the 15-NN reference) — never with ``bnsim``'s functions — and checks the outcome, the
preconditions, the thresholded words and the numbers the sentence quotes.
"""

from __future__ import annotations

import re

import numpy as np

from benchmarks.claim_oracles import expect, knn_accuracy, quoted, trains_bar
from bnsim import verdict
from bnsim.verdict import Outcome

NUMBER = r"(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)"


# ---------------------------------------------------------------- own arithmetic
def g(name: str, x):
    x = np.asarray(x, float)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-x))
    if name == "tanh":
        return np.tanh(x)
    if name == "relu":
        return np.where(x > 0, x, 0.0)
    raise ValueError(name)


def normalise(z, eps):
    """(z_norm, μ, σ²) of one unit's values (columns: units), batch statistics, 1/m."""
    z = np.asarray(z, float)
    mu = z.sum(axis=0) / z.shape[0]
    var = ((z - mu) ** 2).sum(axis=0) / z.shape[0]
    return (z - mu) / np.sqrt(var + eps), mu, var


def half_width(name: str) -> float:
    """Where g's slope falls to half its largest (bisection on the slope, not a formula)."""
    def slope(x):
        h = 1e-6
        return (g(name, x + h) - g(name, x - h)) / (2 * h)
    top = slope(0.0) / 2
    lo, hi = 0.0, 10.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if slope(mid) >= top else (lo, mid)
    return lo


def near(a: float, b: float, rel: float = 0.006, abs_: float = 1e-12) -> bool:
    """``a`` (a number read from the screen, 3 significant digits) is ``b`` up to rounding."""
    return bool(np.isfinite(a) and np.isfinite(b) and abs(a - b) <= rel * abs(b) + abs_)


def after(text: str, label: str) -> float:
    """The number right after ``label`` in ``text`` (NaN when absent)."""
    m = re.search(re.escape(label) + r"\s*" + NUMBER, text)
    return float(m.group(1)) if m else float("nan")


def rounded_as_shown(shown: str, value: float, slack: float = 0.0) -> bool:
    """Whether ``value`` rounds to the digits ``shown`` ("2.34", "6.50e-06", "169"), allowing
    for arithmetic done in another order (1e-9 relative)."""
    mantissa, _, exp = shown.partition("e")
    decimals = len(mantissa.partition(".")[2])
    unit = 10.0 ** (-decimals + (int(exp) if exp else 0))
    return bool(np.isfinite(value) and abs(float(shown) - value)
                <= 0.5 * unit * (1 + 1e-6) + 1e-9 * abs(value) + 1e-15 + slack)


def said_number(text: str, label: str, value: float, what: str, slack: float = 0.0
                ) -> list[str]:
    """The number after ``label`` is ``value`` as rounded on screen (``slack``: arithmetic
    noise allowed, e.g. a mean that is 0 up to rounding)."""
    m = re.search(re.escape(label) + r"\s*" + NUMBER, text)
    if not m:
        return [f"{what}: no number after {label!r}"]
    return expect(rounded_as_shown(m.group(1), value, slack),
                  f"{what}: the screen says {m.group(1)}, recomputed {value:.6g}")


def outcome_is(v, want: Outcome) -> list[str]:
    return expect(v.outcome is want, f"outcome {v.outcome}, recomputed {want}")


def moving_average(x, w: int) -> np.ndarray:
    """Trailing mean of the last min(w, t + 1) values; NaN where the window holds a NaN."""
    x = np.asarray(x, float)
    out = np.full(len(x), np.nan)
    for t in range(len(x)):
        win = x[max(0, t - w + 1): t + 1]
        if not np.isnan(win).any():
            out[t] = win.mean()
    return out


def steps_to(loss, w: int, target: float) -> float:
    loss = np.atleast_2d(np.asarray(loss, float))
    with np.errstate(all="ignore"):
        finite = np.isfinite(loss)
        count = finite.sum(axis=0)
        mean = np.where(count > 0, np.where(finite, loss, 0).sum(axis=0) / np.maximum(count, 1),
                        np.nan)
    s = moving_average(mean, w)
    hit = np.flatnonzero(np.isfinite(s) & (s <= target))
    return float(hit[0] + 1) if len(hit) else float("nan")


def reference(raw) -> float:
    """The 15-NN accuracy, recomputed from the data (the raw reference is checked too)."""
    X, y, Xt, yt = raw["data"]
    return knn_accuracy(X, y, Xt, yt)


# ---------------------------------------------------------------- one mini-batch
def bias_cancelled(v) -> list[str]:
    r = v.raw
    z, b = np.asarray(r["z"], float), float(r["b"])

    def after_bn(shift):
        zn, _, _ = normalise((z + shift)[:, None], r["eps"])
        zt = r["gamma"] * zn + r["beta"]
        return zn, zt, g(r["activation"], zt)

    diff = max(float(np.max(np.abs(p - q))) for p, q in zip(after_bn(b), after_bn(0.0),
                                                            strict=True))
    if b == 0 or not np.isfinite(diff):
        return outcome_is(v, Outcome.NOT_APPLICABLE)
    want = Outcome.HOLDS if diff <= 1e-9 else Outcome.REVERSED
    out = outcome_is(v, want)
    out += said_number(v.text, "b^[l] =", b, "b")
    if want is Outcome.HOLDS:
        out += said_number(v.text, "moved every z by", abs(b), "how far z moved")
        got = after(v.text, "changed by at most")
        out += expect(got <= 1e-9, f"largest change: the screen says {got:g} (rounding?), "
                                   f"recomputed {diff:.3g}")
    return out


def normalised(v) -> list[str]:
    r = v.raw
    z = np.asarray(r["z"], float)
    zn, mu, var = normalise(z[:, None], r["eps"])
    zn, mu, var = zn[:, 0], float(mu[0]), float(var[0])
    shrink = var / (var + r["eps"])
    if not (np.isfinite(shrink) and shrink >= 0.99):
        out = outcome_is(v, Outcome.NOT_APPLICABLE)
        if np.isfinite(shrink):
            zt = r["gamma"] * zn + r["beta"]
            out += expect("not 1" in v.text, "a variance below 1 is not said to be below 1")
            out += said_number(v.text, "μ_B =", mu, "μ_B")
            out += said_number(v.text, "σ²_B =", var, "σ²_B")
            out += said_number(v.text, "ε =", r["eps"], "ε")
            out += said_number(v.text, "and variance", float(np.var(zn)), "z_norm's variance")
            out += said_number(v.text, "γ =", r["gamma"], "γ")
            out += said_number(v.text, "and β =", r["beta"], "β")
            out += said_number(v.text, "give z̃ mean", float(np.mean(zt)), "z̃'s mean",
                               1e-9 * max(1.0, abs(r["gamma"]), abs(r["beta"])))
            out += said_number(v.text, "standard deviation", float(np.std(zt)), "z̃'s std")
        return out
    out = outcome_is(v, Outcome.HOLDS)
    zt = r["gamma"] * zn + r["beta"]
    out += said_number(v.text, "μ_B =", mu, "μ_B")
    out += said_number(v.text, "σ²_B =", var, "σ²_B")
    out += said_number(v.text, "with mean", float(np.mean(zn)), "z_norm's mean", 1e-9)
    out += said_number(v.text, "and variance", float(np.var(zn)), "z_norm's variance")
    out += expect(abs(np.mean(zn)) <= 1e-9 and abs(np.var(zn) - 1) <= 0.01,
                  "z_norm is not mean 0, variance 1 (within 1 %)")
    out += said_number(v.text, "γ =", r["gamma"], "γ")
    out += said_number(v.text, "and β =", r["beta"], "β")
    out += said_number(v.text, "give z̃ mean", float(np.mean(zt)), "z̃'s mean",
                               1e-9 * max(1.0, abs(r["gamma"]), abs(r["beta"])))
    out += said_number(v.text, "standard deviation", float(np.std(zt)), "z̃'s std")
    out += expect(f" the {len(z)} values" in v.text, "the number of values is not m")
    return out


# ---------------------------------------------------------------- γ and β
def undo(v) -> list[str]:
    r = v.raw
    z = np.asarray(r["z"], float)
    zn, mu, var = normalise(z[:, None], r["eps"])
    gamma, beta = float(np.sqrt(var[0] + r["eps"])), float(mu[0])
    diff = float(np.max(np.abs(gamma * zn[:, 0] + beta - z)))
    if not np.isfinite(diff):
        return outcome_is(v, Outcome.NOT_APPLICABLE)
    size = max(1.0, float(np.max(np.abs(z))))
    want = Outcome.HOLDS if diff <= 1e-9 * size else Outcome.REVERSED
    out = outcome_is(v, want)
    out += said_number(v.text, "γ = √(σ²_B + ε) =", gamma, "γ")
    out += said_number(v.text, "β = μ_B =", beta, "β")
    if want is Outcome.HOLDS:
        got = after(v.text, "z̃ equals z to")
        out += expect(got <= 1e-9 * size, f"'equals z to {got:g}' is not rounding")
    return out


def any_mean_std(v) -> list[str]:
    r = v.raw
    zn = normalise(np.asarray(r["z"], float)[:, None], r["eps"])[0][:, 0]
    zt = r["gamma"] * zn + r["beta"]
    mean, std = float(np.mean(zt)), float(np.std(zt))
    if not (np.isfinite(mean) and np.isfinite(std)) or np.var(zn) < 0.99:
        out = outcome_is(v, Outcome.NOT_APPLICABLE)
        if np.isfinite(std):
            var = float(np.var(np.asarray(r["z"], float)))
            out += said_number(v.text, "(σ²_B =", var, "σ²_B")
            out += said_number(v.text, "against ε =", r["eps"], "ε")
            out += said_number(v.text, "standard deviation", float(np.std(zn)), "z_norm's std")
            out += said_number(v.text, "z̃ has mean", mean, "z̃'s mean",
                               1e-9 * max(1.0, abs(r["gamma"]), abs(r["beta"])))
            out += said_number(v.text, "and standard deviation", std, "z̃'s std")
            out += said_number(v.text, "(|γ| times", float(np.std(zn)), "z_norm's std")
            out += expect("|γ| =" not in v.text, "says std ≈ |γ| while z_norm's std < 1")
        return out
    out = outcome_is(v, Outcome.HOLDS)
    out += said_number(v.text, "now has mean", mean, "z̃'s mean",
                       1e-9 * max(1.0, abs(r["gamma"]), abs(r["beta"])))
    out += said_number(v.text, "and standard deviation", std, "z̃'s std")
    out += expect(abs(mean - r["beta"]) <= 1e-9 * max(1.0, abs(r["beta"])), "mean ≠ β")
    out += said_number(v.text, "(≈ |γ| =", abs(r["gamma"]), "|γ|")
    out += expect(abs(std - abs(r["gamma"])) <= 0.01 * abs(r["gamma"]) + 1e-12,
                  f"std {std:.4g} is not |γ| = {abs(r['gamma']):.4g} within 1 %")
    return out


def middle(v) -> list[str]:
    r = v.raw
    act = r["activation"]
    if act == "relu":
        return outcome_is(v, Outcome.NOT_APPLICABLE)
    zn = normalise(np.asarray(r["z"], float), r["eps"])[0]
    zt = np.asarray(r["gamma"]) * zn + np.asarray(r["beta"])
    h = half_width(act)
    identity = float(np.mean(np.abs(zn) <= h))
    learned = float(np.mean(np.abs(zt) <= h))
    out = expect(abs(h - r["half_width"]) < 1e-6, f"the middle |z̃| ≤ {r['half_width']:.4g} "
                                                    f"is not where the slope halves ({h:.4g})")
    if not (np.isfinite(zn).all() and np.isfinite(zt).all()):
        return out + outcome_is(v, Outcome.NOT_APPLICABLE)
    if np.all(np.asarray(r["gamma"]) == 1) and np.all(np.asarray(r["beta"]) == 0):
        return out + outcome_is(v, Outcome.NOT_APPLICABLE)
    var = normalise(np.asarray(r["z"], float), r["eps"])[2]
    varying = float(np.mean(var >= 99 * r["eps"]))  # σ²/(σ² + ε) ≥ 0.99 ⇔ σ² ≥ 99 ε
    if varying < 0.5:
        out += expect(quoted(v.text, varying), f"share of varying units {varying:.3f} not quoted")
        return out + outcome_is(v, Outcome.NOT_APPLICABLE)
    out += expect(f"'s {zn.size} inputs" in v.text, f"the {zn.size} values are not counted")
    d = identity - learned
    want = Outcome.HOLDS if d > 0.05 else Outcome.REVERSED if d < -0.05 else Outcome.NO_EFFECT
    out += outcome_is(v, want)
    out += expect(quoted(v.text, identity), f"share at γ = 1, β = 0 ({identity:.3f}) not quoted")
    out += expect(quoted(v.text, learned), f"share at the learned γ, β ({learned:.3f}) not quoted")
    words = {Outcome.HOLDS: "moved them out", Outcome.REVERSED: "pulled them further in",
             Outcome.NO_EFFECT: "changed little"}[want]
    return out + expect(words in v.text, f"the words for {want} ('{words}') are missing")


# ---------------------------------------------------------------- with vs without BN
def _learnable_and_bar(v) -> tuple[list[str], float, bool]:
    ref = reference(v.raw)
    out = expect(abs(ref - v.raw["reference"]) < 1e-12,
                 f"15-NN reference {v.raw['reference']:.4f}, recomputed {ref:.4f}")
    return out, trains_bar(ref), ref >= verdict.LEARNABLE.threshold


def bn_at_lr(v) -> list[str]:
    r = v.raw
    out, bar, learnable = _learnable_and_bar(v)
    chance = r["chance"]
    a1 = np.where(np.isnan(r["acc_bn"]), chance, r["acc_bn"])
    a0 = np.where(np.isnan(r["acc_no_bn"]), chance, r["acc_no_bn"])
    m1, m0 = float(a1.mean()), float(a0.mean())
    out += expect(bool(re.search(rf"(with BN {m1 * 100:.1f} %|{m1 * 100:.1f} % with BN)", v.text))
                  and bool(re.search(rf"(without BN {m0 * 100:.1f} %|{m0 * 100:.1f} % "
                                     "without)", v.text)), "the mean accuracies are not quoted")
    out += expect(v.text.startswith(f"At α = {r['lr']:g}"), "α is not the α shown")
    k = len(r["acc_bn"])
    out += expect((f"mean of {k} runs" in v.text) == (k > 1), f"'mean of {k} runs' is wrong")
    out += expect("(mean over the runs) reaches 0.25" in v.text or "reaches" not in v.text
                  or r["target"] == 0.25, "the target loss")
    if not learnable or max(m1, m0) < bar:
        return out + outcome_is(v, Outcome.NOT_APPLICABLE)
    d = m1 - m0
    want = Outcome.HOLDS if d > 0.02 else Outcome.REVERSED if d < -0.02 else Outcome.NO_EFFECT
    out += outcome_is(v, want)
    word = {Outcome.HOLDS: "BN helps", Outcome.REVERSED: "BN hurts",
            Outcome.NO_EFFECT: "about as well"}[want]
    out += expect(word in v.text, f"'{word}' missing")
    n = len(a1)
    if want is not Outcome.NO_EFFECT:
        k = int(np.sum((a1 - a0 > 0.02) if want is Outcome.HOLDS else (a0 - a1 > 0.02)))
        said = "at this seed" if n == 1 else f"in {k} of {n} run"
        out += expect(said in v.text, f"'{said}' missing")
    said = {}
    if m := re.search(r"after (\d+) steps with BN and (\d+) without", v.text):
        said = {"bn": m.group(1), "no": m.group(2)}
    else:
        if m := re.search(r"after (\d+) steps with BN", v.text):
            said["bn"] = m.group(1)
        if m := re.search(r"after (\d+) steps without BN", v.text):
            said["no"] = m.group(1)
    steps = {}
    for key, acc, loss in (("bn", m1, r["loss_bn"]), ("no", m0, r["loss_no_bn"])):
        steps[key] = steps_to(loss, r["smooth"], r["target"])
        if key in said:
            out += expect(acc >= bar, f"steps quoted ({key}) for a network that does not train")
            out += expect(float(said[key]) == steps[key],
                          f"steps ({key}): the screen says {said[key]}, recomputed {steps[key]}")
    if m := re.search(r"without \(" + NUMBER + r"×\)", v.text):
        out += expect(rounded_as_shown(m.group(1), steps["no"] / steps["bn"]), "the × ratio")
    return out


def largest_lr(v) -> list[str]:
    r = v.raw
    out, bar, learnable = _learnable_and_bar(v)
    lrs = np.asarray(r["lrs"], float)
    big = {}
    for key in ("acc_bn", "acc_no_bn"):
        acc = np.asarray(r[key], float)
        acc = np.where(np.isnan(acc), r["chance"], acc)
        ok = (acc >= bar).all(axis=1)
        big[key] = float(lrs[ok].max()) if ok.any() else float("nan")
    n = np.asarray(r["acc_bn"]).shape[1]
    if not learnable or not (np.isfinite(big["acc_bn"]) or np.isfinite(big["acc_no_bn"])):
        return out + outcome_is(v, Outcome.NOT_APPLICABLE)
    a, b = np.nan_to_num(big["acc_bn"]), np.nan_to_num(big["acc_no_bn"])
    want = Outcome.HOLDS if a > b else Outcome.REVERSED if a < b else Outcome.NO_EFFECT
    out += outcome_is(v, want)
    for key, name in (("acc_bn", "with BN"), ("acc_no_bn", "without")):
        x = big[key]
        said = f"α = {x:g} {name}" if np.isfinite(x) else f"no α of the sweep {name}"
        out += expect(said in v.text, f"'{said}' missing")
    who = "at this seed" if n == 1 else f"in all {n} runs"
    out += expect(who in v.text, f"'{who}' missing")
    st = r["setting"]
    out += expect(f"(noise {st['noise']:g}, {st['n_train']} training examples), "
                  f"{st['depth']} hidden layer(s) of {st['units']} " in v.text,
                  "the network described is not the sweep's")
    out += expect(f"m = {st['batch_size']}, {st['steps']} steps." in v.text,
                  "the training described is not the sweep's")
    top = float(lrs.max())
    out += expect((f"({top:g} is the largest α tried" in v.text) == (max(a, b) == top),
                  "'the largest α tried' is said wrongly")
    return out + expect(quoted(v.text, bar), "the *trains* level is not quoted")


ORACLES: dict = {
    "inside_layer.one_mini_batch.bias_cancelled": bias_cancelled,
    "inside_layer.one_mini_batch.normalised": normalised,
    "inside_layer.gamma_and_beta.undo": undo,
    "inside_layer.gamma_and_beta.any_mean_std": any_mean_std,
    "inside_layer.gamma_and_beta.middle": middle,
    "inside_layer.with_vs_without_bn.bn_at_lr": bn_at_lr,
    "inside_layer.with_vs_without_bn.largest_lr": largest_lr,
}

from benchmarks.claim_oracles.larger_steps import ORACLES as _LARGER_STEPS  # noqa: E402

ORACLES |= _LARGER_STEPS

from benchmarks.claim_oracles.gamma_beta_alone import ORACLES as _GAMMA_BETA_ALONE  # noqa: E402

ORACLES |= _GAMMA_BETA_ALONE
