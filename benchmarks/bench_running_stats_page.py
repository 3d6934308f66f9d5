"""Browser latency of the "Running statistics" page against the trivial floor page, one run.

Key press on a slider -> changed Plotly data of the trajectory plot in the DOM, in headless
Chromium against a real ``streamlit run`` server on a free port, for

* the floor page (``benchmarks/floor_page.py``: one slider, one tiny chart);
* the β_EMA slider — view only: the chart redraws its EMA lines in the browser at once (the
  live chart's preview), and the server recomputes the view from the cached run;
* the batch-size slider — every press trains a new network (1,000 steps by default).

Two times per press: **chart** (the issue's measure: until the chart's data changed) and
**settled** (until the server's figure is drawn and the script is idle — the takeaways and
the other panels are up to date too). Targets on the chart time: β_EMA median ≤ 1.5 × floor,
batch size median ≤ 4 × floor. Run from the repository root (needs Debian's ``chromium``)::

    python benchmarks/bench_running_stats_page.py [--presses 12] [--rounds 1]

Prints medians and ratios; never asserts. The machine is shared, so ``--rounds`` > 1 repeats
the three measurements in turn and reports each round and the median over rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from latency import FLOOR_PAGE, measure_slider, open_page  # noqa: E402

PAGE = "pages/3_Running_statistics.py"
BETA = "β_EMA (EMA coefficient)"
BATCH = "Mini-batch size m"
TARGETS = {BETA: 1.5, BATCH: 4.0}


def one_round(presses: int) -> dict[str, list[tuple[float, float]]]:
    """Floor, β_EMA and batch size: (chart, settled) ms for ``presses`` key presses each."""
    out = {}
    with open_page(FLOOR_PAGE) as (page, url):
        out["floor"] = measure_slider(page, url, "x", presses, first_change=True)
    with open_page(PAGE) as (page, url):
        for label in (BETA, BATCH):
            out[label] = measure_slider(page, url, label, presses, first_change=True)
    return out


def medians(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    """Median chart time and median settled time."""
    return (statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs))


def line(name: str, chart: float, settled: float, floor: tuple[float, float] | None,
         target: float | None) -> str:
    text = f"{name:26s} chart {chart:6.1f} ms   settled {settled:6.1f} ms"
    if floor is not None:
        text += (f"   ratio chart {chart / floor[0]:4.2f} × floor (target ≤ {target:g}), "
                 f"settled {settled / floor[1]:4.2f} × floor")
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presses", type=int, default=12, help="measured presses per slider")
    parser.add_argument("--rounds", type=int, default=1, help="repeat the whole measurement")
    args = parser.parse_args(argv)
    per_round: dict[str, list[tuple[float, float]]] = {}
    for r in range(1, args.rounds + 1):
        times = one_round(args.presses)
        floor = medians(times["floor"])
        per_round.setdefault("floor", []).append(floor)
        print(f"round {r} (n={args.presses} presses, medians):", flush=True)
        print("  " + line("floor page", *floor, None, None), flush=True)
        for label in (BETA, BATCH):
            m = medians(times[label])
            per_round.setdefault(label, []).append(m)
            print("  " + line(label, *m, floor, TARGETS[label]), flush=True)
    if args.rounds > 1:
        print(f"over {args.rounds} rounds (median of the round medians):")
        floor = medians(per_round["floor"])
        print("  " + line("floor page", *floor, None, None))
        for label in (BETA, BATCH):
            print("  " + line(label, *medians(per_round[label]), floor, TARGETS[label]))


if __name__ == "__main__":
    main()
