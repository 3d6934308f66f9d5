"""Present to the class: the presenter key, the room (code, QR code, short link, join card)
and the publishing of the lecturer's view (:mod:`bnsim.ui.follow` is the follower's side).

The host sets a presenter key (``BNSIM_PRESENTER_KEY``, or ``presenter_key`` in
``.streamlit/secrets.toml``); the lecturer enters it once in the sidebar. It is compared in
constant time, a wrong try costs a pause (:data:`WRONG_KEY_PAUSE`), and it is never kept in
the session, the URL, a log or the page: the box is cleared as soon as it is read. A reloaded
browser finds its room again through a cookie holding a random token (never the key); a
heartbeat (:data:`HEARTBEAT`) sends the view again when the store lost it.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import time

import streamlit as st

from bnsim.ui import rooms
from bnsim.ui.follow import COOKIE, FOLLOW, JOIN_CARD, KEY_INPUT, PRESENT, follow_link, store

HEARTBEAT = 5.0  # seconds between the presenter's checks that the store still has the room
WRONG_KEY_PAUSE = 1.0  # seconds a wrong presenter key costs


def presenter_key() -> str | None:
    """The presenter key the host set (environment first, then Streamlit secrets)."""
    key = os.environ.get("BNSIM_PRESENTER_KEY", "")
    if not key:
        with contextlib.suppress(Exception):  # no secrets file: presenter mode is off
            key = str(st.secrets.get("presenter_key", "") or "")
    return key or None


def key_matches(given: str, key: str) -> bool:
    """Whether ``given`` is the presenter key, compared in constant time."""
    return hmac.compare_digest(given.encode(), key.encode())


def _set_cookie(token: str | None, max_age: float) -> None:
    value = "" if token is None else token
    age = 0 if token is None else int(max_age)
    st.iframe(f"<script>window.parent.document.cookie = '{COOKIE}={value}; path=/; "
              f"max-age={age}; SameSite=Strict';</script>", height=1)


def restore() -> None:
    """A reloaded lecturer's browser: its cookie's token names the room it ran."""
    token = None
    with contextlib.suppress(Exception):
        token = st.context.cookies.get(COOKIE)
    if not isinstance(token, str) or not token or presenter_key() is None:
        return
    s = store()
    if s is None:
        return
    try:
        code = s.room_of(token)
    except rooms.StoreUnavailable:
        return
    if code:
        st.session_state[PRESENT] = {"room": code, "token": token, "version": None,
                                     "view": None, "moved": time.monotonic(), "error": None}


def publish(p: dict) -> None:
    s = store()
    if s is None or p.get("view") is None:
        return
    try:
        p["version"], p["error"], p["dirty"] = (
            s.publish(p["room"], p["view"], after=p["version"]), None, False)
    except rooms.StoreUnavailable as err:
        p["error"], p["dirty"] = str(err), True  # sent again by the heartbeat


def _pause() -> None:
    """A wrong key's cost: guessing keys takes time."""
    time.sleep(WRONG_KEY_PAUSE)


def _unlock() -> None:
    """The key box's callback: check the key, clear the box, open a room."""
    given = st.session_state.get(KEY_INPUT) or ""
    st.session_state[KEY_INPUT] = ""
    key = presenter_key()
    if key is None or not given:
        return
    if not key_matches(given, key):
        _pause()
        st.session_state["_bnsim_key_wrong"] = True
        return
    s = store()
    if s is None:
        return
    try:
        code = s.create()
        token = secrets.token_urlsafe(24)
        s.remember(token, code)
    except rooms.StoreUnavailable as err:
        st.session_state["_bnsim_key_wrong"] = f"Can't open a room now: {err}"
        return
    st.session_state.pop(FOLLOW, None)
    st.session_state[PRESENT] = {"room": code, "token": token, "version": None, "view": None,
                                 "moved": time.monotonic(), "error": None, "new": True}


def _stop() -> None:
    p = st.session_state.pop(PRESENT, None)
    if p:
        s = store()
        with contextlib.suppress(rooms.StoreUnavailable, AttributeError):
            s.publish(p["room"], {"ended": True})
        st.session_state["_bnsim_forget_cookie"] = True


@st.fragment(run_every=HEARTBEAT)
def _heartbeat() -> None:
    """The presenter's room status; puts the view back if the store lost it."""
    p = st.session_state.get(PRESENT)
    if not p:
        return
    s = store()
    try:
        version = None if s is None else s.version(p["room"])
        if s is not None and p["view"] is not None and (version != p["version"]
                                                        or p.get("dirty")):
            if time.monotonic() - p["moved"] < s.ttl:
                publish(p)
            else:
                p["error"] = "expired"
        elif p["error"] != "expired":
            p["error"] = None
    except rooms.StoreUnavailable as err:
        p["error"] = str(err)
    if p["error"] == "expired":
        st.warning("This room expired (no move for a long while). Stop presenting and start "
                   "again for a new code.", icon=":material/event_busy:")
    elif p["error"]:
        st.warning("Lost the room store, retrying; your view is kept and is sent again "
                   "when it is back.", icon=":material/sync_problem:")
    else:
        st.caption(f":material/cast_for_education: Room **{p['room']}** is live.")


def _qr(link: str, scale: int) -> str:
    import segno

    uri = segno.make(link, error="m").svg_data_uri(scale=scale, dark="#000000",
                                                  light="#ffffff", border=2)
    return f'<img src="{uri}" alt="QR code: {link}" style="max-width:100%">'


def presenter_panel() -> None:
    """The sidebar's "Present to the class": the key box, or the room's code, QR and link."""
    state = st.session_state
    if state.pop("_bnsim_forget_cookie", False):
        _set_cookie(None, 0)
    p = state.get(PRESENT)
    with st.sidebar.expander("Present to the class", icon=":material/cast_for_education:",
                             expanded=bool(p)):
        key = presenter_key()
        if key is None:
            st.caption("Presenter mode is off. To turn it on, start the app with "
                       "`BNSIM_PRESENTER_KEY=<a key>` or put `presenter_key = \"…\"` in "
                       "`.streamlit/secrets.toml`; then enter the key here to get a room "
                       "code the class can follow.")
            return
        if p is None:
            st.text_input("Presenter key", type="password", key=KEY_INPUT, on_change=_unlock,
                          help="Set by whoever hosts the app. Students don't need it: they "
                               "follow with the room code.")
            wrong = state.pop("_bnsim_key_wrong", None)
            if wrong:
                st.error(wrong if isinstance(wrong, str) else "That is not the presenter key.",
                         icon=":material/lock:")
            return
        if p.pop("new", False):
            _set_cookie(p["token"], rooms.store_from_env().ttl)
        link = follow_link(p["room"])
        st.markdown(f"Room **{p['room']}** · [{link.split('://')[-1]}]({link})")
        st.markdown(_qr(link, 4), unsafe_allow_html=True)
        st.toggle("Show the join card", key=JOIN_CARD,
                  help="A large code, QR code and link on the page, for the projector.")
        _heartbeat()
        st.button("Stop presenting", key="_bnsim_stop", on_click=_stop)


def join_card() -> None:
    """The large "join" card on the projector (while the presenter's toggle is on)."""
    p = st.session_state.get(PRESENT)
    if not p or not st.session_state.get(JOIN_CARD):
        return
    link = follow_link(p["room"])
    with st.container(border=True):
        left, right = st.columns([2, 1], vertical_alignment="center")
        left.markdown(
            f"<div style='font-size:1.4rem'>Follow this screen on your laptop:</div>"
            f"<div style='font-size:5rem;font-weight:700;letter-spacing:0.3em'>"
            f"{p['room']}</div><div style='font-size:1.4rem'>{link.split('://')[-1]}"
            f"</div>", unsafe_allow_html=True)
        right.markdown(_qr(link, 8), unsafe_allow_html=True)


