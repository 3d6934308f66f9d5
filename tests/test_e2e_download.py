"""The shared CSV download (bnsim.ui.page.download_csv) delivers a real file in Chromium."""

import pytest

from tests.browser_helpers import assert_no_exception, goto_and_wait

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path, label, header", [
    ("Running_statistics?steps=200", "Download the trajectories (CSV)",
     "step,layer,unit,statistic"),
    ("Train_vs_test?steps=200", "Download the two maps (CSV)", "x1,x2,p_eval,p_batch"),
])
def test_csv_download_is_built_on_click(page, streamlit_server, path, label, header):
    goto_and_wait(page, f"{streamlit_server}/{path}", timeout=120000)
    with page.expect_download(timeout=60000) as download:
        page.get_by_role("button", name=label).click()
    lines = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert lines[0].startswith(header)
    assert len(lines) > 100
    assert_no_exception(page)
