"""A lesson page is a registry of tabs, each found by its name.

A :class:`Tab` declares its title, its own controls, the presets (lecture moments) that open
it and the view function that draws it; a :class:`Lesson` lists its tabs and the controls they
share. :func:`run` is the whole page script::

    from bnsim.ui.covariate_shift import LESSON
    from bnsim.ui.lesson import run

    run(LESSON)

It draws the title, the preset buttons, the tabs (bound to the URL under ``Lesson.tab_key``)
and the controls, then runs **only the open tab's view**, inside that tab: a tab that is not
open costs nothing. Nothing refers to a tab by its position, so a tab can be added, removed or
moved by editing the ``tabs`` tuple alone.

A tab's own controls sit in the sidebar while it is open (several tabs may offer the same
control: one declaration, one value); the other tabs' controls are drawn
folded away ("Settings of the other tabs"), so every control exists in every run and a preset
that sets another tab's values writes them all into the address bar. A tab's controls keep
their values while another tab is open.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import streamlit as st

from bnsim.ui import controls, follow, page
from bnsim.ui.controls import Control, Preset

View = Callable[[dict[str, Any]], None]  # draws a tab from {control key: value}
SAVED = "_bnsim_lesson_saved"  # session key: {lesson title: {control key: value}}


@dataclass(frozen=True, kw_only=True)
class Tab:
    """One tab of a lesson: its title (also its value in the URL), its own controls, the
    lecture moments that open it and the function that draws it."""

    title: str
    view: View
    controls: tuple[Control, ...] = ()
    presets: Mapping[str, Preset] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Lesson:
    """A lesson page: the controls every tab uses and the tabs, in the order shown."""

    title: str
    intro: str
    controls: tuple[Control, ...]
    tabs: tuple[Tab, ...]
    tab_key: str = "tab"  # URL key of the open tab
    presets: Mapping[str, Preset] = field(default_factory=dict)  # moments that open no tab
    footer: View | None = None  # drawn under every tab
    glossary: tuple[str, ...] | None = None  # the glossary's terms (None: all)

    def __post_init__(self):
        titles = [t.title for t in self.tabs]
        if len(set(titles)) != len(titles):
            raise ValueError(f"{self.title}: two tabs share a title: {titles}.")
        declared: dict[str, Control] = {}
        for c in self.controls + tuple(c for t in self.tabs for c in t.controls):
            if declared.setdefault(c.key, c) != c:
                raise ValueError(f"{self.title}: two different controls use the key {c.key!r}.")

    @property
    def all_controls(self) -> tuple[Control, ...]:
        """The shared controls, then every tab's own, in tab order, each key once (several
        tabs may offer one control — the same declaration — which then has one value)."""
        every = self.controls + tuple(c for t in self.tabs for c in t.controls)
        return tuple({c.key: c for c in every}.values())

    @property
    def all_presets(self) -> dict[str, Preset]:
        """Every lecture moment, in button order, each naming the tab it opens."""
        moments = dict(self.presets)
        for tab in self.tabs:
            for name, preset in tab.presets.items():
                if name in moments:
                    raise ValueError(f"{self.title}: two presets are called {name!r}.")
                moments[name] = replace(preset, tab=tab.title)
        return moments

    def tab(self, title: str) -> Tab:
        """The tab called ``title``."""
        for t in self.tabs:
            if t.title == title:
                return t
        raise KeyError(f"{self.title} has no tab {title!r}; its tabs: "
                       f"{[t.title for t in self.tabs]}.")


def _restore_saved(lesson: Lesson, shown: tuple[Control, ...]) -> dict[str, Any]:
    """Keep every control's last value (in option keys) across tab switches: a value set in
    the session (a preset, a widget) wins, then the URL, then the value saved here."""
    saved = st.session_state.setdefault(SAVED, {}).setdefault(lesson.title, {})
    for c in lesson.all_controls:
        if c.key in st.session_state:
            try:
                saved[c.key] = c.from_widget(st.session_state[c.key])
            except (KeyError, TypeError):
                saved.pop(c.key, None)
    for c in shown:
        if c.key in saved and c.key not in st.session_state and c.key not in st.query_params:
            st.session_state[c.key] = c.to_widget(saved[c.key])
    return saved


def _split(lesson: Lesson, open_tab: Tab) -> tuple[tuple[Control, ...], tuple[Control, ...]]:
    """The open tab's shown controls: those that retrain (drawn by the page) and those that
    only redraw the view (drawn by the view's fragment)."""
    shown = lesson.controls + open_tab.controls
    return (tuple(c for c in shown if not c.redraws_only),
            tuple(c for c in shown if c.redraws_only))


def _note(notes: list[str]) -> None:
    if notes:
        st.session_state[controls.NOTES] = list(dict.fromkeys(
            [*st.session_state.get(controls.NOTES, []), *notes]))


def values(lesson: Lesson, open_tab: Tab) -> dict[str, Any]:
    """Draw the shared controls and the open tab's own that retrain; the other tabs'
    controls folded away. Returns {key: value} (option keys) of every control of the lesson
    (the view's own controls: as last drawn; :func:`view_values` draws them)."""
    fixed, view = _split(lesson, open_tab)
    shown = fixed + view
    saved = _restore_saved(lesson, shown)
    others = [c for c in lesson.all_controls if c not in shown]
    # a link's bad value for a folded control or a view control: noted before the box is drawn
    _note(controls.url_problems([*view, *others]))
    context = {c.key: saved.get(c.key, c.default) for c in lesson.all_controls}
    v = controls.render(fixed, tab=open_tab.title, context=context)
    saved.update(v)
    return {**{c.key: saved.get(c.key, c.default) for c in lesson.all_controls}, **v}


def view_values(lesson: Lesson, open_tab: Tab, fixed: dict[str, Any]) -> dict[str, Any]:
    """Draw the open tab's controls that only redraw its view (after those that retrain);
    returns every value, theirs included."""
    _, view = _split(lesson, open_tab)
    saved = st.session_state.setdefault(SAVED, {}).setdefault(lesson.title, {})
    v = controls.render(view, notes_box=False, tab=open_tab.title, context=fixed)
    saved.update(v)
    return {**fixed, **v}


def other_tabs(lesson: Lesson, open_tab: Tab, v: dict[str, Any]) -> None:
    """The other tabs' controls, folded away, so a preset can set them all."""
    shown = lesson.controls + open_tab.controls
    others = [c for c in lesson.all_controls if c not in shown]
    if others:
        saved = st.session_state.setdefault(SAVED, {}).setdefault(lesson.title, {})
        context = {k: saved.get(k, x) for k, x in v.items()}  # the view's values as drawn
        with st.sidebar.expander("Settings of the other tabs", icon=":material/tune:"):
            saved.update(controls.render(others, where=st, notes_box=False,
                                          tab=open_tab.title, context=context))


def preset_shown(lesson: Lesson, open_tab: Tab, v: dict[str, Any]) -> str | None:
    """The lecture moment whose values and tab are on screen, if one is."""
    for name, preset in lesson.all_presets.items():
        if preset.tab not in (None, open_tab.title):
            continue
        if all(v.get(c.key) == preset.values.get(c.key, c.default) for c in lesson.all_controls):
            return name
    return None


@st.fragment
def _view(lesson: Lesson, open_tab: Tab, fixed: dict[str, Any], below) -> None:
    """The open tab's view controls, its view and the footer: a fragment, so moving a control
    that only redraws reruns this alone (the page, its training controls and the other tabs'
    stay as they are). Last, the view shown goes to the room (presenter) or is checked
    against it (follower)."""
    follow.refresh(_split(lesson, open_tab)[1])  # a follower: the lecturer's new view values
    v = view_values(lesson, open_tab, fixed)
    open_tab.view(v)
    if lesson.footer is not None:
        with below:
            lesson.footer(v)
    moment = preset_shown(lesson, open_tab, v) if follow.presenting() else None
    follow.settle(follow.view_of(page.script_of(lesson.title), open_tab.title,
                                 lesson.all_controls, v, moment,
                                 [c.key for c in _split(lesson, open_tab)[1]]))


def run(lesson: Lesson) -> None:
    """The lesson's page: title and intro, presets, tabs, controls, the open tab's view."""
    badge = page.setup(lesson.title, lesson.intro)
    controls.presets(lesson.all_controls, lesson.all_presets, tab_key=lesson.tab_key)
    titles = [t.title for t in lesson.tabs]
    follow.apply(lesson.all_controls, titles, lesson.tab_key)  # a followed room's view
    containers = dict(zip(titles, st.tabs(titles, key=lesson.tab_key, bind="query-params"),
                          strict=True))
    open_title = next((title for title, box in containers.items() if box.open), titles[0])
    open_tab = lesson.tab(open_title)
    fixed = values(lesson, open_tab)
    below = st.container()
    with containers[open_title]:
        _view(lesson, open_tab, fixed, below)
    other_tabs(lesson, open_tab, fixed)
    page.glossary(lesson.glossary)
    with badge:
        follow.follower_bar()
