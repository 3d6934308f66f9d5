"""Figures of the lesson "Covariate shift": pure functions, data in, plotly Figure out. One
module per tab (:mod:`.black_cats`, :mod:`.moving_inputs`, :mod:`.mini_batch_noise`,
:mod:`.noisy_bn`) and :mod:`.common` for the colours, heights and axes they share."""
