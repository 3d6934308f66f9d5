"""One glossary for the lecture notation: code name -> LaTeX and plot label.

Formulas, docstrings and axis titles all take their symbols from here, so they always agree.
The EMA coefficient is written ``β_EMA`` on screen so that it is never confused with the BN
shift ``β``.
"""

from __future__ import annotations

from typing import NamedTuple


class Symbol(NamedTuple):
    latex: str
    label: str  # plain-text (Unicode) label for axes and legends
    meaning: str


GLOSSARY: dict[str, Symbol] = {
    "z": Symbol(r"z^{[l]}", "z", "pre-activation of layer l, before BN (no bias b^[l])"),
    "mu": Symbol(r"\mu_B", "μ_B", "mini-batch mean of z"),
    "sigma2": Symbol(r"\sigma^2_B", "σ²_B", "mini-batch variance of z (biased, 1/m)"),
    "eps": Symbol(r"\varepsilon", "ε", "small constant for numerical safety"),
    "z_norm": Symbol(r"z_{\text{norm}}", "z_norm", "z normalised to mean 0, variance 1"),
    "z_tilde": Symbol(r"\tilde z", "z̃", "BN output γ·z_norm + β"),
    "gamma": Symbol(r"\gamma^{[l]}", "γ", "learned scale"),
    "beta": Symbol(r"\beta^{[l]}", "β (BN shift)", "learned shift; replaces the bias b^[l]"),
    "ema_beta": Symbol(r"\beta_{\text{EMA}}", "β_EMA",
                       "EMA coefficient in v_t = β·v_{t−1} + (1−β)·θ_t"),
    "running_mean": Symbol(r"\hat\mu", "running μ", "running (EMA) estimate of the mean"),
    "running_var": Symbol(r"\hat\sigma^2", "running σ²", "running (EMA) estimate of the variance"),
    "pop_mean": Symbol(r"\mu_{\text{pop}}", "population μ", "mean over the whole training set"),
    "pop_var": Symbol(r"\sigma^2_{\text{pop}}", "population σ²", "variance over the training set"),
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
