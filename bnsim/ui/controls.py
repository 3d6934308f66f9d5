"""Declare a page's controls once; widgets, URL binding, validation and presets follow.

Each :class:`Control` is a name (also the URL parameter), a label, a default, bounds and a
help text. :func:`render` draws them in the sidebar, grouped (Data, Network, Training, View),
each bound to the URL with ``bind="query-params"`` so the address bar always reproduces the
view. URL values that are not allowed are ignored by Streamlit (the default is used); this
module also says so on screen, with what is allowed. :func:`presets` adds buttons that set
several controls at once (named after lecture moments) and may open a tab.

A :class:`Control` is declared in :mod:`bnsim.ui.control`; a concept several pages offer is
declared once in :mod:`bnsim.ui.concepts` and narrowed by each page. Links made before a
control was renamed keep working (``Control.old_keys``).

**Each page's state is its own.** Pages share control keys (``noise``, ``batch``, ``steps``,
``tab``, …), each page with its own range, and Streamlit carries a URL-bound widget's value
across a page switch by its key. So the first call of :func:`presets` or :func:`render` on a
page that was not the previous one ("entering" it) puts back this page's own values from the
last visit (or the defaults) instead of what another page left behind; only the very first page
of a session takes its values from the link. On every run each value a control is about to
show is checked against its declaration (:meth:`Control.ok`): a value that is not allowed —
from another page, or sent by a client that bypassed the browser (NaN, ±inf, 10⁹, a wrong
type) — is replaced by the page's last good value or the default, with a note in the sidebar.
URL parameter names stay the control keys, so old lecture links keep working.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.scriptrunner import get_script_run_ctx

from bnsim.figures.style import tex  # preset labels show symbols typeset, like the equations
from bnsim.ui import guard
from bnsim.ui.control import GROUPS, Control, Preset, preset_key

__all__ = ["GROUPS", "Control", "Preset", "enter", "preset_key", "presets", "render"]

NOTES = "_url_notes"  # session key: notes shown in the sidebar box until dismissed
PAGE = "_bnsim_page"  # session key: the page that drew controls last
SAVED = "_bnsim_page_values"  # session key: {page: {control key: widget value}}
DECLARED = "_bnsim_page_controls"  # session key: {page: {control key: Control}}
TAB_KEYS = "_bnsim_page_tab_keys"  # session key: {page: key of its st.tabs (from presets)}
TAB = "tab:"  # prefix, in a page's saved values, of the open tab of the st.tabs bound to a key


guard.install()




def _from_url(c: Control, raw: list[str]):
    """The widget value a link's raw values ``raw`` stand for (``None`` if not allowed)."""
    value = raw if c.kind == "multiselect" else raw[-1]
    if not c.url_ok(value):
        return None
    if c.kind in ("select", "radio", "multiselect"):
        labels = [c.options[c.legacy[v]] if v in c.legacy else v for v in raw if v != ""]
        return labels if c.kind == "multiselect" else labels[-1]
    if c.kind == "toggle":
        return value.lower() == "true"
    x = float(value)
    return int(x) if isinstance(c.default, int) and x == int(x) else x


def _map_old_keys(controls: Sequence[Control]) -> None:
    """Links made before a control was renamed keep working: a value under one of its
    ``old_keys`` is given to the control (unless the link also names the new key), and the
    old key leaves the address bar, where the widget then writes the new one."""
    for c in controls:
        for old in c.old_keys:
            if old not in st.query_params:
                continue
            raw = st.query_params.get_all(old)
            if c.key not in st.query_params and c.key not in st.session_state:
                value = _from_url(c, raw)
                if value is not None:
                    st.session_state[c.key] = value
                    with contextlib.suppress(StreamlitAPIException):
                        st.query_params[c.key] = raw  # the address bar shows the new key now
            with contextlib.suppress(StreamlitAPIException):  # a key bound to a widget stays
                del st.query_params[old]


def _widget(c: Control, where):
    common = dict(key=c.key, help=c.help, bind="query-params")
    if c.kind == "slider":
        return where.slider(c.label, c.min, c.max, c.default, c.step, format=c.format, **common)
    if c.kind == "number":
        return where.number_input(c.label, c.min, c.max, c.default, c.step, format=c.format,
                                  **common)
    if c.kind == "toggle":
        return where.toggle(c.label, c.default, **common)
    labels = list(c.options.values())
    if c.kind == "select":
        return where.selectbox(c.label, labels, labels.index(c.options[c.default]), **common)
    if c.kind == "radio":
        return where.radio(c.label, labels, labels.index(c.options[c.default]),
                           horizontal=True, **common)
    return where.multiselect(c.label, labels, c.to_widget(c.default), **common)


def _translate_legacy(controls: Sequence[Control]) -> None:
    """Links made before an option was renamed keep working: an old label in the URL is
    replaced by the current one before the widget reads it. (Streamlit then drops the old
    label from the address bar; the current one appears there once the control is moved.)"""
    for c in controls:
        if not c.legacy or c.key not in st.query_params:
            continue
        raw = st.query_params.get_all(c.key)
        if any(v in c.legacy for v in raw):
            new = [c.options[c.legacy[v]] if v in c.legacy else v for v in raw]
            st.session_state[c.key] = new if c.kind == "multiselect" else new[-1]


def _page() -> str:
    """The running page (its script hash under ``st.navigation``)."""
    ctx = get_script_run_ctx()
    return getattr(ctx, "page_script_hash", None) or "main"


def _current(c: Control):
    """The value the session holds for ``c`` (``None`` if none or unreadable)."""
    try:
        return st.session_state[c.key] if c.key in st.session_state else None
    except Exception:  # a widget value that does not deserialise: treat as missing
        return None


def _fallback(c: Control, page: str):
    """This page's last good value of ``c``, else its default (as the widget holds it)."""
    saved = st.session_state.get(SAVED, {}).get(page, {}).get(c.key)
    return saved if c.ok(saved) else c.to_widget(c.default)


def enter(controls: Sequence[Control], tab_key: str | None = None) -> None:
    """Make the running page's controls its own (called by :func:`presets` and :func:`render`
    before any widget is drawn).

    On entering a page from another one, every control gets this page's value from the last
    visit or its default, so nothing another page set (a wider range, another type) reaches
    it; the first page of a session takes the link's values. On every run, a value a control
    could not show is replaced by the fallback, with a note.
    The open tab (the ``st.tabs`` bound to ``tab_key``) is kept per page the same way; a tab
    label another page left behind is dropped (``st.tabs`` then opens its first tab)."""
    _map_old_keys(controls)
    state, page = st.session_state, _page()
    declared = state.setdefault(DECLARED, {}).setdefault(page, {})
    declared.update({c.key: c for c in controls})
    if tab_key is not None:
        state.setdefault(TAB_KEYS, {})[page] = tab_key
    saved = state.setdefault(SAVED, {}).setdefault(page, {})
    tab = f"{TAB}{tab_key}"
    notes = []
    if PAGE not in state:  # the first page of the session: the link (or nothing) decides
        state[PAGE] = page
    elif state[PAGE] != page:
        for c in controls:
            state[c.key] = _fallback(c, page)
        if tab_key is not None:
            if isinstance(saved.get(tab), str):
                state[tab_key] = saved[tab]
            elif tab_key in state:
                del state[tab_key]
        state[PAGE] = page
        state[NOTES] = []  # another page's notes do not follow
        return
    if tab_key is not None and isinstance(state.get(tab_key), str):
        saved[tab] = state[tab_key]
    for c in controls:
        if c.key not in state:
            continue
        value = _current(c)
        if not c.ok(value):
            state[c.key] = new = _fallback(c, page)
            notes.append(f"**{c.label}**: {_shown(value)} is not allowed here "
                         f"(allowed: {c.allowed()}); using {new!r}.")
    if notes:
        state[NOTES] = [*state.get(NOTES, []), *notes]


def _shown(value) -> str:
    """A short, safe rendering of an arbitrary (possibly hostile) value for a note."""
    text = repr(value)
    return f"`{text[:40]}…`" if len(text) > 40 else f"`{text}`"


def _remember(page: str) -> None:
    """Keep the page's good values (all controls it declared, shown or not) for its next
    visit."""
    saved = st.session_state.setdefault(SAVED, {}).setdefault(page, {})
    for key, c in st.session_state.get(DECLARED, {}).get(page, {}).items():
        value = _current(c)
        if c.ok(value):
            saved[key] = list(value) if isinstance(value, tuple) else value


def url_problems(controls: Sequence[Control]) -> list[str]:
    """Notes for URL parameters of these controls whose values are not allowed."""
    notes = []
    for c in controls:
        if c.key not in st.query_params:
            continue
        raw = st.query_params.get_all(c.key)
        raw = raw if c.kind == "multiselect" else raw[-1]
        if not c.url_ok(raw):
            notes.append(f"**{c.label}**: ignored `{c.key}={raw}` from the link "
                         f"(allowed: {c.allowed()}); using {c.to_widget(c.default)!r}.")
    return notes


def render(controls: Sequence[Control], where=None, *, notes_box: bool = True,
           tab: str = "", context: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Draw the controls grouped in the sidebar, bound to the URL; return {key: value}
    (options as keys). Shows a note for URL values that were not allowed (``notes_box``:
    the page's one box of notes is drawn by this call; a second call on a page says False).
    A control that does nothing at these settings (its ``inert``, asked with every value —
    ``context`` and these — and the open ``tab``) says why right under itself."""
    where = where or st.sidebar
    enter(controls)
    _translate_legacy(controls)
    notes = url_problems(controls)
    if notes and notes_box:
        st.session_state[NOTES] = list(dict.fromkeys([*st.session_state.get(NOTES, []),
                                                      *notes]))
    if notes_box and st.session_state.get(NOTES):
        with where.container(border=True):
            link = any("from the link" in n for n in st.session_state[NOTES])
            st.markdown(":material/link_off: **Some link settings were not valid**" if link
                        else ":material/restart_alt: **Some settings were not allowed here**")
            for n in st.session_state[NOTES]:
                st.caption(n)
            if st.button("Dismiss", key="_dismiss_url_notes"):
                st.session_state[NOTES] = []
                st.rerun()
    values, reasons = {}, {}
    for group in GROUPS:
        members = [c for c in controls if c.group == group]
        if not members:
            continue
        where.subheader(group)
        for c in members:
            values[c.key] = c.from_widget(_widget(c, where))
            if c.inert is not None:
                reasons[c.key] = where.empty()
    every = {**(context or {}), **values}
    for c in controls:
        if c.key in reasons and (why := c.inert(every, tab)):
            reasons[c.key].caption(f":material/info: {why}")
    _remember(_page())
    return values


PRESET_PRESSED = "_preset_pressed"
# On a narrow screen the sidebar covers the page: after a preset it closes, so the student sees
# the result. (A same-origin component frame may reach the page; below 640 px only.)
CLOSE_SIDEBAR_JS = """<script>
const doc = window.parent.document;
if (window.parent.innerWidth < 640) {
  const button = doc.querySelector('[data-testid="stSidebarCollapseButton"] button')
              || doc.querySelector('[data-testid="stSidebar"] button[kind="headerNoPadding"]');
  if (button) button.click();
}
</script>"""


def _close_sidebar_on_a_phone() -> None:
    st.iframe(CLOSE_SIDEBAR_JS, height=1)



def presets(controls: Sequence[Control], moments: Mapping[str, Preset], where=None,
            tab_key: str = "tab") -> None:
    """Buttons that set several controls at once and open the preset's tab (the
    ``st.tabs`` bound to ``tab_key``). ``moments`` maps a button label to a :class:`Preset`."""
    where = where or st.sidebar
    enter(controls, tab_key)
    by_key = {c.key: c for c in controls}
    for name, preset in moments.items():
        unknown = set(preset.values) - set(by_key)
        if unknown:
            raise ValueError(f"preset {name!r} names unknown controls {sorted(unknown)}.")
    if len({preset_key(name) for name in moments}) != len(moments):
        raise ValueError(f"two presets share a button key: {list(moments)}.")

    def apply(preset: Preset):
        for c in controls:
            st.session_state[c.key] = c.to_widget(preset.values.get(c.key, c.default))
        if preset.tab is not None:
            st.session_state[tab_key] = preset.tab
        st.session_state[PRESET_PRESSED] = True

    if st.session_state.pop(PRESET_PRESSED, False):
        _close_sidebar_on_a_phone()

    where.subheader("Lecture moments")
    for name, preset in moments.items():
        where.button(tex(name), key=preset_key(name), on_click=apply, args=(preset,),
                     help=preset.help, width="stretch")


