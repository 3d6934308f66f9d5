"""Shared checks of a page on a projector (1280×720) and a phone (390×844), in Chromium:
the key picture of a tab in the first screen with its takeaway right under it and charts side
by side aligned; nothing wider than a phone. Used by the ``test_e2e_projector_*`` files."""

import urllib.parse

from tests.browser_helpers import PLOTS_JS, goto_and_wait

SCREEN = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}

#: JS: the open tab panel (or the main area)
PANEL = """(Array.from(document.querySelectorAll('[data-testid=stTabs] [role=tabpanel]'))
    .find(p => p.offsetParent !== null) || document.querySelector('[data-testid=stMain]'))"""

#: JS predicate: the open tab shows as many drawn Plotly charts as it has chart elements
DRAWN_JS = f"""() => {{
    const panel = {PANEL};
    const app = document.querySelector('[data-testid=stApp]');
    if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    const drawn = ({PLOTS_JS})(panel).filter(p => Array.isArray(p.data) && p.data.length);
    return drawn.length > 0
        && drawn.length >= panel.querySelectorAll('[data-testid=stPlotlyChart], iframe').length;
}}"""

#: JS: page boxes of the open tab's charts (plain and live), in document order, and the top
#: of the first takeaway (the lightbulb sentence) in it
BOXES_JS = f"""() => {{
    const panel = {PANEL};
    const charts = Array.from(panel.querySelectorAll('[data-testid=stPlotlyChart], iframe'))
        .map(e => e.getBoundingClientRect()).filter(r => r.height > 50)
        .map(r => ({{left: r.left, top: r.top + scrollY, right: r.right,
                     bottom: r.bottom + scrollY}}));
    const take = Array.from(panel.querySelectorAll('[data-testid=stMarkdownContainer]'))
        .find(m => m.innerText.includes('lightbulb'));
    const plots = ({PLOTS_JS})(panel).map(p => {{
        const s = p._fullLayout._size; return [s.t, s.h]; }});
    return {{charts, plots,
             takeaway: take ? take.getBoundingClientRect().top + scrollY : null}};
}}"""

#: JS: the page's width and every visible element of the main area whose right edge is out of
#: the viewport (inside a block that scrolls horizontally on its own, e.g. a wide equation, an
#: element is fine); charts drawn inside live-chart frames are checked against their frame
OVERFLOW_JS = f"""() => {{
    const W = document.documentElement.clientWidth, bad = [];
    const scrolls = (e) => {{
        for (let p = e.parentElement;
             p && !p.matches('[data-testid=stMainBlockContainer]');
             p = p.parentElement) {{
            const s = getComputedStyle(p).overflowX;
            if ((s === 'auto' || s === 'scroll') && p.getBoundingClientRect().right <= W + 1)
                return true;
        }}
        return false;
    }};
    document.querySelectorAll('[data-testid=stMain] *').forEach(e => {{
        const r = e.getBoundingClientRect();
        if (r.width > 0 && r.height > 0 && r.right > W + 1 && !scrolls(e)
            && !e.closest('.katex-mathml')  // MathML: visually hidden
            && !e.closest('.katex .hide-tail'))  // a root sign's 400em-wide SVG, clipped by KaTeX
            bad.push((e.getAttribute('data-testid') || e.tagName) + ' ' + Math.round(r.right));
    }});
    ({PLOTS_JS})().forEach(p => {{
        const w = p.ownerDocument.documentElement.clientWidth;
        const r = p.getBoundingClientRect();
        if (r.right > w + 1) bad.push('plotly chart right=' + Math.round(r.right) + ' > ' + w);
    }});
    return {{scrollWidth: document.documentElement.scrollWidth, bad}};
}}"""




def open_tab(page, url: str, tab_key: str = "tab", tab: str = "") -> None:
    """Open ``url`` (a page with its query) on ``tab`` and wait until its charts are drawn."""
    q = f"&{tab_key}={urllib.parse.quote_plus(tab)}" if tab else ""
    goto_and_wait(page, url + q, timeout=120000)
    page.wait_for_function(DRAWN_JS, timeout=120000)
    page.wait_for_timeout(300)  # let the live charts report their final frame height


def assert_first_screen(page, tab: str = "") -> None:
    """The open tab's first chart fits the first screen, its takeaway right under it."""
    got = page.evaluate(BOXES_JS)
    first = got["charts"][0]
    assert first["bottom"] <= SCREEN["height"], (tab, first)  # no scrolling for the picture
    assert first["top"] >= 60  # below Streamlit's header, not under it
    # the takeaway starts right under the chart (below the charts beside it, too), on screen
    low = max(c["bottom"] for c in got["charts"] if c["top"] < first["bottom"])
    assert got["takeaway"] is not None and 0 <= got["takeaway"] - low <= 60, (tab, got)
    assert got["takeaway"] < SCREEN["height"] - 16, (tab, got)
    # charts side by side: the same top and the same plot area, so they line up
    beside = [c for c in got["charts"] if abs(c["top"] - first["top"]) < first["bottom"]
              - first["top"] and c is not first]
    if beside:
        assert abs(beside[0]["top"] - first["top"]) <= 2
        assert abs(beside[0]["bottom"] - first["bottom"]) <= 2
        (t0, h0), (t1, h1) = got["plots"][:2]
        assert abs(t0 - t1) <= 2 and abs(h0 - h1) <= 2, got["plots"]
    assert all(h >= 250 for _, h in got["plots"]), got["plots"]  # no panel under ~250 px


def assert_fits_a_phone(page) -> None:
    """Nothing sticks out of a phone's screen sideways, and side-by-side charts stack."""
    got = page.evaluate(OVERFLOW_JS)
    assert got["scrollWidth"] <= PHONE["width"], got
    assert not got["bad"], got["bad"][:10]
    # side-by-side charts stack on a phone: each one as wide as the column, one under another
    boxes = page.evaluate(BOXES_JS)["charts"]
    for a, b in zip(boxes, boxes[1:], strict=False):
        assert b["top"] >= a["bottom"] - 1, boxes
