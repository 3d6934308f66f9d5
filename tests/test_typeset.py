"""Symbols in figures are typeset (μ<sub>B</sub>, β<sub>EMA</sub>, a<sup>[1]</sup>) like the
equations beside them, through the one shared helper ``bnsim.figures.style.math``; data, CSV
headers and Markdown keep the plain notation (μ_B) that the rest of the code uses."""

import re
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from bnsim.figures import style
from tests.apptest_charts import chart_specs

PAGES = Path(__file__).resolve().parents[1] / "pages"
#: (page, tab query key, every tab with a chart); short runs (steps=200) draw the same figures
VIEWS = (
    ("1_Inside_a_BN_layer.py", "tab",
     ("One mini-batch", "γ and β", "Learning γ, β", "With vs without BN")),
    ("3_Running_statistics.py", "panel",
     ("Trajectory", "Error vs population", "Step by step", "Distribution at a step")),
    ("4_Train_vs_test.py", "tab",
     ("Boundaries", "Test batch size", "Same point, new neighbours", "Skewed test batches",
      "Running estimate", "Batch Renorm", "Running averages in training")),
)
#: plain notation that must not reach a figure: the lecture's subscripts, [l] superscripts and
#: the step index of a one-letter symbol (v_k, θ_t)
PLAIN = re.compile(r"_(B|EMA|pop|norm)\b|\^\[|(?<!\w)[^\W\d_][\u0302\u0303]?_[kt]\b")


def shown_texts(obj, key=None) -> list[str]:
    """Every string of a figure's JSON that Plotly draws: trace names, hover templates, text
    labels, titles, axis titles, tick texts, annotations, slider labels, buttons."""
    if isinstance(obj, dict):
        return [s for k, v in obj.items() if k != "template" for s in shown_texts(v, k)]
    if isinstance(obj, list):
        return [s for v in obj for s in shown_texts(v, key)]
    return [obj] if isinstance(obj, str) and key in style.TEXT_KEYS else []


@pytest.mark.parametrize("plain, typeset", [
    ("μ_B", "μ<sub>B</sub>"),
    ("mini-batch μ_B, σ²_B", "mini-batch μ<sub>B</sub>, σ²<sub>B</sub>"),
    ("window 1/(1−β_EMA) ≈ 10 steps", "window 1/(1−β<sub>EMA</sub>) ≈ 10 steps"),
    ("|μ̂ − μ_pop| in % of σ_pop", "|μ̂ − μ<sub>pop</sub>| in % of σ<sub>pop</sub>"),
    ("z̃^[3], unit 2", "z̃<sup>[3]</sup>, unit 2"),
    ("z_norm of a^[l−1]", "z<sub>norm</sub> of a<sup>[l−1]</sup>"),
    ("weight of batch i in v_k", "weight of batch i in v<sub>k</sub>"),
    ("θ_t", "θ<sub>t</sub>"),
    # not symbols: words, hover templates and file-like names stay as they are
    ("eval_acc, p_eval, running_mean", "eval_acc, p_eval, running_mean"),
    ("step %{x}: %{y:.4g}<extra></extra>", "step %{x}: %{y:.4g}<extra></extra>"),
    ("x₁, v₀, σ̂²", "x₁, v₀, σ̂²"),
])
def test_math_typesets_the_lecture_notation_only(plain, typeset):
    assert style.math(plain) == typeset
    assert style.math(typeset) == typeset  # idempotent: typesetting twice changes nothing
    assert not PLAIN.search(typeset)


def test_one_helper_for_every_page():
    """Only bnsim.figures.style typesets symbols: no lesson keeps a copy of its own."""
    root = Path(__file__).resolve().parents[1] / "bnsim"
    copies = [str(p) for p in root.rglob("*.py")
              if re.search(r"^def (math|typeset|tex)\(", p.read_text(), re.M)]
    assert copies == [str(root / "figures" / "style.py")], copies


def test_typeset_figure_changes_shown_text_only():
    fig = go.Figure([
        go.Scatter(x=[1, 2], y=[3, 4], name="μ_B", legendgroup="μ_B", customdata=["μ_B", "b"],
                   hovertemplate="μ_pop %{y}", text=["β_EMA", "z_norm"],
                   legendgrouptitle=dict(text="σ²_B")),
        go.Heatmap(z=[[0, 1]], colorbar=dict(title=dict(text="a^[1]")))])
    fig.update_layout(title="z̃^[2]", xaxis_title="step k of v_k", yaxis=dict(
        title="μ_B", tickvals=[0, 1], ticktext=["μ_B", "μ_pop"]),
        legend_title_text="β_EMA", annotations=[dict(text="μ_pop", x=1, y=1)])
    out = style.typeset(fig)
    assert out is fig
    t, h = fig.data
    assert t.name == "μ<sub>B</sub>" and t.hovertemplate == "μ<sub>pop</sub> %{y}"
    assert t.text == ("β<sub>EMA</sub>", "z<sub>norm</sub>")
    assert t.legendgrouptitle.text == "σ²<sub>B</sub>"
    assert h.colorbar.title.text == "a<sup>[1]</sup>"
    assert fig.layout.title.text == "z̃<sup>[2]</sup>"
    assert fig.layout.xaxis.title.text == "step k of v<sub>k</sub>"
    assert fig.layout.yaxis.title.text == "μ<sub>B</sub>"
    assert fig.layout.yaxis.ticktext == ("μ<sub>B</sub>", "μ<sub>pop</sub>")
    assert fig.layout.legend.title.text == "β<sub>EMA</sub>"
    assert fig.layout.annotations[0].text == "μ<sub>pop</sub>"
    # ids and data are not text on screen: unchanged
    assert t.legendgroup == "μ_B" and tuple(t.customdata) == ("μ_B", "b")
    np.testing.assert_array_equal(t.y, [3, 4])


@pytest.mark.parametrize("page, key, tabs", VIEWS, ids=["inside_layer", "running_stats",
                                                         "testtime"])
def test_no_plain_symbol_in_any_figure_of_the_page(page, key, tabs):
    """Every chart of every tab: no μ_B, β_EMA, μ_pop, z_norm, a^[l] or v_k left plain in a
    trace name, hover, axis title, tick text, annotation, title, slider label or button."""
    typeset = 0
    for tab in tabs:
        at = AppTest.from_file(str(PAGES / page), default_timeout=120)
        at.query_params.update({"steps": "200", key: tab})
        at.run()
        assert not at.exception, (tab, at.exception)
        specs = chart_specs(at)
        assert specs, tab
        texts = [s for spec in specs for s in shown_texts(spec)]
        assert texts, tab
        plain = sorted({s for s in texts if PLAIN.search(s)})
        assert not plain, (tab, plain[:5])
        typeset += sum("<sub>" in s or "<sup>" in s for s in texts)
    assert typeset > 0  # the page does show symbols, typeset


def test_csv_headers_keep_the_plain_notation():
    """Only figures are typeset: the running-statistics CSV names its columns in code
    notation (checked by the page's own tests too)."""
    from bnsim import data
    from bnsim.lessons.running_stats import common, trajectory
    from bnsim.network import NetConfig
    from bnsim.train import TrainConfig, train

    X, y, Xt, yt = data.train_test("moons", 100, 50, 0.1, 0)
    tr = train(NetConfig(hidden=(4,), bn=(True,)), X, y, Xt, yt,
               TrainConfig(steps=30, batch_size=16))
    us = common.unit_stats(tr, 1, 0)
    frame = trajectory.trajectory_frame(us, common.estimate(us, 0.9), "unbiased",
                                        ("ema", "population"))
    assert not any("<sub>" in c or "<sup>" in c for c in frame.columns)


def test_preset_buttons_show_symbols_typeset():
    """Preset names stay plain (links and the URL use them); their buttons show the symbols as
    inline LaTeX, like the equations beside them."""
    at = AppTest.from_file(str(PAGES / "3_Running_statistics.py"), default_timeout=120)
    at.query_params["steps"] = "200"
    at.run()
    labels = [b.label for b in at.button if b.key and b.key.startswith("_preset_")]
    outside_math = [re.sub(r"\$[^$]*\$", "", label) for label in labels]
    assert labels and not any(PLAIN.search(text) for text in outside_math), labels
    assert any(r"$\beta_{\text{EMA}}$" in label for label in labels), labels
