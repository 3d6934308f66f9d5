"""A small Streamlit client over the app's own websocket protocol (no browser).

Used by the load benchmark (``benchmarks/bench_load.py``), the hostile-input test and the
scale-out test. One :class:`Session` is one viewer: it connects to ``/_stcore/stream`` (the
subprotocol header carries ``streamlit`` and, on a reconnect, the session id), asks for a page
with a ``rerun_script`` BackMsg, collects what the server sends until the script finishes,
and can send widget states (``WidgetState`` protobufs) as the browser does when a control
moves. Loopback only; every wait is bounded.

    async with Session(url, "Running_statistics") as s:
        first = await s.rerun()                      # the page's first run
        res = await s.set_widget("beta", 0.5)        # move the slider bound to ?beta=
        res.seconds, res.exceptions, s.query_string
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}
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


@dataclass
class RunResult:
    """What one script run sent back."""

    seconds: float
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # st.error boxes (friendly)
    texts: list[str] = field(default_factory=list)  # markdown / captions
    finished: bool = False


class Session:
    """One viewer of ``base_url`` (``http://127.0.0.1:port``), starting on page ``page``
    (its URL path, "" for the landing page) with ``query`` (a query string without ``?``)."""

    def __init__(self, base_url: str, page: str = "", query: str = "", timeout: float = 120):
        assert base_url.startswith(("http://127.0.0.1", "http://localhost")), "loopback only"
        self.ws_url = base_url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.origin = base_url
        self.page, self.query_string, self.timeout = page, query, timeout
        self.session_id: str | None = None
        self.page_hash = ""  # the page is asked for by its URL path (page_name)
        self.widgets: dict[str, Widget] = {}  # by URL key (or label for keyless widgets)
        self.states: dict[str, WidgetState] = {}  # by element id: what this viewer set
        self.ws = None
        self.cookies = ""

    async def __aenter__(self) -> Session:
        await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def connect(self, reconnect: bool = False) -> None:
        """Open the websocket (on ``reconnect``, ask for the same session id back)."""
        protocols = ["streamlit", "", self.session_id or ""] if reconnect else ["streamlit"]
        headers = {"Origin": self.origin}
        if self.cookies:
            headers["Cookie"] = self.cookies
        self.ws = await asyncio.wait_for(websockets.connect(
            self.ws_url, subprotocols=[", ".join(protocols)] if reconnect else protocols,
            additional_headers=headers, max_size=2**26, open_timeout=self.timeout,
            ping_interval=None), self.timeout)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def send(self, back: BackMsg) -> None:
        await self.ws.send(back.SerializeToString())

    def rerun_msg(self, states: list[WidgetState] | None = None) -> BackMsg:
        back = BackMsg()
        cs = back.rerun_script
        cs.query_string = self.query_string
        cs.page_name = self.page
        cs.page_script_hash = self.page_hash
        cs.widget_states.widgets.extend(states if states is not None
                                        else self.states.values())
        return back

    async def rerun(self, states: list[WidgetState] | None = None) -> RunResult:
        """Send a ``rerun_script`` (the viewer's widget states, or ``states``) and wait until
        the script finishes; return the time it took and what it showed."""
        t0 = time.perf_counter()
        await self.send(self.rerun_msg(states))
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
            if kind == "new_session":
                self.session_id = msg.new_session.initialize.session_id or self.session_id
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                self._element(msg.delta.new_element, res)
            elif kind == "script_finished" and msg.script_finished in FINISHED:
                res.finished = True
                res.seconds = time.perf_counter() - t0
                return res

    def _element(self, el, res: RunResult) -> None:
        kind = el.WhichOneof("type")
        if kind == "exception":
            where = " | ".join(line.strip() for line in el.exception.stack_trace[-4:])
            res.exceptions.append(f"{el.exception.type}: {el.exception.message} at {where}")
        elif kind == "alert" and el.alert.format == el.alert.ERROR:
            res.errors.append(el.alert.body)
        elif kind == "markdown":
            res.texts.append(el.markdown.body)
        elif kind in WIDGETS:
            proto = getattr(el, kind)
            key = getattr(proto, "query_param_key", "") or getattr(proto, "label", "")
            self.widgets[key] = Widget(proto.id, key, kind, getattr(proto, "label", ""), proto)

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
        """Move widget ``key`` to ``value`` and wait for the rerun."""
        ws = self.state_for(key, value)
        if ws.WhichOneof("value") != "trigger_value":
            self.states[ws.id] = ws
        return await self.rerun([*[s for i, s in self.states.items() if i != ws.id], ws])

    def url_params(self) -> dict[str, list[str]]:
        return urllib.parse.parse_qs(self.query_string, keep_blank_values=True)
