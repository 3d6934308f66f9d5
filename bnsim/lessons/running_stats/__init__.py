"""The lesson "Running statistics": running estimates of one unit's μ and σ², side by side,
recomputed from a recorded training run — one module per tab, each with its verdicts beside
the numbers they are computed from.

- :mod:`~bnsim.lessons.running_stats.common`: one unit's recorded statistics, the estimators
  (EMA, bias-corrected EMA, cumulative average), their errors, the verdicts' words;
- :mod:`~bnsim.lessons.running_stats.trajectory`: "Trajectory" — the table behind the plot, and
  whether an estimate settles, σ²_B falls short, the μ_B scatter as predicted;
- :mod:`~bnsim.lessons.running_stats.error_vs_population`: "Error vs population" — whether
  bias correction helps at the window, whether the cumulative average trails;
- :mod:`~bnsim.lessons.running_stats.distribution_at_a_step`: "Distribution at a step" — z over
  the training set and one replayed mini-batch;
- :mod:`~bnsim.lessons.running_stats.frameworks`: "PyTorch & Keras" — what each framework holds.

"Step by step" and "Formulas" need no numbers of their own beyond :mod:`common`.
"""
