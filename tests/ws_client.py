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
