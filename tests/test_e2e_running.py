"""The "Running statistics" page in headless Chromium against the shared test server."""

import time
from pathlib import Path

import pytest

from tests.browser_helpers import (
    assert_no_exception,
    goto_and_wait,
    plotly_data_signature,
    press_slider,
    slider_state,
    wait_for_plotly,
    wait_for_plotly_change,
)

pytestmark = pytest.mark.browser

BETA = "β_EMA (EMA coefficient)"
SMALL = "steps=200"

#: JS (index) -> x of the scrub figure's grey curtain (its left edge is step k + 0.5).
CURTAIN_JS = """(i) => {
    const p = document.querySelectorAll('.js-plotly-plot')[i];
    return p.data.find(d => d.fill === 'toself').x[0];
}"""


def test_page_loads_and_the_beta_slider_updates_the_chart(page, streamlit_server):
    goto_and_wait(page, f"{streamlit_server}/Running_statistics?{SMALL}")
    assert_no_exception(page)
    wait_for_plotly(page, 0)
    assert page.get_by_role("heading", name="Running statistics").is_visible()
    assert page.locator(".js-plotly-plot").count() == 2  # trajectory + the open tab
    before = plotly_data_signature(page, 0)
    value = slider_state(page, BETA)[0]
    press_slider(page, BETA, "ArrowLeft")
    wait_for_plotly_change(page, before, 0)
    assert_no_exception(page)
    assert slider_state(page, BETA)[0] == pytest.approx(value - 0.001)
    assert "beta=0.899" in page.url  # the address bar reproduces the view

    with page.expect_download() as download:  # the CSV is built when clicked
        page.get_by_role("button", name="Download the trajectories (CSV)").click()
    assert download.value.suggested_filename == "running_stats_layer2_unit0.csv"
    rows = Path(download.value.path()).read_text().splitlines()
    assert rows[0] == "step,layer,unit,statistic,series,value,beta_ema,variance"
    assert rows[1].startswith("1,2,0,mean,batch,") and rows[1].endswith(",0.899,unbiased")


def test_scrubbing_and_play_run_in_the_browser_without_the_server(page, streamlit_server):
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    goto_and_wait(page, f"{streamlit_server}/Running_statistics?{SMALL}&panel=Step+by+step")
    assert_no_exception(page)
    wait_for_plotly(page, 1)
    assert page.evaluate(CURTAIN_JS, 1) == 10.5  # opens at step 10
    n_sent = len(sent)

    plot = page.locator(".js-plotly-plot").nth(1)
    rail = plot.locator(".slider-rail-rect").first
    rail.scroll_into_view_if_needed()
    box = rail.bounding_box()
    page.mouse.click(box["x"] + 0.6 * box["width"], box["y"] + box["height"] / 2)
    page.wait_for_function(f"() => ({CURTAIN_JS})(1) > 40")
    scrubbed = page.evaluate(CURTAIN_JS, 1)

    plot.locator(".updatemenu-button").first.click()  # ▶
    page.wait_for_function(f"() => ({CURTAIN_JS})(1) > {scrubbed}", timeout=10000)
    time.sleep(0.3)
    state = page.locator("[data-testid=stApp]").get_attribute("data-test-script-state")
    assert state == "notRunning"
    assert sent[n_sent:] == []  # nothing went to the server
    assert_no_exception(page)
