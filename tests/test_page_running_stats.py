"""The "Running statistics" page through Streamlit's AppTest (real training, small runs)."""

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from bnsim import data, running
from bnsim.figures.style import math as typeset
from bnsim.network import NetConfig
from bnsim.train import TrainConfig, train
from bnsim.ui import cache
from bnsim.ui.controls import preset_key
from bnsim.ui.running_stats import LESSON
from bnsim.ui.running_stats import common as running_stats_ui
from tests.apptest_charts import chart_by_key as _figure
from tests.apptest_charts import chart_specs, view_elements
from tests.helpers import arr

BATCH = typeset("mini-batch μ_B, σ²_B")  # the dots' legend name, typeset: μ<sub>B</sub>
TITLES = [tab.title for tab in LESSON.tabs]
PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "3_Running_statistics.py")
SMALL = {"steps": "200"}


def _run(qp=None, at=None) -> AppTest:
    at = at or AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update({**SMALL, **(qp or {})})
    return at.run()




def _trajectory(at) -> dict:
    """The μ plot and the σ² plot drawn beside it, as one figure (axes y and y2)."""
    mu, var = _figure(at, "trajectory"), _figure(at, "trajectory_var")
    return {"data": mu["data"] + var["data"], "layout": {**mu["layout"], **var["layout"]}}


def _trace(fig: dict, name: str, axis: str = "y") -> np.ndarray:
    t = [t for t in fig["data"] if t.get("name") == name and t.get("yaxis", "y") == axis]
    assert t, [t.get("name") for t in fig["data"]]
    return arr(t[0]["y"])


def _no_errors(at):
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def _charts_in(node) -> int:
    """How many charts (live or ``st.plotly_chart``) an element tree holds."""
    own = node.type == "plotly_chart" or (
        node.type == "component_instance" and node.proto.component_name.endswith(".live_chart"))
    return own + sum(_charts_in(c) for c in getattr(node, "children", {}).values())


def _text(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def test_defaults_run_and_show_the_main_figure():
    at = AppTest.from_file(PAGE, default_timeout=60).run()  # the real defaults (1000 steps)
    _no_errors(at)
    fig = _trajectory(at)
    dots = [t for t in fig["data"] if t["name"] == BATCH][0]
    x = arr(dots["x"])  # the first 30 mini-batches, then every 4th of 1000, and the last
    assert list(x[:30]) == list(range(1, 31)) and x[-1] == 1000 and len(x) < 300 + 30
    assert set(np.diff(x[30:-1])) == {4}
    assert any("then every 4th of 1000; lines: every 2nd step" in c.value for c in at.caption)
    ema = [t for t in fig["data"] if t["name"] == "EMA (lecture)"][0]
    np.testing.assert_array_equal(arr(ema["x"])[30:40], np.arange(31, 50, 2))
    for name in ("EMA (lecture)", "bias-corrected EMA", "cumulative average",
                 "population statistics"):
        assert len(_trace(fig, name, "y2")) > 0
    assert "β_EMA = 0.900" in _text(at) and "`momentum=0.1`" in _text(at)
    takeaways = [m.value.replace("*", "") for m in at.markdown  # without the words' italics
                 if m.value.startswith(":material/lightbulb:")]
    assert re.search(r"μ settles within 20 % of σ_pop of the population value: the "
                     r"EMA (from step \d+ on|not by step 1000 \(\d+\.\d % off\)); the "
                     r"bias-corrected EMA .*; the cumulative average ", takeaways[0])
    assert re.search(r"σ² settles within 20 % of σ²_pop of the population value", takeaways[0])
    assert "The unbiased m/(m − 1)·σ²_B of m = 32 average" in takeaways[1]
    # layer 2 has BN below: the same mini-batches replayed without their batch-mates' BN
    assert "the same mini-batches, with layer 1 normalised by population statistics" in (
        takeaways[1])
    assert at.get("download_button")
    assert fig["layout"]["xaxis"]["type"] == "log"  # the first steps are visible at once
    assert len(chart_specs(at)) == 2  # the first tab, the trajectory, is open; only it is drawn


def test_beta_changes_the_running_estimate_but_not_the_recorded_batch_stats():
    at = _run()
    before = _trajectory(at)
    at.slider(key="ema_beta").set_value(0.5).run()
    _no_errors(at)
    after = _trajectory(at)
    for axis in ("y", "y2"):
        np.testing.assert_array_equal(_trace(before, BATCH, axis),
                                      _trace(after, BATCH, axis))
        np.testing.assert_array_equal(_trace(before, "population statistics", axis),
                                      _trace(after, "population statistics", axis))
        assert not np.allclose(_trace(before, "EMA (lecture)", axis),
                               _trace(after, "EMA (lecture)", axis))
    # the cumulative average has no β
    np.testing.assert_array_equal(_trace(before, "cumulative average"),
                                  _trace(after, "cumulative average"))
    assert "β_EMA = 0.500" in _text(at) and "`momentum=0.5`" in _text(at)


def test_view_controls_never_retrain(monkeypatch):
    at = _run()
    keys, trainings = [], []
    real_key = cache.trained
    monkeypatch.setattr(cache, "trained", lambda s: keys.append(s) or real_key(s))
    real_train = cache.train
    monkeypatch.setattr(cache, "train", lambda *a, **k: trainings.append(1) or real_train(*a, **k))
    for key, value in (("ema_beta", 0.99), ("layer", 1), ("unit", 5), ("step", 50), ("tol", 30)):
        at.slider(key=key).set_value(value).run()
        _no_errors(at)
    at.toggle(key="bc").set_value(False).run()
    at.radio(key="var").set_value("biased (Keras)").run()
    at.toggle(key="logx").set_value(False).run()  # on by default
    _no_errors(at)
    # 8 reruns, each asking the tab's view and the footer for the run: one cache key
    assert len(keys) == 2 * 8 and len(set(keys)) == 1
    assert trainings == []  # ... and it was a cache hit every time
    at.slider(key="batch").set_value(23).run()  # a training control does retrain (new key)
    assert trainings == [1]


def test_url_parameters_set_the_controls():
    qp = {"ema_beta": "0.75", "layer": "1", "unit": "3", "var": "biased (Keras)", "batch": "20",
          "ema": "false", "step": "40"}
    at = _run(qp)
    _no_errors(at)
    assert at.slider(key="ema_beta").value == 0.75
    assert at.slider(key="batch").value == 20
    assert at.radio(key="var").value == "biased (Keras)"
    text = _text(at)
    assert "β_EMA = 0.750" in text and "layer 1 (BN), unit 3" in text and "m = 20" in text
    assert "averages over about 1/(1 − β_EMA) = 4 mini-batches" in text
    fig = _trajectory(at)
    names = {t["name"] for t in fig["data"]}
    assert "EMA (lecture)" not in names and "bias-corrected EMA" in names
    assert fig["layout"]["yaxis2"]["title"]["text"].startswith("variance σ² (biased")
    at = _run({**qp, "panel": "Distribution at a step"})
    _no_errors(at)
    assert "β_EMA = 0.750" in _text(at) and "layer 1 (BN), unit 3" in _text(at)
    dist = _figure(at, "distribution")
    assert dist["layout"]["xaxis"]["title"]["text"].startswith("z at step")
    assert len(chart_specs(at)) == 1  # only the open tab is computed: no trajectory


@pytest.mark.parametrize("panel, keys", [
    (None, ["trajectory", "trajectory_var"]),
    ("Trajectory", ["trajectory", "trajectory_var"]),
    ("Error vs population", ["errors", "errors_var"]),
    ("Step by step", ["scrub"]),
    ("Distribution at a step", ["distribution"]),
    ("PyTorch & Keras", []),
    ("Formulas", []),
])
def test_each_panel_link_opens_its_tab_with_its_chart_first(panel, keys):
    """Links made before the trajectory became a tab still open the same tab; a link without
    ``panel`` opens the trajectory. The open tab's chart is its first element, and no other
    tab's chart is computed."""
    at = _run({} if panel is None else {"panel": panel})
    _no_errors(at)
    assert at.session_state["panel"] == (panel or "Trajectory")
    specs = chart_specs(at)
    assert len(specs) == len(keys)
    for key in keys:
        assert _figure(at, key)
    opened = at.tabs[TITLES.index(panel or "Trajectory")]
    first = view_elements(opened)[0]
    if keys:  # the first element is the chart (or the columns or box holding the charts)
        assert _charts_in(first) == len(keys), first.type
    else:  # the table or the lecture's equation
        assert first.type == "latex" or first.value.startswith("| |"), first.type
    takeaways = [m.value for m in at.markdown if m.value.startswith(":material/lightbulb:")]
    assert len(takeaways) == {None: 2, "Trajectory": 2}.get(panel, 1 if keys else 0)


def test_a_stored_lecture_link_with_the_old_dataset_label_still_opens(monkeypatch):
    """Links made when the option read "Xor" (before the label registry) open XOR."""
    datasets = []
    real = cache.trained
    monkeypatch.setattr(cache, "trained", lambda s: datasets.append(s.dataset) or real(s))
    at = _run({"dataset": "Xor", "beta": "0.99", "panel": "Distribution at a step",
               "layer": "1"})
    _no_errors(at)
    assert at.selectbox(key="dataset").value == "XOR" and set(datasets) == {"xor"}
    # ... and β_EMA, whose key was ``beta`` then, under its key now
    assert at.slider(key="ema_beta").value == 0.99 and at.slider(key="layer").value == 1
    assert "β_EMA = 0.990" in _text(at) and "layer 1 (BN), unit 1" in _text(at)
    assert not [c.value for c in at.caption if "ignored" in c.value]
    assert "Some link settings were not valid" not in _text(at)
    assert _figure(at, "distribution")


def test_a_link_with_the_old_beta_key_opens_beta_ema():
    """``?beta=`` was β_EMA's key on this page (it is BN's shift β elsewhere): a link made
    before opens β_EMA 0.99 under its key now, ``ema_beta``, and rewrites the address."""
    at = _run({"beta": "0.99"})
    _no_errors(at)
    assert at.slider(key="ema_beta").value == 0.99
    assert "β_EMA = 0.990" in _text(at) and "`momentum=0.01`" in _text(at)
    assert "beta" not in at.query_params
    assert not [c.value for c in at.caption if "ignored" in c.value]


@pytest.mark.parametrize("qp, bad", [
    ({"ema_beta": "abc"}, "ema_beta=abc"),
    ({"ema_beta": "1.5"}, "ema_beta=1.5"),
    ({"unit": "-3"}, "unit=-3"),
    ({"opt": "sgd"}, "opt=sgd"),
    ({"var": "both"}, "var=both"),
])
def test_garbage_url_values_fall_back_with_a_note(qp, bad):
    at = _run(qp)
    _no_errors(at)
    notes = [c.value for c in at.caption]
    assert any(bad in n and "allowed" in n for n in notes), notes
    assert at.slider(key="ema_beta").value == 0.9 and at.slider(key="unit").value == 1


def test_unit_and_layer_are_clipped_to_the_network_with_a_note():
    at = _run({"width": "8", "unit": "40", "depth": "1", "layer": "3"})
    _no_errors(at)
    infos = " ".join(i.value for i in at.info)
    assert "1 hidden layer; showing layer 1 instead of 3" in infos
    assert "Layer 1 has 8 units (1–8); showing unit 8 instead of 40" in infos
    assert "layer 1 (BN), unit 8" in _text(at)


def test_layer_without_bn_explains_and_still_shows_the_batch_stats():
    at = _run({"bn": ["layer 2"], "layer": "1"})
    _no_errors(at)
    assert any("has no BN" in i.value for i in at.info)
    fig = _trajectory(at)
    assert {t["name"] for t in fig["data"]} == {BATCH,
                                               "population statistics"}
    assert "keeps no running estimate" in _text(at)


def _expected_pytorch(steps: int, beta: float, layer: int, unit: int):
    """The PyTorch running statistics after the last step, from the core's framework rule fed
    with the recorded batch statistics of an independently trained, identical network."""
    X, y, Xt, yt = data.train_test("moons", running_stats_ui.N_TRAIN, 400, 0.1, 0)
    tr = train(NetConfig(), X, y, Xt, yt, TrainConfig(steps=steps, batch_size=32, lr=0.01))
    how = running.rule("pytorch", 1 - beta)
    mean, var = 0.0, 1.0
    for t in range(steps):
        mean, var = running.update(mean, var, tr.batch_mean[t, layer - 1, unit],
                                   tr.batch_var[t, layer - 1, unit], 32, t + 1, how)
    return mean, var


def test_framework_panel_numbers_match_pytorch_behaviour():
    at = _run({"ema_beta": "0.8", "panel": "PyTorch & Keras", "unit": "6"})  # index 5
    _no_errors(at)
    table = next(m.value for m in at.markdown if m.value.startswith("| |"))
    row = next(r for r in table.splitlines() if r.startswith("| **PyTorch**"))
    mean, var = (float(c) for c in row.strip("|").split("|")[-2:])
    expect = _expected_pytorch(200, 0.8, 2, 5)
    assert (mean, var) == pytest.approx(expect, rel=1e-5)
    assert "momentum=0.2" in at.code[0].value and "momentum=0.8" in at.code[0].value
    keras = next(r for r in table.splitlines() if r.startswith("| **Keras**"))
    assert "biased σ²_B" in keras and float(keras.strip("|").split("|")[-1]) < var


def test_every_tab_opens_and_presets_run():
    at = _run()
    for panel in ("Step by step", "Distribution at a step", "PyTorch & Keras", "Formulas"):
        at = _run({"panel": panel})
        _no_errors(at)
    assert len(at.get("latex")) >= 8
    scrub = _figure(_run({"panel": "Step by step"}), "scrub")
    assert len(scrub["frames"]) == 100 and scrub["layout"]["sliders"][0]["steps"]
    at = _run({"panel": "Formulas"})
    at.button(key=preset_key("Tiny batches: noisy μ_B, biased σ²_B")).click().run()
    _no_errors(at)
    assert at.slider(key="batch").value == 4 and at.radio(key="var").value == "biased (Keras)"
    assert at.session_state["panel"] == "Trajectory"  # a preset opens the trajectory
    assert _trajectory(at)


@pytest.mark.parametrize("qp", [
    {"ema_beta": "0", "step": "5000"},
    {"ema_beta": "0.999", "tol": "1", "panel": "Step by step"},
    {"steps": "50", "batch": "256", "depth": "4", "width": "2", "panel": "Distribution at a step"},
    {"act": "sigmoid", "lr": "0.3", "opt": "rmsprop", "logx": "false"},
])
def test_extreme_settings_show_no_error(qp):
    at = _run(qp)
    _no_errors(at)


def test_diverged_training_warns_and_shows_the_steps_before(monkeypatch):
    X, y, _, _ = data.train_test("moons", 200, 10, 0.1, 0)
    early = train(NetConfig(hidden=(16,), bn=(False,)), X * 1e3, y,
                  cfg=TrainConfig(steps=200, optimizer="gd", lr=10.0, batch_size=32))
    assert early.diverged
    ok = train(NetConfig(), X, y, cfg=TrainConfig(steps=60))
    later = dataclasses.replace(ok, diverged=True, diverged_at=61)  # as if step 61 blew up
    for tr in (early, later):
        monkeypatch.setattr(running_stats_ui, "train_run",
                            lambda _v, tr=tr: running_stats_ui.Run(tr, X, y, "a diverged run"))
        at = _run({"layer": "1"})
        assert not at.exception and not at.error
        assert any(f"diverged at step {tr.diverged_at}" in w.value for w in at.warning)
    assert _trajectory(at)  # the 60 steps before are still shown


def test_the_framework_box_says_what_pytorch_and_keras_do():
    at = _run({"panel": "PyTorch & Keras"})
    _no_errors(at)
    text = _text(at)
    assert "What the frameworks do" in text
    assert "`ValueError: Expected more than 1 value per channel when training`" in text
    assert "PyTorch's momentum is 0.1 (β_EMA = 0.9), Keras' is 0.99 (β_EMA = 0.99)" in text
    assert "biased σ²_B (1/m) but stores the unbiased m/(m − 1)·σ²_B" in text
    assert "neither bias-corrects" in text
    box = at.code[1].value
    assert "nn.BatchNorm1d(16, momentum=0.1)" in box
    assert "keras.layers.BatchNormalization(momentum=0.99)" in box
    table = next(m.value for m in at.markdown if m.value.startswith("| |"))
    keras = next(r for r in table.splitlines() if r.startswith("| **Keras**"))
    assert "| 0.99 (β_EMA = 0.99) |" in keras  # the default, next to the chosen β_EMA = 0.9


def test_beta_zero_reads_right_and_the_glossary_explains_the_words():
    at = _run({"ema_beta": "0", "panel": "Step by step"})
    _no_errors(at)
    text = _text(at)
    assert "β_EMA = 0 keeps no memory: the EMA is the last mini-batch's value" in text
    assert "1 mini-batches" not in text
    assert "no memory, and the start value v₀ = 0 is gone after the first step" in text
    assert at.main.expander[-1].label == "Glossary"  # the last thing on the page
    for term in ("eval mode", "running estimate", "bias correction", "population statistics"):
        assert f"**{term}**" in text


def test_bias_correction_is_labelled_with_the_formula_it_computes():
    at = _run({"panel": "Formulas"})
    _no_errors(at)
    assert at.toggle(key="bc").label == "Bias correction (v_t − β_EMA^t·v₀)/(1 − β_EMA^t)"
    help_text = at.toggle(key="ema").help
    assert "PyTorch's and Keras' choice" in help_text and "as the lecture writes" not in help_text
    latex = [x.value for x in at.get("latex")]
    assert any(r"v_t - \beta_{\text{EMA}}^t v_0" in x for x in latex)  # what is computed
    assert any("the same for } v_0 = 0" in x for x in latex)  # ... and the lecture's form


def test_batch_of_two_says_why_the_variance_overshoots_and_what_it_means():
    """Issue 19, case 3 (``?batch=2``, layer 2): σ²_B of z^[2] far above σ²_pop gets its reason
    on screen, measured (the same mini-batches without layer 1's batch normalisation), and
    what the σ² line that never settles means for eval mode."""
    at = _run({"batch": "2", "steps": "1000"})
    _no_errors(at)
    takeaways = [m.value for m in at.markdown if m.value.startswith(":material/lightbulb:")]
    assert len(takeaways) == 3, takeaways
    assert re.search(r"The unbiased m/\(m − 1\)·σ²_B of m = 2 average 1\d\d\.\d % of σ²_pop in "
                     r"this run; the same mini-batches, with layer 1 normalised by population "
                     r"statistics \(as eval mode approximates\), would average \d+\.\d %\. "
                     r"So BN in layer 1 adds \d+\.\d % of σ²_pop", takeaways[1]), takeaways[1]
    assert "−1 and +1" in takeaways[1]
    assert re.search(r"The running σ̂² averages these σ²_B, not σ²_pop: the EMA ends at "
                     r"\d+\.\d % of σ²_pop at step 1000, outside the 20 % tolerance, so in "
                     r"eval mode layer 2 would scale the training set's z\^\[2\] to a spread of "
                     r"about √\(σ²_pop/σ̂²\) = 0\.\d+", takeaways[2]), takeaways[2]
