"""A deep layer's moving inputs: internal covariate shift, the drift D, and BN's pinning of
z̃^[l]'s mean and variance.

The tab's controls and presets, its cached work (the layer followed through the snapshots of
the shared pair of runs, and its figures keyed on the view's scalars, so the layer, quantity,
unit, picture and step axis never retrain) and its sentences.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from bnsim import notation
from bnsim.figures.covariate_shift import moving_inputs as figures
from bnsim.figures.style import tex
from bnsim.lessons.covariate_shift import moving_inputs as core
from bnsim.ui import concepts
from bnsim.ui.controls import Control, Preset
from bnsim.ui.covariate_shift import common
from bnsim.ui.lesson import Tab
from bnsim.ui.live import figure_spec, live_chart
from bnsim.ui.page import clip, download_csv, friendly, takeaway
from bnsim.verdict import Verdict, num, pct

TITLE = "A deep layer's moving inputs"
CONTROLS = common.DATA + (
    concepts.LAYER.narrow(default=3, help="Hidden layer to watch (clipped to the number of "
                          "layers). Layer 3's inputs come from two learning layers below it: "
                          "the lecture's case."),
    Control(key="qty", label="Quantity", default="a_prev", group="View", kind="radio",
            options=notation.labels(notation.QUANTITIES), help="What to follow through "
            "training."),
    concepts.UNIT.narrow(max=32, default=1, help="Which unit's distribution to draw (clipped "
                         "to the width)."),
    Control(key="style", label="Picture", default="band", group="View", kind="radio",
            options=notation.labels(notation.PICTURES),
            help="Quantile bands or a heat map of histograms."),
    concepts.LOGX.narrow(help="Snapshots are dense early, where most changes happen."),
)
PRESETS = {
    "Layer 3's view": Preset(values={"depth": 3, "layer": 3, "qty": "a_prev"}),
    "Where the lecture's story can fail: layer 2's inputs": Preset(
        values={"depth": 3, "layer": 2, "qty": "a_prev"},
        help="The inputs of layer 2 come from one layer whose own inputs (the data) never "
             "move: BN has no shift to remove there; the sentence under the plot says whether "
             "a^[1] moves less or more with BN at this seed."),
}


# ---------------------------------------------------------------- cached work
@st.cache_resource(max_entries=32, show_spinner="Following the layer through training…")
def layer_view(d: common.DataKey, net: common.NetKey, layer: int, quantity: str, bins: int = 40
               ) -> core.LayerView:
    """Layer ``layer``'s ``quantity`` through training, without and with BN (a resource, not
    data: the view reads it on every rerun, and a ``cache_data`` hit would copy its arrays
    each time; read-only)."""
    runs = common.layer_runs(d, net)
    return core.LayerView(core.layer_run(runs.plain, runs.X, layer, quantity, bins),
                          core.layer_run(runs.bn, runs.X, layer, quantity, bins))


@st.cache_resource(max_entries=128, show_spinner=False)
def layer_figures(d: common.DataKey, net: common.NetKey, layer: int, quantity: str, unit: int,
                  style: str, logx: bool, label: str) -> tuple[str, str]:
    """(distribution figure, z̃ moments figure) for one view (``unit`` 0-based), as the specs
    the charts draw: serialised once, not on every rerun."""
    lv = layer_view(d, net, layer, quantity)
    runs = {"no_bn": lv.no_bn, "bn": lv.bn}
    if style == "band":
        top = figures.layer_band(lv.bn.steps, {k: r.band[:, unit] for k, r in runs.items()},
                                 label, logx)
    else:
        top = figures.layer_heatmaps(lv.bn.steps, {k: (r.edges[unit], r.density[:, unit])
                                                   for k, r in runs.items()}, label, logx)
    zt_unit = min(unit, net.width - 1)
    bottom = figures.zt_moments(lv.bn.steps, {k: (r.zt_mean, r.zt_var)
                                              for k, r in runs.items()}, zt_unit, logx, layer)
    return figure_spec(top), figure_spec(bottom)


@st.cache_resource(max_entries=32, show_spinner=False)
def layer_verdicts(d: common.DataKey, net: common.NetKey, layer: int, quantity: str
                   ) -> tuple[Verdict, Verdict]:
    """(drift verdict, pinning verdict) of one layer and quantity: they do not depend on the
    unit, picture or step axis, so moving those only looks them up (the view makes them
    again, :func:`common.remade`). Only for finite values (the view stops before)."""
    lv = layer_view(d, net, layer, quantity)
    return (core.drift_verdict(lv.no_bn.drift, lv.bn.drift, layer_symbol(quantity, layer),
                               view=lv),
            core.pinning_verdict(layer, core.pinning(lv), view=lv))


# ---------------------------------------------------------------- sentences
def layer_symbol(quantity: str, layer: int) -> str:
    return {"a_prev": f"a^[{layer - 1}]", "z": f"z^[{layer}]", "z_tilde": f"z̃^[{layer}]"}[quantity]


def layer_label(quantity: str, layer: int, unit: int) -> str:
    """Axis label of the distribution plot (``unit`` 0-based, shown from 1)."""
    data_note = " (= the data x)" if quantity == "a_prev" and layer == 1 else ""
    return f"{layer_symbol(quantity, layer)}, unit {unit + 1}{data_note}"


def layer_diverged(key: str, run: core.LayerRun) -> str:
    return (f"{notation.MODELS[key].label}: training diverged at step {run.diverged_at}; the "
            "plot stops there.")


def drift_takeaway(verdict: Verdict, lv: core.LayerView, net: common.NetKey, dataset: str
                   ) -> str:
    """The drift verdict (:func:`bnsim.lessons.covariate_shift.moving_inputs.drift_verdict`)
    and its setting."""
    return tex(f"Over {lv.bn.steps[-1]} steps ({common.setting(net)}, "
               f"{notation.DATASETS[dataset].label}), the " + common.lower_first(verdict.text))


def drift_metrics(sym: str, lv: core.LayerView) -> list[tuple[str, str]]:
    """(label, value) of the three numbers under the distribution plot."""
    return [(tex(f"Drift D of {sym} without BN"), num(lv.no_bn.drift)),
            (tex(f"Drift D of {sym} with BN"), num(lv.bn.drift)),
            ("Test accuracy (without / with BN)",
             f"{pct(lv.no_bn.test_acc)} / {pct(lv.bn.test_acc)}")]


def pinning_heading(layer: int) -> str:
    return tex(f"Mean and variance of z̃^[{layer}] per unit, with and without BN")


PINNING_CAPTION = tex("BN fixes each unit's mean and variance, not the shape of its "
                      "distribution: the histograms can still change.")
DRIFT_EQUATION = (r"\begin{gathered}D = \frac{1}{\bar d}\,\operatorname{mean}_j \sum_s S_j(s)"
                  r"\\ S_j(s) = |\Delta m_j(s)| + |\Delta d_j(s)| \\"
                  r"\bar d = \operatorname{mean}_{j,s}\, d_j(s)\end{gathered}")


def drift_caption(n_snapshots: int) -> str:
    return (f"$m_j(s)$, $d_j(s)$: mean and standard deviation of unit j over the training set "
            f"at snapshot s ({n_snapshots} snapshots, dense early); Δ: the change from one "
            "snapshot to the next. D = 0: mean and spread never move. D only sees mean and "
            "spread, not the shape of the distribution.")


def pinning_takeaway(verdict: Verdict) -> str:
    """The pinning verdict (:func:`bnsim.lessons.covariate_shift.moving_inputs.pinning_verdict`)."""
    return tex(verdict.text)


# ---------------------------------------------------------------- the view
def view(v: dict[str, Any]) -> None:
    """The layer's distribution over training without and with BN, the drift verdict, then
    the pinned mean and variance of z̃^[l]."""
    net, data = common.net_key(v), common.data_key(v)
    layer, qty = clip(v["layer"], v["depth"], "Layer"), v["qty"]
    unit = clip(v["unit"], core.layer_width(qty, layer, v["width"]), "Unit") - 1  # 0-based
    with friendly("the layer's distribution over training"):
        lv = layer_view(data, net, layer, qty)
    sym = layer_symbol(qty, layer)
    for key, run in (("no_bn", lv.no_bn), ("bn", lv.bn)):
        if run.diverged:
            st.warning(layer_diverged(key, run), icon=common.WARN)
    if not (lv.no_bn.finite and lv.bn.finite):
        st.error("Values overflowed (diverged training); choose a smaller learning rate.")
        st.stop()
    top, bottom = layer_figures(data, net, layer, qty, unit, v["style"], v["logx"],
                                layer_label(qty, layer, unit))
    live_chart(top, key="fig_layer")
    drift, pinned = (common.remade(x) for x in layer_verdicts(data, net, layer, qty))
    takeaway(drift_takeaway(drift, lv, net, v["dataset"]))
    for column, (label, value) in zip(st.columns(3), drift_metrics(sym, lv), strict=True):
        column.metric(label, value)
    with st.expander("How D is measured"):
        st.latex(DRIFT_EQUATION)
        st.caption(drift_caption(len(lv.bn.steps)))
    st.subheader(pinning_heading(layer))
    live_chart(bottom, key="fig_zt")
    takeaway(pinning_takeaway(pinned))
    st.caption(PINNING_CAPTION)
    download_csv(lambda: core.band_table(lv, unit), f"layer{layer}_{qty}_unit{unit + 1}.csv",
                 "Download the distribution over steps (CSV)")


TAB = Tab(title=TITLE, controls=CONTROLS, presets=PRESETS, view=view)
