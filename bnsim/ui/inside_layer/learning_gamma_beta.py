"""Tab "Learning γ, β": γ^[l]_j and β^[l]_j over training under four optimisers — the same
network, data and seed, each optimiser at a learning rate typical for it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import streamlit as st

from bnsim import notation
from bnsim.figures.inside_layer import learning_gamma_beta as figures
from bnsim.lessons.inside_layer import learning_gamma_beta
from bnsim.ui import page
from bnsim.ui.cache import TrainSetting, trained
from bnsim.ui.control import Control, Preset
from bnsim.ui.inside_layer import common
from bnsim.ui.lesson import Tab
from bnsim.ui.live import live_chart
from bnsim.verdict import num, pct

TITLE = "Learning γ, β"
CHART_HEIGHT = 380
OPT_LR = {"gd": 0.3, "momentum": 0.3, "rmsprop": 0.01, "adam": 0.01}  # α per optimiser
OPTS = notation.labels(notation.OPTIMIZERS)
PATHS = Control(key="paths", label="Optimisers for γ, β", default=list(OPTS), group="View",
                kind="multiselect", options=OPTS, help="Whose γ, β trajectories to draw.")
UPDATE_RULES = {  # the lecture's update rules, written for γ (β alike)
    "gd": r"\gamma := \gamma - \alpha\, d\gamma",
    "momentum": r"v_{d\gamma} = \beta_1 v_{d\gamma} + (1-\beta_1)\, d\gamma,\quad "
                r"\gamma := \gamma - \alpha\, v_{d\gamma}\quad(\beta_1 = 0.9)",
    "rmsprop": r"s_{d\gamma} = \beta_2 s_{d\gamma} + (1-\beta_2)\, d\gamma^2,\quad "
               r"\gamma := \gamma - \alpha\,\frac{d\gamma}{\sqrt{s_{d\gamma}} + \varepsilon}"
               r"\quad(\beta_2 = 0.999)",
    "adam": r"\hat v = \frac{v_{d\gamma}}{1-\beta_1^t},\ \hat s = \frac{s_{d\gamma}}"
            r"{1-\beta_2^t},\quad \gamma := \gamma - \alpha\,\frac{\hat v}{\sqrt{\hat s}"
            r" + \varepsilon}",
}
FRAMEWORK_CODE = """# PyTorch: the layer before BN needs no bias (β takes its role)
nn.Linear(n_prev, n, bias=False), nn.BatchNorm1d(n)          # momentum=0.1 = 1 − β_EMA
# Keras
layers.Dense(n, use_bias=False), layers.BatchNormalization()  # momentum=0.99 = β_EMA
# γ and β are ordinary parameters: optimizer.step() updates them with W."""


@st.cache_resource(max_entries=8, show_spinner="Training with four optimisers…")
def optimizer_paths(s: TrainSetting, layer: int, unit: int
                    ) -> list[learning_gamma_beta.ParamPath]:
    """γ^[l]_j, β^[l]_j (j 1-based) over training for each optimiser at its :data:`OPT_LR`
    (``s``'s own optimiser and α are replaced)."""
    return [learning_gamma_beta.param_path(trained(replace(s, optimizer=opt, lr=lr)).trace,
                                           layer, unit)
            for opt, lr in OPT_LR.items()]


def shared_setting(v: dict[str, Any]) -> TrainSetting:
    """The four runs' setting with the first optimiser of :data:`OPT_LR` in place of the
    page's (each run sets its own): the cache key does not change with the page's optimiser
    or α."""
    first = next(iter(OPT_LR))
    return replace(common.setting(v), optimizer=first, lr=OPT_LR[first])


def paths_takeaway(paths, layer: int, unit: int) -> str:
    if not paths:
        return "Pick at least one optimiser to draw."
    parts = [f"{OPTS[p.optimizer]} (α = {OPT_LR[p.optimizer]:g}): γ^[{layer}]_{unit} = "
             f"{num(float(p.gamma[-1]))}, β^[{layer}]_{unit} = {num(float(p.beta[-1]))}, "
             f"test accuracy {pct(p.test_acc)}"
             if np.isfinite(p.gamma[-1]) and np.isfinite(p.beta[-1]) else
             f"{OPTS[p.optimizer]} (α = {OPT_LR[p.optimizer]:g}): diverged (γ, β are not "
             "finite numbers)" for p in paths]
    return "At the last recorded step — " + "; ".join(parts) + "."


def view(v: dict[str, Any]) -> None:
    """γ, β over training per optimiser, their update rules and the frameworks' code."""
    notes = common.notes_box()
    layer = page.clip(int(v["layer"]), int(v["depth"]), "Layer", notes)
    unit = page.clip(int(v["unit"]), int(v["width"]), "Unit", notes)
    with page.friendly("the four training runs"):
        paths = optimizer_paths(shared_setting(v), layer, unit)
    shown = [p for p in paths if p.optimizer in v["paths"]]
    live_chart(figures.param_paths(shown, layer, unit, height=CHART_HEIGHT), key="fig_paths")
    page.takeaway(paths_takeaway(shown, layer, unit))
    st.caption("The same network, data and seed trained with each optimiser at a learning "
               "rate typical for it (gradient descent and momentum α = 0.3, RMSprop and "
               "Adam α = 0.01); γ and β are updated exactly like W.")
    page.download_csv(lambda: learning_gamma_beta.paths_frame(shown),
                      "inside_layer_gamma_beta_paths.csv", key="csv_paths")
    cols = st.columns(2)
    for i, (opt, rule) in enumerate(UPDATE_RULES.items()):
        cols[i % 2].markdown(f"**{OPTS[opt]}**")
        cols[i % 2].latex(rule)
    st.code(FRAMEWORK_CODE, language="python")


TAB = Tab(title=TITLE, view=view, controls=(*common.PATH_CONTROLS, PATHS), presets={
    "Adam vs gradient descent for γ, β": Preset(values={"paths": ["gd", "adam"]}),
})
