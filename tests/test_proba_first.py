"""proba_first (the first member of each test batch, batches gathered from indices) gives the
numbers of proba_batch on the same batches, whatever the block size."""

import numpy as np
import pytest

from bnsim import network
from bnsim.lessons.testtime.common import proba_batch, proba_first
from bnsim.network import NetConfig


@pytest.mark.parametrize("bn", [(True, True), (False, True), (True, False)])
@pytest.mark.parametrize("max_rows", [7, 64, 10_000])
def test_proba_first_matches_proba_batch(bn, max_rows):
    rng = np.random.default_rng(3)
    net = NetConfig(n_in=2, hidden=(5, 4), n_out=2, bn=bn, activation="relu")
    params = network.init_params(net, 1)
    for l in (1, 2):  # non-trivial γ, β
        if f"gamma{l}" in params:
            params[f"gamma{l}"] = rng.uniform(0.5, 2.0, params[f"gamma{l}"].shape)
            params[f"beta{l}"] = rng.normal(size=params[f"beta{l}"].shape)
    X = rng.normal(size=(30, 2))
    idx = rng.integers(0, 30, size=(11, 6))
    want = proba_batch(params, net, X[idx])[:, 0]
    got = proba_first(params, net, X, idx, max_rows)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
