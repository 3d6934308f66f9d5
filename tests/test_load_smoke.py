"""Smoke version of the load benchmark: 3 viewers × 2 moves of each page's main view-only
slider over the websocket protocol. No exception, no failed session (timings are not
asserted: they depend on the machine)."""

import pytest

from benchmarks.bench_load import WORKLOADS, run_page


@pytest.mark.parametrize("name", [n for n, w in WORKLOADS.items() if w.script == "app.py"])
def test_three_viewers_moving_the_main_slider(name, streamlit_server):
    res = run_page(name, viewers=3, moves=2, think=0.2, config=[], url=streamlit_server,
                   deadline=180)
    assert not res.exceptions and res.failed == 0, res.exceptions
    assert len(res.latencies) == 6 and len(res.first_loads) == 3 and res.reruns == 6
