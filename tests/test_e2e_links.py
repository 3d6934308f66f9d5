"""Lecture links made before the layout change still open the same views, in a real browser.

Each link is a page URL with query parameters as a lecturer saved it (from a preset or by
moving controls). The page must open on the right lesson, the right tab and the linked values,
without a traceback, without the "some link settings were not valid" note and — on a server
that has just started, as a hosted link is at the start of a lecture — without Streamlit's
"Page not found" dialog. This module starts its own server for that.
"""

import json
import urllib.parse

import pytest

from tests.browser_helpers import (
    StreamlitServer,
    assert_no_exception,
    goto_and_wait,
    slider_state,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def fresh_server():
    """A server no session has visited yet (the session-wide one may have been)."""
    with StreamlitServer("app.py") as url:
        yield url


def _no_page_not_found(page) -> None:
    page.wait_for_timeout(300)  # the dialog arrives with the first run's messages
    assert page.get_by_role("dialog").filter(has_text="Page not found").count() == 0


def _navigation(page) -> list[str]:
    """The sidebar's page list, top to bottom."""
    links = page.locator("[data-testid=stSidebar] [data-testid=stPageLink]")
    return [t.strip() for t in links.all_inner_texts()]


PAGES = [("Inside_a_BN_layer", "Inside a BN layer"), ("Covariate_shift", "Covariate shift"),
         ("Running_statistics", "Running statistics"), ("Train_vs_test", "Train vs test")]


@pytest.mark.parametrize("path, title", PAGES, ids=[p for p, _ in PAGES])
def test_each_lesson_url_as_the_first_request_of_a_fresh_server_shows_its_page(page, path,
                                                                               title):
    """The page scripts live in pages/: Streamlit's own routing serves each lesson URL, even as
    the very first request a just-started server gets, with no "Page not found" dialog and a
    sidebar whose pages read Home first and never "app"."""
    with StreamlitServer("app.py") as url:
        goto_and_wait(page, f"{url}/{path}?steps=200", timeout=120000)
        _no_page_not_found(page)
        assert_no_exception(page)
        assert page.get_by_role("heading", name=title, exact=True).first.is_visible()
        assert page.locator("[data-testid=stSidebarNav]").count() == 0  # Streamlit's own list
        nav = [t.split("\n")[-1] for t in _navigation(page)]
        assert nav == ["Home"] + [t for _, t in PAGES], nav
        assert not any(t.lower() == "app" for t in nav)


def test_the_first_visit_of_a_fresh_server_through_a_lesson_link(page, fresh_server):
    goto_and_wait(page, f"{fresh_server}/Train_vs_test?k=4&steps=200", timeout=120000)
    _no_page_not_found(page)
    assert_no_exception(page)
    assert page.get_by_role("heading", name="Train vs test", exact=True).first.is_visible()
    assert slider_state(page, "Test batch size k")[0] == 4
    assert _navigation(page)[0].split("\n")[-1] == "Home"


def test_home_links_to_every_lesson(page, fresh_server):
    goto_and_wait(page, fresh_server, timeout=120000)
    assert_no_exception(page)
    page.locator("[data-testid=stSidebar] [data-testid=stPageLink]").filter(
        has_text="Covariate shift").first.click()
    page.wait_for_url("**/Covariate_shift**", timeout=60000)
    goto_and_wait(page, page.url, timeout=120000)
    assert page.get_by_role("heading", name="Covariate shift", exact=True).first.is_visible()


@pytest.mark.parametrize("link, label, value, old_key, new_key", [
    ("Running_statistics?beta=0.99&steps=200", "β_EMA (EMA coefficient)", 0.99, "beta",
     "ema_beta"),
    ("Inside_a_BN_layer?gb=sliders&beta=1.5&tab=%CE%B3+and+%CE%B2", "β (slider)", 1.5, "beta",
     "bn_beta"),
    ("Covariate_shift?layers=4&units=8&dnoise=0.2&steps=200&tab=A+deep+layer%27s+moving+inputs",
     "Hidden layers", 4, "layers", "depth"),
])
def test_a_link_with_an_old_key_opens_the_value_under_the_new_key(page, fresh_server, link,
                                                                  label, value, old_key,
                                                                  new_key):
    """β_EMA and BN's shift β have different keys now (both were ``beta``), and ``layers``,
    ``units``, ``dnoise`` became ``depth``, ``width``, ``noise`` on every page: a link made
    before opens the same value, and the address bar is rewritten with the new key."""
    goto_and_wait(page, f"{fresh_server}/{link}", timeout=120000)
    assert_no_exception(page)
    assert slider_state(page, label)[0] == pytest.approx(value)
    page.wait_for_function(f"() => new URLSearchParams(location.search).has({new_key!r})",
                           timeout=30000)
    assert old_key not in urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)

FAST = "steps=200"
LINKS = [  # (path and query, page title, open tab (None: no check), {slider label: value})
    ("Running_statistics?beta=0.999&dataset=Xor&layer=1&panel=Distribution+at+a+step&steps=200",
     "Running statistics", "Distribution at a step",
     {"β_EMA (EMA coefficient)": 0.999, "Layer l": 1}),
    ("Running_statistics?batch=4&var=biased+%28Keras%29&layer=1&unit=3&steps=200",
     "Running statistics", None, {"Mini-batch size m": 4, "Unit j": 3}),
    (f"Train_vs_test?k=1&tab=Test+batch+size&{FAST}", "Train vs test", "Test batch size",
     {"Test batch size k": 1}),
    (f"Train_vs_test?k=32&mix=100&tab=Skewed+test+batches&{FAST}", "Train vs test",
     "Skewed test batches", {"Test batch size k": 32}),
    (f"Covariate_shift?tab=A+deep+layer%27s+moving+inputs&layers=3&layer=3&{FAST}",
     "Covariate shift", "A deep layer's moving inputs", {"Layer l": 3, "Hidden layers": 3}),
    (f"Covariate_shift?rule=Circle%3A+%7Cx%7C+%3C+1.5&shift=2.5&{FAST}", "Covariate shift",
     "Black cats → coloured cats", {"Shift of the test inputs": 2.5}),
]


def _selectbox_value(page, label: str) -> str:
    box = page.locator("[data-testid=stSelectbox]").filter(
        has=page.get_by_text(label, exact=True))
    return box.first.locator("input").get_attribute("value")


@pytest.mark.parametrize("link, title, tab, sliders", LINKS, ids=[link[0].split("?")[0] + str(i)
                                                                  for i, link in
                                                                  enumerate(LINKS)])
def test_a_stored_lecture_link_opens_the_same_view(page, fresh_server, link, title, tab,
                                                   sliders):
    goto_and_wait(page, f"{fresh_server}/{link}", timeout=120000)
    _no_page_not_found(page)
    assert_no_exception(page)
    assert page.get_by_role("heading", name=title, exact=True).first.is_visible()
    assert "Some link settings were not valid" not in page.locator(
        "[data-testid=stSidebar]").inner_text()
    if tab is not None:
        selected = page.locator("[role=tab][aria-selected=true]").all_inner_texts()
        assert tab in [s.strip() for s in selected], selected
    for label, value in sliders.items():
        assert slider_state(page, label)[0] == pytest.approx(value), (label, json.dumps(link))


def test_an_old_option_label_in_a_link_still_selects_that_option(page, fresh_server):
    """The running page once wrote the XOR data set as 'Xor' into links."""
    goto_and_wait(page, f"{fresh_server}/Running_statistics?dataset=Xor&steps=200",
                  timeout=120000)
    assert_no_exception(page)
    assert _selectbox_value(page, "Dataset") == "XOR"
