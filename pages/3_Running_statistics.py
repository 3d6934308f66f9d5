"""Lesson "Batch norm at test time": per-mini-batch μ and σ² and their running estimates."""

from bnsim.ui.lesson import run
from bnsim.ui.running_stats import LESSON

run(LESSON)
