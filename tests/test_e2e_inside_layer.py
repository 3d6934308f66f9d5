"""The "Inside a BN layer" page in headless Chromium: rows drawn, the bias slider, the undo
button, the γ slider redrawing in the browser, the sweep tab, and a lecture-map link opening
its preset."""

import json
import re

import pytest

from tests.browser_helpers import (
    VIEWPORT,
    assert_no_exception,
    goto_and_wait,
    live_chart_frame,
    plotly_data_signature,
    press_slider,
    slider_state,
    slider_thumb_centre,
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
    # one aligned block with every row's formula and shape, and the bias algebra
    assert page.locator(".katex-display").count() >= 2
    assert page.locator(".katex-display .katex-html").first.inner_text().count("(8,") == 9
    before = plotly_data_signature(page, 0)
    press_slider(page, "Bias b^[l] before BN")
    wait_for_plotly_change(page, before, 0)
    wait_for_idle(page)
    assert_no_exception(page)
    assert "bias=0.1" in page.url
    assert "(rounding)" in _takeaways(page)
    _charts_drawn(page)


def _charts_drawn(page):
    """No live chart shows its "could not be drawn" message (with or without a recipe)."""
    frames = [f for f in page.frames if "/bnsim.ui.live.live_chart/" in f.url]
    assert frames
    for frame in frames:
        assert frame.evaluate("() => document.getElementById('message').hidden"), \
            frame.evaluate("() => document.getElementById('message').textContent")


def test_undo_button_and_sigmoid_curve(page, streamlit_server):
    goto_and_wait(page, _url(streamlit_server, "tab=%CE%B3+and+%CE%B2"))
    wait_for_plotly(page, 1, timeout=90000)
    page.locator(".st-key-undo button").click()  # its label is typeset (KaTeX)
    page.wait_for_function("() => document.body.innerText.includes('z̃ equals z')",
                           timeout=60000)
    wait_for_idle(page)
    assert_no_exception(page)
    assert "gb=undo" in page.url


GAMMA, BETA = "γ (slider)", "β (slider)"
#: JS run in the rows chart's frame: the x of the paths and of both classes' dots (plain
#: numbers, gaps as null), and the x range.
#: WAIT_JS: true once the rows chart shows what the preview computes for the values ``v``
#: (the drawing may still be one value behind the thumb when the first change is seen).
ROWS_JS = """() => { const c = document.getElementById('chart');
    const plain = (v) => v && v.bdata
        ? Array.from(new Float64Array(Uint8Array.from(atob(v.bdata), c => c.charCodeAt(0)).buffer))
        : Array.from(v, x => (x === null || x === undefined) ? null : Number(x));
    return {x: [0, 1, 2].map(i => plain(c.data[i].x)), range: c.layout.xaxis.range.map(Number)};
}"""


WAIT_JS = f"""(v) => {{ const p = window.previewValues(v), s = ({ROWS_JS})();
    return p !== null && JSON.stringify(s.x) === JSON.stringify(p.x.slice(0, 3)); }}"""


def _close(a, b, tol=1e-12):
    assert len(a) == len(b)
    for u, v in zip(a, b, strict=True):
        assert (u is None) == (v is None), (u, v)
        assert u is None or abs(u - v) <= tol, (u, v)


def test_dragging_gamma_redraws_the_rows_in_the_browser_with_the_servers_numbers(
        page, streamlit_server):
    """In the sliders' mode, dragging γ moves the γ·z_norm, z̃ and a rows before the server
    hears of it (nothing sent while the thumb is held); on release the server's figure has the
    browser's numbers (to 1e-12)."""
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    goto_and_wait(page, _url(streamlit_server, "gb=sliders&tab=%CE%B3+and+%CE%B2"))
    rows = live_chart_frame(page, "a mini-batch statistic", timeout=90000)
    curve = live_chart_frame(page, "γ = 1, β = 0")  # the curve (its identity markers)
    before = rows.evaluate(ROWS_JS)
    n_sent = len(sent)

    x, y = slider_thumb_centre(page, GAMMA)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y, steps=4)  # drag right: a larger γ, held down
    rows.wait_for_function(f"(b) => JSON.stringify(({ROWS_JS})()) !== b",
                           arg=json.dumps(before))
    gamma, beta = slider_state(page, GAMMA)[0], slider_state(page, BETA)[0]
    assert gamma > 1.0 and beta == 0.0
    assert sent[n_sent:] == []  # redrawn while the thumb is held: the server has not been told
    rows.wait_for_function(WAIT_JS, arg={"gamma": gamma, "beta": beta}, timeout=10000)
    shown = rows.evaluate(ROWS_JS)
    predicted = rows.evaluate("(a) => window.previewValues({gamma: a[0], beta: a[1]})",
                              [gamma, beta])
    for got, want in zip(shown["x"], predicted["x"][:3], strict=True):
        _close(got, want)
    assert shown["x"][1] != before["x"][1]  # the dots moved
    curve.wait_for_function("(n) => document.getElementById('chart').data[2].name === n",
                            arg=f"γ = {gamma:.3g}, β = {beta:.3g}")  # the browser's .3g
    assert shown["range"] == predicted["range"]

    rows.evaluate("() => { window.__previewData = document.getElementById('chart').data; }")
    page.mouse.up()  # released: Streamlit reruns and the server's figure replaces the preview
    # (Plotly.react gives the chart a new data array; the preview's Plotly.update does not)
    rows.wait_for_function("() => document.getElementById('chart').data !== "
                           "window.__previewData", timeout=60000)
    wait_for_idle(page)
    assert_no_exception(page)
    assert re.search(rf"[?&]gamma={re.escape(repr(gamma))}(&|$)", page.url), page.url
    server = rows.evaluate(ROWS_JS)
    for got, want in zip(server["x"], shown["x"], strict=True):
        _close(got, want)  # the browser's numbers were the server's
    _close(server["range"], shown["range"])
    _charts_drawn(page)


@pytest.mark.parametrize("label, query, dx", [("Unit j", "unit=2", 25), ("Layer l", "layer=2", 70),
                                              ("Training step", "step=1", 25)])
def test_dragging_unit_layer_or_step_redraws_the_rows_in_the_browser(
        page, streamlit_server, label, query, dx):
    """Dragging the unit, layer or step slider redraws the rows from the neighbours' z that
    travel with the chart, before the server hears of it; on release the server's figure has
    the browser's numbers (to 1e-12)."""
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    goto_and_wait(page, _url(streamlit_server, query))
    rows = live_chart_frame(page, "a mini-batch statistic", timeout=90000)
    before = rows.evaluate(ROWS_JS)
    n_sent = len(sent)
    x, y = slider_thumb_centre(page, label)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y, steps=3)  # to the right, held down
    rows.wait_for_function(f"(b) => JSON.stringify(({ROWS_JS})()) !== b",
                           arg=json.dumps(before), timeout=30000)
    value = slider_state(page, label)[0]
    key = {"Unit j": "unit", "Layer l": "layer", "Training step": "step"}[label]
    assert value > int(query.split("=")[1])
    assert sent[n_sent:] == []  # redrawn while the thumb is held: the server has not been told
    rows.wait_for_function(WAIT_JS, arg={key: value}, timeout=10000)
    shown = rows.evaluate(ROWS_JS)
    predicted = rows.evaluate(f"(v) => window.previewValues({{{key}: v}})", value)
    for got, want in zip(shown["x"], predicted["x"][:3], strict=True):
        _close(got, want)

    rows.evaluate("() => { window.__previewData = document.getElementById('chart').data; }")
    page.mouse.up()
    rows.wait_for_function("() => document.getElementById('chart').data !== "
                           "window.__previewData", timeout=60000)
    wait_for_idle(page)
    assert_no_exception(page)
    server = rows.evaluate(ROWS_JS)
    if slider_state(page, label)[0] == value:  # the thumb did not move on release
        for got, want in zip(server["x"], shown["x"], strict=True):
            _close(got, want)
        _close(server["range"], shown["range"])
    _charts_drawn(page)


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
