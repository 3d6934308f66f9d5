"""Follow the lecturer: students see what the projector shows, and can step away and rejoin.

The lecturer's side — presenter key, room, QR code, join card, publishing — is
:mod:`bnsim.ui.present`; the rooms live in :mod:`bnsim.ui.rooms`; this process's watcher
(:mod:`bnsim.ui.follow_push`) pushes every move to the followers here.

``?follow=CODE`` (the link, or the code typed on Home) makes a session follow the room. Each
full run of a follower's page reads the room's version (one small read) and, when it changed,
its view, which is checked control by control (:meth:`Control.ok`, as a link's values are)
before it is applied; a view on another page switches page first. A badge says "Following
room CODE". When the student moves anything themselves, they detach (the badge says so, with
"Rejoin", which jumps to the lecturer's current view). Followers never write to the room.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from bnsim.ui import rooms
from bnsim.ui.control import Control
from bnsim.ui.follow_push import WATCHER, moved

FOLLOW = "_bnsim_follow"  # session: {"room", "applied", "pending", "seen", "detached", …}
PRESENT = "_bnsim_present"  # session: {"room", "token", "version", "view", "moved", …}
KEY_INPUT = "_bnsim_presenter_key"  # the key's text box (cleared as soon as it is read)
JOIN_CARD = "_bnsim_join_card"  # the presenter's "show the join card" toggle
CODE_INPUT = "_bnsim_follow_code"  # Home's "follow a room" box
COOKIE = "bnsim_presenter"  # a random token naming the presenter's room (never the key)
URL_KEY = "follow"
LOST_GRACE = 60.0  # seconds after a lost store during which a missing room is "lost", not ended


# ------------------------------------------------------------------ the store and the key
def store():
    """The process's room store (``BNSIM_ROOM_STORE``), or ``None`` with a message when the
    setting is not valid."""
    try:
        return rooms.store_from_env()
    except ValueError as err:
        st.sidebar.warning(f"Rooms are off: {err}", icon=":material/cloud_off:")
        return None


# ------------------------------------------------------------------ a view, as data
def view_of(script: str, tab: str | None, controls: Sequence[Control],
            values: Mapping[str, Any], preset: str | None = None,
            view_keys: Sequence[str] = ()) -> dict[str, Any]:
    """The view a page shows, as the room carries it: page script, open tab, every control's
    value as its widget holds it (labels for options), the preset it matches, and the keys
    of the controls that only redraw the open tab (a move of those reruns a follower's view
    alone)."""
    shown = {}
    for c in controls:
        if c.key in values:
            with contextlib.suppress(KeyError, TypeError):
                shown[c.key] = c.to_widget(values[c.key])
    return json.loads(json.dumps({"page": script, "tab": tab, "values": shown,
                                  "preset": preset, "view_keys": list(view_keys)},
                                 allow_nan=False, default=list))


def _same(a: Mapping | None, b: Mapping | None) -> bool:
    keep = ("page", "tab", "values")
    return a is not None and b is not None and all(a.get(k) == b.get(k) for k in keep)


def validated(view: Mapping[str, Any], controls: Sequence[Control],
              tabs: Sequence[str]) -> tuple[dict[str, Any], str | None]:
    """The room's values this page may show ({key: widget value}, each passing
    :meth:`Control.ok`) and its tab (``None`` if not one of ``tabs``); anything else in the
    view is ignored, as a link's bad values are."""
    raw = view.get("values") if isinstance(view, Mapping) else None
    raw = raw if isinstance(raw, Mapping) else {}
    good = {}
    for c in controls:
        if c.key in raw:
            value = raw[c.key]
            value = list(value) if isinstance(value, tuple) else value
            if c.ok(value):
                good[c.key] = value
    tab = view.get("tab") if isinstance(view, Mapping) else None
    return good, tab if isinstance(tab, str) and tab in tabs else None


# ------------------------------------------------------------------ the top of every page
def _fragment_id() -> str | None:
    """The id of the fragment running now (``None`` outside one)."""
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState

        return ThreadState.get().fragment_id
    except Exception:  # noqa: BLE001 - another Streamlit: the page reruns whole
        return None


def _fragment_run() -> bool:
    ctx = get_script_run_ctx()
    return bool(ctx and ctx.fragment_ids_this_run)


def _base_url() -> str:
    public = os.environ.get("BNSIM_PUBLIC_URL", "").strip().rstrip("/")
    if public:
        return public
    with contextlib.suppress(Exception):
        parts = urllib.parse.urlsplit(st.context.url or "")
        if parts.scheme and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}"
    return ""


def follow_link(code: str) -> str:
    """The short link that follows room ``code`` (on this server's address)."""
    return f"{_base_url()}/?{URL_KEY}={code}"


def start_following(code: str) -> str | None:
    """Follow room ``code`` (typed or from a link); returns a message if it cannot be."""
    room = rooms.normalise(code)
    if room is None:
        return (f"“{str(code)[:12]}” is not a room code: a code is {rooms.CODE_LENGTH} "
                f"characters from {' '.join(rooms.ALPHABET)}.")
    s = store()
    if s is None:
        return "Rooms are off on this server."
    try:
        found = s.version(room)
    except rooms.StoreUnavailable:
        return f"Can't reach the rooms right now to join {room}; try again in a moment."
    if found is None:
        return (f"There is no room {room}: it may have ended (a room ends after "
                f"{_hours(s.ttl)} without a move). Ask the lecturer for the current code.")
    st.session_state[FOLLOW] = {"room": room, "applied": None, "pending": None, "seen": None,
                                "detached": False, "lost_since": None, "ended": None}
    return None


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:g} h" if seconds >= 3600 else f"{seconds:g} s"


def top(script: str) -> None:
    """Run first on every page: the presenter's restore (reloaded browser), a follow link,
    and the jump to the lecturer's page when the room's view is on another one."""
    state = st.session_state
    if PRESENT not in state and not state.get("_bnsim_restore_tried"):
        state["_bnsim_restore_tried"] = True
        from bnsim.ui import present

        present.restore()
    code = st.query_params.get(URL_KEY)
    f = state.get(FOLLOW)
    if code is not None and PRESENT not in state and (f is None or f["room"] != code):
        problem = start_following(code)
        if problem:
            state["_bnsim_follow_problem"] = problem
            with contextlib.suppress(Exception):
                del st.query_params[URL_KEY]
        f = state.get(FOLLOW)
        if f:
            _poll_once(f)  # the room's view now, not after the first poll
    elif f and not f["detached"] and not f["ended"]:
        _poll_once(f)  # every full run shows the room's latest view
    if f and not f["detached"] and f["pending"] is not None:
        target = f["pending"].get("page")
        if isinstance(target, str) and target != script and _known_page(target):
            st.switch_page(target, query_params={URL_KEY: f["room"]})


def _known_page(script: str) -> bool:
    from bnsim.ui.page import PAGES

    return any(script == p[0] for p in PAGES)


def apply(controls: Sequence[Control], tabs: Sequence[str], tab_key: str) -> None:
    """Put the room's pending view into this page's controls (after the page was entered,
    before any of its widgets is drawn): only values its controls allow."""
    f = st.session_state.get(FOLLOW)
    if not f or f["detached"] or f["pending"] is None:
        return
    good, tab = validated(f["pending"], controls, tabs)
    for key, value in good.items():
        st.session_state[key] = value
    if tab is not None:
        st.session_state[tab_key] = tab


def settle(view: dict[str, Any]) -> None:
    """Run last on every page with the view it showed: the presenter publishes it (when it
    changed); a follower who just applied the room's view records it, and one who moved
    something since then detaches."""
    state = st.session_state
    p = state.get(PRESENT)
    if p is not None:
        if p.get("dirty") or not _same(view, p.get("view")):  # (the preset follows)
            p["view"], p["moved"] = view, time.monotonic()
            from bnsim.ui import present

            present.publish(p)
        return
    f = state.get(FOLLOW)
    if not f or f["detached"]:
        return
    if f["pending"] is not None:
        f["seen"], f["pending"] = view, None
    elif f["seen"] is not None and not _same(view, f["seen"]):
        detach()
        if _fragment_run():  # the badge sits outside this fragment: redraw the page once
            st.rerun()
        return
    ctx = get_script_run_ctx()
    if ctx is not None and not f["ended"]:
        WATCHER.register(f["room"], ctx.session_id, _fragment_id(), f["applied"])


def refresh(view_controls: Sequence[Control]) -> None:
    """At the start of the open tab's view: when only the view reruns (the lecturer moved a
    control that redraws it alone), take the room's new values for those controls; anything
    else moved reruns the whole page."""
    f = st.session_state.get(FOLLOW)
    if not f or f["detached"] or f["ended"] or not _fragment_run():
        return
    _poll_once(f)  # always: a view run cut short may have left an older pending view
    if f["pending"] is None:
        return
    changed = moved(f["seen"], f["pending"])
    if changed is None or not changed <= {c.key for c in view_controls}:
        st.rerun()
    good, _ = validated(f["pending"], view_controls, ())
    for key, value in good.items():
        st.session_state[key] = value


def presenting() -> bool:
    """Whether this session presents a room (its views are published)."""
    return PRESENT in st.session_state


def _unregister() -> None:
    ctx = get_script_run_ctx()
    if ctx is not None:
        WATCHER.unregister(ctx.session_id)


def detach() -> None:
    _unregister()
    f = st.session_state.get(FOLLOW)
    if f:
        f["detached"] = True
        with contextlib.suppress(Exception):
            del st.query_params[URL_KEY]


def _rejoin() -> None:
    f = st.session_state.get(FOLLOW)
    if f:
        f.update(detached=False, applied=None, pending=None, seen=None, ended=None)
        with contextlib.suppress(Exception):
            st.query_params[URL_KEY] = f["room"]
        _poll_once(f)


def _leave() -> None:
    _unregister()
    st.session_state.pop(FOLLOW, None)
    with contextlib.suppress(Exception):
        del st.query_params[URL_KEY]


# ------------------------------------------------------------------ the follower's badge
def _poll_once(f: dict) -> bool:
    """Read the room's version; when it changed, take its view as pending. Returns whether
    the page must rerun to show it."""
    s = store()
    if s is None:
        return False
    try:
        version = s.version(f["room"])
        got = None if version is None or version == f["applied"] else s.read(f["room"])
    except rooms.StoreUnavailable:
        f["lost_since"] = f["lost_since"] or time.monotonic()
        return False
    lost = f["lost_since"]
    if version is None or (got is None and version != f["applied"]):
        if lost is not None and time.monotonic() - lost < LOST_GRACE:
            return False  # the store came back empty: the lecturer's page republishes soon
        f["ended"], f["lost_since"] = "expired", None
        return False
    f["lost_since"] = None
    if got is None:
        return False
    version, view = got
    if view.get("ended"):
        f["ended"] = "stopped"
        return False
    f["applied"], f["pending"] = version, view
    return True


def _badge(f: dict) -> None:
    room = f["room"]
    if f["ended"]:
        why = ("the lecturer stopped presenting" if f["ended"] == "stopped" else
               "it expired: no move for a long while")
        st.warning(f"Room {room} has ended ({why}). This view stays; type a new code on "
                   "Home to follow again.", icon=":material/event_busy:")
    elif f["lost_since"] is not None:
        st.warning(f"Lost room {room}, retrying… (the view stays as it is)",
                   icon=":material/sync_problem:")
    elif f["detached"]:
        st.info(f"You left room {room} when you moved a control.",
                icon=":material/link_off:")
    else:
        st.success(f"Following room **{room}** — the lecturer's view, live. Move any "
                   "control to explore on your own.", icon=":material/cast_for_education:")


def follower_bar() -> None:
    """The follower's badge (top of the main area): polling while following; "Rejoin" after
    the student moved a control."""
    f = st.session_state.get(FOLLOW)
    problem = st.session_state.pop("_bnsim_follow_problem", None)
    if problem:
        st.warning(problem, icon=":material/error:")
    if not f:
        return
    if f["detached"] or f["ended"]:
        _unregister()
        cols = st.columns([5, 1, 1], vertical_alignment="center")
        with cols[0]:
            _badge(f)
        if f["detached"]:
            cols[1].button("Rejoin", key="_bnsim_rejoin", on_click=_rejoin,
                           icon=":material/cast_for_education:", width="stretch")
        cols[2].button("Stop following", key="_bnsim_leave", on_click=_leave, width="stretch")
        return
    _badge(f)


def home_box() -> None:
    """Home's "Follow the lecturer" box: type the room code."""
    if PRESENT in st.session_state:
        return
    with st.container(border=True):
        st.markdown("**Follow the lecturer** — type the room code shown on the projector:")
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        code = left.text_input("Room code", key=CODE_INPUT, max_chars=8,
                               placeholder="e.g. " + rooms.ALPHABET[:4],
                               label_visibility="collapsed")
        if right.button("Follow", key="_bnsim_follow_go", width="stretch") and code:
            problem = start_following(code)
            if problem:
                st.warning(problem, icon=":material/error:")
            else:
                st.query_params[URL_KEY] = st.session_state[FOLLOW]["room"]
                st.rerun()
