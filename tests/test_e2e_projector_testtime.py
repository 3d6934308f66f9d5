"""Train vs test on a projector (1280×720) and a phone (390×844), in headless Chromium.

Projector: on the default view and on every tab (opened by its URL), the tab's first chart is
drawn entirely inside the first screen, with the takeaway starting right under it, and charts
side by side line up. Phone: nothing sticks out of the viewport horizontally.
"""

import pytest

from tests.projector import assert_first_screen, assert_fits_a_phone, open_tab

pytestmark = pytest.mark.browser

PAGE = "Train_vs_test?steps=200"
TABS = ["", "Test batch size", "Same point, new neighbours", "Skewed test batches",
        "Running estimate", "Batch Renorm", "Running averages in training"]


@pytest.mark.parametrize("tab", TABS, ids=[t or "default" for t in TABS])
def test_the_key_picture_is_in_the_first_screen(screen_and_phone, streamlit_server, tab):
    page = screen_and_phone["screen"]
    open_tab(page, f"{streamlit_server}/{PAGE}", "tab", tab)
    assert_first_screen(page, tab)


@pytest.mark.parametrize("tab", TABS, ids=[t or "default" for t in TABS])
def test_nothing_overflows_a_phone(screen_and_phone, streamlit_server, tab):
    page = screen_and_phone["phone"]
    open_tab(page, f"{streamlit_server}/{PAGE}", "tab", tab)
    assert_fits_a_phone(page)
