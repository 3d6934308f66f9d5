"""A tiny page built with bnsim.ui.controls, for tests of the shared control machinery."""

import streamlit as st

from bnsim.ui import controls as ui

C = ui.Control
CONTROLS = (
    C(key="beta", label="β_EMA", default=0.9, help="EMA coefficient", group="View",
      kind="slider", min=0.0, max=0.999, step=0.001, format="%.3f"),
    C(key="opt", label="Optimiser", default="adam", help="optimiser", group="Training",
      kind="select", options={"gd": "Gradient descent", "adam": "Adam"},
      legacy={"GD": "gd"}),
    C(key="steps", label="Steps", default=1000, help="how many steps", group="Training",
      kind="number", min=10, max=5000, step=10),
    C(key="bc", label="Bias correction", default=False, help="divide by 1 − β^t",
      group="View", kind="toggle"),
    C(key="est", label="Estimators", default=["ema"], help="which to show", group="View",
      kind="multiselect", options={"ema": "EMA", "cum": "Cumulative", "pop": "Population"}),
)
TABS = ("First", "Second")
for key, value in st.session_state.get("_inject", {}).items():  # a test puts in what it likes
    st.session_state[key] = value
st.session_state["_inject"] = {}
ui.presets(CONTROLS, {
    "slow": ui.Preset(values={"beta": 0.999, "opt": "gd", "est": ["ema", "pop"]}),
    "second tab": ui.Preset(values={"steps": 20}, tab=TABS[1]),
})
values = ui.render(CONTROLS)
st.write(f"VALUES {values}")
tabs = st.tabs(TABS, key="tab", bind="query-params")
st.write("OPEN " + next((t for t, tab in zip(TABS, tabs, strict=True) if tab.open), "none"))
