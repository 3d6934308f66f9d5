"""The "Train vs test" page in headless Chromium: test-batch slider, tabs, click-to-pick."""

import numpy as np
import pytest

from bnsim import data
from tests.browser_helpers import (
    PLOTS_JS,
    VIEWPORT,
    assert_no_exception,
    goto_and_wait,
    plotly_data_signature,
    press_slider,
    wait_for_idle,
    wait_for_plotly,
)

pytestmark = pytest.mark.browser

FAST = "steps=200"
TABS = ["Boundaries", "Test batch size", "Same point, new neighbours", "Skewed test batches",
        "Running estimate", "Batch Renorm", "Running averages in training"]

#: text each tab shows once computed (after the first, which opens by default)
SAYS = ["Why k = 1 collapses", "Test point #176", "examples in class 1 (",
        "Largest gap (population − EMA) at t =", "random mini-batches of m = 32",
        "Eval-mode test accuracy: plain BN"]

#: JS (index) -> [x, y] page pixel position of test point ``index`` in the first chart
_POINT_XY = """(index) => {
    const gd = document.querySelectorAll('.js-plotly-plot')[0];
    const L = gd._fullLayout, box = gd.getBoundingClientRect();
    for (const tr of gd._fullData) {
        if (!tr.customdata) continue;
        const cd = Array.from(tr.customdata);
        const i = cd.indexOf(index);
        if (i < 0) continue;
        return [box.left + L._size.l + L.xaxis.l2p(tr.x[i]),
                box.top + L._size.t + L.yaxis.l2p(tr.y[i])];
    }
    return null;
}"""


#: JS predicate: the open tab panel shows a drawn Plotly chart (itself or in a live chart).
_PANEL_HAS_CHART_JS = f"""() => {{
    const panel = Array.from(document.querySelectorAll('[data-testid=stTabs] [role=tabpanel]'))
        .find(p => p.offsetParent !== null);
    return !!panel && ({PLOTS_JS})(panel).some(p => Array.isArray(p.data) && p.data.length);
}}"""


@pytest.fixture(scope="module")
def page(browser):
    """One 1280x720 page for this module's tests: each test navigates itself, and the
    browser keeps Streamlit's and Plotly's scripts cached between them."""
    context = browser.new_context(viewport=VIEWPORT)
    yield context.new_page()
    context.close()


def new_tab(page) -> str | None:
    return page.evaluate("() => new URL(location.href).searchParams.get('tab')")


def _url(base, query=""):
    return f"{base}/Train_vs_test?{FAST}{'&' + query if query else ''}"


def test_k_slider_redraws_the_batch_map_and_updates_the_url(page, streamlit_server):
    goto_and_wait(page, _url(streamlit_server))
    assert_no_exception(page)
    wait_for_plotly(page, 1)  # 0: eval-mode map, 1: batch-statistics map
    eval_map, before = plotly_data_signature(page, 0), plotly_data_signature(page, 1)
    press_slider(page, "Test batch size k")
    page.wait_for_function(
        f"() => {{ const p = ({PLOTS_JS})()[1];"
        " return p && p.layout && p.layout.title.text.includes('k = 33'); }", timeout=60000)
    wait_for_idle(page)
    assert plotly_data_signature(page, 1) != before
    assert plotly_data_signature(page, 0) == eval_map  # running statistics ignore k
    assert "k=33" in page.url
    assert_no_exception(page)


def test_every_tab_opens_with_a_chart_and_a_takeaway(page, streamlit_server):
    goto_and_wait(page, _url(streamlit_server))
    for label, says in zip(TABS[1:], SAYS, strict=True):
        page.get_by_role("tab", name=label).click()
        panel = page.locator("[data-testid=stTabs] [role=tabpanel]:visible")
        panel.get_by_text(says).first.wait_for(timeout=60000)
        wait_for_idle(page)
        assert_no_exception(page)
        assert new_tab(page) == label
        page.wait_for_function(_PANEL_HAS_CHART_JS, timeout=30000)


def test_clicking_a_test_point_picks_it(page, streamlit_server):
    _, _, Xt, _ = data.train_test("moons", 400, 400, 0.15, 0)
    d = np.linalg.norm(Xt[:, None] - Xt[None], axis=2) + np.eye(len(Xt)) * 99
    target = int(np.argmax(d.min(axis=1)))  # the loneliest test point: easy to hit
    assert target != 176  # not the default
    goto_and_wait(page, _url(streamlit_server, "tab=Same+point%2C+new+neighbours"))
    wait_for_plotly(page, 0)
    page.wait_for_timeout(500)  # let Plotly finish its layout
    xy = page.evaluate(_POINT_XY, target)
    assert xy is not None
    page.mouse.click(*xy)
    page.wait_for_function(f"() => location.href.includes('point={target}')", timeout=30000)
    wait_for_idle(page)
    assert_no_exception(page)
    assert page.get_by_text(f"Test point #{target}").count() >= 1
