"""Declare a page's controls once; widgets, URL binding, validation and presets follow.

Each :class:`Control` is a name (also the URL parameter), a label, a default, bounds and a
help text. :func:`render` draws them in the sidebar, grouped (Data, Network, Training, View),
each bound to the URL with ``bind="query-params"`` so the address bar always reproduces the
view. URL values that are not allowed are ignored by Streamlit (the default is used); this
module also says so on screen, with what is allowed. :func:`presets` adds buttons that set
several controls at once (named after lecture moments) and may open a tab.

Declarations are keyword-only, so they read like a table::

    Control(key="noise", label="Noise", default=0.1, help="…", group="Data",
            kind="slider", min=0.0, max=1.0, step=0.05)

Select-type controls hold *keys* in code (e.g. ``"adam"``) and show labels (``"Adam"``); the
URL holds the label, so links stay readable.

**Each page's state is its own.** Pages share control keys (``noise``, ``batch``, ``steps``,
``tab``, …) with different ranges and types, and Streamlit carries a URL-bound widget's value
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
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.state.common import unpack_widget_state_value
from streamlit.runtime.state.session_state import SessionState

from bnsim.figures.style import tex  # preset labels show symbols typeset, like the equations

GROUPS = ("Data", "Network", "Training", "View")
NOTES = "_url_notes"  # session key: notes shown in the sidebar box until dismissed
PAGE = "_bnsim_page"  # session key: the page that drew controls last
SAVED = "_bnsim_page_values"  # session key: {page: {control key: widget value}}
DECLARED = "_bnsim_page_controls"  # session key: {page: {control key: Control}}
TAB_KEYS = "_bnsim_page_tab_keys"  # session key: {page: key of its st.tabs (from presets)}
TAB = "tab:"  # prefix, in a page's saved values, of the open tab of the st.tabs bound to a key
KINDS = ("slider", "select", "radio", "toggle", "multiselect", "number")


def _guard_widget_states() -> None:
    """Drop widget states whose value has another type than the widget's own or that its
    deserialiser cannot read, before Streamlit stores them.

    A client that bypasses the browser can send, say, a list of numbers for a select box;
    Streamlit (1.67) stores it and its deserialiser then raises on every later run of that
    session, before any page code runs (a traceback the page cannot catch). The browser never
    sends such a state, so dropping it changes nothing for real viewers: the widget keeps its
    value. Values of the right type but out of range are caught per control
    (:func:`enter`). Installed once per process, on first import (every lesson page imports
    this module before it draws a widget)."""
    original = SessionState.set_widgets_from_proto
    if getattr(original, "_bnsim_guard", False):
        return

    def readable(w, metadata) -> bool:
        m = metadata.get(w.id)
        if m is None:  # not drawn (yet): Streamlit keeps it and never reads it without one
            return True
        if w.WhichOneof("value") != m.value_type:
            return False
        try:
            m.deserializer(unpack_widget_state_value(w))
        except Exception:  # e.g. int(inf) in a number input's deserialiser
            return False
        return True

    def set_widgets_from_proto(self, widget_states):
        metadata = self._new_widget_state.widget_metadata
        kept = [w for w in widget_states.widgets if readable(w, metadata)]
        if len(kept) != len(widget_states.widgets):
            widget_states = WidgetStates(widgets=kept)
        return original(self, widget_states)

    set_widgets_from_proto._bnsim_guard = True
    SessionState.set_widgets_from_proto = set_widgets_from_proto


_guard_widget_states()


@dataclass(frozen=True, kw_only=True)
class Control:
    """One control of a page. ``options`` maps key -> label for select/radio/multiselect."""

    key: str
    label: str
    default: Any
    help: str
    group: str = "View"
    kind: str = "slider"
    min: float | int | None = None
    max: float | int | None = None
    step: float | int | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    format: str | None = None  # slider/number display format, e.g. "%.3f"
    legacy: Mapping[str, Any] = field(default_factory=dict)  # old URL label -> option key
    old_keys: tuple[str, ...] = ()  # URL keys of links made before this control was renamed

    def __post_init__(self):
        if self.kind not in KINDS or self.group not in GROUPS:
            raise ValueError(f"{self.key}: kind must be in {KINDS}, group in {GROUPS}.")

    # -- one concept, declared once (bnsim.ui.concepts); a page may only narrow it
    def narrow(self, **changes) -> Control:
        """This control as one page offers it: a narrower range, fewer options, another
        default or help text, the URL keys of older links. Raises ``ValueError`` for anything
        that would redefine the concept (a wider range, other options, another type).

        ``values=(…)`` offers only those values of a slider's range, as a select box (the URL
        still holds the number); for a select it keeps only those options. ``key=`` (with
        ``label=``) declares a second, independent instance of the concept, e.g. another tab's
        own layer."""
        allowed = {"key", "label", "default", "min", "max", "step", "values", "options", "help",
                   "old_keys", "legacy", "format"}
        if unknown := set(changes) - allowed:
            raise ValueError(f"{self.key}: narrow() may change {sorted(allowed)}; "
                             f"got {sorted(unknown)}.")
        if "label" in changes and "key" not in changes:
            raise ValueError(f"{self.key}: one concept has one label; a new label needs a new "
                             "key (a second instance).")
        values = changes.pop("values", None)
        if values is not None:
            changes["options"] = self._subset(values)
            if self.kind in ("slider", "number"):
                changes.update(kind="select", min=None, max=None, step=None, format=None)
        new = replace(self, **changes)
        new._check_narrower_than(self)
        return new

    def _subset(self, values) -> dict:
        if self.kind in ("slider", "number"):
            bad = [v for v in values if not self._on_grid(v)]
            if bad:
                raise ValueError(f"{self.key}: {bad} are not values of {self.allowed()}.")
            return {v: (f"{v:g}" if isinstance(v, float) else str(v)) for v in values}
        if self.kind in ("select", "radio", "multiselect"):
            if bad := [v for v in values if v not in self.options]:
                raise ValueError(f"{self.key}: {bad} are not options of this control.")
            return {v: self.options[v] for v in values}
        raise ValueError(f"{self.key}: a {self.kind} has no values to choose from.")

    def _on_grid(self, v) -> bool:
        if not (isinstance(v, int | float) and self.min <= v <= self.max):
            return False
        k = (v - self.min) / self.step
        return abs(k - round(k)) < 1e-9

    def _check_narrower_than(self, base: Control) -> None:
        if self.kind in ("slider", "number") and base.kind == self.kind:
            if not (base.min <= self.min <= self.max <= base.max):
                raise ValueError(f"{self.key}: [{self.min}, {self.max}] is not inside the "
                                 f"concept's [{base.min}, {base.max}].")
            k = self.step / base.step
            if abs(k - round(k)) > 1e-9 or not base._on_grid(self.min):
                raise ValueError(f"{self.key}: step {self.step} from {self.min} leaves the "
                                 f"concept's grid (step {base.step} from {base.min}).")
        if self.kind in ("select", "radio", "multiselect") and base.options:
            if any(base.options.get(k) != v for k, v in self.options.items()):
                raise ValueError(f"{self.key}: options {list(self.options)} are not options "
                                 f"of the concept ({list(base.options)}).")
        if not self.ok(self.to_widget(self.default)):
            raise ValueError(f"{self.key}: default {self.default!r} is not allowed "
                             f"({self.allowed()}).")

    # -- the value as the widget holds it (labels for options) and back to keys
    def to_widget(self, value):
        if self.kind in ("select", "radio"):
            return self.options[value]
        if self.kind == "multiselect":
            return [self.options[v] for v in value]
        return value

    def from_widget(self, value):
        back = {label: key for key, label in self.options.items()}
        if self.kind in ("select", "radio"):
            return back[value]
        if self.kind == "multiselect":
            return [back[v] for v in value]
        return value

    def ok(self, value) -> bool:
        """Whether ``value`` (as the widget holds it: labels for options) may be shown by this
        control: the right type, finite, within the bounds, one of the options."""
        if self.kind == "toggle":
            return isinstance(value, bool)
        labels = list(self.options.values())
        if self.kind in ("select", "radio"):
            return isinstance(value, str) and value in labels
        if self.kind == "multiselect":
            return (isinstance(value, list | tuple) and len(set(map(str, value))) == len(value)
                    and all(isinstance(v, str) and v in labels for v in value))
        number = (int,) if isinstance(self.default, int) else (int, float)
        return (isinstance(value, number) and not isinstance(value, bool)
                and math.isfinite(value) and self.min <= value <= self.max)

    def allowed(self) -> str:
        """What values this control accepts, in words (for the URL note)."""
        if self.kind in ("select", "radio", "multiselect"):
            return "one of " + ", ".join(f"'{v}'" for v in self.options.values())
        if self.kind == "toggle":
            return "true or false"
        return f"a number from {self.min} to {self.max}"

    def url_ok(self, raw: str | list[str]) -> bool:
        """Whether a raw URL value would be accepted."""
        values = raw if isinstance(raw, list) else [raw]
        if self.kind == "multiselect":
            values = [v for v in values if v != ""]  # "?key=" is Streamlit's empty selection
        if self.kind in ("select", "radio", "multiselect"):
            values = [self.options.get(self.legacy.get(v), v) for v in values]
            return all(v in self.options.values() for v in values) and (
                self.kind == "multiselect" or len(values) == 1)
        if len(values) != 1:
            return False
        v = values[0]
        if self.kind == "toggle":
            return v.lower() in ("true", "false")
        try:
            x = float(v)
        except ValueError:
            return False
        return math.isfinite(x) and self.min <= x <= self.max


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


def render(controls: Sequence[Control], where=None, *, notes_box: bool = True
           ) -> dict[str, Any]:
    """Draw the controls grouped in the sidebar, bound to the URL; return {key: value}
    (options as keys). Shows a note for URL values that were not allowed (``notes_box``:
    the page's one box of notes is drawn by this call; a second call on a page says False)."""
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
    values = {}
    for group in GROUPS:
        members = [c for c in controls if c.group == group]
        if not members:
            continue
        where.subheader(group)
        for c in members:
            values[c.key] = c.from_widget(_widget(c, where))
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


@dataclass(frozen=True, kw_only=True)
class Preset:
    """A lecture moment: the control values it sets (keys for options; every control not
    named returns to its default) and, optionally, the tab it opens."""

    values: Mapping[str, Any] = field(default_factory=dict)
    tab: str | None = None
    help: str | None = None


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


def preset_key(name: str) -> str:
    """The widget key of the button of preset ``name`` (found by its name, not its place)."""
    return "_preset_" + (re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_") or "moment")
