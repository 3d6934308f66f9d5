"""Lesson "Inside a BN layer": one mini-batch through one BN layer, operation by operation, and
BN's headline effect (faster training, larger learning rates) measured with and without BN.

One module per tab, each with its numbers and the verdicts computed from them
(:class:`bnsim.verdict.Verdict`); pure NumPy/pandas:

* :mod:`.common` — what "One mini-batch" and "γ and β" share: the lecture's order of BN's
  operations (:func:`~.common.stages`) and the replayed mini-batch of every snapshot step.
* :mod:`.one_mini_batch` — a bias b before BN is cancelled (:func:`~.one_mini_batch.bias_verdict`).
* :mod:`.gamma_and_beta` — γ, β can undo BN; the nearly linear middle of g
  (:func:`~.gamma_and_beta.sigmoid_verdict`).
* :mod:`.learning_gamma_beta` — γ, β over training under each optimiser.
* :mod:`.with_vs_without_bn` — the learning-rate sweep (:func:`~.with_vs_without_bn.bn_verdict`).
"""
