"""Figure builders of the "Train vs test" page: the data they plot, colours, fixed axes."""

import json

import numpy as np
import pandas as pd
import pytest

from bnsim import notation
from bnsim.figures.style import COLORS, PROBA_SCALE
from bnsim.figures.testtime import (
    batch_size,
    boundaries,
    common,
    running_estimate,
    same_point,
    skewed_batches,
)
from bnsim.lessons.testtime.boundaries import Boundaries
from bnsim.lessons.testtime.running_estimate import ESTIMATORS

RNG = np.random.default_rng(0)
XT = RNG.normal(size=(40, 2))
YT = np.r_[np.zeros(20, int), np.ones(20, int)]


def _no_black_or_white(fig):
    text = json.dumps(fig.to_plotly_json()["data"]).lower()
    for bad in ("#000000", "#ffffff", '"black"', '"white"', "rgb(0,0,0)", "rgb(255,255,255)"):
        assert bad not in text, bad


def _boundaries(k=4, flat=False):
    n = 5
    xs, ys = np.linspace(-2, 2, n), np.linspace(-1, 1, n)
    p = np.tile(np.linspace(0, 1, n), (n, 1))
    return Boundaries(xs=xs, ys=ys, ext=(-2.0, 2.0, -1.0, 1.0), p_eval=p, acc_eval=0.9,
                               mates=np.arange(k - 1),
                               p_batch=np.full((n, n), 0.52) if flat else p.T, acc_batch=0.8,
                               p_test=np.zeros(len(XT)))


def test_boundary_maps_mates_and_fixed_axes():
    b = _boundaries(k=4)
    ev, ba = boundaries.eval_boundary(b, XT, YT), boundaries.batch_boundary(b, XT, YT, 4, 25)
    for fig, z in ((ev, b.p_eval), (ba, b.p_batch)):
        (heat,) = [t for t in fig.data if t.type == "heatmap"]
        assert heat.colorscale == tuple(tuple(c) for c in PROBA_SCALE)
        assert heat.zmin == 0 and heat.zmax == 1
        np.testing.assert_array_equal(heat.z, z)
        assert list(fig.layout.xaxis.range) == [-2.0, 2.0]
        assert list(fig.layout.yaxis.range) == [-1.0, 1.0]
        assert fig.layout.margin.r == common.MAP_MARGIN["r"]  # plot areas line up
        assert len([t for t in fig.data if t.name == "boundary p = 0.5"]) == 1
        scat = [t for t in fig.data if t.name == "test class 1"]
        assert len(scat) == 1 and scat[0].marker.color == COLORS["class1"]
        np.testing.assert_array_equal(scat[0].customdata, np.arange(20, 40))
        _no_black_or_white(fig)
    assert [t.showscale for t in ev.data if t.type == "heatmap"] == [False]
    assert [t.showscale for t in ba.data if t.type == "heatmap"] == [True]
    mates = [t for t in ba.data if t.name and "batch-mates" in t.name]
    assert len(mates) == 1 and len(mates[0].x) == 3
    assert f"{int(YT[:3].sum())} in class 1" in mates[0].name
    np.testing.assert_array_equal(mates[0].x, XT[:3, 0])
    assert mates[0].marker.color == COLORS["batch"]
    assert "k = 4" in ba.layout.title.text and "Eval mode" in ev.layout.title.text
    # no legend over the maps (it wraps into the title on a phone): a one-line key instead
    assert ev.layout.showlegend is False and ba.layout.showlegend is False
    assert COLORS["class1"] in ev.layout.title.subtitle.text
    assert "test class 1" in ev.layout.title.subtitle.text
    # the mates as drawn (not the asked 25 %: 3 mates cannot be 25 % class 1)
    assert f"its 3 batch-mates ({int(YT[:3].sum())} in class 1)" in ba.layout.title.subtitle.text


def test_flat_batch_map_has_no_boundary_line():
    fig = boundaries.batch_boundary(_boundaries(k=1, flat=True), XT, YT, 1, None)
    assert not [t for t in fig.data if t.name == "boundary p = 0.5"]
    mates = [t for t in fig.data if t.name and "batch-mates" in t.name]
    assert len(mates[0].x) == 0


def test_accuracy_vs_k_band_mean_eval_line_and_marker():
    table = pd.DataFrame({"k": [1, 2, 4], "mean": [.5, .7, .9], "std": [0, .1, .05],
                          "p05": [.5, .6, .85], "p95": [.5, .8, .95], "eval_acc": .97,
                          "n_batches": [40, 20, 10]})
    fig = batch_size.accuracy_vs_k(table, k=3, acc_k=0.8, floor=0.5)
    names = [t.name for t in fig.data]
    mean = fig.data[names.index("test-batch statistics (mean)")]
    assert list(mean.y) == [.5, .7, .9] and mean.line.color == COLORS["batch"]
    ev = fig.data[names.index("eval mode (running estimates)")]
    assert list(ev.y) == [.97, .97] and ev.line.color == COLORS["running"]
    band = fig.data[0]
    assert list(band.y) == [.5, .8, .95, .85, .6, .5]
    mark = fig.data[names.index("your k = 3")]
    assert list(mark.x) == [3] and list(mark.y) == [0.8]
    assert fig.layout.xaxis.type == "log"
    _assert_acc_axis(fig, 0.5, 1.0)  # data 50–97 %: the axis 50–100 %, said in its title
    labels = [a.text for a in fig.layout.annotations]
    assert "eval mode 97.0 %" in labels and "share of the one class 50.0 %" in labels
    _no_black_or_white(fig)


def _assert_acc_axis(fig, lo, hi, axis="yaxis"):
    """The accuracy axis runs from lo to hi (a little padding), ticks in % ("95 %") from
    near lo to near hi, and its title says the range when it does not start at 0."""
    ax = fig.layout[axis]
    r0, r1 = ax.range
    assert lo - 0.05 * (hi - lo) <= r0 < lo and hi < r1 <= hi + 0.05 * (hi - lo)
    assert lo <= min(ax.tickvals) <= lo + 0.1 and hi - 0.1 <= max(ax.tickvals) <= hi
    assert list(ax.ticktext) == [f"{100 * t:.0f} %" for t in ax.tickvals]
    assert len(ax.tickvals) >= 2
    if axis == "yaxis":
        assert f"axis {100 * lo:.0f}–{100 * hi:.0f} %" in ax.title.text


@pytest.mark.parametrize(("values", "expected"), [
    ([[0.837, 0.994]], (0.8, 1.0)), ([[0.5, 0.97], [0.4]], (0.4, 1.0)),
    ([[0.9, 0.9]], (0.9, 0.95)), ([[1.0]], (0.95, 1.0)), ([[0.0, 0.3]], (0.0, 0.3)),
    ([[np.nan, 0.71, 0.74]], (0.7, 0.75)), ([[]], (0.0, 1.0))])
def test_acc_range_zooms_to_the_data_in_steps_of_5_percent(values, expected):
    assert common.acc_range(*values) == pytest.approx(expected)
    assert common.acc_title("accuracy", 0.0, 1.0) == "accuracy"  # no range said when from 0


def test_neighbours_histogram_and_eval_value():
    draws = np.r_[np.full(30, 0.1), np.full(10, 0.9)]
    fig = same_point.neighbours(draws, 0.8, 8, 3, 1)
    hist = fig.data[0]
    assert hist.type == "histogram" and len(hist.x) == 40
    assert hist.xbins.start == 0 and hist.xbins.size == 0.025
    ev = fig.data[1]
    assert list(ev.x) == [0.8, 0.8] and ev.line.color == COLORS["running"]
    assert "#3" in fig.layout.xaxis.title.text and "true class 1" in fig.layout.xaxis.title.text
    assert list(fig.layout.xaxis.range) == [-0.02, 1.02]
    labels = {a.text: a for a in fig.layout.annotations}
    assert set(labels) == {"threshold 0.5", "eval mode 0.80"}  # every marker line labelled
    assert labels["threshold 0.5"].y != labels["eval mode 0.80"].y  # at different heights
    assert labels["eval mode 0.80"].font.color == COLORS["running"]
    # the histogram sits beside the pick map: same height and margins, so the two align
    pick = same_point.pick_map(_boundaries(), XT, YT, 3)
    assert fig.layout.height == pick.layout.height
    assert fig.layout.margin.to_plotly_json() == pick.layout.margin.to_plotly_json()


def test_skewed_lines_and_chosen_mix():
    df = pd.DataFrame({"mix": [0, .5, 1], "actual_mix": [0, .5, 1], "batch_mean": [.6, .97, .55],
                       "batch_p05": [.5, .9, .45], "batch_p95": [.7, 1, .65],
                       "running_mean": [.98, .97, .96]})
    fig = skewed_batches.skewed(df, 100, 32)
    names = [t.name for t in fig.data]
    assert list(fig.data[names.index("test-batch statistics")].y) == [.6, .97, .55]
    assert list(fig.data[names.index("eval mode (running estimates)")].x) == [0, 50, 100]
    mix = fig.data[names.index("your mix: 100 %")]
    assert list(mix.x) == [100, 100]
    assert list(fig.data[-1].y) == [.55, .96]  # the two values at the chosen mix
    assert "k = 32" in fig.layout.xaxis.title.text
    _assert_acc_axis(fig, 0.45, 1.0)
    assert list(mix.y) == [0.45, 1.0]
    assert any(a.text.strip() == "your mix 100 %" for a in fig.layout.annotations)


def test_running_estimates_one_line_per_estimator():
    df = pd.DataFrame([(t, e, 0.5 + 0.1 * i) for t in (1, 10, 100)
                       for i, e in enumerate(ESTIMATORS)], columns=["t", "estimator",
                                                                              "acc"])
    fig = running_estimate.running_estimates(df, 0.999)
    assert len(fig.data) == 3
    assert [t.line.color for t in fig.data] == [COLORS["running"], COLORS["bias_corrected"],
                                                COLORS["population"]]
    assert "0.999" in fig.data[0].name and list(fig.data[2].y) == [0.7, 0.7, 0.7]
    assert [t.name.split(",")[0] for t in fig.data] == [
        notation.ESTIMATORS[e].label for e in ("ema", "ema_bc", "population")]
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis.dtick == 1  # decades only
    _assert_acc_axis(fig, 0.5, 0.7)


@pytest.mark.parametrize("with_renorm", [True, False])
def test_renorm_curves_and_bars(with_renorm):
    curves = pd.DataFrame({"variant": ["With BN"] * 2 + ["Batch Renorm"] * 2,
                           "step": [10, 20] * 2, "eval_test_acc": [.6, .7, .8, .9],
                           "train_mode_acc": [.9, .95, .8, .85]})
    table = pd.DataFrame({"variant": ["With BN", "Batch Renorm"], "train_mode_acc": [.95, .85],
                          "eval_train_acc": [.7, .9], "eval_test_acc": [.7, .9],
                          "gap": [.25, -.05]})
    if not with_renorm:
        table = table.iloc[:1]
    during, end = common.renorm(curves, table)
    # "At the end": one dot pair per variant (train mode, eval mode), in its own figure
    ends = list(end.data)
    assert len(ends) == (2 if with_renorm else 1)
    assert list(ends[0].y) == [.95, .7] and ends[0].marker.color == COLORS["with_bn"]
    assert ends[0].name == "With BN" and ends[0].text == ("95.0 %", "70.0 %")
    if with_renorm:
        assert ends[1].marker.color == COLORS["renorm"] and ends[1].text[1] == "90.0 %"
    assert all(t.type == "scatter" for t in ends)  # no bars on a zoomed axis
    lines = list(during.data)
    assert len(lines) == 4 and list(lines[0].y) == [.6, .7]
    assert [t.showlegend for t in lines] == [None, False] * 2  # one legend entry per variant
    # both on the same accuracy range, zoomed to the data (60–95 %), with the same plot area
    _assert_acc_axis(during, 0.6, 0.95)
    assert end.layout.yaxis.range == during.layout.yaxis.range
    assert end.layout.height == during.layout.height
    assert end.layout.margin.to_plotly_json() == during.layout.margin.to_plotly_json()
    for fig in (during, end):
        _no_black_or_white(fig)


def test_pick_map_highlights_the_picked_point():
    b = _boundaries()
    fig = same_point.pick_map(b, XT, YT, 7)
    ring = fig.data[-1]
    assert list(ring.x) == [XT[7, 0]] and "#7" in ring.name
    # the ring's colour means nothing else on its tab (histogram: orange and blue)
    hist = same_point.neighbours(np.full(5, 0.3), 0.4, 4, 7, 0)
    used = {t.marker.color for t in hist.data if t.type == "histogram"} | {
        t.line.color for t in hist.data if t.type == "scatter"}
    assert ring.marker.color not in used | {COLORS["class0"], COLORS["class1"]}
    assert fig.layout.clickmode == "event+select"


def test_contour_segments_of_a_ramp_and_a_disc():
    xs, ys = np.linspace(0, 1, 11), np.linspace(-1, 1, 21)
    X, Y = np.meshgrid(xs, ys)
    cx, cy = common.contour_segments(xs, ys, 0.2 + 0.6 * X)  # p = 0.5 at x = 0.5
    assert len(cx) == 20 * 3  # one segment per cell row, NaN-separated
    np.testing.assert_allclose(cx[~np.isnan(cx)], 0.5)
    assert np.nanmin(cy) == -1 and np.nanmax(cy) == 1
    xs = ys = np.linspace(-1, 1, 41)
    X, Y = np.meshgrid(xs, ys)
    cx, cy = common.contour_segments(xs, ys, np.hypot(X, Y), level=0.6)
    r = np.hypot(cx, cy)[~np.isnan(cx)]
    np.testing.assert_allclose(r, 0.6, atol=0.01)  # on the circle of radius 0.6
    assert common.contour_segments(xs, ys, np.full((41, 41), 0.52))[0].size == 0  # flat map
