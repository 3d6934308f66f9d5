"""Training speed of the recording trainer, and (when PyTorch is importable) the same network
and loop written in PyTorch (CPU, float64, one thread), side by side in one run.

Scenario (the default of the pages): 2 inputs → 16 → 16 → 2 classes, BN on both hidden layers,
ReLU, Adam, batch 32, 1,000 steps, moons with 400 training examples, with recording.

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
from bnsim.train import TrainConfig, train  # noqa: E402

STEPS, BATCH, LR = 1000, 32, 0.01


def time_bnsim(X, y, Xt, yt, repeats: int, **cfg) -> list[float]:
    net, tc = NetConfig(hidden=(16, 16), bn=(True, True)), TrainConfig(
        steps=STEPS, batch_size=BATCH, lr=LR, **cfg)
    train(net, X, y, Xt, yt, tc)  # warm-up
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        train(net, X, y, Xt, yt, tc)
        out.append(time.perf_counter() - t0)
    return out


def time_torch(X, y, repeats: int) -> list[float] | None:
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

    run()  # warm-up
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    X, y, Xt, yt = data.train_test("moons", 400, 400, 0.15, 0)
    ours = time_bnsim(X, y, Xt, yt, args.repeats)
    bare = time_bnsim(X, y, Xt, yt, args.repeats, eval_every=STEPS, n_snapshots=1)
    med = statistics.median(ours)
    print(f"bnsim recording trainer: median {med * 1e3:7.1f} ms per {STEPS} steps "
          f"= {STEPS / med:8.0f} steps/s   (min {min(ours) * 1e3:.1f} ms)")
    print(f"  of which the bare loop: median {statistics.median(bare) * 1e3:7.1f} ms "
          f"(no evaluation, one snapshot)")
    theirs = time_torch(X, y.astype(np.int64), args.repeats)
    if theirs is None:
        print("PyTorch not importable: no comparison (pip install torch to compare).")
        return
    tm = statistics.median(theirs)
    print(f"PyTorch loop (CPU, float64, 1 thread, no recording): median {tm * 1e3:7.1f} ms "
          f"= {STEPS / tm:8.0f} steps/s")
    print(f"ratio: bnsim is {tm / med:.2f}x faster than PyTorch (with recording); "
          f"{tm / statistics.median(bare):.2f}x for the bare loop")


if __name__ == "__main__":
    main()
