"""One registry of labels per kind of thing, the glossary of terms, and the lecture's equations.

Everything a page, a figure or a CSV header names — data sets, optimisers, activations,
running estimators, networks compared, normalisation modes — takes its label from the
registries below (:class:`Term`: a label, a short form for tight places, and one line of
meaning), so the same thing is named the same everywhere. :data:`TERMS` explains the words a
student may not know (every page's glossary). The EMA coefficient is written ``β_EMA`` on
screen so that it is never confused with the BN shift ``β``.
"""

from __future__ import annotations

from typing import NamedTuple


class Term(NamedTuple):
    label: str  # the name on screen: control options, legends, CSV values
    short: str  # a compact form for bars, ticks and takeaways
    meaning: str  # one line for tooltips and the glossary


def labels(registry: dict[str, Term], short: bool = False) -> dict[str, str]:
    """{key: label} (or {key: short}) of a registry, e.g. for a control's options."""
    return {k: (t.short if short else t.label) for k, t in registry.items()}


DATASETS: dict[str, Term] = {
    "moons": Term("Moons", "moons", "two interleaved half circles"),
    "circles": Term("Circles", "circles", "a ring around a disc"),
    "xor": Term("XOR", "XOR", "four clusters, opposite corners share a class"),
    "blobs": Term("Blobs", "blobs", "two Gaussian clouds"),
    "spiral": Term("Spiral", "spiral", "two intertwined spirals"),
}
OPTIMIZERS: dict[str, Term] = {
    "gd": Term("Gradient descent", "GD", "w ← w − α·dw"),
    "momentum": Term("Momentum", "momentum", "gradient descent on an EMA of the gradients"),
    "rmsprop": Term("RMSprop", "RMSprop", "steps scaled by an EMA of the squared gradients"),
    "adam": Term("Adam", "Adam", "momentum and RMSprop combined, bias-corrected"),
}
ACTIVATIONS: dict[str, Term] = {
    "relu": Term("ReLU", "ReLU", "g(z̃) = max(0, z̃)"),
    "tanh": Term("tanh", "tanh", "g(z̃) = tanh(z̃)"),
    "sigmoid": Term("sigmoid", "sigmoid", "g(z̃) = 1/(1 + e^(−z̃))"),
}
ESTIMATORS: dict[str, Term] = {  # what stands in for μ, σ² at test time, in drawing order
    "ema": Term("EMA (lecture)", "EMA",
                "v_t = β_EMA·v_{t−1} + (1 − β_EMA)·θ_t, v₀ = 0 (mean) and 1 (variance)"),
    "ema_bc": Term("bias-corrected EMA", "corrected",
                   "the EMA with the start value's weight β_EMA^t removed"),
    "cumulative": Term("cumulative average", "cumulative",
                       "plain average of all mini-batches so far (PyTorch momentum=None)"),
    "population": Term("population statistics", "population",
                       "μ and σ² over the whole training set with the current weights"),
    "batch": Term("mini-batch μ_B, σ²_B", "mini-batch",
                  "statistics of one mini-batch, what training normalises with"),
}
MODELS: dict[str, Term] = {  # the networks a page compares
    "no_bn": Term("Without BN", "no BN", "the same network with a bias b^[l] and no BN"),
    "bn": Term("With BN", "BN", "Batch Normalization in every hidden layer"),
    "adabn": Term("With BN + AdaBN", "BN + AdaBN",
                  "BN whose statistics are re-estimated on the test inputs (AdaBN)"),
    "noisy_bn": Term("Noisy BN", "noisy BN",
                     "BN followed by one random scale and shift per unit and step, shared by "
                     "the batch"),
    "renorm": Term("Batch Renorm", "Batch Renorm",
                   "BN corrected towards the running estimates (r, d; Ioffe 2017)"),
    "running_bn": Term("BN on running averages", "running-average BN",
                       "BN that normalises with the running estimates in training too, no "
                       "gradient through them"),
}
MODES: dict[str, Term] = {  # what BN normalises with
    "train": Term("train mode (mini-batch statistics)", "train mode",
                  "μ_B, σ²_B of the current mini-batch"),
    "eval": Term("eval mode (running estimates)", "eval mode",
                 "the running estimates μ̂, σ̂² collected in training"),
    "batch": Term("test-batch statistics", "test-batch",
                  "μ_B, σ²_B of the test batch the example arrives in"),
    "population": Term("population statistics", "population",
                       "μ, σ² of the whole training set"),
}
VARIANCES: dict[str, Term] = {
    "unbiased": Term("unbiased (PyTorch)", "unbiased", "m/(m−1)·σ²_B, what PyTorch stores"),
    "biased": Term("biased (Keras)", "biased", "σ²_B, what Keras stores and BN divides by"),
}
RULES: dict[str, Term] = {  # labelling rules of the covariate-shift clouds (bnsim.data.RULES)
    "sine": Term("Sine: x₂ > sin(1.5·x₁)", "sine", "class 1 above a sine wave"),
    "circle": Term("Circle: |x| < 1.5", "circle", "class 1 inside a circle of radius 1.5"),
    "linear": Term("Line: x₂ > x₁/2", "line", "class 1 above a line through the origin"),
}
QUANTITIES: dict[str, Term] = {  # what of hidden layer l is followed through training
    "a_prev": Term("a^[l−1] (inputs)", "a^[l−1]", "the layer's inputs (a^[0] is the data x)"),
    "z": Term("z^[l]", "z^[l]", "pre-activation W^[l]·a^[l−1], before BN"),
    "z_tilde": Term("z̃^[l]", "z̃^[l]",
                    "what the activation receives: γ·z_norm + β with BN, z + b without"),
}
PICTURES: dict[str, Term] = {  # how a distribution over training is drawn
    "band": Term("quantile bands", "bands", "5, 25, 50, 75, 95 % quantiles over the examples"),
    "heat": Term("histograms", "histograms", "one histogram per snapshot, as a heat map"),
}


# Words a page uses that a student may not know, explained once (every page's glossary).
TERMS: dict[str, str] = {
    "train mode": "BN normalises each unit with μ_B and σ²_B of the current mini-batch.",
    "eval mode": "BN normalises with the running estimates μ̂, σ̂² kept during training, so "
                 "each example stands alone (PyTorch `model.eval()`, Keras `training=False`).",
    "running estimate": "μ̂, σ̂²: an exponentially weighted average of the mini-batch "
                        "statistics, v_t = β_EMA·v_{t−1} + (1 − β_EMA)·θ_t.",
    "β_EMA": "the EMA coefficient of the lecture (not the BN shift β). PyTorch's momentum is "
             "1 − β_EMA (default 0.1), Keras' momentum is β_EMA (default 0.99).",
    "bias correction": "removing the start value's weight β_EMA^t from the EMA: "
                       "(v_t − β_EMA^t·v₀)/(1 − β_EMA^t), the lecture's v_t/(1 − β_EMA^t) when "
                       "v₀ = 0. PyTorch and Keras do not bias-correct their running statistics.",
    "cumulative average": "the plain average of all mini-batch statistics so far (PyTorch "
                          "momentum=None).",
    "unbiased variance": "m/(m − 1)·σ²_B: what PyTorch stores in running_var; training divides "
                         "by the biased σ²_B.",
    "population statistics": "μ and σ² of z over the whole training set with the current "
                             "weights: what the running estimates try to follow.",
    "test-batch statistics": "μ_B, σ²_B of the test batch an example arrives in, as if BN "
                             "stayed in train mode at test time.",
    "covariate shift": "the inputs' distribution changes while the rule that labels them "
                       "does not (black cats in training, coloured cats at test time).",
    "internal covariate shift": "a hidden layer's inputs a^[l−1] keep moving while the "
                                "layers below learn.",
    "drift D": "how far a layer's per-unit means and standard deviations move over training, "
               "in units of that layer's typical standard deviation (0: they never move).",
    "AdaBN": "re-estimating BN's statistics on the test inputs (weights untouched), so a "
             "shifted test set is normalised by its own mean and variance.",
    "i.i.d. mini-batches": "each mini-batch drawn at random from the whole training set, so "
                           "μ_B is an unbiased estimate of the population mean and "
                           "m/(m − 1)·σ²_B of its variance (σ²_B itself falls short by "
                           "(m − 1)/m) — as long as no BN below makes an example's z depend on "
                           "its batch-mates.",
    "Batch Renorm": "BN whose mini-batch normalisation is corrected towards the running "
                    "estimates by r = σ_B/σ̂ (clipped to [1/r_max, r_max]) and d = (μ_B − μ̂)/σ̂ "
                    "(clipped to ±d_max); Ioffe 2017.",
    "noisy BN": "BN followed by a random scale and shift, to make a layer's inputs move on "
                "purpose (after Santurkar et al., 2018).",
    "loss landscape": "the loss as a function of all the weights; moving the weights along "
                      "−∇L by a step η shows how fast the loss (loss variation) and its "
                      "gradient (gradient predictiveness, effective β-smoothness — here β is a "
                      "smoothness constant, not BN's shift) change there. Lower: smoother, so "
                      "larger steps are safe (Santurkar et al., 2018).",
    "slight regularisation": "the lecture's remark that the noise of μ_B, σ²_B in train mode "
                             "may make the network fit its training set a little less, less so "
                             "as m grows — a side effect, not a reason to use BN; this app "
                             "judges it only at matched training accuracy.",
    "nearly linear middle": "where g's slope is at least half its largest: |z̃| ≤ 1.76 for "
                            "sigmoid, 0.88 for tanh (ReLU has no curved middle).",
    "quantile band": "the range between two quantiles, e.g. 5 % and 95 %: 90 % of the values "
                     "lie inside it.",
    "batching": "one way of cutting the test set into batches of k examples; many random "
                "batchings show how much the result depends on who shares a batch.",
}


# The four train-mode equations and the EWA, in lecture notation.
BN_EQUATIONS = (
    r"\mu_B = \frac{1}{m}\sum_{i=1}^{m} z^{(i)}",
    r"\sigma^2_B = \frac{1}{m}\sum_{i=1}^{m} \left(z^{(i)} - \mu_B\right)^2",
    r"z^{(i)}_{\text{norm}} = \frac{z^{(i)} - \mu_B}{\sqrt{\sigma^2_B + \varepsilon}}",
    r"\tilde z^{(i)} = \gamma\, z^{(i)}_{\text{norm}} + \beta",
)
EMA_EQUATION = (
    r"v_t = \beta_{\text{EMA}}\, v_{t-1} + (1 - \beta_{\text{EMA}})\,\theta_t"
    r"\qquad(\beta_{\text{EMA}}\ \text{is not the BN shift}\ \beta)"
)
EMA_BIAS_CORRECTED = r"\hat v_t = \frac{v_t - \beta_{\text{EMA}}^t v_0}{1 - \beta_{\text{EMA}}^t}"
EVAL_EQUATION = (
    r"z_{\text{norm}} = \frac{z - \hat\mu}{\sqrt{\hat\sigma^2 + \varepsilon}},\qquad"
    r"\tilde z = \gamma\, z_{\text{norm}} + \beta"
)


def framework_momentum(ema_beta: float) -> dict[str, float]:
    """The lecture's EMA coefficient β_EMA as each framework's ``momentum`` argument.

    PyTorch: running ← (1 − momentum)·running + momentum·batch, so momentum = 1 − β_EMA.
    Keras:   moving ← momentum·moving + (1 − momentum)·batch, so momentum = β_EMA.
    """
    return {"pytorch": 1.0 - ema_beta, "keras": ema_beta}
