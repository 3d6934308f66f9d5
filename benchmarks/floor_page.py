"""Latency floor: the cheapest possible slider -> Plotly round trip.

One slider and one Plotly line whose data depends on it. ``benchmarks/latency.py``
measures this page to show how much of a lesson page's latency is Streamlit itself.
"""

import plotly.graph_objects as go
import streamlit as st

x = st.slider("x", 0, 100, 50)
fig = go.Figure(go.Scatter(x=[0, 1, 2], y=[0, x, 100 - x], mode="lines+markers"))
fig.update_layout(height=300, margin=dict(l=20, r=20, t=20, b=20))
st.plotly_chart(fig)
