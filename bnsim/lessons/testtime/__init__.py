r"""Lesson "Train vs test": a trained BN network with running statistics vs with test-batch
statistics.

At test time a BN layer can normalise z with

* the **running** estimates (eval mode), so each example stands alone::

      z_norm = (z − μ̂)/√(σ̂² + ε),  z̃ = γ·z_norm + β

* the statistics of the **test batch** it arrives in (batch-statistics mode), so its prediction
  depends on its k − 1 batch-mates. With k = 1 the batch mean is the example itself:
  z_norm = 0 and z̃ = β in every BN layer, so every input gets the same output.

One module per tab, each with its numbers and its verdicts: :mod:`.boundaries` ("Boundaries"),
:mod:`.batch_size` ("Test batch size"), :mod:`.same_point` ("Same point, new neighbours"),
:mod:`.skewed_batches` ("Skewed test batches"), :mod:`.running_estimate` ("Running estimate"),
:mod:`.batch_renorm` ("Batch Renorm"), :mod:`.running_averages` ("Running averages in
training"); what several tabs share (predictions in both modes, the one sampler of random test
batches, the eval-mode map, the compared training variants) is in :mod:`.common`.
"""
