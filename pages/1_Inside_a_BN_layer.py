"""Lesson "Fitting batch norm into a neural network": one mini-batch through one BN layer, and
BN's headline effect — faster training that tolerates larger learning rates."""

from bnsim.ui.inside_layer import LESSON
from bnsim.ui.lesson import run

run(LESSON)
