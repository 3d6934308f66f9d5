"""The shared control machinery: URL binding, invalid URL values, presets."""

import ast
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bnsim.ui import controls as ui

APP = str(Path(__file__).parent / "apps" / "controls_app.py")


DEFAULTS = {"beta": 0.9, "opt": "adam", "steps": 1000, "bc": False, "est": ["ema"]}


def _values(at) -> dict:
    text = next(m.value for m in at.markdown if m.value.startswith("VALUES"))
    return ast.literal_eval(text.removeprefix("VALUES "))


def _run(qp=None):
    at = AppTest.from_file(APP)
    if qp:
        at.query_params.update(qp)
    return at.run()


def test_defaults_and_keys_not_labels():
    at = _run()
    assert not at.exception
    assert _values(at) == DEFAULTS
    assert not [c for c in at.caption if "ignored" in c.value]


def test_url_sets_the_controls():
    at = _run({"beta": "0.5", "opt": "Gradient descent", "steps": "20", "bc": "true",
               "est": ["Cumulative", "Population"]})
    assert _values(at) == {"beta": 0.5, "opt": "gd", "steps": 20, "bc": True,
                           "est": ["cum", "pop"]}


def test_empty_multiselect_in_the_url_is_an_empty_selection_not_an_error():
    at = _run({"est": ""})  # what Streamlit writes for a cleared multiselect
    assert _values(at)["est"] == []
    assert not [c for c in at.caption if "ignored" in c.value]


@pytest.mark.parametrize("qp, bad", [
    ({"beta": "abc"}, "beta=abc"),
    ({"beta": "1.5"}, "beta=1.5"),
    ({"beta": "nan"}, "beta=nan"),
    ({"opt": "sgd"}, "opt=sgd"),
    ({"steps": "99999"}, "steps=99999"),
    ({"bc": "maybe"}, "bc=maybe"),
    ({"est": "zzz"}, "est=['zzz']"),
])
def test_garbage_url_values_fall_back_with_a_visible_note(qp, bad):
    at = _run(qp)
    assert not at.exception
    assert _values(at) == DEFAULTS
    notes = [c.value for c in at.caption]
    assert any(bad in n and "allowed" in n for n in notes), notes


def test_preset_sets_named_controls_and_resets_the_others():
    at = _run({"steps": "20"})
    at.button(key=ui.preset_key("slow")).click().run()
    assert _values(at) == {"beta": 0.999, "opt": "gd", "steps": 1000, "bc": False,
                           "est": ["ema", "pop"]}


def _open_tab(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("OPEN ")).removeprefix("OPEN ")


def test_preset_opens_its_tab_without_the_page_reading_button_state():
    at = _run({})
    assert _open_tab(at) == "First"
    at.button(key=ui.preset_key("second tab")).click().run()
    assert not at.exception
    assert _open_tab(at) == "Second"
    assert _values(at)["steps"] == 20
    at.button(key=ui.preset_key("slow")).click().run()  # without a tab: the tab stays
    assert _open_tab(at) == "Second"


def test_a_renamed_option_in_an_old_link_opens_the_same_view():
    at = _run({"opt": "GD"})
    assert not at.exception
    assert _values(at)["opt"] == "gd"
    assert not any("ignored" in c.value for c in at.caption)


@pytest.mark.parametrize("key, bad", [
    ("beta", 1.5), ("beta", float("nan")), ("beta", float("inf")), ("beta", "0.5"),
    ("steps", 10**9), ("steps", 12.5), ("bc", "yes"), ("opt", "SGD"), ("opt", 3),
    ("est", ["EMA", "EMA"]), ("est", "EMA"),
])
def test_a_value_the_control_cannot_show_is_reset_to_the_last_good_one_with_a_note(key, bad):
    """Whatever puts such a value into the session (Streamlit carrying a URL-bound value over
    from another page, a client that bypassed the browser), the page shows its last good
    value, says so, and never raises."""
    at = _run()
    at.slider(key="beta").set_value(0.5).run()
    at.number_input(key="steps").set_value(20).run()
    at.session_state["_inject"] = {key: bad}
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert _values(at) == {**DEFAULTS, "beta": 0.5, "steps": 20}
    notes = [c.value for c in at.caption if "not allowed here" in c.value]
    assert len(notes) == 1 and notes[0].startswith("**"), notes
    assert "Some settings were not allowed here" in " ".join(m.value for m in at.markdown)
    at.button(key="_dismiss_url_notes").click().run()
    assert not [c.value for c in at.caption if "not allowed here" in c.value]


def test_ok_accepts_exactly_what_the_widget_can_show():
    from bnsim.ui.controls import Control
    beta = Control(key="b", label="b", default=0.9, help="h", kind="slider", min=0.0, max=0.999,
                   step=0.001)
    steps = Control(key="s", label="s", default=1000, help="h", kind="number", min=10,
                    max=5000, step=10)
    opt = Control(key="o", label="o", default="gd", help="h", kind="select",
                  options={"gd": "Gradient descent", "adam": "Adam"})
    est = Control(key="e", label="e", default=[], help="h", kind="multiselect",
                  options={"ema": "EMA", "cum": "Cumulative"})
    flag = Control(key="f", label="f", default=False, help="h", kind="toggle")
    assert beta.ok(0.0) and beta.ok(0.999) and beta.ok(0)
    assert not any(beta.ok(v) for v in (1.0, -0.1, float("nan"), float("inf"), "0.5", None,
                                        True, [0.5]))
    assert steps.ok(10) and steps.ok(5000)
    assert not any(steps.ok(v) for v in (9, 5001, 10**9, 12.5, "20", True))
    assert opt.ok("Adam") and not any(opt.ok(v) for v in ("adam", "", 0, None, ["Adam"]))
    assert est.ok([]) and est.ok(["EMA", "Cumulative"]) and est.ok(("EMA",))
    assert not any(est.ok(v) for v in (["EMA", "EMA"], "EMA", ["ema"], [1], None))
    assert flag.ok(True) and flag.ok(False) and not any(flag.ok(v) for v in (0, 1, "true"))
