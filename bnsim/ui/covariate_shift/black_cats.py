"""Black cats → coloured cats: input covariate shift, BN and AdaBN recalibration.

The tab's controls and preset, its cached work (the networks trained once on the training
cloud for all three rules; the sweep over shifts and the figures keyed on the view's own
scalars, so moving the shift, the rule, the test spread or the boundary shown never retrains)
and its sentences.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import streamlit as st

from bnsim import data, notation
from bnsim.figures.covariate_shift import black_cats as figures
from bnsim.lessons.covariate_shift import black_cats as core
from bnsim.ui.controls import Control, Preset
from bnsim.ui.covariate_shift import common
from bnsim.ui.lesson import Tab
from bnsim.ui.live import figure_spec, live_chart
from bnsim.ui.page import download_csv, friendly, takeaway
from bnsim.verdict import Outcome, Verdict

TITLE = "Black cats → coloured cats"
SHIFT_N_TRAIN, SHIFT_N_TEST = 400, 400  # the covariate-shift clouds
SHIFT_RULES = tuple(data.RULES)
XLIM, YLIM, GRID = (-5.0, 7.0), (-3.5, 5.5), (72, 54)  # the fixed view of the clouds

CONTROLS = (
    Control(key="rule", label="Labelling rule", default="sine", group="Data", kind="select",
            options=notation.labels(notation.RULES), help="The fixed rule “cat or not”; it "
            "never changes, only where the inputs lie. Never retrains.", view_only=True),
    Control(key="shift", label="Shift of the test inputs", default=3.0, group="Data",
            kind="slider", min=0.0, max=5.0, step=0.25,
            help="The test cloud moves by (shift, shift/2). Never retrains.", view_only=True),
    Control(key="spread", label="Spread of the clouds", default=0.8, group="Data",
            kind="slider", min=0.4, max=1.2, step=0.1,
            help="Standard deviation of the training cloud."),
    Control(key="tscale", label="Test spread ×", default=1.0, group="Data", kind="slider",
            min=0.5, max=2.0, step=0.1, help="The test cloud's spread relative to the "
            "training cloud (a change of scale). Never retrains.", view_only=True),
    Control(key="model", label="Boundary shown", default="bn", group="View", kind="radio",
            options={k: notation.MODELS[k].short for k in core.MODELS},  # "no BN", "BN", …
            help="Whose decision boundary the map of the two clouds draws."),
)
PRESETS = {"The black-cat example": Preset(values={"rule": "sine", "shift": 3.0})}


# ---------------------------------------------------------------- cached work
@st.cache_resource(max_entries=8, show_spinner="Training with and without BN on the training "
                   "region (all three rules)…")
def shift_models(net: common.NetKey, spread: float) -> core.ShiftModels:
    """Networks with and without BN for every rule, trained on the training cloud."""
    return core.train_shift_models(SHIFT_RULES, net.hidden, net.activation, net.training, spread,
                                   SHIFT_N_TRAIN, common.DATA_SEED)


@st.cache_data(max_entries=64, show_spinner=False)
def shift_sweep(net: common.NetKey, spread: float, rule: str, test_scale: float) -> core.ShiftSweep:
    """Accuracy over the shift grid and on the training distribution."""
    return core.shift_sweep(shift_models(net, spread), rule, spread, test_scale, SHIFT_N_TRAIN,
                            SHIFT_N_TEST, common.DATA_SEED)


@st.cache_data(max_entries=64, show_spinner=False)
def rule_comparison(net: common.NetKey, spread: float, shift: float, test_scale: float):
    """Accuracy of every model for every rule at one shift (a table)."""
    return core.rule_comparison(shift_models(net, spread), shift, spread, test_scale,
                                SHIFT_N_TRAIN, SHIFT_N_TEST, common.DATA_SEED)


class ShiftView(NamedTuple):
    """Everything the tab shows for one setting: three figures (as the specs the charts draw)
    and the verdicts that describe them."""

    scene: str
    accuracy: str
    rules: str
    sweep: core.ShiftSweep
    said: Verdict  # the black-cat verdict (:func:`shift_takeaway`)
    adabn: dict[str, Verdict]  # {rule: AdaBN verdict} (:func:`rules_verdicts`)
    diverged: tuple[str, ...]  # models whose training diverged


@st.cache_resource(max_entries=256, show_spinner=False)
def shift_view(net: common.NetKey, spread: float, rule: str, shift: float, test_scale: float,
               model: str) -> ShiftView:
    """The tab for one setting, cached with its figures serialised and its verdicts made
    (building and serialising three plotly figures costs far more than looking them up, and
    a lecturer drags the shift back and forth; the view makes the verdicts again from the
    cached ones, :func:`common.remade`)."""
    models = shift_models(net, spread)
    sweep = shift_sweep(net, spread, rule, test_scale)
    rules = rule_comparison(net, spread, shift, test_scale)
    Xt, yt = core.shifted_sets(rule, [shift], spread, test_scale, SHIFT_N_TRAIN, SHIFT_N_TEST,
                               common.DATA_SEED)
    grid = core.decision_grid(models, rule, model, Xt[0], XLIM, YLIM, GRID)
    i = models.index(rule)
    ra = core.rule_accuracy(rules)
    home = core.rule_accuracy(rule_comparison(net, spread, 0.0, 1.0)).accuracy  # training cloud
    train_bn = {r: home[r, "bn"] for r in models.rules}
    return ShiftView(
        scene=figure_spec(figures.shift_scene(models.X_train, models.y_train[i], Xt[0], yt[0],
                                              grid, model, XLIM, YLIM)),
        accuracy=figure_spec(figures.shift_accuracy(sweep.table, shift)),
        rules=figure_spec(figures.rule_bars(rules)),
        sweep=sweep, said=core.shift_verdict(shift, test_scale, core.shift_at(sweep, shift),
                                             sweep=sweep),
        adabn=rules_verdicts(ra, train_bn, shift, test_scale),
        diverged=tuple(m for m in ("no_bn", "bn") if models.diverged[(rule, m)]))


# ---------------------------------------------------------------- sentences
def shift_diverged(models: tuple[str, ...]) -> str:
    return ("Training diverged (" + ", ".join(notation.MODELS[m].label for m in models)
            + "); its numbers are meaningless. Try a smaller learning rate.")


# Equations in short lines (each fits a 390 px phone), the words in a caption.
ADABN_EQUATIONS = (r"\hat\mu \leftarrow \frac{1}{n}\sum_{i} z^{(i)}_{\text{test}}",
                   r"\hat\sigma^2 \leftarrow \frac{1}{n}\sum_i \big(z^{(i)}_{\text{test}}"
                   r"-\hat\mu\big)^2",
                   r"z_{\text{norm}} = \frac{z - \hat\mu}{\sqrt{\hat\sigma^2 + \varepsilon}}",
                   r"\tilde z = \gamma\, z_{\text{norm}} + \beta")
ADABN_CAPTION = ("AdaBN: μ̂ and σ̂² re-estimated on the n test inputs in every BN layer, weights "
                 "unchanged; then eval mode as usual.")


def rules_verdicts(ra: core.RuleAccuracy, train_bn: dict, shift: float, test_scale: float
                   ) -> dict[str, Verdict]:
    """{rule: AdaBN verdict} at this shift for every rule (``train_bn``: each rule's BN
    accuracy on the training distribution)."""
    return {r: core.adabn_verdict(notation.RULES[r].short, shift, test_scale,
                                  ra.accuracy[r, "bn"], ra.accuracy[r, "adabn"], train_bn[r],
                                  majority=ra.majority[r])
            for r in ra.majority}


def rules_text(verdicts: dict[str, Verdict]) -> str:
    """When recalibration helps (the line) and when it cannot (sine, circle), from the
    verdicts of :func:`rules_verdicts`."""
    intro = ("Recalibration moves the shifted cloud back onto the training cloud, so the network "
             "answers *as if each test point sat at the matching place of the training "
             "region*. That is right when the rule moved with the inputs (the line x₂ > x₁/2 "
             "shifted along itself) and can be wrong when the rule is needed where no data was "
             "seen (sine, circle); each rule's line below says what happened at this shift.")
    marks = {Outcome.HOLDS: ":material/check:", Outcome.REVERSED: ":material/close:",
             Outcome.NO_EFFECT: ":material/remove:", Outcome.NOT_APPLICABLE: ":material/block:"}
    order = [r for r in ("linear", "sine", "circle") if r in verdicts]
    return intro + "\n\n" + "\n".join(f"- {marks[verdicts[r].outcome]} {verdicts[r].text}"
                                      for r in order)


# ---------------------------------------------------------------- the view
def view(v: dict[str, Any]) -> None:
    """The two clouds and accuracy vs shift, the black-cat verdict, then AdaBN per rule."""
    shift = v["shift"]
    with friendly("the covariate-shift networks"):
        sv = shift_view(common.net_key(v), v["spread"], v["rule"], shift, v["tscale"], v["model"])
    if sv.diverged:
        st.warning(shift_diverged(sv.diverged), icon=common.WARN)
    left, right = st.columns(2)
    live_chart(sv.scene, key="fig_scene", where=left)
    live_chart(sv.accuracy, key="fig_shift_acc", where=right)
    takeaway(common.remade(sv.said))  # the black-cat verdict (core.shift_verdict)
    st.subheader("The fix students ask about: recalibrate BN on the test inputs (AdaBN)")
    chart, text = st.columns([3, 2])
    live_chart(sv.rules, key="fig_rules", where=chart)
    text.markdown(rules_text({r: common.remade(x) for r, x in sv.adabn.items()}))
    for equation in ADABN_EQUATIONS:
        st.latex(equation)
    st.caption(ADABN_CAPTION)
    download_csv(lambda: sv.sweep.table.assign(rule=v["rule"], spread=v["spread"],
                                               test_scale=v["tscale"]),
                 f"shift_{v['rule']}.csv", "Download accuracy vs shift (CSV)")


TAB = Tab(title=TITLE, controls=CONTROLS, presets=PRESETS, view=view)
