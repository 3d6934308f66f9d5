"""Tab "Boundaries": the eval-mode decision map next to the map with test-batch statistics,
each grid point predicted inside a test batch with the same k − 1 batch-mates."""

from __future__ import annotations

from typing import Any, NamedTuple

import streamlit as st

from bnsim.figures.testtime import boundaries as figures
from bnsim.lessons.testtime import boundaries
from bnsim.ui import page
from bnsim.ui.cache import TrainSetting
from bnsim.ui.lesson import Tab
from bnsim.ui.live import figure_spec, live_chart
from bnsim.ui.testtime import common
from bnsim.verdict import Verdict, num, remade

TITLE = "Boundaries"


@st.cache_data(max_entries=64, show_spinner="Predicting the grid inside test batches…")
def both_maps(s: TrainSetting, k: int, mix: float, seed: int,
              n: int = 50) -> boundaries.Boundaries:
    """:func:`bnsim.lessons.testtime.boundaries.boundaries`: both maps, the k − 1 batch-mates
    drawn with class mix ``mix``, and the test accuracy with those mates."""
    nw = common.usable_network(s)
    return boundaries.boundaries(nw.params, nw.trace.net, nw.data.X_test, nw.data.y_test,
                                 common.eval_map(s, n), k, mix, seed)


class MapsView(NamedTuple):
    """What the tab shows for one setting, k, mix and seed, made once (cached): the two maps'
    specs, the verdict (made again when shown, :func:`bnsim.verdict.remade`) and the
    caption."""

    maps: boundaries.Boundaries
    eval_spec: str
    batch_spec: str
    verdict: Verdict
    caption: str



@st.cache_data(max_entries=8, show_spinner=False)
def eval_spec(s: TrainSetting, n: int = 50) -> str:
    """The eval-mode map's spec: it depends on the network alone (no k, mix nor seed)."""
    nw = common.usable_network(s)
    return figure_spec(figures.eval_boundary(common.eval_map(s, n), nw.data.X_test,
                                             nw.data.y_test))


@st.cache_resource(max_entries=64, show_spinner=False)
def maps_view(s: TrainSetting, k: int, mix_pct: float, seed: int, reference: float) -> MapsView:
    """:class:`MapsView` (shared between sessions: read-only). Building and serialising the
    maps costs ~30 ms, more than everything else a move of the class mix does."""
    b = both_maps(s, k, mix_pct / 100, seed)
    nw = common.usable_network(s)
    Xt, yt = nw.data.X_test, nw.data.y_test
    return MapsView(b, eval_spec(s), figure_spec(figures.batch_boundary(b, Xt, yt, k, mix_pct)),
                    boundaries.maps_verdict(b, k, yt, reference),
                    caption(k, seed, mix_pct, int(yt[b.mates].sum()),
                            len(set(b.mates.tolist()))))


def caption(k: int, seed: int, mix_pct: float, n1: int | None = None,
            distinct: int | None = None) -> str:
    """The maps' caption; ``distinct``: how many different test examples the batch-mates are
    (fewer than k − 1 when a class of the test set is smaller than its share of the batch)."""
    if k == 1:
        mates = "no batch-mates (k = 1: each grid point is a batch of its own)"
    else:
        n1 = round(mix_pct / 100 * (k - 1)) if n1 is None else n1
        repeats = ("" if distinct is None or distinct >= k - 1 else
                   f"; only {distinct} different examples — a class of the test set is "
                   "smaller than its share, so examples repeat")
        mates = (f"the same k − 1 = {k - 1} batch-mate{'s' if k > 2 else ''} (◇, drawn from "
                 f"the test set: seed "
                 f"{seed}, {n1} of them in class 1 for the asked {mix_pct:.0f} %{repeats})")
    return (f"In the batch-statistics map each grid point is predicted inside a test batch "
            f"with {mates}; BN normalises with that batch's μ_B, σ²_B. In the eval-mode map BN "
            "uses the running statistics: every point stands alone.")


def flat_map_note(b: boundaries.Boundaries) -> str:
    return common.K1 + f"(p(class 1) = {num(b.p_batch.flat[0])} everywhere)."


def view(v: dict[str, Any]) -> None:
    """The two maps side by side (moving k redraws only the batch-statistics one)."""
    if common.network(v) is None:
        return
    k, mix, tseed = v["k"], v["mix"], v["tseed"]
    with page.friendly("the decision boundaries"):
        mv = maps_view(common.setting(v), k, float(mix), tseed, common.reference_of(v))
    b = mv.maps
    left, right = st.columns(2)
    live_chart(mv.eval_spec, key="fig_eval_map", where=left)
    live_chart(mv.batch_spec, key="fig_batch_map", where=right)
    page.takeaway(remade(mv.verdict).text)
    st.caption(mv.caption)
    if k == 1:
        st.info(flat_map_note(b))
    page.download_csv(b.to_frame, "boundaries.csv", "Download the two maps (CSV)")


TAB = Tab(title=TITLE, view=view)
