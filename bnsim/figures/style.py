"""One colour per concept across all pages, colour-blind safe (Okabe–Ito), and a base layout
readable on a 1280×720 projector in light and dark theme (no black or white traces; the
background is left to the theme).

Every line colour has a contrast of at least 3:1 (WCAG AA for graphics) against both
Streamlit backgrounds, white and the dark theme's #0E1117: Okabe–Ito's orange, sky blue and
grey are darkened a little for that (same hue); ``tests/test_style.py`` checks it."""

from __future__ import annotations

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
