"""A small Streamlit client over the app's own websocket protocol (no browser).

Used by the load benchmark (``benchmarks/bench_load.py``), the memory benchmark, the
hostile-input test and the scale-out test (``tests/test_scale_out.py``). One
:class:`Session` is one viewer: it connects to ``/_stcore/stream`` (the subprotocol header
carries ``streamlit`` and, on a reconnect, the session id), asks for a page with a
``rerun_script`` BackMsg, collects what the server sends until the script finishes, and can
send widget states (``WidgetState`` protobufs) as the browser does when a control
moves. Loopback only; every wait is bounded.

    async with Session(url, "Running_statistics") as s:
        first = await s.rerun()                      # the page's first run
        res = await s.set_widget("ema_beta", 0.5)    # move the slider bound to ?ema_beta=
        res.seconds, res.exceptions, s.query_string

Behind a load balancer with cookie affinity (``deploy/cluster.py``) a viewer first loads the
page over HTTP as a browser does (:meth:`Session.load_page`): the cookie the balancer sets
(``SERVERID``) is kept in :attr:`Session.jar` and sent with the websocket and with CSV
downloads (:meth:`Session.download`), so they all reach the same replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
            ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
WIDGETS = ("slider", "number_input", "selectbox", "radio", "multiselect", "checkbox",
           "button", "button_group")


@dataclass
class Widget:
    """A widget the page drew: its element id, URL key (if bound) and kind."""

    id: str
    key: str
    kind: str
    label: str
    proto: object = None
    fragment: str = ""  # the fragment that drew it ("": the page itself)


@dataclass
class RunResult:
    """What one script run sent back."""

    seconds: float
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # st.error boxes (friendly)
    texts: list[str] = field(default_factory=list)  # markdown / captions, in page order
    texts_at: dict[tuple[int, ...], str] = field(default_factory=dict)  # by delta path
    finished: bool = False
    fragment_run: bool = False  # only a fragment reran (the rest of the page stayed)


class Session:
    """One viewer of ``base_url`` (``http://127.0.0.1:port``), starting on page ``page``
    (its URL path, "" for the landing page) with ``query`` (a query string without ``?``)."""

    def __init__(self, base_url: str, page: str = "", query: str = "", timeout: float = 120):
        assert base_url.startswith(("http://127.0.0.1", "http://localhost")), "loopback only"
        self.ws_url = base_url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.origin = base_url
        self.page, self.query_string, self.timeout = page, query, timeout
        self.session_id: str | None = None
        self.page_hash = ""  # first asked for by its URL path (page_name), then by its hash
        self.widgets: dict[str, Widget] = {}  # by URL key (or label for keyless widgets)
        self.states: dict[str, WidgetState] = {}  # by element id: what this viewer set
        self.ws = None
        self.jar: dict[str, str] = {}  # cookies (name -> value), e.g. the balancer's SERVERID
        self.downloads: dict[str, Element] = {}  # download buttons by label
        self._requests = itertools.count(1)
        self._responses: dict[str, object] = {}  # backend operation responses by request id

    @property
    def cookies(self) -> str:
        """The ``Cookie`` header this viewer sends (empty without cookies)."""
        return "; ".join(f"{k}={v}" for k, v in self.jar.items())

    def _keep_cookies(self, headers) -> None:
        for raw in headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(raw).items():
                self.jar[name] = morsel.value

    def _get(self, path: str) -> tuple[int, bytes]:
        req = urllib.request.Request(self.origin.rstrip("/") + path)
        if self.jar:
            req.add_header("Cookie", self.cookies)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                self._keep_cookies(resp.headers)
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, b""

    async def load_page(self) -> int:
        """GET the page's HTML as a browser does first, keeping the cookies it sets (behind
        a balancer: which replica this viewer is pinned to). Returns the HTTP status."""
        path = f"/{self.page}" + (f"?{self.query_string}" if self.query_string else "")
        status, _ = await asyncio.to_thread(self._get, path)
        return status

    async def fetch(self, path: str) -> tuple[int, bytes]:
        """GET ``path`` (e.g. a ``/media/...`` URL) with this viewer's cookies."""
        return await asyncio.to_thread(self._get, path)

    async def __aenter__(self) -> Session:
        await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def connect(self, reconnect: bool = False) -> None:
        """Open the websocket (on ``reconnect``, ask for the same session id back)."""
        # Streamlit reads the subprotocol list by position: "streamlit", an XSRF token, the
        # session id to resume. The websockets package refuses an empty entry, so the unused
        # token slot holds a placeholder (an invalid token only means "no signed-in user").
        protocols = (["streamlit", "no-xsrf", self.session_id]
                     if reconnect and self.session_id else ["streamlit"])
        headers = {"Origin": self.origin}
        if self.cookies:
            headers["Cookie"] = self.cookies
        self.ws = await asyncio.wait_for(websockets.connect(
            self.ws_url, subprotocols=protocols,
            additional_headers=headers, max_size=2**26, open_timeout=self.timeout,
            ping_interval=None), self.timeout)
        response = getattr(self.ws, "response", None)
        if response is not None:  # a balancer may (re)pin the viewer on the upgrade
            self._keep_cookies(response.headers)

    async def reconnect(self) -> RunResult:
        """What the browser does when its websocket drops (e.g. its replica died): open a new
        one, asking for the old session id, and rerun the page from its URL (the query string
        the app last wrote) with no widget state — a replica that does not know the session
        rebuilds the view from the URL alone."""
        await self.close()
        await self.connect(reconnect=True)
        self.states.clear()
        return await self.rerun([])

    async def close(self) -> None:
        if self.ws is not None:
            ws, self.ws = self.ws, None
            try:
                await asyncio.wait_for(ws.close(), 10)
            except (OSError, TimeoutError, websockets.ConnectionClosed):
                pass  # already gone (e.g. the server died)

    async def send(self, back: BackMsg) -> None:
        await self.ws.send(back.SerializeToString())

    def rerun_msg(self, states: list[WidgetState] | None = None,
                  fragment: str = "") -> BackMsg:
        back = BackMsg()
        cs = back.rerun_script
        cs.fragment_id = fragment
        cs.query_string = self.query_string
        cs.page_name = self.page
        cs.page_script_hash = self.page_hash
        cs.widget_states.widgets.extend(states if states is not None
                                        else self.states.values())
        return back

    async def rerun(self, states: list[WidgetState] | None = None,
                    fragment: str = "") -> RunResult:
        """Send a ``rerun_script`` (the viewer's widget states, or ``states``) and wait until
        the script finishes; return the time it took and what it showed. ``fragment``: rerun
        only that fragment (as the browser does when a widget the fragment drew moves)."""
        t0 = time.perf_counter()
        await self.send(self.rerun_msg(states, fragment))
        return await self.collect(t0)

    async def collect(self, t0: float | None = None) -> RunResult:
        """Read ForwardMsgs until the script run finishes (bounded by the timeout)."""
        t0 = time.perf_counter() if t0 is None else t0
        res = RunResult(seconds=0.0)
        deadline = t0 + self.timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"script did not finish within {self.timeout} s")
            raw = await asyncio.wait_for(self.ws.recv(), left)
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "backend_operation_response":
                self._responses[msg.backend_operation_response.request_id] = \
                    msg.backend_operation_response
            elif kind == "new_session":
                self.session_id = msg.new_session.initialize.session_id or self.session_id
            elif kind == "navigation":
                # later reruns name the page by its hash, as the browser does (asked for by
                # name only, the server filters the URL's parameters as if for another page)
                self.page_hash = msg.navigation.page_script_hash or self.page_hash
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                self._element(msg.delta.new_element, res, tuple(msg.metadata.delta_path),
                              msg.delta.fragment_id)
            elif kind == "script_finished" and msg.script_finished in FINISHED:
                # texts in page order: a placeholder filled later in the run replaces what its
                # path held (whether the server sent both or coalesced them depends on timing)
                res.texts = [res.texts_at[p] for p in sorted(res.texts_at)]
                res.finished = True
                res.fragment_run = (msg.script_finished
                                    == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
                res.seconds = time.perf_counter() - t0
                return res

    def _element(self, el, res: RunResult, path: tuple[int, ...] = (),
                 fragment: str = "") -> None:
        kind = el.WhichOneof("type")
        if kind == "exception":
            where = " | ".join(line.strip() for line in el.exception.stack_trace[-4:])
            res.exceptions.append(f"{el.exception.type}: {el.exception.message} at {where}")
        elif kind == "alert" and el.alert.format == el.alert.ERROR:
            res.errors.append(el.alert.body)
        elif kind == "markdown":
            res.texts_at[path] = el.markdown.body
        elif kind == "download_button":
            self.downloads[el.download_button.label] = el.download_button
        elif kind in WIDGETS:
            proto = getattr(el, kind)
            key = getattr(proto, "query_param_key", "") or getattr(proto, "label", "")
            self.widgets[key] = Widget(proto.id, key, kind, getattr(proto, "label", ""), proto,
                                       fragment)

    # ---------------------------------------------------------------- moving controls
    def state_for(self, key: str, value) -> WidgetState:
        """The WidgetState the browser would send for widget ``key`` holding ``value``
        (a number, a bool, an option label or a list of labels)."""
        w = self.widgets[key]
        ws = WidgetState(id=w.id)
        if w.kind == "slider":
            ws.double_array_value.data.extend([float(value)])
        elif w.kind == "number_input":
            if isinstance(value, int):
                ws.int_value = value
            else:
                ws.double_value = float(value)
        elif w.kind == "checkbox":
            ws.bool_value = bool(value)
        elif w.kind in ("selectbox", "radio"):
            ws.string_value = str(value)
        elif w.kind == "multiselect":
            ws.string_array_value.data.extend([str(v) for v in value])
        elif w.kind == "button":
            ws.trigger_value = True
        return ws

    async def set_widget(self, key: str, value) -> RunResult:
        """Move widget ``key`` to ``value`` and wait for the rerun (of the fragment that drew
        the widget, if one did: as the browser does)."""
        ws = self.state_for(key, value)
        if ws.WhichOneof("value") != "trigger_value":
            self.states[ws.id] = ws
            self._write_url(key, value)
        return await self.rerun([*[s for i, s in self.states.items() if i != ws.id], ws],
                                self.widgets[key].fragment)

    def _write_url(self, key: str, value) -> None:
        """As the browser does for a widget bound to the URL (``bind="query-params"``): put
        its new value into the address bar (numbers as Streamlit writes them: 5.0 -> "5")."""
        w = self.widgets.get(key)
        if w is None or not getattr(w.proto, "query_param_key", ""):
            return
        fmt = (lambda v: str(int(v)) if float(v).is_integer() else str(v)) \
            if w.kind in ("slider", "number_input") else str
        if isinstance(value, bool):
            fmt = lambda v: str(v).lower()  # noqa: E731
        vals = [fmt(v) for v in value] if isinstance(value, (list, tuple)) else [fmt(value)]
        params = [(k, v) for k, v in urllib.parse.parse_qsl(self.query_string,
                                                             keep_blank_values=True)
                  if k != w.proto.query_param_key]
        params += [(w.proto.query_param_key, v) for v in vals]
        self.query_string = urllib.parse.urlencode(params)

    def shown(self, key: str):
        """The value widget ``key`` shows after the last run: what this viewer set, else what
        the server set (e.g. from the URL), else the widget's default (a slider: a list)."""
        w = self.widgets[key]
        mine = self.states.get(w.id)
        if mine is not None:
            val = getattr(mine, mine.WhichOneof("value"))
            return list(val.data) if hasattr(val, "data") else val
        p = w.proto
        return list(p.value) if getattr(p, "set_value", False) else list(p.default)

    def url_params(self) -> dict[str, list[str]]:
        return urllib.parse.parse_qs(self.query_string, keep_blank_values=True)

    # ---------------------------------------------------------------- downloads
    async def download(self, label: str) -> tuple[int, bytes]:
        """Click the download button ``label`` as the browser does (:meth:`download_url`), then
        GET the file with this viewer's cookies. Returns the HTTP status and the bytes."""
        return await self.fetch(await self.download_url(label))

    async def download_url(self, label: str) -> str:
        """The ``/media/...`` URL of download button ``label``'s file: for a deferred file
        (built on click) asked from the server over the websocket
        (``backend_operation_request``), as the browser does on a click."""
        btn = self.downloads[label]
        url = btn.url
        if btn.deferred_file_id:
            rid = f"dl-{next(self._requests)}"
            back = BackMsg()
            back.backend_operation_request.request_id = rid
            back.backend_operation_request.session_id = self.session_id or ""
            back.backend_operation_request.deferred_file.file_id = btn.deferred_file_id
            await self.send(back)
            deadline = time.perf_counter() + self.timeout
            while rid not in self._responses:
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise TimeoutError(f"no answer for the download {label!r}")
                raw = await asyncio.wait_for(self.ws.recv(), left)
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                if msg.WhichOneof("type") == "backend_operation_response":
                    r = msg.backend_operation_response
                    self._responses[r.request_id] = r
            resp = self._responses.pop(rid)
            if resp.error_msg:
                raise RuntimeError(f"download {label!r} failed: {resp.error_msg}")
            url = resp.deferred_file.url
        return url if url.startswith("/") else f"/{url}"


# -------------------------------------------------------------------- a tab that stays open
ALERTS = {1: "error", 2: "warning", 3: "info", 4: "success"}


@dataclass
class LiveRun(RunResult):
    """One script run as a :class:`LiveSession` saw it (times: ``time.perf_counter()``)."""

    started: float = 0.0  # its ``new_session`` arrived
    ended: float = 0.0  # its ``script_finished`` arrived: the run finished drawing
    page_hash: str = ""  # the page it ran
    fragment_ids: tuple[str, ...] = ()  # the fragments it reran (empty: the whole page)
    auto: bool = False  # asked for by an auto-rerun timer (``st.fragment(run_every=…)``)
    values: dict[str, object] = field(default_factory=dict)  # widget key -> what it shows
    alerts: list[tuple[str, str]] = field(default_factory=list)  # ("success", body), …
    drawn: set[str] = field(default_factory=set)  # ids of the widgets it drew


class LiveSession(Session):
    """A viewer whose websocket stays open and is read all the time, as a browser tab's is:
    a reader task takes every ForwardMsg as it comes, so the server may start runs by itself
    (``st.switch_page``, ``st.rerun`` in a fragment) and timers may ask for runs meanwhile.

    What it does as Streamlit's frontend does (``static/js``, 1.67):

    - **auto-rerun timers**: an ``auto_rerun`` ForwardMsg (a ``st.fragment(run_every=…)``)
      starts a timer that sends a ``rerun_script`` for that fragment every ``interval`` s
      (``is_auto_rerun``, with every widget state held), whether or not the last one was
      answered; the timers stop on a ``stop_auto_rerun`` and are all cleared when a
      whole-page run starts (its ``new_session`` names no fragment), whose ``auto_rerun``
      messages start them again;
    - **widget states**: a value the server pushes (``set_value``) replaces the state held
      for that widget (so the next rerun sends what the screen shows, not a stale value; a
      kind it cannot convert is dropped, and the server keeps its own value); after a
      whole-page run, the states of widgets it did not draw are dropped;
    - **page and URL**: ``new_session``/``navigation`` give the page's hash (later reruns
      name the page by it; ``st.switch_page`` changes it), ``page_info_changed`` the query
      string;
    - **message cache**: the hashes of the large elements received (``metadata.cacheable``)
      are sent with each rerun, so the server sends references for unchanged charts; they
      age as the browser's do (``maxCachedMessageAge`` runs). Only hashes are kept, not the
      elements (widgets are small, never sent as references).

    Each finished run is a :class:`LiveRun`, passed to ``on_run(session, run)`` (if given)
    and kept in :attr:`last`; a run stopped early for another rerun is passed to ``on_run``
    too, with ``finished=False`` (what it drew stays on screen until the next run redraws).
    ``closed`` says why the websocket closed under it (``None`` while open or when closed by
    :meth:`close`). :meth:`rerun` / :meth:`set_widget` send and wait for the
    next run that starts after the send."""

    def __init__(self, base_url: str, page: str = "", query: str = "", timeout: float = 120,
                 on_run=None):
        super().__init__(base_url, page, query, timeout)
        self.on_run = on_run
        self.last: LiveRun | None = None
        self.runs = 0  # runs finished
        self.auto_reruns = 0  # reruns its timers sent
        self.closed: str | None = None
        self.exceptions: list[str] = []  # every run's, in order
        self._reader: asyncio.Task | None = None
        self._closing = False
        self._run: LiveRun | None = None
        self._carry: list[str] = []  # exceptions of a run ended early for a rerun
        self._timers: dict[str, tuple[float, asyncio.Task]] = {}
        self._waiters: list[tuple[object, asyncio.Future]] = []
        self._cache: dict[str, list] = {}  # message hash -> [run count at last use, fragment]
        self._run_count = 0
        self._max_age = 2
        self._new_session_since_send = False

    # ---------------------------------------------------------------- connection
    async def connect(self, reconnect: bool = False) -> None:
        self._closing = False
        await super().connect(reconnect)
        self.closed = None
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        self._closing = True
        self._stop_timers()
        reader, self._reader = self._reader, None
        await super().close()
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    async def _read(self) -> None:
        why = "closed by the server"
        try:
            async for raw in self.ws:
                self._on(raw)
        except websockets.ConnectionClosed as err:
            why = f"connection closed ({err.rcvd.code if err.rcvd else 'no close frame'})"
        except Exception as err:  # a message it could not take: say so, as a closed tab
            why = f"reader failed: {type(err).__name__}: {err}"
        if not self._closing:
            self.closed = why
            self._stop_timers()
            for _, fut in self._waiters:
                if not fut.done():
                    fut.set_exception(ConnectionError(why))
            self._waiters.clear()

    # ---------------------------------------------------------------- asking for runs
    def rerun_msg(self, states: list[WidgetState] | None = None, fragment: str = "",
                  auto: bool = False) -> BackMsg:
        back = super().rerun_msg(states, fragment)
        cs = back.rerun_script
        if self.page_hash:  # the browser names a known page by its hash alone
            cs.page_name = ""
        cs.is_auto_rerun = auto
        cs.cached_message_hashes.extend(self._cache)
        cs.context_info.url = (f"{self.origin}/{self.page}"
                               + (f"?{self.query_string}" if self.query_string else ""))
        cs.context_info.timezone = "UTC"
        cs.context_info.locale = "en-GB"
        self._new_session_since_send = False
        return back

    def next_run(self, until=None) -> asyncio.Future:
        """A future for the next finished run (that ``until(run)`` accepts, if given)."""
        fut = asyncio.get_running_loop().create_future()
        if self.closed:
            fut.set_exception(ConnectionError(self.closed))
        else:
            self._waiters.append((until, fut))
        return fut

    async def rerun(self, states: list[WidgetState] | None = None,
                    fragment: str = "") -> LiveRun:
        """Send a ``rerun_script`` and wait for the first run that starts after it."""
        t0 = time.perf_counter()
        fut = self.next_run(lambda run: run.started >= t0)
        await self.send(self.rerun_msg(states, fragment))
        run = await asyncio.wait_for(fut, self.timeout)
        run.seconds = run.ended - t0
        return run

    async def collect(self, t0: float | None = None) -> RunResult:
        """The next finished run (the reader task reads the websocket)."""
        t0 = time.perf_counter() if t0 is None else t0
        run = await asyncio.wait_for(self.next_run(), self.timeout)
        run.seconds = run.ended - t0
        return run

    def state_for(self, key: str, value) -> WidgetState:
        w = self.widgets[key]
        if w.kind == "text_input":
            return WidgetState(id=w.id, string_value=str(value))
        return super().state_for(key, value)

    def value_of(self, key: str):
        """What widget ``key`` shows now, as the frontend holds it (a slider: a list)."""
        w = self.widgets[key]
        mine = self.states.get(w.id)
        if mine is not None and mine.WhichOneof("value"):
            val = getattr(mine, mine.WhichOneof("value"))
            return list(val.data) if hasattr(val, "data") else val
        p = w.proto
        if w.kind == "slider":
            return list(p.default)
        if w.kind in ("selectbox", "radio"):
            ok = p.HasField("default") and 0 <= p.default < len(p.options)
            return p.options[p.default] if ok else None
        return getattr(p, "default", None)

    # ---------------------------------------------------------------- auto-rerun timers
    def _start_timer(self, fragment: str, interval: float) -> None:
        old = self._timers.get(fragment)
        if old is not None and old[0] == interval:
            return
        if old is not None:
            old[1].cancel()
        if interval > 0:
            self._timers[fragment] = (interval, asyncio.create_task(
                self._tick(fragment, interval)))

    def _stop_timers(self, fragments=None) -> None:
        for f in list(self._timers) if fragments is None else fragments:
            entry = self._timers.pop(f, None)
            if entry is not None:
                entry[1].cancel()

    async def _tick(self, fragment: str, interval: float) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + interval
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            due = max(due + interval, loop.time())
            if self.ws is None:
                return
            try:
                await self.send(self.rerun_msg(None, fragment, auto=True))
            except websockets.ConnectionClosed:
                return
            self.auto_reruns += 1

    # ---------------------------------------------------------------- messages
    def _on(self, raw: bytes) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
        run = self._run
        if kind == "delta":
            if msg.metadata.cacheable and msg.hash and msg.hash not in self._cache:
                self._cache[msg.hash] = [self._run_count, msg.delta.fragment_id]
            if msg.delta.WhichOneof("type") == "new_element" and run is not None:
                self._element(msg.delta.new_element, run, tuple(msg.metadata.delta_path),
                              msg.delta.fragment_id)
        elif kind == "ref_hash":
            entry = self._cache.get(msg.ref_hash)
            if entry is not None:
                entry[0] = self._run_count
            elif run is not None:
                run.exceptions.append(f"message cache miss: {msg.ref_hash}")
        elif kind == "new_session":
            ns = msg.new_session
            if self.session_id is None:
                self._max_age = ns.config.max_cached_message_age or self._max_age
            self.session_id = ns.initialize.session_id or self.session_id
            self.page_hash = ns.page_script_hash or self.page_hash
            frags = tuple(msg.metadata.run.fragment_ids)
            if not frags:
                self._stop_timers()
            self._new_session_since_send = True
            self._run = LiveRun(seconds=0.0, started=time.perf_counter(),
                                page_hash=self.page_hash, fragment_ids=frags,
                                exceptions=self._carry)
            self._carry = []
        elif kind == "navigation":
            self.page_hash = msg.navigation.page_script_hash or self.page_hash
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            self._start_timer(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            self._stop_timers(list(msg.stop_auto_rerun.fragment_ids))
        elif kind == "backend_operation_response":
            self._responses[msg.backend_operation_response.request_id] = \
                msg.backend_operation_response
        elif kind == "script_finished" and run is not None:
            if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                self._carry = run.exceptions  # the rerun that follows shows the page
                self._run = None
                run.ended = time.perf_counter()
                if self.on_run is not None:  # finished=False: it stopped for a rerun
                    self.on_run(self, run)
            elif msg.script_finished in FINISHED:
                self._finish(run, msg.script_finished)

    def _finish(self, run: LiveRun, status) -> None:
        self._run = None
        run.ended = time.perf_counter()
        run.finished = True
        run.fragment_run = status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
        run.texts = [run.texts_at[p] for p in sorted(run.texts_at)]
        if self._new_session_since_send:  # the browser ages its cache at the end of a run
            self._run_count += 1
            for h, (count, frag) in list(self._cache.items()):
                if run.fragment_ids and (not frag or frag not in run.fragment_ids):
                    continue
                if self._run_count - count > self._max_age:
                    del self._cache[h]
        if not run.fragment_ids:  # the frontend forgets the states of widgets not drawn
            self.states = {i: s for i, s in self.states.items() if i in run.drawn}
        self.runs += 1
        self.last = run
        self.exceptions += run.exceptions
        if self.on_run is not None:
            self.on_run(self, run)
        keep = []
        for until, fut in self._waiters:
            if fut.done():
                continue
            if until is None or until(run):
                fut.set_result(run)
            else:
                keep.append((until, fut))
        self._waiters = keep

    def _element(self, el, res: RunResult, path: tuple[int, ...] = (),
                 fragment: str = "") -> None:
        super()._element(el, res, path, fragment)
        kind = el.WhichOneof("type")
        if kind == "alert" and isinstance(res, LiveRun):
            res.alerts.append((ALERTS.get(el.alert.format, "?"), el.alert.body))
            return
        if kind not in (*WIDGETS, "text_input"):
            return
        proto = getattr(el, kind)
        key = getattr(proto, "query_param_key", "") or getattr(proto, "label", "")
        if kind == "text_input":
            self.widgets[key] = Widget(proto.id, key, kind, proto.label, proto, fragment)
        if getattr(proto, "set_value", False):
            state = _pushed_state(kind, proto)
            if state is None:
                self.states.pop(proto.id, None)
            else:
                self.states[proto.id] = state
        if isinstance(res, LiveRun):
            res.drawn.add(proto.id)
            res.values[key] = self.value_of(key)


def _pushed_state(kind: str, p) -> WidgetState | None:
    """The WidgetState the frontend holds after the server pushed widget ``p``'s value
    (``set_value``); ``None`` for a kind this client does not convert."""
    ws = WidgetState(id=p.id)
    if kind == "slider" and not p.options:
        ws.double_array_value.data.extend(p.value)
    elif kind == "checkbox":
        ws.bool_value = p.value
    elif kind in ("selectbox", "radio") and p.HasField("raw_value"):
        ws.string_value = p.raw_value
    elif kind == "multiselect":
        ws.string_array_value.data.extend(p.raw_values)
    elif kind == "text_input" and p.HasField("value"):
        ws.string_value = p.value
    else:
        return None
    return ws
