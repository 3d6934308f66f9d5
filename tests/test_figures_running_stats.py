"""Figures of the running-statistics page: traces, axes, fixed ranges, the browser animation."""

import math

import numpy as np
import plotly.graph_objects as go
import pytest

from bnsim import data
from bnsim.figures.running_stats.common import TOP
from bnsim.figures.running_stats.distribution_at_a_step import distribution
from bnsim.figures.running_stats.error_vs_population import error_plot
from bnsim.figures.running_stats.step_by_step import scrub
from bnsim.figures.running_stats.trajectory import dot_stride, ema_preview, trajectory
from bnsim.figures.style import COLORS
from bnsim.figures.style import math as typeset
from bnsim.lessons.running_stats import common, distribution_at_a_step
from bnsim.network import NetConfig
from bnsim.train import TrainConfig, train
from bnsim.verdict import num
from tests.helpers import arr

ALL = ("ema", "ema_bc", "cumulative", "population")
BATCH = typeset("mini-batch μ_B, σ²_B")  # legends show symbols typeset: μ<sub>B</sub>


@pytest.fixture(scope="module")
def run():
    X, y, Xt, yt = data.train_test("moons", 200, 100, 0.1, 1)
    tr = train(NetConfig(hidden=(8, 8), bn=(True, False)), X, y, Xt, yt,
               TrainConfig(steps=240, batch_size=16))
    return tr, X, y


@pytest.fixture(scope="module")
def us(run):
    return common.unit_stats(run[0], 1, 3)


def _valid(fig: go.Figure) -> go.Figure:
    """Rebuild with plotly's full validation (the builders skip it for speed)."""
    return go.Figure(fig.to_dict())




def _by_name(fig, name, axis="y"):
    return [t for t in fig.data if t.name == name and (t.yaxis or "y") == axis]


def _colors(fig):
    out = set()
    for t in fig.data:
        for part in (t.line, t.marker):
            c = getattr(part, "color", None)
            out.update(c if isinstance(c, (list, tuple)) else [c])
    return out - {None}


def test_trajectory_traces_axes_and_population_line(us):
    est = common.estimate(us, 0.9)
    fig = _valid(trajectory(us, est, ALL, "unbiased"))
    names = [t.name for t in fig.data if t.yaxis in (None, "y")]
    assert names == [BATCH, "EMA (lecture)", "bias-corrected EMA",
                     "cumulative average", "population statistics"]
    dots_mu, dots_var = (_by_name(fig, BATCH, a)[0] for a in ("y", "y2"))
    assert dots_mu.mode == "markers" and dots_mu.marker.color == COLORS["batch"]
    np.testing.assert_array_equal(arr(dots_mu.y), us.mu)
    np.testing.assert_array_equal(arr(dots_var.y), us.var_u)
    ema = _by_name(fig, "EMA (lecture)", "y")[0]
    np.testing.assert_allclose(arr(ema.y), est.get("ema", "mean"))
    for axis, pop in (("y", us.pop_mean), ("y2", us.pop_var_u)):
        line = _by_name(fig, "population statistics", axis)[0]
        assert line.line.dash == "dash" and line.line.color == COLORS["population"]
        np.testing.assert_array_equal(arr(line.x), us.pop_steps)  # through the snapshot steps
        np.testing.assert_array_equal(arr(line.y), pop)
    assert fig.layout.yaxis.title.text == "mean μ"
    assert fig.layout.yaxis2.title.text.startswith("variance σ² (unbiased")
    assert fig.layout.xaxis2.title.text.startswith("training step")
    assert fig.layout.legend.font.size >= 15 and fig.layout.xaxis2.tickfont.size >= 15
    assert not {"black", "white", "#000000", "#ffffff"} & {str(c).lower() for c in _colors(fig)}


def test_trajectory_axes_do_not_move_with_beta_and_respect_the_toggles(us):
    a = trajectory(us, common.estimate(us, 0.9), ALL, "biased")
    b = trajectory(us, common.estimate(us, 0.2), ("ema",), "biased")
    for ax in ("xaxis", "yaxis", "xaxis2", "yaxis2"):
        assert a.layout[ax].range == b.layout[ax].range
    assert {t.name for t in b.data} == {BATCH, "EMA (lecture)"}
    assert a.layout.yaxis2.title.text.startswith("variance σ² (biased")
    log = trajectory(us, common.estimate(us, 0.9), ALL, log_steps=True)
    assert log.layout.xaxis2.type == "log" and log.layout.xaxis2.range[1] == pytest.approx(
        math.log10(len(us.steps)) + 0.02)


def test_trajectory_without_bn_and_thinning(run):
    us = common.unit_stats(run[0], 2, 0)  # layer 2 has no BN
    fig = trajectory(us, None, ALL)
    assert {t.name for t in fig.data} == {BATCH, "population statistics"}
    thin = trajectory(us, None, ALL, max_points=50)
    x = arr(thin.data[0].x)
    stride = dot_stride(len(us.steps), 50)
    assert stride == 5 and len(x) < 50 + 30
    np.testing.assert_array_equal(x[:30], np.arange(1, 31))  # every early step
    assert np.all(np.diff(x[30:-1]) == stride) and x[-1] == len(us.steps)


def test_error_plot_log_axes_window_and_tolerance(us):
    est = common.estimate(us, 0.95)
    errs = common.errors(us, est)
    fig = _valid(error_plot(us, errs, ALL, 0.95, 0.05))
    assert fig.layout.xaxis.type == fig.layout.yaxis.type == "log"
    assert fig.layout.yaxis2.type == "log"
    assert "σ<sub>pop</sub>" in fig.layout.yaxis.title.text
    assert "σ²<sub>pop</sub>" in fig.layout.yaxis2.title.text
    window = [t for t in fig.data if t.name and t.name.startswith("window")]
    assert len(window) == 2 and window[0].x == pytest.approx((20.0, 20.0))
    assert "20 steps" in window[0].name
    tol = [t for t in fig.data if t.name == "tolerance 5 %"]
    assert tol[0].y == (5.0, 5.0)
    ema = [t for t in fig.data if t.name == "EMA (lecture)" and t.yaxis in (None, "y")][0]
    np.testing.assert_allclose(arr(ema.y), 100 * errs.rel["mean"]["ema"])
    np.testing.assert_array_equal(arr(ema.x), us.pop_steps)
    assert "population statistics" not in {t.name for t in fig.data}
    other = error_plot(us, common.errors(us, common.estimate(us, 0.5)), ALL, 0.5, 0.05)
    assert other.layout.yaxis.range == fig.layout.yaxis.range  # β doesn't move the axes


def test_error_plot_window_longer_than_the_run_is_not_drawn(us):
    est = common.estimate(us, 0.999)
    fig = error_plot(us, common.errors(us, est), ("ema",), 0.999, 0.1)
    assert not [t for t in fig.data if t.name and t.name.startswith("window")]


def test_distribution_histograms_and_marks(run, us):
    tr, X, y = run
    d = distribution_at_a_step.distribution_at(tr, X, y, 1, 3, 30)
    marks = {"ema": 0.1, "cumulative": 0.2}
    fig = _valid(distribution(d, marks, distribution_at_a_step.z_range(us)))
    bars = [t for t in fig.data if t.type == "bar"]
    assert [b.name for b in bars] == [f"training set (N = {len(X)})", "this mini-batch"]
    width = bars[0].width
    for b, z in zip(bars, (d.z_all, d.z_batch), strict=True):
        dens = arr(b.y)
        assert np.sum(dens) * width == pytest.approx(1.0)  # densities
        counts, _ = np.histogram(z, bins=len(dens), range=(arr(b.x)[0] - width / 2,
                                                              arr(b.x)[-1] + width / 2))
        np.testing.assert_allclose(dens * width * len(z), counts, atol=1e-9)
    lines = {t.name.split(" = ")[0]: t.x[0] for t in fig.data if t.type == "scatter"}
    assert lines == pytest.approx({typeset("μ_B of this mini-batch"): d.mu_batch,
                                   typeset("population mean μ_pop"): d.pop_mean,
                                   "EMA (lecture)": 0.1, "cumulative average": 0.2})
    assert fig.layout.xaxis.title.text == f"z at step {d.step}"
    again = distribution(d, {"ema": 0.3}, distribution_at_a_step.z_range(us))
    assert again.layout.xaxis.range == fig.layout.xaxis.range


def test_scrub_frames_slider_and_play_button(us):
    beta = 0.8
    est = common.estimate(us, beta)
    fig = scrub(us, est, ("ema", "population"), window=60)
    fig_valid = _valid(fig)
    K = 60
    assert len(fig_valid.frames) == K
    slider = fig_valid.layout.sliders[0]
    assert len(slider.steps) == K
    assert tuple(slider.steps[24].args[0]) == ("25",) and slider.steps[24].method == "animate"
    assert slider.steps[24].label.startswith(f"25: μ<sub>B</sub> {num(us.mu[24])} · EMA ")
    buttons = fig_valid.layout.updatemenus[0].buttons
    assert buttons[0].method == "animate" and buttons[0].args[0] is None
    assert buttons[0].args[1]["fromcurrent"] is True
    frame = fig_valid.frames[24]
    assert frame.name == "25"
    points, weights = frame.data
    assert [fig_valid.data[i].fill for i in frame.traces] == [None, "tozeroy"]
    curtain = frame.layout.shapes[0]
    assert (curtain.x0, curtain.x1) == (25.5, K + 0.5)  # hides steps 26..K ...
    assert curtain.layer == "above" and (curtain.y0, curtain.y1) == (0, 1)  # ... over the dots
    assert fig_valid.layout.shapes[0].x0 == 10.5  # opens at step 10
    assert points.y == pytest.approx((us.mu[24], est.get("ema", "mean")[24]))
    # the weight profile ends at step 25 with 1 − β and decays by β per step back
    w = arr(fig_valid.data[frame.traces[1]].y)
    assert weights.x0 + len(w) - 1 == 25
    assert w[-1] == pytest.approx(1 - beta) and w[-2] == pytest.approx((1 - beta) * beta)
    # the static traces: μ_B dots and the EMA over the first K steps
    np.testing.assert_array_equal(arr(fig_valid.data[0].y), us.mu[:K])
    np.testing.assert_allclose(arr(fig_valid.data[1].y), est.get("ema", "mean")[:K])
    assert fig_valid.layout.xaxis.range == (0.5, K + 0.5)


def test_scrub_is_small_enough_to_send_on_every_slider_move(us):
    """One frame per step must carry a handful of numbers, not the whole history."""
    fig = scrub(us, common.estimate(us, 0.9), ALL, window=100)
    sizes = [len(str(f)) for f in fig.to_dict()["frames"]]
    assert max(sizes) < 600


def _browser_ema(theta, beta, v0, index, corrected):
    """The loop the live chart runs in the browser (live_frontend/index.html, ``emaAt``)."""
    out, v, j = [], v0, 0
    for t, x in enumerate(theta):
        v = beta * v + (1.0 - beta) * x
        while j < len(index) and index[j] == t:
            bt = beta ** (t + 1)
            out.append((v - bt * v0) / (1.0 - bt) if corrected else v)
            j += 1
    return np.array(out)


@pytest.mark.parametrize("variance", ["unbiased", "biased"])
def test_ema_preview_recomputes_the_ema_traces_for_any_beta(us, variance):
    est = common.estimate(us, 0.9)
    fig = trajectory(us, est, ALL, variance, max_points=50, max_line_points=60)  # thinned
    p = ema_preview(fig, us, variance, 0.9, slider="β_EMA (EMA coefficient)")
    assert p["slider"] == "β_EMA (EMA coefficient)" and p["beta"] == 0.9
    assert p["v0"] == {"y": 0.0, "y2": 1.0}  # the lecture's (and PyTorch's) start values
    np.testing.assert_array_equal(p["series"]["y"], us.mu)
    np.testing.assert_array_equal(p["series"]["y2"], us.sigma2(variance))
    kinds = [(fig.data[t["trace"]].name, t["axis"], t["corrected"]) for t in p["traces"]]
    assert kinds == [("EMA (lecture)", "y", False), ("bias-corrected EMA", "y", True),
                     ("EMA (lecture)", "y2", False), ("bias-corrected EMA", "y2", True)]
    for t in p["traces"]:  # the recipe reproduces what the server drew ...
        trace = fig.data[t["trace"]]
        np.testing.assert_array_equal(us.steps[t["index"]], arr(trace.x))
        drawn = _browser_ema(p["series"][t["axis"]], 0.9, p["v0"][t["axis"]], t["index"],
                             t["corrected"])
        np.testing.assert_allclose(drawn, arr(trace.y), rtol=1e-12, atol=1e-15)
        # ... and the server's estimates for another β_EMA, before the server computes them
        other = common.estimate(us, 0.37)
        stat = "mean" if t["axis"] == "y" else "var"
        name = "ema_bc" if t["corrected"] else "ema"
        np.testing.assert_allclose(
            _browser_ema(p["series"][t["axis"]], 0.37, p["v0"][t["axis"]], t["index"],
                         t["corrected"]),
            other.get(name, stat, variance)[t["index"]], rtol=1e-12, atol=1e-15)


def test_ema_preview_has_nothing_to_redraw_without_ema_lines(us):
    est = common.estimate(us, 0.9)
    fig = trajectory(us, est, ("cumulative", "population"), "unbiased")
    assert ema_preview(fig, us, "unbiased", 0.9, slider="β") is None


def test_a_figure_refines_the_base_layout_without_losing_it(us):
    est = common.estimate(us, 0.9)
    fig = scrub(us, est, ALL)
    assert fig.layout.margin.b == 120  # room for the Plotly slider and ▶ below the plots
    assert (fig.layout.margin.l, fig.layout.margin.r) == (60, 20)  # the base margins
    assert fig.layout.legend.orientation == "h" and fig.layout.font.size == 16


def test_trajectory_panels_alone_keep_their_axes_and_align(us):
    """The page draws μ and σ² as two plots side by side: each keeps its axes (so the EMA
    preview reads either), each carries part of the legend (every entry once, at most three),
    and both have the same top margin, so their plot areas align."""
    est = common.estimate(us, 0.9)
    both = trajectory(us, est, ALL, "biased", log_steps=True)
    mu = _valid(trajectory(us, est, ALL, "biased", log_steps=True, stats=("mean",)))
    var = _valid(trajectory(us, est, ALL, "biased", log_steps=True, stats=("var",)))
    assert {t.yaxis for t in mu.data} == {"y"} and {t.yaxis for t in var.data} == {"y2"}
    for part, ax in ((mu, "yaxis"), (var, "yaxis2")):
        assert part.layout[ax].range == both.layout[ax].range  # the same fixed ranges
        assert tuple(part.layout[ax].domain) == (0, 1)
    assert mu.layout.xaxis.type == var.layout.xaxis2.type == "log"
    assert mu.layout.xaxis.range == var.layout.xaxis2.range
    listed = [t.name for part in (mu, var) for t in part.data if t.showlegend]
    assert sorted(listed) == sorted({t.name for t in both.data})  # each entry exactly once
    assert max(sum(t.showlegend for t in part.data) for part in (mu, var)) <= 3
    assert mu.layout.margin.t == var.layout.margin.t == TOP
    raw = trajectory(us, est, ALL, "biased", log_steps=True, stats=("var",))
    p = ema_preview(raw, us, "biased", 0.9, slider="β")
    assert [t["axis"] for t in p["traces"]] == ["y2", "y2"]


def test_error_plots_share_one_y_range_and_label_their_marker_lines(us):
    est = common.estimate(us, 0.9)
    errs = common.errors(us, est)
    fig = _valid(error_plot(us, errs, ALL, 0.9, 0.2))
    assert fig.layout.yaxis.range == fig.layout.yaxis2.range  # μ and σ² on one scale
    notes = [a.text for a in fig.layout.annotations]
    assert notes.count("tolerance 20 %") == 2 and notes.count("window ≈ 10") == 2
    mu = error_plot(us, errs, ALL, 0.9, 0.2, stats=("mean",))
    var = error_plot(us, errs, ALL, 0.9, 0.2, stats=("var",))
    assert mu.layout.yaxis.range == var.layout.yaxis2.range == fig.layout.yaxis.range
    assert mu.layout.margin.t == var.layout.margin.t


def test_distribution_marks_close_together_get_labels_on_different_heights(run, us):
    tr, X, y = run
    d = distribution_at_a_step.distribution_at(tr, X, y, 1, 3, 30)
    close = d.pop_mean + 0.001  # three estimates all but on top of the population mean
    marks = {"ema": close, "ema_bc": close + 0.001, "cumulative": close - 0.001}
    fig = _valid(distribution(d, marks, distribution_at_a_step.z_range(us)))
    labels = {a.text: (a.x, a.y) for a in fig.layout.annotations}
    assert set(labels) >= {typeset("μ_pop"), "EMA", "corrected", "cumulative"}
    near = [labels[k] for k in (typeset("μ_pop"), "EMA", "corrected", "cumulative")]
    assert len({y for _, y in near}) == 4  # stacked, not overlaid
    assert max(y for _, y in labels.values()) < fig.layout.yaxis.range[1]  # all on the plot
    lines = {t.name.split(" = ")[0]: t.y[1] for t in fig.data if t.type == "scatter"}
    assert sorted(lines.values()) == sorted(y for _, y in labels.values())  # line ends at label
