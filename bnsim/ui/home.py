"""The landing page ("Home"): a map of the lectures with deep links to their moments, the
forum's questions, how to present, the glossary.

The deep links are built from each lesson's declared presets (``bnsim.ui.<stem>.LESSON``), so
a link always opens exactly what the preset button does.
"""

from __future__ import annotations

import importlib
import urllib.parse
from dataclasses import dataclass

import streamlit as st

from bnsim.figures.style import tex
from bnsim.notation import BN_EQUATIONS
from bnsim.ui import follow, page
from bnsim.ui.controls import Control
from bnsim.ui.lesson import Lesson

STEMS = ("inside_layer", "covariate_shift", "running_stats", "testtime")  # as page.PAGES[1:]

LECTURES = (  # (lecture, [(stem, what the page shows, tab by tab)])
    ("Fitting batch norm into a neural network", [
        ("inside_layer",
         "**One mini-batch**: z = W·a → μ_B → z − μ_B → σ²_B → z_norm → z̃ → a, one row per "
         "operation, with shapes (n^[l], m) and the numbers; b^[l] cancelled. "
         "**γ and β**: γ, β undo BN; sigmoid's linear middle. **Learning γ, β**: GD, "
         "momentum, RMSprop, Adam side by side. **With vs without BN**: a learning-rate "
         "sweep — the largest α that trains with and without BN, and the steps each needs to a "
         "target loss. **Larger steps**: the largest α with ReLU and sigmoid, and the gradient "
         "per layer at initialisation. **γ, β alone**: random frozen weights, only γ and β "
         "trained."),
    ]),
    ("Why does batch norm work?", [
        ("covariate_shift",
         "**Black cats → coloured cats**: input shift, BN and AdaBN. **A deep layer's moving "
         "inputs**: internal covariate shift, drift D. **Mini-batch noise**: how μ_B, σ²_B "
         "vary with m, and whether that noise regularises (tested at matched training "
         "accuracy). **Noisy BN**: does pinning the inputs matter? **Smoother landscape**: "
         "along the gradient, how much the loss and the gradient change with and without BN."),
    ]),
    ("Batch norm at test time", [
        ("running_stats",
         "μ_B and σ²_B of every mini-batch and their running estimates; **Error vs "
         "population**, **Step by step** (the EMA forming), **Distribution at a step**, "
         "**PyTorch & Keras** (β_EMA as momentum), **Formulas**."),
        ("testtime",
         "**Boundaries**, **Test batch size** (k = 1 collapses), **Same point, new "
         "neighbours**, **Skewed test batches**, **Running estimate**, **Batch Renorm**, "
         "**Running averages in training**."),
    ]),
)


@dataclass(frozen=True)
class Question:
    """A forum question and the view that answers it: the tab it needs (of lesson ``stem``)
    and the preset that opens it (None: the tab at its defaults); ``claim``: the id of the
    claim (or the tab's claims' prefix) made there that answers it, "" when the tab answers it
    without a computed claim (formulas, code)."""

    text: str
    stem: str
    tab: str
    preset: str | None = None
    claim: str = ""


# The forum's questions, numbered as the forum numbers them (a page may cite "Forum question
# N"): the label on Home is the position here.
FORUM = (
    Question("Why does the layer before BN need no bias b^[l]?", "inside_layer",
             "One mini-batch", "b^[l] is cancelled",
             "inside_layer.one_mini_batch.bias_cancelled"),
    Question("If BN forces mean 0 and variance 1, doesn't it limit the network?",
             "inside_layer", "γ and β", "γ, β undo BN", "inside_layer.gamma_and_beta.undo"),
    Question("Why not use the running averages during training too?", "testtime",
             "Running averages in training", "Why not use the running averages in training?",
             "testtime.running_averages.accuracy"),
    Question("Does BN really let me use a larger learning rate?", "inside_layer",
             "Larger steps", "Does BN allow a larger learning rate?",
             "inside_layer.with_vs_without_bn.largest_lr"),
    Question("What happens with a test batch of a single example?", "testtime",
             "Test batch size", "A test batch of one", "testtime.batch_size.collapse"),
    Question("Is β_EMA the same as PyTorch's momentum?", "running_stats", "PyTorch & Keras"),
)


@dataclass(frozen=True)
class Step:
    """One step of the story "why does BN help?": what it says and the view that shows it
    (tab ``tab`` of lesson ``stem``, at preset ``preset`` or at its defaults)."""

    title: str
    text: str
    stem: str
    tab: str
    preset: str | None = None


# "Why does BN help?" as an arc, the 2015 answer first, each step a link (old links keep
# working: the steps only link to tabs and presets the lessons declare).
ARC = (
    Step("The 2015 explanation", "BN stops a deep layer's inputs from moving while earlier "
         "layers learn (internal covariate shift; Ioffe & Szegedy 2015).", "covariate_shift",
         "A deep layer's moving inputs"),
    Step("Its test", "Put the shift back with random noise after BN: does BN still help? "
         "(Santurkar et al. 2018)", "covariate_shift", "Noisy BN", "Noisy BN"),
    Step("A smoother landscape", "Along the gradient, the loss and the gradient change less "
         "with BN — where they do (Santurkar et al. 2018, Fig. 4).", "covariate_shift",
         "Smoother landscape", "Santurkar Fig. 4 on a toy: ReLU, plain GD"),
    Step("Larger steps", "So BN tolerates larger learning rates, and its gradients stay "
         "comparable across layers (Bjorck et al. 2018).", "inside_layer", "Larger steps"),
    Step("What γ, β alone can do", "Freeze random weights and train only γ and β (Frankle et "
         "al. 2021).", "inside_layer", "γ, β alone"),
)


def step_link(s: Step) -> str:
    """The link of a step of :data:`ARC`: its preset, or its tab at the defaults."""
    return preset_link(s.stem, s.preset) if s.preset else tab_link(s.stem, s.tab)


def question_label(n: int) -> str:
    """The label of the n-th forum question (1-based)."""
    return f"Forum question {n}"


PRESENTING = (
    "- **Wide layout and readable fonts** are set on every page; on a projector zoom the "
    "browser to 110–125 % (Ctrl/⌘ +) and collapse the sidebar (‹‹) when it is not needed.\n"
    "- **Theme**: ⋮ menu → Settings → light or dark; the colours stay the same concepts "
    "(orange: a mini-batch statistic, blue: with BN / running estimate, vermillion: "
    "without BN, green dashed: population).\n"
    "- **Prepared links**: every control and the open tab are in the address bar, so the URL "
    "is the view. The links in the lecture map above open each lecture moment in a new "
    "tab; copy them into your slides. The first view of a new setting trains once (a second "
    "or two), then it is cached.\n"
    "- **Let the class follow you**: with a presenter key set by whoever hosts the app, "
    "*Present to the class* (sidebar) gives a room code, a QR code and a join card for the "
    "projector; students who open the link, or type the code here, see your page, tab and "
    "settings as you move them."
)


def lesson(stem: str) -> Lesson:
    """The declared lesson ``stem`` (its title, controls, tabs and presets)."""
    return importlib.import_module(f"bnsim.ui.{stem}").LESSON


def script(stem: str) -> str:
    """The page script of lesson ``stem`` (``pages/…py``)."""
    return page.PAGES[1 + STEMS.index(stem)][0]


def preset_link(stem: str, name: str) -> str:
    """The relative URL that opens lesson ``stem`` at its preset ``name`` (controls and tab as
    query parameters, values as the widgets show them)."""
    declared = lesson(stem)
    controls = {c.key: c for c in declared.all_controls}
    preset = declared.all_presets[name]
    query = [(key, value) for key, raw in preset.values.items()
             for value in _url_values(controls[key], raw)]
    if preset.tab is not None:
        query.append((declared.tab_key, preset.tab))
    path = page.url_path(script(stem))
    return path + ("?" + urllib.parse.urlencode(query) if query else "")


def tab_link(stem: str, tab: str) -> str:
    """The relative URL that opens tab ``tab`` of lesson ``stem`` at its defaults."""
    declared = lesson(stem)
    declared.tab(tab)  # raises for a tab the lesson does not have
    return (page.url_path(script(stem)) + "?"
            + urllib.parse.urlencode([(declared.tab_key, tab)]))


def question_link(q: Question) -> str:
    """The link of a forum question: its preset, or its tab at the defaults."""
    return preset_link(q.stem, q.preset) if q.preset else tab_link(q.stem, q.tab)


def _url_values(control: Control, raw) -> list[str]:
    shown = control.to_widget(raw)
    if isinstance(shown, list):
        return [str(v) for v in shown]
    if isinstance(shown, bool):
        return ["true" if shown else "false"]
    return [str(shown)]


def _md_link(label: str, url: str) -> str:
    """A Markdown link whose text shows the lecture's symbols typeset."""
    return f"[{tex(label)}]({url})"


def home() -> None:
    """The landing page: a map of the lectures with deep links, how to present, the glossary."""
    badge = page.setup("bnsim — Batch Normalization, simulated", script="app.py",
                       tab_title="bnsim — Batch Normalization simulator")
    follow.home_box()
    st.markdown(
        "Batch Normalization sits inside a layer, between the linear step and the activation: "
        "the pre-activations $z^{[l]}$ of a mini-batch are normalized to $z_\\text{norm}$ "
        "(mean 0, variance 1), then rescaled and shifted to "
        "$\\tilde z = \\gamma\\, z_\\text{norm} + \\beta$ before the activation "
        "$g(\\tilde z)$. Each card below is one lecture: the pages that show it, what each "
        "tab shows, and links that open its lecture moments."
    )
    st.latex(r"\qquad ".join(BN_EQUATIONS))
    st.header("Lecture map")
    columns = st.columns(len(LECTURES) + 1)
    for column, (lecture, lessons) in zip(columns, LECTURES, strict=False):
        with column.container(border=True):
            st.subheader(lecture)
            for stem, what in lessons:
                st.page_link(script(stem), label=f"**{lesson(stem).title}**",
                             icon=":material/school:")
                st.markdown(tex(what))
                st.markdown("\n".join(f"- {_md_link(name, preset_link(stem, name))}"
                                      for name in lesson(stem).all_presets))
    with columns[-1].container(border=True):
        st.subheader("The forum's questions")
        st.markdown("\n".join(
            f"- **{question_label(n)}**: {_md_link(q.text, question_link(q))} — "
            f"*{lesson(q.stem).title} → {q.tab}*" for n, q in enumerate(FORUM, 1)))
    st.header("Why does BN help? The story in five steps")
    st.markdown("\n".join(
        f"{n}. **{_md_link(s.title, step_link(s))}** — {tex(s.text)} "
        f"*{lesson(s.stem).title} → {s.tab}*" for n, s in enumerate(ARC, 1)))
    st.header("How to present")
    st.markdown(PRESENTING)
    page.glossary()
    follow.settle(follow.view_of("app.py", None, (), {}))
    with badge:
        follow.follower_bar()
