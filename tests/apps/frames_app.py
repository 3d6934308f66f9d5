"""A live chart with a "frames" preview behind a slow server: the figure for x is the line
(0, x), (1, 10 − x); every rerun after the first sleeps ``SLOW`` s, so the browser test can see
the chart follow the slider before the server has answered (``tests/test_live_frames.py``)."""

import time

import plotly.graph_objects as go
import streamlit as st

from bnsim.ui import live

SLOW = 3.0


def spec(x: int) -> str:
    fig = go.Figure(go.Scatter(x=[0, 1], y=[x, 10 - x], name="line"))
    fig.update_layout(height=240, title=f"x = {x}")
    return live.figure_spec(fig)


x = st.slider("x", 0, 10, 5, key="x")
if st.session_state.setdefault("runs", 0):
    time.sleep(SLOW)
st.session_state["runs"] += 1
frames = {v: spec(v) for v in live.neighbours(x, 0, 10, 1)}
live.live_chart(spec(x), key="chart", preview=live.frames_preview("x", x, frames))
st.write(f"server drew x = {x}")
