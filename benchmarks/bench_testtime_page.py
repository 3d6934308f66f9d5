"""Speed of the "Train vs test" page: the vectorised test-batch computations, and the browser
latency of its test-batch sliders next to the floor page.

    python benchmarks/bench_testtime_page.py [--presses 10] [--repeats 5] [--no-browser]

1. Core (no browser): accuracy vs test batch size k ∈ {1, …, 256} over R random batchings of
   the 400 test examples — all batchings of one k in ONE array pass — against the same
   computation as a Python loop over the batches; and the 50 × 50 batch-statistics decision
   map. Default scenario: moons, 2 → 16 → 16 → 2 with BN, batch 32, 1,000 Adam steps.
2. Browser (headless Chromium, ``benchmarks/latency.py``): key press on a slider -> updated
   chart, for the floor page and for the page's test-batch controls on their tabs. New slider
   values are cache misses, so the page times include the test-batch computation.

Prints medians and ratios. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from bnsim import data, network  # noqa: E402
from bnsim.lessons.testtime import (  # noqa: E402
    batch_size,
    boundaries,
    common,
    running_estimate,
    skewed_batches,
)
from bnsim.modes import Mode  # noqa: E402
from bnsim.network import NetConfig  # noqa: E402
from bnsim.train import TrainConfig, train  # noqa: E402

PAGE = "pages/4_Train_vs_test.py"
# (tab, slider label, chart index) measured on the page
SLIDERS = [
    ("Boundaries", "Test batch size k", 1),
    ("Test batch size", "Test batch size k", 0),
    ("Skewed test batches", "Test batch size k", 0),
    ("Skewed test batches", "Class mix of a test batch (% class 1)", 0),
    ("Same point, new neighbours", "Test batch size k", 1),
]


def _median_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def slow_accuracy_vs_k(params, net, X, y, ks, n_batchings, seed):
    """The same batchings as batch_size.accuracy_vs_k, predicted one test batch at a time."""
    rng = np.random.default_rng(seed)
    out = []
    for k in ks:
        idx = batch_size.random_batchings(len(y), k, n_batchings, rng)
        accs = []
        for batchings in idx:
            hits = 0
            for batch in batchings:
                logits, _ = network.forward(params, X[batch], net, Mode.BATCH)
                hits += np.count_nonzero(logits.argmax(axis=1) == y[batch])
            accs.append(hits / batchings.size)
        out.append(np.mean(accs))
    return np.array(out)


def core(repeats: int) -> None:
    X, y, Xt, yt = data.train_test("moons", 400, 400, 0.15, 0)
    tr = train(NetConfig(), X, y, Xt, yt, TrainConfig(steps=1000))
    p, run, net = tr.params, tr.running_stats, tr.net
    print("core (test set of 400, k = 1, 2, 4, …, 256):")
    for R in (50, 200):
        fast = batch_size.accuracy_vs_k(p, net, run, Xt, yt, batch_size.KS, R, 0)
        slow = slow_accuracy_vs_k(p, net, Xt, yt, batch_size.KS, R, 0)
        assert np.allclose(fast.table["mean"], slow)  # the two compute the same numbers
        n_batches = R * sum(len(yt) // k for k in batch_size.KS)
        t_fast = _median_ms(lambda R=R: batch_size.accuracy_vs_k(
            p, net, run, Xt, yt, batch_size.KS, R, 0), repeats)
        t_one = _median_ms(lambda R=R: batch_size.accuracy_vs_k(
            p, net, run, Xt, yt, batch_size.KS, R, 0, max_rows=None), repeats)
        t_slow = _median_ms(lambda R=R: slow_accuracy_vs_k(
            p, net, Xt, yt, batch_size.KS, R, 0), max(1, repeats // 3))
        print(f"  accuracy vs k, R = {R:3d} batchings ({n_batches:6d} test batches):\n"
              f"    vectorised, cache-sized blocks {t_fast:7.1f} ms   one pass per k "
              f"{t_one:7.1f} ms   per-batch loop {t_slow:8.1f} ms   speed-up ×"
              f"{t_slow / t_fast:5.1f} (blocks) ×{t_slow / t_one:5.1f} (one pass)")
    grid = common.make_grid(common.extent(X, Xt), 50)
    for k in (4, 32, 256):
        mates = Xt[:k - 1]
        t = _median_ms(lambda m=mates: boundaries.boundary_batch(p, net, grid, m), repeats)
        print(f"  batch-statistics decision map 50 × 50, k = {k:3d}: {t:7.1f} ms")
    t = _median_ms(lambda: skewed_batches.skewed(p, net, run, Xt, yt, 32), repeats)
    print(f"  skewed batches, 11 class mixes × 50 batches of 32: {t:7.1f} ms")
    t = _median_ms(lambda: running_estimate.running_estimate_accuracy(tr, X, Xt, yt, 0.99), repeats)
    print(f"  running-estimate accuracy over ~100 snapshots × 3 estimators: {t:7.1f} ms")


def browser(presses: int) -> None:
    from latency import FLOOR_PAGE, measure_slider, open_page, summary

    with open_page(FLOOR_PAGE) as (page, url):
        floor = measure_slider(page, url, "x", presses)
    f = statistics.median(floor)
    print(f"browser latency, key press -> updated chart ({presses} presses each):")
    print(f"  floor page  [x]  {summary(floor)}")
    with open_page(PAGE) as (page, url):
        for tab, label, plot in SLIDERS:
            q = urllib.parse.urlencode({"tab": tab})
            times = measure_slider(page, f"{url}/?{q}", label, presses, plot_index=plot)
            m = statistics.median(times)
            print(f"  {tab:27s} [{label}]  {summary(times)}   ×{m / f:4.1f} floor")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presses", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    core(args.repeats)
    if not args.no_browser:
        browser(args.presses)


if __name__ == "__main__":
    main()
