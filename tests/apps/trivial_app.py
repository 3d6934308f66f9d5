"""The floor of a rerun: one slider and ``st.write``, with the app's libraries loaded (NumPy,
pandas, Plotly), so the garbage collector has as much to walk as on a lesson page.
``benchmarks/bench_load.py --page trivial`` measures it."""

import numpy  # noqa: F401  (loaded as on a lesson page)
import pandas  # noqa: F401
import plotly.graph_objects  # noqa: F401
import streamlit as st

x = st.slider("x", 0, 100, 50, key="x", bind="query-params")
st.write(f"x = {x}")
