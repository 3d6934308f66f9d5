"""Figures of "Inside a BN layer": they draw exactly the numbers they are given, and their
in-browser recipes recompute the server's figure for another γ, β."""

import json

import numpy as np
import pytest

from bnsim.figures import style
from bnsim.figures.inside_layer import common as rows_figures
from bnsim.figures.inside_layer import gamma_and_beta as curve_figures
from bnsim.figures.inside_layer import learning_gamma_beta as path_figures
from bnsim.figures.inside_layer import with_vs_without_bn as sweep_figures
from bnsim.lessons.inside_layer import common, gamma_and_beta, learning_gamma_beta
from bnsim.lessons.inside_layer import with_vs_without_bn as sweeps
from bnsim.network import NetConfig
from bnsim.train import TrainConfig, train
from bnsim.ui import live
from bnsim.ui.cache import Trained
from bnsim.ui.inside_layer import common as page_common
from tests.helpers import arr, moons


def _stages(act="sigmoid"):
    z = np.array([0.3, -1.2, 2.5, 0.9, -0.4])
    return common.stages(z, 1.5, 0.5, 1e-5, act)


def test_stage_rows_draw_every_value_in_its_row():
    s = _stages()
    y = np.array([0, 1, 1, 0, 1])
    fig = rows_figures.stage_rows(s, y)
    by_name = {t.name: t for t in fig.data if t.name}
    dots = [by_name["examples of class 0"], by_name["examples of class 1"]]
    xs = np.concatenate([arr(t.x) for t in dots])
    rows = sum((list(t.y) for t in dots), [])
    for key, label in zip((k for k, _, _ in common.STAGES), rows_figures.ROW_LABELS, strict=True):
        if key in common.PER_EXAMPLE:
            got = np.sort([x for x, r in zip(xs, rows, strict=True) if r == label])
            np.testing.assert_allclose(got, np.sort(s.row(key)))
    stats = by_name["a mini-batch statistic"]
    assert dict(zip(stats.y, arr(stats.x), strict=True))["μ<sub>B</sub>"] == s.mu
    assert stats.marker.color == style.COLORS["batch"]
    lo, hi = fig.layout.xaxis.range
    assert lo <= min(s.z.min(), s.a.min(), 0) and hi >= max(s.z.max(), s.sigma2)
    assert list(fig.layout.yaxis.categoryarray)[-1] == "z"  # z on top


def test_activation_curve_shades_the_middle_except_for_relu():
    s = _stages()
    fig = curve_figures.activation_curve("sigmoid", s.z_norm, s.z_tilde, "learned")
    assert fig.layout.shapes[0].x1 == gamma_and_beta.MIDDLE["sigmoid"]
    pts = fig.data[2]
    np.testing.assert_allclose(arr(pts.y), 1 / (1 + np.exp(-s.z_tilde)), atol=1e-12)
    assert not curve_figures.activation_curve("relu", s.z_norm, s.z_tilde, "x").layout.shapes


def test_param_paths_one_line_per_optimiser_and_parameter():
    p = learning_gamma_beta.ParamPath("adam", np.array([1, 10, 100]), np.array([1.0, 1.2, 1.5]),
                    np.array([0.0, 0.1, -0.2]), 0.95)
    fig = path_figures.param_paths([p], 2, 1)
    assert len(fig.data) == 2
    np.testing.assert_allclose(arr(fig.data[0].y), p.gamma)
    np.testing.assert_allclose(arr(fig.data[1].y), p.beta)
    assert "γ<sup>[2]</sup><sub>1</sub>" in fig.layout.yaxis.title.text


def test_sweep_figures_draw_the_sweeps_numbers():
    sw = sweeps.sweep(sweeps.SweepSetting(depth=1, units=4, steps=60, n_seeds=2), lrs=(0.01, 1.0))
    acc = sweep_figures.sweep_accuracy(sw, 1.0)
    lines = [t for t in acc.data if t.mode == "lines+markers"]
    np.testing.assert_allclose(arr(lines[0].y), sw.acc(False))
    assert list(acc.layout.yaxis.ticktext) == ["40 %", "50 %", "60 %", "70 %", "80 %", "90 %",
                                               "100 %"]  # accuracy in %, as on every page
    for f in (acc, sweep_figures.sweep_steps(sw, 1.0)):  # the α-shown line is labelled
        (note,) = f.layout.annotations
        assert note.text == "α shown = 1" and note.x == 0.0  # log10(1)
    np.testing.assert_allclose(arr(lines[1].y), sw.acc(True))
    assert acc.layout.xaxis.type == "log"
    steps = sweep_figures.sweep_steps(sw, 1.0)
    np.testing.assert_allclose(arr(steps.data[1].y), sw.steps_to_target(True))
    loss = sweep_figures.sweep_loss(sw, 1.0)
    np.testing.assert_allclose(arr(loss.data[0].y),
                               sweeps.smoothed(sw.runs[1.0, False].loss, sweeps.SMOOTH)[0])
    assert loss.data[0].line.color == style.COLORS["without_bn"]


# ---------------------------------------------------------------- the in-browser redraw
SLIDERS = {"gamma": "γ (slider)", "beta": "β (slider)"}


def _x(trace) -> np.ndarray:
    """A trace's x as floats, gaps (None) as NaN."""
    v = trace.x
    return np.array([np.nan if x is None else x for x in v], dtype=float) if isinstance(
        v, tuple | list) else arr(v).astype(float)


@pytest.fixture(scope="module")
def looked():
    """A small network of three BN layers (widths 6) trained 120 steps, its snapshot table."""
    X, y, Xt, yt = moons()
    net = NetConfig(hidden=(6, 6, 6), bn=(True,) * 3, activation="tanh")
    trace = train(net, X, y, Xt, yt, TrainConfig(steps=120, batch_size=8, lr=0.05, seed=2))
    run = Trained(trace, X, y, Xt, yt)
    return run, common.snapshot_batches(trace, X, y)


DRAWN = {"layer": 2, "unit": 4, "step": 60, "bias": 0.0, "gb": "learned", "gamma": 1.0,
         "bn_beta": 0.0}


def _server_rows(run, table, v):
    vw = page_common.rows_view(run, table, v)
    return vw, rows_figures.stage_rows(vw.shown, run.y[vw.batch.idx])


def _plain(v):
    return [None if x is None else float(x) for x in (v if isinstance(v, tuple | list)
                                                      else arr(v).tolist())]


@pytest.mark.parametrize("gb, bias", [("learned", 0.0), ("undo", 1.5), ("sliders", -0.7)])
@pytest.mark.parametrize("move", [{"unit": 1}, {"unit": 6}, {"unit": 16}, {"layer": 1},
                                  {"layer": 3}, {"layer": 4}, {"step": 1}, {"step": 7},
                                  {"step": 119}, {"step": 5000}, {"gamma": 2.5, "beta": -1.0},
                                  {}])
def test_stages_preview_recomputes_the_servers_rows_for_another_layer_unit_or_step(
        looked, gb, bias, move):
    """The recipe drawn at layer 2, unit 4, step 60, recomputed in the browser's arithmetic
    (bnsim.ui.live.stages_values) for one moved slider, equals the server's rows figure for
    that view: every x (to 1e-12), every row label and example name, and the x range."""
    run, table = looked
    v0 = DRAWN | {"gb": gb, "bias": bias}
    vw0, _ = _server_rows(run, table, v0)
    recipe = page_common.rows_preview(vw0, run, v0)
    assert recipe["kind"] == "stages"
    assert set(recipe["sliders"]) == {"layer", "unit", "step"} | (
        {"gamma", "beta"} if gb == "sliders" else set())
    move = {k: x for k, x in move.items() if k in recipe["sliders"]}
    got = live.stages_values(recipe, move)  # the recipe's names: "beta" is BN's β (bn_beta)
    keys = page_common.RECIPE_KEYS
    vw, server = _server_rows(run, table, v0 | {keys[k]: x for k, x in move.items()})
    for i, trace in enumerate(server.data):
        want = _plain(trace.x)
        assert [x is None for x in got["x"][i]] == [x is None for x in want]
        np.testing.assert_allclose([np.nan if x is None else x for x in got["x"][i]],
                                   [np.nan if x is None else x for x in want], rtol=0,
                                   atol=1e-12)
        assert list(got["y"][i]) == list(trace.y)
        if trace.text is not None:
            assert list(got["text"][i]) == list(trace.text)
    np.testing.assert_allclose(got["range"], server.layout.xaxis.range, rtol=0, atol=1e-12)
    if move and move.get("layer") != 4 and move.get("unit") not in (6, 16) and \
            move.get("step") != 5000 and (gb == "sliders" or "gamma" not in move):
        assert _plain(server.data[1].x) != _plain(_server_rows(run, table, v0)[1].data[1].x)


def test_stages_preview_waits_for_the_server_when_two_view_sliders_moved(looked):
    run, table = looked
    vw, _ = _server_rows(run, table, DRAWN)
    recipe = page_common.rows_preview(vw, run, DRAWN)
    assert live.stages_values(recipe, {"unit": 1, "layer": 1}) is None
    assert live.stages_values(recipe, {"unit": 1, "step": 1}) is None
    packed = json.loads(json.dumps(live._packed(recipe), allow_nan=False))
    assert packed["step_z"]["dtype"] == "f8" and packed["step_y"]["dtype"] == "i4"
    S, m = len(table.steps), 8
    assert len(arr(packed["step_z"])) == S * m and len(arr(packed["unit_z"])) == 6 * m


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("gamma, beta", [(2.35, -1.4), (5.0, 5.0), (0.0, -5.0), (1.0, 0.0)])
def test_curve_preview_moves_the_batch_markers_range_and_name(act, gamma, beta):
    s = _stages(act)
    recipe = curve_figures.curve_preview(s, SLIDERS)
    new = common.stages(s.z, gamma, beta, 1e-5, act)
    server = curve_figures.activation_curve(act, new.z_norm, new.z_tilde,
                                            curve_figures.curve_label(gamma, beta))
    x, y = live.affine_values(recipe, gamma, beta)
    np.testing.assert_allclose(x, arr(server.data[2].x), rtol=0, atol=1e-12)
    np.testing.assert_allclose(y, arr(server.data[2].y), rtol=0, atol=1e-12)
    (spec,) = recipe["ranges"]
    assert live.affine_range(spec, [x, y]) == pytest.approx(list(server.layout.xaxis.range),
                                                             abs=1e-12)
    (name,) = recipe["names"]
    assert name["trace"] == 2 and name["text"].format(gamma=f"{gamma:.3g}", beta=f"{beta:.3g}") \
        == server.data[2].name


def test_the_curve_recipe_travels_as_json_with_typed_arrays():
    recipe = curve_figures.curve_preview(_stages(), SLIDERS)
    packed = json.loads(json.dumps(live._packed(recipe), allow_nan=False))
    assert packed["traces"][0]["op"]["dtype"] == "i4" and packed["base"]["dtype"] == "f8"
    assert set(arr(packed["traces"][0]["op"]).tolist()) == {2}  # z̃
    assert set(arr(packed["traces"][1]["op"]).tolist()) == {3}  # a = g(z̃)
