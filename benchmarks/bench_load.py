"""Load benchmark: N viewers moving a view-only slider over Streamlit's websocket protocol.

Starts the app on a free loopback port (or ``--replicas N``: N app processes behind HAProxy,
``deploy/cluster.py``; or uses ``--url``, e.g. a running balancer), opens ``--viewers``
sessions (``tests/ws_client.py``: the real ``/_stcore/stream`` protocol, ``rerun_script``
BackMsgs with widget states, no browser); each viewer opens the page and moves the page's
main view-only slider ``--moves`` times, with a think time of ``--think`` s (±50 %, seeded)
between moves. Prints, per workload: p50 / p95 / max rerun latency, the server's CPU time per
view rerun (read once every viewer has opened the page, so the first loads are a figure of
their own) as a ratio to the trivial page of the same run, exceptions, failed sessions and
the server's peak RSS. Bounded: at most 200 viewers × 50 moves, and ``--deadline`` seconds
per workload.

    python benchmarks/bench_load.py --all --viewers 30 --moves 5 --think 2   # every tab
    python benchmarks/bench_load.py --page 'testtime/Boundaries' --viewers 3 --moves 2
    python benchmarks/bench_load.py --config runner.postScriptGC=false   # a server option
    python benchmarks/bench_load.py --replicas 2 --viewers 60            # default tabs

Through a balancer (``--replicas`` or ``--url``) every viewer first loads the page over HTTP,
as a browser does, and keeps the affinity cookie for its websocket; CPU and peak RSS are
summed / maxed over the replicas (``--pids`` with ``--url``).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.workloads import TRIVIAL, Workload, every_tab  # noqa: E402
from tests.browser_helpers import free_port  # noqa: E402
from tests.ws_client import Session  # noqa: E402

WORKLOADS: dict[str, Workload] = {"trivial": TRIVIAL, **{w.name: w for w in every_tab()}}
DEFAULT_TABS = [w.name for w in every_tab() if not w.query]


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    first_loads: list[float] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    failed: int = 0
    cpu: float = 0.0  # server CPU seconds over the moves (every viewer has loaded the page)
    reruns: int = 0  # the moves' reruns (``cpu`` per rerun is the figure compared)
    load_cpu: float = 0.0  # server CPU seconds while the viewers opened the page
    peak_rss_mb: float = 0.0
    wall: float = 0.0


class Server:
    """``streamlit run`` on a free loopback port (``env`` added to its environment, e.g. a
    presenter key); CPU and peak RSS read from /proc."""

    def __init__(self, script: str, config: list[str], env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        flags = [f"--{c.split('=', 1)[0]}={c.split('=', 1)[1]}" for c in config]
        self.cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.headless=true",
                    f"--server.port={self.port}", "--server.address=127.0.0.1",
                    "--server.fileWatcherType=none", "--browser.gatherUsageStats=false",
                    *flags]
        self.env = {**os.environ, **(env or {})}
        self.log = tempfile.TemporaryFile()
        self.proc = None

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("server did not start")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    def cpu(self) -> float:
        """User + system CPU seconds of the server so far."""
        return proc_cpu(self.proc.pid)

    def peak_rss_mb(self) -> float:
        return proc_peak_rss_mb(self.proc.pid)


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_async(coro):
    """``asyncio.run(coro)``, in a fresh thread when this thread already runs an event loop
    (Playwright's sync API, used by the browser tests in the same pytest process, leaves one
    running in the main thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


class Phases:
    """The barrier between opening the page and moving the slider: the viewers open the
    page (staggered over one think time), the server's CPU is read when the last one has
    (or has failed), then every viewer moves. So the CPU per rerun is that of the view
    reruns alone, and the first loads' CPU is a figure of its own."""

    def __init__(self, viewers: int, cpu):
        self.waiting, self.cpu = viewers, cpu
        self.go = asyncio.Event()
        self.t0 = self.c0 = 0.0

    def arrived(self) -> None:
        self.waiting -= 1
        if self.waiting <= 0 and not self.go.is_set():
            self.c0, self.t0 = self.cpu(), time.perf_counter()
            self.go.set()


async def viewer(url: str, w: Workload, moves: int, think: float, rng: random.Random,
                 res: Result, start_delay: float, load_page: bool = False,
                 phases: Phases | None = None) -> None:
    await asyncio.sleep(start_delay)
    s = Session(url, w.path, w.query)
    arrived = False
    try:
        if load_page:  # behind a balancer: the page's HTML first (the affinity cookie)
            await s.load_page()
        await s.connect()
        first = await s.rerun()
        res.first_loads.append(first.seconds)
        res.exceptions += first.exceptions
        if phases is not None:
            arrived = True
            phases.arrived()
            await phases.go.wait()
        for _ in range(moves):
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))
            if w.key is None:  # no view-only control on this tab: the student reloads it
                r = await s.rerun()
            else:
                r = await s.set_widget(w.key, rng.choice(w.values))
            res.latencies.append(r.seconds)
            res.exceptions += r.exceptions
    except Exception as exc:  # a failed session is a result, not a crash of the benchmark
        res.failed += 1
        res.exceptions.append(f"session failed: {type(exc).__name__}: {exc}")
    finally:
        if phases is not None and not arrived:
            phases.arrived()
        await s.close()


async def drive(url: str, w: Workload, viewers: int, moves: int, think: float, seed: int,
                deadline: float, res: Result, load_page: bool = False,
                phases: Phases | None = None) -> None:
    rng = random.Random(seed)
    tasks = [viewer(url, w, moves, think, random.Random(rng.random()), res,
                    start_delay=think * i / max(viewers, 1), load_page=load_page,
                    phases=phases)
             for i in range(viewers)]
    await asyncio.wait_for(asyncio.gather(*tasks), deadline)


def run_page(name: str, viewers: int, moves: int, think: float, config: list[str],
             url: str | None = None, pids: list[int] | None = None, seed: int = 0,
             deadline: float = 600.0, balanced: bool = False) -> Result:
    """Measure one workload against the server(s) at ``url`` (``pids``: whose CPU and RSS to
    read); without ``url``, on a server of its own. ``balanced``: behind a balancer (each
    viewer loads the page's HTML first, for the affinity cookie)."""
    viewers, moves = min(viewers, 200), min(moves, 50)
    w = WORKLOADS[name]
    if url is None:
        with Server(w.script, config) as srv:
            return run_page(name, viewers, moves, think, config, srv.url, [srv.proc.pid],
                            seed, deadline)
    pids = pids or []
    res = Result()
    cpu = lambda: sum(proc_cpu(p) for p in pids)  # noqa: E731
    # warm-up: one viewer per replica opens the page once (trains, fills its cache)
    run_async(drive(url, w, max(len(pids), 1), 1, 0.0, seed + 1, deadline, Result(),
                    load_page=balanced))
    c_open = cpu()
    phases = Phases(viewers, cpu)
    try:
        run_async(drive(url, w, viewers, moves, think, seed, deadline, res, load_page=balanced,
                        phases=phases))
    except TimeoutError:
        res.failed += viewers - len(res.first_loads)
        res.exceptions.append(f"deadline of {deadline:.0f} s reached")
    if not phases.go.is_set():  # nobody got past the page's opening
        phases.c0, phases.t0 = cpu(), time.perf_counter()
    res.wall = time.perf_counter() - phases.t0
    res.cpu = cpu() - phases.c0
    res.load_cpu = phases.c0 - c_open
    res.reruns = len(res.latencies)
    res.peak_rss_mb = max((proc_peak_rss_mb(p) for p in pids), default=0.0)
    return res


TARGETS = {"ratio": 5.0, "p95": 1.0, "rss": 400.0}  # CPU ratio to trivial, seconds, MB


def p95(res: Result) -> float:
    lat = sorted(res.latencies) or [float("nan")]
    return lat[min(len(lat) - 1, int(0.95 * len(lat)))]


def cpu_ms(res: Result) -> float:
    return 1000 * res.cpu / max(res.reruns, 1)


def report(name: str, res: Result, floor_ms: float | None = None) -> str:
    lat = sorted(res.latencies) or [float("nan")]
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
    ratio = f"  {cpu_ms(res) / floor_ms:5.1f}× trivial" if floor_ms else ""
    return (f"{name:42s} reruns {len(res.latencies):4d}  p50 {1000 * p(0.5):6.0f} ms  "
            f"p95 {1000 * p(0.95):6.0f} ms  max {1000 * lat[-1]:6.0f} ms  "
            f"first load p50 {statistics.median(res.first_loads or [0]):5.2f} s  "
            f"CPU/rerun {cpu_ms(res):5.1f} ms{ratio}  "
            f"CPU/first load {1000 * res.load_cpu / max(len(res.first_loads), 1):4.0f} ms  "
            f"peak RSS {res.peak_rss_mb:4.0f} MB  "
            f"errors {len(res.exceptions) + res.failed}")


def run_all(names: list[str], viewers: int, moves: int, think: float, config: list[str],
            replicas: int = 0, deadline: float = 600.0, seed: int = 0,
            out=print) -> dict[str, Result]:
    """Every workload in ``names``, one server (or one cluster of ``replicas``) per script,
    shared by the workloads in turn as a class shares one hosted link. Prints a line per
    workload as it ends; the trivial page first (the ratio's floor), measured in the same
    run."""
    results: dict[str, Result] = {}
    floor = None
    by_script: dict[str, list[str]] = {}
    for n in (["trivial"] if "trivial" not in names else []) + names:
        by_script.setdefault(WORKLOADS[n].script, []).append(n)
    for script in sorted(by_script, key=lambda sc: sc != TRIVIAL.script):
        def go(url, pids, script=script):
            nonlocal floor
            for n in by_script[script]:
                res = run_page(n, viewers, moves, think, config, url, pids, seed=seed,
                               deadline=deadline, balanced=replicas > 0)
                results[n] = res
                if n == "trivial":
                    floor = cpu_ms(res)
                out(report(n + (f" ×{replicas}" if replicas else ""), res, floor))
                for e in res.exceptions[:3]:
                    out("    " + e[:300])

        if replicas > 0:
            from deploy.cluster import Cluster

            with Cluster(replicas, script=script, config=tuple(config)) as c:
                go(c.url, c.pids())
        else:
            with Server(script, config) as srv:
                go(srv.url, [srv.proc.pid])
    return results


def verdicts(results: dict[str, Result], names: list[str], p95_only: bool = False) -> list[str]:
    """The hall line and one line per target: met, or the workloads that miss it."""
    floor = cpu_ms(results["trivial"])
    tabs = [n for n in names if n != "trivial"]
    if not tabs:
        return []
    ratio = {n: cpu_ms(results[n]) / floor for n in tabs}
    worst_p = max(tabs, key=lambda n: p95(results[n]))
    worst_r = max(tabs, key=ratio.get)
    errors = sum(len(results[n].exceptions) + results[n].failed for n in tabs)
    rss = max(results[n].peak_rss_mb for n in results)
    lines = [f"hall: {len(tabs)} workloads, worst p95 {1000 * p95(results[worst_p]):.0f} ms "
             f"({worst_p}), worst CPU ratio {ratio[worst_r]:.1f}× ({worst_r}), errors {errors}"]

    def line(what: str, misses: list[str]) -> str:
        return f"target {what}: " + ("met" if not misses else "MISSED by " + ", ".join(misses))

    lines.append(line(f"p95 ≤ {TARGETS['p95']:.0f} s on every workload",
                      [f"{n} {1000 * p95(results[n]):.0f} ms" for n in tabs
                       if not p95(results[n]) <= TARGETS["p95"]]))
    lines.append(line("0 errors", [n for n in tabs
                                   if results[n].exceptions or results[n].failed]))
    if not p95_only:
        lines.append(line(f"CPU per rerun ≤ {TARGETS['ratio']:.0f}× trivial",
                          [f"{n} {ratio[n]:.1f}×" for n in tabs
                           if not ratio[n] <= TARGETS["ratio"]]))
        lines.append(line(f"peak RSS ≤ {TARGETS['rss']:.0f} MB",
                          [] if rss <= TARGETS["rss"] else [f"{rss:.0f} MB"]))
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--page", action="append", choices=sorted(WORKLOADS), metavar="WORKLOAD",
                    help="workload(s), e.g. 'testtime/Boundaries' (see --list); "
                         "default: every page's default tab")
    ap.add_argument("--all", action="store_true",
                    help="every tab of every page (its main view-only slider)")
    ap.add_argument("--list", action="store_true", help="print the workloads and stop")
    ap.add_argument("--viewers", type=int, default=30)
    ap.add_argument("--moves", type=int, default=5)
    ap.add_argument("--think", type=float, default=2.0, help="seconds between moves (±50 %%)")
    ap.add_argument("--config", action="append", default=[],
                    help="server option, e.g. runner.postScriptGC=false")
    ap.add_argument("--url", help="an already running app (loopback), e.g. the balancer")
    ap.add_argument("--pids", type=int, nargs="*", default=[],
                    help="with --url: the server processes whose CPU and RSS to read")
    ap.add_argument("--deadline", type=float, default=600.0, help="seconds per workload")
    ap.add_argument("--replicas", type=int, default=0,
                    help="app processes behind HAProxy (deploy/cluster.py), e.g. 2; "
                         "0: one server, no balancer (default)")
    a = ap.parse_args(argv)
    if a.list:
        for n, w in WORKLOADS.items():
            print(f"{n:42s} {w.key or '(reload: no view-only control)'}")
        return 0
    if not 0 <= a.replicas <= 16 or (a.url and a.replicas):
        ap.error("--replicas: 0 to 16, not with --url")
    if a.url and not a.url.startswith(("http://127.0.0.1", "http://localhost")):
        ap.error("loopback only")
    names = ([n for n in WORKLOADS if n != "trivial"] if a.all
             else a.page or DEFAULT_TABS)
    print(f"{a.viewers} viewers × {a.moves} moves, think {a.think} s, config {a.config or '-'}"
          f"{', via ' + a.url if a.url else ''}"
          f"{f', {a.replicas} replicas behind HAProxy' if a.replicas else ''}", flush=True)
    if a.url:
        results = {}
        for n in ["trivial", *names] if "trivial" not in names else names:
            results[n] = run_page(n, a.viewers, a.moves, a.think, a.config, a.url, a.pids,
                                  deadline=a.deadline, balanced=True)
            print(report(n, results[n], cpu_ms(results["trivial"])), flush=True)
    else:
        results = run_all(names, a.viewers, a.moves, a.think, a.config, a.replicas,
                          a.deadline, out=lambda line: print(line, flush=True))
    lines = verdicts(results, [n for n in names if n != "trivial"], p95_only=a.replicas > 1)
    for line in lines:
        print(line)
    return 1 if any("MISSED" in line for line in lines) else 0


if __name__ == "__main__":
    raise SystemExit(main())
