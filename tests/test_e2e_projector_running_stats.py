"""Running statistics on a projector (1280×720) and on a phone (390×844), in headless Chromium.

At 1280×720 the key picture — the μ and σ² trajectories — is fully visible in the first screen
on every view a link can open (``?panel=…``), with its takeaway right under it, and each tab's
own chart fits one screen below the tab strip. At 390×844 nothing is wider than the screen:
the side-by-side plots stack, and wide content (equations, code, tables) scrolls inside its
own box.
"""

import pytest

from tests.browser_helpers import PLOTS_JS, goto_and_wait, wait_for_plotly

pytestmark = pytest.mark.browser

PAGE = "/Running_statistics"
PANELS = ("Error vs population", "Step by step", "Distribution at a step", "PyTorch & Keras",
          "Formulas")
SCREEN = 720
HEADER = 60  # Streamlit's header covers the top of the page

#: JS: [top, bottom] (page px) of every chart (live charts are frames; Plotly divs otherwise)
#: in document order, and the top of the first takeaway and of the tab strip.
BOXES_JS = f"""() => {{
    const box = el => {{ const r = el.getBoundingClientRect(); return [r.top, r.bottom]; }};
    const charts = Array.from(document.querySelectorAll(
        '[data-testid=stMain] iframe, [data-testid=stMain] .js-plotly-plot'))
        .filter(el => el.tagName !== 'IFRAME' || el.title.includes('live_chart'))
        .map(box);
    const takeaway = Array.from(document.querySelectorAll(
        '[data-testid=stMain] [data-testid=stMarkdown]'))
        .find(el => el.innerText.includes('lightbulb'));
    const tabs = document.querySelector('[data-testid=stMain] [role=tablist]');
    return {{charts, takeaway: takeaway ? box(takeaway)[0] : null,
             tabs: tabs ? box(tabs)[0] : null, drawn: ({PLOTS_JS})().length}};
}}"""


def _boxes(page, n_charts: int) -> dict:
    wait_for_plotly(page, n_charts - 1)
    page.wait_for_timeout(300)  # the frames have taken their final height
    return page.evaluate(BOXES_JS)


def test_the_key_picture_fits_the_first_screen_on_every_view(page, streamlit_server):
    views = [("", 4)] + [(p, {"Error vs population": 4, "Step by step": 3,
                              "Distribution at a step": 3}.get(p, 2)) for p in PANELS]
    for panel, n_charts in views:
        query = f"?panel={panel.replace(' ', '+').replace('&', '%26')}" if panel else ""
        goto_and_wait(page, f"{streamlit_server}{PAGE}{query}")
        b = _boxes(page, n_charts)
        assert page.evaluate("() => window.scrollY") == 0
        (top_mu, bottom_mu), (top_var, bottom_var) = b["charts"][:2]
        assert HEADER <= top_mu and bottom_mu <= SCREEN, (panel, b)  # fully in the first screen
        assert (top_var, bottom_var) == (top_mu, bottom_mu), (panel, b)  # side by side
        assert bottom_mu <= b["takeaway"] <= bottom_mu + 60, (panel, b)  # right under it
        if n_charts > 2:  # the tab's chart fits one screen when its strip is scrolled to the top
            top, bottom = b["charts"][2]
            assert bottom - b["tabs"] <= SCREEN - HEADER, (panel, b)
            assert top > b["tabs"], (panel, b)


#: JS: the elements of the page whose right edge is beyond the viewport, except those inside a
#: box that scrolls (or clips) horizontally within the viewport; and the page's scroll width.
OVERFLOW_JS = """() => {
    const w = window.innerWidth;
    const clipped = el => {
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
            const ox = getComputedStyle(p).overflowX;
            if (ox !== 'visible' && p.getBoundingClientRect().right <= w + 1) return true;
        }
        return false;
    };
    const wide = Array.from(document.querySelectorAll('[data-testid=stMain] *')).filter(el => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && r.right > w + 1 && !clipped(el);
    }).map(el => el.tagName + '.' + (el.getAttribute('data-testid') || el.className || '')
                 + ' right=' + Math.round(el.getBoundingClientRect().right));
    return {scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 10)};
}"""


def test_nothing_is_wider_than_a_phone(browser, streamlit_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    try:
        for panel, n_charts in (("", 4), ("Step by step", 3), ("Distribution at a step", 3),
                                ("PyTorch & Keras", 2), ("Formulas", 2)):
            query = f"?panel={panel.replace(' ', '+').replace('&', '%26')}" if panel else ""
            goto_and_wait(page, f"{streamlit_server}{PAGE}{query}")
            b = _boxes(page, n_charts)
            (top_mu, bottom_mu), (top_var, _) = b["charts"][:2]
            assert top_var >= bottom_mu  # the two trajectories stack on a phone
            found = page.evaluate(OVERFLOW_JS)
            assert found["scrollWidth"] <= 390, (panel, found)
            assert found["wide"] == [], (panel, found)
    finally:
        context.close()
