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
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

GROUPS = ("Data", "Network", "Training", "View")
KINDS = ("slider", "select", "radio", "toggle", "multiselect", "number")


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
    legacy: Mapping[str, str] = field(default_factory=dict)  # old URL label -> option key

    def __post_init__(self):
        if self.kind not in KINDS or self.group not in GROUPS:
            raise ValueError(f"{self.key}: kind must be in {KINDS}, group in {GROUPS}.")

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


def render(controls: Sequence[Control], where=None) -> dict[str, Any]:
    """Draw the controls grouped in the sidebar, bound to the URL; return {key: value}
    (options as keys). Shows a note for URL values that were not allowed."""
    where = where or st.sidebar
    notes_key = "_url_notes"
    _translate_legacy(controls)
    notes = url_problems(controls)
    if notes:
        st.session_state[notes_key] = notes
    if st.session_state.get(notes_key):
        with where.container(border=True):
            st.markdown(":material/link_off: **Some link settings were not valid**")
            for n in st.session_state[notes_key]:
                st.caption(n)
            if st.button("Dismiss", key="_dismiss_url_notes"):
                st.session_state[notes_key] = []
                st.rerun()
    values = {}
    for group in GROUPS:
        members = [c for c in controls if c.group == group]
        if not members:
            continue
        where.subheader(group)
        for c in members:
            values[c.key] = c.from_widget(_widget(c, where))
    return values


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
    by_key = {c.key: c for c in controls}
    for name, preset in moments.items():
        unknown = set(preset.values) - set(by_key)
        if unknown:
            raise ValueError(f"preset {name!r} names unknown controls {sorted(unknown)}.")

    def apply(preset: Preset):
        for c in controls:
            st.session_state[c.key] = c.to_widget(preset.values.get(c.key, c.default))
        if preset.tab is not None:
            st.session_state[tab_key] = preset.tab

    where.subheader("Lecture moments")
    for i, (name, preset) in enumerate(moments.items()):
        where.button(name, key=f"_preset_{i}", on_click=apply, args=(preset,),
                     help=preset.help, width="stretch")
