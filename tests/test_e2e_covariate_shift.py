"""The "Covariate shift" page in headless Chromium: tabs, a view slider, presets."""

import pytest

from tests.browser_helpers import (
    assert_no_exception,
    goto_and_wait,
    plotly_data_signature,
    press_slider,
    slider_state,
    wait_for_idle,
    wait_for_plotly,
    wait_for_plotly_change,
)

pytestmark = pytest.mark.browser

FAST = "steps=200"  # small training runs keep the browser tests quick


def _open_tab(page, label: str) -> None:
    page.get_by_role("tab", name=label).click()
    page.wait_for_function(
        "(l) => [...document.querySelectorAll('[role=tab]')].some("
        "t => t.getAttribute('aria-selected') === 'true' && t.innerText.includes(l))", arg=label)
    wait_for_idle(page)


SIDEBAR_SLIDERS = "[data-testid=stSidebar] [data-testid=stSlider] [role=group]"


# A slider the sidebar shows: not one folded away in "Settings of the other tabs".
VISIBLE = "g => !g.closest('details:not([open])')"


def _slider_labels(page) -> list[str]:
    return page.locator(SIDEBAR_SLIDERS).evaluate_all(
        f"gs => gs.filter({VISIBLE}).map(g => g.getAttribute('aria-label'))")


def _wait_for_sidebar_slider(page, label: str, shown: bool, timeout: float = 60000) -> None:
    """Wait until the sidebar does (or no longer does) show the slider ``label``: a tab switch
    reruns the page, and the previous tab's controls stay on screen until that rerun ends."""
    page.wait_for_function(
        "([sel, l, shown]) => [...document.querySelectorAll(sel)]"
        f".filter({VISIBLE}).some(g => g.getAttribute('aria-label') === l) === shown",
        arg=[SIDEBAR_SLIDERS, label, shown], timeout=timeout)


def test_shift_slider_moves_the_test_cloud_and_tabs_keep_their_controls(page, streamlit_server):
    goto_and_wait(page, f"{streamlit_server}/Covariate_shift?{FAST}", timeout=120000)
    assert_no_exception(page)
    wait_for_plotly(page, 2)  # scene, accuracy vs shift, rules
    assert "Shift of the test inputs" in _slider_labels(page)
    before = plotly_data_signature(page, 0)
    press_slider(page, "Shift of the test inputs", "ArrowLeft")
    wait_for_plotly_change(page, before, 0, timeout=60000)
    assert slider_state(page, "Shift of the test inputs")[0] == 2.75
    assert_no_exception(page)

    _open_tab(page, "Noisy BN")
    wait_for_plotly(page, 1, timeout=120000)
    _wait_for_sidebar_slider(page, "Shift of the test inputs", shown=False)
    assert_no_exception(page)
    labels = _slider_labels(page)
    assert "Noise σ after BN" in labels and "Shift of the test inputs" not in labels
    assert "tab=Noisy" in page.url

    _open_tab(page, "Black cats → coloured cats")
    wait_for_plotly(page, 0)
    _wait_for_sidebar_slider(page, "Shift of the test inputs", shown=True)
    assert slider_state(page, "Shift of the test inputs")[0] == 2.75  # kept while away
    assert_no_exception(page)


def test_preset_opens_its_tab_and_resets_the_other_tabs(page, streamlit_server):
    goto_and_wait(page, f"{streamlit_server}/Covariate_shift?{FAST}", timeout=120000)
    wait_for_plotly(page, 0)
    before = plotly_data_signature(page, 0)
    press_slider(page, "Shift of the test inputs", "ArrowLeft")
    wait_for_plotly_change(page, before, 0, timeout=60000)
    page.get_by_role("button", name="Layer 3's view").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[role=tab]')].some(t => "
        "t.getAttribute('aria-selected') === 'true' && t.innerText.includes('moving inputs'))",
        timeout=60000)
    wait_for_idle(page, timeout=120000)
    wait_for_plotly(page, 1, timeout=120000)
    assert_no_exception(page)
    assert slider_state(page, "Layer l")[0] == 3
    label = page.locator("[data-testid=stMetricLabel]", has_text="with BN").first
    assert label.is_visible() and "Drift D of" in label.inner_text() \
        and "[2]" in label.inner_text()  # a^[2], typeset

    _open_tab(page, "Black cats → coloured cats")  # a preset sets every control
    _wait_for_sidebar_slider(page, "Shift of the test inputs", shown=True, timeout=120000)
    wait_for_idle(page, timeout=120000)
    assert slider_state(page, "Shift of the test inputs")[0] == 3.0
    assert_no_exception(page)
