"""Lesson "Covariate shift": the lecture's toy examples, and what BN does (and does not do).

Each tab opens with its key picture (sized to fit the first 1280×720 screen) and the takeaway
right under it; equations, notes and the long introduction come after."""

from bnsim.ui.covariate_shift import LESSON
from bnsim.ui.lesson import run

run(LESSON)
