"""Speed of the "Inside a BN layer" page.

1. **sweep**: the learning-rate sweep (8 α × with/without BN, seeds stacked per setting) cold,
   on its own and as the first run of its tab, next to one cold run of the Covariate shift
   page's default tab (all through AppTest, caches cleared), which the sweep must stay below.
2. **rerun**: one script run of each tab through AppTest, cold and warm.
3. **browser**: key press on a slider → changed chart, median of ``--presses`` presses in
   headless Chromium (``benchmarks/latency.py``), next to the floor page: γ and β in the
   sliders' mode (the charts redraw in the browser first: the time to that redraw, and to the
   server's chart with the script idle); layer, unit and step alike (the rows redraw in the
   browser from the neighbours' z that travel with the chart, then the server's chart).

Run from the repository root: ``python benchmarks/bench_inside_layer_page.py``. It prints
figures; nothing is asserted. The machine's load matters: compare figures from one run.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "benchmarks")]

PAGE = "pages/1_Inside_a_BN_layer.py"
COVARIATE = "pages/2_Covariate_shift.py"


def _cold_and_warm(script: str, tab: str | None, repeats: int) -> tuple[float, float]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    cold, warm = [], []
    for _ in range(repeats):
        st.cache_resource.clear()
        st.cache_data.clear()
        at = AppTest.from_file(str(REPO_ROOT / script), default_timeout=600)
        if tab:
            at.query_params["tab"] = tab
        t0 = time.perf_counter()
        at.run()
        cold.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t0)
    return statistics.median(cold), statistics.median(warm)


def bench_sweep(repeats: int) -> None:
    from bnsim.lessons.inside_layer import with_vs_without_bn as sweeps

    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        sweeps.sweep(sweeps.SweepSetting())
        times.append(time.perf_counter() - t0)
    print(f"== the sweep at its defaults, core only: median {statistics.median(times) * 1000:.0f}"
          f" ms (n={repeats})")


def bench_rerun(repeats: int) -> None:
    from bnsim.ui.inside_layer import LESSON

    print(f"== one rerun of each tab (AppTest, default settings, median of {repeats})")
    for tab in (t.title for t in LESSON.tabs):
        cold, warm = _cold_and_warm(PAGE, tab, repeats)
        print(f"  {tab:22s} cold {cold * 1000:7.0f} ms   warm {warm * 1000:6.0f} ms")
    cold, _ = _cold_and_warm(COVARIATE, None, repeats)
    print(f"  Covariate shift page, default tab, cold {cold * 1000:7.0f} ms (the sweep's bound)")


GB_TAB = "tab=%CE%B3+and+%CE%B2"


def bench_browser(presses: int) -> None:
    from latency import FLOOR_PAGE, measure_slider, open_page, summary

    with open_page(FLOOR_PAGE) as (page, url):
        floor = statistics.median(measure_slider(page, url, "x", presses))
    print(f"== browser latency (median of {presses} presses); floor page {floor:.0f} ms")
    with open_page(PAGE) as (page, base):
        # γ, β: the charts follow the slider in the browser (sliders' mode), then the server's
        for label in ("γ (slider)", "β (slider)"):
            pairs = measure_slider(page, f"{base}?gb=sliders&{GB_TAB}", label, presses, 0,
                                   first_change=True)
            chart, settled = ([p[i] for p in pairs] for i in (0, 1))
            print(f"  {label:12s} in-browser redraw {summary(chart)}   = "
                  f"{statistics.median(chart) / floor:.2f} × floor")
            print(f"  {'':12s} server's chart    {summary(settled)}   = "
                  f"{statistics.median(settled) / floor:.2f} × floor")
        # Layer, unit, step: the rows first redraw in the browser. Unit: 16 units, so that
        # every press shows another unit (with the default 8, units 9–16 are clipped to 8 and
        # the chart rightly does not change — why this benchmark used to time out on "Unit j").
        # Step: 200 steps trained, from step 1, where every step up to 13 is a recorded
        # snapshot (later single steps mostly land on the same snapshot, and the chart rightly
        # does not change): at most 11 presses after the warm-up one.
        cases = (("Layer l", "layers=4"), ("Unit j", "units=16"),
                 ("Training step", "steps=200&step=1"))
        for label, query in cases:
            n = min(presses, 11) if label == "Training step" else presses
            pairs = measure_slider(page, f"{base}?{query}", label, n, 0, first_change=True)
            chart, settled = ([p[i] for p in pairs] for i in (0, 1))
            print(f"  {label:14s} in-browser redraw {summary(chart)}   = "
                  f"{statistics.median(chart) / floor:.2f} × floor")
            print(f"  {'':14s} server's chart    {summary(settled)}   = "
                  f"{statistics.median(settled) / floor:.2f} × floor")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--presses", type=int, default=10)
    p.add_argument("--no-browser", action="store_true")
    p.add_argument("--browser-only", action="store_true",
                   help="only the browser latencies (skip the sweep and the AppTest reruns)")
    args = p.parse_args(argv)
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    if not args.browser_only:
        bench_sweep(max(args.repeats, 3))
        bench_rerun(args.repeats)
    if not args.no_browser:
        bench_browser(args.presses)


if __name__ == "__main__":
    main()
