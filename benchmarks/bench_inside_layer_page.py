"""Speed of the "Inside a BN layer" page.

1. **sweep**: the learning-rate sweep (8 α × with/without BN, seeds stacked per setting) cold,
   next to one cold rerun of the Covariate shift page's default tab (both through AppTest,
   caches cleared), which the sweep must stay below.
2. **rerun**: one script run of each tab through AppTest, cold and warm.
3. **browser**: key press on a slider → changed chart, median of ``--presses`` presses in
   headless Chromium (``benchmarks/latency.py``), for γ, β (view-only), layer and unit,
   next to the floor page.

Run from the repository root: ``python benchmarks/bench_inside_layer_page.py``. It prints
figures; nothing is asserted.
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

PAGE = "app_pages/1_inside_layer.py"
COVARIATE = "app_pages/2_covariate_shift.py"
TABS = ("One mini-batch", "γ and β", "Learning γ, β", "With vs without BN")


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


def bench_rerun(repeats: int) -> None:
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    print("== one rerun of each tab (AppTest, default settings)")
    for tab in TABS:
        cold, warm = _cold_and_warm(PAGE, tab, repeats)
        print(f"  {tab:22s} cold {cold * 1000:7.0f} ms   warm {warm * 1000:6.0f} ms")
    cold, _ = _cold_and_warm(COVARIATE, None, repeats)
    print(f"  Covariate shift page, default tab, cold {cold * 1000:7.0f} ms (the sweep's bound)")


def bench_browser(presses: int) -> None:
    from latency import FLOOR_PAGE, measure_slider, open_page, summary

    with open_page(FLOOR_PAGE) as (page, url):
        floor = statistics.median(measure_slider(page, url, "x", presses))
    print(f"== browser latency (median of {presses} presses); floor page {floor:.0f} ms")
    # The step slider is not measured: most single steps land on the same recorded snapshot,
    # so the chart (rightly) does not change.
    cases = (("γ (slider)", "gb=sliders", 1), ("β (slider)", "gb=sliders", 1),
             ("Layer l", "layers=4", 0), ("Unit j", "", 0))
    with open_page(PAGE) as (page, base):
        for label, query, plot in cases:
            url = f"{base}?{query}&tab=%CE%B3+and+%CE%B2" if plot else f"{base}?{query}"
            times = measure_slider(page, url, label, presses, plot)
            m = statistics.median(times)
            print(f"  {label:16s} {summary(times)}   = {m / floor:.2f} × floor")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--presses", type=int, default=10)
    p.add_argument("--no-browser", action="store_true")
    args = p.parse_args(argv)
    bench_rerun(args.repeats)
    if not args.no_browser:
        bench_browser(args.presses)


if __name__ == "__main__":
    main()
