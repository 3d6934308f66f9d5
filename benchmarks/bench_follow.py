"""Follow benchmark: one presenter and N followers of its room, over Streamlit's websocket.

"Follow the lecturer" (``bnsim/ui/follow.py``): a presenter unlocks presenter mode with the
key (the sidebar's "Present to the class" box, the password ``st.text_input``
``_bnsim_presenter_key``), which opens a room; every run of the presenter's page publishes
its view to the room. Followers open Home with ``?follow=CODE`` (the room's link) and are
sent on to the presenter's page (``st.switch_page``); the app keeps them in step: each app
process reruns its followers when their room moves (``bnsim/ui/follow_push.py``); a follower
sends nothing while it follows (no poll: an idle follower costs only its websocket).

Each viewer is a :class:`tests.ws_client.LiveSession`: a websocket read all the time, as a
browser tab's is, with the frontend's auto-rerun timers (a ``rerun_script`` for the fragment
every ``interval`` s with the widget states the tab holds, answered or not), its widget
states (values the server pushes replace the ones held), page switches and message cache.
All viewers share one asyncio event loop in this process.

The workload, by default: the presenter opens ``Running_statistics`` (its default tab,
"Trajectory") and moves the view-only slider ``ema_beta`` (β_EMA, range [0, 0.999], step
0.001) through 0.5, 0.6, 0.7, 0.8, 0.85, 0.95, one move every ``--interval`` s. That page is
the one a lecture on batch norm at test time opens at, and β_EMA is its main view-only
control: a move redraws the view from cached training traces, never retrains, so what is
measured is the cost of following itself (push, rerun, apply, draw), not of
training.

The followers join at the start, staggered over ``--join-over`` s as a class opens a link
(Home first, then the jump to the presenter's page); every one follows (its page shows the
presenter's value under a "Following room" badge) before the first move. Then:

- **idle CPU**: for ``--idle`` s with no move, the server's CPU seconds (``/proc/<pid>/stat``
  of the app process, or the sum over the replicas) per follower per second, in ms; with
  the polls the followers' timers sent in that window and the CPU per poll;
- **latency**: for each move and each follower, from the moment the presenter *sent* the move
  (its ``rerun_script`` with the slider's new value: the lecturer's move) to the moment the
  follower's run that shows the new value (the slider drawn with it, pushed by the server)
  finished drawing (its ``script_finished``);
- **errors**: exceptions shown in any run; followers that did not follow within
  ``--join-deadline`` s; a follower that did not show a move's value within
  ``--show-deadline`` s; followers that detached, lost the room or saw it end (badges); and
  websockets closed by the server.

The benchmark's own CPU (this process: every client) is reported too: the clients run on the
same cores as the server, so the reader can judge how much they took from it.

    python benchmarks/bench_follow.py --followers 10 --moves 3
    python benchmarks/bench_follow.py                          # 100 followers, 1 process
    python benchmarks/bench_follow.py --followers 200 --replicas 2   # HAProxy + Redis

``--replicas 1`` (default): one ``streamlit run app.py`` on a free loopback port, its rooms in
its memory. ``--replicas R`` (R ≥ 2): R app processes behind HAProxy with their rooms in a
local Redis (``deploy/cluster.py``, ``rooms=True``); every viewer first loads the page over
HTTP for the balancer's affinity cookie, as a browser does; the CPU of Redis and HAProxy is
reported on a line of its own. The presenter key is a random one per run. The last line:

    follow: N followers, R replicas, p50 X ms, p95 Y ms, idle CPU Z ms/s per follower, errors E
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_load import Server, proc_cpu, run_async  # noqa: E402
from tests.ws_client import LiveRun, LiveSession, Session  # noqa: E402

PAGE, KEY = "Running_statistics", "ema_beta"
VALUES = (0.5, 0.6, 0.7, 0.8, 0.85, 0.95)
KEY_LABEL = "Presenter key"  # the label of the key's text box (bnsim.ui.follow.KEY_INPUT)
ROOM = re.compile(r"Room \*\*([A-Z0-9]{4})\*\*")
# (followers, replicas) the targets are stated for: p95 latency (s), idle CPU (ms/s per
# follower, None: no target), errors
TARGETS = {1: (100, 1.5, 2.5), 2: (200, 2.0, None)}
MAX_FOLLOWERS, MAX_MOVES = 500, 50


@dataclass
class Follower:
    """One student's tab: what it showed, run by run."""

    index: int
    session: LiveSession | None = None
    connected: float = 0.0
    joined: float | None = None  # first run on the presenter's page, following, its value
    shown: list[tuple[float, object]] = field(default_factory=list)  # (run end, value)
    polls: int = 0  # fragment runs that finished (the poll's answers)
    detached: bool = False
    lost: int = 0  # runs that said "Lost room …"
    ended: int = 0  # runs that said "Room … has ended"
    followed: asyncio.Event = field(default_factory=asyncio.Event)
    log: list[tuple] = field(default_factory=list)  # (start, end, fragment run, done, value)


@dataclass
class Move:
    value: object
    sent: float  # perf_counter when the presenter sent it
    presenter_seconds: float = float("nan")  # the presenter's own rerun
    cpu0: float = 0.0
    cpu1: float = 0.0
    latencies: list[float] = field(default_factory=list)
    missed: int = 0
    missed_by: list[int] = field(default_factory=list)  # follower indices


@dataclass
class Result:
    followers: int
    replicas: int
    moves: list[Move] = field(default_factory=list)
    joins: list[float] = field(default_factory=list)  # connect -> following, s
    not_joined: int = 0
    idle_seconds: float = 0.0
    idle_cpu: float = 0.0  # server CPU s over the idle window
    idle_polls: int = 0  # poll answers in the idle window (all followers)
    idle_own_cpu: float = 0.0  # this process's CPU s over the idle window
    aux_idle_cpu: float = 0.0  # Redis + HAProxy over the idle window (replicas)
    own_cpu: float = 0.0  # this process's CPU s from the first join to the end
    server_cpu: float = 0.0  # server CPU s over the same span
    wall: float = 0.0
    exceptions: list[str] = field(default_factory=list)
    disconnects: int = 0
    detached: int = 0
    lost: int = 0
    ended: int = 0
    code: str = ""
    runs: dict[int, list[tuple]] = field(default_factory=dict)  # follower -> its runs' log

    @property
    def latencies(self) -> list[float]:
        return sorted(x for m in self.moves for x in m.latencies)

    @property
    def missed(self) -> int:
        return sum(m.missed for m in self.moves)

    @property
    def errors(self) -> int:
        return (len(self.exceptions) + self.not_joined + self.missed + self.disconnects
                + self.detached + self.lost + self.ended)

    @property
    def idle_ms(self) -> float:
        """Server CPU per follower per second while idle, ms."""
        return 1000 * self.idle_cpu / max(self.followers * self.idle_seconds, 1e-9)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def own_cpu() -> float:
    """This process's user + system CPU seconds (every thread)."""
    t = os.times()
    return t.user + t.system


def scalar(value):
    """A widget's value as compared with a move's (a one-thumb slider holds a list)."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def same(a, b) -> bool:
    a, b = scalar(a), scalar(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) < 1e-9
    return a == b


# ------------------------------------------------------------------------ the class
async def warm(urls: list[str], page: str) -> None:
    """Open Home and the page once on each app process (it trains or fills its caches)."""
    for url in urls:
        for p in ("", page):
            s = Session(url, p)
            try:
                await s.connect()
                await s.rerun()
            finally:
                await s.close()


async def present(url: str, page: str, key: str, presenter_key: str,
                  balanced: bool) -> tuple[LiveSession, str]:
    """The presenter's tab: opens ``page``, enters the key, returns the room's code."""
    p = LiveSession(url, page)
    if balanced:
        await p.load_page()
    await p.connect()
    first = await p.rerun()
    if key not in p.widgets:
        raise RuntimeError(f"page {page!r} drew no widget {key!r}; it drew "
                           f"{sorted(p.widgets)}")
    if KEY_LABEL not in p.widgets:
        raise RuntimeError("no presenter key box: is BNSIM_PRESENTER_KEY set on the server? "
                           + " | ".join(first.texts[:3]))
    run = await p.set_widget(KEY_LABEL, presenter_key)
    for text in run.texts:
        if m := ROOM.search(text):
            return p, m.group(1)
    raise RuntimeError("presenter mode did not unlock: " + " | ".join(run.texts[:5]))


def watch(f: Follower, key: str, page_hash: str, current):
    """The follower's ``on_run``: record each run's value of ``key`` and its badges."""

    def on_run(_s: LiveSession, run: LiveRun) -> None:
        f.log.append((run.started, run.ended, bool(run.fragment_ids), run.finished,
                      scalar(run.values.get(key))))
        if not run.finished:  # stopped early for another rerun: not a finished drawing
            return
        if run.fragment_run:
            f.polls += 1
        for _kind, body in run.alerts:
            if body.startswith("You left room"):
                f.detached = True
            elif body.startswith("Lost room"):
                f.lost += 1
            elif body.startswith("Room ") and "has ended" in body:
                f.ended += 1
        if key in run.values:
            f.shown.append((run.ended, run.values[key]))
            if (f.joined is None and run.page_hash == page_hash and same(run.values[key],
                                                                         current[0])
                    and any(k == "success" and b.startswith("Following room")
                            for k, b in run.alerts)):
                f.joined = run.ended
                f.followed.set()
    return on_run


async def join(f: Follower, url: str, code: str, key: str, page_hash: str, current,
               delay: float, balanced: bool) -> None:
    await asyncio.sleep(delay)
    s = LiveSession(url, "", f"follow={code}", on_run=watch(f, key, page_hash, current))
    f.session = s
    if balanced:
        await s.load_page()
    f.connected = time.perf_counter()
    await s.connect()
    await s.send(s.rerun_msg())  # the tab's first run: Home, sent on to the room's page


async def lecture(url: str, app_urls: list[str], cpu, aux_cpu, *, followers: int, moves: int,
                  interval: float, page: str, key: str, values: tuple, presenter_key: str,
                  join_over: float, join_deadline: float, idle: float, show_deadline: float,
                  balanced: bool, replicas: int, out=None) -> Result:
    out = out or (lambda line: print(line, flush=True))
    res = Result(followers, replicas)
    await warm(app_urls, page)
    presenter, res.code = await present(url, page, key, presenter_key, balanced)
    page_hash = presenter.page_hash
    current = [presenter.value_of(key)]
    out(f"room {res.code}: presenter on {page!r}, {key} = {scalar(current[0])}; "
        f"{followers} followers join over {join_over:g} s")
    c_start, o_start, t_start = cpu(), own_cpu(), time.perf_counter()
    fs = [Follower(i) for i in range(followers)]
    try:
        joining = [asyncio.create_task(join(f, url, res.code, key, page_hash, current,
                                            join_over * i / max(followers, 1), balanced))
                   for i, f in enumerate(fs)]
        for i, t in enumerate(await asyncio.gather(*joining, return_exceptions=True)):
            if isinstance(t, BaseException):
                res.exceptions.append(f"follower {i} could not connect: "
                                      f"{type(t).__name__}: {t}")
        left = join_deadline - (time.perf_counter() - t_start)
        waits = [asyncio.wait_for(f.followed.wait(), max(left, 0.1)) for f in fs
                 if f.session is not None]
        await asyncio.gather(*waits, return_exceptions=True)
        res.joins = sorted(f.joined - f.connected for f in fs if f.joined is not None)
        res.not_joined = sum(f.joined is None for f in fs)
        out(f"{len(res.joins)}/{followers} following after {time.perf_counter() - t_start:.1f}"
            f" s (join p50 {pct(res.joins, 0.5):.2f} s, p95 {pct(res.joins, 0.95):.2f} s, "
            f"max {pct(res.joins, 1.0):.2f} s)")

        # idle: everyone follows, nobody moves
        await asyncio.sleep(min(2.0, interval))
        polls0 = sum(f.polls for f in fs)
        c0, o0, a0, t0 = cpu(), own_cpu(), aux_cpu(), time.perf_counter()
        await asyncio.sleep(idle)
        res.idle_seconds = time.perf_counter() - t0
        res.idle_cpu, res.idle_own_cpu = cpu() - c0, own_cpu() - o0
        res.aux_idle_cpu = aux_cpu() - a0
        res.idle_polls = sum(f.polls for f in fs) - polls0

        # the lecturer moves the slider
        todo = [v for v in values if not same(v, current[0])] or list(values)
        for m in range(moves):
            value = todo[m % len(todo)]
            mv = Move(value, time.perf_counter(), cpu0=cpu())
            res.moves.append(mv)
            current[0] = value
            try:
                run = await presenter.set_widget(key, value)
                mv.presenter_seconds = run.seconds
            except Exception as exc:
                res.exceptions.append(f"presenter's move failed: {type(exc).__name__}: {exc}")
            if m < moves - 1:
                await asyncio.sleep(max(0.0, mv.sent + interval - time.perf_counter()))
                mv.cpu1 = cpu()
        if res.moves:  # the last move: until everyone shows it (or the deadline)
            last = res.moves[-1]
            while time.perf_counter() < last.sent + show_deadline:
                if all(any(t >= last.sent and same(v, last.value) for t, v in f.shown[-3:])
                       for f in fs if f.joined is not None):
                    break
                await asyncio.sleep(0.05)
            last.cpu1 = cpu()
        res.server_cpu, res.own_cpu = cpu() - c_start, own_cpu() - o_start
        res.wall = time.perf_counter() - t_start
    finally:
        for f in fs:
            if f.session is not None:
                if f.session.closed:
                    res.disconnects += 1
                res.exceptions += [f"follower {f.index}: {e}" for e in f.session.exceptions]
        if presenter.closed:
            res.disconnects += 1
        res.exceptions += [f"presenter: {e}" for e in presenter.exceptions]
        await asyncio.gather(*(f.session.close() for f in fs if f.session is not None),
                             presenter.close(), return_exceptions=True)

    for mv in res.moves:
        for f in fs:
            if f.joined is None:
                continue
            t = next((t for t, v in f.shown
                      if mv.sent <= t <= mv.sent + show_deadline and same(v, mv.value)), None)
            if t is None:
                mv.missed += 1
                mv.missed_by.append(f.index)
            else:
                mv.latencies.append(t - mv.sent)
    res.runs = {f.index: f.log for f in fs}
    res.detached = sum(f.detached for f in fs)
    res.lost = sum(f.lost > 0 for f in fs)
    res.ended = sum(f.ended > 0 for f in fs)
    return res


# ------------------------------------------------------------------------ servers
def run_follow(followers: int = 100, replicas: int = 1, moves: int = 6, interval: float = 5.0,
               page: str = PAGE, key: str = KEY, values: tuple = VALUES,
               join_over: float = 5.0, join_deadline: float = 120.0, idle: float = 10.0,
               show_deadline: float = 10.0,
               config: tuple[str, ...] = (), deadline: float = 1800.0, out=None) -> Result:
    """Start the app (one process, or ``replicas`` behind HAProxy with Redis), run the
    lecture, stop everything; returns the :class:`Result`."""
    followers, moves = min(followers, MAX_FOLLOWERS), min(moves, MAX_MOVES)
    env = {"BNSIM_PRESENTER_KEY": secrets.token_urlsafe(16)}

    def go(url, app_urls, pids, aux_pids):
        cpu = lambda: sum(proc_cpu(p) for p in pids)  # noqa: E731
        aux = lambda: sum(proc_cpu(p) for p in aux_pids)  # noqa: E731
        coro = lecture(url, app_urls, cpu, aux, followers=followers, moves=moves,
                       interval=interval, page=page, key=key, values=tuple(values),
                       presenter_key=env["BNSIM_PRESENTER_KEY"], join_over=join_over,
                       join_deadline=join_deadline, idle=idle, show_deadline=show_deadline,
                       balanced=replicas > 1, replicas=replicas, out=out)
        return run_async(asyncio.wait_for(coro, deadline))

    if replicas > 1:
        from deploy.cluster import Cluster

        with Cluster(replicas, rooms=True, env=env, config=tuple(config)) as c:
            aux = [p.pid for p in (c.haproxy, c.redis.proc if c.redis else None) if p]
            return go(c.url, [r.url for r in c.replicas], c.pids(), aux)
    with Server("app.py", list(config), env) as srv:
        return go(srv.url, [srv.url], [srv.proc.pid], [])


# ------------------------------------------------------------------------ report
def table(res: Result) -> list[str]:
    n = res.followers - res.not_joined
    lines = [f"{'move':>4} {'value':>7} {'presenter':>10} {'shown':>9} {'p50':>8} {'p95':>8} "
             f"{'max':>8} {'server CPU':>11}"]
    for i, mv in enumerate(res.moves, 1):
        lat = mv.latencies
        lines.append(f"{i:4d} {scalar(mv.value)!s:>7} {1000 * mv.presenter_seconds:7.0f} ms "
                     f"{len(lat):4d}/{n:<4d} {1000 * pct(lat, 0.5):5.0f} ms "
                     f"{1000 * pct(lat, 0.95):5.0f} ms {1000 * pct(lat, 1.0):5.0f} ms "
                     f"{mv.cpu1 - mv.cpu0:8.2f} s")
    return lines


def report(res: Result) -> list[str]:
    lat = res.latencies
    per_poll = 1000 * res.idle_cpu / max(res.idle_polls, 1)
    rate = res.idle_polls / max(res.followers * res.idle_seconds, 1e-9)
    lines = table(res)
    lines.append(f"idle {res.idle_seconds:.1f} s: server CPU {res.idle_cpu:.2f} s = "
                 f"{res.idle_ms:.2f} ms/s per follower; {res.idle_polls} polls answered "
                 f"({rate:.2f}/s per follower; idle CPU / polls = {per_poll:.2f} ms)")
    if res.replicas > 1:
        lines.append(f"idle: Redis + HAProxy CPU {res.aux_idle_cpu:.2f} s = "
                     f"{1000 * res.aux_idle_cpu / max(res.followers * res.idle_seconds, 1e-9):.3f}"
                     " ms/s per follower (not in the figure above)")
    lines.append(f"benchmark process (every client): CPU {res.own_cpu:.1f} s over "
                 f"{res.wall:.0f} s ({100 * res.own_cpu / max(res.wall, 1e-9):.0f} % of one "
                 f"core; idle {1000 * res.idle_own_cpu / max(res.idle_seconds, 1e-9):.0f} ms/s); "
                 f"server CPU {res.server_cpu:.1f} s over the same span")
    lines.append(f"join (connect → following): p50 {pct(res.joins, 0.5):.2f} s, "
                 f"p95 {pct(res.joins, 0.95):.2f} s over {len(res.joins)} followers; "
                 f"move → shown: {len(lat)} views, max {1000 * pct(lat, 1.0):.0f} ms")
    lines.append(f"errors {res.errors}: exceptions {len(res.exceptions)}, not following "
                 f"{res.not_joined}, value not shown within the deadline {res.missed}, "
                 f"disconnects {res.disconnects}, detached {res.detached}, lost the room "
                 f"{res.lost}, room ended {res.ended}")
    for e in res.exceptions[:5]:
        lines.append("    " + e[:300])
    shown = 0
    for i, mv in enumerate(res.moves, 1):
        for who in mv.missed_by[:max(0, 3 - shown)]:
            shown += 1
            runs = [f"{1000 * (a - mv.sent):.0f}–{1000 * (b - mv.sent):.0f} ms "
                    f"{'fragment' if frag else 'page'}{'' if done else ' (stopped)'}"
                    f"{'' if v is None else f' {v}'}"
                    for a, b, frag, done, v in res.runs.get(who, [])
                    if mv.sent - 1 <= b <= mv.sent + 12]
            lines.append(f"    move {i} ({scalar(mv.value)}) not shown by follower {who}; its "
                         f"runs from the move on: " + ("; ".join(runs) or "none"))
    return lines


def verdicts(res: Result) -> list[str]:
    n, p95_max, idle_max = TARGETS[1 if res.replicas == 1 else 2]
    where = "1 process" if res.replicas == 1 else f"{max(res.replicas, 2)} replicas + Redis"
    stated = f"{n} followers on {where}"
    if res.followers != n or (res.replicas > 2):
        stated += f"; this run: {res.followers} on {res.replicas}"
    p95 = pct(res.latencies, 0.95)

    def line(what: str, ok: bool, got: str) -> str:
        return f"target {what} ({stated}): " + ("met" if ok else "MISSED") + f", {got}"

    lines = [line(f"p95 ≤ {p95_max:g} s", p95 <= p95_max, f"{1000 * p95:.0f} ms")]
    if idle_max is not None:
        lines.append(line(f"idle ≤ {idle_max:g} ms/s per follower", res.idle_ms <= idle_max,
                          f"{res.idle_ms:.2f} ms/s"))
    lines.append(line("0 errors", res.errors == 0, f"{res.errors}"))
    return lines


def summary(res: Result) -> str:
    lat = res.latencies
    return (f"follow: {res.followers} followers, {res.replicas} replicas, "
            f"p50 {1000 * pct(lat, 0.5):.0f} ms, p95 {1000 * pct(lat, 0.95):.0f} ms, "
            f"idle CPU {res.idle_ms:.2f} ms/s per follower, errors {res.errors}")


def parse_values(text: str) -> tuple:
    out = []
    for part in text.split(","):
        part = part.strip()
        try:
            out.append(float(part))
        except ValueError:
            out.append(part)
    return tuple(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--followers", type=int, default=100)
    ap.add_argument("--replicas", type=int, default=1,
                    help="1: one app process; R ≥ 2: R replicas behind HAProxy, rooms in Redis")
    ap.add_argument("--moves", type=int, default=6)
    ap.add_argument("--interval", type=float, default=5.0, help="seconds between moves")
    ap.add_argument("--page", default=PAGE, help="URL path of the presenter's page")
    ap.add_argument("--key", default=KEY, help="URL key of the control the presenter moves")
    ap.add_argument("--values", type=parse_values, default=None,
                    help=f"comma-separated values it moves through (default for {KEY}: "
                         f"{','.join(map(str, VALUES))})")
    ap.add_argument("--join-over", type=float, default=5.0,
                    help="seconds over which the followers open the link")
    ap.add_argument("--join-deadline", type=float, default=120.0)
    ap.add_argument("--idle", type=float, default=10.0, help="seconds of the idle window")
    ap.add_argument("--show-deadline", type=float, default=10.0,
                    help="seconds after a move by which every follower must show it")
    ap.add_argument("--config", action="append", default=[],
                    help="server option, e.g. runner.postScriptGC=false")
    ap.add_argument("--deadline", type=float, default=1800.0, help="seconds for the whole run")
    a = ap.parse_args(argv)
    if not 1 <= a.followers <= MAX_FOLLOWERS or not 1 <= a.moves <= MAX_MOVES:
        ap.error(f"--followers 1 to {MAX_FOLLOWERS}, --moves 1 to {MAX_MOVES}")
    if not 1 <= a.replicas <= 16:
        ap.error("--replicas: 1 to 16")
    if a.values is None and (a.key != KEY or a.page != PAGE):
        ap.error("--values is needed with another --page or --key")
    values = a.values or VALUES
    print(f"{a.followers} followers, {a.moves} moves of {a.key} on {a.page!r} every "
          f"{a.interval:g} s, {a.replicas} replica(s)")
    t0 = time.perf_counter()
    res = run_follow(a.followers, a.replicas, a.moves, a.interval, a.page, a.key, values,
                     a.join_over, a.join_deadline, a.idle, a.show_deadline,
                     tuple(a.config), a.deadline)
    for line in report(res):
        print(line)
    lines = verdicts(res)
    for line in lines:
        print(line)
    print(f"(wall {time.perf_counter() - t0:.0f} s, with the server's start)")
    print(summary(res))
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    return 1 if any("MISSED" in line for line in lines) else 0


if __name__ == "__main__":
    raise SystemExit(main())
