"""Session-wide fixtures for browser tests.

One Streamlit server (``app.py``) and one headless Chromium serve the whole
session; every test gets a fresh browser context/page. A page test looks like::

    import pytest
    from tests.browser_helpers import assert_no_exception, goto_and_wait

    @pytest.mark.browser
    def test_my_page(page, streamlit_server):
        goto_and_wait(page, f"{streamlit_server}/Running_statistics")
        assert_no_exception(page)

Browser tests need Debian's ``chromium`` on PATH. Without it they are skipped
(loudly) on a developer machine and fail when ``CI=true``.
"""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from tests.browser_helpers import VIEWPORT, StreamlitServer, find_chromium, launch_chromium

SKIP_PREFIX = "BROWSER TESTS SKIPPED"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of the system Chromium; skip (locally) or fail (CI) if it is missing."""
    path = find_chromium()
    if path:
        return path
    message = (
        f"{SKIP_PREFIX}: Debian's chromium not found on PATH; "
        "install it with `apt-get install chromium`"
    )
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(message.replace(SKIP_PREFIX, "BROWSER TESTS CANNOT RUN"), pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def streamlit_server():
    """Base URL (``http://127.0.0.1:<port>``) of one ``streamlit run app.py`` per session."""
    with StreamlitServer("app.py") as url:
        yield url


@pytest.fixture(scope="session")
def browser(chromium_path):
    """One headless Chromium (Playwright) per session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright, chromium_path)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh 1280x720 page in its own browser context."""
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="module")
def screen_and_phone(browser):
    """One 1280×720 page and one 390×844 phone page for a module (scripts stay cached)."""
    from tests.projector import PHONE, SCREEN

    made = {"screen": browser.new_context(viewport=SCREEN),
            "phone": browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)}
    yield {k: c.new_page() for k, c in made.items()}
    for c in made.values():
        c.close()


def pytest_terminal_summary(terminalreporter):
    """Repeat a loud warning at the end of the run if browser tests were skipped."""
    skipped = [
        rep
        for rep in terminalreporter.stats.get("skipped", [])
        if SKIP_PREFIX in str(getattr(rep, "longrepr", ""))
    ]
    if skipped:
        terminalreporter.write_sep(
            "!",
            f"{SKIP_PREFIX}: {len(skipped)} browser test(s) did not run "
            "(chromium not on PATH; `apt-get install chromium`)",
            red=True,
            bold=True,
        )


@pytest.fixture(scope="module")
def loop():
    """An event loop in its own thread for a module's websocket clients: Playwright's sync
    API (the browser tests) leaves a running loop in the main thread, where
    run_until_complete would refuse to start."""
    lp = asyncio.new_event_loop()
    thread = threading.Thread(target=lp.run_forever, daemon=True)
    thread.start()
    yield lp
    lp.call_soon_threadsafe(lp.stop)
    thread.join(5)
    lp.close()
