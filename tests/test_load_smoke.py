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


def test_three_followers_see_the_lecturers_move():
    """Smoke version of the follow benchmark (``benchmarks/bench_follow.py``): a presenter and
    3 followers on a server of its own; one move of β_EMA reaches every follower, no error."""
    from benchmarks.bench_follow import run_follow

    res = run_follow(followers=3, moves=1, interval=1.0, join_over=0.3, idle=1.0,
                     show_deadline=15.0, deadline=120, out=lambda _line: None)
    assert res.errors == 0, (res.exceptions, res.missed, res.not_joined, res.disconnects)
    assert len(res.latencies) == 3 and res.not_joined == 0
