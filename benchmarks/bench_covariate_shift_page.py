"""Speed of the "Covariate shift" page: stacked vs sequential training, one rerun cold and
warm per tab, and browser latency of view-only and retraining controls vs the floor page.

Run from the repository root (the browser part needs Debian's ``chromium`` on PATH)::

    python benchmarks/bench_covariate_shift_page.py                 # everything
    python benchmarks/bench_covariate_shift_page.py --only stacked  # or: rerun, browser
    python benchmarks/bench_covariate_shift_page.py --repeats 7 --presses 8

1. **stacked**: the page's two comparisons trained (a) with sequential ``train()`` calls, (b)
   with sequential one-run ``train_stacked`` calls (the same lean recording as (c), so (b)/(c)
   is the gain of vectorising alone) and (c) as the page does it, runs stacked on a leading
   axis. Repeats are interleaved so machine load hits all variants alike.
   Also the regularisation view's sweep (8 stacked passes: 4 batch sizes, with and without
   BN) for 3 and 10 seeds.
2. **rerun**: one script run of each tab through Streamlit's AppTest (no browser): cold (all
   caches cleared, so it trains) and warm (the same settings again).
3. **browser**: ms from a slider key press to the updated chart (``benchmarks/latency.py``) on
   the floor page, for view-only controls (cached training, no retraining) and for controls that
   retrain (every press a new value, so every press is a cache miss).

Prints medians and ratios; figures, not assertions.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import urllib.parse
from dataclasses import replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

from bnsim import data  # noqa: E402
from bnsim.lessons.covariate_shift import (  # noqa: E402
    black_cats,
    mini_batch_noise,
    noisy_bn,
)
from bnsim.network import NetConfig  # noqa: E402
from bnsim.train import (  # noqa: E402
    TrainConfig,
    train,
    train_stacked,  # noqa: E402
)

PAGE = "pages/2_Covariate_shift.py"
BLACK_CATS, MOVING_INPUTS, MINI_BATCH_NOISE, NOISY_BN = (
    "Black cats → coloured cats", "A deep layer's moving inputs", "Mini-batch noise", "Noisy BN")
TABS = (BLACK_CATS, MOVING_INPUTS, MINI_BATCH_NOISE, NOISY_BN)
HIDDEN = (16, 16, 16)


def _median(xs) -> float:
    return statistics.median(xs)


def _interleaved(variants: dict, repeats: int) -> dict:
    """{name: [seconds]}: every repeat runs every variant once, in turn."""
    out = {k: [] for k in variants}
    for f in variants.values():  # warm-up
        f()
    for _ in range(repeats):
        for k, f in variants.items():
            t0 = time.perf_counter()
            f()
            out[k].append(time.perf_counter() - t0)
    return out


def bench_stacked(repeats: int) -> None:
    cfg = TrainConfig(steps=1000, batch_size=32)
    print("== stacked vs sequential training (medians of", repeats, "interleaved repeats)")

    # tab 4: no BN, BN, noisy BN (σ = 0.5) × 3 seeds, moons with 1000 training examples
    X, y, Xt, yt = data.train_test("moons", 1000, 400, 0.1, 0)
    seeds, sigma = [0, 1, 2], 0.5
    plain, bn = NetConfig(hidden=HIDDEN, bn=(False,) * 3), NetConfig(hidden=HIDDEN, bn=(True,) * 3)
    page_cfg = replace(cfg, eval_every=cfg.steps)
    runs = [(plain, s, 0.0) for s in seeds] + [(bn, s, 0.0) for s in seeds] + \
        [(bn, s, sigma) for s in seeds]
    t = _interleaved({
        "sequential train()": lambda: [train(n, X, y, Xt, yt, replace(page_cfg, seed=s,
                                                                     bn_noise=b))
                                       for n, s, b in runs],
        "sequential one-run stacks": lambda: [train_stacked(n, X, y, Xt, yt, page_cfg, [s], [b],
                                                            pop_rows=250)
                                              for n, s, b in runs],
        "two stacked passes (page)": lambda: noisy_bn.noisy_comparison(X, y, Xt, yt, HIDDEN,
                                                                       "relu", cfg, sigma,
                                                                       seeds),
    }, repeats)
    _report("noisy BN, 9 runs of 1000 steps", t)

    # tab 1: 3 rules × (no BN, BN), 400 training examples
    sets = [data.make_shift(rule=r, shift=0.0, n_train=400, n_test=2, spread=0.8,
                            test_scale=1.0, label_noise=0.0, seed=0) for r in data.RULES]
    quiet = replace(cfg, eval_every=cfg.steps, n_snapshots=1)
    t = _interleaved({
        "sequential train()": lambda: [train(n, d.X_train, d.y_train, cfg=quiet)
                                       for n in (plain, bn) for d in sets],
        "two stacked passes (page)": lambda: black_cats.train_shift_models(tuple(data.RULES),
                                                                           HIDDEN, "relu", cfg),
    }, repeats)
    _report("black cats, 6 runs of 1000 steps", t)

    # pure training loop, no recording: where stacking pays
    quiet_big = replace(cfg, eval_every=cfg.steps, n_snapshots=1)
    for k in (1, 3, 6):
        t = _interleaved({
            f"{k} × train()": lambda k=k: [train(bn, X, y, cfg=replace(quiet_big, seed=s))
                                           for s in range(k)],
            f"one stack of {k}": lambda k=k: train_stacked(bn, X, y, cfg=quiet_big,
                                                           seeds=list(range(k))),
        }, repeats)
        _report(f"training loop only, k = {k}", t)

    # the regularisation view of the mini-batch tab: m = 4, 16, 64, 256 × (BN, no BN)
    Xr, yr, Xrt, yrt = data.train_test("moons", mini_batch_noise.REG_N_TRAIN, 1000, 0.3, 0)
    for k in (3, 10):
        t = _interleaved({f"{k} seeds per m": lambda k=k: mini_batch_noise.regularisation_sweep(
            Xr, yr, Xrt, yrt, HIDDEN, "relu", cfg, list(range(k)))}, max(1, repeats // 2))
        _report(f"regularisation sweep, 8 stacked passes of {k}", t)


def _report(title: str, t: dict) -> None:
    names = list(t)
    last = _median(t[names[-1]])
    print(f"  {title}:")
    for k in names:
        m = _median(t[k])
        print(f"    {k:28s} {m * 1000:8.0f} ms   ×{m / last:4.2f} of the last")


def bench_rerun(repeats: int) -> None:
    import logging

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    logging.getLogger("streamlit").setLevel(logging.ERROR)

    print("== one rerun of each tab (AppTest, default settings, 1000 steps)")
    for tab in TABS:
        cold, warm = [], []
        for _ in range(repeats):
            st.cache_resource.clear()
            st.cache_data.clear()
            at = AppTest.from_file(str(REPO_ROOT / PAGE), default_timeout=300)
            at.query_params["tab"] = tab
            t0 = time.perf_counter()
            at.run()
            cold.append(time.perf_counter() - t0)
            assert not at.exception, at.exception
            t0 = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - t0)
        print(f"  {tab:30s} cold {_median(cold) * 1000:7.0f} ms   warm "
              f"{_median(warm) * 1000:6.0f} ms   (n={repeats})")


def _there_and_back(page, label: str, n: int, plot: int) -> tuple[list, list]:
    """Press ArrowRight n times (values not seen before) then ArrowLeft n times (values seen
    once, so their cached views come back); ms from key press to the new chart."""
    from tests.browser_helpers import plotly_data_signature, press_slider, wait_for_plotly_change

    out = ([], [])
    for key, times in (("ArrowRight", out[0]), ("ArrowLeft", out[1])):
        for _ in range(n):
            before = plotly_data_signature(page, plot)
            t0 = time.perf_counter()
            press_slider(page, label, key)
            wait_for_plotly_change(page, before, plot, timeout=300000)
            times.append((time.perf_counter() - t0) * 1000)
    return out


def bench_browser(presses: int) -> None:
    from latency import FLOOR_PAGE, measure_slider, open_page, summary

    from tests.browser_helpers import goto_and_wait, wait_for_plotly

    print("== browser latency, key press -> updated chart (ms)")
    with open_page(FLOOR_PAGE) as (page, url):
        floor = measure_slider(page, url, "x", presses)
    print(f"  floor page                          {summary(floor)}")
    base = _median(floor)

    def line(tab, label, times, what):
        print(f"  [{tab[:12]}] {label:24s} {summary(times)}  "
              f"×{_median(times) / base:5.1f} floor  ({what})", flush=True)

    with open_page(PAGE) as (page, url):
        for tab, label, chart in ((BLACK_CATS, "Shift of the test inputs", 0),
                                  (MOVING_INPUTS, "Unit j", 0)):
            goto_and_wait(page, f"{url}/?tab={urllib.parse.quote(tab)}", timeout=300000)
            wait_for_plotly(page, chart, timeout=300000)
            first, again = _there_and_back(page, label, presses, chart)
            line(tab, label, first, "view only, new value")
            line(tab, label, again, "view only, value seen before")
        for tab, label, n, what in ((BLACK_CATS, "Training steps", 5, "retrains 6 networks"),
                                    (MOVING_INPUTS, "Data noise", 4, "retrains 2 networks"),
                                    (NOISY_BN, "Noise σ after BN", 4, "retrains 9 networks")):
            tab_url = f"{url}/?tab={urllib.parse.quote(tab)}"
            line(tab, label, measure_slider(page, tab_url, label, n, 0, warmup=0,
                                            timeout=300000), what)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", choices=("stacked", "rerun", "browser"))
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--presses", type=int, default=8)
    a = p.parse_args(argv)
    if a.only in (None, "stacked"):
        bench_stacked(a.repeats)
    if a.only in (None, "rerun"):
        bench_rerun(max(1, a.repeats // 2))
    if a.only in (None, "browser"):
        bench_browser(a.presses)


if __name__ == "__main__":
    main()
