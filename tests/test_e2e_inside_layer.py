"""The "Inside a BN layer" page in headless Chromium: rows drawn, the bias slider, the undo
button, the sweep tab, and a lecture-map link opening its preset."""

import pytest

from tests.browser_helpers import (
    VIEWPORT,
    assert_no_exception,
    goto_and_wait,
    plotly_data_signature,
    press_slider,
    wait_for_idle,
    wait_for_plotly,
    wait_for_plotly_change,
)

pytestmark = pytest.mark.browser

FAST = "steps=300"


@pytest.fixture(scope="module")
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    yield context.new_page()
    context.close()


def _url(base, query=""):
    return f"{base}/Inside_a_BN_layer?{FAST}{'&' + query if query else ''}"


def _takeaways(page) -> str:
    return page.locator("[data-testid=stMarkdown]").all_inner_texts().__str__()


def test_rows_formulas_and_bias_slider(page, streamlit_server):
    goto_and_wait(page, _url(streamlit_server))
    assert_no_exception(page)
    wait_for_plotly(page, 0, timeout=90000)
    assert page.locator(".katex-display").count() >= 9 + 1  # one per row + the bias algebra
    before = plotly_data_signature(page, 0)
    press_slider(page, "Bias b^[l] before BN")
    wait_for_plotly_change(page, before, 0)
    wait_for_idle(page)
    assert_no_exception(page)
    assert "bias=0.1" in page.url
    assert "(rounding)" in _takeaways(page)


def test_undo_button_and_sigmoid_curve(page, streamlit_server):
    goto_and_wait(page, _url(streamlit_server, "tab=%CE%B3+and+%CE%B2"))
    wait_for_plotly(page, 1, timeout=90000)
    page.get_by_role("button", name="Undo BN: γ").click()
    page.wait_for_function("() => document.body.innerText.includes('z̃ equals z')",
                           timeout=60000)
    wait_for_idle(page)
    assert_no_exception(page)
    assert "gb=undo" in page.url


def test_lecture_map_link_opens_the_sweep_preset(page, streamlit_server):
    goto_and_wait(page, streamlit_server)
    href = page.get_by_role("link", name="BN rescues a deep sigmoid net at α = 0.3").first \
        .get_attribute("href")
    assert href.startswith("Inside_a_BN_layer?") or "/Inside_a_BN_layer?" in href
    goto_and_wait(page, f"{streamlit_server}/{href.split('/')[-1]}", timeout=120000)
    page.wait_for_function("() => document.body.innerText.includes('BN helps')",
                           timeout=120000)
    assert_no_exception(page)
    assert "tab=With+vs+without+BN" in page.url or "With%20vs" in page.url or "With+vs" in \
        page.url
