"""Oracles of the claims of the lesson covariate_shift (see the package docstring).

Each recomputes its claim from the verdict's ``raw`` arrays with its own numpy code (the
thresholds from the glossary's words, :data:`bnsim.verdict.WORDS`), then checks the outcome,
the preconditions, every thresholded word the text uses and the numbers it quotes. Numbers are
formatted with :func:`bnsim.verdict.pct` / :func:`~bnsim.verdict.num` (formatting only)."""

from __future__ import annotations

import math

import numpy as np

from benchmarks.claim_oracles import expect, knn_accuracy, trains_bar
from bnsim.verdict import WORDS, Outcome, Verdict, num, pct

NA = Outcome.NOT_APPLICABLE


def _w(term: str) -> float:
    return WORDS[term].threshold


def _margin(x: float) -> str:
    return f"{100 * abs(x):.1f} pp"


def _has_margin(text: str, x: float) -> bool:
    """``x`` quoted as an unsigned margin in pp (either rounding at a tie: means computed in
    another order differ in the last bits)."""
    return any(_margin(abs(x) + e) in text for e in (-1e-9, 0.0, 1e-9))


def _has(text: str, x: float, fmt=pct) -> bool:
    """``fmt(x)`` in ``text``, allowing the other rounding at a tie."""
    return any(fmt(x + e * max(1.0, abs(x))) in text for e in (-1e-12, 0.0, 1e-12))


def _reference(v: Verdict) -> tuple[float, list[str]]:
    """The 15-NN reference, recomputed from ``raw["data"]`` when it is there."""
    ref = float(v.raw["reference"])
    if "data" not in v.raw:
        return ref, ["raw has no data to recompute the 15-NN reference from"]
    own = knn_accuracy(*v.raw["data"])
    return own, expect(abs(own - ref) <= 1e-9, f"15-NN reference {ref} ≠ recomputed {own}")


def _outcome(v: Verdict, want: Outcome) -> list[str]:
    return expect(v.outcome is want, f"outcome {v.outcome} but the numbers give {want}")


def _absent(v: Verdict, *words: str) -> list[str]:
    return [f"says {w!r} although it abstains or the numbers deny it" for w in words
            if w in v.text]


# ---------------------------------------------------------------- Noisy BN
def noisy(v: Verdict) -> list[str]:
    raw = v.raw
    ref, out = _reference(v)
    acc = {k: np.asarray(a, float) for k, a in raw["test_acc"].items()}
    div = {k: np.asarray(a, bool) for k, a in raw["diverged"].items()}
    drift = {k: np.asarray(a, float) for k, a in raw["drift"].items()}
    a1, a2 = float(acc["bn"].mean()), float(acc["noisy_bn"].mean())
    n = len(acc["bn"])
    tol = _w("about as well")
    applies = (not (div["bn"].any() or div["noisy_bn"].any()) and math.isfinite(a2 - a1)
               and ref >= _w("learnable") and max(a1, a2) >= trains_bar(ref))
    judged = ("about as well", "better than BN", "hurts")
    if not applies:
        no_bn = float(acc["no_bn"].mean())
        if (not (div["bn"].any() or div["noisy_bn"].any()) and ref >= _w("learnable")
                and math.isfinite(no_bn) and no_bn >= trains_bar(ref)):
            out += expect("the network without BN does" in v.text,
                          "'none of these trains' must name the network without BN that does")
        return out + _outcome(v, NA) + _absent(v, *judged)
    d = a2 - a1
    want = Outcome.REVERSED if d < -tol else Outcome.HOLDS
    out += _outcome(v, want)
    said = "about as well" if abs(d) <= tol else "better than BN" if d > 0 else "hurts"
    out += expect(said in v.text, f"Δ = {100 * d:+.2f} pp should say {said!r}")
    out += _absent(v, *(w for w in judged if w != said))
    out += expect(_has(v.text, a1) and _has(v.text, a2), "the mean accuracies quoted are not "
                  f"{pct(a1)} (BN) and {pct(a2)} (noisy BN)")
    ratio = drift["noisy_bn"].mean() / max(drift["bn"].mean(), 1e-12)
    out += expect(_has(v.text, ratio, lambda x: f"{num(x)}×"),
                  f"drift ratio should read {num(ratio)}×")
    per = acc["noisy_bn"] - acc["bn"]
    k = {"about as well": np.sum(np.abs(per) <= tol), "better than BN": np.sum(per > tol),
         "hurts": np.sum(per < -tol)}[said]
    if n == 1:
        out += expect("at this seed" in v.text, "one seed but not said 'at this seed'")
    else:
        out += expect(f"in {k} of {n} runs" in v.text, f"run count should be {k} of {n}")
    if said != "about as well":
        out += expect(_has_margin(v.text, d), f"the difference should read {_margin(d)}")
    return out


# ---------------------------------------------------------------- Black cats
def shift(v: Verdict) -> list[str]:
    raw = v.raw
    out = []
    if "table" not in raw:
        return ["raw has no shift table"]
    t = {k: np.asarray(a) for k, a in raw["table"].items()}
    i = int(np.argmin(np.abs(t["shift"].astype(float) - raw["shift"])))
    bn, no_bn = float(t["bn"][i]), float(t["no_bn"][i])
    tb, tn = float(raw["train_dist"]["bn"]), float(raw["train_dist"]["no_bn"])
    out += expect(pct(tb) in v.text and pct(tn) in v.text, "training-cloud accuracies quoted "
                  f"are not {pct(tb)} and {pct(tn)}")
    judged = ("too", "Both lose", "does not repair", "absorb", "nothing to repair")
    majority = float(t["majority"][i])
    y1 = float(t["class1"][i])
    out += expect(abs(majority - max(y1, 1 - y1)) <= 1e-12, "majority rate ≠ the class shares")
    if ((raw["shift"] == 0 and raw["test_scale"] == 1) or min(tb, tn) < _w("learned the rule")
            or majority >= _w("mostly one class")):
        return out + _outcome(v, NA) + _absent(v, *judged)
    out += expect(pct(bn) in v.text and pct(no_bn) in v.text and pct(float(t["adabn"][i]))
                  in v.text and pct(float(t["majority"][i])) in v.text,
                  "shifted accuracies quoted do not match the table row")
    thr = _w("loses accuracy under a shift")
    db, dn = tb - bn, tn - no_bn
    if max(db, dn) <= thr:
        return out + _outcome(v, Outcome.NO_EFFECT) + _absent(v, "too", "Both lose",
                                                               "does not repair", "absorb")
    if db > thr:
        out += _outcome(v, Outcome.HOLDS) + expect(_has_margin(v.text, db),
                                                  f"BN's loss should read {_margin(db)}")
        both = dn > thr
        out += expect(("Both lose" in v.text) == both, "'Both lose' must be said exactly when "
                      f"both lose more than {_margin(thr)} (BN {db:.3f}, no BN {dn:.3f})")
        out += _absent(v, "too") + _absent(v, "absorb")
        if not both:
            out += expect("hurt more than the network without BN" in v.text,
                          "the contrast (BN hurt more) is not stated")
        return out
    return out + _outcome(v, Outcome.REVERSED) + expect(_has_margin(v.text, dn),
                                                       "no BN's loss not quoted") + _absent(
        v, "too", "Both lose", "does not repair")


def adabn(v: Verdict) -> list[str]:
    raw = v.raw
    bn, ad, tb = float(raw["bn"]), float(raw["adabn"]), float(raw["train_bn"])
    tol = _w("restores (AdaBN)")
    out = expect(pct(ad) in v.text and pct(bn) in v.text and pct(tb) in v.text,
                 "the accuracies quoted do not match raw")
    words = ("restored", "kept", "makes it worse", "not restored")
    if ((raw["shift"] == 0 and raw["test_scale"] == 1) or tb < _w("learned the rule")
            or float(raw["majority"]) >= _w("mostly one class")):
        return out + _outcome(v, NA) + _absent(v, *words)
    if ad >= tb - tol:
        said = "restored" if bn < tb - tol else "kept"
        return out + _outcome(v, Outcome.HOLDS) + expect(said in v.text and "not restored"
                                                         not in v.text, f"should say {said!r}")
    if ad < bn - tol:
        return out + _outcome(v, Outcome.REVERSED) + expect("makes it worse" in v.text,
                                                            "should say 'makes it worse'")
    out += _outcome(v, Outcome.NO_EFFECT) + expect("not restored" in v.text,
                                                   "should say 'not restored'")
    out += expect(("better than before" in v.text) == (ad > bn + tol),
                  "'better than before' must be said exactly when AdaBN gains > 3 pp")
    out += expect(("no better than always answering" in v.text)
                  == (ad <= float(raw["majority"]) + tol),
                  "must say exactly when AdaBN is no better than the majority class")
    return out


# ---------------------------------------------------------------- moving inputs
def _own_drift(mean, std) -> float:
    mean, std = np.asarray(mean, float), np.asarray(std, float)
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std))):
        return float("nan")
    tv = np.sum(np.abs(mean[1:] - mean[:-1]), axis=0) + np.sum(np.abs(std[1:] - std[:-1]),
                                                               axis=0)
    scale = float(np.mean(std))
    if scale == 0:
        return 0.0 if not np.any(tv) else float("inf")
    return float(np.mean(tv) / scale)


def drift(v: Verdict) -> list[str]:
    raw = v.raw
    if "mean_bn" not in raw:
        return ["raw has no per-snapshot moments"]
    d0 = _own_drift(raw["mean_no_bn"], raw["std_no_bn"])
    d1 = _own_drift(raw["mean_bn"], raw["std_bn"])
    out = []
    for name, own, said in (("without", d0, raw["drift_no_bn"]), ("with", d1, raw["drift_bn"])):
        if math.isfinite(own) or math.isfinite(said):
            out += expect(math.isclose(own, said, rel_tol=1e-6, abs_tol=1e-12),
                          f"D {name} BN is {said}, recomputed {own}")
    words = ("cuts the movement", "move more", "no clear difference")
    if not (math.isfinite(d0) and math.isfinite(d1)) or d0 <= 1e-12:
        return out + _outcome(v, NA) + _absent(v, *words)
    out += expect(num(d0) in v.text and num(d1) in v.text, "the drifts quoted do not match")
    out += expect("at this seed" in v.text, "one run each, but not said 'at this seed'")
    ratio, rel = d1 / d0, _w("reduces the drift")
    if ratio < 1 - rel:
        return out + _outcome(v, Outcome.HOLDS) + expect(
            f"to {100 * ratio:.0f} %" in v.text, "the share quoted is wrong")
    if ratio > 1 + rel:
        return out + _outcome(v, Outcome.REVERSED) + expect("move more" in v.text,
                                                            "should say 'move more'")
    return out + _outcome(v, Outcome.NO_EFFECT) + expect("no clear difference" in v.text,
                                                         "should say 'no clear difference'")


def pinning(v: Verdict) -> list[str]:
    raw = v.raw
    if "zt_mean" not in raw:
        return ["raw has no moments of z̃"]
    zm, zv = np.asarray(raw["zt_mean"], float), np.asarray(raw["zt_var"], float)
    beta, g2 = np.asarray(raw["beta"], float), np.asarray(raw["gamma2"], float)
    s2, eps = np.asarray(raw["z_var"], float), float(raw["eps"])
    off_mean = float(np.max(np.abs(zm - beta)))
    with np.errstate(all="ignore"):
        expected_var = g2 * s2 / (s2 + eps)
        off_var = float(np.max(np.abs(zv / expected_var - 1)))
        shrink = float(np.max(eps / (s2 + eps)))
    beta_range = float(np.mean(beta.max(0) - beta.min(0)))
    pz = np.asarray(raw["plain_zt_mean"], float)
    plain_range = float(np.mean(pz.max(0) - pz.min(0)))
    tol = _w("pinned (z̃)")
    if not (math.isfinite(off_mean) and math.isfinite(off_var)):
        return _outcome(v, NA) + _absent(v, "is β", "not pinned")
    out = expect(num(beta_range) in v.text and num(plain_range) in v.text,
                 f"ranges should read {num(beta_range)} and {num(plain_range)}")
    if off_mean <= tol and off_var <= tol:
        out += _outcome(v, Outcome.HOLDS)
        out += expect(("σ²/(σ² + ε)" in v.text) == (shrink > tol),
                      f"ε shrinks var(z̃) by up to {shrink:.2e}: the words must say so exactly "
                      "when it exceeds the threshold")
        return out
    return out + _outcome(v, Outcome.REVERSED) + expect("not pinned" in v.text,
                                                        "should say 'not pinned'")


# ---------------------------------------------------------------- mini-batch noise
def noise_law(v: Verdict) -> list[str]:
    raw = v.raw
    m1, m2, N, sigma = raw["m_small"], raw["m_large"], raw["n_examples"], float(raw["sigma"])
    zero = 1e-9 * sigma  # below this a spread is floating-point rounding: said as 0
    sd1 = float(np.std(np.asarray(raw["mu_small"], float)))
    sd2 = float(np.std(np.asarray(raw["mu_large"], float)))
    sd1, sd2 = (x if x > zero else 0.0 for x in (sd1, sd2))
    out = expect(math.isclose(sd1, raw["sd_small"], rel_tol=1e-6, abs_tol=zero)
                 and math.isclose(sd2, raw["sd_large"], rel_tol=1e-6, abs_tol=zero),
                 "the spreads do not match the μ_B samples")

    def law(m):
        return sigma / math.sqrt(m) * math.sqrt((N - m) / (N - 1))

    words = ("shrinks as 1/√m", "grows with m", "-fold")
    if m1 == m2 or not (sigma > 0 and sd2 > 0 and law(m2) > 0):
        return out + _outcome(v, NA) + _absent(v, *words)
    def shown(x):
        return num(x) if x > 0 else "0 (up to rounding)"

    out += expect(shown(sd1) in v.text and shown(sd2) in v.text and num(law(m1)) in v.text
                  and num(law(m2)) in v.text, "the spreads or the law's values are misquoted")
    measured, lf = sd1 / sd2, law(m1) / law(m2)
    if measured > 0 and abs(math.log(measured) / math.log(lf) - 1) <= _w("follows 1/√m"):
        return out + _outcome(v, Outcome.HOLDS)
    if measured < 1 / 1.1:
        return out + _outcome(v, Outcome.REVERSED)
    out += _outcome(v, Outcome.NO_EFFECT)
    out += expect(("normalised by the same mini-batch" in v.text) == (raw["layer"] > 1),
                  "the reason given does not fit the layer")
    return out


def regularisation(v: Verdict) -> list[str]:
    raw = v.raw
    ref, out = _reference(v)
    m, net = np.asarray(raw["m"]), np.asarray(raw["network"])
    seed = np.asarray(raw["seed"])
    trl, tel = np.asarray(raw["train_loss"], float), np.asarray(raw["test_loss"], float)
    tra, tea = np.asarray(raw["train_acc"], float), np.asarray(raw["test_acc"], float)
    judged = ("less noise, less regularisation", "comes from m itself", "larger at the small m",
              "no regularisation to see", "matched")
    sizes = sorted(set(m[net == "bn"].tolist()))
    if len(sizes) < 2 or np.asarray(raw["diverged"], bool).any():
        return out + _outcome(v, NA) + _absent(v, *judged)
    lo, hi = sizes[0], sizes[-1]

    def mean(x, network, size):
        return float(np.mean(x[(net == network) & (m == size)]))

    gap = tel - trl
    g_lo, g_hi = mean(gap, "bn", lo), mean(gap, "bn", hi)
    q_lo, q_hi = mean(gap, "no_bn", lo), mean(gap, "no_bn", hi)
    t_lo, t_hi = mean(tra, "bn", lo), mean(tra, "bn", hi)
    out += expect(all(_has(v.text, x, num) for x in (g_lo, g_hi, q_lo, q_hi)),
                  "the loss gaps quoted do not match the runs")
    if ref < _w("learnable") or max(mean(tea, "bn", lo), mean(tea, "bn", hi)) < trains_bar(ref):
        return out + _outcome(v, NA) + _absent(v, *judged)
    out += expect(_has(v.text, t_lo) and _has(v.text, t_hi),
                  "BN's training accuracies are not quoted")
    if abs(t_lo - t_hi) > _w("matched training accuracy"):
        out += _outcome(v, NA) + _absent(v, *judged[:-1])
        out += expect(("underfitting" in v.text) == (t_lo < t_hi and g_lo < g_hi),
                      "underfitting must be named exactly when the smaller gap (at the small m) "
                      "comes with the lower training accuracy")
        return out
    thr = _w("the loss gap changes")
    d_bn, d_no = g_hi - g_lo, q_hi - q_lo
    if d_bn > thr and d_bn - d_no > thr:
        out += _outcome(v, Outcome.HOLDS) + expect("less noise, less regularisation" in v.text,
                                                   "should say the regularisation shrinks")
        bn = net == "bn"
        per_lo = {s: g for s, g, mm in zip(seed[bn], gap[bn], m[bn], strict=True) if mm == lo}
        per_hi = {s: g for s, g, mm in zip(seed[bn], gap[bn], m[bn], strict=True) if mm == hi}
        k = sum(per_hi[s] - per_lo[s] > thr for s in per_lo)
        return out + expect(f"in {k} of {len(per_lo)} run" in v.text, "run count is wrong")
    if d_bn > thr:
        return out + _outcome(v, Outcome.NO_EFFECT) + expect("comes from m itself" in v.text,
                                                             "should name the no-BN baseline")
    if d_bn < -thr:
        return out + _outcome(v, Outcome.REVERSED)
    out += _outcome(v, Outcome.NO_EFFECT) + _absent(v, "less noise, less regularisation")
    out += expect(("nothing overfits" in v.text) == (max(g_lo, g_hi) < thr),
                  "'nothing overfits' must be said exactly when both gaps are small")
    return out


# ---------------------------------------------------------------- Smoother landscape
def landscape_lower(v: Verdict) -> list[str]:
    raw = v.raw
    ref, out = _reference(v)
    a, b, c = (np.asarray(raw[k], float) for k in ("bn", "no_bn", "noisy_bn"))
    acc = {k: float(np.mean(np.asarray(x, float))) for k, x in raw["test_acc"].items()}
    diverged = any(np.asarray(x, bool).any() for x in raw["diverged"].values())
    finite = (not diverged and all(np.isfinite(x).all() and (x >= 0).all() for x in (a, b, c))
              and all((x > 0).any(axis=1).all() for x in (a, c)))
    judged = ("sits lower", "sits higher", "no clear difference")
    if not (finite and ref >= _w("learnable") and min(acc["bn"], acc["no_bn"]) >= trains_bar(ref)):
        return out + _outcome(v, NA) + _absent(v, *judged)
    factor = _w("sits lower")

    def per_seed(x, y):  # median over the steps of y / x, 0/0 counted as 1
        q = np.ones_like(x)
        both = (x == 0) & (y == 0)
        q[~both] = y[~both] / x[~both]
        return np.sort(q, axis=1)[:, (q.shape[1] - 1) // 2] if q.shape[1] % 2 else \
            np.sort(q, axis=1)[:, q.shape[1] // 2 - 1:q.shape[1] // 2 + 1].mean(axis=1)

    q, qn = per_seed(a, b), per_seed(c, b)
    if (q > factor).all():
        want, said = Outcome.HOLDS, "sits lower"
    elif (q < 1 / factor).all():
        want, said = Outcome.REVERSED, "sits higher"
    else:
        want, said = Outcome.NO_EFFECT, "no clear difference"
    out += _outcome(v, want) + _absent(v, *(w for w in judged if w != said))
    out += expect(said in v.text, f"the text does not say {said!r}")
    out += expect(_has(v.text, float(np.median(q)), num) and _has(v.text, float(np.median(qn)),
                                                                  num),
                  "the median ratios quoted differ from the recomputed ones")
    ok = np.isfinite(a).all(axis=0) & np.isfinite(b).all(axis=0)
    below = int(np.sum(ok & (a.max(axis=0) < b.min(axis=0))))
    above = int(np.sum(ok & (a.min(axis=0) > b.max(axis=0))))
    out += expect(f"below at {below}, above at {above} of {int(ok.sum())} " in v.text,
                  f"band counts: want below {below}, above {above}")
    return out


ORACLES = {
    "covariate_shift.noisy_bn.noisy": noisy,
    "covariate_shift.black_cats.shift": shift,
    "covariate_shift.black_cats.adabn": adabn,
    "covariate_shift.moving_inputs.drift": drift,
    "covariate_shift.moving_inputs.pinning": pinning,
    "covariate_shift.mini_batch_noise.noise_law": noise_law,
    "covariate_shift.mini_batch_noise.regularisation": regularisation,
    "covariate_shift.smoother_landscape.lower": landscape_lower,
}
