"""Follow the lecturer, through the real page scripts (Streamlit's AppTest): presenter key,
room, followers who follow page, tab, controls and presets, detach and rejoin, forged views,
unknown and ended rooms, a lost store. The store itself: tests/test_rooms.py; two browsers:
tests/test_e2e_follow.py; Redis and replicas: tests/test_follow_faults.py."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bnsim.ui import follow, present, rooms
from bnsim.ui.running_stats import LESSON as RUNNING

ROOT = Path(__file__).resolve().parents[1]
KEY = "correct horse battery"


@pytest.fixture(autouse=True)
def fresh_store(monkeypatch):
    """A presenter key, the in-process store, and no rooms left from another test."""
    monkeypatch.setenv("BNSIM_PRESENTER_KEY", KEY)
    monkeypatch.delenv("BNSIM_ROOM_STORE", raising=False)
    monkeypatch.delenv("BNSIM_ROOM_TTL", raising=False)
    monkeypatch.setattr(present, "WRONG_KEY_PAUSE", 0.01)
    rooms._STORES.clear()
    yield
    rooms._STORES.clear()


def app(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def texts(at: AppTest) -> str:
    return " ".join(str(e.value) for kind in ("success", "info", "warning", "error", "caption",
                                              "markdown")
                    for e in getattr(at, kind))


def presenter() -> tuple[AppTest, str]:
    at = app()
    at.text_input(key=follow.KEY_INPUT).input(KEY).run()
    assert not at.exception
    return at, at.session_state[follow.PRESENT]["room"]


def test_without_a_key_presenter_mode_is_off_and_says_how_to_turn_it_on(monkeypatch):
    monkeypatch.delenv("BNSIM_PRESENTER_KEY")
    at = app()
    assert not at.exception
    assert "Presenter mode is off" in texts(at) and "BNSIM_PRESENTER_KEY" in texts(at)
    assert not any(w.key == follow.KEY_INPUT for w in at.text_input)


def test_a_wrong_key_opens_no_room_and_costs_a_pause(monkeypatch):
    pauses = []
    monkeypatch.setattr(present, "_pause", lambda: pauses.append(present.WRONG_KEY_PAUSE))
    at = app()
    at.text_input(key=follow.KEY_INPUT).input("correct horse").run()
    assert "That is not the presenter key." in [e.value for e in at.error]
    assert follow.PRESENT not in at.session_state
    assert pauses == [present.WRONG_KEY_PAUSE]


def test_the_right_key_opens_a_room_and_is_kept_nowhere():
    at, code = presenter()
    assert rooms.normalise(code) == code
    assert at.session_state[follow.KEY_INPUT] == ""  # the box was cleared once read
    assert KEY not in str(dict(at.query_params)) and KEY not in texts(at)
    assert f"Room **{code}**" in texts(at) and f"?follow={code}" in texts(at)
    assert any("QR code" in m.value for m in at.markdown)
    assert rooms.store_from_env().read(code)[1]["page"] == "app.py"


def test_the_join_card_shows_the_code_large():
    at, code = presenter()
    at.toggle(key=follow.JOIN_CARD).set_value(True).run()
    assert any("font-size:5rem" in m.value and code in m.value for m in at.markdown)


def test_a_follower_follows_page_tab_controls_and_preset():
    lecturer, code = presenter()
    student = app({"follow": code})
    assert f"Following room **{code}**" in texts(student)
    lecturer.switch_page("pages/3_Running_statistics.py").run()
    student.run()  # one poll
    assert student.session_state[follow.FOLLOW]["seen"]["page"] == "pages/3_Running_statistics.py"
    assert student.slider(key="ema_beta").value == 0.9
    # the lecturer opens another tab and moves a view slider
    lecturer.session_state[RUNNING.tab_key] = "Step by step"
    lecturer.run()
    lecturer.slider(key="ema_beta").set_value(0.75).run()
    student.run()
    assert student.slider(key="ema_beta").value == 0.75
    assert student.session_state[follow.FOLLOW]["seen"]["tab"] == "Step by step"
    assert student.query_params["follow"] == [code] or student.query_params["follow"] == code
    name = next(iter(RUNNING.all_presets))
    lecturer.button(key=follow_preset_key(name)).click().run()
    view = rooms.store_from_env().read(code)[1]
    assert view["preset"] == name
    student.run()
    preset = RUNNING.all_presets[name]
    for key, value in preset.values.items():
        c = next(c for c in RUNNING.all_controls if c.key == key)
        assert student.session_state[key] == c.to_widget(value)
    assert not student.exception and not lecturer.exception


def follow_preset_key(name: str) -> str:
    from bnsim.ui.control import preset_key

    return preset_key(name)


def test_moving_a_control_detaches_and_rejoin_jumps_to_the_lecturer():
    lecturer, code = presenter()
    lecturer.switch_page("pages/3_Running_statistics.py").run()
    student = app({"follow": code})
    assert student.slider(key="ema_beta").value == 0.9
    student.slider(key="ema_beta").set_value(0.6).run()
    f = student.session_state[follow.FOLLOW]
    assert f["detached"] and f"You left room {code}" in texts(student)
    assert "follow" not in student.query_params
    lecturer.slider(key="ema_beta").set_value(0.8).run()
    student.run()
    assert student.slider(key="ema_beta").value == 0.6  # detached: the student's own view
    student.button(key="_bnsim_rejoin").click().run()
    assert student.slider(key="ema_beta").value == 0.8
    assert f"Following room **{code}**" in texts(student)
    assert rooms.store_from_env().read(code)[1]["values"]["ema_beta"] == 0.8  # never written


def test_a_follower_never_writes_to_the_room():
    lecturer, code = presenter()
    lecturer.switch_page("pages/3_Running_statistics.py").run()
    before = rooms.store_from_env().read(code)
    student = app({"follow": code})
    student.slider(key="ema_beta").set_value(0.55).run()
    student.text_input(key=follow.KEY_INPUT).input("guess").run()  # a wrong key: nothing
    assert follow.PRESENT not in student.session_state
    assert rooms.store_from_env().read(code) == before


def test_a_forged_view_is_checked_control_by_control():
    lecturer, code = presenter()
    good = {c.key: c.to_widget(c.default) for c in RUNNING.all_controls}
    forged = {**good, "ema_beta": math.pi * 1e9, "steps": "all", "act": "Swish",
              "bn": ["layer 9"], "unknown": 1}
    rooms.store_from_env().publish(code, {"page": "pages/3_Running_statistics.py",
                                          "tab": "No such tab", "values": forged})
    student = app({"follow": code})
    assert not student.exception
    ema = next(c for c in RUNNING.all_controls if c.key == "ema_beta")
    assert student.slider(key="ema_beta").value == ema.default
    assert student.session_state[follow.FOLLOW]["seen"]["tab"] == RUNNING.tabs[0].title
    ok, tab = follow.validated({"values": forged, "tab": "No such tab"}, RUNNING.all_controls,
                               [t.title for t in RUNNING.tabs])
    assert tab is None and {"ema_beta", "steps", "act", "bn", "unknown"}.isdisjoint(ok)
    assert ok["noise"] == good["noise"]
    rooms.store_from_env().publish(code, {"page": "../../etc/passwd", "values": []})
    student.run()
    assert not student.exception


def test_unknown_and_malformed_codes_say_so_on_home():
    at = app({"follow": "ACDE"})
    assert "There is no room ACDE" in texts(at) and follow.FOLLOW not in at.session_state
    at = app({"follow": "hello!"})
    assert "is not a room code" in texts(at)
    at = app()
    at.text_input(key=follow.CODE_INPUT).input("zz").run()
    at.button(key="_bnsim_follow_go").click().run()
    assert "is not a room code" in texts(at)


def test_typing_the_code_on_home_follows():
    _, code = presenter()
    at = app()
    at.text_input(key=follow.CODE_INPUT).input(code.lower()).run()
    at.button(key="_bnsim_follow_go").click().run()
    assert f"Following room **{code}**" in texts(at)


def test_stopping_ends_the_room_for_followers():
    lecturer, code = presenter()
    student = app({"follow": code})
    lecturer.button(key="_bnsim_stop").click().run()
    student.run()
    assert f"Room {code} has ended (the lecturer stopped presenting)" in texts(student)


def test_an_expired_room_says_so(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(rooms.MemoryStore, "__init__", _clocked(now))
    lecturer, code = presenter()
    student = app({"follow": code})
    now[0] += rooms.DEFAULT_TTL + 1
    student.run()
    assert f"Room {code} has ended (it expired" in texts(student)


def _clocked(now):
    original = rooms.MemoryStore.__init__

    def init(self, ttl=rooms.DEFAULT_TTL, clock=None):  # noqa: ARG001 - replaced
        original(self, ttl=ttl, clock=lambda: now[0])
    return init


def test_a_lost_store_keeps_the_view_and_resumes(monkeypatch):
    lecturer, code = presenter()
    lecturer.switch_page("pages/3_Running_statistics.py").run()
    student = app({"follow": code})
    store = rooms.store_from_env()

    def down(*_a, **_k):
        raise rooms.StoreUnavailable("stopped")
    monkeypatch.setattr(store, "version", down)
    monkeypatch.setattr(store, "publish", down)
    student.run()
    assert f"Lost room {code}, retrying" in texts(student) and not student.exception
    lecturer.slider(key="ema_beta").set_value(0.7).run()  # the lecturer keeps their view
    assert not lecturer.exception and lecturer.slider(key="ema_beta").value == 0.7
    monkeypatch.undo()
    monkeypatch.setenv("BNSIM_PRESENTER_KEY", KEY)
    lecturer.run()  # the heartbeat (or the next move) sends the view again
    student.run()
    assert f"Following room **{code}**" in texts(student)
    assert student.slider(key="ema_beta").value == 0.7
