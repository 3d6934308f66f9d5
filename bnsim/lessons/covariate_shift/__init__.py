"""Lesson "Covariate shift": the lecture's covariate-shift argument for BN, made measurable
(numpy and pandas only). One module per tab, each with its numbers and its verdicts:

- :mod:`~bnsim.lessons.covariate_shift.black_cats` — "Black cats → coloured cats": input
  covariate shift and AdaBN recalibration.
- :mod:`~bnsim.lessons.covariate_shift.moving_inputs` — "A deep layer's moving inputs":
  internal covariate shift, the drift D and BN's pinning of z̃'s mean and variance.
- :mod:`~bnsim.lessons.covariate_shift.mini_batch_noise` — "Mini-batch noise": the spread of
  μ_B, σ²_B against 1/√m, and the slight regularisation that shrinks with m.
- :mod:`~bnsim.lessons.covariate_shift.noisy_bn` — "Noisy BN": BN with injected per-step
  noise against BN and no BN.
- :mod:`~bnsim.lessons.covariate_shift.common` — what several tabs share (the pair of
  networks, the drift measure, the margin the verdicts quote).
"""
