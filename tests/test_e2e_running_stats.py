"""The "Running statistics" page in headless Chromium against the shared test server."""

import json
import re
import time
from pathlib import Path

import pytest

from tests.browser_helpers import (
    PLOTS_JS,
    VIEWPORT,
    assert_no_exception,
    goto_and_wait,
    live_chart_frame,
    plotly_count,
    plotly_data_signature,
    press_slider,
    slider_state,
    slider_thumb_centre,
    wait_for_plotly,
    wait_for_plotly_change,
)

pytestmark = pytest.mark.browser

BETA = "β_EMA (EMA coefficient)"
DOTS = "mini-batch μ<sub>B</sub>, σ²<sub>B</sub>"  # the dots' legend name, typeset
SMALL = "steps=200"

#: JS (index) -> x of the scrub figure's grey curtain (its left edge is step k + 0.5).
CURTAIN_JS = f"""(i) => {{
    const p = ({PLOTS_JS})()[i];
    return p.layout.shapes[0].x0;
}}"""
SCRUB = 0  # only the open tab is drawn: the scrub is the page's only chart

#: JS run in a live chart's frame: the y of every EMA trace, as plain arrays (the server sends
#: them as base64 typed arrays; the browser's own redraw leaves Float64Arrays).
EMA_JS = """() => {
    const plain = (v) => v && v.bdata
        ? Array.from(new Float64Array(Uint8Array.from(atob(v.bdata), c => c.charCodeAt(0)).buffer))
        : Array.from(v);
    return document.getElementById('chart').data
        .filter(d => d.name === 'EMA (lecture)' || d.name === 'bias-corrected EMA')
        .map(d => plain(d.y));
}"""

def _close(a, b, rel=1e-12):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert len(x) == len(y)
        assert all(abs(u - v) <= rel * max(1.0, abs(v)) for u, v in zip(x, y, strict=True))


def test_dragging_beta_redraws_the_ema_in_the_browser_with_the_servers_numbers(
        page, streamlit_server):
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    goto_and_wait(page, f"{streamlit_server}/Running_statistics?{SMALL}")
    frames = _trajectory_frames(page)  # μ and σ², side by side
    start = [frame.evaluate(EMA_JS) for frame in frames]
    assert [len(s) for s in start] == [2, 2]  # EMA and bias-corrected in each plot
    n_sent = len(sent)

    x, y = slider_thumb_centre(page, BETA)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 40, y, steps=4)  # drag left: a smaller β_EMA, held down
    for frame, before in zip(frames, start, strict=True):
        frame.wait_for_function(f"(before) => JSON.stringify(({EMA_JS})()) !== before",
                                arg=json.dumps(before))
    dragged = slider_state(page, BETA)[0]
    assert dragged < 0.9
    assert sent[n_sent:] == []  # redrawn while the thumb is held: the server has not been told
    previews = [frame.evaluate(EMA_JS) for frame in frames]
    for frame, preview in zip(frames, previews, strict=True):
        _close(preview, frame.evaluate(
            "(b) => window.previewValues(b).map(a => Array.from(a))", dragged))

    before = plotly_data_signature(page, 0)
    page.mouse.up()  # released: Streamlit reruns and the server's figure replaces the preview
    wait_for_plotly_change(page, before, 0)
    assert_no_exception(page)
    assert re.search(rf"[?&]ema_beta={re.escape(repr(dragged))}(&|$)", page.url), page.url
    for frame, preview in zip(frames, previews, strict=True):
        _close(preview, frame.evaluate(EMA_JS))  # the browser's numbers were the server's


#: JS run in a live chart's frame: whether it is the μ plot (axis y) or the σ² plot (y2).
AXIS_JS = "() => document.getElementById('chart').data[0].yaxis || 'y'"


def _trajectory_frames(page):
    """The frames of the μ plot and the σ² plot (both draw the mini-batch dots)."""
    live_chart_frame(page, DOTS)
    page.wait_for_function(
        "(dots) => Array.from(document.querySelectorAll('iframe')).filter(f => {"
        " try { const c = f.contentDocument.getElementById('chart');"
        " return c && c.data && c.data.some(t => t.name === dots); }"
        " catch (e) { return false; } }).length === 2", arg=DOTS)
    found = {}
    for frame in page.frames:
        if "/bnsim.ui.live.live_chart/" in frame.url and frame.evaluate(
                "(dots) => { const c = document.getElementById('chart');"
                " return !!(c && c.data && c.data.some(t => t.name === dots)); }", DOTS):
            found[frame.evaluate(AXIS_JS)] = frame
    return [found["y"], found["y2"]]


#: JS run in a live chart's frame: [paper background, font colour, font family] as drawn.
CHART_LOOK_JS = """() => { const f = document.getElementById('chart')._fullLayout;
    return [f.paper_bgcolor, f.font.color, f.font.family]; }"""
APP_BG_JS = ("() => getComputedStyle(document.querySelector('[data-testid=stApp]'))"
             ".backgroundColor")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_live_charts_follow_the_theme(browser, streamlit_server, scheme):
    context = browser.new_context(viewport=VIEWPORT, color_scheme=scheme)
    page = context.new_page()
    try:
        goto_and_wait(page, f"{streamlit_server}/Running_statistics?{SMALL}")
        frame = live_chart_frame(page, DOTS)
        for dark in (scheme == "dark", scheme != "dark"):  # as opened, then switched
            page.wait_for_function(  # the page has taken the theme
                f"(dark) => {{ const c = ({APP_BG_JS})().match(/\\d+/g).map(Number);"
                " return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2] < 128) === dark; }",
                arg=dark)
            page_bg = page.evaluate(APP_BG_JS)
            frame.wait_for_function(
                f"(bg) => ({CHART_LOOK_JS})()[0].toLowerCase() === bg", arg=_hex(page_bg))
            paper, font, family = frame.evaluate(CHART_LOOK_JS)  # on the page's background
            assert abs(_luminance(font) - _luminance(paper)) > 0.3  # readable text
            assert "Source Sans" in family  # the page's font
            page.emulate_media(color_scheme="light" if dark else "dark")  # system setting
    finally:
        context.close()


def _hex(color: str) -> str:
    return "#" + "".join(f"{c:02x}" for c in _rgb(color))


def _rgb(color: str) -> tuple[int, ...]:
    if color.startswith("#"):
        return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))
    return tuple(int(float(v)) for v in color[color.index("(") + 1:-1].split(",")[:3])


def _luminance(color: str) -> float:
    return sum(w * c / 255 for w, c in zip((0.2126, 0.7152, 0.0722), _rgb(color), strict=True))


def test_page_loads_and_the_beta_slider_updates_the_chart(page, streamlit_server):
    goto_and_wait(page, f"{streamlit_server}/Running_statistics?{SMALL}")
    assert_no_exception(page)
    wait_for_plotly(page, 0)
    assert page.get_by_role("heading", name="Running statistics").is_visible()
    wait_for_plotly(page, 1)
    page.wait_for_timeout(300)
    assert plotly_count(page) == 2  # the first tab: μ and σ² trajectories, both live
    assert page.locator("[role=tab][aria-selected=true]").inner_text().strip() == "Trajectory"
    assert page.locator(".js-plotly-plot").count() == 0
    before = plotly_data_signature(page, 0)
    value = slider_state(page, BETA)[0]
    press_slider(page, BETA, "ArrowLeft")
    wait_for_plotly_change(page, before, 0)
    assert_no_exception(page)
    assert slider_state(page, BETA)[0] == pytest.approx(value - 0.001)
    assert "ema_beta=0.899" in page.url  # the address bar reproduces the view

    with page.expect_download() as download:  # the CSV is built when clicked
        page.get_by_role("button", name="Download the trajectories (CSV)").click()
    assert download.value.suggested_filename == "running_stats_layer2_unit1.csv"  # units from 1
    rows = Path(download.value.path()).read_text().splitlines()
    assert rows[0] == "step,layer,unit,statistic,series,value,beta_ema,variance"
    assert rows[1].startswith("1,2,1,mean,batch,") and rows[1].endswith(",0.899,unbiased")


def test_scrubbing_and_play_run_in_the_browser_without_the_server(page, streamlit_server):
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    goto_and_wait(page, f"{streamlit_server}/Running_statistics?{SMALL}&panel=Step+by+step")
    assert_no_exception(page)
    wait_for_plotly(page, SCRUB)
    assert page.evaluate(CURTAIN_JS, SCRUB) == 10.5  # opens at step 10
    n_sent = len(sent)

    plot = page.locator(".js-plotly-plot").first  # the scrub (live charts are frames)
    rail = plot.locator(".slider-rail-rect").first
    rail.scroll_into_view_if_needed()
    box = rail.bounding_box()
    page.mouse.click(box["x"] + 0.6 * box["width"], box["y"] + box["height"] / 2)
    page.wait_for_function(f"() => ({CURTAIN_JS})({SCRUB}) > 40")
    scrubbed = page.evaluate(CURTAIN_JS, SCRUB)

    plot.locator(".updatemenu-button").first.click()  # ▶
    page.wait_for_function(f"() => ({CURTAIN_JS})({SCRUB}) > {scrubbed}", timeout=10000)
    time.sleep(0.3)
    state = page.locator("[data-testid=stApp]").get_attribute("data-test-script-state")
    assert state == "notRunning"
    assert sent[n_sent:] == []  # nothing went to the server
    assert_no_exception(page)
