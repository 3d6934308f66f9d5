"""Push a room's moves to the followers in this process, instead of each follower polling.

One watcher thread per app process checks the version of every room that has a follower here
(a dict lookup in memory, one ``HGET`` per room in Redis) every :data:`WATCH` seconds. When a
room moves, it asks each following session of this process to rerun, as Streamlit itself does
when a source file changes (``AppSession.request_rerun`` with the session's last client state,
on the server's event loop). A follower that is idle costs nothing; a move costs each follower
one rerun — of the open tab's view alone (its ``st.fragment``) when the lecturer moved only a
control that redraws that view, of the whole page otherwise. A store that is lost, comes back
or loses the room also reruns the followers once, so their badge says so.

With replicas, each replica's watcher serves its own followers from the shared Redis store.
Relies on Streamlit internals (``Runtime``, ``AppSession``); ``requirements.txt`` pins
Streamlit for this reason.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from bnsim.ui import rooms

WATCH = 0.2  # seconds between two checks of the rooms followed in this process
_LOG = logging.getLogger(__name__)


class Watcher:
    """The followers of each room in this process: {room: {session id: view fragment id}}."""

    def __init__(self, interval: float = WATCH):
        self.interval = interval
        self._lock = threading.Lock()
        self._rooms: dict[str, dict[str, str | None]] = {}
        self._last: dict[str, object] = {}  # room -> last version seen, or "lost"
        self._views: dict[str, dict] = {}  # room -> last view read
        self._thread: threading.Thread | None = None

    def register(self, room: str, session_id: str, fragment_id: str | None,
                 version: int | None) -> None:
        """Session ``session_id`` follows ``room`` and shows its view at ``version``."""
        with self._lock:
            for other, sessions in self._rooms.items():
                if other != room:
                    sessions.pop(session_id, None)
            self._rooms.setdefault(room, {})[session_id] = fragment_id
            self._last.setdefault(room, version)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="bnsim-rooms",
                                                daemon=True)
                self._thread.start()

    def unregister(self, session_id: str) -> None:
        with self._lock:
            for sessions in self._rooms.values():
                sessions.pop(session_id, None)

    def followers(self, room: str) -> int:
        with self._lock:
            return len(self._rooms.get(room, {}))

    def _loop(self) -> None:
        while True:
            time.sleep(self.interval)
            with self._lock:
                todo = {room: dict(s) for room, s in self._rooms.items() if s}
                for room in [r for r, s in self._rooms.items() if not s]:
                    self._rooms.pop(room, None)
                    self._last.pop(room, None)
                    self._views.pop(room, None)
            for room, sessions in todo.items():
                try:
                    self._check(room, sessions)
                except Exception:  # noqa: BLE001 - the watcher must outlive any one room
                    _LOG.exception("checking room %s failed", room)

    def _check(self, room: str, sessions: dict[str, str | None]) -> None:
        try:
            store = rooms.store_from_env()
            version = store.version(room)
            got = store.read(room) if version is not None and version != self._last.get(room) \
                else None
        except rooms.StoreUnavailable:
            if self._last.get(room) != "lost":
                self._last[room] = "lost"
                self._push(sessions, None)
            return
        except ValueError:
            return
        if version == self._last.get(room):
            if version is not None and room not in self._views:
                got = store.read(room)  # the view followers show now: the next move's base
                self._views[room] = got[1] if got else None
            return
        self._last[room] = version
        view = got[1] if got else None
        previous, self._views[room] = self._views.get(room), view
        only_view = _only_view_moved(previous, view)
        self._push(sessions, only_view)

    def _push(self, sessions: dict[str, str | None], only_view: bool | None) -> None:
        for session_id, fragment_id in sessions.items():
            if not rerun(session_id, fragment_id if only_view else None):
                self.unregister(session_id)


def moved(before: dict | None, after: dict | None) -> set[str] | None:
    """The controls whose values differ between two views of a room, ``None`` when the page
    or the open tab differs (or a view is missing): then the whole page must rerun."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return None
    if before.get("page") != after.get("page") or before.get("tab") != after.get("tab"):
        return None
    a, b = before.get("values") or {}, after.get("values") or {}
    return {k for k in set(a) | set(b) if a.get(k) != b.get(k)}


def _only_view_moved(before: dict | None, after: dict | None) -> bool:
    """Whether the lecturer moved only controls that redraw the open tab's view."""
    changed = moved(before, after)
    return bool(changed) and changed <= set((after or {}).get("view_keys") or ())


def rerun(session_id: str, fragment_id: str | None = None) -> bool:
    """Ask session ``session_id`` of this process to rerun (only fragment ``fragment_id``,
    if given and still there). Returns False when the session is gone."""
    try:
        from streamlit.proto.ClientState_pb2 import ClientState
        from streamlit.runtime import Runtime
    except ImportError:
        return False
    if not Runtime.exists():
        return False
    info = Runtime.instance()._session_mgr.get_active_session_info(session_id)
    if info is None:
        return False
    session = info.session

    def go():
        last = session._client_state  # its page and address; no widget states, so the
        state = ClientState(query_string=last.query_string,  # session's values stay
                            page_script_hash=last.page_script_hash)
        if last.HasField("context_info"):
            state.context_info.CopyFrom(last.context_info)
        if fragment_id and session.has_fragment(fragment_id):
            state.fragment_id = fragment_id
        session.request_rerun(state)

    with contextlib.suppress(RuntimeError):  # the server is shutting down
        session._event_loop.call_soon_threadsafe(go)
        return True
    return False


WATCHER = Watcher()
