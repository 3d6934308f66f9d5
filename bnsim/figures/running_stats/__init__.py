"""Figures of "Running statistics": pure functions data -> plotly Figure, one module per tab.

- :mod:`~bnsim.figures.running_stats.trajectory`: "Trajectory" — :func:`trajectory`, and
  :func:`ema_preview`, the recipe the live chart uses to redraw the EMA lines in the browser
  while the β_EMA slider moves;
- :mod:`~bnsim.figures.running_stats.error_vs_population`: "Error vs population" —
  :func:`error_plot`;
- :mod:`~bnsim.figures.running_stats.step_by_step`: "Step by step" — :func:`scrub`;
- :mod:`~bnsim.figures.running_stats.distribution_at_a_step`: "Distribution at a step" —
  :func:`distribution`;
- :mod:`~bnsim.figures.running_stats.common`: colours, legend names, axes, the dict builders.
"""

from bnsim.figures.running_stats.distribution_at_a_step import distribution
from bnsim.figures.running_stats.error_vs_population import error_plot
from bnsim.figures.running_stats.step_by_step import scrub
from bnsim.figures.running_stats.trajectory import ema_preview, trajectory

__all__ = ["distribution", "ema_preview", "error_plot", "scrub", "trajectory"]
