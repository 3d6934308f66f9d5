"""One colour per concept across all pages, colour-blind safe (Okabe–Ito), and a base layout
readable on a 1280×720 projector in light and dark theme (no black or white traces; the
background is left to the theme).

Every line colour has a contrast of at least 3:1 (WCAG AA for graphics) against both
Streamlit backgrounds, white and the dark theme's #0E1117: Okabe–Ito's orange, sky blue and
grey are darkened a little for that (same hue); ``tests/test_style.py`` checks it."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import plotly.graph_objects as go

# Okabe–Ito palette; orange, sky blue and grey at 85 %, 80 % and 90 % of their lightness so
# that they keep ≥ 3:1 contrast on a white background too (yellow is not used for lines)
ORANGE, SKY, GREEN, YELLOW = "#C38700", "#1E9BE2", "#009E73", "#F0E442"
BLUE, VERMILLION, PURPLE, GREY = "#0072B2", "#D55E00", "#CC79A7", "#8A8A8A"
BACKGROUNDS = {"light": "#FFFFFF", "dark": "#0E1117"}  # Streamlit's two themes

COLORS = {
    "batch": ORANGE,  # a mini-batch statistic μ_B, σ²_B
    "running": BLUE,  # the running (EMA) estimate
    "bias_corrected": SKY,  # the bias-corrected EMA
    "cumulative": PURPLE,  # cumulative average (PyTorch momentum=None)
    "population": GREEN,  # population ("precise") statistic of the current network
    "with_bn": BLUE,
    "without_bn": VERMILLION,
    "noisy_bn": PURPLE,
    "renorm": GREEN,
    "running_bn": PURPLE,  # BN normalised by the running averages in training
    "class0": SKY,
    "class1": VERMILLION,
    "train": BLUE,
    "test": VERMILLION,
    "neutral": GREY,
}
DASH = {"population": "dash", "bias_corrected": "dot", "cumulative": "dashdot"}
# diverging class-probability scale for decision boundaries, class 0 → class 1
PROBA_SCALE = [[0.0, SKY], [0.5, "rgba(153,153,153,0.15)"], [1.0, VERMILLION]]

FONT_SIZE = 16


def layout(*, title: str | None = None, height: int = 380, **axes: dict) -> dict:
    """The base layout as a plain dict: projector-friendly fonts, compact margins, legend on
    top. ``axes`` (``xaxis=dict(...)``, ``yaxis2=...``) are included with tick and title fonts
    set, since Streamlit's chart theme uses 12 px for them unless the figure says otherwise.
    Building a dict costs microseconds; :func:`base_layout` applies the same to a Figure."""
    out = dict(
        title=dict(text=title, font=dict(size=FONT_SIZE + 2)) if title else None,
        font=dict(size=FONT_SIZE),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0,
                    font=dict(size=FONT_SIZE)),
        hoverlabel=dict(font=dict(size=FONT_SIZE)),
        height=height,
        margin=dict(l=60, r=20, t=60 if title else 30, b=50),
        hovermode="closest",
    )
    for name, axis in axes.items():
        axis = dict(axis)
        axis["tickfont"] = {"size": FONT_SIZE, **axis.get("tickfont", {})}
        if axis.get("type") == "log" and "dtick" not in axis and "tickvals" not in axis:
            axis["dtick"] = 1  # decades only: minor labels (2, 5, …) run together on a projector
        title_ = axis.get("title", {})
        title_ = {"text": title_} if isinstance(title_, str) else dict(title_)
        title_["font"] = {"size": FONT_SIZE, **title_.get("font", {})}
        axis["title"] = title_
        out[name] = axis
    return out


def base_layout(fig: go.Figure, *, title: str | None = None, x_title: str | None = None,
                y_title: str | None = None, height: int = 380) -> go.Figure:
    """Projector-friendly fonts, compact margins, legend on top; returns ``fig``.

    Tick, axis-title, legend and hover fonts are set explicitly on every axis: Streamlit's chart
    theme uses 12 px for them unless the figure says otherwise."""
    fig.update_layout(layout(title=title, height=height))
    for update in (fig.update_xaxes, fig.update_yaxes):
        update(tickfont_size=FONT_SIZE, title_font_size=FONT_SIZE)
        update(dtick=1, selector=dict(type="log"))  # decades only on log axes
    if x_title is not None:
        fig.update_xaxes(title_text=x_title)
    if y_title is not None:
        fig.update_yaxes(title_text=y_title)
    return fig


# ---------------------------------------------------------------- typeset symbols
# Code, CSV headers and Markdown write symbols as bnsim.notation does (a^[l−1], z̃^[l], μ_B,
# σ²_B, β_EMA, μ_pop, v_k); figures show them typeset with Plotly's <sup>/<sub>, matching
# the equations' LaTeX. Subscripts are the lecture's named ones (_B, _EMA, _pop, _norm) and the
# step indices k and t of a one-letter symbol (v_k, θ_t), so "z_norm" is typeset but never
# "p_eval" or "eval_acc".
_SUP = re.compile(r"\^\[([^\]]+)\]")
_SUB = re.compile(r"_(B|EMA|pop|norm)\b")
_IDX = re.compile(r"(?<!\w)([^\W\d_][\u0302\u0303]?)_([kt])\b")


def math(label: str) -> str:
    """Plain-text notation typeset for Plotly: ``z̃^[2]`` → z̃<sup>[2]</sup>, ``σ²_B`` →
    σ²<sub>B</sub>, ``β_EMA`` → β<sub>EMA</sub>, ``v_k`` → v<sub>k</sub> (idempotent)."""
    label = _SUB.sub(r"<sub>\1</sub>", _SUP.sub(r"<sup>[\1]</sup>", label))
    return _IDX.sub(r"\1<sub>\2</sub>", label)


#: keys of a figure's JSON whose strings are shown: trace names and hover templates, titles,
#: annotations, tick texts, slider step labels, the slider's current-value prefix, buttons
TEXT_KEYS = frozenset({"name", "text", "hovertemplate", "texttemplate", "ticktext", "label",
                       "prefix", "suffix"})
_SKIP = frozenset({"template", "customdata", "meta", "legendgroup", "uid", "x", "y", "z"})


def typeset_spec(obj, key: str | None = None):
    """A figure's JSON (dicts, lists, strings; arrays are left alone) with :func:`math`
    applied to every shown string (:data:`TEXT_KEYS`); data, ids and templates unchanged."""
    if isinstance(obj, dict):
        return {k: obj[k] if k in _SKIP else typeset_spec(v, k) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [typeset_spec(v, key) for v in obj]
    if isinstance(obj, str) and key in TEXT_KEYS:
        return math(obj)
    return obj


_TRACE_TEXT = ("name", "hovertemplate", "texttemplate")


def typeset(fig: go.Figure) -> go.Figure:
    """``fig`` with :func:`math` applied to every shown string: trace names, hover templates,
    text labels, legend-group titles and colour-bar titles, and in the layout the titles,
    subtitles, axis titles, tick texts, annotations, legend title, sliders and buttons (see
    :func:`typeset_spec`). Data, ids and CSVs are unchanged; returns ``fig``."""

    def trace_text(t) -> None:
        props = t.to_plotly_json()
        change = {k: math(props[k]) for k in _TRACE_TEXT if isinstance(props.get(k), str)}
        text = props.get("text")
        if isinstance(text, str):
            change["text"] = math(text)
        elif isinstance(text, (list, tuple)) and all(isinstance(v, str) for v in text):
            change["text"] = [math(v) for v in text]
        for part in ("legendgrouptitle", "colorbar"):
            if isinstance(props.get(part), dict):
                change[part] = typeset_spec(props[part])
        if change:
            t.update(change)

    fig.for_each_trace(trace_text)
    layout = {k: v for k, v in fig.layout.to_plotly_json().items() if k != "template"}
    typeset_layout = typeset_spec(layout)
    fig.update_layout({k: v for k, v in typeset_layout.items() if v != layout[k]})
    return fig


def typeset_figures(builder: Callable) -> Callable:
    """Decorator: the figure (or each figure of the tuple) ``builder`` returns, typeset with
    :func:`typeset`, so builders write plain notation and one place typesets it."""

    @functools.wraps(builder)
    def wrapped(*args, **kwargs):
        out = builder(*args, **kwargs)
        if isinstance(out, go.Figure):
            return typeset(out)
        return type(out)(*(typeset(f) if isinstance(f, go.Figure) else f for f in out))

    return wrapped


# The same symbols as inline LaTeX for Streamlit's Markdown (headings, intros, captions), so
# that text beside an equation shows μ_B as the equation does. Code spans and existing $…$
# are left alone.
_TEX = ((re.compile(r"z̃\^\[([^\]]+)\]"), r"$\\tilde z^{[\1]}$"),
        (re.compile(r"(?<![\w$\\])([abnz])\^\[([^\]]+)\]"), r"$\1^{[\2]}$"),
        (re.compile(r"z̃"), r"$\\tilde z$"),
        (re.compile(r"σ²_B"), r"$\\sigma^2_B$"),
        (re.compile(r"σ²_pop"), r"$\\sigma^2_{\\text{pop}}$"),
        (re.compile(r"σ_pop"), r"$\\sigma_{\\text{pop}}$"),
        (re.compile(r"μ_B"), r"$\\mu_B$"),
        (re.compile(r"μ_pop"), r"$\\mu_{\\text{pop}}$"),
        (re.compile(r"β_EMA(?:\^([tk]))?"),
         lambda m: r"$\beta_{\text{EMA}}" + (f"^{m[1]}" if m[1] else "") + "$"),
        (re.compile(r"z_norm"), r"$z_{\\text{norm}}$"),
        (re.compile(r"(?<!\w)([vθ])_([kt])\b"),
         lambda m: "$" + {"v": "v", "θ": r"\theta"}[m[1]] + f"_{m[2]}$"))
_CODE_OR_MATH = re.compile(r"(`[^`]*`|\$[^$]*\$)")


def tex(text: str) -> str:
    """``text`` with the lecture's symbols as inline LaTeX for Streamlit's Markdown: ``μ_B`` →
    ``$\\mu_B$``, ``β_EMA`` → ``$\\beta_{\\text{EMA}}$``, ``a^[2]`` → ``$a^{[2]}$``, ``z̃^[3]`` →
    ``$\\tilde z^{[3]}$``; code spans and math are kept."""
    parts = _CODE_OR_MATH.split(text)
    for i in range(0, len(parts), 2):  # the even parts are plain text
        for pattern, repl in _TEX:
            parts[i] = pattern.sub(repl, parts[i])
    return "".join(parts)
