"""Follow the lecturer when things break: the real app over Streamlit's websocket protocol.

One cluster for the module (``deploy/cluster.py``: two replicas behind HAProxy sharing their
rooms in a local ``redis-server``, a presenter key set), plus one plain server whose rooms
expire after 2 s. A lecturer and students are :class:`Browser` clients: a
``tests/ws_client.py`` session that, like the browser between two clicks, keeps reading what
the server sends (its own reruns and any the server starts by itself), remembers what the
screen shows, and reruns each ``st.fragment(run_every=…)`` on its timer (the ``auto_rerun``
messages: the lecturer's heartbeat is one; a follower's moves arrive however the app sends
them, a poll of its own or a rerun the server starts). Cases:

* presenter and follower on different replicas share the room;
* an unknown, a malformed and an expired room code each give a clear message;
* a follower's forged widget states (hostile slider values, a wrong presenter key, the
  lecturer's own buttons) change nothing in the room, nor what another follower sees;
* Redis stopped under a room: the follower says "Lost room", the lecturer keeps their view,
  no run shows a traceback; Redis restarted empty: the lecturer's heartbeat puts the room
  back and the follower follows again, including a move made during the outage;
* the follower's replica killed: it reconnects through the balancer and keeps following.

Needs Debian's ``haproxy`` and ``redis-server``: skipped loudly without them, a failure under
``CI=true``. Loopback only; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import secrets
import time
import urllib.parse

import pytest
import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from bnsim.ui import rooms
from deploy.cluster import Cluster, haproxy_path
from tests.browser_helpers import StreamlitServer
from tests.redis_helpers import require_redis
from tests.ws_client import RunResult, Session, Widget

KEY = "fault-key-" + secrets.token_hex(8)
PAGE, QUERY = "Running_statistics", "steps=200"  # 200 steps: a first run trains in < 1 s
BETA = "ema_beta"  # a slider of the open tab's view
KEY_BOX = "Presenter key"
FOLLOWS = 20.0  # s a follower may take to show a move (a poll, or a push from the server)
HEARTBEAT = 15.0  # s the lecturer's page may take to put a lost room back
TTL = 2.0  # s without a move after which a room of the short-lived server ends
SKIP = "FOLLOW FAULT TESTS SKIPPED"


# ------------------------------------------------------------------ a browser, roughly
class Browser(Session):
    """A viewer that behaves as a browser does between actions: a background task reads every
    script run the server sends (asked for or not) into :attr:`runs` and :attr:`screen` (texts
    and alerts by delta path), another reruns each auto-rerun fragment on its timer
    (``is_auto_rerun``, with the viewer's widget states). A value the server puts into a
    widget replaces this viewer's own (:meth:`value`), as it does in the browser."""

    def __init__(self, base_url: str, page: str = "", query: str = "", *,
                 server: str | None = None, name: str = "viewer", timeout: float = 60):
        super().__init__(base_url, page, query, timeout=timeout)
        self.name = name
        if server:
            self.jar["SERVERID"] = server  # pin to that replica (the balancer's cookie)
        self.runs: list[RunResult] = []
        self.screen: dict[tuple[int, ...], str] = {}
        self.timers: dict[str, float] = {}  # fragment id -> seconds between its reruns
        self.server_set: dict[str, object] = {}  # widget key -> value the server put there
        self.dropped = False
        self.broken: BaseException | None = None  # what stopped the reader, if not a drop
        self._tasks: list[asyncio.Task] = []
        self._closing = False
        self._new_run: asyncio.Event | None = None
        self._due: dict[str, float] = {}

    # -------------------------------------------------------------- connection
    async def open(self) -> Browser:
        """Load the page over HTTP (the balancer's cookie), open the websocket, run it."""
        assert await self.load_page() == 200
        await self.connect()
        await self.request(self.rerun_msg())
        return self

    async def connect(self, reconnect: bool = False) -> None:
        await self._stop_tasks()
        await super().connect(reconnect)
        self.ws = _Tap(self.ws, self)
        self.dropped, self.broken, self._closing = False, None, False
        self._new_run = asyncio.Event()
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._tick())]

    async def reconnect(self) -> RunResult:
        """What the browser does when its websocket drops: a new one (asking for the old
        session id), then a rerun of the page in its address bar with no widget state."""
        await self.close()
        await self.connect(reconnect=True)
        self.states.clear()
        self.server_set.clear()
        return await self.request(self.rerun_msg([]))

    async def close(self) -> None:
        await self._stop_tasks()

    async def _stop_tasks(self) -> None:
        """Stop reading and ticking, and close the websocket. (Cancelling alone is not
        enough: Python 3.11's ``wait_for`` drops a cancellation that arrives together with
        a message, so the reader also stops when its websocket closes.)"""
        tasks, self._tasks = self._tasks, []
        self._closing = True
        for t in tasks:
            t.cancel()
        await super().close()
        if tasks:
            await asyncio.wait(tasks, timeout=10)

    async def _read(self) -> None:
        while not self._closing:
            try:
                res = await self.collect()
            except TimeoutError:
                continue  # nothing ran for a while: keep listening
            except (websockets.ConnectionClosed, AttributeError) as err:
                if self._closing:
                    return  # closed here (the websocket, or self.ws set to None)
                if isinstance(err, AttributeError):
                    self.broken = err
                self.dropped = True  # closed by the server (or the network)
                self._new_run.set()
                return
            except Exception as err:  # noqa: BLE001 - reported by the next wait
                self.broken = err
                self._new_run.set()
                return
            self.runs.append(res)
            if res.fragment_run:
                self.screen.update(res.texts_at)
            else:
                self.screen = dict(res.texts_at)
            self._new_run.set()

    async def _tick(self) -> None:
        while not self._closing:
            await asyncio.sleep(0.1)
            now = time.monotonic()
            for fid, every in list(self.timers.items()):
                due = self._due.setdefault(fid, now + every)
                if now >= due:
                    self._due[fid] = now + every
                    back = self.rerun_msg(fragment=fid)
                    back.rerun_script.is_auto_rerun = True
                    try:
                        await self.send(back)
                    except websockets.ConnectionClosed:
                        return

    def _forward(self, msg: ForwardMsg) -> None:
        """Every message, as it arrives (before :meth:`collect` sees it)."""
        kind = msg.WhichOneof("type")
        if kind == "new_session" and not msg.metadata.run.fragment_ids:
            self.timers.clear()  # a full run: the browser drops its fragments' timers
            self._due.clear()
        elif kind == "auto_rerun":
            self.timers[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
            self._due.pop(msg.auto_rerun.fragment_id, None)
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                self.timers.pop(fid, None)
                self._due.pop(fid, None)

    def _element(self, el, res: RunResult, path: tuple[int, ...] = (),
                 fragment: str = "") -> None:
        kind = el.WhichOneof("type")
        if kind == "alert":
            res.texts_at[path] = f"{Alert.Format.Name(el.alert.format)}: {el.alert.body}"
        elif kind == "text_input":
            p = el.text_input
            self.widgets[p.label] = Widget(p.id, p.label, kind, p.label, p, fragment)
        super()._element(el, res, path, fragment)
        if kind in ("slider", "number_input", "checkbox"):
            proto = getattr(el, kind)
            if proto.set_value:
                key = proto.query_param_key or proto.label
                value = proto.value
                self.server_set[key] = list(value) if kind == "slider" else value
                self.states.pop(proto.id, None)

    # -------------------------------------------------------------- actions and waits
    async def request(self, back, within: float | None = None) -> RunResult:
        """Send ``back`` and wait for the next run to finish (bounded); return it."""
        n = len(self.runs)
        self._new_run.clear()
        await self.send(back)
        await self.wait(lambda: len(self.runs) > n, within or self.timeout, "a run")
        return self.runs[n]

    async def move(self, key: str, value) -> RunResult:
        """Move widget ``key`` to ``value`` as the browser does (its URL, its fragment)."""
        ws = self.state_for(key, value)
        self.states[ws.id] = ws
        self.server_set.pop(key, None)
        self._write_url(key, value)
        return await self.request(self.rerun_msg(fragment=self.widgets[key].fragment))

    async def forge(self, *states: WidgetState) -> RunResult:
        """Send widget states the page never offered (they are not kept)."""
        return await self.request(self.rerun_msg([*self.states.values(), *states]))

    async def wait(self, ok, within: float, what: str) -> None:
        """Wait until ``ok()`` holds (checked after each run), at most ``within`` seconds."""
        deadline = time.monotonic() + within
        while not ok():
            if self.broken is not None:
                raise RuntimeError(f"{self.name}: reading the server's messages failed"
                                   ) from self.broken
            if self.dropped:
                raise ConnectionError(f"{self.name}: the websocket closed while waiting "
                                      f"for {what}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.name}: no {what} within {within:.0f} s; the "
                                     f"screen shows:\n" + "\n".join(self.alerts()))
            self._new_run.clear()
            try:
                await asyncio.wait_for(self._new_run.wait(), min(left, 0.5))
            except TimeoutError:
                pass

    async def wait_text(self, text: str, within: float = FOLLOWS) -> float:
        """Wait until the screen shows ``text``; return how long it took."""
        t0 = time.monotonic()
        await self.wait(lambda: any(text in t for t in self.screen.values()), within,
                        repr(text))
        return time.monotonic() - t0

    async def wait_value(self, key: str, value: float, within: float = FOLLOWS) -> float:
        t0 = time.monotonic()
        await self.wait(lambda: key in self.widgets and self.value(key) == [pytest.approx(
            value)], within, f"{key} = {value}")
        return time.monotonic() - t0

    # -------------------------------------------------------------- what it shows
    def value(self, key: str):
        """What widget ``key`` shows: this viewer's own move, else the server's, else its
        default."""
        w = self.widgets[key]
        mine = self.states.get(w.id)
        if mine is not None:
            val = getattr(mine, mine.WhichOneof("value"))
            return list(val.data) if hasattr(val, "data") else val
        if key in self.server_set:
            return self.server_set[key]
        p = w.proto
        return list(p.default) if hasattr(p.default, "__len__") else p.default

    def alerts(self) -> list[str]:
        return [t for _, t in sorted(self.screen.items())
                if t.split(":", 1)[0] in Alert.Format.keys()]

    def shows(self, text: str) -> bool:
        return any(text in t for t in self.screen.values())

    def exceptions(self) -> list[str]:
        return [e for r in self.runs for e in r.exceptions]

    def room_shown(self) -> str | None:
        for text in self.screen.values():
            found = re.search(r"Room \*\*([A-Z0-9]{4})\*\*", text)
            if found:
                return found.group(1)
        return None

    def replica(self) -> str | None:
        return self.jar.get("SERVERID")


class _Tap:
    """The websocket, with each ForwardMsg shown to the :class:`Browser` as it arrives."""

    def __init__(self, ws, owner: Browser):
        self._ws, self._owner = ws, owner

    def __getattr__(self, name):
        return getattr(self._ws, name)

    async def recv(self, *args, **kwargs):
        raw = await self._ws.recv(*args, **kwargs)
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        self._owner._forward(msg)
        return raw


# ------------------------------------------------------------------ fixtures and helpers
def _require(name: str, found: bool) -> None:
    if found:
        return
    msg = f"{SKIP}: {name} not found (`apt-get install {name}`)"
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(msg.replace(SKIP, "FOLLOW FAULT TESTS CANNOT RUN"), pytrace=False)
    print(f"\n!!! {msg} !!!")
    pytest.skip(msg)



@pytest.fixture
def run(loop):
    def go(coro, timeout: float = 120):
        return asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, timeout),
                                                loop).result()
    return go


@pytest.fixture(scope="module")
def cluster():
    _require("haproxy", haproxy_path() is not None)
    require_redis()
    with Cluster(2, rooms=True, env={"BNSIM_PRESENTER_KEY": KEY}) as c:
        yield c


@pytest.fixture(scope="module")
def short_lived():
    """A plain server (rooms in its own memory) whose rooms end after ``TTL`` s idle."""
    server = StreamlitServer("app.py", env={"BNSIM_PRESENTER_KEY": KEY,
                                            "BNSIM_ROOM_STORE": "memory",
                                            "BNSIM_ROOM_TTL": str(TTL)})
    with server as url:
        yield url


@pytest.fixture
def quiet_logs(cluster):
    """After the test: no replica printed a traceback (a crashed run or watcher thread)."""
    start = {r.name: len(cluster.log_of(r.name)) for r in cluster.replicas}
    yield
    for r in cluster.replicas:
        new = cluster.log_of(r.name)[start[r.name]:]
        assert "Traceback" not in new, f"{r.name} printed:\n{new[-3000:]}"


async def open_presenter(url: str, server: str | None = None) -> tuple[Browser, str]:
    """A lecturer on the page who enters the presenter key; returns it and the room code."""
    p = await Browser(url, PAGE, QUERY, server=server, name="lecturer").open()
    assert KEY_BOX in p.widgets, p.alerts()
    ws = WidgetState(id=p.widgets[KEY_BOX].id, string_value=KEY)
    await p.request(p.rerun_msg([*p.states.values(), ws]))
    await p.wait(lambda: p.room_shown() is not None, 30, "room code")
    assert not p.exceptions(), p.exceptions()
    return p, p.room_shown()


async def open_follower(url: str, code: str, server: str | None = None,
                        name: str = "student") -> Browser:
    """A student who opens the short link ``/?follow=CODE``."""
    f = await Browser(url, "", f"follow={code}", server=server, name=name).open()
    await f.wait_text(f"Following room **{code}**", 30)
    return f


async def close_all(*browsers: Browser) -> None:
    await asyncio.gather(*(b.close() for b in browsers if b is not None))


def room(url: str, code: str) -> tuple[int, dict] | None:
    """The room as Redis holds it (read directly, not through the app)."""
    return rooms.RedisStore(url).read(code)


async def published(url: str, code: str, value: float, within: float = 10) -> int:
    """Wait until the room's view carries β_EMA = ``value``; its version."""
    deadline = time.monotonic() + within
    while True:
        got = await asyncio.to_thread(room, url, code)
        if got and got[1].get("values", {}).get(BETA) == pytest.approx(value):
            return got[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"room {code} holds {got}, not {BETA} = {value}")
        await asyncio.sleep(0.1)


def no_exceptions(*browsers: Browser) -> None:
    for b in browsers:
        assert not b.exceptions(), (b.name, b.exceptions())


# ------------------------------------------------------------------ the cases
@pytest.mark.usefixtures("quiet_logs")
def test_presenter_and_follower_on_different_replicas_share_the_room(cluster, run):
    async def go():
        p, code = await open_presenter(cluster.url, server="r1")
        f = await open_follower(cluster.url, code, server="r2")
        try:
            assert (p.replica(), f.replica()) == ("r1", "r2")
            assert f.page_hash == p.page_hash  # the student was taken to the lecturer's page
            await p.move(BETA, 0.8)
            await published(cluster.redis_url, code, 0.8)
            took = await f.wait_value(BETA, 0.8)
            assert f.shows(f"Following room **{code}**")
            await p.move(BETA, 0.95)
            took2 = await f.wait_value(BETA, 0.95)
            no_exceptions(p, f)
            return took, took2
        finally:
            await close_all(p, f)

    took = run(go())
    print(f"\nmove on r1 -> follower on r2: {took[0]:.1f} s, {took[1]:.1f} s")


def _free_code(url: str) -> str:
    store = rooms.RedisStore(url)
    for code in ("ACDE", "XYXY", "KMNP", "TUVW"):
        if store.version(code) is None:
            return code
    raise AssertionError("every candidate code is a live room")


@pytest.mark.usefixtures("quiet_logs")
def test_unknown_and_malformed_codes_give_a_clear_message(cluster, run):
    code = _free_code(cluster.redis_url)

    async def go():
        shown = {}
        for query in (f"follow={code}", f"follow={code.lower()}", "follow=00O0",
                      "follow=" + urllib.parse.quote("<b>x</b>"), "follow="):
            b = await Browser(cluster.url, "", query, name=query).open()
            try:
                await b.wait(lambda b=b: b.alerts(), 5, "an alert")
                shown[query] = b.alerts()
                no_exceptions(b)
                assert not b.shows("Following room")
            finally:
                await b.close()
        return shown

    shown = run(go())
    unknown = "\n".join(shown[f"follow={code}"])
    assert f"There is no room {code}" in unknown and "Ask the lecturer" in unknown
    assert f"There is no room {code}" in "\n".join(shown[f"follow={code.lower()}"])
    assert "is not a room code" in "\n".join(shown["follow=00O0"])
    assert "is not a room code" in "\n".join(shown["follow=" + urllib.parse.quote("<b>x</b>")])


def test_expired_room_gives_a_clear_message(short_lived, run):
    async def go():
        p, code = await open_presenter(short_lived)
        await p.move(BETA, 0.8)  # a move: the room's clock starts again
        f = await open_follower(short_lived, code)
        try:
            await f.wait_value(BETA, 0.8)
            took = await f.wait_text(f"Room {code} has ended", TTL + FOLLOWS)
            ended = f.alerts()
            await p.wait_text("This room expired", TTL + HEARTBEAT)
            late = await Browser(short_lived, "", f"follow={code}", name="late").open()
            try:
                await late.wait(lambda: late.alerts(), 5, "an alert")
                late_alerts = late.alerts()
                assert not late.shows("Following room")
                no_exceptions(p, f, late)
            finally:
                await late.close()
            assert f.value(BETA) == [pytest.approx(0.8)]  # the view stays as it was
            return took, ended, late_alerts
        finally:
            await close_all(p, f)

    took, ended, late_alerts = run(go())
    print(f"\nexpired room noticed by the follower after {took:.1f} s")
    assert any("expired" in a for a in ended), ended
    text = "\n".join(late_alerts)
    assert "There is no room" in text and f"{TTL:g} s without a move" in text, late_alerts


def _nan_slider(w: Widget, *values: float) -> WidgetState:
    ws = WidgetState(id=w.id)
    ws.double_array_value.data.extend(values)
    return ws


@pytest.mark.usefixtures("quiet_logs")
def test_forged_widget_states_of_a_follower_change_nothing_in_the_room(cluster, run):
    async def go():
        p, code = await open_presenter(cluster.url, server="r1")
        f = await open_follower(cluster.url, code, server="r1", name="attacker")
        try:
            await p.move(BETA, 0.8)
            await f.wait_value(BETA, 0.8)
            before = await asyncio.to_thread(room, cluster.redis_url, code)
            beta = f.widgets[BETA]
            # widgets only the lecturer's page has: the same ids in every session
            stop_btn = WidgetState(id=p.widgets["Stop presenting"].id, trigger_value=True)
            join = WidgetState(id=p.widgets["Show the join card"].id, bool_value=True)
            forged = [
                _nan_slider(beta, math.nan), _nan_slider(beta, math.inf),
                _nan_slider(beta, 1e9), _nan_slider(beta, -5.0), _nan_slider(beta, 0.5, 0.6),
                WidgetState(id=f.widgets[KEY_BOX].id, string_value="not-the-key"),
                WidgetState(id=f.widgets[KEY_BOX].id, string_value=KEY[:-1]),
                stop_btn, join,
                WidgetState(id="$$ID-forged-" + rooms.PREFIX, string_value=code),
            ]
            for ws in forged:
                res = await f.forge(ws)
                assert res.finished and not res.exceptions, (ws, res.exceptions)
            await f.move(BETA, 0.3)  # a real move of the follower's own: it detaches
            await f.wait_text(f"You left room {code}", 10)
            await asyncio.sleep(1.0)  # give anything that would write to the room a moment
            after = await asyncio.to_thread(room, cluster.redis_url, code)
            other = await open_follower(cluster.url, code, server="r2", name="other student")
            try:
                await other.wait_value(BETA, 0.8)
                no_exceptions(p, f, other)
                assert p.room_shown() == code and not p.shows("That is not")
                assert not f.shows(f"Room **{code}**")  # the wrong keys unlocked nothing
                return before, after, f.alerts()
            finally:
                await other.close()
        finally:
            await close_all(p, f)

    before, after, alerts = run(go(), timeout=180)
    assert before is not None and before[1]["values"][BETA] == pytest.approx(0.8)
    assert after == before  # same version, same view


@pytest.mark.usefixtures("quiet_logs")
def test_redis_stopped_and_restarted_under_a_room(cluster, run):
    """Redis stops: the follower says "Lost room", the lecturer keeps their view, no run
    breaks. Redis comes back empty: the lecturer's heartbeat republishes within ~10 s, the
    follower follows again and then follows a new move."""

    async def go():
        p, code = await open_presenter(cluster.url, server="r1")
        f = await open_follower(cluster.url, code, server="r1")
        times = {}
        try:
            await p.move(BETA, 0.8)
            await f.wait_value(BETA, 0.8)
            cluster.stop_redis()
            t0 = time.monotonic()
            await f.wait_text(f"Lost room {code}, retrying")
            times["lost shown"] = time.monotonic() - t0
            assert f.value(BETA) == [pytest.approx(0.8)]  # the view stays
            await p.wait_text("Lost the room store", HEARTBEAT)
            # the lecturer's page keeps working while the store is away (a whole rerun)
            res = await p.request(p.rerun_msg())
            assert res.finished and not res.exceptions
            assert p.value(BETA) == [pytest.approx(0.8)] and p.room_shown() == code
            await asyncio.sleep(1.5)  # a few more polls / heartbeats against a dead store
            no_exceptions(p, f)
            assert f.shows(f"Lost room {code}")

            cluster.start_redis()  # empty
            t1 = time.monotonic()
            version = await published(cluster.redis_url, code, 0.8, within=HEARTBEAT)
            times["republished"] = time.monotonic() - t1
            await f.wait_text(f"Following room **{code}**", FOLLOWS)
            times["following again"] = time.monotonic() - t1
            assert f.value(BETA) == [pytest.approx(0.8)]
            await p.move(BETA, 0.6)  # a new move after the restart
            await published(cluster.redis_url, code, 0.6)
            times["next move"] = await f.wait_value(BETA, 0.6)
            no_exceptions(p, f)
            assert p.value(BETA) == [pytest.approx(0.6)]
            return times, version
        finally:
            if not cluster.redis.running():
                cluster.start_redis()
            await close_all(p, f)

    times, version = run(go(), timeout=180)
    print("\n" + ", ".join(f"{k}: {v:.1f} s" for k, v in times.items()))
    assert version >= 1
    assert times["republished"] < 12
    assert times["following again"] < 12 + FOLLOWS


@pytest.mark.usefixtures("quiet_logs")
def test_a_move_during_the_outage_reaches_the_follower_after_restart(cluster, run):
    """The lecturer opens a room, a student follows, Redis goes away, the lecturer moves a
    slider (nothing can be published), Redis comes back empty: the student must end up on
    the lecturer's view, not on the one from before the outage."""

    async def go():
        p, code = await open_presenter(cluster.url, server="r1")
        f = await open_follower(cluster.url, code, server="r2")
        try:
            before = await asyncio.to_thread(room, cluster.redis_url, code)
            cluster.stop_redis()
            await f.wait_text(f"Lost room {code}", FOLLOWS)
            await p.move(BETA, 0.7)  # cannot reach the room
            assert p.value(BETA) == [pytest.approx(0.7)]
            cluster.start_redis()
            await published(cluster.redis_url, code, 0.7, within=HEARTBEAT)
            after = await asyncio.to_thread(room, cluster.redis_url, code)
            await f.wait_text(f"Following room **{code}**", FOLLOWS)
            try:
                await f.wait_value(BETA, 0.7, FOLLOWS)
            except AssertionError as err:
                raise AssertionError(
                    f"the follower shows {BETA} = {f.value(BETA)} and "
                    f"{f.alerts()}, the lecturer 0.7; the room was version {before[0]} "
                    f"before the outage and is version {after[0]} after it") from err
            no_exceptions(p, f)
        finally:
            if not cluster.redis.running():
                cluster.start_redis()
            await close_all(p, f)

    run(go(), timeout=180)


@pytest.mark.usefixtures("quiet_logs")
def test_killed_replica_followers_reconnect_and_keep_following(cluster, run):
    """Runs last: it kills replica r2 of the module's cluster."""

    async def go():
        p, code = await open_presenter(cluster.url, server="r1")
        f = await open_follower(cluster.url, code, server="r2")
        g = await open_follower(cluster.url, code, server="r2", name="second student")
        fresh = None
        try:
            await p.move(BETA, 0.8)
            await f.wait_value(BETA, 0.8)
            old_session = f.session_id
            cluster.kill("r2")
            await f.wait(lambda: f.dropped, 10, "the websocket to drop")
            t0 = time.monotonic()
            res = await f.reconnect()  # through the balancer: the old cookie, the URL
            assert res.finished and not res.exceptions, res.exceptions
            assert f.replica() == "r1" and f.session_id != old_session
            assert f"follow={code}" in f.query_string
            await f.wait_text(f"Following room **{code}**", FOLLOWS)
            await f.wait_value(BETA, 0.8)
            took = time.monotonic() - t0
            # the other one opens the short link again (a reload of /?follow=CODE)
            await g.wait(lambda: g.dropped, 10, "the websocket to drop")
            await g.close()
            fresh = await open_follower(cluster.url, code, server="r2", name="reloaded")
            assert fresh.replica() == "r1"
            await fresh.wait_value(BETA, 0.8)
            await p.move(BETA, 0.95)  # and both keep following
            await f.wait_value(BETA, 0.95)
            await fresh.wait_value(BETA, 0.95)
            no_exceptions(p, f, fresh)
            return took
        finally:
            await close_all(p, f, g, fresh)

    took = run(go(), timeout=180)
    print(f"\nreconnected and following again after {took:.1f} s")
