"""Oracles of the claims of the lesson running_stats (see the package docstring).

Each recomputes its claim from the verdict's ``raw`` arrays with its own numpy code — the
errors, the step from which an estimate settles, the ratio of σ²_B to σ²_pop and its noise, the
EMA itself — and checks the outcome, the preconditions and the numbers the sentence quotes.
Thresholds come from the glossary's words (:data:`bnsim.verdict.WORDS`) or the raw values
(the Tolerance slider).
"""

from __future__ import annotations

import math
import re

import numpy as np

from benchmarks.claim_oracles import expect
from bnsim import verdict
from bnsim.verdict import Outcome

W = verdict.WORDS
NOUN = {"ema": "the EMA", "ema_bc": "the bias-corrected EMA",
        "cumulative": "the cumulative average"}
SYM = {"mean": ("μ", "σ_pop"), "var": ("σ²", "σ²_pop")}


# ---------------------------------------------------------------- formatting, written apart
def p1(x: float) -> str:
    """A share as the page prints it: "12.3 %"."""
    return f"{100 * x:.1f} %"


def p0(x: float) -> str:
    return f"{100 * x:.0f} %"


def sh(x: float) -> str:
    """A relative error: "< 0.1 %" for tiny non-zero values."""
    return "< 0.1 %" if math.isfinite(x) and 0 < abs(x) < 0.0005 else p1(x)


def number_after(text: str, marker: str) -> float:
    """The number written right after ``marker`` in ``text`` (NaN when there is none)."""
    m = re.search(re.escape(marker) + r"\s*(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)", text)
    return float(m.group(1)) if m else float("nan")


def near(written: float, value: float, digits: int = 3) -> bool:
    """Whether ``written`` is ``value`` to ``digits`` significant digits."""
    if not (math.isfinite(written) and math.isfinite(value)):
        return False
    if value == 0:
        return written == 0
    unit = 10 ** (math.floor(math.log10(abs(value))) - digits + 1)
    return abs(written - value) <= 0.51 * unit + 1e-12


def check_pre(v: verdict.Verdict, expected: dict[str, bool]) -> list[str]:
    """The verdict's preconditions against the recomputed ones ({name: holds}), and that it
    abstains exactly when one fails."""
    out = []
    got = {p.name: p.holds for p in v.preconditions}
    for name, holds in expected.items():
        if name not in got:
            out.append(f"precondition {name!r} not checked")
        elif got[name] != holds:
            out.append(f"precondition {name!r} should be {holds}, is {got[name]}")
    fails = not all(expected.values())
    out += expect(fails == (v.outcome is Outcome.NOT_APPLICABLE),
                  f"outcome {v.outcome} while the preconditions {'fail' if fails else 'hold'}")
    return out


def ema(theta: np.ndarray, beta: float, v0: float) -> np.ndarray:
    """v_t = β·v_{t−1} + (1 − β)·θ_t from v_0, by a plain loop."""
    out, v = np.empty(len(theta)), v0
    for t, x in enumerate(theta):
        v = beta * v + (1 - beta) * x
        out[t] = v
    return out


# ---------------------------------------------------------------- trajectory
def _settle(steps, rel, tol):
    """(outcome, from step, final) of one estimator's relative errors at the stored steps."""
    rel = np.asarray(rel, float)
    final = float(rel[-1])
    if not math.isfinite(final):
        return Outcome.NOT_APPLICABLE, None, final
    bad = [k for k in range(len(rel)) if not rel[k] <= tol]
    if not bad:
        s = int(steps[0])
    elif bad[-1] == len(rel) - 1:
        return Outcome.REVERSED, None, final
    else:
        s = int(steps[bad[-1] + 1])
    if s == int(steps[-1]) and len(steps) > 1:
        return Outcome.NO_EFFECT, s, final
    return Outcome.HOLDS, s, final


def settles(v: verdict.Verdict) -> list[str]:
    r = v.raw
    steps, tol = np.asarray(r["steps"]), r["tol"]
    sym, scale = SYM[r["stat"]]
    outcome, s, final = _settle(steps, r["rel"], tol)
    out = check_pre(v, {"a population value to compare with": outcome
                        is not Outcome.NOT_APPLICABLE})
    out += expect(v.outcome is outcome, f"outcome {v.outcome}, recomputed {outcome}")
    out += expect(f"{NOUN[r['name']]} of {sym}".lower() in v.text.lower() and scale in v.text,
                  "names another estimator or statistic")
    last = int(steps[-1])
    if outcome is Outcome.HOLDS:
        out += expect(f"from step {s} on ({sh(final)} off at step {last})" in v.text,
                      f"should settle from step {s}, {sh(final)} off")
    elif outcome is Outcome.REVERSED:
        out += expect(f"still {sh(final)} of" in v.text and p0(tol) in v.text,
                      f"should be {sh(final)} off outside {p0(tol)}")
    elif outcome is Outcome.NO_EFFECT:
        out += expect(f"only at the last step ({last})" in v.text, "within only at the last")
    return out


def tracking(v: verdict.Verdict) -> list[str]:
    r = v.raw
    steps, tol, stat = np.asarray(r["steps"]), r["tol"], r["stat"]
    results = {n: _settle(steps, rel, tol) for n, rel in r["rel"].items()}
    shown = bool(results)
    has_pop = shown and all(o is not Outcome.NOT_APPLICABLE for o, _, _ in results.values())
    out = check_pre(v, {"an estimator is shown": shown,
                        "a population value to compare with": has_pop})
    if not (shown and has_pop):
        return out
    held = [o is Outcome.HOLDS for o, _, _ in results.values()]
    want = Outcome.HOLDS if all(held) else Outcome.REVERSED if not any(held) else \
        Outcome.NO_EFFECT
    out += expect(v.outcome is want, f"outcome {v.outcome}, recomputed {want}")
    sym, scale = SYM[stat]
    out += expect(v.text.startswith(f"{sym} settles within {p0(tol)} of {scale}"),
                  "the sentence names another statistic or tolerance")
    last = int(steps[-1])
    for name, (o, s, final) in results.items():
        clause = {Outcome.HOLDS: f"{NOUN[name]} from step {s} on",
                  Outcome.NO_EFFECT: f"{NOUN[name]} only at the last step ({last})",
                  Outcome.REVERSED: f"{NOUN[name]} not by step {last} ({sh(final)} off)"}[o]
        out += expect(clause in v.text, f"missing or wrong clause: {clause!r}")
    floor = float("nan")
    if r.get("batch_rel") is not None and r.get("beta") is not None:
        x = np.asarray(r["batch_rel"], float)
        x = x[np.isfinite(x)]
        if len(x) >= 2:
            sd = math.sqrt(float(np.sum((x - x.mean()) ** 2)) / (len(x) - 1))
            floor = sd * math.sqrt((1 - r["beta"]) / (1 + r["beta"]))
    unsettled = any(n in ("ema", "ema_bc") and o is not Outcome.HOLDS
                    for n, (o, _, _) in results.items())
    said = "below the EMA's own batch noise" in v.text
    noisy = unsettled and math.isfinite(floor) and tol < floor
    out += expect(said == noisy, f"the noise sentence {'missing' if noisy else 'unfounded'} "
                  f"(tolerance {p0(tol)}, noise {floor:.4g})")
    if noisy:
        out += expect(f"about {sh(floor)} of {scale}" in v.text, f"the noise is {sh(floor)}")
    return out


def _mean_se2(x: np.ndarray, k: float) -> tuple[float, float]:
    x = np.asarray(x, float)
    n = len(x)
    mean = float(np.sum(x) / n) if n else float("nan")
    if n < 2:
        return mean, float("nan")
    sd = math.sqrt(float(np.sum((x - mean) ** 2)) / (n - 1))
    return mean, k * sd / math.sqrt(n)


def _decide(effect: float, margin: float) -> Outcome:
    if not math.isfinite(effect):
        return Outcome.NOT_APPLICABLE
    return Outcome.HOLDS if effect > margin else Outcome.REVERSED if effect < -margin else \
        Outcome.NO_EFFECT


def batch_variance(v: verdict.Verdict) -> list[str]:
    r = v.raw
    k = W["beyond the noise"].threshold
    b, pop, m = np.asarray(r["batch"], float), np.asarray(r["pop"], float), int(r["m"])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = b / pop
    ratios = ratios[np.isfinite(ratios)]
    out = check_pre(v, {"no BN below": not r["below"],
                        "≥ 10 stored steps with σ²_pop > 0": len(ratios) >= 10})
    if r["below"] or len(ratios) < 10:
        return out
    ratio, margin = _mean_se2(ratios, k)
    want = _decide(1 - ratio, margin)
    out += expect(v.outcome is want, f"outcome {v.outcome}, recomputed {want}")
    out += expect(f"average {p1(ratio)} of σ²_pop" in v.text, f"mean ratio is {p1(ratio)}")
    out += expect(f"±{p1(margin)}" in v.text, f"noise is ±{p1(margin)}")
    biased = r["kind"] == "biased"
    out += expect(("biased σ²_B" in v.text) == biased and f"m = {m}" in v.text,
                  "names another kind or m")
    if want is Outcome.NO_EFFECT:
        out += expect("within the noise" in v.text, "should say within the noise")
        if biased:
            out += expect(("too small to see" in v.text) == (1 / m <= margin),
                          f"'too small to see' needs 1/m = {p1(1 / m)} ≤ the noise")
    elif want is Outcome.HOLDS:
        out += expect("below it by more than the noise" in v.text, "should say below")
    else:
        out += expect("more than σ²_pop beyond the noise" in v.text, "should say more")
    if biased and want is not Outcome.NO_EFFECT:
        out += expect(f"(m − 1)/m = {p1((m - 1) / m)}" in v.text, "(m − 1)/m misquoted")
    return out


def batch_mates(v: verdict.Verdict) -> list[str]:
    r = v.raw
    k = W["beyond the noise"].threshold
    b, pop, m = np.asarray(r["batch"], float), np.asarray(r["pop"], float), int(r["m"])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = b / pop
    ratio = float(np.mean(ratios[np.isfinite(ratios)])) if np.isfinite(ratios).any() else \
        float("nan")
    replayed = "iid" in r and r["iid"] is not None
    if not replayed:
        return check_pre(v, {"BN in a layer below": bool(r["below"]),
                             "the mini-batches could be replayed": False})
    i = np.asarray(r["iid"], float)
    with np.errstate(divide="ignore", invalid="ignore"):
        d, r0 = (b - i) / pop, i / pop
    ok = np.isfinite(d)
    out = check_pre(v, {"BN in a layer below": bool(r["below"]),
                        "the mini-batches could be replayed": True,
                        "≥ 10 stored steps with σ²_pop > 0": int(ok.sum()) >= 10})
    if ok.sum() < 10:
        return out
    excess, margin = _mean_se2(d[ok], k)
    base = float(np.mean(r0[ok]))
    want = _decide(excess, margin)
    out += expect(v.outcome is want, f"outcome {v.outcome}, recomputed {want}")
    out += expect(f"average {p1(ratio)} of σ²_pop" in v.text, f"mean ratio is {p1(ratio)}")
    out += expect(f"would average {p1(base)}" in v.text, f"the replayed mean is {p1(base)}")
    out += expect(f"{p1(abs(excess))} of σ²_pop" in v.text, f"the excess is {p1(abs(excess))}")
    out += expect(f"±{p1(margin)}" in v.text, f"noise is ±{p1(margin)}")
    word = {Outcome.HOLDS: " adds ", Outcome.REVERSED: " removes ",
            Outcome.NO_EFFECT: "within the noise"}[want]
    out += expect(word in v.text, f"should say {word.strip()!r}")
    out += expect(("−1 and +1" in v.text) <= (m == 2), "±1 said at m ≠ 2")
    # the sampling argument itself: the replayed batches (no batch-mates) average σ²_pop
    # within a generous 5 standard errors — else the comparison baseline is not i.i.d.
    if r["kind"] == "unbiased":
        _, se5 = _mean_se2(r0[ok], 5.0)
        out += expect(abs(base - 1) <= se5 + 0.02, f"replayed batches average {p1(base)}, not "
                      "σ²_pop: the baseline is not i.i.d.")
    return out


def eval_spread(v: verdict.Verdict) -> list[str]:
    r = v.raw
    steps, tol = np.asarray(r["pop_steps"]), r["tol"]
    last = int(steps[-1])
    v_hat, pop = float(np.asarray(r["ema"])[last - 1]), float(np.asarray(r["pop"])[-1])
    ok = math.isfinite(v_hat) and math.isfinite(pop) and pop > 0 and v_hat > 0
    left = r["beta"] ** last
    out = expect(r["mates"] in ("holds", "reversed"), "shown although BN below does not change "
                 "σ²_B beyond the noise")
    out += check_pre(v, {"BN below changes σ²_B beyond the noise": True,
                         "the start value weighs ≤ 5 %": left <= 0.05,
                         "σ²_pop > 0 at the last step": ok})
    if not ok or left > 0.05:
        return out
    ratio, spread = v_hat / pop, math.sqrt(pop / v_hat)
    want = Outcome.HOLDS if abs(ratio - 1) > tol else Outcome.NO_EFFECT
    out += expect(v.outcome is want, f"outcome {v.outcome}, recomputed {want}")
    out += expect(f"ends at {p1(ratio)} of σ²_pop at step {last}" in v.text,
                  f"the EMA ends at {p1(ratio)}")
    out += expect(near(number_after(v.text, "√(σ²_pop/σ̂²) ="), spread),
                  f"the spread is {spread:.4g}")
    out += expect(("outside" in v.text) == (want is Outcome.HOLDS), "outside/within misjudged")
    return out


def _scatter(r: dict, mu) -> tuple[float, int]:
    """(rms of (μ_B − μ_pop)/(σ_pop/√m·√((N − m)/(N − 1))), how many finite) from raw."""
    pb, pu = np.asarray(r["pop_var_b"], float), np.asarray(r["pop_var_u"], float)
    m = int(r["m"])
    with np.errstate(divide="ignore", invalid="ignore"):
        n = pu / (pu - pb)  # σ²_u/σ²_b = N/(N − 1)  =>  N = σ²_u/(σ²_u − σ²_b)
        fpc = np.sqrt(np.clip((n - m) / (n - 1), 0, 1))
        pred = np.sqrt(pb / m) * np.where(np.isfinite(fpc), fpc, 1)
        z = (np.asarray(mu, float) - np.asarray(r["pop_mean"], float)) / pred
    ok = np.isfinite(z)
    return (math.sqrt(float(np.mean(z[ok] ** 2))) if ok.any() else float("nan")), int(ok.sum())


def mean_batch_mates(v: verdict.Verdict) -> list[str]:
    r = v.raw
    hi = W["as random mini-batches predict"].threshold
    ratio, n = _scatter(r, r["mu"])
    if "iid_mu" not in r:
        return check_pre(v, {"BN in a layer below": bool(r["below"]),
                             "the mini-batches could be replayed": False}) if n >= 10 else \
            check_pre(v, {"≥ 10 stored steps with σ_pop > 0": False})
    r0, n0 = _scatter(r, r["iid_mu"])
    out = check_pre(v, {"≥ 10 stored steps with σ_pop > 0": min(n, n0) >= 10 and r0 > 0,
                        "BN in a layer below": bool(r["below"]),
                        "the mini-batches could be replayed": True})
    if min(n, n0) < 10 or not r0 > 0:
        return out
    factor = ratio / r0
    want = Outcome.NO_EFFECT if 1 / hi - 1e-12 <= factor <= hi + 1e-12 else Outcome.HOLDS
    out += expect(v.outcome is want, f"outcome {v.outcome}, recomputed {want}")
    out += expect(near(number_after(v.text, "around μ_pop by"), ratio)
                  and near(number_after(v.text, "would scatter by"), r0)
                  and near(number_after(v.text, "a factor of"), factor),
                  f"scatter {ratio:.4g}, replayed {r0:.4g}, factor {factor:.4g}")
    if want is Outcome.HOLDS:
        out += expect(("scatter more" in v.text) == (factor > hi), "more/less misjudged")
    return out


def batch_mean_spread(v: verdict.Verdict) -> list[str]:
    r = v.raw
    hi = W["as random mini-batches predict"].threshold
    lo = 1 / hi
    ratio, n = _scatter(r, r["mu"])
    out = check_pre(v, {"≥ 10 stored steps with σ_pop > 0": n >= 10,
                        "no BN below": not r["below"]})
    if n < 10:
        return out
    out += expect(near(number_after(v.text, "around μ_pop by"), ratio),
                  f"the scatter is {ratio:.4g} × σ_pop/√m")
    if r["below"]:
        return out
    want = Outcome.HOLDS if lo - 1e-12 <= ratio <= hi + 1e-12 else Outcome.REVERSED
    out += expect(v.outcome is want, f"outcome {v.outcome}, recomputed {want}")
    if want is Outcome.REVERSED:
        out += expect(("more than" in v.text) == (ratio > hi), "more/less misjudged")
    return out


# ---------------------------------------------------------------- error vs population
def start_value_lag(v: verdict.Verdict) -> list[str]:
    r = v.raw
    margin = W["bias correction helps"].threshold
    beta, steps = r["beta"], np.asarray(r["steps"])
    if beta == 0:
        return check_pre(v, {"β_EMA > 0": False})
    window = 1 / (1 - beta)
    later = np.flatnonzero(steps >= window - 1e-6)
    i = int(later[0]) if len(later) else len(steps) - 1
    s = int(steps[i])
    e_v, b_v = float(np.asarray(r["ema"])[s - 1]), float(np.asarray(r["ema_bc"])[s - 1])
    pop, scale = float(np.asarray(r["pop"])[i]), float(np.asarray(r["scale"])[i])
    with np.errstate(divide="ignore", invalid="ignore"):
        e, eb = abs(e_v - pop) / scale, abs(b_v - pop) / scale
        gap = abs(e_v - b_v) / scale  # = β^s·|v̂ − v₀| (v = (1 − β^s)·v̂ + β^s·v₀)
    fin = math.isfinite(e) and math.isfinite(eb)
    out = check_pre(v, {"β_EMA > 0": True, "a population value to compare with": fin})
    if not fin:
        return out
    want = _decide(e - eb, margin)
    out += expect(v.outcome is want, f"outcome {v.outcome}, recomputed {want} ({e:.4f} vs "
                  f"{eb:.4f})")
    out += expect(f"At step {s} " in v.text and f"β_EMA^{s} = {p1(beta ** s)}" in v.text,
                  f"step {s}, weight {p1(beta ** s)}")
    out += expect(sh(e) in v.text and sh(eb) in v.text, f"errors {sh(e)}, {sh(eb)}")
    if want is Outcome.NO_EFFECT:
        little = gap <= margin + 1e-12
        out += expect(("changes little" in v.text) == little,
                      f"'changes little' needs the estimates within {p1(margin)} (gap "
                      f"{sh(gap)})")
        if not little:
            out += expect(np.sign(e_v - pop) != np.sign(b_v - pop) and "opposite" in v.text,
                          "'opposite sides' is not what the numbers show")
        out += expect(sh(gap) in v.text, f"the gap is {sh(gap)}")
    return out


def trails(v: verdict.Verdict) -> list[str]:
    r = v.raw
    tmin = W["trails"].threshold
    steps = np.asarray(r["steps"])
    fin, moved = {}, {}
    for st in ("mean", "var"):
        c, e = float(np.asarray(r["cumulative"][st])[-1]), float(np.asarray(r["ema"][st])[-1])
        pop, scale = np.asarray(r["pop"][st], float), float(np.asarray(r["scale"][st])[-1])
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.abs(pop - pop[-1]) / scale
        d = d[np.isfinite(d)]
        fin[st], moved[st] = (c, e), (float(d.max()) if len(d) else float("nan"))
    finite = [st for st in fin if all(map(math.isfinite, fin[st])) and math.isfinite(moved[st])]
    mov = [st for st in finite if moved[st] > tmin]
    out = check_pre(v, {"population values to compare with": bool(finite),
                        "the population values moved": bool(mov)})
    if not mov:
        return out

    def lags(a, b):
        return a > tmin and a >= 2 * b

    cum = [st for st in sorted(mov, key=lambda st: -fin[st][0]) if lags(*fin[st])]
    em = [st for st in sorted(mov, key=lambda st: -fin[st][1]) if lags(fin[st][1], fin[st][0])]
    want = Outcome.HOLDS if cum else Outcome.REVERSED if em else Outcome.NO_EFFECT
    out += expect(v.outcome is want, f"outcome {v.outcome}, recomputed {want}")
    st = cum[0] if cum else em[0] if em else sorted(mov, key=lambda st: -fin[st][0])[0]
    c, e = fin[st]
    sym, scale = SYM[st]
    first, second = (e, c) if want is Outcome.REVERSED else (c, e)
    out += expect(f"at step {int(steps[-1])} its {sym} is {sh(first)} of {scale} off" in v.text
                  and sh(second) in v.text, f"{sym}: {sh(first)} vs {sh(second)}")
    out += expect(("learning network" in v.text) == (want is Outcome.HOLDS),
                  "'the learning network' only when the cumulative average trails")
    return out


# ---------------------------------------------------------------- other tabs
def gaps(v: verdict.Verdict) -> list[str]:
    r = v.raw
    z_all = np.asarray(r["z_all"], float)
    pop = float(np.mean(z_all))
    out = expect(abs(pop - r["pop_mean"]) <= 1e-9 * max(1, abs(pop)),
                 f"μ_pop of z over the training set is {pop:.6g}, not {r['pop_mean']:.6g}")
    if r["z_batch"] is not None:
        mu = float(np.mean(r["z_batch"]))
        out += expect(abs(mu - r["mu_batch"]) <= 1e-9 * max(1, abs(mu)), "μ_B is not the "
                      "replayed mini-batch's mean")
    out += expect(near(number_after(v.text, "μ_B ="), r["mu_batch"]) and
                  near(number_after(v.text, "is"), abs(r["mu_batch"] - pop)) and
                  near(number_after(v.text, "μ_pop ="), pop), "μ_B, its gap or μ_pop misquoted")
    out += expect(("batch-mates" in v.text) == bool(r["below"]), "batch-mates said wrongly")
    if r["marks"]:
        name, val = next(iter(r["marks"].items()))
        mu, beta, s = np.asarray(r["batch_mu"], float), r["beta"], int(r["step"])
        if name == "cumulative":
            mine = float(np.mean(mu[:s]))
        else:
            mine = float(ema(mu[:s], beta, 0.0)[-1])
            if name == "ema_bc":
                mine = mine / (1 - beta ** s) if beta > 0 else mine
        out += expect(abs(mine - val) <= 1e-9 * max(1, abs(mine)),
                      f"{NOUN[name]} after step {s} is {mine:.6g}, not {val:.6g}")
        out += expect(f"{NOUN[name]} is" in v.text and near(number_after(v.text, f"{NOUN[name]} "
                                                                          "is"), val),
                      f"{NOUN[name]} misquoted")
    return out


def start_weight(v: verdict.Verdict) -> list[str]:
    beta = v.raw["beta"]
    if beta == 0:
        return expect("no memory" in v.text, "β_EMA = 0 should say: no memory")
    out = expect(f"moves the EMA {p1(1 - beta)} of the way" in v.text, "1 − β_EMA misquoted")
    for k, word in ((10, "after k = 10"), (50, "after 50"), (100, "after 100")):
        out += expect(f"{sh(beta ** k)} {word}" in v.text, f"β_EMA^{k} = {sh(beta ** k)}")
    return out


def own_values(v: verdict.Verdict) -> list[str]:
    r = v.raw
    ok = math.isfinite(r["own_mean"]) and math.isfinite(r["own_var"])
    out = check_pre(v, {"the run recorded its running statistics": ok})
    if not ok:
        return out
    mean = float(ema(np.asarray(r["mu"], float), 0.9, 0.0)[-1])
    var = float(ema(np.asarray(r["var_u"], float), 0.9, 1.0)[-1])
    same = (abs(mean - r["own_mean"]) <= 1e-8 * max(1, abs(mean))
            and abs(var - r["own_var"]) <= 1e-8 * max(1, abs(var)))
    out += expect((v.outcome is Outcome.HOLDS) == same, f"the PyTorch row at 0.9 is μ̂ = "
                  f"{mean:.6g}, σ̂² = {var:.6g}; the network holds {r['own_mean']:.6g}, "
                  f"{r['own_var']:.6g}")
    out += expect(near(number_after(v.text, "μ̂ ="), r["own_mean"], 6)
                  and near(number_after(v.text, "σ̂² ="), r["own_var"], 6), "values misquoted")
    return out


ORACLES: dict = {
    "running_stats.trajectory.settles": settles,
    "running_stats.trajectory.tracking": tracking,
    "running_stats.trajectory.batch_variance": batch_variance,
    "running_stats.trajectory.batch_mates": batch_mates,
    "running_stats.trajectory.eval_spread": eval_spread,
    "running_stats.trajectory.batch_mean_spread": batch_mean_spread,
    "running_stats.trajectory.mean_batch_mates": mean_batch_mates,
    "running_stats.error_vs_population.start_value_lag": start_value_lag,
    "running_stats.error_vs_population.trails": trails,
    "running_stats.distribution_at_a_step.gaps": gaps,
    "running_stats.step_by_step.start_weight": start_weight,
    "running_stats.frameworks.own_values": own_values,
}
