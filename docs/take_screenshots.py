"""Take the README's screenshots: every page's first screen at 1280×720 in the light and the dark
theme, and on a 390×844 phone, into ``docs/screenshots/<stem>-1280-light.png``,
``<stem>-1280-dark.png`` and ``<stem>-390.png``.

Serves the app once (``streamlit run app.py``) and drives Debian's ``chromium`` with
Playwright, as the browser tests do (``tests/browser_helpers.py``). The theme follows the
browser's colour scheme (no theme is forced in ``.streamlit/config.toml``), so the dark
screenshot emulates ``prefers-color-scheme: dark``. From the repository root::

    python docs/take_screenshots.py                          # all five pages
    python docs/take_screenshots.py running_stats testtime   # some of them
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser_helpers import (  # noqa: E402  (the repository root is on the path now)
    StreamlitServer,
    find_chromium,
    goto_and_wait,
    launch_chromium,
)

OUT = ROOT / "docs" / "screenshots"
PAGES = {"home": "/", "inside_layer": "/Inside_a_BN_layer", "covariate_shift": "/Covariate_shift",
         "running_stats": "/Running_statistics", "testtime": "/Train_vs_test"}
SHOTS = (  # (file suffix, viewport, colour scheme, phone)
    ("1280-light", {"width": 1280, "height": 720}, "light", False),
    ("1280-dark", {"width": 1280, "height": 720}, "dark", False),
    ("390", {"width": 390, "height": 844}, "light", True),
)
#: JS predicate: the script is idle and every Plotly chart on the page (live charts are drawn
#: in same-origin frames) has drawn its traces
DRAWN_JS = """() => {
    const app = document.querySelector('[data-testid=stApp]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    const plots = [];
    const walk = doc => doc.querySelectorAll('.js-plotly-plot, iframe').forEach(el => {
        if (el.tagName === 'IFRAME') { try { walk(el.contentDocument); } catch (e) {} }
        else plots.push(el);
    });
    walk(document);
    const charts = document.querySelectorAll(
        '[data-testid=stMain] [data-testid=stPlotlyChart], [data-testid=stMain] iframe').length;
    return plots.filter(p => Array.isArray(p.data) && p.data.length).length >= charts;
}"""


def shoot(browser, base: str, stem: str, settle_ms: int = 1500) -> list[Path]:
    """The three screenshots of page ``stem``; returns the files written."""
    written = []
    for suffix, viewport, scheme, phone in SHOTS:
        context = browser.new_context(viewport=viewport, color_scheme=scheme,
                                      is_mobile=phone, has_touch=phone)
        page = context.new_page()
        try:
            goto_and_wait(page, base + PAGES[stem], timeout=180000)
            page.wait_for_function(DRAWN_JS, timeout=180000)
            page.wait_for_timeout(settle_ms)  # fonts, KaTeX and the frames' final heights
            path = OUT / f"{stem}-{suffix}.png"
            page.screenshot(path=str(path))  # the first screen only
            written.append(path)
        finally:
            context.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", metavar="page",
                        help=f"page stems, any of {', '.join(PAGES)} (default: all)")
    args = parser.parse_args(argv)
    if unknown := [p for p in args.pages if p not in PAGES]:
        parser.error(f"unknown page {', '.join(unknown)}; choose from {', '.join(PAGES)}")
    chromium = find_chromium()
    if chromium is None:
        print("chromium not found on PATH (apt-get install chromium)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with StreamlitServer(ROOT / "app.py", timeout=120) as base, sync_playwright() as pw:
        browser = launch_chromium(pw, chromium)
        try:
            for stem in args.pages or PAGES:
                for path in shoot(browser, base, stem):
                    print(path)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
