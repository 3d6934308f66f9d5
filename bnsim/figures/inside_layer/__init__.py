"""Figures of the lesson "Inside a BN layer": pure functions, data in, plotly Figure (or an
in-browser recipe) out; one module per tab.

* :mod:`.common` — the rows chart of "One mini-batch" and "γ and β", and its ``"stages"``
  recipe.
* :mod:`.gamma_and_beta` — the activation curve and its ``"affine"`` recipe.
* :mod:`.learning_gamma_beta` — γ, β over training per optimiser.
* :mod:`.with_vs_without_bn` — the learning-rate sweep's charts.
"""
