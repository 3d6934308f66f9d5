"""The "Covariate shift" page as the class sees it: on a 1280×720 projector each tab's key
picture is fully in the first screen (no scrolling), and on a 390×844 phone nothing runs off
the right edge. One server and one browser for the session (``conftest.py``); small training
runs keep it quick."""

import pytest

from tests.browser_helpers import assert_no_exception, goto_and_wait, wait_for_plotly

pytestmark = pytest.mark.browser

FAST = "steps=200"
TABS = {"": "Black cats → coloured cats", "A+deep+layer's+moving+inputs": "moving inputs",
        "Mini-batch+noise": "Mini-batch noise", "Noisy+BN": "Noisy BN"}
PHONE = {"width": 390, "height": 844}

#: JS: [top, bottom, height] of every chart in the main area (live charts are iframes, built-in
#: charts Plotly divs), in page order, once each live chart has its final height.
CHART_BOXES_JS = """() => [...document.querySelectorAll(
    '[data-testid=stMain] iframe, [data-testid=stMain] .js-plotly-plot')]
    .map(el => { const r = el.getBoundingClientRect(); return [r.top, r.bottom, r.height]; })"""

#: JS: the first live chart's frame has the height of its figure (its layout.height).
FIRST_CHART_SIZED_JS = """() => {
    const f = document.querySelector('[data-testid=stMain] iframe');
    if (!f || !f.contentDocument) return false;
    const gd = f.contentDocument.querySelector('.js-plotly-plot');
    return !!(gd && gd._fullLayout) && f.getBoundingClientRect().height >= gd._fullLayout.height;
}"""

#: JS: what runs off the right edge of the viewport. An element counts unless an ancestor
#: scrolls horizontally (overflow-x auto/scroll) inside the viewport: a tab bar or a wide
#: equation that the reader can swipe is fine, content cut off or pushing the page is not.
OVERFLOW_JS = """() => {
    const W = document.documentElement.clientWidth;
    const scrolls = el => {
        for (let a = el.parentElement;
             a && !a.matches('[data-testid=stMainBlockContainer]');
             a = a.parentElement) {
            const o = getComputedStyle(a).overflowX;
            if ((o === 'auto' || o === 'scroll') && a.getBoundingClientRect().right <= W + 1)
                return true;
        }
        return false;
    };
    const bad = [];
    document.querySelectorAll('[data-testid=stMain] *').forEach(el => {
        const r = el.getBoundingClientRect();
        if (r.width > 0 && r.height > 0 && r.right > W + 1 && !scrolls(el))
            bad.push(`${el.tagName.toLowerCase()}[${el.getAttribute('data-testid')
                || String(el.className).slice(0, 30)}] right=${Math.round(r.right)}`);
    });
    document.querySelectorAll('[data-testid=stMain] iframe').forEach(f => {
        const d = f.contentDocument;
        if (d && d.documentElement.scrollWidth > f.clientWidth + 1)
            bad.push(`inside iframe: ${d.documentElement.scrollWidth} > ${f.clientWidth}`);
    });
    return {scrollWidth: document.documentElement.scrollWidth, width: W, bad: bad.slice(0, 10)};
}"""


def _open(page, server: str, tab: str) -> None:
    query = f"?{FAST}" + (f"&tab={tab}" if tab else "")
    goto_and_wait(page, f"{server}/Covariate_shift{query}", timeout=180000)
    page.wait_for_function(
        "(l) => [...document.querySelectorAll('[role=tab]')].some(t => "
        "t.getAttribute('aria-selected') === 'true' && t.innerText.includes(l))",
        arg=TABS[tab], timeout=60000)
    wait_for_plotly(page, 0, timeout=120000)
    page.wait_for_function(FIRST_CHART_SIZED_JS, timeout=60000)
    assert_no_exception(page)


@pytest.mark.parametrize("tab", list(TABS))
def test_each_tabs_key_picture_fits_the_first_projector_screen(page, streamlit_server, tab):
    site = page
    _open(site, streamlit_server, tab)
    boxes = site.evaluate(CHART_BOXES_JS)
    top, bottom, height = boxes[0]
    assert site.evaluate("window.scrollY") == 0
    assert 60 <= top and bottom <= 720, f"first chart spans y = {top:.0f}–{bottom:.0f}"
    assert height >= 330, height  # a picture, not a strip
    # side-by-side charts start and end at the same height (aligned)
    beside = [b for b in boxes[1:] if abs(b[0] - top) < 40]
    for other in beside:
        assert abs(other[0] - top) <= 2 and abs(other[1] - bottom) <= 2, (boxes[0], other)
    # the takeaway starts right under the key picture(s), still in the first screen
    takeaway = site.locator("[data-testid=stMain] [data-testid=stMarkdownContainer]").filter(
        has=site.locator("[aria-label='lightbulb icon']")).first
    y = takeaway.bounding_box()["y"]
    assert 0 < y - bottom < 120 and y < 720, (bottom, y)


@pytest.mark.parametrize("tab", list(TABS))
def test_nothing_runs_off_a_phone_screen(browser, streamlit_server, tab):
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        _open(page, streamlit_server, tab)
        found = page.evaluate(OVERFLOW_JS)
        assert found["scrollWidth"] <= PHONE["width"], found
        assert not found["bad"], found["bad"]
    finally:
        context.close()
