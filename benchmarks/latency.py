"""Browser latency harness: slider key press -> updated Plotly chart, in headless Chromium.

Run from the repository root (needs Debian's ``chromium`` on PATH)::

    python benchmarks/latency.py                     # the floor page (benchmarks/floor_page.py)
    python benchmarks/latency.py --page pages/3_Running_statistics.py \\
        --slider "β_EMA (EMA coefficient)"
    python benchmarks/latency.py --page pages/4_Train_vs_test.py \\
        --slider "Test batch size k" --slider "Class mix of a test batch (% class 1)" --plot 0

``--page`` is run as the main script of its own ``streamlit run`` server; ``--slider``
is the label exactly as passed to ``st.slider`` (repeat it to measure several sliders);
``--plot`` picks which Plotly chart on the page must change (0 = first).

One measurement = focus the slider thumb, press ArrowRight (ArrowLeft once the slider
is at its maximum, and back at its minimum), then wait until the chosen chart's ``data``
changed AND the script is no longer running. Times are wall-clock ms from the key press.
Compare with the floor page to see how much of a page's latency is Streamlit itself.
This script only prints figures; it never asserts timings.

From your own benchmark script in ``benchmarks/``::

    from latency import measure_slider, open_page, summary

    with open_page("pages/3_Running_statistics.py") as (page, url):
        print(summary(measure_slider(page, url, "β_EMA (EMA coefficient)", presses=12)))
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser_helpers import (  # noqa: E402
    VIEWPORT,
    StreamlitServer,
    find_chromium,
    goto_and_wait,
    launch_chromium,
    plotly_data_signature,
    slider_state,
    slider_thumb,
    wait_for_plotly,
    wait_for_plotly_change,
    wait_for_plotly_redraw,
)

FLOOR_PAGE = "benchmarks/floor_page.py"


@contextmanager
def open_page(script: str | Path = FLOOR_PAGE) -> Iterator[tuple[object, str]]:
    """Serve ``script`` with Streamlit, open it in headless Chromium; yield ``(page, url)``."""
    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("chromium not found on PATH; install it with `apt-get install chromium`")
    with StreamlitServer(script) as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright, chromium)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            goto_and_wait(page, url)
            yield page, url
        finally:
            browser.close()


def measure_slider(
    page,
    url: str,
    slider_label: str,
    presses: int = 12,
    plot_index: int = 0,
    warmup: int = 1,
    timeout: float = 60000,
    first_change: bool = False,
) -> list[float] | list[tuple[float, float]]:
    """Press the slider ``presses`` times; return ms from each key press to the new chart.

    ``warmup`` extra presses are made first and not reported. If ``page`` is not
    already showing ``url`` it is loaded first. With ``first_change``, return pairs
    ``(chart, settled)``: ms until the chart's data first changed (a chart that redraws in
    the browser changes before the server answers) and ms until the server's chart is
    drawn and the script is idle.
    """
    if page.url.rstrip("/") != url.rstrip("/"):
        goto_and_wait(page, url, timeout=timeout)
    if slider_thumb(page, slider_label).count() == 0:
        labels = page.locator("[data-testid=stSlider] [role=group]").evaluate_all(
            "groups => groups.map(g => g.getAttribute('aria-label'))"
        )
        raise ValueError(f"no slider labelled {slider_label!r} on {url}; sliders: {labels}")
    try:
        wait_for_plotly(page, plot_index, timeout=5000)
    except PlaywrightTimeoutError:
        raise ValueError(f"no Plotly chart with index {plot_index} on {url}") from None
    key = "ArrowRight"
    times = []
    for i in range(warmup + presses):
        value, low, high = slider_state(page, slider_label)
        if value >= high:
            key = "ArrowLeft"
        elif value <= low:
            key = "ArrowRight"
        before = plotly_data_signature(page, plot_index)
        thumb = slider_thumb(page, slider_label)
        thumb.focus()
        start = time.perf_counter()
        page.keyboard.press(key)
        if first_change:
            wait_for_plotly_redraw(page, before, plot_index, timeout=timeout)
            chart = (time.perf_counter() - start) * 1000
        wait_for_plotly_change(page, before, plot_index, timeout=timeout)
        elapsed = (time.perf_counter() - start) * 1000
        if i >= warmup:
            times.append((chart, elapsed) if first_change else elapsed)
    return times


def summary(times: list[float]) -> str:
    """One line: median, min, max and count of ``times`` (ms)."""
    return (
        f"median {statistics.median(times):7.1f} ms   min {min(times):7.1f} ms   "
        f"max {max(times):7.1f} ms   (n={len(times)})"
    )


def main(argv: list[str] | None = None) -> None:
    """CLI entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--page", default=FLOOR_PAGE, help="Streamlit script to serve")
    parser.add_argument("--slider", action="append", help="slider label (repeatable)")
    parser.add_argument("--plot", type=int, default=0, help="index of the Plotly chart")
    parser.add_argument("--presses", type=int, default=12, help="measured presses per slider")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured presses first")
    args = parser.parse_args(argv)
    sliders = args.slider or ["x"]

    with open_page(args.page) as (page, url):
        for label in sliders:
            times = measure_slider(page, url, label, args.presses, args.plot, args.warmup)
            print(f"{args.page}  [{label}]  {summary(times)}", flush=True)


if __name__ == "__main__":
    main()
