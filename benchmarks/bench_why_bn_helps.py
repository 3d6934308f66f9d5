"""Cost of the views of "why does BN help?" (the smoother landscape, larger steps, γ, β
alone): the first computation at the defaults, a warm rerun, and a rerun after moving a view
control — each one script run of the tab through Streamlit's AppTest (no browser).

Run from the repository root::

    python benchmarks/bench_why_bn_helps.py              # 3 repeats per view
    python benchmarks/bench_why_bn_helps.py --repeats 5

*first*: every cache cleared, so the tab trains what it needs (the cost a class pays once per
setting; cached and shared by every session after it). *warm*: the same settings again.
*view*: one view control of the tab (group View) set to another value — it must not retrain.
Prints medians (and the spread) in seconds; figures, not assertions. The first computation's
target is ≤ 10 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from benchmarks.audit_claims import grid  # noqa: E402
from bnsim.ui.home import lesson, script  # noqa: E402

VIEWS = (("covariate_shift", "Smoother landscape"), ("inside_layer", "Larger steps"),
         ("inside_layer", "γ, β alone"))
TARGET = 10.0  # s, the first computation at the defaults


def _run(stem: str, tab: str, extra: dict | None = None) -> float:
    at = AppTest.from_file(str(REPO_ROOT / script(stem)), default_timeout=600)
    at.query_params.update({lesson(stem).tab_key: tab, **(extra or {})})
    t0 = time.perf_counter()
    at.run()
    took = time.perf_counter() - t0
    if at.exception:
        raise SystemExit(f"{stem} → {tab}: {at.exception[0].value}")
    return took


def view_control(stem: str, tab: str):
    """The tab's first View control and a value other than its default (URL form)."""
    for c in lesson(stem).tab(tab).controls:
        if c.redraws_only and c.kind in ("select", "slider", "radio"):
            other = next(v for v in reversed(grid(c)) if v != c.default)
            return c.key, str(c.to_widget(other))
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    for stem, tab in VIEWS:
        first, warm, view = [], [], []
        control = view_control(stem, tab)
        for _ in range(args.repeats):
            st.cache_resource.clear()
            st.cache_data.clear()
            first.append(_run(stem, tab))
            warm.append(_run(stem, tab))
            if control:
                view.append(_run(stem, tab, {control[0]: control[1]}))
        med = statistics.median(first)
        line = (f"{lesson(stem).title} → {tab}: first {med:.2f} s "
                f"({min(first):.2f}–{max(first):.2f}), warm {statistics.median(warm):.3f} s")
        if control:
            line += f", view ({control[0]}={control[1]}) {statistics.median(view):.3f} s"
        print(line + f"; target first ≤ {TARGET:g} s: {'met' if med <= TARGET else 'MISSED'}",
              flush=True)


if __name__ == "__main__":
    main()
