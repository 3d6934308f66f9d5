"""The "Train vs test" page through Streamlit's AppTest (short trainings via the URL)."""

import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import bnsim.ui.cache as shared_cache
from bnsim import notation
from bnsim.lessons.testtime import common as core
from bnsim.lessons.testtime.running_estimate import ESTIMATORS
from bnsim.ui.control import preset_key
from bnsim.ui.testtime import LESSON, common
from tests.apptest_charts import chart_specs
from tests.helpers import arr

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "4_Train_vs_test.py")
FAST = {"steps": "200"}
TABS = ["Boundaries", "Test batch size", "Same point, new neighbours", "Skewed test batches",
        "Running estimate", "Batch Renorm", "Running averages in training"]


def _run(qp=None, tab=None):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update({**FAST, **(qp or {})})
    if tab:
        at.session_state["tab"] = tab
    return at.run()


def _takeaways(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith(":material/lightbulb:")]


def _charts(at) -> list[dict]:
    return chart_specs(at)


def _shown(markdown: str) -> str:
    """Roughly the characters a reader sees: inline LaTeX as its symbols ($\\mu_B$ → μB)."""
    def symbols(m):
        return re.sub(r"[\\$^_{}]", "", re.sub(r"\\[a-zA-Z]+", "x", m.group(0)))
    return re.sub(r"\$[^$]*\$", symbols, markdown)


def _pct(text: str, after: str) -> float:
    return float(re.search(re.escape(after) + r"\s*([\d.]+) ?%", text).group(1)) / 100


def test_default_page_shows_the_two_boundaries():
    at = _run()
    assert not at.exception
    assert [t.label for t in at.tabs] == TABS
    charts = _charts(at)
    assert len(charts) == 2  # lazy tabs: only the open one is computed
    assert [[d["type"] for d in c["data"]].count("heatmap") for c in charts] == [1, 1]
    (text,) = _takeaways(at)
    assert "batch statistics" in text and "running statistics" in text
    assert at.latex and "hat" in at.latex[0].value
    for w in at.sidebar:
        if getattr(w, "key", None) and not w.key.startswith("_"):
            assert w.help, w.key  # every control explains itself


def test_every_control_is_bound_to_the_url():
    at = _run({"k": "8", "mix": "30", "point": "5", "repeats": "20", "tseed": "3",
               "ema_beta": "0.99", "batch": "16", "sampling": "one class each"})
    assert not at.exception
    vals = {k: at.session_state[k] for k in ("k", "mix", "point", "repeats", "tseed",
                                             "ema_beta", "batch", "sampling")}
    assert vals == {"k": 8, "mix": 30, "point": 5, "repeats": 20, "tseed": 3, "ema_beta": 0.99,
                    "batch": "16", "sampling": "one class each"}


def test_a_test_batch_of_one_collapses_to_the_majority_rate():
    at = _run({"k": "1"}, tab="Test batch size")
    assert not at.exception
    (info,) = [i.value for i in at.info]
    assert "Why k = 1 collapses" in info and "z_norm = 0" in info and "β" in info
    assert _pct(info, "in the test set:") == pytest.approx(0.5)  # 200/200 test set
    chart = _charts(at)[0]
    mean = next(d for d in chart["data"] if d.get("name") == "test-batch statistics (mean)")
    assert arr(mean["x"])[0] == 1 and arr(mean["y"])[0] == pytest.approx(0.5)
    (text,) = _takeaways(at)
    assert "k = 1" in text and _pct(text, "classify") == pytest.approx(0.5)


def test_k_one_flattens_the_batch_map():
    at = _run({"k": "1"})
    heat = [d for c in _charts(at) for d in c["data"] if d["type"] == "heatmap"]
    z_batch = arr(heat[1]["z"])
    assert z_batch.shape == (50, 50) and np.ptp(z_batch) == 0.0
    assert np.ptp(arr(heat[0]["z"])) > 0.9
    assert any("Why k = 1 collapses" in i.value for i in at.info)


@pytest.fixture
def count_training(monkeypatch):
    calls = []  # every training run (plain BN and Batch Renorm) goes through the shared cache
    real = shared_cache.train
    monkeypatch.setattr(shared_cache, "train", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    return calls


def test_test_batch_controls_never_retrain(count_training):
    at = _run({"seed": "97"}, tab="Skewed test batches")  # a seed no other test trains
    assert not at.exception and len(count_training) == 1
    before = _takeaways(at)[0]
    at.slider(key="k").set_value(8).run()
    at.slider(key="mix").set_value(100).run()
    at.number_input(key="point").set_value(3).run()
    at.slider(key="repeats").set_value(20).run()
    at.number_input(key="tseed").set_value(4).run()
    at.slider(key="ema_beta").set_value(0.999).run()
    assert not at.exception and len(count_training) == 1
    after = _takeaways(at)[0]
    assert before != after and "k = 8" in after and "8 of its 8 examples in class 1" in after
    at.slider(key="r_max").set_value(2.0).run()  # only Batch Renorm uses the clips
    at.slider(key="d_max").set_value(1.0).run()
    assert not at.exception and len(count_training) == 1
    at.selectbox(key="batch").set_value("16").run()  # a training control does retrain
    assert len(count_training) == 2


def test_preset_sets_controls_and_opens_its_tab():
    at = _run()
    at.button(key=preset_key("A test batch of only cats")).click().run()
    assert not at.exception
    assert at.session_state["tab"] == "Skewed test batches"
    assert at.session_state["k"] == 32 and at.session_state["mix"] == 100
    (text,) = _takeaways(at)
    assert "32 of its 32 examples in class 1 (100.0 %)" in text and "*hurts*" in text
    assert _pct(text, "batch statistics classify") < _pct(text, "running statistics") - 0.1


def test_garbage_in_the_url_is_reported_not_raised():
    at = _run({"k": "999", "dataset": "mnist", "point": "-3"})
    assert not at.exception
    notes = " ".join(c.value for c in at.caption)
    assert "k=999" in notes and "dataset=mnist" in notes and "point=-3" in notes
    assert at.session_state["k"] == 32


def test_same_point_new_neighbours_follows_the_chosen_point():
    at = _run({"point": "5", "k": "4"}, tab="Same point, new neighbours")
    assert not at.exception
    (text,) = _takeaways(at)
    assert "Test point #5" in text and "k = 4" in text
    pick, hist = _charts(at)
    ring = pick["data"][-1]
    assert ring["name"] == "point #5"
    assert hist["data"][0]["type"] == "histogram" and len(arr(hist["data"][0]["x"])) == 4 * 50


def test_running_estimate_tab_shows_framework_momentum():
    at = _run({"ema_beta": "0.99"}, tab="Running estimate")
    assert not at.exception
    md = " ".join(m.value for m in at.markdown)
    assert "momentum=0.010" in md and "momentum=0.990" in md
    assert any("beta_{\\text{EMA}}" in x.value for x in at.latex)
    (text,) = _takeaways(at)
    assert "After T = 200 steps" in text


def test_batch_renorm_tab_compares_tiny_batches():
    at = _run({"batch": "4"}, tab="Batch Renorm")
    assert not at.exception
    (text,) = _takeaways(at)
    assert "m = 4" in text and "Batch Renorm" in text
    bars = _charts(at)[1]["data"]  # "At the end": one dot pair per variant
    assert [b["name"] for b in bars] == ["With BN", "Batch Renorm"]  # notation.MODELS


def test_diverged_training_warns_and_falls_back(monkeypatch):
    real = common.trained

    def diverged(key):
        got = real(key)
        trace = got.trace
        bad = type(trace)(**{**vars(trace), "diverged": True, "diverged_at": 150,
                             "params": {k: v * np.nan for k, v in trace.params.items()}})
        return got._replace(trace=bad)

    monkeypatch.setattr(common, "trained", diverged)
    at = _run({"seed": "96"}, tab="Test batch size")
    assert not at.exception
    assert any("diverged" in w.value for w in at.warning)
    defaults = {c.key: c.default for c in LESSON.all_controls}
    _, _, step = core.usable(diverged(common.setting({**defaults, "steps": 200, "seed": 96}))[0])
    assert any(f"after step {step}" in w.value for w in at.warning)
    (text,) = _takeaways(at)
    assert "nan" not in text.lower()


@pytest.mark.parametrize("k", [32, 3])
def test_chosen_k_is_marked_on_the_curve(k):
    at = _run({"k": str(k)}, tab="Test batch size")
    data = _charts(at)[0]["data"]
    mark = next(d for d in data if d.get("name") == f"your k = {k}")
    mean = next(d for d in data if d.get("name") == "test-batch statistics (mean)")
    (text,) = _takeaways(at)
    assert arr(mark["y"])[0] == pytest.approx(_pct(text, "classify"), abs=5e-4)
    if k == 32:  # on the curve itself: the same batchings
        assert arr(mark["y"])[0] == arr(mean["y"])[list(arr(mean["x"])).index(32)]


def test_a_stored_lecture_link_opens_its_tab_and_values():
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update({"k": "1", "tab": "Test batch size", "dataset": "XOR"})
    at.run()
    assert not at.exception
    assert at.session_state["tab"] == "Test batch size"
    (chart,) = _charts(at)  # lazy tabs: only the open one is drawn, and it is this one
    mean = next(d for d in chart["data"] if d.get("name") == "test-batch statistics (mean)")
    assert arr(mean["x"])[0] == 1
    assert at.session_state["k"] == 1 and at.session_state["dataset"] == "XOR"
    assert any("Why k = 1 collapses" in i.value for i in at.info)  # the open tab computed
    (text,) = _takeaways(at)
    assert "k = 1" in text


def test_an_old_link_with_layers_and_units_opens_the_same_view():
    """Links made before depth/width were declared once keep working (layers -> depth,
    units -> width) and open the same view."""
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update({"tab": "Skewed test batches", "k": "1", "mix": "100",
                            "layers": "3", "units": "8", **FAST})
    at.run()
    assert not at.exception
    assert at.session_state["tab"] == "Skewed test batches"
    assert (at.session_state["depth"], at.session_state["width"]) == (3, 8)
    assert (at.session_state["k"], at.session_state["mix"]) == (1, 100)
    (text,) = _takeaways(at)
    assert "k = 1 with 1 of its 1 examples in class 1 (100.0 %)" in text
    assert "cannot be judged at k = 1" in text  # issue 19, case 2: no verdict on the skew


def test_the_page_is_thin_and_its_labels_come_from_notation():
    src = Path(PAGE).read_text()
    assert "import numpy" not in src and "import pandas" not in src  # no arithmetic
    assert "_preset_" not in src  # presets open their tabs themselves
    dataset = next(c for c in LESSON.all_controls if c.key == "dataset")
    assert dataset.options == notation.labels(notation.DATASETS)
    assert list(dataset.options.values()) == ["Moons", "Circles", "XOR", "Blobs", "Spiral"]
    presets = LESSON.all_presets  # in tab order: each tab declares the moments it opens
    assert list(presets) == [
        "A test batch of one", "A test batch of only cats",
        "A slow running average (β_EMA = 0.999)",
        "Tiny training batches: plain BN vs Batch Renorm",
        "Why not use the running averages in training?"]
    assert [p.tab for p in presets.values()] == [
        "Test batch size", "Skewed test batches", "Running estimate", "Batch Renorm",
        "Running averages in training"]
    assert ESTIMATORS["ema"] == notation.ESTIMATORS["ema"].label


def test_running_averages_tab_says_its_verdict_with_three_variants():
    at = _run()
    at.button(key=preset_key("Why not use the running averages in training?")).click().run()
    assert not at.exception
    assert at.session_state["tab"] == "Running averages in training"
    (text,) = _takeaways(at)
    assert "Eval-mode test accuracy: plain BN" in text and "m = 32" in text
    assert "mean of 5 seeds" in text
    bars = _charts(at)[1]["data"]  # "At the end": one dot pair per variant
    assert [b["name"] for b in bars] == ["With BN", "Batch Renorm", "BN on running averages"]
    assert any(b.label == "Download the accuracy table (CSV)" for b in at.get("download_button"))


def test_followed_point_says_how_typical_it_is_and_the_page_has_a_glossary():
    at = _run({"point": "5", "k": "32"}, tab="Same point, new neighbours")
    (text,) = _takeaways(at)
    assert "Typical?" in text and "never flip" in text
    assert any(e.label == "Glossary" for e in at.expander)


@pytest.mark.parametrize("tab", ["Boundaries", "Same point, new neighbours"])
def test_side_by_side_tabs_never_say_left_or_right_and_show_the_chart_first(tab):
    at = _run({"k": "8"}, tab=tab)
    assert not at.exception
    words = " ".join([m.value for m in at.markdown] + [c.value for c in at.caption]
                     + [i.value for i in at.info])
    assert not re.search(r"\b(left|right)\b", words, re.I)  # stacked on a phone
    # projector-first: above the tabs only the title and a one-line intro; the equation of
    # the two modes waits in the "About this page" expander after the tabs
    main = [e for e in at.main.children.values()  # not the page CSS, nor the empty box
            if not (e.type == "markdown" and e.value.startswith("<style>"))  # the follower's
            and not (e.type == "flex_container" and not e.children)]  # badge goes into
    first_tabs = next(i for i, e in enumerate(main) if e.type == "tab_container")
    assert [e.type for e in main[:first_tabs]] == ["title", "markdown"]
    assert len(_shown(main[1].value)) < 110
    about = next(e for e in at.expander if e.label.startswith("About this page"))
    assert about.latex and "hat" in about.latex[0].value
