"""Figures of "Inside a BN layer": they draw exactly the numbers they are given, and their
in-browser recipes recompute the server's figure for another γ, β."""

import json

import numpy as np
import pytest

from bnsim import inside_layer as E
from bnsim.figures import inside_layer as figs
from bnsim.figures import style
from bnsim.ui import live
from tests.helpers import arr


def _stages(act="sigmoid"):
    z = np.array([0.3, -1.2, 2.5, 0.9, -0.4])
    return E.stages(z, 1.5, 0.5, 1e-5, act)


def test_stage_rows_draw_every_value_in_its_row():
    s = _stages()
    y = np.array([0, 1, 1, 0, 1])
    fig = figs.stage_rows(s, y)
    by_name = {t.name: t for t in fig.data if t.name}
    dots = [by_name["examples of class 0"], by_name["examples of class 1"]]
    xs = np.concatenate([arr(t.x) for t in dots])
    rows = sum((list(t.y) for t in dots), [])
    for key, _, label in E.STAGES:
        if key in E.PER_EXAMPLE:
            got = np.sort([x for x, r in zip(xs, rows, strict=True) if r == label])
            np.testing.assert_allclose(got, np.sort(s.row(key)))
    stats = by_name["a mini-batch statistic"]
    assert dict(zip(stats.y, arr(stats.x), strict=True))["μ_B"] == s.mu
    assert stats.marker.color == style.COLORS["batch"]
    lo, hi = fig.layout.xaxis.range
    assert lo <= min(s.z.min(), s.a.min(), 0) and hi >= max(s.z.max(), s.sigma2)
    assert list(fig.layout.yaxis.categoryarray)[-1] == "z"  # z on top


def test_activation_curve_shades_the_middle_except_for_relu():
    s = _stages()
    fig = figs.activation_curve("sigmoid", s.z_norm, s.z_tilde, "learned")
    assert fig.layout.shapes[0].x1 == E.MIDDLE["sigmoid"]
    pts = fig.data[2]
    np.testing.assert_allclose(arr(pts.y), 1 / (1 + np.exp(-s.z_tilde)), atol=1e-12)
    assert not figs.activation_curve("relu", s.z_norm, s.z_tilde, "x").layout.shapes


def test_param_paths_one_line_per_optimiser_and_parameter():
    p = E.ParamPath("adam", np.array([1, 10, 100]), np.array([1.0, 1.2, 1.5]),
                    np.array([0.0, 0.1, -0.2]), 0.95)
    fig = figs.param_paths([p], 2, 1)
    assert len(fig.data) == 2
    np.testing.assert_allclose(arr(fig.data[0].y), p.gamma)
    np.testing.assert_allclose(arr(fig.data[1].y), p.beta)
    assert "γ^[2]_1" in fig.layout.yaxis.title.text


def test_sweep_figures_draw_the_sweeps_numbers():
    sw = E.sweep(E.SweepSetting(depth=1, units=4, steps=60, n_seeds=2), lrs=(0.01, 1.0))
    acc = figs.sweep_accuracy(sw, 1.0)
    lines = [t for t in acc.data if t.mode == "lines+markers"]
    np.testing.assert_allclose(arr(lines[0].y), sw.acc(False))
    np.testing.assert_allclose(arr(lines[1].y), sw.acc(True))
    assert acc.layout.xaxis.type == "log"
    steps = figs.sweep_steps(sw, 1.0)
    np.testing.assert_allclose(arr(steps.data[1].y), sw.steps_to_target(True))
    loss = figs.sweep_loss(sw, 1.0)
    np.testing.assert_allclose(arr(loss.data[0].y), E.smoothed(sw.runs[1.0, False].loss)[0])
    assert loss.data[0].line.color == style.COLORS["without_bn"]


# ---------------------------------------------------------------- the in-browser redraw
SLIDERS = {"gamma": "γ (slider)", "beta": "β (slider)"}


def _x(trace) -> np.ndarray:
    """A trace's x as floats, gaps (None) as NaN."""
    v = trace.x
    return np.array([np.nan if x is None else x for x in v], dtype=float) if isinstance(
        v, tuple | list) else arr(v).astype(float)


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("gamma, beta", [(2.35, -1.4), (0.0, 3.0), (5.0, 5.0), (0.05, -5.0)])
def test_rows_preview_recomputes_the_servers_figure_for_another_gamma_beta(act, gamma, beta):
    """The recipe drawn at γ = 1.5, β = 0.5, recomputed in the browser's arithmetic for another
    γ, β (bnsim.ui.live.affine_values), equals the server's figure for that γ, β to 1e-12: every
    x of the paths and dots, and the x range."""
    y = np.array([0, 1, 1, 0, 1])
    recipe = figs.rows_preview(_stages(act), y, SLIDERS)
    assert recipe["kind"] == "affine" and recipe["sliders"] == SLIDERS
    assert (recipe["gamma"], recipe["beta"]) == (1.5, 0.5)
    z = _stages(act).z
    server = figs.stage_rows(E.stages(z, gamma, beta, 1e-5, act), y)
    values = live.affine_values(recipe, gamma, beta)
    assert [t["trace"] for t in recipe["traces"]] == [0, 1, 2]
    for t, got in zip(recipe["traces"], values, strict=True):
        want = _x(server.data[t["trace"]])
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
        assert np.array_equal(np.isnan(got), np.isnan(want))  # the gaps between examples
    before = figs.stage_rows(_stages(act), y)  # the figure the recipe was made with differs
    assert not np.allclose(np.nan_to_num(_x(before.data[1])), np.nan_to_num(values[1]))
    (spec,) = recipe["ranges"]
    np.testing.assert_allclose(live.affine_range(spec, values), server.layout.xaxis.range,
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("gamma, beta", [(2.35, -1.4), (5.0, 5.0), (0.0, -5.0), (1.0, 0.0)])
def test_curve_preview_moves_the_batch_markers_range_and_name(act, gamma, beta):
    s = _stages(act)
    recipe = figs.curve_preview(s, SLIDERS)
    new = E.stages(s.z, gamma, beta, 1e-5, act)
    server = figs.activation_curve(act, new.z_norm, new.z_tilde, figs.curve_label(gamma, beta))
    x, y = live.affine_values(recipe, gamma, beta)
    np.testing.assert_allclose(x, arr(server.data[2].x), rtol=0, atol=1e-12)
    np.testing.assert_allclose(y, arr(server.data[2].y), rtol=0, atol=1e-12)
    (spec,) = recipe["ranges"]
    assert live.affine_range(spec, [x, y]) == pytest.approx(list(server.layout.xaxis.range),
                                                             abs=1e-12)
    (name,) = recipe["names"]
    assert name["trace"] == 2 and name["text"].format(gamma=f"{gamma:.3g}", beta=f"{beta:.3g}") \
        == server.data[2].name


def test_the_recipe_travels_as_json_with_typed_arrays():
    recipe = figs.rows_preview(_stages(), np.array([0, 1, 1, 0, 1]), SLIDERS)
    packed = json.loads(json.dumps(live._packed(recipe), allow_nan=False))
    assert packed["traces"][0]["op"]["dtype"] == "i4" and packed["base"]["dtype"] == "f8"
    ops = arr(packed["traces"][1]["op"])
    assert set(ops.tolist()) == {0, 1, 2, 3}  # fixed rows, γ·z_norm, z̃, a
