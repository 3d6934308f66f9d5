"""No traceback from any path through the pages: each page's state is its own.

Pages share control keys (noise, batch, steps, seed, tab, …) with different ranges and types.
For every ordered pair of lesson pages (navigated through ``app.py`` as a viewer would), every
control the first page shows is moved to an unusual legal value (all at the minimum / first
option, or all at the maximum / last option with the last tab open), then the second page is
opened and used: it must run without an exception, show only values it allows, keep only its
own parameters in the URL, and the first page must come back as it was left.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bnsim.ui import controls as ui
from bnsim.ui.page import PAGES as NAVIGATION

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def lesson_pages() -> list[str]:
    """The lesson scripts in pages/, in the navigation's order."""
    return [script for script, _, _ in NAVIGATION[1:]]


PAGES = lesson_pages()


STEMS = dict(zip(PAGES, ("inside_layer", "covariate_shift", "running_stats", "testtime"),
                 strict=True))


def stem(script: str) -> str:
    return STEMS[script]


def widget(at: AppTest, c: ui.Control):
    """The AppTest widget of control ``c``, or ``None`` if the page does not show it now."""
    finder = {"slider": at.slider, "number": at.number_input, "toggle": at.toggle,
              "select": at.selectbox, "radio": at.radio, "multiselect": at.multiselect}[c.kind]
    try:
        return finder(key=c.key)
    except KeyError:
        return None


def declared(at: AppTest) -> dict[str, ui.Control]:
    """{key: Control} of every control the running page declared (presets and sidebar)."""
    return at.session_state[ui.DECLARED][at.session_state[ui.PAGE]]


def unusual(c: ui.Control, high: bool):
    """An unusual legal value of ``c`` (as the widget holds it). Training steps stay at the
    minimum (the test must stay fast); everything else goes to one end of its range."""
    labels = list(c.options.values())
    if c.kind == "toggle":
        return not c.default
    if c.kind in ("select", "radio"):
        return labels[-1] if high else labels[0]
    if c.kind == "multiselect":
        return labels if high else []
    if c.key == "steps" or not high:
        return c.min
    return c.max


def tab_key(at: AppTest) -> str | None:
    """The key of the running page's ``st.tabs`` (as the page told :func:`ui.presets`)."""
    return at.session_state[ui.TAB_KEYS].get(at.session_state[ui.PAGE]) if at.tabs else None


def shown(at: AppTest) -> dict[str, object]:
    """{key: widget value} of the running page's controls that are on screen."""
    return {k: w.value for k, c in declared(at).items() if (w := widget(at, c)) is not None}


def no_traceback(at: AppTest, where: str) -> None:
    assert not at.exception, (where, [e.message for e in at.exception])


def assert_own_and_legal(at: AppTest, where: str) -> None:
    """Every control shows an allowed value; the URL names only this page's parameters."""
    no_traceback(at, where)
    assert not at.error, (where, [e.value for e in at.error])
    mine = declared(at)
    for key, value in shown(at).items():
        assert mine[key].ok(value), (where, key, value)
    tabs = tab_key(at)
    for key in at.query_params:
        assert key in mine or key == tabs, (where, "foreign URL parameter", key)
        if key in mine:
            raw = at.query_params[key]
            raw = raw if mine[key].kind == "multiselect" else (
                raw[-1] if isinstance(raw, list) else raw)
            assert mine[key].url_ok(raw), (where, key, raw)


def open_page(at: AppTest, script: str) -> AppTest:
    at.switch_page(script).run()
    return at


@pytest.mark.parametrize("high", [False, True], ids=["low", "high"])
@pytest.mark.parametrize("first, second", list(itertools.permutations(PAGES, 2)),
                         ids=lambda s: stem(s))
def test_every_pair_of_pages_keeps_its_own_state(first, second, high):
    at = AppTest.from_file(APP, default_timeout=120).run()
    open_page(at, first)
    no_traceback(at, first)
    if high:  # the last tab, whose controls then show too
        if tabs := tab_key(at):
            at.session_state[tabs] = at.tabs[-1].label
            at.run()
    controls = declared(at)
    for c in controls.values():
        if (w := widget(at, c)) is not None:
            w.set_value(unusual(c, high))
    at.run()
    no_traceback(at, first)
    left = shown(at)
    tabs = tab_key(at)
    left_tab = at.session_state[tabs] if high and tabs else None
    assert left and all(controls[k].ok(v) for k, v in left.items())

    open_page(at, second)
    assert_own_and_legal(at, second)
    assert at.session_state[ui.NOTES] == []  # another page's values never reach this one
    # use it: every shown control of the View group to its other end, one rerun
    for c in declared(at).values():
        if c.group == "View" and (w := widget(at, c)) is not None:
            w.set_value(unusual(c, not high))
    at.run()
    no_traceback(at, second)
    for key, value in shown(at).items():
        assert declared(at)[key].ok(value), (second, key, value)

    open_page(at, first)  # the first page comes back as it was left
    no_traceback(at, first)
    back = shown(at)
    assert {k: back[k] for k in left if k in back} == left
    if left_tab is not None:
        assert at.session_state[tabs] == left_tab


def test_the_reported_path_noise_one_then_train_vs_test():
    """The lecturer's path of the bug report: Noise = 1.0 on Running statistics, then Train vs
    test (Noise there allows at most 0.5; batch size is a choice of powers of two)."""
    at = AppTest.from_file(APP, default_timeout=120).run()
    rs, tt = (next(p for p in PAGES if stem(p) == s) for s in ("running_stats", "testtime"))
    open_page(at, rs)
    at.slider(key="noise").set_value(1.0).run()
    at.slider(key="batch").set_value(33).run()
    open_page(at, tt)
    assert_own_and_legal(at, tt)
    assert at.slider(key="noise").value == 0.15 and at.selectbox(key="batch").value == "32"
    at.run()  # and on the next rerun too (Streamlit carries bound values after a switch)
    assert_own_and_legal(at, tt)
    assert at.slider(key="noise").value == 0.15
    open_page(at, rs)
    assert at.slider(key="noise").value == 1.0 and at.slider(key="batch").value == 33
