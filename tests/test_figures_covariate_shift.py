"""Figure builders of the "Covariate shift" page: data in, the right traces out."""

import json

import numpy as np
import pandas as pd
import pytest

from bnsim.figures import style
from bnsim.figures.covariate_shift import (
    black_cats,
    common,
    mini_batch_noise,
    moving_inputs,
    noisy_bn,
)
from bnsim.lessons.covariate_shift.black_cats import MODELS, SHIFTS
from bnsim.lessons.covariate_shift.noisy_bn import VARIANTS

COLORS = style.COLORS


def _no_black_or_white(fig):
    """Our own traces and layout (not the theme's template) use no black or white."""
    spec = fig.to_plotly_json()
    spec["layout"].pop("template", None)
    text = json.dumps(spec, default=str).lower()
    for bad in ('"black"', '"white"', '"#000000"', '"#ffffff"', '"#000"', '"#fff"',
                "rgb(0,0,0)", "rgb(255,255,255)"):
        assert bad not in text, bad


@pytest.fixture
def table():
    s = SHIFTS
    return pd.DataFrame({"shift": s, "no_bn": 1 - s / 6, "bn": 1 - s / 5, "adabn": 0.9 + 0 * s,
                         "majority": 0.6 + s / 20, "class1": 0.6 + s / 20})


def test_shift_accuracy_plots_the_table_on_fixed_axes(table):
    fig = black_cats.shift_accuracy(table, 2.0)
    by_name = {t.name: t for t in fig.data}
    np.testing.assert_allclose(by_name["BN"].y, table["bn"])
    np.testing.assert_allclose(by_name["BN + AdaBN"].y, table["adabn"])
    assert by_name["no BN"].line.color == COLORS["without_bn"]
    assert by_name["BN"].line.color == COLORS["with_bn"]
    # the accuracy axis holds the curves (BN falls to 0 here), in %
    lo, hi = fig.layout.yaxis.range
    assert lo == 0 and 1.0 <= hi <= 1.02
    assert fig.layout.yaxis.ticktext[-1] == "100 %"
    assert "axis from" not in fig.layout.yaxis.title.text
    high = black_cats.shift_accuracy(table.assign(no_bn=0.9, bn=0.95, adabn=0.99,
                                                  majority=0.92), 2.0)
    lo, hi = high.layout.yaxis.range  # all in the top 10 %: zoomed, and the title says so
    assert 0.85 <= lo <= 0.88 and f"(axis from {lo * 100:.0f} %)" in high.layout.yaxis.title.text
    assert tuple(fig.layout.xaxis.range) == (-0.1, 5.1)
    assert fig.layout.shapes[0].x0 == 2.0  # the current shift, labelled
    assert fig.layout.shapes[0].label.text == "shift = 2"
    _no_black_or_white(fig)


def test_accuracies_in_the_top_five_percent_get_a_zoomed_axis():
    lo, hi = common.acc_range([0.97, 0.985, 0.99, 1.0])
    assert 0.9 <= lo <= 0.95 and 1.0 <= hi <= 1.02
    assert common.acc_range([0.2, 0.9])[0] == pytest.approx(0.18)
    assert common.acc_range([np.nan]) == [0.0, 1.02]
    ticks = common.pct_ticks(0.93, 1.008)
    assert ticks["ticktext"] == ["94 %", "96 %", "98 %", "100 %"]
    assert ticks["ticktext"][-1] == "100 %" and len(ticks["ticktext"]) <= 7


def test_shift_scene_draws_both_clouds_and_both_boundaries():
    rng = np.random.default_rng(0)
    Xtr, Xte = rng.normal(size=(50, 2)), rng.normal(size=(40, 2)) + 2
    ytr, yte = (Xtr[:, 1] > 0).astype(int), (Xte[:, 1] > 2).astype(int)
    xs, ys = np.linspace(-5, 7, 12), np.linspace(-3, 5, 9)
    p = np.full((9, 12), 0.3)
    truth = np.zeros((9, 12), bool)
    fig = black_cats.shift_scene(Xtr, ytr, Xte, yte, (xs, ys, p, truth), "adabn", (-5, 7), (-3, 5))
    pts = {t.name: t for t in fig.data if t.type == "scatter"}
    assert len(pts["train 1"].x) == ytr.sum() and len(pts["test 0"].x) == (yte == 0).sum()
    assert pts["test 0"].marker.symbol == "x" and pts["train 0"].marker.symbol == "circle"
    contours = [t for t in fig.data if t.type == "contour"]
    assert [c.line.color for c in contours] == [COLORS["population"], COLORS["neutral"]]
    # class colours are not the colours of a model (vermillion = without BN, blue = with BN)
    class_colors = {pts["train 0"].marker.color, pts["train 1"].marker.color}
    on_screen = {common.MODEL_COLORS[m] for m in MODELS} | {COLORS["neutral"]}  # first tab
    assert class_colors.isdisjoint(on_screen) and len(class_colors) == 2
    assert contours[0].contours.coloring == "heatmap"  # the model's P(class 1) and boundary
    assert fig.layout.yaxis.scaleanchor == "x"  # circles look like circles
    _no_black_or_white(fig)


def test_rule_bars_and_majority():
    df = pd.DataFrame([{"rule": r, "model": m, "accuracy": a, "majority": 0.8}
                       for r in ("sine", "linear")
                       for m, a in zip(MODELS, (0.3, 0.4, 0.9), strict=True)])
    fig = black_cats.rule_bars(df)
    bars = [t for t in fig.data if t.type == "bar"]
    assert [list(b.y) for b in bars] == [[0.3, 0.3], [0.4, 0.4], [0.9, 0.9]]
    assert bars[2].marker.color == COLORS["population"]
    assert fig.layout.yaxis.range[0] == 0 and fig.layout.yaxis.ticktext[-1] == "100 %"  # from 0


def test_layer_band_heatmap_and_moments():
    steps = np.array([1, 2, 5, 10])
    q = np.sort(np.random.default_rng(0).normal(size=(4, 5)), axis=1)
    fig = moving_inputs.layer_band(steps, {"no_bn": q, "bn": q + 1}, "a", logx=True)
    medians = [t for t in fig.data if t.name == "median"]
    np.testing.assert_allclose(medians[1].y, q[:, 2] + 1)
    assert fig.layout.xaxis.type == "log"
    assert fig.layout.yaxis2.matches == "y"  # without and with BN on one y scale
    assert fig.layout.height >= 400
    edges = np.linspace(0, 1, 4)
    dens = np.ones((4, 3))
    hm = moving_inputs.layer_heatmaps(steps, {"no_bn": (edges, dens), "bn": (edges, 2 * dens)}, "a",
                                      logx=False)
    assert [t.type for t in hm.data] == ["heatmap", "heatmap"]
    np.testing.assert_allclose(hm.data[0].y, [1 / 6, 0.5, 5 / 6])
    assert np.asarray(hm.data[1].z).shape == (3, 4)
    # cells fill the x axis from the first to the last step (edges, not centres)
    np.testing.assert_allclose(hm.data[0].x, [1, 1.5, 3.5, 7.5, 10])
    assert tuple(hm.layout.xaxis.range) == (1, 10) and hm.layout.yaxis2.matches == "y"
    hm_log = moving_inputs.layer_heatmaps(steps, {"no_bn": (edges, dens), "bn": (edges, dens)}, "a")
    np.testing.assert_allclose(hm_log.layout.xaxis.range, [0, 1])  # log10 of 1 … 10
    mean, var = np.zeros((4, 3)), np.ones((4, 3))
    mean = mean + np.arange(3)  # unit j has mean j
    mo = moving_inputs.zt_moments(steps, {"no_bn": (mean, var), "bn": (mean, var)}, unit=1)
    assert len(mo.data) == 2 * 2 * 2  # all units in one thin trace, the chosen one thick
    thick = [t for t in mo.data if t.line.width == 3]
    assert len(thick) == 4 and list(thick[0].y) == [1, 1, 1, 1]
    thin = mo.data[0]
    assert np.isnan(thin.y[4]) and list(thin.y[5:9]) == [1, 1, 1, 1]  # NaN between units
    # two rows of panels, each ≥ 250 px tall; a row shares one y scale
    dom = mo.layout.yaxis.domain
    plot_h = mo.layout.height - mo.layout.margin.t - mo.layout.margin.b
    assert (dom[1] - dom[0]) * plot_h >= 250
    assert mo.layout.yaxis2.matches == "y" and mo.layout.yaxis4.matches == "y3"
    _no_black_or_white(mo)


def test_batch_histograms_are_densities_with_law_lines():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 0.5, 400), rng.normal(0, 0.1, 400)
    fig = mini_batch_noise.batch_histograms(a, b, 2, 256, 0.0, (0.5, 0.1))
    bars = [t for t in fig.data if t.type == "bar"]
    for bar in bars:
        assert np.sum(bar.y) * bar.width == pytest.approx(1.0, rel=0.02)
    lines = [t for t in fig.data if t.type == "scatter"]
    assert sorted({t.x[0] for t in lines}) == pytest.approx([-0.5, -0.1, 0.0, 0.1, 0.5])
    assert fig.layout.xaxis.range == fig.layout.xaxis2.range  # one shared scale


def test_spread_law_and_gap():
    sizes = np.array([2, 4, 8])
    fig = mini_batch_noise.spread_law(sizes, np.array([0.7, 0.5, 0.35]),
                                      np.array([1, 0.7, 0.5]), 2.0, 4.0, 100,
                                      np.array([1.4, 1.0, 0.7]), np.array([1.39, 0.99, 0.68]))
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    np.testing.assert_allclose(fig.data[0].y, [0.7, 0.5, 0.35])  # law / σ
    np.testing.assert_allclose(fig.data[2].y, [0.35, 0.25, 0.175])  # std of μ_B / σ
    prob, flip = mini_batch_noise.train_eval_gap(sizes, np.array([0.3, 0.1, 0.05]),
                                                 np.array([0.2, 0.1, 0.0]), (2, 8))
    # a probability gap and a share of flips never on one axis; the share in %
    np.testing.assert_allclose(prob.data[0].y, [0.3, 0.1, 0.05])
    np.testing.assert_allclose(flip.data[0].y, [0.2, 0.1, 0.0])
    assert flip.layout.yaxis.ticktext[-1].endswith(" %") and prob.layout.yaxis.ticktext is None
    for fig in (prob, flip):
        assert [s.label.text for s in fig.layout.shapes] == ["m₁ = 2", "m₂ = 8"]
    same, _ = mini_batch_noise.train_eval_gap(sizes, np.zeros(3), np.zeros(3), (4, 4))
    assert [s.label.text for s in same.layout.shapes] == ["m₁ = m₂ = 4"]


def test_noisy_figures():
    steps = np.arange(1, 11)
    curves = {v: np.full((2, 10), i + 1.0) for i, v in enumerate(VARIANTS)}
    fig = noisy_bn.loss_curves(steps, curves, 0.5)
    thick = [t for t in fig.data if t.line.width == 3]
    assert [t.name for t in thick] == ["Without BN", "With BN", "Noisy BN (σ = 0.5)"]
    assert thick[2].line.color == COLORS["noisy_bn"]
    summ = pd.DataFrame({"variant": ["no_bn", "no_bn", "bn", "bn", "noisy_bn", "noisy_bn"],
                         "test_acc": [1.0, 0.8, 0.9, 0.9, 0.7, 0.9],
                         "drift": [5.0, 7.0, 2.0, 2.0, 90.0, 80.0]})
    bars = noisy_bn.final_bars(summ, 2)
    mean_acc = next(t for t in bars.data if t.name == "mean over seeds")
    np.testing.assert_allclose(mean_acc.y, [0.9, 0.9, 0.8])
    b = [t for t in bars.data if t.type == "bar"]
    np.testing.assert_allclose(b[0].y, [6.0, 2.0, 85.0])  # drift: bars from 0
    lo, hi = bars.layout.yaxis.range  # accuracy: zoomed to the seeds, in %
    assert 0.6 <= lo <= 0.67 and hi <= 1.01 and bars.layout.yaxis.ticktext[-1] == "100 %"
    assert list(bars.layout.xaxis.ticktext) == ["no BN<br>90.0 %", "BN<br>90.0 %",
                                                "noisy BN<br>80.0 %"]  # the means, readable
    _no_black_or_white(bars)


def test_regularisation_figure():
    runs = pd.DataFrame([{"m": m, "network": k, "seed": s, "loss_gap": m / 100 + s,
                          "acc_gap": 0.01 * s} for m in (4, 256) for k in ("bn", "no_bn")
                         for s in (0, 1)])
    noise = pd.DataFrame({"m": [4, 256], "sd_mu_rel": [0.2, 0.0], "sd_sigma2_rel": [0.4, 0.0]})
    fig = mini_batch_noise.regularisation(runs, noise)
    lines = {t.name: t for t in fig.data if t.mode == "lines+markers" and t.xaxis in (None, "x")}
    np.testing.assert_allclose(lines["With BN"].y, [0.54, 3.06])  # mean over seeds
    acc = [t for t in fig.data if t.mode == "lines+markers" and t.xaxis == "x2"]
    np.testing.assert_allclose(acc[0].y, [0.005, 0.005])
    assert lines["Without BN"].line.dash == "dash" and lines["With BN"].line.dash is None
    noise_lines = {t.name: t for t in fig.data if t.xaxis == "x3"}
    np.testing.assert_allclose(noise_lines["std of μ<sub>B</sub> ÷ σ"].y, [0.2, 0.0])
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis2.ticktext[0] == "0.0 %"
    _no_black_or_white(fig)


def test_math_typesets_the_page_notation():
    assert style.math("z̃^[3], unit 2") == "z̃<sup>[3]</sup>, unit 2"
    assert style.math("σ²_B and μ_B of a^[l−1]") == "σ²<sub>B</sub> and μ<sub>B</sub> of " \
                                                   "a<sup>[l−1]</sup>"


def test_every_marker_line_is_labelled_and_fonts_stay_readable():
    table = pd.DataFrame({"shift": SHIFTS, **{k: 0.5 + 0 * SHIFTS for k in
                                              ("no_bn", "bn", "adabn", "majority")}})
    fig = black_cats.shift_accuracy(table, 5.0)
    assert all(s.label.text for s in fig.layout.shapes)
    spec = json.dumps(fig.to_plotly_json()["layout"])
    assert '"size": 13' not in spec and '"size": 14' not in spec  # no font below 16 px
