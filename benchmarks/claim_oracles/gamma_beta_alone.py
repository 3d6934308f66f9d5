"""Oracles of the claims of the tab "γ, β alone" (lesson inside_layer; see the package
docstring).

Each recomputes its claim from the verdict's ``raw`` arrays with the NumPy below — the means
and the paired per-seed differences with their standard deviation written out, the parameter
counts from the architecture, the |γ| count, the 15-NN reference by a full sort — never with
``bnsim``'s functions, and checks the outcome, the preconditions, the thresholded words (from
the glossary, :data:`bnsim.verdict.WORDS`) and the numbers the sentence quotes.
"""

from __future__ import annotations

import math
import re

import numpy as np

from benchmarks.claim_oracles import close, expect, knn_accuracy, percents, trains_bar
from bnsim import verdict
from bnsim.verdict import Outcome

OTHERS = {"random": "training as many randomly chosen weights",
          "output": "training the output layer alone", "all": "training everything"}


def _counts(setting: dict) -> dict[str, int]:
    """Parameters each variant trains, from the architecture (2 inputs, 2 classes)."""
    L, n = int(setting["depth"]), int(setting["width"])
    weights = 2 * n + (L - 1) * n * n + 2 * n  # W^[1], W^[2..L], W_out
    gb = 2 * L * n
    return {"all": weights + gb + 2, "gamma_beta": gb, "output": 2 * n + 2, "random": gb}


def quoted(text: str, share: float) -> bool:
    """``share`` is among the percentages of ``text`` (one decimal: up to rounding)."""
    return any(abs(p - share) <= 0.0005 + 1e-9 for p in percents(text))


def quoted_pp(text: str, before: str, points: float) -> bool:
    """A "<before>±x.x pp" of ``text`` says ``points`` (percentage points, up to rounding)."""
    found = re.findall(re.escape(before) + r"([+-]?\d+\.\d) pp", text)
    return any(abs(float(x) - points) <= 0.05 + 1e-9 for x in found)


def _mean(x) -> float:
    x = [float(v) for v in x]
    return sum(x) / len(x)


def _sd(x) -> float:
    """Sample standard deviation (n − 1), 0 for one value."""
    x = [float(v) for v in x]
    if len(x) < 2:
        return 0.0
    m = _mean(x)
    return math.sqrt(sum((v - m) ** 2 for v in x) / (len(x) - 1))


def _common(v) -> tuple[list[str], float, bool]:
    """Problems with the reference; the trains level; whether the data is learnable."""
    raw = v.raw
    ref = knn_accuracy(*raw["data"])
    out = expect(close(ref, raw["reference"]), f"15-NN {ref} ≠ the verdict's {raw['reference']}")
    learnable = ref >= verdict.WORDS["learnable"].threshold
    return out, trains_bar(ref), learnable


def _abstains(v, why: str) -> list[str]:
    return expect(v.outcome is Outcome.NOT_APPLICABLE, f"judges although {why}")


def compare(v) -> list[str]:
    raw = v.raw
    out, bar, learnable = _common(v)
    acc, div = raw["test_acc"], raw["diverged"]
    counts = _counts(raw["setting"])
    out += expect(dict(raw["trained"]) == counts, f"parameter counts {raw['trained']} ≠ {counts}")
    if not learnable:
        return out + _abstains(v, "the data is not learnable")
    if any(np.any(d) for d in div.values()):
        return out + _abstains(v, "a run diverged") + expect("diverged" in v.text,
                                                             "does not say a run diverged")
    means = {k: _mean(a) for k, a in acc.items()}
    if not any(m >= bar for m in means.values()):
        return out + _abstains(v, "nothing trains") + expect(
            "None of these networks trains" in v.text, "does not say nothing trains")
    about = verdict.WORDS["about as well"].threshold
    out += expect(quoted(v.text, means["gamma_beta"]), "γ, β-only mean not quoted")
    out += expect(f"({counts['gamma_beta']} parameters)" in v.text, "γ, β count not quoted")
    for other, what in OTHERS.items():
        d = [a - b for a, b in zip(acc["gamma_beta"], acc[other], strict=True)]
        mean, sd = _mean(d), _sd(d)
        cut = max(about, sd)
        if mean > cut:
            word, outcome = "better than", Outcome.HOLDS
        elif mean < -cut:
            word, outcome = "worse than", Outcome.REVERSED
        else:
            word = "about as well as" if abs(mean) <= about else "neither better nor worse than"
            outcome = Outcome.NO_EFFECT
        head = f"{word} {what} ({counts[other]}"
        out += expect(head in v.text,
                      f"against {other}: expected '{word}' (mean {mean:+.4f}, sd {sd:.4f})")
        if head not in v.text:
            continue
        start = v.text.index(head)
        part = v.text[start:v.text.index(")", start)]  # "… (192: 97.2 %; +1.6 pp, spread …"
        out += expect(quoted(part, means[other]), f"{other}'s mean not quoted")
        out += expect(quoted_pp(part, "; ", 100 * mean), f"the difference to {other} not quoted")
        if len(d) > 1:
            out += expect(quoted_pp(part, "spread over seeds ", 100 * sd),
                          f"the spread against {other} not quoted")
        if other == "random":
            out += expect(v.outcome is outcome, f"outcome {v.outcome} ≠ {outcome}")
            out += expect(("As Frankle" in v.text) == (outcome is Outcome.HOLDS),
                          "the comparison with the paper is said wrongly")
    return out


def switched_off(v) -> list[str]:
    raw = v.raw
    out, bar, learnable = _common(v)
    g = np.asarray(raw["gamma"], float)
    cut = verdict.WORDS["switched off"].threshold
    k, n = int((np.abs(g) < cut).sum()), g.size
    out += expect(f"{k} of {n} hidden units (" in v.text and quoted(v.text, k / n),
                  f"expected {k} of {n} units switched off")
    s = raw["setting"]
    out += expect(g.shape == (int(s["n_seeds"]), int(s["depth"]), int(s["width"])),
                  f"γ of shape {g.shape} is not the setting's")
    if not learnable:
        return out + _abstains(v, "the data is not learnable")
    if np.any(raw["diverged"]["gamma_beta"]):
        return out + _abstains(v, "a γ, β-only run diverged")
    if _mean(raw["test_acc"]["gamma_beta"]) < bar:
        return out + _abstains(v, "γ, β only does not train")
    many = k / n >= verdict.WORDS["many units"].threshold
    out += expect(v.outcome is (Outcome.HOLDS if many else Outcome.NO_EFFECT),
                  f"outcome {v.outcome} for a share of {k / n:.4f}")
    return out + expect(("That is many units" in v.text) == many
                        and ("not many units" in v.text) == (not many), "'many' said wrongly")


ORACLES: dict = {
    "inside_layer.gamma_beta_alone.compare": compare,
    "inside_layer.gamma_beta_alone.switched_off": switched_off,
}
