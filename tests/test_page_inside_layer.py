"""The "Inside a BN layer" page through Streamlit's AppTest (short trainings via the URL)."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from bnsim.lessons.inside_layer import common
from bnsim.lessons.inside_layer import with_vs_without_bn as sweeps
from bnsim.ui import live
from bnsim.ui.controls import preset_key
from bnsim.ui.inside_layer import LESSON
from bnsim.ui.inside_layer import common as page_common
from bnsim.ui.inside_layer import with_vs_without_bn as sweep_tab
from tests.apptest_charts import chart_by_key
from tests.helpers import arr

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "1_Inside_a_BN_layer.py")
FAST = {"steps": "300"}


def _run(qp=None, tab=None):
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params.update({**FAST, **(qp or {})})
    if tab:
        at.query_params["tab"] = tab
    return at.run()


def _takeaways(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith(":material/lightbulb:")]


def _ok(at):
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("tab", ["One mini-batch", "γ and β", "Learning γ, β"])
def test_each_tab_runs_with_a_takeaway_and_the_glossary(tab):
    at = _run(tab=tab)
    _ok(at)
    assert _takeaways(at)
    assert any(e.label == "Glossary" for e in at.expander)


def test_first_tab_rows_match_the_core_and_list_the_numbers():
    at = _run({"layer": "2", "unit": "3"})
    _ok(at)
    # m = 8 ≤ 8: the numbers are listed, in a light Markdown table (no data grid)
    table = next(m.value for m in at.markdown if m.value.startswith("| operation | shape |"))
    assert len(table.splitlines()) == 2 + len(common.STAGES)
    assert not at.get("dataframe")
    fig = chart_by_key(at, "fig_rows")
    stats = next(t for t in fig["data"] if t.get("name") == "a mini-batch statistic")
    mu = dict(zip(stats["y"], arr(stats["x"]), strict=True))["μ<sub>B</sub>"]
    run = page_common.train_run({c.key: c.default for c in LESSON.all_controls} | {"steps": 300})
    b = common.batch_at(run.trace, run.X, run.y, 300, 2)
    assert mu == pytest.approx(b.z[:, 2].mean(), abs=1e-12)
    assert any("(8, 8)" in m.value for m in at.markdown)


def test_bias_slider_is_cancelled_with_the_difference_quoted():
    at = _run({"bias": "3.0"})
    _ok(at)
    text = next(t for t in _takeaways(at) if "b^[l] = 3" in t)
    diff = float(re.search(r"at most ([\d.e+-]+) \(rounding\)", text).group(1))
    assert diff < 1e-12


def test_undo_button_gives_z_back():
    at = _run(tab="γ and β")
    at.button(key="undo").click().run()
    _ok(at)
    text = next(t for t in _takeaways(at) if "z̃ equals z" in t)
    assert float(re.search(r"to ([\d.e+-]+) \(rounding\)", text).group(1)) <= 1e-12


def test_sliders_set_gamma_and_beta():
    at = _run({"gb": "sliders", "gamma": "2.0", "bn_beta": "-1.0"}, tab="γ and β")
    _ok(at)
    fig = chart_by_key(at, "fig_curve")
    shown = arr(fig["data"][2]["x"])
    identity = arr(fig["data"][1]["x"])
    np.testing.assert_allclose(shown, 2.0 * identity - 1.0, atol=1e-12)


def test_an_old_link_with_beta_opens_bn_beta_and_the_url_says_bn_beta():
    """Links made before BN's β was renamed (``beta`` -> ``bn_beta``, so that it never shares a
    key with β_EMA) open the same β."""
    at = _run({"gb": "sliders", "beta": "1.5"}, tab="γ and β")
    _ok(at)
    assert at.slider(key="bn_beta").value == 1.5
    assert "beta" not in at.query_params and at.query_params["bn_beta"] in ("1.5", ["1.5"])
    fig = chart_by_key(at, "fig_curve")
    np.testing.assert_allclose(arr(fig["data"][2]["x"]), arr(fig["data"][1]["x"]) + 1.5,
                               atol=1e-12)  # γ = 1 (the slider's default), β = 1.5


def test_relu_says_the_linear_middle_claim_does_not_apply():
    at = _run({"act": "ReLU"}, tab="γ and β")
    _ok(at)
    assert any("Does not apply" in t for t in _takeaways(at))


@pytest.mark.parametrize("qp", [{"layer": "4"}, {"unit": "16", "units": "4"},
                                {"step": "5000"}, {"batch": "2"}, {"lr": "3"},
                                {"layers": "1", "layer": "3"}, {"bias": "banana"}])
def test_no_traceback_for_odd_values(qp):
    at = _run(qp)
    assert not at.exception, at.exception


def test_presets_open_their_tab():
    at = _run()
    at.button(key=preset_key("γ, β undo BN")).click().run()
    _ok(at)
    assert at.query_params.get("tab") in (["γ and β"], "γ and β") or at.session_state["tab"] == \
        "γ and β"
    assert any("z̃ equals z" in t for t in _takeaways(at))


def test_sweep_tab_with_a_small_cached_sweep(monkeypatch):
    """The sweep tab wired to a tiny sweep (the full one is tested in the claims test)."""
    small = sweeps.sweep(sweeps.SweepSetting(depth=1, units=4, steps=60, n_seeds=2),
                         lrs=(0.01, 0.3))

    def fake(v):  # noqa: ARG001 - same signature as the page's call
        return small

    monkeypatch.setattr(sweep_tab, "sweep_of", fake)
    at = _run({"sw_lr": "0.3"}, tab="With vs without BN")
    _ok(at)
    assert any("At α = 0.3" in t for t in _takeaways(at))
    assert at.get("download_button")


def _preview(at, key: str) -> dict | None:
    """The in-browser recipe sent with the live chart ``key`` (typed arrays unpacked)."""
    def unpack(x):
        if isinstance(x, dict):
            return arr(x) if "bdata" in x else {k: unpack(v) for k, v in x.items()}
        return [unpack(v) for v in x] if isinstance(x, list) else x

    for c in at.get("component_instance"):
        if c.proto.id.endswith(f"-{key}"):
            raw = json.loads(c.proto.json_args).get("preview")
            return unpack(json.loads(raw)) if raw else None
    raise AssertionError(f"no live chart {key!r}")


def _x_of(trace) -> np.ndarray:
    x = trace["x"]
    return np.array([np.nan if u is None else u for u in x], float) if isinstance(x, list) \
        else arr(x).astype(float)


def test_gamma_beta_sliders_send_a_recipe_that_gives_the_next_figure():
    """In the sliders' mode the curve carries the γ, β recipe and the rows follow γ, β too;
    applied to the next slider values they give the charts the server then sends (to 1e-12).
    In the other modes the curve sends none."""
    at = _run({"gb": "sliders", "gamma": "1.0", "beta": "0.0"}, tab="γ and β")
    _ok(at)
    rows, curve = _preview(at, "fig_rows_gb"), _preview(at, "fig_curve")
    assert curve["kind"] == "affine" and (curve["gamma"], curve["beta"]) == (1.0, 0.0)
    assert curve["sliders"] == {"gamma": "γ (slider)", "beta": "β (slider)"}
    assert rows["kind"] == "stages" and (rows["gamma"], rows["beta"]) == (1.0, 0.0)
    assert rows["sliders"] == page_common.VIEW_SLIDERS | curve["sliders"]
    assert {s.label for s in at.slider} >= set(rows["sliders"].values())
    at.slider(key="gamma").set_value(2.35)
    at.slider(key="bn_beta").set_value(-1.4).run()
    _ok(at)
    fig = chart_by_key(at, "fig_curve")
    values = live.affine_values(curve, 2.35, -1.4)
    for t, got in zip(curve["traces"], values, strict=True):
        np.testing.assert_allclose(got, arr(fig["data"][t["trace"]][t["attr"]]), rtol=0,
                                   atol=1e-12)
    np.testing.assert_allclose(live.affine_range(curve["ranges"][0], values),
                               fig["layout"]["xaxis"]["range"], rtol=0, atol=1e-12)
    assert fig["data"][2]["name"] == "γ = 2.35, β = -1.4"
    fig = chart_by_key(at, "fig_rows_gb")
    got = live.stages_values(rows, {"gamma": 2.35, "beta": -1.4})
    for i in range(4):
        np.testing.assert_allclose(np.array(got["x"][i], float), _x_of(fig["data"][i]),
                                   rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["range"], fig["layout"]["xaxis"]["range"], rtol=0,
                               atol=1e-12)
    at.radio(key="gb").set_value(page_common.GB_MODES["learned"]).run()
    assert _preview(at, "fig_curve") is None
    assert set(_preview(at, "fig_rows_gb")["sliders"]) == {"layer", "unit", "step"}


@pytest.mark.parametrize("move", [("unit", 5), ("layer", 1), ("step", 120)])
def test_layer_unit_and_step_send_a_recipe_that_gives_the_next_figure(move):
    """The first tab's rows carry the neighbours along layer, unit and step: the recipe applied
    to the moved slider gives the figure the server then sends (to 1e-12)."""
    at = _run({"steps": "300"})
    _ok(at)
    recipe = _preview(at, "fig_rows")
    assert recipe["kind"] == "stages" and recipe["sliders"] == page_common.VIEW_SLIDERS
    key, value = move
    before = chart_by_key(at, "fig_rows")
    at.slider(key=key).set_value(value).run()
    _ok(at)
    fig = chart_by_key(at, "fig_rows")
    got = live.stages_values(recipe, {key: value})
    assert not np.allclose(np.nan_to_num(_x_of(fig["data"][1])[:3]),
                           np.nan_to_num(_x_of(before["data"][1])[:3]))  # the view changed
    for i in range(4):
        np.testing.assert_allclose(np.array(got["x"][i], float), _x_of(fig["data"][i]),
                                   rtol=0, atol=1e-12)
        assert list(got["y"][i]) == list(fig["data"][i]["y"])


def test_formulas_are_the_same_bytes_for_every_unit_layer_and_step():
    """The formula block depends only on n and m: moving layer, unit or step re-sends nothing
    to typeset (the numbers change in the Markdown table beside it)."""
    blocks = []
    for qp in ({"unit": "1"}, {"unit": "5", "layer": "1"}, {"step": "120"}):
        at = _run(qp)
        _ok(at)
        assert len(at.latex) == 2  # the nine rows in one block + the bias algebra
        blocks.append(at.latex[0].value)
    assert blocks[0] == blocks[1] == blocks[2]
    assert blocks[0].count("(8, 8)") == 6 and blocks[0].count("(8, 1)") == 3


def test_the_intro_is_one_line_and_the_rest_is_in_about():
    at = _run()
    _ok(at)
    assert "\n" not in LESSON.intro and len(LESSON.intro) < 160
    assert any(e.label == "About this page" for e in at.expander)


def _captions(at) -> list[str]:
    return [str(c.value) for c in at.sidebar.caption]


def test_gamma_and_beta_sliders_say_why_they_do_nothing_unless_sliders_are_used():
    """Issue 19, case 8: a lecturer who moves γ while “γ, β used” is “learned” reads why
    nothing happens right under the slider; in the sliders' mode no such note."""
    for gb in ("learned", "undo BN"):
        at = _run({"gb": gb, "gamma": "2.0"}, tab="γ and β")
        _ok(at)
        notes = [c for c in _captions(at) if "set it to “sliders”" in c]
        assert len(notes) == 2 and f"“{gb}”" in notes[0], _captions(at)  # γ and β
    at = _run({"gb": "sliders", "gamma": "2.0"}, tab="γ and β")
    _ok(at)
    assert not [c for c in _captions(at) if "set it to “sliders”" in c]


def test_step_beyond_the_steps_trained_says_so():
    at = _run({"step": "4000"})
    _ok(at)
    assert any("beyond the 300 steps trained" in c for c in _captions(at))
    at = _run({"step": "120"})
    assert not any("steps trained" in c for c in _captions(at))


def test_each_tab_shows_only_the_controls_that_act_on_it():
    """The sweep trains its own networks (moons, its own controls); "Learning γ, β" sets each
    optimiser's α itself; the other controls are hidden there (folded away)."""
    assert LESSON.controls == ()
    tabs = {t.title: {c.key for c in t.controls} for t in LESSON.tabs}
    assert tabs["With vs without BN"] == {c.key for c in sweep_tab.CONTROLS}
    assert not {"opt", "lr", "step", "bias", "gb", "gamma", "bn_beta"} & tabs["Learning γ, β"]
    assert {"gamma", "bn_beta", "gb", "bias", "step"} <= tabs["γ and β"] <= tabs["One mini-batch"]


def test_the_larger_alpha_preset_states_the_largest_alpha_with_and_without_bn():
    """Issue 19, case 6: the forum's "a larger learning rate?" preset (ReLU, 5 seeds) says
    which α still trains with and without BN."""
    at = _run()
    at.button(key=preset_key(sweep_tab.LARGER_LR)).click().run()
    _ok(at)
    text = next(t for t in _takeaways(at) if "largest α" in t)
    assert "α = 3 with BN, α = 0.3 without" in text and "in all 5 runs" in text
    assert "BN lets the network train at a larger learning rate" in text
