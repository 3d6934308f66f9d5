"""Figures of the lesson "Train vs test": pure functions data -> plotly Figure, one module per
tab (:mod:`.boundaries`, :mod:`.batch_size`, :mod:`.same_point`, :mod:`.skewed_batches`,
:mod:`.running_estimate`); axes, the decision map and the figures of the compared training
variants (tabs "Batch Renorm" and "Running averages in training") are in :mod:`.common`.
"""
