"""bnsim landing page: what Batch Normalization does and which lessons exist."""

from pathlib import Path

import streamlit as st

st.set_page_config(layout="wide", page_title="bnsim — Batch Normalization simulator")

st.title("bnsim — Batch Normalization, simulated")

st.markdown(
    "Batch Normalization sits inside a layer, between the linear step and the activation: "
    "the pre-activations $z$ of a mini-batch are normalized to $z_\\text{norm}$ (mean 0, "
    "variance 1), then rescaled and shifted to $\\tilde z = \\gamma\\, z_\\text{norm} + \\beta$ "
    "before the activation $g(\\tilde z)$ is applied. $\\gamma$ and $\\beta$ are learned like "
    "weights, so the layer can still choose any mean and variance it needs, and $\\beta$ takes "
    "over the job of the bias $b$, which the mean subtraction would cancel anyway. It works "
    "because every layer sees inputs with a stable distribution even while earlier layers keep "
    "learning (less covariate shift), which allows larger learning rates, and because the "
    "statistics of each mini-batch add a little noise, a mild regularizer. At test time there "
    "may be only one example, so $\\mu$ and $\\sigma^2$ come from an exponentially weighted "
    "average of the mini-batch statistics collected during training."
)

st.latex(
    r"""
    \mu = \frac{1}{m}\sum_{i=1}^{m} z^{(i)} \qquad
    \sigma^2 = \frac{1}{m}\sum_{i=1}^{m} \left(z^{(i)} - \mu\right)^2 \qquad
    z_\text{norm}^{(i)} = \frac{z^{(i)} - \mu}{\sqrt{\sigma^2 + \varepsilon}} \qquad
    \tilde z^{(i)} = \gamma\, z_\text{norm}^{(i)} + \beta
    """
)

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
