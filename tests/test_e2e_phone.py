"""A student's phone (390×844): the sidebar gets out of the way after a preset, and pages do
not overflow the screen sideways (the lesson pages' own projector tests check theirs)."""

import pytest

from tests.browser_helpers import assert_no_exception, goto_and_wait
from tests.projector import PHONE, assert_fits_a_phone

pytestmark = pytest.mark.browser

SIDEBAR_RIGHT_JS = ("() => Math.round(document.querySelector('[data-testid=stSidebar]')"
                    ".getBoundingClientRect().right)")



@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def test_the_sidebar_closes_after_a_preset_on_a_phone(phone, streamlit_server):
    goto_and_wait(phone, f"{streamlit_server}/Train_vs_test?steps=200", timeout=120000)
    assert phone.evaluate(SIDEBAR_RIGHT_JS) <= 0  # collapsed on a phone at first
    phone.locator("[data-testid=stExpandSidebarButton]").first.click()
    phone.wait_for_function(f"() => ({SIDEBAR_RIGHT_JS})() > 0")
    phone.get_by_role("button", name="A test batch of one").click()
    phone.wait_for_function(f"() => ({SIDEBAR_RIGHT_JS})() <= 0", timeout=60000)
    assert_no_exception(phone)


@pytest.mark.parametrize("path", ["", "Inside_a_BN_layer?steps=200"])
def test_no_page_is_wider_than_a_phone(phone, streamlit_server, path):
    goto_and_wait(phone, f"{streamlit_server}/{path}", timeout=120000)
    phone.wait_for_timeout(1500)  # charts draw after the script
    assert_no_exception(phone)
    assert_fits_a_phone(phone)
