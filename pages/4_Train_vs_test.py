"""Lesson "Train vs test": batch statistics vs running statistics at test time."""

from bnsim.ui.lesson import run
from bnsim.ui.testtime import LESSON

run(LESSON)
