"""The views of "why does BN help?" in headless Chromium: each new tab opens by its link,
draws its chart, and a move of one of its sliders changes the chart (no exception on the way);
Home's arc links to each of them."""


import pytest

from bnsim.ui.home import ARC, lesson, step_link
from tests.browser_helpers import (
    assert_no_exception,
    goto_and_wait,
    plotly_data_signature,
    press_slider,
    wait_for_plotly,
    wait_for_plotly_change,
)

pytestmark = pytest.mark.browser

VIEWS = [s for s in ARC if s.tab in ("Smoother landscape", "Larger steps", "γ, β alone")]


def _slider(stem: str, tab: str):
    """One slider of the tab's own controls (a View slider first: it must never retrain)."""
    sliders = [c for c in lesson(stem).tab(tab).controls if c.kind == "slider"]
    assert sliders, f"{tab}: no slider to move"
    return sorted(sliders, key=lambda c: not c.redraws_only)[0]


@pytest.mark.parametrize("step", VIEWS, ids=[s.tab for s in VIEWS])
def test_each_new_tab_opens_and_its_chart_follows_a_slider(page, streamlit_server, step):
    assert len(VIEWS) == 3
    goto_and_wait(page, f"{streamlit_server}/{step_link(step)}",
                  timeout=180000)
    assert_no_exception(page)
    selected = page.locator("[role=tab][aria-selected=true]").first.inner_text()
    assert step.tab in selected
    wait_for_plotly(page, 0, timeout=180000)
    control = _slider(step.stem, step.tab)
    before = plotly_data_signature(page, 0)
    key = "ArrowLeft" if control.default == control.max else "ArrowRight"
    press_slider(page, control.label, key)
    wait_for_plotly_change(page, before, 0, timeout=180000)
    assert_no_exception(page)
    assert not page.locator("[data-testid=stAlertContentError]").count()
