"""Cross-page paths in Chromium, through the sidebar links as a viewer clicks them: a value
legal on one page (Noise = 1.0 on Running statistics) never breaks another (Train vs test
allows at most 0.5), the URL carries only the open page's own parameters, and each page comes
back as it was left."""

import pytest

from tests.browser_helpers import (
    assert_no_exception,
    goto_and_wait,
    press_slider,
    slider_state,
    wait_for_idle,
)


def _nav(page, title: str) -> None:
    page.locator("[data-testid=stSidebar] [data-testid=stPageLink] a", has_text=title).first.click()
    page.wait_for_timeout(1500)  # the page switch, then Streamlit's URL sync rerun
    wait_for_idle(page)
    page.wait_for_timeout(500)
    wait_for_idle(page)


@pytest.mark.browser
def test_noise_one_then_train_vs_test_then_back(page, streamlit_server):
    goto_and_wait(page, f"{streamlit_server}/Running_statistics")
    press_slider(page, "Data noise", "End")  # 1.0, the maximum on this page
    page.wait_for_timeout(800)
    wait_for_idle(page)
    assert "noise=1" in page.url
    _nav(page, "Train vs test")
    assert_no_exception(page)
    assert "/Train_vs_test" in page.url and "noise=" not in page.url, page.url
    assert slider_state(page, "Data noise")[0] == pytest.approx(0.15)
    press_slider(page, "Test batch size k", "Home")  # use the page: k = 1
    page.wait_for_timeout(800)
    wait_for_idle(page)
    assert_no_exception(page)
    assert "k=1" in page.url and "noise=" not in page.url, page.url
    _nav(page, "Covariate shift")
    assert_no_exception(page)
    assert "batch=" not in page.url and "k=" not in page.url, page.url
    _nav(page, "Running statistics")
    assert_no_exception(page)
    assert slider_state(page, "Data noise")[0] == pytest.approx(1.0)  # as it was left
