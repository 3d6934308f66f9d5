"""Hostile input through the protocol: a client that bypasses the browser.

Widget values sent over Streamlit's websocket (``tests/ws_client.py``) that are out of range,
NaN, ±inf, huge, of the wrong type or for unknown widgets, and URL parameters with such values,
must never show a traceback, never start unbounded work (every run finishes within
``BOUND`` seconds: 10⁹ training steps would take hours) and never change what another viewer
of the same page sees. Property-based (hypothesis) over each page's declared controls.
"""

from __future__ import annotations

import asyncio
import math
import urllib.parse
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.proto.WidgetStates_pb2 import WidgetState

from bnsim.ui.page import PAGES, url_path
from tests.ws_client import Session

ROOT = Path(__file__).resolve().parents[1]
BOUND = 60.0  # seconds: any run longer than this counts as unbounded work
EXAMPLES = 20  # per page and property: keeps the file to about a minute


def lesson_paths() -> list[str]:
    """The lessons' URL paths, as the navigation lists them."""
    return [url_path(script) for script, _, _ in PAGES[1:]]


PATHS = lesson_paths()
HUGE = [math.nan, math.inf, -math.inf, 1e308, -1e308, 1e9, -1e9, 2.0**63, 0.5, -1.0, 1e-300]
numbers = st.one_of(st.sampled_from(HUGE), st.floats(allow_nan=True, allow_infinity=True))
ints = st.one_of(st.sampled_from([10**9, -(10**9), 2**62, -(2**62), 0, 1]), st.integers(
    min_value=-(2**63), max_value=2**63 - 1))
texts = st.one_of(st.sampled_from(["", "nan", "inf", "1e9", "Adam", "💥", "a" * 10_000]),
                  st.text(max_size=50))


@st.composite
def hostile_state(draw, ids: list[str]) -> WidgetState:
    """A WidgetState for one of ``ids`` (or an unknown id) with a value of any field type."""
    ws = WidgetState(id=draw(st.sampled_from([*ids, "$$ID-unknown-widget", ""])))
    field = draw(st.sampled_from(["double_array_value", "double_value", "int_value",
                                  "string_value", "bool_value", "string_array_value",
                                  "int_array_value", "trigger_value", "json_value"]))
    if field == "double_array_value":
        ws.double_array_value.data.extend(draw(st.lists(numbers, max_size=3)))
    elif field == "double_value":
        ws.double_value = draw(numbers)
    elif field == "int_value":
        ws.int_value = draw(ints)
    elif field == "string_value":
        ws.string_value = draw(texts)
    elif field == "bool_value":
        ws.bool_value = draw(st.booleans())
    elif field == "string_array_value":
        ws.string_array_value.data.extend(draw(st.lists(texts, max_size=4)))
    elif field == "int_array_value":
        ws.int_array_value.data.extend(draw(st.lists(ints, max_size=3)))
    elif field == "trigger_value":
        ws.trigger_value = draw(st.booleans())
    else:
        ws.json_value = draw(st.sampled_from(["{", "null", "[1e999]", '{"a": NaN}']))
    return ws



def _check(res, where) -> None:
    assert res.finished, where
    assert not res.exceptions, (where, res.exceptions)
    assert res.seconds < BOUND, (where, f"{res.seconds:.1f} s")


@pytest.mark.parametrize("path", PATHS)
def test_hostile_widget_values_never_break_a_page_or_another_viewer(path, streamlit_server,
                                                                  loop):
    def run(coro):
        return asyncio.run_coroutine_threadsafe(coro, loop).result()
    attacker, viewer = Session(streamlit_server, path), Session(streamlit_server, path)
    run(attacker.connect())
    run(viewer.connect())
    try:
        _check(run(attacker.rerun()), path)
        before = run(viewer.rerun())
        _check(before, path)
        ids = [w.id for w in attacker.widgets.values()]

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(states=st.lists(hostile_state(ids), min_size=1, max_size=4))
        def attack(states):
            _check(run(attacker.rerun(states)), (path, states))

        attack()
        after = run(viewer.rerun())
        _check(after, path)
        assert after.texts == before.texts  # the other viewer's page did not change
        # the attacked session still works as a page: its own controls answer normally
        _check(run(attacker.rerun([])), path)
    finally:
        run(attacker.close())
        run(viewer.close())


@pytest.mark.parametrize("path", PATHS)
def test_hostile_url_parameters_fall_back_with_a_note(path, streamlit_server, loop):
    def run(coro):
        return asyncio.run_coroutine_threadsafe(coro, loop).result()
    probe = Session(streamlit_server, path)
    run(probe.connect())
    try:
        _check(run(probe.rerun()), path)
        keys = [w.key for w in probe.widgets.values() if w.key and w.key == getattr(
            w.proto, "query_param_key", "")]
    finally:
        run(probe.close())
    assert keys, "the page declares URL-bound controls"

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(params=st.lists(st.tuples(st.sampled_from([*keys, "zzz"]),
                                     st.one_of(texts, numbers.map(repr), ints.map(str))),
                           min_size=1, max_size=4))
    def visit(params):
        s = Session(streamlit_server, path, urllib.parse.urlencode(params))
        run(s.connect())
        try:
            _check(run(s.rerun()), (path, params))
        finally:
            run(s.close())

    visit()
