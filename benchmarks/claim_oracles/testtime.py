"""Oracles of the claims of the lesson testtime (see the package docstring).

Each recomputes its claim from the verdict's ``raw`` arrays with plain numpy (never with
``bnsim.lessons.testtime``): the preconditions (k > 1, learnable, something trains, skewed,
finite runs, start values not forgotten), the outcome with its threshold, every thresholded
word the text uses, and the numbers it quotes.
"""

from __future__ import annotations

import math

import numpy as np

import bnsim.lessons.testtime.skewed_batches  # noqa: F401 - defines the lesson's words
from benchmarks.claim_oracles import expect, quoted, trains_bar
from bnsim import verdict
from bnsim.verdict import Outcome

ABOUT = verdict.WORDS["about as well"].threshold  # 2 pp
LEARNABLE = verdict.WORDS["learnable"].threshold
SKEWED = verdict.WORDS["skewed"].threshold  # 20 %
SPREAD = verdict.WORDS["beyond the spread"].threshold  # twice the standard error
HURT = verdict.WORDS["hurt (skewed batches)"].threshold  # 5 pp
NA = Outcome.NOT_APPLICABLE


def _cmp(d: float, thr: float) -> Outcome:
    if not math.isfinite(d):
        return NA
    return Outcome.HOLDS if d > thr else Outcome.REVERSED if d < -thr else Outcome.NO_EFFECT


def _beyond(d: float, se: float, thr: float) -> Outcome:
    o = _cmp(d, thr)
    if o in (Outcome.HOLDS, Outcome.REVERSED) and not abs(d) > se:
        return Outcome.NO_EFFECT
    return o


def _pp(x: float) -> str:
    return f"{abs(100 * x):.1f} pp"


def _trains(accs, reference: float) -> bool:
    """Learnable data and at least one accuracy at the *trains* bar."""
    bar = trains_bar(reference)
    return reference >= LEARNABLE and any(math.isfinite(a) and a >= bar for a in accs)


def _outcome(v, want: Outcome) -> list[str]:
    return expect(v.outcome is want, f"outcome {v.outcome}, recomputed {want}")


def _quotes(text: str, *shares) -> list[str]:
    """Each share quoted as "12.3 %" (a missing number as "n/a")."""
    return [f"{100 * s:.1f} % not quoted" for s in shares
            if not (quoted(text, s) if math.isfinite(s) else "n/a" in text)]


def _about(v, d: float) -> list[str]:
    """"about as well" only when |d| ≤ 2 pp."""
    return expect("about as well" not in v.text or abs(d) <= ABOUT + 1e-12,
                  f"'about as well' at a difference of {100 * d:.1f} pp")


def _acc(p, y) -> float:
    return float(np.mean((np.asarray(p) >= 0.5) == (np.asarray(y) == 1)))


# ---------------------------------------------------------------- Boundaries
def maps(v) -> list[str]:
    r = v.raw
    y = np.asarray(r["y_test"])
    acc_b, acc_e = _acc(r["p_test"], y), float(r["acc_eval"])
    dis = float(np.mean((np.asarray(r["p_eval"]) >= 0.5) != (np.asarray(r["p_batch"]) >= 0.5)))
    out = _quotes(v.text, acc_b, acc_e, dis)
    if r["k"] == 1:
        pb = np.asarray(r["p_batch"])
        c = int(pb.flat[0] >= 0.5)
        out += expect(np.ptp(pb) == 0, "k = 1 but the batch map is not flat")
        out += expect(math.isclose(acc_b, float(np.mean(y == c))),
                      "k = 1 accuracy is not the share of the one class")
        return out + _outcome(v, NA)
    if not _trains((acc_b, acc_e), r["reference"]):
        return out + _outcome(v, NA)
    d = acc_e - acc_b
    want = _cmp(d, ABOUT)
    out += _outcome(v, want) + _about(v, d)
    if want is not Outcome.NO_EFFECT:
        out += expect(_pp(d) in v.text, f"difference {_pp(d)} not quoted")
    return out


# ---------------------------------------------------------------- Test batch size
def collapse(v) -> list[str]:
    r = v.raw
    p, share, eval_acc = float(r["p"]), float(r["share"]), float(r["eval_acc"])
    k1 = np.asarray(r["k1_acc"], dtype=float)
    out = _quotes(v.text, share, eval_acc, float(r["majority"]))
    out += expect(f"(class {int(p >= 0.5)})" in v.text, "the one class is misnamed")
    out += expect(not k1.size or np.allclose(k1, share),
                  "batchings of k = 1 do not all score the share of the one class")
    if not _trains((eval_acc,), r["reference"]):
        return out + _outcome(v, NA)
    d = eval_acc - share
    return out + _outcome(v, _cmp(d, ABOUT)) + _about(v, d)


def at_k(v) -> list[str]:
    r = v.raw
    acc = np.asarray(r["acc"], dtype=float)
    mean, eval_acc = float(acc.mean()), float(r["eval_acc"])
    out = _quotes(v.text, mean, float(np.percentile(acc, 5)), float(np.percentile(acc, 95)),
                  eval_acc)
    out += expect(f"of {len(acc)} batchings" in v.text, "number of batchings misquoted")
    if r["k"] == 1:
        c = int(r["collapse_p"] >= 0.5)
        out += expect(np.ptp(acc) == 0, "k = 1 batchings differ: not one output")
        return out + expect(f"share of class {c}" in v.text, "k = 1 class misnamed") + \
            _outcome(v, NA)
    if not _trains((mean, eval_acc), r["reference"]):
        return out + _outcome(v, NA)
    d = eval_acc - mean
    want = _cmp(d, ABOUT)
    out += _outcome(v, want) + _about(v, d)
    if want is not Outcome.NO_EFFECT:
        out += expect(_pp(d) in v.text, f"difference {_pp(d)} not quoted")
    return out


# ---------------------------------------------------------------- Same point
def flips(v) -> list[str]:
    r = v.raw
    draws = np.asarray(r["draws"], dtype=float)
    rate = float(np.mean((draws >= 0.5) != (r["p_eval"] >= 0.5)))
    out = _quotes(v.text, rate)
    out += expect(f"in {len(draws)} random test batches" in v.text, "draws misquoted")
    out += expect(f"(class {r['label']})" in v.text, "label misquoted")
    if r["k"] == 1:
        return out + expect(np.ptp(draws) == 0, "k = 1 but the draws differ") + _outcome(v, NA)
    if r["rates"] is not None:
        rates = np.asarray(r["rates"], dtype=float)
        out += _quotes(v.text, float(rates.mean()), float(np.mean(rates == 0)))
        out += (_quotes(v.text, float(np.mean(rates < rate))) if rate > 0
                else expect("this one is one of them" in v.text, "a point that never flips"))
    return out + _outcome(v, Outcome.HOLDS if rate > 0 else Outcome.NO_EFFECT)


# ---------------------------------------------------------------- Skewed test batches
def skew(v) -> list[str]:
    r = v.raw
    k, mix = int(r["k"]), float(r["mix"])
    n1 = int(np.round(mix * k))  # round half to even, as Python's round
    actual = n1 / k
    b, ru = np.asarray(r["acc_batch"], float), np.asarray(r["acc_running"], float)
    bb, rb = (np.asarray(r["acc_batch_balanced"], float),
              np.asarray(r["acc_running_balanced"], float))
    out = expect(math.isclose(actual, r["actual_mix"]), "the drawn mix is not round(mix·k)/k")
    out += expect(f"{n1} of its {k} examples in class 1" in v.text, "drawn mix misquoted")
    out += _quotes(v.text, actual, float(b.mean()), float(ru.mean()))
    if k == 1:
        c = int(r["collapse_p"] >= 0.5)
        right = float((n1 == 1) == (c == 1))
        out += expect(np.all(b == right), "k = 1 batch accuracies are not the one output's")
        return out + _outcome(v, NA)
    skewed = actual <= SKEWED + 1e-12 or actual >= 1 - SKEWED - 1e-12
    if not _trains((float(r["eval_acc"]),), r["reference"]):
        return out + _outcome(v, NA)
    if not skewed:
        return out + expect("not *skewed*" in v.text, "unskewed mix not said") + _outcome(v, NA)
    ds, db = ru - b, rb - bb
    eff = float(ds.mean() - db.mean())
    n = len(ds)
    se = SPREAD * math.sqrt(np.var(ds, ddof=1) / n + np.var(db, ddof=1) / n) if n > 1 \
        else math.nan
    want = _beyond(eff, se, HURT)
    out += _outcome(v, want)
    out += expect(("*hurts*" in v.text) == (want is Outcome.HOLDS), "'hurts' misused")
    out += expect(("does not *hurt*" in v.text) <= (abs(eff) <= HURT),
                  "'does not hurt' beyond 5 pp")
    return out + expect(_pp(eff) in v.text, f"skew effect {_pp(eff)} not quoted")


# ---------------------------------------------------------------- Running estimate
def lag(v) -> list[str]:
    r = v.raw
    t, ema, bc, pop = (np.asarray(r[x], float) for x in ("t", "ema", "ema_bc", "population"))
    i = int(np.argmax(pop - ema))
    out = expect(int(t[i]) == r["lag_t"], f"largest gap at t = {t[i]:.0f}, not {r['lag_t']}")
    out += expect(f"at t = {int(t[i])}:" in v.text, "largest-gap step misquoted")
    j = int(np.argmax(t))
    out += _quotes(v.text, ema[i], bc[i], pop[i], ema[j], bc[j], pop[j], r["start_weight"])
    out += expect(int(t[j]) == r["T"] and f"After T = {int(t[j])} steps" in v.text,
                  "T misquoted")
    if (r["diverged"] or not _trains((pop[j],), r["reference"])
            or r["start_weight"] < 0.01):
        return out + _outcome(v, NA)
    d, dbc = pop[j] - ema[j], pop[j] - bc[j]
    want = _cmp(d, ABOUT)
    out += _outcome(v, want) + _about(v, d)
    if want is Outcome.HOLDS:
        out += expect(("recovers it" in v.text) == (dbc <= ABOUT), "bias correction misjudged")
    return out


# ---------------------------------------------------------------- Batch Renorm
def _paired(bn, other):
    bn, other = np.asarray(bn, float), np.asarray(other, float)
    ok = np.isfinite(bn) & np.isfinite(other)
    return bn[ok], other[ok]


def _se(d) -> float:
    return SPREAD * float(np.std(d, ddof=1)) / math.sqrt(len(d)) if len(d) > 1 else math.nan


def mismatch(v) -> list[str]:
    bn, rn = _paired(v.raw["bn"], v.raw["renorm"])
    n, thr = len(bn), 0.02
    if n:
        out = _quotes(v.text, float(bn.mean()), float(rn.mean()))
        out += expect(f"mean of {n} seeds" in v.text, "number of seeds misquoted")
    else:
        out = []
    r_max, d_max = v.raw["clips"]
    if n < 2 or bn.mean() < thr or (r_max <= 1 and d_max <= 0):
        return out + _outcome(v, NA)
    d = bn - rn
    want = _beyond(float(d.mean()), _se(d), thr)
    out += _outcome(v, want)
    out += expect("removes" not in v.text or (want is Outcome.HOLDS and rn.mean() < thr),
                  "'removes' without removing")
    if want is Outcome.HOLDS:
        out += expect(f"in {int(np.sum(d > thr))} of {n} run" in v.text, "runs misquoted")
    return out


# ---------------------------------------------------------------- Running averages
def accuracy(v) -> list[str]:
    r = v.raw
    n, div, div_bn = int(r["runs"]), int(r["diverged"]), int(r["diverged_bn"])
    if div > n / 2 and div_bn > n / 2:
        return _outcome(v, NA)
    if div > n / 2:
        return _outcome(v, Outcome.HOLDS) + expect(f"in {div} of {n} run" in v.text,
                                                    "divergences misquoted")
    bn, ra = _paired(r["bn"], r["running"])
    wb, wr = _paired(r["w_bn"], r["w_running"])
    out = _quotes(v.text, float(bn.mean()), float(ra.mean())) if len(bn) else []
    if len(bn) < 2 or not _trains((float(bn.mean()), float(ra.mean())), r["reference"]):
        return out + _outcome(v, NA)
    d = bn - ra
    want = _beyond(float(d.mean()), _se(d), ABOUT)
    out += _outcome(v, want) + _about(v, float(d.mean()))
    if want is Outcome.NO_EFFECT:
        ratio = float(np.mean(wr / wb))
        said = ("grow" if ratio > 1.2 else "shrink" if ratio < 1 / 1.2 else "about as large")
        out += expect(said in v.text, f"weights ratio {ratio:.2f} not said as '{said}'")
    return out


ORACLES: dict = {
    "testtime.boundaries.maps": maps,
    "testtime.batch_size.collapse": collapse,
    "testtime.batch_size.at_k": at_k,
    "testtime.same_point.flips": flips,
    "testtime.skewed_batches.skew": skew,
    "testtime.running_estimate.lag": lag,
    "testtime.batch_renorm.mismatch": mismatch,
    "testtime.running_averages.accuracy": accuracy,
}
