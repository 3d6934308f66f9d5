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
    BNSIM_PRESENTER_KEY=<a key> python deploy/cluster.py --replicas 2 --rooms
        # "follow the lecturer" across replicas: a local redis-server holds the rooms

The replicas inherit this process's environment (``BNSIM_PRESENTER_KEY``, ``BNSIM_ROOM_TTL``,
...). ``--rooms`` starts a ``redis-server`` beside them (a free loopback port, in the same
temporary directory, nothing saved to disk) and points every replica at it
(``BNSIM_ROOM_STORE=redis://127.0.0.1:<port>/0``), so a lecturer and the students following
the room may be on different replicas.

Needs ``haproxy`` on PATH (``apt-get install haproxy``) and, for ``--rooms``, ``redis-server``
(``apt-get install redis-server``). From Python (tests, benchmarks)::

    with Cluster(replicas=2) as c:
        c.url, c.pids(), c.stats(), c.kill("r1")
    with Cluster(replicas=2, rooms=True, env={"BNSIM_PRESENTER_KEY": "k"}) as c:
        c.redis_url, c.stop_redis(), c.start_redis()   # the same port, empty again
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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("haproxy.cfg.in")


def haproxy_path() -> str | None:
    """Path of the ``haproxy`` binary (Debian: /usr/sbin, often not on a user's PATH)."""
    return shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/sbin")


def redis_server_path() -> str | None:
    """Path of the ``redis-server`` binary (Debian: /usr/bin), ``None`` if not installed."""
    return shutil.which("redis-server") or shutil.which("redis-server",
                                                        path="/usr/bin:/usr/sbin:/bin")


def redis_ping(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    """Whether a Redis server on ``host:port`` answers ``PING``."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisProcess:
    """A ``redis-server`` on 127.0.0.1:``port`` that keeps nothing on disk (``--save ''
    --appendonly no``), logging to ``directory``/redis.log. :meth:`stop` then :meth:`start`
    brings it back on the same port, empty (a crashed and restarted room store)."""

    def __init__(self, directory: Path, port: int = 0, exe: str | None = None,
                 timeout: float = 10.0):
        self.exe = exe or redis_server_path()
        if self.exe is None:
            raise RuntimeError("redis-server not found: apt-get install redis-server")
        self.directory, self.port, self.timeout = Path(directory), port or free_port(), timeout
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> RedisProcess:
        """Start the server (again) and wait until it answers ``PING``."""
        if self.running():
            return self
        cmd = [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", str(self.directory), "--daemonize", "no",
               "--logfile", ""]
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            with open(self.directory / "redis.log", "ab") as log:
                self.proc = subprocess.Popen(cmd, cwd=self.directory, stdin=subprocess.DEVNULL,
                                             stdout=log, stderr=subprocess.STDOUT,
                                             start_new_session=True)
            while time.monotonic() < deadline and self.proc.poll() is None:
                if redis_ping(self.port):
                    return self
                time.sleep(0.05)
            time.sleep(0.2)  # it exited (say, the port was not free again yet): try again
        self.stop()
        raise RuntimeError(f"redis-server on port {self.port} did not answer PING within "
                           f"{self.timeout:.0f} s:\n{self.log()[-2000:]}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL); the rooms it held are gone. Idempotent."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def log(self) -> str:
        path = self.directory / "redis.log"
        return path.read_text(errors="replace") if path.exists() else ""


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
    (``"runner.postScriptGC=false"``). ``env``: environment for the replicas, on top of this
    process's (``{"BNSIM_PRESENTER_KEY": "..."}``). ``rooms``: start a local ``redis-server``
    and set ``BNSIM_ROOM_STORE`` to it for every replica (:attr:`redis_url`). A context
    manager; :meth:`stop` is idempotent."""

    def __init__(self, replicas: int = 2, *, script: str = "app.py", host: str = "127.0.0.1",
                 port: int = 0, backends: tuple[str, ...] = (), config: tuple[str, ...] = (),
                 balance: str = "leastconn", timeout: float = 120.0, rooms: bool = False,
                 env: Mapping[str, str] | None = None):
        if not backends and not 1 <= replicas <= 64:
            raise ValueError("replicas must be between 1 and 64")
        if rooms and backends:
            raise ValueError("rooms=True starts Redis for the replicas started here; replicas "
                             "running elsewhere need BNSIM_ROOM_STORE set where they run")
        self.n, self.script, self.host = replicas, script, host
        self.port = port or free_port(host)
        self.backends, self.config, self.balance, self.timeout = backends, config, balance, timeout
        self.url = f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{self.port}"
        self.replicas: list[Replica] = []
        self.haproxy: subprocess.Popen | None = None
        self.rooms, self.env = rooms, dict(env or {})
        self.redis: RedisProcess | None = None
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
            if self.rooms:
                self.redis = RedisProcess(tmp).start()
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
                                    env=self.replica_env())
        return Replica(name, f"127.0.0.1:{port}", proc, log)

    def replica_env(self) -> dict[str, str]:
        """A replica's environment: this process's, then ``env``, then the cluster's own
        settings (the shared cookie secret; with ``rooms``, the room store)."""
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1",
               "STREAMLIT_SERVER_COOKIE_SECRET": self._secret}
        if self.redis is not None:
            env["BNSIM_ROOM_STORE"] = self.redis.url
        return env

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
        if self.redis is not None:
            self.redis.stop()
            self.redis = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # ------------------------------------------------------------------ inspect / break
    @property
    def redis_url(self) -> str | None:
        """The replicas' room store (``redis://127.0.0.1:<port>/0``), ``None`` without rooms."""
        return None if self.redis is None else self.redis.url

    def stop_redis(self) -> None:
        """Stop the room store (every room is lost; the replicas keep running)."""
        self._need_redis().stop()

    def start_redis(self) -> None:
        """Start the room store again, on the same port, empty."""
        self._need_redis().start()

    def _need_redis(self) -> RedisProcess:
        if self.redis is None:
            raise RuntimeError("this cluster has no room store: Cluster(..., rooms=True)")
        return self.redis

    def pids(self) -> list[int]:
        """Process ids of the running replicas started here (for CPU and RSS)."""
        return [r.proc.pid for r in self.replicas if r.proc is not None and r.proc.poll() is None]

    def kill(self, name: str) -> None:
        """Kill replica ``name`` at once (SIGKILL: a crash, not a shutdown)."""
        r = next(r for r in self.replicas if r.name == name)
        r.proc.kill()
        r.proc.wait()

    def log_of(self, name: str) -> str:
        """What replica ``name`` (or ``"haproxy"``, ``"redis"``) printed so far."""
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
    ap.add_argument("--rooms", action="store_true",
                    help="start a local redis-server for the rooms of \"follow the "
                         "lecturer\" and point every replica at it (BNSIM_ROOM_STORE); set "
                         "BNSIM_PRESENTER_KEY in the environment to allow presenting")
    a = ap.parse_args(argv)
    if a.rooms and a.backend:
        ap.error("--rooms starts Redis for replicas started here; with --backend, set "
                 "BNSIM_ROOM_STORE where those replicas run")

    def on_term(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    t0 = time.perf_counter()
    try:
        with Cluster(a.replicas, script=a.script, host=a.host, port=a.port,
                     backends=tuple(a.backend), config=tuple(a.config), rooms=a.rooms) as c:
            names = ", ".join(f"{r.name} {r.address}" for r in c.replicas)
            print(f"{len(c.replicas)} replica(s) up in {time.perf_counter() - t0:.1f} s "
                  f"({names})", flush=True)
            if c.redis_url:
                key = "set" if os.environ.get("BNSIM_PRESENTER_KEY") else \
                    "not set: presenting is off"
                print(f"Rooms in {c.redis_url} (BNSIM_PRESENTER_KEY {key})", flush=True)
            print(f"Open {c.url}   (Ctrl-C stops everything)", flush=True)
            while True:
                time.sleep(2)
                for r in c.replicas:
                    if r.proc is not None and r.proc.poll() is not None:
                        print(f"replica {r.name} exited (code {r.proc.returncode}); "
                              "its viewers move to the others", flush=True)
                        r.proc = None
                if c.redis is not None and c.redis.proc is not None and not c.redis.running():
                    print("redis-server exited: the rooms are lost (see its log)", flush=True)
                    c.redis.proc = None
    except KeyboardInterrupt:
        print("stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
