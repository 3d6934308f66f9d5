"""Step by step: the EMA forming batch by batch, animated in the browser (:func:`scrub`:
Plotly frames, a Plotly slider and play button — scrubbing never talks to the server)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from bnsim.figures import style
from bnsim.figures.running_stats.common import NAMES, RUNNING_STYLE, SHORT, figure, line
from bnsim.figures.style import COLORS
from bnsim.lessons.running_stats.common import Estimates, UnitStats, value_range
from bnsim.verdict import num, pct

CURTAIN = "rgba(153,153,153,0.92)"  # hides the steps to come (drawn above the dots)
CONTROL_BG = "rgba(153,153,153,0.38)"  # the Plotly slider's rail and the ▶ buttons


def _readout(k: int, us: UnitStats, est: Estimates, shown) -> str:
    """One short line for step k: μ_B, the running estimates, the weight left on v₀."""
    parts = [f"μ_B {num(us.mu[k - 1])}"]
    parts += [f"{SHORT[n]} {num(est.get(n, 'mean')[k - 1])}" for n in RUNNING_STYLE
              if n in shown]
    parts.append(f"v₀ still weighs {pct(est.beta ** k)}")
    return f"{k}: " + " · ".join(parts)


SCRUB_DOMAINS = {"x": [0, 0.47], "x2": [0.6, 1]}  # μ left, the weights right: each ≥ 250 px tall
SCRUB_MARGIN = dict(t=80, b=120)  # two legend rows above; ticks, axis titles, slider, ▶ below
SLIDER_X = 0.34  # the rail starts a third in: room for ▶/❚❚ beside it even on a phone


def scrub(us: UnitStats, est: Estimates, shown, window: int = 100, frame_ms: int = 150,
          height: int = 500) -> go.Figure:
    """The first ``window`` steps of μ (left) and the weight (1 − β_EMA)·β_EMA^(k−i) that the
    EMA v_k gives each earlier mini-batch i (right, on the same batch axis), animated over
    k = 1..window in the browser.

    The two panels sit side by side, so each keeps its full height (≥ 250 px of a 500 px chart
    at 1280×720, read from the back of a room) with the slider and the ▶/❚❚ buttons under both.
    A grey curtain (a layout shape above the traces, one per panel) hides the steps after k;
    one frame per step moves the curtains, the current points and the weight profile — a
    handful of numbers per frame; the slider's current-value line reads out the numbers of
    step k. The Plotly slider and play button run in the browser, so scrubbing sends nothing to
    the server.
    """
    K = int(min(len(us.steps), window))
    steps = us.steps[:K]
    lo, hi = value_range(us, "mean")
    beta = est.beta
    running = [n for n in RUNNING_STYLE if n in shown]
    data = [dict(type="scatter", x=steps, y=us.mu[:K], mode="markers", name="mini-batch μ_B",
                 marker=dict(color=COLORS["batch"], size=8, opacity=0.7),
                 hovertemplate="μ_B<br>step %{x}: %{y:.4g}<extra></extra>")]
    for name in running:
        data.append(line(steps, est.get(name, "mean")[:K], NAMES[name],
                          *RUNNING_STYLE[name]))
    if "population" in shown:
        keep = us.pop_steps <= K
        data.append(line(us.pop_steps[keep], us.pop_mean[keep], NAMES["population"],
                          COLORS["population"], style.DASH["population"], width=3))
    weights = (1 - beta) * beta ** np.arange(K - 1, -1, -1.0)  # weight of batch i in v_K, i=1..K

    def moving(k: int) -> list[dict]:
        """What a frame changes, for step k: the current points and the weights."""
        now = [us.mu[k - 1]] + [est.get(n, "mean")[k - 1] for n in running]
        return [dict(type="scatter", x=[k] * len(now), y=now),
                dict(type="scatter", x0=k - K + 1)]

    def curtain(k: int) -> list[dict]:
        """The grey curtain over the steps after k in both panels, above every trace (a fill
        trace would be drawn under the dots, which then show through)."""
        return [dict(type="rect", xref=xa, yref=f"{ya} domain", x0=k + 0.5, x1=K + 0.5, y0=0,
                     y1=1, layer="above", fillcolor=CURTAIN, line=dict(width=0))
                for xa, ya in (("x", "y"), ("x2", "y2"))]

    first = [dict(type="scatter", mode="markers", showlegend=False, hoverinfo="skip",
                  marker=dict(color=[COLORS["batch"]] + [RUNNING_STYLE[n][0] for n in running],
                              symbol=["circle"] + ["diamond"] * len(running), size=16,
                              line=dict(width=1.5, color=COLORS["neutral"]))),
             dict(type="scatter", y=weights, dx=1, mode="lines", fill="tozeroy",
                  line=dict(color=COLORS["running"], width=2), xaxis="x2", yaxis="y2",
                  name="weight of each μ_B in the EMA", showlegend=False,
                  hovertemplate="batch %{x}: weight %{y:.3g}<extra></extra>")]
    k0 = min(K, 10)  # open part-way: the EMA climbing, the weights already decaying
    for trace, change in zip(first, moving(k0), strict=True):
        trace.update({k: v for k, v in change.items() if k != "type"})
    moving_idx = list(range(len(data), len(data) + len(first)))
    data += first
    frames = [dict(name=str(k), data=moving(k), traces=moving_idx,
                   layout=dict(shapes=curtain(k))) for k in range(1, K + 1)]
    step_args = {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                 "transition": {"duration": 0}}
    play = {"frame": {"duration": frame_ms, "redraw": True}, "fromcurrent": True,
            "transition": {"duration": 0}, "mode": "immediate"}
    xr = [0.5, K + 0.5]
    layout = dict(
        xaxis=dict(domain=SCRUB_DOMAINS["x"], anchor="y", range=xr,
                   title=dict(text="step k", standoff=4)),
        yaxis=dict(anchor="x", range=[lo, hi], title=dict(text="mean μ")),
        xaxis2=dict(domain=SCRUB_DOMAINS["x2"], anchor="y2", range=xr, matches="x",
                    title=dict(text="mini-batch i", standoff=4)),
        yaxis2=dict(anchor="x2", range=[0, 1.15 * (1 - beta)],
                    title=dict(text="weight of batch i in v_k")),
        shapes=curtain(k0),
        # step labels are the readout; hidden under the slider, shown as its current value.
        # The ▶/❚❚ buttons sit left of the slider's rail, on its line, never over it.
        sliders=[dict(active=k0 - 1, x=SLIDER_X, len=1 - SLIDER_X, y=0, yanchor="top",
                      pad=dict(t=48),
                      font=dict(size=1), ticklen=0, bgcolor=CONTROL_BG,
                      bordercolor=COLORS["neutral"], activebgcolor=COLORS["running"],
                      tickcolor=COLORS["neutral"],
                      currentvalue=dict(prefix="step ", font=dict(size=style.FONT_SIZE),
                                        xanchor="right"),  # ends at the rail's end
                      steps=[dict(method="animate", label=_readout(k, us, est, shown),
                                  args=[[str(k)], step_args]) for k in range(1, K + 1)])],
        updatemenus=[dict(type="buttons", direction="left", x=0, y=0, xanchor="left",
                          yanchor="top", pad=dict(t=76), showactive=False,
                          font=dict(size=style.FONT_SIZE), bgcolor=CONTROL_BG,
                          bordercolor=COLORS["neutral"],
                          buttons=[dict(label="▶", method="animate", args=[None, play]),
                                   dict(label="❚❚", method="animate",
                                        args=[[None], step_args])])],
        margin=dict(SCRUB_MARGIN),
    )
    return figure(data, layout, frames, height=height)
