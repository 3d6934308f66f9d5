"""Every control that more than one page offers, declared once: one key, one type, one range,
one label. A page takes a concept and may only narrow it (:meth:`Control.narrow`: a smaller
range, fewer values, its own default and help, the URL keys of older links)::

    DEPTH.narrow(min=2, max=4, default=3, old_keys=("layers",))
    BATCH.narrow(values=(2, 4, 8, 16, 32, 64), default=8)

So ``?depth=3`` means the same on every page, and β_EMA (``ema_beta``) and BN's shift β
(``bn_beta``) never share a key.
"""

from __future__ import annotations

from bnsim import notation
from bnsim.ui.controls import Control

# -- data
DATASET = Control(key="dataset", label="Dataset", default="moons", group="Data", kind="select",
                  options=notation.labels(notation.DATASETS), legacy={"Xor": "xor"},
                  help="Toy 2-D classification data set the network learns.")
NOISE = Control(key="noise", label="Data noise", default=0.1, group="Data", kind="slider",
                min=0.0, max=1.0, step=0.05,
                help="Standard deviation of the Gaussian noise added to the inputs.")

# -- network
DEPTH = Control(key="depth", label="Hidden layers", default=2, group="Network", kind="slider",
                min=1, max=4, step=1, help="Number of hidden layers L.")
WIDTH = Control(key="width", label="Units per hidden layer n^[l]", default=16, group="Network",
                kind="slider", min=2, max=64, step=1, help="Units n^[l] in every hidden layer.")
ACTIVATION = Control(key="act", label="Activation g", default="relu", group="Network",
                     kind="select", options=notation.labels(notation.ACTIVATIONS),
                     help="Activation g after BN in every hidden layer.")

# -- training
OPTIMIZER = Control(key="opt", label="Optimiser", default="adam", group="Training",
                    kind="select", options=notation.labels(notation.OPTIMIZERS),
                    help="How the weights (and γ, β) are updated.")
LEARNING_RATES = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
LR = Control(key="lr", label="Learning rate α", default=0.01, group="Training", kind="select",
             options={v: f"{v:g}" for v in LEARNING_RATES},
             legacy={"1.0": 1.0, "3.0": 3.0}, help="Step size α of the optimiser.")
BATCH = Control(key="batch", label="Mini-batch size m", default=32, group="Training",
                kind="slider", min=2, max=256, step=1,
                help="Examples per training mini-batch: small m gives noisy μ_B, σ²_B.")
STEPS = Control(key="steps", label="Training steps", default=1000, group="Training",
                kind="slider", min=50, max=5000, step=50, help="Number of mini-batches T.")
SEED = Control(key="seed", label="Seed", default=0, group="Training", kind="number", min=0,
               max=9999, step=1, help="Seeds the initial weights and the mini-batch order.")

# -- view
EMA_BETA = Control(key="ema_beta", label="β_EMA (EMA coefficient)", default=0.9, group="View",
                   kind="slider", min=0.0, max=0.999, step=0.001, format="%.3f",
                   help="v_t = β_EMA·v_{t−1} + (1 − β_EMA)·θ_t — not the BN shift β. "
                        "PyTorch momentum = 1 − β_EMA, Keras momentum = β_EMA. "
                        "Never retrains.")
GAMMA = Control(key="gamma", label="γ (slider)", default=1.0, group="View", kind="slider",
                min=0.0, max=5.0, step=0.05, help="BN's scale γ in z̃ = γ·z_norm + β.")
BN_BETA = Control(key="bn_beta", label="β (slider)", default=0.0, group="View", kind="slider",
                  min=-5.0, max=5.0, step=0.05,
                  help="BN's shift β in z̃ = γ·z_norm + β (it replaces the bias b^[l]) — "
                       "not β_EMA.")
LAYER = Control(key="layer", label="Layer l", default=2, group="View", kind="slider", min=1,
                max=4, step=1, help="Hidden layer to watch (clipped to the network's depth).")
UNIT = Control(key="unit", label="Unit j", default=1, group="View", kind="slider", min=1,
               max=64, step=1, help="Unit j = 1 … n^[l] of that layer (clipped to its width).")
STEP = Control(key="step", label="Training step", default=5000, group="View", kind="slider",
               min=1, max=5000, step=1,
               help="The training step to look at (the nearest recorded step is shown).")
LOGX = Control(key="logx", label="Log step axis", default=True, group="View", kind="toggle",
               help="Logarithmic step axis: spreads out the first steps, where most changes "
                    "happen.")

ALL = (DATASET, NOISE, DEPTH, WIDTH, ACTIVATION, OPTIMIZER, LR, BATCH, STEPS, SEED, EMA_BETA,
       GAMMA, BN_BETA, LAYER, UNIT, STEP, LOGX)
