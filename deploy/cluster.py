"""Several bnsim app processes behind HAProxy, with session affinity and health checks.

Starts ``--replicas`` Streamlit processes (``streamlit run app.py``), each on its own free
loopback port, and Debian's HAProxy in front of them (``deploy/haproxy.cfg.in``): a cookie
(``SERVERID``) pins each viewer's page load, websocket and CSV downloads to one replica,
``/_stcore/health`` is checked every second, and a dead replica's viewers are sent to another.
Waits until every replica is healthy and up in the balancer, prints the URL, and stops
everything on exit, Ctrl-C or SIGTERM. Everything it writes (HAProxy's config and socket, the
replicas' logs) lives in one temporary directory, removed on exit.

    python deploy/cluster.py --replicas 3                  # http://127.0.0.1:<free port>
    python deploy/cluster.py --replicas 8 --port 8501 --host 0.0.0.0   # a bigger machine
    python deploy/cluster.py --backend 10.0.0.2:8501 --backend 10.0.0.3:8501 --port 80
        # replicas already running on other machines: only the balancer runs here

Needs ``haproxy`` on PATH (``apt-get install haproxy``). From Python (tests, benchmarks)::

    with Cluster(replicas=2) as c:
        c.url, c.pids(), c.stats(), c.kill("r1")
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("haproxy.cfg.in")


def haproxy_path() -> str | None:
    """Path of the ``haproxy`` binary (Debian: /usr/sbin, often not on a user's PATH)."""
    return shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/sbin")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def healthy(url: str, timeout: float = 2.0) -> bool:
    """Whether ``url``/_stcore/health answers ``ok``."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@dataclass
class Replica:
    """One app process (or, with ``proc=None``, a replica running elsewhere)."""

    name: str
    address: str  # host:port
    proc: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://{self.address}"


def render_config(servers: list[Replica], bind: str, stats_socket: Path,
                  balance: str = "leastconn") -> str:
    """HAProxy's configuration: the template with the listening address and the servers."""
    lines = "\n".join(f"    server {r.name} {r.address} cookie {r.name}" for r in servers)
    return string.Template(TEMPLATE.read_text()).substitute(
        bind=bind, stats_socket=str(stats_socket), balance=balance, servers=lines)


class Cluster:
    """``replicas`` app processes (or the given ``backends``) behind one HAProxy.

    ``host``/``port``: where the balancer listens (default: a free loopback port).
    ``script``: the Streamlit script every replica runs. ``config``: extra server options
    (``"runner.postScriptGC=false"``). A context manager; :meth:`stop` is idempotent."""

    def __init__(self, replicas: int = 2, *, script: str = "app.py", host: str = "127.0.0.1",
                 port: int = 0, backends: tuple[str, ...] = (), config: tuple[str, ...] = (),
                 balance: str = "leastconn", timeout: float = 120.0):
        if not backends and not 1 <= replicas <= 64:
            raise ValueError("replicas must be between 1 and 64")
        self.n, self.script, self.host = replicas, script, host
        self.port = port or free_port(host)
        self.backends, self.config, self.balance, self.timeout = backends, config, balance, timeout
        self.url = f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{self.port}"
        self.replicas: list[Replica] = []
        self.haproxy: subprocess.Popen | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        # One cookie secret for all replicas, so a signed cookie (XSRF) from one replica is
        # valid on the one a viewer is moved to.
        self._secret = secrets.token_hex(16)

    # ------------------------------------------------------------------ start / stop
    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> Cluster:
        exe = haproxy_path()
        if exe is None:
            raise RuntimeError("haproxy not found: apt-get install haproxy")
        self._tmp = tempfile.TemporaryDirectory(prefix="bnsim-cluster-")
        tmp = Path(self._tmp.name)
        try:
            if self.backends:
                self.replicas = [Replica(f"r{i + 1}", a) for i, a in enumerate(self.backends)]
            else:
                self.replicas = [self._start_replica(f"r{i + 1}", tmp) for i in range(self.n)]
            self._wait(lambda: all(self._replica_ok(r) for r in self.replicas),
                       "replicas did not become healthy")
            cfg = tmp / "haproxy.cfg"
            cfg.write_text(render_config(self.replicas, f"{self.host}:{self.port}",
                                         tmp / "haproxy.sock", self.balance))
            log = open(tmp / "haproxy.log", "wb")  # noqa: SIM115 - closed with the process
            self.haproxy = subprocess.Popen([exe, "-db", "-f", str(cfg)], cwd=tmp,
                                            stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
            log.close()
            self._wait(lambda: self._all_up() and healthy(self.url),
                       "the balancer did not see every replica up")
        except BaseException:
            self.stop()
            raise
        return self

    def _start_replica(self, name: str, tmp: Path) -> Replica:
        port = free_port()
        flags = [f"--{c.split('=', 1)[0]}={c.split('=', 1)[1]}" for c in self.config]
        cmd = [sys.executable, "-m", "streamlit", "run", self.script,
               "--server.headless=true", f"--server.port={port}", "--server.address=127.0.0.1",
               "--server.fileWatcherType=none", "--browser.gatherUsageStats=false", *flags]
        log = tmp / f"{name}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    env={**os.environ, "PYTHONUNBUFFERED": "1",
                                         "STREAMLIT_SERVER_COOKIE_SECRET": self._secret})
        return Replica(name, f"127.0.0.1:{port}", proc, log)

    def _replica_ok(self, r: Replica) -> bool:
        if r.proc is not None and r.proc.poll() is not None:
            raise RuntimeError(f"replica {r.name} exited:\n{r.log.read_text()[-2000:]}")
        return healthy(r.url)

    def _all_up(self) -> bool:
        if self.haproxy.poll() is not None:
            raise RuntimeError("haproxy exited:\n" + self.log_of("haproxy")[-2000:])
        try:
            st = self.stats()
        except OSError:  # the runtime API socket is not there yet
            return False
        return all(st.get(r.name, {}).get("status") == "UP" for r in self.replicas)

    def _wait(self, ok, why: str) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if ok():
                return
            time.sleep(0.2)
        raise RuntimeError(f"{why} within {self.timeout:.0f} s")

    def stop(self) -> None:
        """Stop the balancer and every replica this cluster started; remove the temp dir."""
        procs = [p for p in [self.haproxy, *(r.proc for r in self.replicas)] if p is not None]
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.haproxy = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # ------------------------------------------------------------------ inspect / break
    def pids(self) -> list[int]:
        """Process ids of the running replicas started here (for CPU and RSS)."""
        return [r.proc.pid for r in self.replicas if r.proc is not None and r.proc.poll() is None]

    def kill(self, name: str) -> None:
        """Kill replica ``name`` at once (SIGKILL: a crash, not a shutdown)."""
        r = next(r for r in self.replicas if r.name == name)
        r.proc.kill()
        r.proc.wait()

    def log_of(self, name: str) -> str:
        """What replica ``name`` (or ``"haproxy"``) printed so far."""
        path = Path(self._tmp.name) / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stats(self) -> dict[str, dict[str, str]]:
        """HAProxy's view of each server: ``{"r1": {"status": "UP", "stot": "3", ...}}``
        (``stot``: sessions it received, ``scur``: open ones), from the runtime API."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(Path(self._tmp.name) / "haproxy.sock"))
            sock.sendall(b"show stat\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        lines = data.decode().strip().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:]]
        return {r["svname"]: r for r in rows
                if r.get("pxname") == "replicas" and r["svname"] != "BACKEND"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replicas", type=int, default=2, help="app processes to start")
    ap.add_argument("--host", default="127.0.0.1",
                    help="where the balancer listens (0.0.0.0: every interface)")
    ap.add_argument("--port", type=int, default=0, help="balancer port (default: a free one)")
    ap.add_argument("--script", default="app.py")
    ap.add_argument("--backend", action="append", default=[],
                    help="HOST:PORT of a replica already running elsewhere (repeat); "
                         "then no replica is started here")
    ap.add_argument("--config", action="append", default=[],
                    help="extra Streamlit server option for every replica, e.g. "
                         "runner.postScriptGC=false")
    a = ap.parse_args(argv)

    def on_term(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    t0 = time.perf_counter()
    try:
        with Cluster(a.replicas, script=a.script, host=a.host, port=a.port,
                     backends=tuple(a.backend), config=tuple(a.config)) as c:
            names = ", ".join(f"{r.name} {r.address}" for r in c.replicas)
            print(f"{len(c.replicas)} replica(s) up in {time.perf_counter() - t0:.1f} s "
                  f"({names})\nOpen {c.url}   (Ctrl-C stops everything)", flush=True)
            while True:
                time.sleep(2)
                for r in c.replicas:
                    if r.proc is not None and r.proc.poll() is not None:
                        print(f"replica {r.name} exited (code {r.proc.returncode}); "
                              "its viewers move to the others", flush=True)
                        r.proc = None
    except KeyboardInterrupt:
        print("stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
