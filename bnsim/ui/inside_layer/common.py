"""What the tabs of "Inside a BN layer" share: the controls every tab shows (one declaration
per concept, from :mod:`bnsim.ui.concepts`, narrowed to this page's ranges), the network looked
inside (trained once per setting, cached), and the mini-batch view of "One mini-batch" and
"γ and β" (:func:`rows_view`) with the in-browser recipe of its rows chart.

Layer, unit, step, b^[l], γ, β only change the view and never retrain.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NamedTuple

import streamlit as st

from bnsim.figures.inside_layer import common as rows_figures
from bnsim.lessons.inside_layer import common, gamma_and_beta
from bnsim.lessons.inside_layer.with_vs_without_bn import LRS
from bnsim.ui import concepts, page
from bnsim.ui.cache import Trained, TrainSetting, trained
from bnsim.ui.control import Control
from bnsim.verdict import num

N_TRAIN, N_TEST, DATA_SEED = 400, 400, 0
GB_MODES = {"learned": "learned", "sliders": "sliders", "undo": "undo BN"}

# ---------------------------------------------------------------- the controls
# No control is shared by every tab: "With vs without BN" trains its own sweep (its own
# controls), "Learning γ, β" sets each optimiser's α itself. Each tab lists the controls that
# act on it (hidden elsewhere); a control that does nothing at some setting says why under itself.


def _gb_unused(v: dict[str, Any], tab: str) -> str | None:  # noqa: ARG001 - Control.inert
    if "gb" not in v or v["gb"] == "sliders":
        return None
    return (f"Not used now: “γ, β used” is “{GB_MODES.get(v.get('gb'), v.get('gb'))}” — set "
            "it to “sliders” to use this slider.")


def _step_beyond(v: dict[str, Any], tab: str) -> str | None:  # noqa: ARG001 - Control.inert
    if "step" in v and "steps" in v and int(v["step"]) >= int(v["steps"]):
        return (f"At or beyond the {int(v['steps'])} steps trained: the last recorded step is "
                "shown.")
    return None


GAMMA = concepts.GAMMA.narrow(help="Used when “γ, β used” is “sliders”.", inert=_gb_unused)
BN_BETA = concepts.BN_BETA.narrow(help="Used when “γ, β used” is “sliders”.",
                                  old_keys=("beta",), inert=_gb_unused)
LAYER = concepts.LAYER.narrow(help="Hidden layer to look inside (clipped to the number of "
                                   "layers).")
UNIT = concepts.UNIT.narrow(max=16, help="Unit of that layer, numbered from 1 (clipped to the "
                                         "width).")
STEP = concepts.STEP.narrow(help="The mini-batch of this step (the latest recorded step at or "
                                 "before it; clipped to the steps trained).",
                            inert=_step_beyond)
DATASET = concepts.DATASET.narrow(help="Toy 2-D data set (400 training, 400 test examples).")
NOISE = concepts.NOISE.narrow(max=0.5, default=0.15, help="Gaussian noise added to the inputs.",
                              old_keys=("dnoise",))
DEPTH = concepts.DEPTH.narrow(help="Hidden layers of the network looked inside (each with BN).",
                              old_keys=("layers",))
WIDTH = concepts.WIDTH.narrow(max=16, default=8, help="Width of every hidden layer.",
                              old_keys=("units",))
ACT = concepts.ACTIVATION.narrow(default="sigmoid", help="Activation after each hidden layer.")
OPT = concepts.OPTIMIZER.narrow(help="Optimiser of the network looked inside.")
LR = concepts.LR.narrow(values=LRS, default=0.01,
                        help="Learning rate of the network looked inside.")
BATCH = concepts.BATCH.narrow(values=(2, 4, 8, 16, 32, 64), default=8,
                              help="Examples per mini-batch (the numbers are listed for m ≤ 8).")
STEPS = concepts.STEPS.narrow(min=200, step=100, help="Number of mini-batches.")
SEED = concepts.SEED.narrow(max=99, help="Initial weights and mini-batch order.")
BIAS = Control(key="bias", label="Bias b^[l] before BN", default=0.0, group="View",
               kind="slider", min=-5.0, max=5.0, step=0.1,
               help="Adds b^[l] to z before BN: z moves, z_norm does not.")
GB = Control(key="gb", label="γ, β used", default="learned", group="View", kind="radio",
             options=GB_MODES, help="Which γ, β the rows after z_norm use: as learned by "
             "training, the two sliders, or undo BN (γ = √(σ²_B + ε), β = μ_B).")
# "One mini-batch" and "γ and β": the network looked inside and the mini-batch shown.
ROWS_CONTROLS = (DATASET, NOISE, DEPTH, WIDTH, ACT, OPT, LR, BATCH, STEPS, SEED, LAYER, UNIT,
                 STEP, BIAS, GB, GAMMA, BN_BETA)
# "Learning γ, β": the same network, each optimiser at its own α (so no optimiser, α, step).
PATH_CONTROLS = (DATASET, NOISE, DEPTH, WIDTH, ACT, BATCH, STEPS, SEED, LAYER, UNIT)
CONTROLS = ()  # shared by every tab: none


def set_undo() -> None:
    """The undo button: γ, β from the mini-batch so that z̃ = z."""
    st.session_state["gb"] = GB_MODES["undo"]


# ---------------------------------------------------------------- the network looked inside
def setting(v: dict[str, Any]) -> TrainSetting:
    """The training setting of the network looked inside (BN in every hidden layer)."""
    depth = int(v["depth"])
    return TrainSetting(
        dataset=v["dataset"], noise=float(v["noise"]), n_train=N_TRAIN, data_seed=DATA_SEED,
        hidden=(int(v["width"]),) * depth, bn=(True,) * depth, activation=v["act"],
        optimizer=v["opt"], lr=float(v["lr"]), batch_size=int(v["batch"]),
        steps=int(v["steps"]), seed=int(v["seed"]), n_test=N_TEST)


def train_run(v: dict[str, Any], optimizer: str | None = None, lr: float | None = None
              ) -> Trained:
    """The network looked inside, trained once per setting (another optimiser and α if
    given)."""
    s = setting(v)
    return trained(replace(s, optimizer=optimizer or s.optimizer,
                           lr=s.lr if lr is None else float(lr)))


@st.cache_resource(max_entries=8, show_spinner=False)
def batches(s: TrainSetting) -> common.Batches:
    """Every snapshot's mini-batch through every layer of the network trained as ``s``,
    replayed once per setting (layer, unit and step then only pick from it)."""
    run = trained(s)
    return common.snapshot_batches(run.trace, run.X, run.y)


class RowsView(NamedTuple):
    """What "One mini-batch" and "γ and β" show: the mini-batch, its staged rows."""

    layer: int  # 1-based, clipped
    unit: int  # 1-based, clipped
    batch: common.Batch
    base: common.Stages  # with the learned γ, β, no bias
    shown: common.Stages  # with the chosen bias and γ, β
    gamma: float
    beta: float
    gb: str
    around: common.Around  # the neighbours along layer, unit and step (for the in-browser redraw)


def rows_view(run: Trained, table: common.Batches, v: dict[str, Any], notes=None) -> RowsView:
    """The mini-batch of the chosen step through layer l, unit j (clipped to the network, with
    a caption in ``notes``, a container); ``table``: :func:`batches` of the same run."""
    net, steps = run.trace.net, len(run.trace.loss)
    layer = page.clip(int(v["layer"]), net.n_layers, "Layer", notes)
    unit = page.clip(int(v["unit"]), net.hidden[layer - 1], "Unit", notes)
    step = min(int(v["step"]), steps)
    batch = table.at(step, layer)
    z = batch.z[:, unit - 1]
    act = net.activation
    base = common.stages(z, batch.gamma[unit - 1], batch.beta[unit - 1], net.eps, act)
    if v["gb"] == "undo":
        gamma, beta = gamma_and_beta.undo(common.stages(z + v["bias"], 1.0, 0.0, net.eps, act))
    elif v["gb"] == "sliders":
        gamma, beta = float(v["gamma"]), float(v["bn_beta"])
    else:
        gamma, beta = float(batch.gamma[unit - 1]), float(batch.beta[unit - 1])
    shown = common.stages(z, gamma, beta, net.eps, act, b=float(v["bias"]))
    return RowsView(layer, unit, batch, base, shown, gamma, beta, v["gb"],
                    common.around(table, step, int(v["layer"]), int(v["unit"])))


def notes_box():
    """The container, first in a tab, of the captions that say a layer or unit was clipped:
    always there (empty when nothing is clipped), so that a caption never moves the charts
    after it to another place in the page (which would rebuild them)."""
    return st.container()


def looked_inside(v: dict[str, Any]) -> tuple[Trained, RowsView]:
    """The run and its :class:`RowsView` (a friendly message instead of a traceback)."""
    notes = notes_box()
    with page.friendly("the training run"):
        run = train_run(v)
        return run, rows_view(run, batches(setting(v)), v, notes)


def gb_line(vw: RowsView) -> str:
    return {"learned": f"γ = {num(vw.gamma)}, β = {num(vw.beta)} as learned by training "
                       f"(layer {vw.layer}, unit {vw.unit}, step {vw.batch.step}).",
            "sliders": f"γ = {num(vw.gamma)}, β = {num(vw.beta)} from the sliders.",
            "undo": f"γ = √(σ²_B + ε) = {num(vw.gamma)}, β = μ_B = {num(vw.beta)}: "
                    "BN undone."}[vw.gb]


# ---------------------------------------------------------------- in-browser redraw
# While a view slider moves, the rows chart redraws in the browser before the server answers:
# layer l, unit j and the training step pick another z that travels with the chart
# (bnsim.lessons.inside_layer.common.Around); in the sliders' mode γ and β too. The server's
# figure follows on release. Names are the recipe's ("beta": BN's β, key bn_beta).
VIEW_SLIDERS = {"layer": LAYER.label, "unit": UNIT.label, "step": STEP.label}
GB_SLIDERS = {"gamma": GAMMA.label, "beta": BN_BETA.label}
RECIPE_KEYS = {"layer": "layer", "unit": "unit", "step": "step", "gamma": "gamma",
               "beta": BN_BETA.key}  # recipe name -> control key


def rows_preview(vw: RowsView, run: Trained, v: dict[str, Any]) -> dict:
    """The in-browser recipe of the rows figure of :func:`rows_view`."""
    sliders = VIEW_SLIDERS | (GB_SLIDERS if vw.gb == "sliders" else {})
    return rows_figures.stages_preview(
        vw.around, run.y[vw.around.step_idx], drawn={k: v[RECIPE_KEYS[k]] for k in sliders},
        sliders=sliders, mode=vw.gb, b=float(v["bias"]), eps=run.trace.net.eps,
        activation=run.trace.net.activation)
