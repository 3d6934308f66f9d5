"""Load benchmark: N viewers moving a view-only slider over Streamlit's websocket protocol.

Starts the app on a free loopback port (or ``--replicas N``: N app processes behind HAProxy,
``deploy/cluster.py``; or uses ``--url``, e.g. a running balancer), opens ``--viewers``
sessions (``tests/ws_client.py``: the real ``/_stcore/stream`` protocol, ``rerun_script``
BackMsgs with widget states, no browser); each viewer opens the page and moves the page's
main view-only slider ``--moves`` times, with a think time of ``--think`` s (±50 %, seeded)
between moves. Prints, per page: p50 / p95 / max
rerun latency, the server's CPU time per rerun, exceptions, failed sessions and the server's
peak RSS. Bounded: at most 200 viewers × 50 moves, and ``--deadline`` seconds per page.

    python benchmarks/bench_load.py --viewers 30 --moves 5 --think 2
    python benchmarks/bench_load.py --page running_stats --viewers 3 --moves 2 --think 0.2
    python benchmarks/bench_load.py --config runner.postScriptGC=false   # a server option
    python benchmarks/bench_load.py --page running_stats --replicas 1 2 --viewers 60

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

from tests.browser_helpers import free_port  # noqa: E402
from tests.ws_client import Session  # noqa: E402


@dataclass(frozen=True)
class Workload:
    """A page, the query string it opens with, its main view-only slider and values."""

    script: str
    path: str
    query: str
    key: str
    values: tuple


WORKLOADS = {
    "trivial": Workload("tests/apps/trivial_app.py", "", "", "x", tuple(range(0, 101, 5))),
    "running_stats": Workload("app.py", "Running_statistics", "", "ema_beta",
                              tuple(round(0.5 + 0.025 * i, 3) for i in range(20))),
    "covariate_shift": Workload("app.py", "Covariate_shift", "", "shift",
                                tuple(0.25 * i for i in range(21))),
    "testtime": Workload("app.py", "Train_vs_test", "tab=Skewed+test+batches", "mix",
                         tuple(range(0, 101, 10))),
}


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    first_loads: list[float] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    failed: int = 0
    cpu: float = 0.0
    reruns: int = 0
    peak_rss_mb: float = 0.0
    wall: float = 0.0


class Server:
    """``streamlit run`` on a free loopback port; CPU and peak RSS read from /proc."""

    def __init__(self, script: str, config: list[str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        flags = [f"--{c.split('=', 1)[0]}={c.split('=', 1)[1]}" for c in config]
        self.cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.headless=true",
                    f"--server.port={self.port}", "--server.address=127.0.0.1",
                    "--server.fileWatcherType=none", "--browser.gatherUsageStats=false",
                    *flags]
        self.log = tempfile.TemporaryFile()
        self.proc = None

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
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


async def viewer(url: str, w: Workload, moves: int, think: float, rng: random.Random,
                 res: Result, start_delay: float, load_page: bool = False) -> None:
    await asyncio.sleep(start_delay)
    s = Session(url, w.path, w.query)
    try:
        if load_page:  # behind a balancer: the page's HTML first (the affinity cookie)
            await s.load_page()
        await s.connect()
        first = await s.rerun()
        res.first_loads.append(first.seconds)
        res.exceptions += first.exceptions
        for _ in range(moves):
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))
            r = await s.set_widget(w.key, rng.choice(w.values))
            res.latencies.append(r.seconds)
            res.exceptions += r.exceptions
    except Exception as exc:  # a failed session is a result, not a crash of the benchmark
        res.failed += 1
        res.exceptions.append(f"session failed: {type(exc).__name__}: {exc}")
    finally:
        await s.close()


async def drive(url: str, w: Workload, viewers: int, moves: int, think: float, seed: int,
                deadline: float, res: Result, load_page: bool = False) -> None:
    rng = random.Random(seed)
    tasks = [viewer(url, w, moves, think, random.Random(rng.random()), res,
                    start_delay=think * i / max(viewers, 1), load_page=load_page)
             for i in range(viewers)]
    await asyncio.wait_for(asyncio.gather(*tasks), deadline)


def run_page(name: str, viewers: int, moves: int, think: float, config: list[str],
             url: str | None = None, pids: list[int] | None = None, seed: int = 0,
             deadline: float = 600.0, replicas: int = 0) -> Result:
    """Measure one workload; with ``url`` the server(s) already run (``pids`` for CPU/RSS);
    with ``replicas`` ≥ 1, ``replicas`` app processes behind HAProxy (``deploy/cluster.py``)."""
    viewers, moves = min(viewers, 200), min(moves, 50)
    w = WORKLOADS[name]
    res = Result()

    via = url is not None or replicas > 0  # through a balancer (or someone else's server)

    def go(base: str, cpu, rss) -> None:
        # warm-up: one viewer per replica opens the page once (trains, fills its cache)
        run_async(drive(base, w, max(replicas, 1), 1, 0.0, seed + 1, deadline, Result(),
                          load_page=via))
        c0, t0 = cpu(), time.perf_counter()
        try:
            run_async(drive(base, w, viewers, moves, think, seed, deadline, res,
                              load_page=via))
        except TimeoutError:
            res.failed += viewers - len(res.first_loads)
            res.exceptions.append(f"deadline of {deadline:.0f} s reached")
        res.wall = time.perf_counter() - t0
        res.cpu = cpu() - c0
        res.reruns = len(res.latencies) + len(res.first_loads)
        res.peak_rss_mb = rss()

    if replicas > 0:
        from deploy.cluster import Cluster

        with Cluster(replicas, script=w.script, config=tuple(config)) as c:
            pids = c.pids()
            go(c.url, lambda: sum(proc_cpu(p) for p in pids),
               lambda: max(proc_peak_rss_mb(p) for p in pids))
    elif url is None:
        with Server(w.script, config) as srv:
            go(srv.url, srv.cpu, srv.peak_rss_mb)
    else:
        pids = pids or []
        go(url, lambda: sum(proc_cpu(p) for p in pids),
           lambda: max((proc_peak_rss_mb(p) for p in pids), default=0.0))
    return res


def report(name: str, res: Result) -> str:
    lat = sorted(res.latencies) or [float("nan")]
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
    cpu_ms = 1000 * res.cpu / max(res.reruns, 1)
    return (f"{name:16s} reruns {len(res.latencies):4d}  p50 {p(0.5):6.2f} s  "
            f"p95 {p(0.95):6.2f} s  max {lat[-1]:6.2f} s  "
            f"first load p50 {statistics.median(res.first_loads or [0]):5.2f} s  "
            f"CPU/rerun {cpu_ms:6.0f} ms  peak RSS {res.peak_rss_mb:6.0f} MB  "
            f"exceptions {len(res.exceptions)}  failed sessions {res.failed}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--page", action="append", choices=sorted(WORKLOADS),
                    help="workload(s); default: all four")
    ap.add_argument("--viewers", type=int, default=30)
    ap.add_argument("--moves", type=int, default=5)
    ap.add_argument("--think", type=float, default=2.0, help="seconds between moves (±50 %%)")
    ap.add_argument("--config", action="append", default=[],
                    help="server option, e.g. runner.postScriptGC=false")
    ap.add_argument("--url", help="an already running app (loopback), e.g. the balancer")
    ap.add_argument("--pids", type=int, nargs="*", default=[],
                    help="with --url: the server processes whose CPU and RSS to read")
    ap.add_argument("--deadline", type=float, default=600.0, help="seconds per page")
    ap.add_argument("--replicas", type=int, nargs="+", default=[0],
                    help="app processes behind HAProxy (deploy/cluster.py), e.g. 1 2; "
                         "0: one server, no balancer (default)")
    a = ap.parse_args(argv)
    if any(not 0 <= n <= 16 for n in a.replicas) or (a.url and a.replicas != [0]):
        ap.error("--replicas: 0 to 16, not with --url")
    if a.url and not a.url.startswith(("http://127.0.0.1", "http://localhost")):
        ap.error("loopback only")
    print(f"{a.viewers} viewers × {a.moves} moves, think {a.think} s, config {a.config or '-'}"
          f"{', via ' + a.url if a.url else ''}")
    bad = 0
    for n, name in [(n, p) for n in a.replicas for p in a.page or list(WORKLOADS)]:
        res = run_page(name, a.viewers, a.moves, a.think, a.config, a.url, a.pids,
                       deadline=a.deadline, replicas=n)
        print(report(name + (f" ×{n}" if n else ""), res), flush=True)
        for e in res.exceptions[:3]:
            print("   ", e[:300])
        bad += bool(res.exceptions or res.failed)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
