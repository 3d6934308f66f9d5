"""A tiny page built with bnsim.ui.controls, for tests of the shared control machinery."""

import streamlit as st

from bnsim.ui import controls as ui

CONTROLS = (
    ui.Control("beta", "β_EMA", 0.9, "EMA coefficient", "View", "slider", 0.0, 0.999, 0.001,
               format="%.3f"),
    ui.Control("opt", "Optimiser", "adam", "optimiser", "Training", "select",
               options={"gd": "Gradient descent", "adam": "Adam"}),
    ui.Control("steps", "Steps", 1000, "how many steps", "Training", "number", 10, 5000, 10),
    ui.Control("bc", "Bias correction", False, "divide by 1 − β^t", "View", "toggle"),
    ui.Control("est", "Estimators", ["ema"], "which to show", "View", "multiselect",
               options={"ema": "EMA", "cum": "Cumulative", "pop": "Population"}),
)
ui.presets(CONTROLS, {"slow": {"beta": 0.999, "opt": "gd", "est": ["ema", "pop"]}})
values = ui.render(CONTROLS)
st.write(f"VALUES {values}")
