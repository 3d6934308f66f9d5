"""Tab "With vs without BN": a learning-rate sweep of a deep network with and without BN,
several seeds each — final test accuracy and steps to the target loss vs α, the loss curves
at the α shown, and the verdict at that α."""

from __future__ import annotations

from typing import Any

import streamlit as st

from bnsim import notation
from bnsim.figures.inside_layer import with_vs_without_bn as figures
from bnsim.lessons.inside_layer import with_vs_without_bn as sweeps
from bnsim.ui import page
from bnsim.ui.control import Control, Preset
from bnsim.ui.lesson import Tab
from bnsim.ui.live import live_chart
from bnsim.verdict import Verdict

TITLE = "With vs without BN"
CHART_HEIGHT = 380
OPTS = notation.labels(notation.OPTIMIZERS)
CONTROLS = (
    Control(key="sw_depth", label="Sweep: hidden layers", default=4, group="Network",
            kind="slider", min=1, max=4, step=1,
            help="With vs without BN: depth of both networks (16 units each)."),
    Control(key="sw_act", label="Sweep: activation", default="sigmoid", group="Network",
            kind="select", options=notation.labels(notation.ACTIVATIONS),
            help="With vs without BN: activation of both networks."),
    Control(key="sw_opt", label="Sweep: optimiser", default="gd", group="Training",
            kind="select", options=OPTS, help="With vs without BN: the optimiser of both "
            f"(m = 32, {sweeps.SweepSetting().steps} steps)."),
    Control(key="sw_seeds", label="Sweep: seeds", default=3, group="Training", kind="slider",
            min=1, max=5, step=1, help="Seeds per setting, trained in one stacked pass."),
    Control(key="sw_lr", label="Sweep: α shown", default=0.3, group="View", kind="select",
            options={v: f"{v:g}" for v in sweeps.LRS},
            help="The learning rate whose loss curves and verdict are shown. Never retrains."),
)


@st.cache_resource(max_entries=8, show_spinner="Training the sweep (with and without BN)…")
def sweep(setting: sweeps.SweepSetting) -> sweeps.Sweep:
    """The learning-rate sweep, with and without BN, one stacked pass of the seeds each."""
    return sweeps.sweep(setting)


def sweep_of(v: dict[str, Any]) -> sweeps.Sweep:
    return sweep(sweeps.SweepSetting(depth=int(v["sw_depth"]), activation=v["sw_act"],
                                     optimizer=v["sw_opt"], n_seeds=int(v["sw_seeds"])))


def sweep_verdict(sw: sweeps.Sweep, lr: float) -> Verdict:
    return sweeps.verdict_at(sw, lr)


def largest_lr_verdict(sw: sweeps.Sweep) -> Verdict:
    return sweeps.largest_lr_verdict(sw)


def view(v: dict[str, Any]) -> None:
    """Accuracy and steps vs α side by side, the verdict, the loss curves at the α shown."""
    with page.friendly("the learning-rate sweep"):
        sw = sweep_of(v)
    lr = float(v["sw_lr"])
    left, right = st.columns(2)
    live_chart(figures.sweep_accuracy(sw, lr, height=CHART_HEIGHT), key="fig_sweep_acc",
               where=left)
    live_chart(figures.sweep_steps(sw, lr, height=CHART_HEIGHT), key="fig_sweep_steps",
               where=right)
    page.takeaway(sweep_verdict(sw, lr).text)
    page.takeaway(largest_lr_verdict(sw).text)
    live_chart(figures.sweep_loss(sw, lr), key="fig_sweep_loss")
    page.download_csv(lambda: sweeps.sweep_frame(sw), "inside_layer_sweep.csv", key="csv_sweep")


LARGER_LR = "A larger α with BN: ReLU, 5 seeds"  # the forum's "larger learning rate?"
TAB = Tab(title=TITLE, view=view, controls=CONTROLS, presets={
    "BN rescues a deep sigmoid net at α = 0.3": Preset(
        values={"sw_depth": 4, "sw_act": "sigmoid", "sw_opt": "gd", "sw_lr": 0.3}),
    LARGER_LR: Preset(
        values={"sw_depth": 4, "sw_act": "relu", "sw_opt": "gd", "sw_seeds": 5, "sw_lr": 3.0}),
})
