"""Headless (no browser) tests of the landing page (the lecture map) with Streamlit's AppTest."""

import re
import urllib.parse
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bnsim import verdict
from bnsim.figures.style import tex
from bnsim.ui import controls as ui
from bnsim.ui.home import (
    ARC,
    FORUM,
    STEMS,
    lesson,
    question_label,
    question_link,
    script,
    step_link,
)

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
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


def test_why_bn_helps_reads_as_an_arc_with_a_link_per_step(at):
    """Home: the 2015 explanation → its test → the smoother landscape → larger steps → γ, β
    alone, in that order, each step a link that opens its tab (a preset of that tab)."""
    assert [s.tab for s in ARC] == ["A deep layer's moving inputs", "Noisy BN",
                                    "Smoother landscape", "Larger steps", "γ, β alone"]
    arc = next(m.value for m in at.markdown if m.value.startswith("1. **"))
    urls = [url for _, url in re.findall(r"\[(.+?)\]\(([^)\s]+)\)", arc)]
    assert urls == [step_link(s) for s in ARC]
    for s in ARC:
        declared = lesson(s.stem)
        declared.tab(s.tab)
        if s.preset is not None:
            assert declared.all_presets[s.preset].tab == s.tab, s
        assert _query(step_link(s))[declared.tab_key] == s.tab
        assert step_link(s).startswith(page_path(s.stem))


def page_path(stem: str) -> str:
    from bnsim.ui import page

    return page.url_path(script(stem))


def test_forum_questions_link_to_their_views(at):
    links = dict((label, url) for label, url in _links(at))
    for q in FORUM:
        assert links[tex(q.text)] == question_link(q)


def test_every_question_label_matches_its_position(at):
    """Home numbers the questions "Forum question N" in the order shown, and every page that
    cites "question N" is the view question N links to."""
    forum = next(m.value for m in at.markdown if "Forum question 1" in m.value)
    numbers = [int(n) for n in re.findall(r"\*\*Forum question (\d+)\*\*", forum)]
    assert numbers == list(range(1, len(FORUM) + 1))
    for n, q in enumerate(FORUM, 1):  # the label sits right before its own question
        assert f"**{question_label(n)}**: [{tex(q.text)}]" in forum
    cited = 0
    for path in sorted((ROOT / "bnsim").rglob("*.py")):
        for n in map(int, re.findall(r"[Qq]uestion (\d+)\b", path.read_text())):
            rel = path.relative_to(ROOT / "bnsim" / "ui").with_suffix("").parts \
                if path.is_relative_to(ROOT / "bnsim" / "ui") else ()
            if path.name == "home.py" or not rel:
                continue
            assert 1 <= n <= len(FORUM), (path, n)
            q = FORUM[n - 1]
            tab = lesson(q.stem).tab(q.tab)
            assert tab.view.__module__ == "bnsim.ui." + ".".join(rel), (
                f"{path} cites question {n} ({q.text!r}), which links to {q.stem} → {q.tab}")
            cited += 1
    assert cited >= 1  # the running-averages tab cites its number


def _query(url: str) -> dict:
    _, _, query = url.partition("?")
    return {k: (v if len(v) > 1 else v[0]) for k, v in urllib.parse.parse_qs(query).items()}


@pytest.mark.parametrize("q", FORUM, ids=[q.tab for q in FORUM])
def test_every_link_from_home_opens_a_view_that_answers_its_question(q):
    """The link opens the tab the question needs (its preset opens that tab), and there the
    page makes the claim that answers it (a registered claim of that tab)."""
    declared = lesson(q.stem)
    if q.preset is not None:
        assert declared.all_presets[q.preset].tab == q.tab, (q.text, q.preset)
    query = _query(question_link(q))
    assert query[declared.tab_key] == q.tab
    if not q.claim:  # answered by formulas/code on the tab itself
        return
    assert q.claim.startswith(f"{q.stem}."), q.claim  # a claim of this lesson (a tab may
    # show another tab's claim: "Larger steps" states the sweep's largest α per activation)
    assert any(c == q.claim or (q.claim.endswith(".") and c.startswith(q.claim))
               for c in verdict.CLAIMS), f"no registered claim {q.claim!r}"
    at = AppTest.from_file(str(ROOT / script(q.stem)), default_timeout=600)
    at.query_params.update(query)
    with verdict.recording() as made:
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    claims = [v.claim for v in made]
    assert any(c == q.claim or (q.claim.endswith(".") and c.startswith(q.claim))
               for c in claims), (q.text, claims)
    answer = next(v for v in made if v.claim == q.claim or (q.claim.endswith(".")
                                                              and v.claim.startswith(q.claim)))
    assert answer.outcome is not verdict.Outcome.NOT_APPLICABLE, answer.text


def test_the_larger_learning_rate_question_is_answered_with_the_largest_alpha():
    """Forum: "Does BN really let me use a larger learning rate?" — the linked view states the
    largest α that trains with and without BN, and BN's is larger."""
    q = next(q for q in FORUM if "larger learning rate" in q.text)
    at = AppTest.from_file(str(ROOT / script(q.stem)), default_timeout=600)
    at.query_params.update(_query(question_link(q)))
    with verdict.recording() as made:
        at.run()
    v = next(v for v in made if v.claim == q.claim)
    assert v.holds and "α = 3 with BN, α = 0.3 without" in v.text, v.text
