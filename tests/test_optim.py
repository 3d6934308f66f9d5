"""The optimisers against their textbook formulas, written the obvious way."""

import numpy as np
import pytest

from bnsim import optim


def test_adam_in_place_equals_the_formula_bit_for_bit():
    rng = np.random.default_rng(0)
    w = rng.normal(size=37)
    ref = w.copy()
    v, s = np.zeros_like(w), np.zeros_like(w)
    opt = optim.make("adam", w, 0.01)
    for t in range(1, 6):
        dw = rng.normal(size=37)
        opt.step(w, dw)
        v = 0.9 * v + (1 - 0.9) * dw
        s = 0.999 * s + (1 - 0.999) * dw * dw
        ref -= (0.01 / (1 - 0.9**t)) * v / (np.sqrt(s / (1 - 0.999**t)) + 1e-8)
        np.testing.assert_array_equal(w, ref)


@pytest.mark.parametrize("name", sorted(optim.OPTIMIZERS))
def test_every_optimiser_goes_downhill_on_a_bowl(name):
    w = np.array([3.0, -2.0])
    opt = optim.make(name, w, 0.05)
    for _ in range(300):
        opt.step(w, 2 * w)  # gradient of |w|²
    assert np.linalg.norm(w) < 0.5
