"""The "frames" preview (``bnsim.ui.live.frames_preview``): the recipe's figures are the
server's, the Python mirror picks what the browser picks, and in a real browser the chart
follows a slider to a neighbouring value before a slow server answers."""

import json
import time

import plotly.graph_objects as go

from bnsim.ui import live
from tests.browser_helpers import StreamlitServer, goto_and_wait, live_chart_frame, press_slider


def _spec(x):
    return live.figure_spec(go.Figure(go.Scatter(x=[0, 1], y=[x, 10 - x], name="line")))


def test_neighbours_are_on_the_slider_grid_and_inside_its_range():
    assert live.neighbours(50, 0, 100, 10) == [30, 40, 60, 70]
    assert live.neighbours(0, 0, 100, 10) == [10, 20]
    assert live.neighbours(0.9, 0.0, 0.999, 0.001) == [0.898, 0.899, 0.901, 0.902]
    assert live.neighbours(0.998, 0.0, 0.999, 0.001, n=1) == [0.997, 0.999]
    assert live.neighbours(3.0, 0.0, 5.0, 0.25) == [2.5, 2.75, 3.25, 3.5]
    assert live.neighbours(0.0, -5.0, 5.0, 0.1, n=1) == [-0.1, 0.1]
    assert all(isinstance(v, int) for v in live.neighbours(3, 1, 16, 1))


def test_the_recipe_carries_the_cached_figures_and_the_browser_picks_the_value_shown():
    frames = {v: _spec(v) for v in (3, 4, 6, 7)}
    recipe = json.loads(live.frames_preview("x", 5, frames))
    assert recipe["kind"] == "frames" and recipe["slider"] == "x" and recipe["value"] == 5
    for v in (3, 4, 6, 7):
        assert live.frame_at(recipe, v) == json.loads(frames[v])
    assert live.frame_at(recipe, 5) is None and live.frame_at(recipe, 8) is None
    assert live.frame_at(recipe, 4 + 1e-12) == json.loads(frames[4])


def test_in_a_browser_the_chart_follows_the_slider_before_the_server_answers(page):
    with StreamlitServer("tests/apps/frames_app.py") as url:
        goto_and_wait(page, url)
        frame = live_chart_frame(page, "line")
        y = "() => Array.from(document.getElementById('chart').data[0].y)"
        assert frame.evaluate(y) == [5, 5]
        t0 = time.monotonic()
        press_slider(page, "x")  # 6: the server sleeps 3 s before it answers
        frame.wait_for_function(
            "() => document.getElementById('chart').data[0].y[0] === 6", timeout=2500)
        assert time.monotonic() - t0 < 2.5
        assert frame.evaluate(y) == [6, 4]
        assert page.get_by_text("server drew x = 5").count() == 1  # not answered yet
        page.get_by_text("server drew x = 6").wait_for(timeout=30000)
        assert frame.evaluate(y) == [6, 4]  # the server's figure: the same
