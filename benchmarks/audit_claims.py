"""Claims audit: every sentence that judges, at settings all over the control space.

Samples settings of every lesson page — every tab equally often, every control (its extremes
with probability 1/4), seeds varied — opens each as a link in Streamlit's page test
(``AppTest``, the real page script), collects every verdict the page made
(:func:`bnsim.verdict.recording`) and checks each against its **oracle**
(``benchmarks/claim_oracles/<lesson>.py``): a recomputation from the raw arrays the verdict
carries, written apart from the code that made the claim. It also fails a setting whose page
shows a traceback or an unexpected error. Prints one line per page, every violation as a link,
and a last line ``audit: N settings, C claims checked, V violations``.

Training is the costly part: the Data, Network and Training controls of each page are drawn
from a pool of ``--pool`` combinations (defaults, each control's extremes, random values and
seeds), the View controls freely, so ``--n`` settings cost ``--pool`` trainings per page.

    python benchmarks/audit_claims.py                         # 1,000 settings per page
    python benchmarks/audit_claims.py --page testtime --n 100 --pool 8
    python benchmarks/audit_claims.py --docs       # rewrite docs/claims.md from the register
"""

from __future__ import annotations

import argparse
import importlib
import random
import sys
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bnsim import verdict  # noqa: E402
from bnsim.ui import page  # noqa: E402
from bnsim.ui.control import Control  # noqa: E402
from bnsim.ui.home import STEMS, lesson, script  # noqa: E402

Oracle = Callable[[verdict.Verdict], list[str]]  # the problems it found ([]: the claim is true)
TRAINING_GROUPS = ("Data", "Network", "Training")
EXTREME = 0.25  # probability that a control is set to one of its extremes


# ---------------------------------------------------------------- values of a control
def grid(c: Control) -> list:
    """Every value a student can reach with ``c`` (option keys; numbers on the slider's grid,
    at most 400 of them, always with both ends)."""
    if c.kind == "toggle":
        return [False, True]
    if c.kind in ("select", "radio"):
        return list(c.options)
    if c.kind == "multiselect":
        keys = list(c.options)
        return [keys[:i] for i in range(1, len(keys) + 1)] + [keys[-1:]]
    n = round((c.max - c.min) / c.step)
    ks = range(n + 1) if n <= 400 else sorted({0, n, *range(0, n + 1, max(1, n // 400))})
    as_int = isinstance(c.default, int)
    return [int(round(c.min + k * c.step)) if as_int else round(c.min + k * c.step, 10)
            for k in ks]


def draw(c: Control, rng: random.Random):
    """One value of ``c``: an extreme with probability :data:`EXTREME`, else any value."""
    values = grid(c)
    if rng.random() < EXTREME:
        return rng.choice([values[0], values[-1]])
    return rng.choice(values)


def url_value(c: Control, value) -> str | list[str]:
    """``value`` (option keys) as the link writes it."""
    shown = c.to_widget(value)
    if c.kind == "toggle":
        return "true" if shown else "false"
    if c.kind == "multiselect":
        return list(shown)
    if isinstance(shown, float):
        return f"{shown:.10g}"
    return str(shown)


# ---------------------------------------------------------------- settings
@dataclass(frozen=True)
class Setting:
    """One point of a page's control space: the open tab and {key: value} (option keys) of
    the controls that differ from their defaults."""

    stem: str
    tab: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def query(self) -> dict[str, str | list[str]]:
        lsn = lesson(self.stem)
        declared = {c.key: c for c in lsn.all_controls}
        return {lsn.tab_key: self.tab} | {k: url_value(declared[k], v)
                                          for k, v in self.values.items()}

    def url(self) -> str:
        """The link that opens this setting (relative to the app's address)."""
        path = page.url_path(script(self.stem))
        return f"/{path}?" + urllib.parse.urlencode(self.query(), doseq=True)


def training_pool(stem: str, size: int, rng: random.Random) -> list[dict]:
    """``size`` combinations of the page's Data/Network/Training controls: the defaults, then
    each one moved to an extreme alone (as many as fit), then random draws."""
    costly = [c for c in lesson(stem).all_controls if c.group in TRAINING_GROUPS]
    pool: list[dict] = [{}]
    singles = [{c.key: end} for c in costly for end in (grid(c)[0], grid(c)[-1])
               if end != c.default]
    rng.shuffle(singles)
    pool += singles[: max(0, size // 2 - 1)]
    while len(pool) < size:
        pool.append({c.key: draw(c, rng) for c in costly if rng.random() < 0.5})
    return pool[:size]


def settings(stem: str, n: int, pool_size: int, seed: int = 0) -> list[Setting]:
    """``n`` settings of page ``stem``: tabs in turn, training controls from the pool, every
    View control drawn anew."""
    rng = random.Random(f"{stem}-{seed}")
    lsn = lesson(stem)
    pool = training_pool(stem, pool_size, rng)
    view = [c for c in lsn.all_controls if c.group not in TRAINING_GROUPS]
    out = []
    for i in range(n):
        tab = lsn.tabs[i % len(lsn.tabs)]
        values = dict(rng.choice(pool))
        values.update({c.key: draw(c, rng) for c in view if rng.random() < 0.7})
        out.append(Setting(stem, tab.title, values))
    return out


# ---------------------------------------------------------------- one setting, rendered
def oracles() -> dict[str, Oracle]:
    """Every claim's oracle, from ``benchmarks/claim_oracles/<stem>.py``."""
    found: dict[str, Oracle] = {}
    for stem in STEMS:
        module = importlib.import_module(f"benchmarks.claim_oracles.{stem}")
        found.update(module.ORACLES)
    return found


@dataclass
class Rendered:
    setting: Setting
    verdicts: list[verdict.Verdict]
    problems: list[str]  # the page's own (exceptions, unexpected errors)
    seconds: float


def render(s: Setting, timeout: float = 600) -> Rendered:
    """Open ``s`` as a link in a fresh page test; the verdicts it made and its problems."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / script(s.stem)), default_timeout=timeout)
    at.query_params.update(s.query())
    t0 = time.perf_counter()
    with verdict.recording() as made:
        at.run()
    problems = [f"exception on screen: {e.value}" for e in at.exception]
    problems += [f"error on screen: {e.value}" for e in at.error
                 if "Something went wrong" in str(e.value)]
    return Rendered(s, list(made), problems, time.perf_counter() - t0)


def check(r: Rendered, known: Mapping[str, Oracle]) -> list[str]:
    """The violations of one rendered setting: its page's problems and, per verdict, a
    missing claim id or oracle, a failed precondition that was not heeded, or what the
    claim's oracle found."""
    out = list(r.problems)
    for v in r.verdicts:
        if not v.claim:
            out.append(f"a verdict without a claim id: {v.text!r}")
            continue
        if v.failed is not None and v.outcome is not verdict.Outcome.NOT_APPLICABLE:
            out.append(f"{v.claim}: precondition {v.failed.name!r} fails but the verdict "
                       f"judges ({v.outcome}): {v.text!r}")
        oracle = known.get(v.claim)
        if oracle is None:
            out.append(f"{v.claim}: no oracle")
            continue
        out += [f"{v.claim}: {p} — {v.text!r}" for p in oracle(v)]
    return out


@dataclass
class PageAudit:
    stem: str
    settings: int = 0
    claims: int = 0
    violations: list[tuple[str, str]] = field(default_factory=list)  # (url, problem)
    seconds: float = 0.0
    by_claim: dict[str, int] = field(default_factory=dict)


def audit(stem: str, chosen: Sequence[Setting], known: Mapping[str, Oracle] | None = None,
          progress: bool = False) -> PageAudit:
    known = oracles() if known is None else known
    result = PageAudit(stem)
    t0 = time.perf_counter()
    for i, s in enumerate(chosen):
        r = render(s)
        result.settings += 1
        result.claims += len(r.verdicts)
        for v in r.verdicts:
            result.by_claim[v.claim] = result.by_claim.get(v.claim, 0) + 1
        result.violations += [(s.url(), p) for p in check(r, known)]
        if progress and (i + 1) % 50 == 0:
            print(f"  {stem}: {i + 1}/{len(chosen)} settings, {len(result.violations)} "
                  f"violations, {time.perf_counter() - t0:.0f} s", flush=True)
    result.seconds = time.perf_counter() - t0
    return result


# ---------------------------------------------------------------- docs/claims.md
DOCS = ROOT / "docs" / "claims.md"
DOCS_HEAD = """# Every claim the app makes

A lecturer's read: every sentence that states a result is one of these claims. Each is
computed from the numbers on screen (`bnsim.verdict.Verdict`), says so only when its
**preconditions** hold — otherwise the screen says what happens instead — and uses each
thresholded word as the glossary defines it. `benchmarks/audit_claims.py` checks every claim at
1,000 settings per page against an independent recomputation; `tests/test_claims_audit.py` does
the same at about 100 settings per page in the test suite.

This file is generated from the claims' register (`python benchmarks/audit_claims.py --docs`);
`tests/test_claims_audit.py` fails when it is out of date.

## Words with a threshold

| word | meaning |
|---|---|
"""


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def claims_doc() -> str:
    """``docs/claims.md`` as the register says it."""
    for stem in STEMS:
        lesson(stem)  # importing a lesson registers its claims and words
    lines = [DOCS_HEAD.rstrip("\n")]
    words = sorted(verdict.WORDS.values(), key=lambda w: w.term.lower())
    lines += [f"| *{_cell(w.term)}* | {_cell(w.meaning)} |" for w in words
              if not w.term.startswith("test ")]  # tests define "test …" words
    for stem in STEMS:
        rows = [c for c in verdict.CLAIMS.values() if c.id.split(".")[0] == stem]
        lines += ["", f"## {lesson(stem).title}", "",
                  "| claim | where | words | preconditions | threshold | test |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| `{c.id}` | {_cell(c.where)} | {_cell(c.words)} | "
                  f"{_cell('; '.join(c.preconditions)) or '—'} | {_cell(c.threshold) or '—'} | "
                  f"{_cell(c.test) or '—'} |" for c in sorted(rows, key=lambda c: c.id)]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--page", choices=STEMS, action="append", help="default: every page")
    ap.add_argument("--n", type=int, default=1000, help="settings per page (default 1000)")
    ap.add_argument("--pool", type=int, default=40, help="training combinations per page")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--show", type=int, default=20, help="violations listed per page")
    ap.add_argument("--docs", action="store_true", help="rewrite docs/claims.md and stop")
    args = ap.parse_args(argv)
    if args.docs:
        DOCS.parent.mkdir(exist_ok=True)
        DOCS.write_text(claims_doc(), encoding="utf-8")
        print(f"wrote {DOCS.relative_to(ROOT)}: {len(verdict.CLAIMS)} claims, "
              f"{len(verdict.WORDS)} words")
        return 0
    if not 1 <= args.n <= 20000 or not 1 <= args.pool <= args.n:
        ap.error("--n must be in 1 … 20000 and --pool in 1 … --n")
    known = oracles()
    total = PageAudit("all")
    for stem in args.page or STEMS:
        r = audit(stem, settings(stem, args.n, args.pool, args.seed), known, progress=True)
        print(f"{stem}: {r.settings} settings, {r.claims} claims checked "
              f"({len(r.by_claim)} kinds), {len(r.violations)} violations, "
              f"{r.seconds:.0f} s", flush=True)
        for url, problem in r.violations[: args.show]:
            print(f"  VIOLATION {url}\n    {problem}")
        total.settings += r.settings
        total.claims += r.claims
        total.violations += r.violations
    print(f"audit: {total.settings} settings, {total.claims} claims checked, "
          f"{len(total.violations)} violations")
    return 1 if total.violations else 0


if __name__ == "__main__":
    sys.exit(main())
