"""Nothing jumps when the charts draw: a live chart's space is reserved from the first render,
so the takeaway under it stays where it was when the script finished (1280×720)."""

import pytest

from tests.browser_helpers import VIEWPORT, goto_and_wait

pytestmark = pytest.mark.browser

FIRST_TAKEAWAY_TOP = """() => {
  const icon = document.querySelector('[data-testid=stMain] span[aria-label="lightbulb icon"]');
  return icon ? Math.round(icon.getBoundingClientRect().top + window.scrollY) : null;
}"""
CHARTS_DRAWN = """() => [...document.querySelectorAll('iframe')].filter(f => {
  try { const gd = f.contentDocument.getElementById('chart');
        return !!(gd && gd.data && gd.data.length); } catch (e) { return false; } }).length"""


@pytest.mark.parametrize("path", ["Running_statistics?steps=200", "Train_vs_test?steps=200",
                                  "Covariate_shift?steps=200"])
def test_the_takeaway_does_not_move_when_the_charts_draw(browser, streamlit_server, path):
    context = browser.new_context(viewport=VIEWPORT)  # fresh: plotly.js not cached yet
    try:
        page = context.new_page()
        goto_and_wait(page, f"{streamlit_server}/{path}", timeout=120000)
        before, drawn_before = page.evaluate(FIRST_TAKEAWAY_TOP), page.evaluate(CHARTS_DRAWN)
        page.wait_for_function(f"() => ({CHARTS_DRAWN})() >= 1", timeout=60000)
        page.wait_for_timeout(500)
        after = page.evaluate(FIRST_TAKEAWAY_TOP)
        assert before is not None and abs(after - before) <= 2, (path, before, after,
                                                                 drawn_before)
    finally:
        context.close()
