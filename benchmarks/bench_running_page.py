"""Browser latency of the "Running statistics" page against the trivial floor page, one run.

Key press on a slider -> changed Plotly data of the trajectory plot in the DOM (and the script
idle), in headless Chromium against a real ``streamlit run`` server on a free port, for

* the floor page (``benchmarks/floor_page.py``: one slider, one tiny chart);
* the β_EMA slider — view only: the estimators are recomputed from the cached run;
* the batch-size slider — every press trains a new network (1,000 steps by default).

Targets: β_EMA median ≤ 1.5 × floor, batch size median ≤ 4 × floor. Run from the repository
root (needs Debian's ``chromium`` on PATH)::

    python benchmarks/bench_running_page.py [--presses 12] [--rounds 1]

Prints medians and ratios; never asserts. The machine is shared, so ``--rounds`` > 1 repeats
the three measurements in turn and reports each round and the median over rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from latency import FLOOR_PAGE, measure_slider, open_page, summary  # noqa: E402

PAGE = "pages/1_Running_statistics.py"
BETA = "β_EMA (EMA coefficient)"
BATCH = "Batch size m"
TARGETS = {BETA: 1.5, BATCH: 4.0}


def one_round(presses: int) -> dict[str, list[float]]:
    """Floor, β_EMA and batch size, each ``presses`` key presses (after one warm-up)."""
    out = {}
    with open_page(FLOOR_PAGE) as (page, url):
        out["floor"] = measure_slider(page, url, "x", presses)
    with open_page(PAGE) as (page, url):
        for label in (BETA, BATCH):
            out[label] = measure_slider(page, url, label, presses)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presses", type=int, default=12, help="measured presses per slider")
    parser.add_argument("--rounds", type=int, default=1, help="repeat the whole measurement")
    args = parser.parse_args(argv)
    medians: dict[str, list[float]] = {}
    for r in range(1, args.rounds + 1):
        times = one_round(args.presses)
        floor = statistics.median(times["floor"])
        print(f"round {r}: floor page        {summary(times['floor'])}", flush=True)
        medians.setdefault("floor", []).append(floor)
        for label in (BETA, BATCH):
            med = statistics.median(times[label])
            medians.setdefault(label, []).append(med)
            print(f"round {r}: {label:24s}  {summary(times[label])}   "
                  f"ratio {med / floor:4.2f} × floor (target ≤ {TARGETS[label]:g})", flush=True)
    if args.rounds > 1:
        floor = statistics.median(medians["floor"])
        print(f"over {args.rounds} rounds: floor median {floor:.1f} ms")
        for label in (BETA, BATCH):
            med = statistics.median(medians[label])
            print(f"over {args.rounds} rounds: {label:24s} median {med:7.1f} ms   "
                  f"ratio {med / floor:4.2f} × floor (target ≤ {TARGETS[label]:g})")


if __name__ == "__main__":
    main()
