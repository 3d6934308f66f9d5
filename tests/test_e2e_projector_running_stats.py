"""Running statistics on a projector (1280×720) and on a phone (390×844), in headless Chromium.

At 1280×720 the key picture of every view a link can open is fully visible in the first
screen, under the tab strip: the μ and σ² trajectories (the first tab, opened by a link without
``panel``) with their takeaway right under them, each other tab's chart, the PyTorch & Keras
table and the lecture's EMA equation. At 390×844 nothing is wider than the screen: the
side-by-side plots stack, and wide content (equations, code, tables) scrolls inside its own box.
"""

import pytest

from tests.browser_helpers import PLOTS_JS, goto_and_wait, wait_for_plotly

pytestmark = pytest.mark.browser

PAGE = "/Running_statistics"
SCREEN = 720
HEADER = 60  # Streamlit's header covers the top of the page
#: (panel in the link, "" for none; charts in the open tab). Links made when the trajectory sat
#: above the tabs name the other five tabs; they must keep opening them.
VIEWS = (("", 2), ("Trajectory", 2), ("Error vs population", 2), ("Step by step", 1),
         ("Distribution at a step", 1), ("PyTorch & Keras", 0), ("Formulas", 0))

#: JS: [top, bottom] (page px) of every chart (live charts are frames; Plotly divs otherwise)
#: in document order, of the first element of the open tab, of the first takeaway and of the
#: tab strip; the open tab's label; how many Plotly charts have drawn.
BOXES_JS = f"""() => {{
    const box = el => {{ const r = el.getBoundingClientRect(); return [r.top, r.bottom]; }};
    const main = '[data-testid=stMain] ';
    const charts = Array.from(document.querySelectorAll(
        main + 'iframe, ' + main + '.js-plotly-plot'))
        .filter(el => el.tagName !== 'IFRAME' || el.title.includes('live_chart'))
        .map(box);
    const takeaway = Array.from(document.querySelectorAll(main + '[data-testid=stMarkdown]'))
        .find(el => el.innerText.includes('lightbulb'));
    const tabs = document.querySelector(main + '[role=tablist]');
    const panel = Array.from(document.querySelectorAll(main + '[role=tabpanel]'))
        .find(el => el.getBoundingClientRect().height > 0);
    const first = panel && panel.querySelector('[data-testid=stElementContainer]');
    const selected = document.querySelector(main + '[role=tab][aria-selected=true]');
    return {{charts, takeaway: takeaway ? box(takeaway)[0] : null,
             tabs: tabs ? box(tabs) : null, first: first ? box(first) : null,
             selected: selected ? selected.innerText.trim() : null,
             drawn: ({PLOTS_JS})().length}};
}}"""


def _query(panel: str) -> str:
    return f"?panel={panel.replace(' ', '+').replace('&', '%26')}" if panel else ""


def _boxes(page, n_charts: int) -> dict:
    if n_charts:
        wait_for_plotly(page, n_charts - 1)
    page.wait_for_timeout(300)  # the frames have taken their final height
    return page.evaluate(BOXES_JS)


def test_each_tabs_key_picture_fits_the_first_screen(page, streamlit_server):
    for panel, n_charts in VIEWS:
        goto_and_wait(page, f"{streamlit_server}{PAGE}{_query(panel)}")
        b = _boxes(page, n_charts)
        assert page.evaluate("() => window.scrollY") == 0
        assert b["selected"] == (panel or "Trajectory"), (panel, b)
        assert b["drawn"] == n_charts, (panel, b)  # only the open tab is computed
        assert len(b["charts"]) == n_charts, (panel, b)
        tabs_top, tabs_bottom = b["tabs"]
        assert HEADER <= tabs_top, (panel, b)
        top, bottom = b["first"]  # the tab's first element: its chart, table or equation
        assert tabs_bottom <= top and bottom <= SCREEN, (panel, b)  # fully in the first screen
        if n_charts:
            for chart_top, chart_bottom in b["charts"]:
                assert tabs_bottom <= chart_top and chart_bottom <= SCREEN, (panel, b)
            assert b["charts"][0][0] <= top + 5, (panel, b)  # the chart comes first
        if n_charts == 2:  # μ and σ² side by side, the takeaway right under them
            (top_mu, bottom_mu), (top_var, bottom_var) = b["charts"]
            assert (top_var, bottom_var) == (top_mu, bottom_mu), (panel, b)
            assert bottom_mu <= b["takeaway"] <= bottom_mu + 60, (panel, b)


#: JS: the elements of the page whose right edge is beyond the viewport, except those inside a
#: box that scrolls (or clips) horizontally within the viewport; and the page's scroll width.
OVERFLOW_JS = """() => {
    const w = window.innerWidth;
    const clipped = el => {
        for (let p = el.parentElement;
             p && !p.matches('[data-testid=stMainBlockContainer]');
             p = p.parentElement) {
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
        for panel, n_charts in VIEWS[:1] + VIEWS[2:]:
            goto_and_wait(page, f"{streamlit_server}{PAGE}{_query(panel)}")
            b = _boxes(page, n_charts)
            if n_charts == 2:
                (top_a, bottom_a), (top_b, _) = b["charts"]
                assert top_b >= bottom_a  # the two plots stack on a phone
            found = page.evaluate(OVERFLOW_JS)
            assert found["scrollWidth"] <= 390, (panel, found)
            assert found["wide"] == [], (panel, found)
    finally:
        context.close()


#: JS: the step-by-step chart's subplot areas (Plotly's drag rectangles, one per subplot) and
#: the boxes of its slider rail and ▶/❚❚ buttons, in page px; the chart's own box
SCRUB_JS = """() => {
    const gd = document.querySelector('[data-testid=stMain] .js-plotly-plot');
    const box = el => { const r = el.getBoundingClientRect();
                        return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
    return {chart: box(gd),
            panels: Array.from(gd.querySelectorAll('.draglayer .nsewdrag')).map(box),
            lengths: Object.keys(gd._fullLayout).filter(k => /^yaxis\\d*$/.test(k))
                .map(k => gd._fullLayout[k]._length),
            rail: box(gd.querySelector('.slider-rail-rect')),
            buttons: Array.from(gd.querySelectorAll('.updatemenu-button')).map(box)};
}"""


def _overlap(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] \
        and b["top"] < a["bottom"]


def test_step_by_step_panels_are_readable_from_the_back(page, streamlit_server):
    """Step by step at 1280×720: both panels (μ and the weights) at least 250 px tall and in
    the first screen with the slider and the ▶/❚❚ buttons under them, which don't touch."""
    goto_and_wait(page, f"{streamlit_server}{PAGE}{_query('Step by step')}")
    _boxes(page, 1)
    s = page.evaluate(SCRUB_JS)
    assert len(s["panels"]) == len(s["lengths"]) == 2, s
    for panel in s["panels"]:
        assert panel["bottom"] - panel["top"] >= 250, s  # no panel under ~250 px
        assert s["chart"]["top"] <= panel["top"] and panel["bottom"] <= SCREEN, s
    assert min(s["lengths"]) >= 250, s
    for control in [s["rail"], *s["buttons"]]:
        assert max(p["bottom"] for p in s["panels"]) < control["top"], s  # under the panels
        assert control["bottom"] <= min(s["chart"]["bottom"], SCREEN), s
    assert not any(_overlap(b, s["rail"]) for b in s["buttons"]), s


def test_step_by_step_buttons_clear_the_slider_on_a_phone(browser, streamlit_server):
    """At 390×844 the ▶/❚❚ buttons still sit beside the slider's rail, not over it."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    try:
        goto_and_wait(page, f"{streamlit_server}{PAGE}{_query('Step by step')}")
        _boxes(page, 1)
        s = page.evaluate(SCRUB_JS)
        assert len(s["buttons"]) == 2, s
        assert not any(_overlap(b, s["rail"]) for b in s["buttons"]), s
        assert all(b["left"] >= 0 and b["right"] <= 390 for b in s["buttons"]), s
    finally:
        context.close()
