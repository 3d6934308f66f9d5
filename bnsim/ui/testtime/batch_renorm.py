"""Tab "Batch Renorm": plain BN against Batch Renormalization (Ioffe 2017), trained alike over
several seeds; does Batch Renorm remove the train/eval mismatch?"""

from __future__ import annotations

from typing import Any

import streamlit as st

from bnsim.figures.style import tex
from bnsim.lessons.testtime import batch_renorm
from bnsim.modes import Norm, Sampling
from bnsim.ui import page
from bnsim.ui.control import Preset
from bnsim.ui.lesson import Tab
from bnsim.ui.testtime import common

TITLE = "Batch Renorm"
PRESETS = {"Tiny training batches: plain BN vs Batch Renorm": Preset(values={"batch": 4})}
RENORM_EQUATION = (
    r"r = \operatorname{clip}_{[1/r_{\max},\,r_{\max}]}\!\left(\frac{\sigma_B}"
    r"{\hat\sigma}\right),\quad d = \operatorname{clip}_{[-d_{\max},\,d_{\max}]}"
    r"\!\left(\frac{\mu_B - \hat\mu}{\hat\sigma}\right),\quad \tilde z = \gamma"
    r"\,(z_{\text{norm}}\, r + d) + \beta")
RENORM_INTRO = tex("Why not use the running averages in training too? **Batch Renorm** (Ioffe "
                   "2017) does: it trains with ẑ = z_norm·r + d, which equals the "
                   "running-statistics normalisation within the clips; r and d are constants in "
                   "the gradient.")
RAMP_NOTE = ("r_max grows from 1 and d_max from 0 to the limits in the sidebar over the first "
             "half of training (the paper's ramp). Train mode and eval mode are compared on the "
             "same test examples, cut into mini-batches as in training.")
NON_IID_HINT = "Also try Training → mini-batches 'one class each' (non-i.i.d.)."


def takeaway(n: common.Norms, v: dict[str, Any]) -> str:
    return f"With {common.mini_batches(v)}: " + batch_renorm.renorm_verdict(
        n.table, clips=(float(v["r_max"]), float(v["d_max"]))).text


def view(v: dict[str, Any]) -> None:
    """Plain BN and Batch Renorm during training and at the end, the verdict, the equation."""
    if common.network(v) is None:
        return
    n = common.variants(v, (Norm.BN, Norm.RENORM), "the Batch Renorm comparison")
    common.draw_variants(n, "renorm")
    page.takeaway(takeaway(n, v))
    st.markdown(RENORM_INTRO)
    st.latex(RENORM_EQUATION)
    st.caption(RAMP_NOTE)
    if v["sampling"] == Sampling.IID:
        st.caption(NON_IID_HINT)
    page.download_csv(n.table, "plain_bn_vs_batch_renorm.csv", common.CSV)


TAB = Tab(title=TITLE, view=view, presets=PRESETS)
