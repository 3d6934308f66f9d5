"""A guard against widget states no browser sends (a hostile or broken client)."""

from __future__ import annotations

from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.runtime.state.common import unpack_widget_state_value
from streamlit.runtime.state.session_state import SessionState


def install() -> None:
    """Drop widget states whose value has another type than the widget's own or that its
    deserialiser cannot read, before Streamlit stores them.

    A client that bypasses the browser can send, say, a list of numbers for a select box;
    Streamlit (1.67) stores it and its deserialiser then raises on every later run of that
    session, before any page code runs (a traceback the page cannot catch). The browser never
    sends such a state, so dropping it changes nothing for real viewers: the widget keeps its
    value. Values of the right type but out of range are caught per control
    (``bnsim.ui.controls.enter``). Installed once per process, when ``bnsim.ui.controls`` is
    first imported (every page imports it before it draws a widget)."""
    original = SessionState.set_widgets_from_proto
    if getattr(original, "_bnsim_guard", False):
        return

    def readable(w, metadata) -> bool:
        m = metadata.get(w.id)
        if m is None:  # not drawn (yet): Streamlit keeps it and never reads it without one
            return True
        if w.WhichOneof("value") != m.value_type:
            return False
        try:
            m.deserializer(unpack_widget_state_value(w))
        except Exception:  # e.g. int(inf) in a number input's deserialiser
            return False
        return True

    def set_widgets_from_proto(self, widget_states):
        metadata = self._new_widget_state.widget_metadata
        kept = [w for w in widget_states.widgets if readable(w, metadata)]
        if len(kept) != len(widget_states.widgets):
            widget_states = WidgetStates(widgets=kept)
        return original(self, widget_states)

    set_widgets_from_proto._bnsim_guard = True
    SessionState.set_widgets_from_proto = set_widgets_from_proto
