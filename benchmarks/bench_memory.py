"""Memory benchmark: the server's RSS over many distinct view and training settings.

Issue 12's memory targets: memory flat (within 10 %) over 1,000 distinct view settings, and
bounded over 100 distinct training settings (every cache has a size limit). Three parts:

1. **Caches**: every ``st.cache_data`` / ``st.cache_resource`` in ``bnsim/ui/``, ``app.py`` and
   ``pages/`` and its ``max_entries`` (read from the source; one without is unbounded).
2. **Views**: starts the app on a free loopback port, opens ``--sessions`` viewers of
   *Running statistics* over the websocket protocol (``tests/ws_client.py``) and moves the
   view-only β_EMA slider through ``--views`` distinct values (0.000, 0.001, … 0.999, spread
   over the viewers), sampling the server's RSS every 100 settings. Flat: the RSS after the
   last setting is within 10 % of the RSS after the first 100 (caches warm).
3. **Trainings**: a fresh server; one viewer per page moves the page's seed through
   ``--trainings`` distinct values (each one retrains), sampling RSS every 10. Bounded: after
   the training cache is full (24 entries on Running statistics), RSS stops growing — the
   last sample is compared with the one at 50.

Bounded in count and time (``--deadline`` per part); loopback only.

    python benchmarks/bench_memory.py                       # 1,000 views, 100 trainings
    python benchmarks/bench_memory.py --views 200 --trainings 30 --page testtime
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_load import Server, proc_peak_rss_mb  # noqa: E402
from tests.ws_client import Session  # noqa: E402

FLAT = 0.10  # the "within 10 %"


@dataclass(frozen=True)
class TrainingLoad:
    """A page and its control that retrains (a number input), with its largest value."""

    path: str
    key: str
    top: int


TRAININGS = {
    "running_stats": TrainingLoad("Running_statistics", "seed", 9999),
    "testtime": TrainingLoad("Train_vs_test", "seed", 99),
    "covariate_shift": TrainingLoad("Covariate_shift", "seed", 99),
    "inside_layer": TrainingLoad("Inside_a_BN_layer", "seed", 99),
}


# ---------------------------------------------------------------- 1. cache limits
def caches(root: Path = ROOT) -> list[tuple[str, int, str, int | None]]:
    """Every ``st.cache_data`` / ``st.cache_resource`` decorator: (file, line, kind,
    max_entries or None when there is no limit)."""
    files = [*sorted((root / "bnsim" / "ui").glob("*.py")), root / "app.py",
             *sorted((root / "pages").glob("*.py"))]
    found = []
    for f in files:
        for node in ast.walk(ast.parse(f.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for dec in node.decorator_list:
                call = dec if isinstance(dec, ast.Call) else None
                target = call.func if call else dec
                kind = getattr(target, "attr", "")
                if kind not in ("cache_data", "cache_resource"):
                    continue
                limit = next((kw.value for kw in (call.keywords if call else [])
                              if kw.arg == "max_entries"), None)
                value = limit.value if isinstance(limit, ast.Constant) else None
                found.append((f"{f.relative_to(root)}:{node.name}", dec.lineno, kind, value))
    return found


# ---------------------------------------------------------------- RSS
def rss_mb(pid: int) -> float:
    """Current resident set size of ``pid`` in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# ---------------------------------------------------------------- 2. views
async def views(url: str, pid: int, n: int, sessions: int, deadline: float
                ) -> tuple[list[tuple[int, float]], int]:
    """Move β_EMA through ``n`` distinct values over ``sessions`` viewers; RSS every 100."""
    values = [round(i / 1000, 3) for i in range(min(n, 1000))]
    viewers = [Session(url, "Running_statistics", timeout=120) for _ in range(sessions)]
    samples, errors = [], 0
    t_end = time.monotonic() + deadline
    try:
        for s in viewers:
            await s.connect()
            errors += len((await s.rerun()).exceptions)
        samples.append((0, rss_mb(pid)))
        for start in range(0, len(values), 100):
            chunk = values[start:start + 100]

            async def move(s: Session, mine: list[float]) -> int:
                bad = 0
                for v in mine:
                    bad += len((await s.set_widget("ema_beta", v)).exceptions)
                return bad

            errors += sum(await asyncio.gather(*(move(s, chunk[i::sessions])
                                                 for i, s in enumerate(viewers))))
            samples.append((start + len(chunk), rss_mb(pid)))
            print(f"  {start + len(chunk):5d} view settings   RSS {samples[-1][1]:6.1f} MB",
                  flush=True)
            if time.monotonic() > t_end:
                print("  deadline reached")
                break
    finally:
        for s in viewers:
            await s.close()
    return samples, errors


# ---------------------------------------------------------------- 3. trainings
async def trainings(url: str, pid: int, load: TrainingLoad, n: int, deadline: float
                    ) -> tuple[list[tuple[int, float]], int]:
    """Move the page's seed through ``n`` distinct values (the first run is seed 0)."""
    s = Session(url, load.path, timeout=300)
    samples, errors = [], 0
    t_end = time.monotonic() + deadline
    try:
        await s.connect()
        errors += len((await s.rerun()).exceptions)
        samples.append((1, rss_mb(pid)))
        for i in range(1, min(n, load.top + 1)):
            errors += len((await s.set_widget(load.key, i)).exceptions)
            if (i + 1) % 10 == 0:
                samples.append((i + 1, rss_mb(pid)))
                print(f"  {i + 1:5d} training settings   RSS {samples[-1][1]:6.1f} MB",
                      flush=True)
            if time.monotonic() > t_end:
                print("  deadline reached")
                break
    finally:
        await s.close()
    return samples, errors


def growth(samples: list[tuple[int, float]], after: int) -> tuple[float, float, float]:
    """(RSS at the first sample ≥ ``after``, RSS at the last sample, relative growth)."""
    base = next((r for k, r in samples if k >= after), samples[-1][1])
    last = samples[-1][1]
    return base, last, last / base - 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--views", type=int, default=1000, help="distinct β_EMA values (≤ 1000)")
    ap.add_argument("--sessions", type=int, default=4, help="viewers sharing the view moves")
    ap.add_argument("--trainings", type=int, default=100, help="distinct seeds")
    ap.add_argument("--page", action="append", choices=sorted(TRAININGS),
                    help="page(s) for the training part; default: running_stats")
    ap.add_argument("--config", action="append", default=[],
                    help="server option, e.g. runner.postScriptGC=true")
    ap.add_argument("--deadline", type=float, default=900.0, help="seconds per part")
    a = ap.parse_args(argv)
    a.sessions = max(1, min(a.sessions, 20))
    failed = 0

    print("1. caches (bnsim/ui, app.py, pages)")
    found = caches()
    for where, line, kind, limit in found:
        print(f"  {kind:14s} max_entries={limit!s:5s} {where} (line {line})")
    unbounded = [c for c in found if c[3] is None]
    print(f"  {len(found)} caches, {len(unbounded)} without max_entries"
          + (": " + ", ".join(c[0] for c in unbounded) if unbounded else ""))
    failed += bool(unbounded)

    if a.views > 0:
        print(f"2. {a.views} view settings (β_EMA) over {a.sessions} viewers, "
              f"config {a.config or '-'}")
        t0 = time.perf_counter()
        with Server("app.py", a.config) as srv:
            samples, errors = asyncio.run(views(srv.url, srv.proc.pid, a.views, a.sessions,
                                                a.deadline))
            peak = proc_peak_rss_mb(srv.proc.pid)
        base, last, g = growth(samples, 100)
        verdict = "flat" if abs(g) <= FLAT else "NOT flat"
        print(f"  RSS after the first run {samples[0][1]:.1f} MB, after 100 settings "
              f"{base:.1f} MB, after {samples[-1][0]} {last:.1f} MB: {g:+.1%} ({verdict} "
              f"within {FLAT:.0%}); peak {peak:.1f} MB; exceptions {errors}; "
              f"{time.perf_counter() - t0:.0f} s")
        failed += abs(g) > FLAT or errors > 0

    for name in (a.page or ["running_stats"]) if a.trainings > 0 else []:
        load = TRAININGS[name]
        print(f"3. {a.trainings} training settings ({load.key} on /{load.path})")
        t0 = time.perf_counter()
        with Server("app.py", a.config) as srv:
            samples, errors = asyncio.run(trainings(srv.url, srv.proc.pid, load, a.trainings,
                                                    a.deadline))
            peak = proc_peak_rss_mb(srv.proc.pid)
        base, last, g = growth(samples, 50)
        verdict = "bounded" if g <= FLAT else "still GROWING"
        print(f"  RSS after 1 training {samples[0][1]:.1f} MB, after 50 {base:.1f} MB, after "
              f"{samples[-1][0]} {last:.1f} MB: {g:+.1%} over the last half ({verdict}); peak "
              f"{peak:.1f} MB; exceptions {errors}; {time.perf_counter() - t0:.0f} s")
        failed += g > FLAT or errors > 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
