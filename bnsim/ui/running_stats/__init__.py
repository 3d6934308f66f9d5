"""The "Running statistics" page: :data:`LESSON`, its tabs registered by name (one module per
tab, each with its controls, presets, view and sentences) and the controls they share
(:mod:`~bnsim.ui.running_stats.common`). The open tab is in the URL as ``?panel=…``, as in
links made before; a link without it opens the trajectory."""

from bnsim.ui.lesson import Lesson
from bnsim.ui.running_stats import (
    common,
    distribution_at_a_step,
    error_vs_population,
    formulas,
    frameworks,
    step_by_step,
    trajectory,
)

LESSON = Lesson(
    title=common.TITLE,
    intro=common.INTRO,
    controls=common.CONTROLS,
    tabs=(trajectory.TAB, error_vs_population.TAB, step_by_step.TAB,
          distribution_at_a_step.TAB, frameworks.TAB, formulas.TAB),
    tab_key="panel",
    footer=common.footer,
    glossary=common.GLOSSARY_TERMS,
)
