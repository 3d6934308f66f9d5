"""Figure builders of the "Covariate shift" page: data in, the right traces out."""

import json

import numpy as np
import pandas as pd
import pytest

from bnsim import covariate_shift as cv
from bnsim.figures import covariate_shift as figs
from bnsim.figures import style

C = style.COLORS


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
    s = cv.SHIFTS
    return pd.DataFrame({"shift": s, "no_bn": 1 - s / 6, "bn": 1 - s / 5, "adabn": 0.9 + 0 * s,
                         "majority": 0.6 + s / 20, "class1": 0.6 + s / 20})


def test_shift_accuracy_plots_the_table_on_fixed_axes(table):
    fig = figs.shift_accuracy(table, 2.0)
    by_name = {t.name: t for t in fig.data}
    np.testing.assert_allclose(by_name["BN"].y, table["bn"])
    np.testing.assert_allclose(by_name["BN + AdaBN"].y, table["adabn"])
    assert by_name["no BN"].line.color == C["without_bn"]
    assert by_name["BN"].line.color == C["with_bn"]
    assert tuple(fig.layout.yaxis.range) == (-0.02, 1.02)
    assert tuple(fig.layout.xaxis.range) == (-0.1, 5.1)
    assert fig.layout.shapes[0].x0 == 2.0  # the current shift
    _no_black_or_white(fig)


def test_shift_scene_draws_both_clouds_and_both_boundaries():
    rng = np.random.default_rng(0)
    Xtr, Xte = rng.normal(size=(50, 2)), rng.normal(size=(40, 2)) + 2
    ytr, yte = (Xtr[:, 1] > 0).astype(int), (Xte[:, 1] > 2).astype(int)
    xs, ys = np.linspace(-5, 7, 12), np.linspace(-3, 5, 9)
    p = np.full((9, 12), 0.3)
    truth = np.zeros((9, 12), bool)
    fig = figs.shift_scene(Xtr, ytr, Xte, yte, (xs, ys, p, truth), "adabn", (-5, 7), (-3, 5))
    pts = {t.name: t for t in fig.data if t.type == "scatter"}
    assert len(pts["train 1"].x) == ytr.sum() and len(pts["test 0"].x) == (yte == 0).sum()
    assert pts["test 0"].marker.symbol == "x" and pts["train 0"].marker.symbol == "circle"
    contours = [t for t in fig.data if t.type == "contour"]
    assert [c.line.color for c in contours] == [C["population"], C["neutral"]]
    assert contours[0].contours.coloring == "heatmap"  # the model's P(class 1) and boundary
    assert fig.layout.yaxis.scaleanchor == "x"  # circles look like circles
    _no_black_or_white(fig)


def test_rule_bars_and_majority():
    df = pd.DataFrame([{"rule": r, "model": m, "accuracy": a, "majority": 0.8}
                       for r in ("sine", "linear") for m, a in zip(cv.MODELS, (0.3, 0.4, 0.9),
                                                                   strict=True)])
    fig = figs.rule_bars(df)
    bars = [t for t in fig.data if t.type == "bar"]
    assert [list(b.y) for b in bars] == [[0.3, 0.3], [0.4, 0.4], [0.9, 0.9]]
    assert bars[2].marker.color == C["population"]


def test_layer_band_heatmap_and_moments():
    steps = np.array([1, 2, 5, 10])
    q = np.sort(np.random.default_rng(0).normal(size=(4, 5)), axis=1)
    fig = figs.layer_band(steps, {"no_bn": q, "bn": q + 1}, "a", logx=True)
    medians = [t for t in fig.data if t.name == "median"]
    np.testing.assert_allclose(medians[1].y, q[:, 2] + 1)
    assert fig.layout.xaxis.type == "log"
    edges = np.linspace(0, 1, 4)
    dens = np.ones((4, 3))
    hm = figs.layer_heatmaps(steps, {"no_bn": (edges, dens), "bn": (edges, 2 * dens)}, "a",
                             logx=False)
    assert [t.type for t in hm.data] == ["heatmap", "heatmap"]
    np.testing.assert_allclose(hm.data[0].y, [1 / 6, 0.5, 5 / 6])
    assert np.asarray(hm.data[1].z).shape == (3, 4)
    mean, var = np.zeros((4, 3)), np.ones((4, 3))
    mean = mean + np.arange(3)  # unit j has mean j
    mo = figs.zt_moments(steps, {"no_bn": (mean, var), "bn": (mean, var)}, unit=1)
    assert len(mo.data) == 2 * 2 * 2  # all units in one thin trace, the chosen one thick
    thick = [t for t in mo.data if t.line.width == 3]
    assert len(thick) == 4 and list(thick[0].y) == [1, 1, 1, 1]
    thin = mo.data[0]
    assert np.isnan(thin.y[4]) and list(thin.y[5:9]) == [1, 1, 1, 1]  # NaN between units
    _no_black_or_white(mo)


def test_batch_histograms_are_densities_with_law_lines():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 0.5, 400), rng.normal(0, 0.1, 400)
    fig = figs.batch_histograms(a, b, 2, 256, 0.0, (0.5, 0.1))
    bars = [t for t in fig.data if t.type == "bar"]
    for bar in bars:
        assert np.sum(bar.y) * bar.width == pytest.approx(1.0, rel=0.02)
    lines = [t for t in fig.data if t.type == "scatter"]
    assert sorted({t.x[0] for t in lines}) == pytest.approx([-0.5, -0.1, 0.0, 0.1, 0.5])
    assert fig.layout.xaxis.range == fig.layout.xaxis2.range  # one shared scale


def test_spread_law_and_gap():
    sizes = np.array([2, 4, 8])
    fig = figs.spread_law(sizes, np.array([0.7, 0.5, 0.35]), np.array([1, 0.7, 0.5]), 2.0, 4.0,
                          100, np.array([1.4, 1.0, 0.7]), np.array([1.39, 0.99, 0.68]))
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    np.testing.assert_allclose(fig.data[0].y, [0.7, 0.5, 0.35])  # law / σ
    np.testing.assert_allclose(fig.data[2].y, [0.35, 0.25, 0.175])  # std of μ_B / σ
    gap = figs.train_eval_gap(sizes, np.array([0.3, 0.1, 0.05]), np.array([0.2, 0.1, 0.0]),
                              (2, 8))
    assert len(gap.layout.shapes) == 2


def test_noisy_figures():
    steps = np.arange(1, 11)
    curves = {v: np.full((2, 10), i + 1.0) for i, v in enumerate(cv.VARIANTS)}
    fig = figs.loss_curves(steps, curves, 0.5)
    thick = [t for t in fig.data if t.line.width == 3]
    assert [t.name for t in thick] == ["Without BN", "With BN", "Noisy BN (σ = 0.5)"]
    assert thick[2].line.color == C["noisy_bn"]
    summ = pd.DataFrame({"variant": ["no_bn", "no_bn", "bn", "bn", "noisy_bn", "noisy_bn"],
                         "test_acc": [1.0, 0.8, 0.9, 0.9, 0.7, 0.9],
                         "drift": [5.0, 7.0, 2.0, 2.0, 90.0, 80.0]})
    bars = figs.final_bars(summ, 2)
    b = [t for t in bars.data if t.type == "bar"]
    np.testing.assert_allclose(b[0].y, [0.9, 0.9, 0.8])
    np.testing.assert_allclose(b[1].y, [6.0, 2.0, 85.0])
    _no_black_or_white(bars)


def test_regularisation_figure():
    runs = pd.DataFrame([{"m": m, "network": k, "seed": s, "loss_gap": m / 100 + s,
                          "acc_gap": 0.01 * s} for m in (4, 256) for k in ("bn", "no_bn")
                         for s in (0, 1)])
    noise = pd.DataFrame({"m": [4, 256], "sd_mu_rel": [0.2, 0.0], "sd_sigma2_rel": [0.4, 0.0]})
    fig = figs.regularisation(runs, noise)
    lines = {t.name: t for t in fig.data if t.mode == "lines+markers" and t.xaxis in (None, "x")}
    np.testing.assert_allclose(lines["With BN"].y, [0.54, 3.06])  # mean over seeds
    acc = [t for t in fig.data if t.mode == "lines+markers" and t.xaxis == "x2"]
    np.testing.assert_allclose(acc[0].y, [0.005, 0.005])
    assert lines["Without BN"].line.dash == "dash" and lines["With BN"].line.dash is None
    noise_lines = {t.name: t for t in fig.data if t.xaxis == "x3"}
    np.testing.assert_allclose(noise_lines["std of μ_B ÷ σ"].y, [0.2, 0.0])
    assert fig.layout.xaxis.type == "log"
    _no_black_or_white(fig)
