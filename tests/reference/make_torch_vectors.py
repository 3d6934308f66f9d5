"""Generate PyTorch reference vectors for the tests (run by hand; torch is NOT a dependency).

    pip install torch==2.13.0
    python tests/reference/make_torch_vectors.py   # rewrites tests/reference/torch_vectors.json

Cases:
* ``batchnorm1d``: BatchNorm1d(3) (float64, defaults) over 5 random batches of different sizes
  (including m = 2) — running_mean / running_var after each, train outputs, eval output;
  and momentum=None (cumulative average) on the same batches.
* ``mlp``: the lecture's network 2 → 5 → 4 → 3 (Linear without bias → BatchNorm1d → tanh,
  twice, then Linear with bias), one mini-batch of 6 in train mode: logits, cross-entropy loss
  and the gradient of every parameter; then eval-mode logits after one update of the running
  statistics.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).with_name("torch_vectors.json")


def batchnorm_case(rng):
    sizes = [4, 2, 7, 3, 5]
    batches = [rng.normal(1.5, 2.0, (m, 3)) for m in sizes]
    out = {"batches": [b.tolist() for b in batches]}
    for name, momentum in (("momentum_0.1", 0.1), ("momentum_None", None)):
        bn = torch.nn.BatchNorm1d(3, momentum=momentum).double()
        means, vars_, outs = [], [], []
        for b in batches:
            bn.train()
            outs.append(bn(torch.tensor(b)).detach().numpy().tolist())
            means.append(bn.running_mean.numpy().tolist())
            vars_.append(bn.running_var.numpy().tolist())
        bn.eval()
        test = rng.normal(0, 3, (4, 3))
        out[name] = {"running_mean": means, "running_var": vars_, "train_out": outs,
                     "eval_in": test.tolist(),
                     "eval_out": bn(torch.tensor(test)).detach().numpy().tolist()}
    return out


def mlp_case(rng):
    W1, W2 = rng.normal(0, 0.8, (5, 2)), rng.normal(0, 0.6, (4, 5))
    g1, b1 = rng.uniform(0.5, 1.5, 5), rng.normal(0, 0.3, 5)
    g2, b2 = rng.uniform(0.5, 1.5, 4), rng.normal(0, 0.3, 4)
    Wo, bo = rng.normal(0, 0.5, (3, 4)), rng.normal(0, 0.1, 3)
    X, y = rng.normal(0, 1.5, (6, 2)), rng.integers(0, 3, 6)
    lin1, lin2 = torch.nn.Linear(2, 5, bias=False), torch.nn.Linear(5, 4, bias=False)
    bn1, bn2 = torch.nn.BatchNorm1d(5), torch.nn.BatchNorm1d(4)
    out = torch.nn.Linear(4, 3)
    model = torch.nn.Sequential(lin1, bn1, torch.nn.Tanh(), lin2, bn2, torch.nn.Tanh(),
                                out).double()
    with torch.no_grad():
        lin1.weight.copy_(torch.tensor(W1))
        lin2.weight.copy_(torch.tensor(W2))
        bn1.weight.copy_(torch.tensor(g1))
        bn1.bias.copy_(torch.tensor(b1))
        bn2.weight.copy_(torch.tensor(g2))
        bn2.bias.copy_(torch.tensor(b2))
        out.weight.copy_(torch.tensor(Wo))
        out.bias.copy_(torch.tensor(bo))
    model.train()
    logits = model(torch.tensor(X))
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y))
    loss.backward()
    model.eval()
    Xe = rng.normal(0, 1.5, (3, 2))
    eval_logits = model(torch.tensor(Xe)).detach().numpy()
    return {
        "params": {"W1": W1.tolist(), "gamma1": g1.tolist(), "beta1": b1.tolist(),
                   "W2": W2.tolist(), "gamma2": g2.tolist(), "beta2": b2.tolist(),
                   "W_out": Wo.tolist(), "b_out": bo.tolist()},
        "X": X.tolist(), "y": y.tolist(),
        "logits": logits.detach().numpy().tolist(), "loss": float(loss.detach()),
        "grads": {"W1": lin1.weight.grad.numpy().tolist(),
                  "gamma1": bn1.weight.grad.numpy().tolist(),
                  "beta1": bn1.bias.grad.numpy().tolist(),
                  "W2": lin2.weight.grad.numpy().tolist(),
                  "gamma2": bn2.weight.grad.numpy().tolist(),
                  "beta2": bn2.bias.grad.numpy().tolist(),
                  "W_out": out.weight.grad.numpy().tolist(),
                  "b_out": out.bias.grad.numpy().tolist()},
        "running": {"mean1": bn1.running_mean.numpy().tolist(),
                    "var1": bn1.running_var.numpy().tolist(),
                    "mean2": bn2.running_mean.numpy().tolist(),
                    "var2": bn2.running_var.numpy().tolist()},
        "eval_X": Xe.tolist(), "eval_logits": eval_logits.tolist(),
    }


def main() -> None:
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(2024)
    data = {"torch_version": torch.__version__, "batchnorm1d": batchnorm_case(rng),
            "mlp": mlp_case(rng)}
    OUT.write_text(json.dumps(data, indent=1))
    print(f"wrote {OUT} (torch {torch.__version__})")


if __name__ == "__main__":
    main()
