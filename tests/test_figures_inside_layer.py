"""Figures of "Inside a BN layer": they draw exactly the numbers they are given."""

import numpy as np

from bnsim import inside_layer as E
from bnsim.figures import inside_layer as figs
from bnsim.figures import style
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
