"""PyTorch & Keras: the chosen β_EMA as each framework's ``momentum``, what each stores for this
unit, the one line of code for each, and what the frameworks do differently."""

from __future__ import annotations

from typing import Any, NamedTuple

import streamlit as st

from bnsim import notation, running
from bnsim.lessons.running_stats.frameworks import framework_values, own_values_verdict
from bnsim.modes import Convention
from bnsim.ui.lesson import Tab
from bnsim.ui.running_stats.common import (
    BY_TRACE,
    Run,
    View,
    ViewKey,
    code_number,
    prepare,
    view_of,
)
from bnsim.verdict import num

TITLE = "PyTorch & Keras"
FRAMEWORK_BOX_TITLE = "**What the frameworks do**"
FRAMEWORK_FACTS = (
    "**Defaults**: PyTorch's momentum is 0.1 (β_EMA = 0.9), Keras' is 0.99 (β_EMA = 0.99): "
    "the same word, opposite meanings.",
    "**Variance**: PyTorch normalises each training batch with the biased σ²_B (1/m) but "
    "stores the unbiased m/(m − 1)·σ²_B in `running_var`; Keras stores the biased σ²_B.",
    "**Start values, no bias correction**: both start the running mean at 0 and the running "
    "variance at 1, and neither bias-corrects: early estimates lean towards 0 and 1.",
    "**A batch of one**: PyTorch refuses to train on one value per channel, "
    "`ValueError: Expected more than 1 value per channel when training` (σ²_B would be 0).",
    "**PyTorch `momentum=None`**: the cumulative average of all batches so far.",
)


def framework_table(view: View) -> str:
    """Markdown: the chosen β_EMA as PyTorch's and Keras' ``momentum`` next to each one's
    default, which σ²_B each averages, and the values each would hold for this unit after the
    last step with the chosen β_EMA."""
    beta = view.beta
    fm = notation.framework_momentum(beta)
    vals = framework_values(view.est)
    pt, ke = vals[Convention.PYTORCH], vals[Convention.KERAS]
    last = len(view.us.steps)
    d = running.DEFAULT_MOMENTUM
    rows = [
        f"| | `momentum` for β_EMA = {code_number(beta)} | default | update | σ²_B it averages "
        f"| μ̂ after step {last} | σ̂² after step {last} |",
        "|---|---|---|---|---|---|---|",
        f"| **PyTorch** | 1 − β_EMA = {code_number(fm['pytorch'])} | "
        f"{code_number(d['pytorch'])} (β_EMA = {code_number(1 - d['pytorch'])}) | running ← "
        f"(1 − momentum)·running + momentum·batch | unbiased m/(m−1)·σ²_B | "
        f"{num(pt.mean, 6)} | {num(pt.var, 6)} |",
        f"| **Keras** | β_EMA = {code_number(fm['keras'])} | {code_number(d['keras'])} "
        f"(β_EMA = {code_number(d['keras'])}) | moving ← momentum·moving + (1 − momentum)·batch "
        f"| biased σ²_B | {num(ke.mean, 6)} | {num(ke.var, 6)} |",
        f"| **Lecture** | β_EMA = {code_number(beta)} | β_EMA = 0.9 in its example | "
        f"v_t = β_EMA·v_(t−1) + (1 − β_EMA)·θ_t | biased σ²_B | {num(ke.mean, 6)} | "
        f"{num(ke.var, 6)} |",
    ]
    return "\n".join(rows)


def framework_code(run: Run, view: View) -> str:
    """The one line of code for each framework with this β_EMA."""
    fm = notation.framework_momentum(view.beta)
    n = run.trace.net.hidden[view.us.layer - 1]
    return (f"torch.nn.BatchNorm1d({n}, momentum={code_number(fm['pytorch'])})  "
            "# PyTorch: momentum = 1 − β_EMA\n"
            f"keras.layers.BatchNormalization(momentum={code_number(fm['keras'])})  "
            "# Keras: momentum = β_EMA")


def framework_box(run: Run, view: View) -> tuple[str, str]:
    """(markdown, code) of the "what the frameworks do" box: the facts and the two one-line
    declarations with each framework's default momentum."""
    n = run.trace.net.hidden[view.us.layer - 1]
    d = running.DEFAULT_MOMENTUM
    text = FRAMEWORK_BOX_TITLE + "\n\n" + "\n".join(f"- {f}" for f in FRAMEWORK_FACTS)
    code = (f"nn.BatchNorm1d({n}, momentum={code_number(d['pytorch'])})  "
            "# PyTorch default: β_EMA = 0.9\n"
            f"keras.layers.BatchNormalization(momentum={code_number(d['keras'])})  "
            "# Keras default: β_EMA = 0.99")
    return text, code


def framework_note(run: Run, view: View) -> str:
    """What the trained network itself holds, and why β_EMA needs no retraining
    (:func:`~bnsim.lessons.running_stats.frameworks.own_values_verdict`)."""
    layer, unit = view.us.layer - 1, view.us.unit
    return own_values_verdict(run.trace.running_mean[-1, layer, unit],
                              run.trace.running_var[-1, layer, unit], view.us.mu,
                              view.us.var_u).text


class Texts(NamedTuple):
    """What the tab writes: :func:`framework_table`, :func:`framework_code`,
    :func:`framework_note` and :func:`framework_box`."""

    table: str
    code: str
    note: str
    box: tuple[str, str]


@st.cache_resource(max_entries=64, show_spinner=False, hash_funcs=BY_TRACE)
def texts(key: ViewKey, run: Run) -> Texts:
    """The tab's texts for the view ``key`` of ``run``, made once per view (the note's
    verdict costs ~2 ms)."""
    view = view_of(key)
    return Texts(framework_table(view), framework_code(run, view), framework_note(run, view),
                 framework_box(run, view))


def view(v: dict[str, Any]) -> None:
    """The table, the code, the network's own values and the box of framework facts."""
    if (prepared := prepare(v)) is None:
        return
    shown = texts(prepared.view.key, prepared.run)
    st.markdown(shown.table)
    st.code(shown.code, language="python")
    st.caption(shown.note)
    box_text, box_code = shown.box
    with st.container(border=True):
        st.markdown(box_text)
        st.code(box_code, language="python")


TAB = Tab(title=TITLE, view=view)
