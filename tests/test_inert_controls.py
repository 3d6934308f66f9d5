"""No inert control: on every tab of every lesson, moving any control it shows changes
something on screen, or the control says right under itself why it does not.

Each case opens the tab at its defaults and again with one control moved (to its smallest
value, or the next one when that is the default: the cheap end of training controls), as a
link in a page test, and compares the main area (figures' data, sentences, tables, equations).
When nothing changed, the control must declare why (``Control.inert``) and that reason must
be on screen beside it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from benchmarks.audit_claims import Setting, grid
from bnsim.ui.control import Control
from bnsim.ui.home import STEMS, lesson, script

ROOT = Path(__file__).resolve().parents[1]
SKIPPED = ("DownloadButton",)  # the CSV is built on click: not on screen


def moved(c: Control):
    """The value a student moves ``c`` to: its first value, or the next after the default."""
    values = grid(c)
    if values[0] != c.default:
        return values[0]
    return values[1] if len(values) > 1 else values[0]


CASES = [(stem, tab.title, c.key) for stem in STEMS for tab in lesson(stem).tabs
         for c in lesson(stem).controls + tab.controls]


def _leaves(node):
    children = getattr(node, "children", None)
    if not children:
        yield node
        return
    for child in children.values():
        yield from _leaves(child)


def _screen(at: AppTest) -> list[str]:
    """The open tab's main area (and whatever the page draws under the tabs), as text."""
    out = []
    for leaf in _leaves(at.main):
        if type(leaf).__name__ in SKIPPED or not hasattr(leaf, "proto"):
            continue
        out.append(f"{type(leaf).__name__}: {leaf.proto}")
    return out


def _run(stem: str, tab: str, values: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / script(stem)), default_timeout=600)
    at.query_params.update(Setting(stem, tab, values).query())
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@cache
def _baseline(stem: str, tab: str) -> tuple[str, ...]:
    return tuple(_screen(_run(stem, tab, {})))


@pytest.mark.parametrize("stem, tab, key", CASES, ids=[f"{s}-{t}-{k}" for s, t, k in CASES])
def test_moving_a_control_changes_the_screen_or_says_why_not(stem, tab, key):
    lsn = lesson(stem)
    c = next(c for c in lsn.all_controls if c.key == key)
    value = moved(c)
    assert value != c.default, f"{key}: has only one value"
    at = _run(stem, tab, {key: value})
    if tuple(_screen(at)) != _baseline(stem, tab):
        return
    every = {d.key: d.default for d in lsn.all_controls} | {key: value}
    why = c.inert(every, tab) if c.inert is not None else None
    assert why, (f"{lsn.title} → {tab}: moving {c.label!r} ({key}) from {c.default!r} to "
                 f"{value!r} changes nothing on screen and nothing says why")
    captions = [str(x.value) for x in at.sidebar.caption]
    assert any(why in text for text in captions), (key, why, captions)
