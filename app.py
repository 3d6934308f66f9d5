"""bnsim landing page: what Batch Normalization does and which lessons exist."""

from pathlib import Path

import streamlit as st

from bnsim.notation import BN_EQUATIONS

st.set_page_config(layout="wide", page_title="bnsim — Batch Normalization simulator")

st.title("bnsim — Batch Normalization, simulated")

st.markdown(
    "Batch Normalization sits inside a layer, between the linear step and the activation: "
    "the pre-activations $z^{[l]}$ of a mini-batch are normalized to $z_\\text{norm}$ (mean 0, "
    "variance 1), then rescaled and shifted to $\\tilde z = \\gamma\\, z_\\text{norm} + \\beta$ "
    "before the activation $g(\\tilde z)$. $\\gamma$ and $\\beta$ are learned like weights, so "
    "the layer can still choose any mean and variance it needs, and $\\beta$ replaces the bias "
    "$b^{[l]}$, which the mean subtraction would cancel anyway."
)
st.markdown(
    "**Why does it help?** The lecture's argument: each layer sees inputs whose mean and "
    "variance stay put while earlier layers learn (less *covariate shift*), and the statistics "
    "of each mini-batch add a little noise, a slight regularizing side effect. Later work "
    "(Santurkar et al., 2018) found that reducing covariate shift is not the whole story: BN "
    "mainly makes the optimization landscape smoother, which allows larger learning rates. "
    "**At test time** there may be a single example, so $\\mu$ and $\\sigma^2$ come from an "
    "exponentially weighted average of the mini-batch statistics collected during training."
)

st.latex(r"\qquad ".join(BN_EQUATIONS))

st.header("Lessons")

LESSONS = [
    ("1_Running_statistics.py", "Running statistics",
     "per-mini-batch μ and σ² and their exponentially weighted running estimate"),
    ("2_Train_vs_test.py", "Train vs test",
     "batch statistics vs running statistics at test time, a test batch of one, "
     "skewed batches, Batch Renorm"),
    ("3_Covariate_shift.py", "Covariate shift",
     "black cats → coloured cats, internal covariate shift, mini-batch noise, noisy BN"),
]  # fmt: skip

pages_dir = Path(__file__).parent / "pages"
for column, (filename, title, summary) in zip(st.columns(len(LESSONS)), LESSONS, strict=True):
    with column.container(border=True):
        if (pages_dir / filename).exists():
            st.page_link(f"pages/{filename}", label=f"**{title}**", icon=":material/school:")
            st.caption(summary)
        else:
            st.markdown(f":material/schedule: **{title}**")
            st.caption(f"*Coming soon:* {summary}")
