"""Tab "One mini-batch": the rows of :func:`bnsim.lessons.inside_layer.common.stages` and the
bias before BN — b^[l] moves z but not z_norm or anything after it (:func:`bias_check`, judged
by :func:`bias_verdict`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from bnsim.lessons.inside_layer.common import stages
from bnsim.verdict import Outcome, Verdict, num

SHOW_NUMBERS_MAX_M = 8  # the "show numbers" table lists the values up to this batch size
BIAS_TOLERANCE = 1e-9  # "does not move": far above rounding, far below anything visible


class BiasCheck(NamedTuple):
    b: float
    z_moved: float  # how far z moved (= |b|)
    largest_difference: float  # max |Δ| over z_norm, z̃ and a between b = 0 and this b


def bias_check(z, b: float, gamma: float, beta: float, eps: float, activation: str) -> BiasCheck:
    """Add ``b`` before BN: z moves by b, μ_B by b, and z − μ_B (hence all after) stays put."""
    s0 = stages(z, gamma, beta, eps, activation)
    s1 = stages(z, gamma, beta, eps, activation, b=b)
    diff = max(float(np.max(np.abs(getattr(s1, k) - getattr(s0, k))))
               for k in ("z_norm", "z_tilde", "a"))
    return BiasCheck(float(b), float(np.max(np.abs(s1.z - s0.z))), diff)


def bias_verdict(check: BiasCheck) -> Verdict:
    """'b^[l] is cancelled by the mean subtraction' from the numbers of :func:`bias_check`."""
    ev = {"b": check.b, "z moved": check.z_moved, "largest difference": check.largest_difference}
    if check.b == 0:
        return Verdict(Outcome.NOT_APPLICABLE,
                       "With b^[l] = 0 there is nothing to cancel: move the b^[l] slider.",
                       ev, BIAS_TOLERANCE)
    if check.largest_difference <= BIAS_TOLERANCE:
        return Verdict(Outcome.HOLDS,
                       f"Adding b^[l] = {num(check.b)} moved every z by {num(check.z_moved)}, "
                       f"and z_norm, z̃ and a changed by at most "
                       f"{check.largest_difference:.1e} (rounding): μ_B absorbs b^[l], so β^[l] "
                       "takes its role.", ev, BIAS_TOLERANCE)
    return Verdict(Outcome.REVERSED,
                   f"Adding b^[l] = {num(check.b)} changed z_norm by up to "
                   f"{num(check.largest_difference)}: more than rounding — this should not "
                   "happen.", ev, BIAS_TOLERANCE)
