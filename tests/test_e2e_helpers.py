"""Browser test of the helpers themselves, on the latency floor page (one slider, one chart).

If a Streamlit upgrade changes the DOM these helpers rely on, this test fails first.
"""

import pytest

from tests.browser_helpers import (
    StreamlitServer,
    assert_no_exception,
    goto_and_wait,
    plotly_data_signature,
    press_slider,
    slider_state,
    wait_for_plotly,
    wait_for_plotly_change,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def floor_server():
    """Base URL of a server running ``benchmarks/floor_page.py``."""
    with StreamlitServer("benchmarks/floor_page.py") as url:
        yield url


def test_slider_press_updates_chart(page, floor_server):
    goto_and_wait(page, floor_server)
    wait_for_plotly(page, 0)
    assert slider_state(page, "x") == (50, 0, 100)
    before = plotly_data_signature(page, 0)
    assert before

    press_slider(page, "x", "ArrowRight")
    wait_for_plotly_change(page, before, 0, timeout=15000)

    assert slider_state(page, "x")[0] == 51
    assert page.evaluate(
        "() => Array.from(document.querySelector('.js-plotly-plot').data[0].y)"
    ) == [0, 51, 49]
    assert_no_exception(page)
