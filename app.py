"""bnsim: the landing page ("Home") and the navigation to one page per lesson.

Each lesson's page script is ``app_pages/<N>_<stem>.py``, where ``<stem>`` names the lesson in
every layer (``bnsim/<stem>.py``, ``bnsim/figures/<stem>.py``, ``bnsim/ui/<stem>.py``). Each
page's title and URL path are fixed here, so links prepared for lectures keep working whatever
the files are called. The folder is deliberately not named ``pages/``: Streamlit would then
also route by file name, and the first visit to a lesson link on a freshly started server would
show a "Page not found" dialog over the page.
"""

import streamlit as st

from bnsim.notation import BN_EQUATIONS

LESSONS = (  # (page script, title, URL path, what it shows), in lecture order
    ("app_pages/2_covariate_shift.py", "Covariate shift", "Covariate_shift",
     "black cats → coloured cats, internal covariate shift, mini-batch noise, noisy BN"),
    ("app_pages/3_running_stats.py", "Running statistics", "Running_statistics",
     "per-mini-batch μ and σ² and their exponentially weighted running estimate"),
    ("app_pages/4_testtime.py", "Train vs test", "Train_vs_test",
     "batch statistics vs running statistics at test time, a test batch of one, "
     "skewed batches, Batch Renorm"),
)  # fmt: skip


def home() -> None:
    """The landing page: BN in one paragraph, its equations, and a card per lesson."""
    st.set_page_config(layout="wide", page_title="bnsim — Batch Normalization simulator")
    st.title("bnsim — Batch Normalization, simulated")
    st.markdown(
        "Batch Normalization sits inside a layer, between the linear step and the activation: "
        "the pre-activations $z^{[l]}$ of a mini-batch are normalized to $z_\\text{norm}$ "
        "(mean 0, variance 1), then rescaled and shifted to "
        "$\\tilde z = \\gamma\\, z_\\text{norm} + \\beta$ before the activation "
        "$g(\\tilde z)$. $\\gamma$ and $\\beta$ are learned like weights, so the layer can "
        "still choose any mean and variance it needs, and $\\beta$ replaces the bias "
        "$b^{[l]}$, which the mean subtraction would cancel anyway."
    )
    st.markdown(
        "**Why does it help?** The lecture's argument: each layer sees inputs whose mean and "
        "variance stay put while earlier layers learn (less *covariate shift*), and the "
        "statistics of each mini-batch add a little noise, a slight regularizing side effect. "
        "Later work (Santurkar et al., 2018) found that reducing covariate shift is not the "
        "whole story: BN mainly makes the optimization landscape smoother, which allows larger "
        "learning rates. **At test time** there may be a single example, so $\\mu$ and "
        "$\\sigma^2$ come from an exponentially weighted average of the mini-batch statistics "
        "collected during training."
    )
    st.latex(r"\qquad ".join(BN_EQUATIONS))
    st.header("Lessons")
    for column, (script, title, _, summary) in zip(st.columns(len(LESSONS)), LESSONS,
                                                   strict=True):
        with column.container(border=True):
            st.page_link(script, label=f"**{title}**", icon=":material/school:")
            st.caption(summary)


PAGES = [st.Page(home, title="Home", icon=":material/home:", default=True)] + [
    st.Page(script, title=title, url_path=path, icon=":material/school:")
    for script, title, path, _ in LESSONS
]
st.navigation(PAGES).run()
