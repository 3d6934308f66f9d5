"""The shared control machinery: URL binding, invalid URL values, presets."""

import ast
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

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
    at.button(key="_preset_0").click().run()
    assert _values(at) == {"beta": 0.999, "opt": "gd", "steps": 1000, "bc": False,
                           "est": ["ema", "pop"]}


def _open_tab(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("OPEN ")).removeprefix("OPEN ")


def test_preset_opens_its_tab_without_the_page_reading_button_state():
    at = _run({})
    assert _open_tab(at) == "First"
    at.button(key="_preset_1").click().run()
    assert not at.exception
    assert _open_tab(at) == "Second"
    assert _values(at)["steps"] == 20
    at.button(key="_preset_0").click().run()  # a preset without a tab leaves the tab alone
    assert _open_tab(at) == "Second"


def test_a_renamed_option_in_an_old_link_opens_the_same_view():
    at = _run({"opt": "GD"})
    assert not at.exception
    assert _values(at)["opt"] == "gd"
    assert not any("ignored" in c.value for c in at.caption)
