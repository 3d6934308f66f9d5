"""The lesson "Running statistics": running estimates of one unit's μ and σ², side by side,
recomputed from a recorded training run — one module per tab, each with its verdicts beside
the numbers they are computed from.

- :mod:`~bnsim.lessons.running_stats.common`: one unit's recorded statistics, the estimators
  (EMA, bias-corrected EMA, cumulative average), their errors, the verdicts' words;
- :mod:`~bnsim.lessons.running_stats.trajectory`: "Trajectory" — the table behind the plot, and
  whether an estimate settles, σ²_B falls short (or, with BN below, what the batch-mates add,
  measured on the replayed mini-batches), what σ̂² means in eval mode, the μ_B scatter;
- :mod:`~bnsim.lessons.running_stats.error_vs_population`: "Error vs population" — whether
  bias correction helps at the window, whether the cumulative average trails;
- :mod:`~bnsim.lessons.running_stats.distribution_at_a_step`: "Distribution at a step" — z over
  the training set and one replayed mini-batch;
- :mod:`~bnsim.lessons.running_stats.frameworks`: "PyTorch & Keras" — what each framework holds,
  and whether the trained network's own estimates are the PyTorch row at β_EMA = 0.9.

"Step by step" (:func:`common.start_weight_verdict`) and "Formulas" need no numbers of their
own beyond :mod:`common`, which also defines the page's words with a threshold (*settles*,
*trails*, *bias correction helps*, *beyond the noise*, *as random mini-batches predict*).
"""
