"""Browser test of the landing page in headless Chromium."""

import re

import pytest

from tests.browser_helpers import VIEWPORT, assert_no_exception, goto_and_wait

TITLE = "bnsim — Batch Normalization, simulated"

pytestmark = pytest.mark.browser


def test_landing_page_renders(page, streamlit_server):
    goto_and_wait(page, streamlit_server)
    assert_no_exception(page)
    assert page.get_by_role("heading", name=TITLE).is_visible()
    assert page.locator(".katex-display").count() >= 1, "st.latex block not rendered"


def test_sidebar_lists_home_then_the_lessons_in_lecture_order(page, streamlit_server):
    for url in (streamlit_server, f"{streamlit_server}/Train_vs_test?steps=200"):
        goto_and_wait(page, url)
        nav = page.locator("[data-testid=stSidebar] [data-testid=stPageLink]").all_inner_texts()
        names = [n.strip().splitlines()[-1] for n in nav]  # the icon's name comes first
        assert names == ["Home", "Inside a BN layer", "Covariate shift", "Running statistics",
                         "Train vs test"], names


def test_lecture_map_has_deep_links(page, streamlit_server):
    goto_and_wait(page, streamlit_server)
    assert_no_exception(page)
    link = page.get_by_role("link", name="A test batch of one").first
    assert "Train_vs_test?k=1&tab=Test+batch+size" in link.get_attribute("href")


def _luminance(css_color: str) -> float:
    """Relative brightness (0..1) of a CSS ``rgb(...)``/``rgba(...)`` colour."""
    r, g, b = (float(c) for c in re.findall(r"[\d.]+", css_color)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.mark.parametrize("scheme, dark", [("light", False), ("dark", True)])
def test_theme_follows_system_preference(browser, streamlit_server, scheme, dark):
    """No theme is forced in config.toml, so the OS colour scheme decides."""
    context = browser.new_context(viewport=VIEWPORT, color_scheme=scheme)
    try:
        pg = context.new_page()
        goto_and_wait(pg, streamlit_server)
        background = pg.locator("[data-testid=stApp]").evaluate(
            "e => getComputedStyle(e).backgroundColor"
        )
        assert (_luminance(background) < 0.5) == dark, background
    finally:
        context.close()
