"""Headless (no browser) tests of the landing page (the lecture map) with Streamlit's AppTest."""

import re
import urllib.parse
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bnsim.figures.style import tex
from bnsim.ui import controls as ui
from bnsim.ui.home import FORUM, STEMS, lesson

APP = Path(__file__).resolve().parents[1] / "app.py"
PAGES = {"Inside_a_BN_layer": "inside_layer", "Covariate_shift": "covariate_shift",
         "Running_statistics": "running_stats", "Train_vs_test": "testtime"}


@pytest.fixture(scope="module")
def at():
    return AppTest.from_file(str(APP)).run(timeout=30)


def _links(at) -> list[tuple[str, str]]:
    return [(label, url) for m in at.markdown
            for label, url in re.findall(r"\[(.+?)\]\(([^)\s]+)\)", m.value)]


def test_landing_page_runs_without_exception(at):
    assert not at.exception
    assert at.title[0].value == "bnsim — Batch Normalization, simulated"


def test_landing_page_lists_all_lessons(at):
    texts = [m.value for m in at.markdown] + [link.label for link in at.get("page_link")]
    for title in ("Inside a BN layer", "Running statistics", "Train vs test",
                   "Covariate shift"):
        assert any(f"**{title}**" in text for text in texts), title


def test_one_card_per_lecture_and_the_forum(at):
    heads = [h.value for h in at.subheader]
    for lecture in ("Fitting batch norm into a neural network", "Why does batch norm work?",
                    "Batch norm at test time", "The forum's questions"):
        assert lecture in heads
    assert any(e.label == "Glossary" for e in at.expander)
    assert any("How to present" == h.value for h in at.header)


def test_every_preset_has_a_deep_link_whose_values_the_page_accepts(at):
    links = _links(at)
    assert sorted(PAGES.values()) == sorted(STEMS)
    for path, stem in PAGES.items():
        declared = lesson(stem)
        controls, tab_key = {c.key: c for c in declared.all_controls}, declared.tab_key
        for name, preset in declared.all_presets.items():
            url = next(u for label, u in links if label == tex(name))  # typeset symbols
            target, _, query = url.partition("?")
            assert target == path
            params = urllib.parse.parse_qs(query)
            if preset.tab is not None:
                assert params.pop(tab_key) == [preset.tab]
            assert set(params) == set(preset.values)
            for key, raw in params.items():
                c: ui.Control = controls[key]
                assert c.url_ok(raw if c.kind == "multiselect" else raw[-1]), (key, raw)


def test_forum_questions_link_to_presets(at):
    labels = [label for label, _ in _links(at)]
    for question, _, _ in FORUM:
        assert tex(question) in labels
