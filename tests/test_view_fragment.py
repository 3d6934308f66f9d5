"""A control that only redraws reruns only the open tab's view (``bnsim.ui.lesson.run``'s
fragment), over the real websocket protocol: the widgets of the controls that only redraw are
drawn by the fragment, those that retrain by the page; moving a view slider is a fragment run
whose sentences follow the new value; moving a retraining control reruns the whole page."""

import pytest

from benchmarks.bench_load import run_async
from bnsim.ui import covariate_shift, inside_layer, running_stats, testtime
from tests.ws_client import Session

LESSONS = {"Inside_a_BN_layer": inside_layer.LESSON, "Covariate_shift": covariate_shift.LESSON,
           "Running_statistics": running_stats.LESSON, "Train_vs_test": testtime.LESSON}


@pytest.mark.parametrize("path", list(LESSONS))
def test_view_controls_are_drawn_by_the_fragment_and_training_controls_by_the_page(
        path, streamlit_server):
    lesson = LESSONS[path]

    async def go():
        async with Session(streamlit_server, path) as s:
            first = await s.rerun()
            assert not first.exceptions and not first.fragment_run
            return {k: w.fragment for k, w in s.widgets.items()}

    drawn = run_async(go())
    shown = lesson.controls + lesson.tabs[0].controls
    for c in shown:
        assert c.key in drawn, c.key
        assert bool(drawn[c.key]) == c.redraws_only, (c.key, c.group)
    assert any(c.redraws_only for c in shown) and any(not c.redraws_only for c in shown)


def test_a_view_slider_reruns_the_view_only_and_its_sentences_follow(streamlit_server):
    async def go():
        async with Session(streamlit_server, "Running_statistics") as s:
            before = await s.rerun()
            moved = await s.set_widget("ema_beta", 0.75)
            again = await s.set_widget("ema_beta", 0.8)
            retrained = await s.set_widget("seed", 3)
            return before, moved, again, retrained, s.query_string

    before, moved, again, retrained, query = run_async(go())
    assert moved.fragment_run and again.fragment_run and not retrained.fragment_run
    for r in (moved, again, retrained):
        assert not r.exceptions and not r.errors
    # the footer (drawn by the fragment, under the tabs) quotes the new β_EMA and its
    # frameworks' terms: PyTorch momentum = 1 − β_EMA
    def footer(r):
        return [t for t in r.texts if t.startswith("**β_EMA =")]

    assert footer(before) == [footer(before)[0]] and "momentum=0.1`" in footer(before)[0]
    assert "**β_EMA = 0.750**, in PyTorch `momentum=0.25`" in footer(moved)[0]
    assert "**β_EMA = 0.800**, in PyTorch `momentum=0.2`" in footer(again)[0]
    # the fragment run redraws the view alone: the page's glossary is not sent again
    assert len(moved.texts) < len(before.texts)
    assert "ema_beta=0.8" in query and "seed=3" in query
