"""Charts of an AppTest run, whether drawn with ``st.plotly_chart`` or as live charts."""

from __future__ import annotations

import json


def chart_specs(at) -> list[dict]:
    """The figure of every chart in the main area, in page order."""
    out = []

    def walk(node):
        if node.type == "plotly_chart":
            out.append(json.loads(node.proto.spec))
        elif node.type == "component_instance" and node.proto.component_name.endswith(
                ".live_chart"):
            out.append(json.loads(json.loads(node.proto.json_args)["spec"]))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return out


def chart_by_key(at, key: str) -> dict:
    """The figure of the chart with this ``key`` (live chart or ``st.plotly_chart``)."""
    for c in at.get("component_instance"):
        if c.proto.id.endswith(f"-{key}"):
            return json.loads(json.loads(c.proto.json_args)["spec"])
    for c in at.get("plotly_chart"):
        if c.proto.id.endswith(f"-{key}"):
            return json.loads(c.proto.spec)
    raise AssertionError(f"no chart with key {key!r}")


def view_elements(tab) -> list:
    """The elements a tab's view drew, in order: the tab's children, or those of the
    fragment's container the view runs in (``bnsim.ui.lesson.run``)."""
    kids = list(tab.children.values())
    if len(kids) == 1 and kids[0].type == "flex_container":
        kids = list(kids[0].children.values())
    return kids
