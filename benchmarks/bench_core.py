"""Training speed of the recording trainer, and (when PyTorch is importable) the same network
and loop written in PyTorch (CPU, float64, one thread), side by side in one run.

Scenario (the default of the pages): 2 inputs → 16 → 16 → 2 classes, BN on both hidden layers,
ReLU, Adam, batch 32, 1,000 steps, moons with 400 training examples, with recording. Also the
stacked trainer the lessons use: 8 runs of that network in one pass (4 plain, 4 noisy BN).

    python benchmarks/bench_core.py [--repeats 7]

Prints medians over repeats and the ratio. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bnsim import data  # noqa: E402
from bnsim.network import NetConfig  # noqa: E402
from bnsim.train import TrainConfig, train, train_stacked  # noqa: E402

STEPS, BATCH, LR = 1000, 32, 0.01
STACKED = 8  # runs in the stacked pass


def bnsim_runner(X, y, Xt, yt, **cfg):
    """A no-argument function that trains the benchmark network once with bnsim."""
    net = NetConfig(hidden=(16, 16), bn=(True, True))
    tc = TrainConfig(steps=STEPS, batch_size=BATCH, lr=LR, **cfg)
    return lambda: train(net, X, y, Xt, yt, tc)


def stacked_runner(X, y, Xt, yt):
    """A no-argument function that trains STACKED runs in one pass with bnsim."""
    net = NetConfig(hidden=(16, 16), bn=(True, True))
    tc = TrainConfig(steps=STEPS, batch_size=BATCH, lr=LR)
    noise = [0.0] * (STACKED // 2) + [0.3] * (STACKED - STACKED // 2)
    return lambda: train_stacked(net, X, y, Xt, yt, tc, seeds=range(STACKED), bn_noise=noise)


def torch_runner(X, y):
    """The same network and loop in PyTorch (CPU, float64, one thread), or None."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    Xt_, yt_ = torch.tensor(X), torch.tensor(y)

    def run():
        torch.manual_seed(0)
        model = torch.nn.Sequential(
            torch.nn.Linear(2, 16, bias=False), torch.nn.BatchNorm1d(16), torch.nn.ReLU(),
            torch.nn.Linear(16, 16, bias=False), torch.nn.BatchNorm1d(16), torch.nn.ReLU(),
            torch.nn.Linear(16, 2)).double()
        opt = torch.optim.Adam(model.parameters(), lr=LR)
        loss_fn = torch.nn.CrossEntropyLoss()
        gen = torch.Generator().manual_seed(0)
        n, t = len(yt_), 0
        while t < STEPS:
            perm = torch.randperm(n, generator=gen)
            for i in range(n // BATCH):
                if t == STEPS:
                    break
                idx = perm[i * BATCH:(i + 1) * BATCH]
                opt.zero_grad()
                loss = loss_fn(model(Xt_[idx]), yt_[idx])
                loss.backward()
                opt.step()
                t += 1

    return run


def seconds(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=9)
    args = ap.parse_args()
    X, y, Xt, yt = data.train_test("moons", 400, 400, 0.15, 0)
    runners = {"bnsim": bnsim_runner(X, y, Xt, yt),
               "bare": bnsim_runner(X, y, Xt, yt, eval_every=STEPS, n_snapshots=1),
               "stacked": stacked_runner(X, y, Xt, yt)}
    theirs = torch_runner(X, y.astype(np.int64))
    if theirs is not None:
        runners["torch"] = theirs
    for fn in runners.values():
        fn()  # warm-up
    # interleaved, so that both sides see the same load on a shared machine
    times = {k: [] for k in runners}
    for _ in range(args.repeats):
        for k, fn in runners.items():
            times[k].append(seconds(fn))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"bnsim recording trainer: median {med['bnsim'] * 1e3:7.1f} ms per {STEPS} steps "
          f"= {STEPS / med['bnsim']:8.0f} steps/s   (min {min(times['bnsim']) * 1e3:.1f} ms)")
    print(f"  the bare loop (no evaluation, one snapshot): median {med['bare'] * 1e3:7.1f} ms")
    print(f"stacked trainer, {STACKED} runs in one pass: median {med['stacked'] * 1e3:7.1f} ms "
          f"= {med['stacked'] / STACKED * 1e3:.1f} ms per run")
    if theirs is None:
        print("PyTorch not importable: no comparison (pip install torch to compare).")
        return
    print(f"PyTorch loop (CPU, float64, 1 thread, no recording): median "
          f"{med['torch'] * 1e3:7.1f} ms = {STEPS / med['torch']:8.0f} steps/s")
    pair = [t / b for t, b in zip(times["torch"], times["bnsim"], strict=True)]
    print(f"ratio: bnsim is {med['torch'] / med['bnsim']:.2f}x faster than PyTorch "
          f"(ratio of medians; median of {args.repeats} interleaved pairs "
          f"{statistics.median(pair):.2f}x, range {min(pair):.2f}–{max(pair):.2f}); "
          f"bare loop {med['torch'] / med['bare']:.2f}x")


if __name__ == "__main__":
    main()
