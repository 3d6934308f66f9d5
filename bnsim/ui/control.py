"""One control, declared as data (:class:`Control`), and a lecture moment (:class:`Preset`).

Declarations are keyword-only, so they read like a table::

    Control(key="noise", label="Noise", default=0.1, help="…", group="Data",
            kind="slider", min=0.0, max=1.0, step=0.05)

Select-type controls hold *keys* in code (e.g. ``"adam"``) and show labels (``"Adam"``); the
URL holds the label, so links stay readable. A concept offered on several pages is declared
once in :mod:`bnsim.ui.concepts` and narrowed by each page (:meth:`Control.narrow`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

GROUPS = ("Data", "Network", "Training", "View")
KINDS = ("slider", "select", "radio", "toggle", "multiselect", "number")


@dataclass(frozen=True, kw_only=True)
class Control:
    """One control of a page. ``options`` maps key -> label for select/radio/multiselect."""

    key: str
    label: str
    default: Any
    help: str
    group: str = "View"
    kind: str = "slider"
    min: float | int | None = None
    max: float | int | None = None
    step: float | int | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    format: str | None = None  # slider/number display format, e.g. "%.3f"
    legacy: Mapping[str, Any] = field(default_factory=dict)  # old URL label -> option key
    old_keys: tuple[str, ...] = ()  # URL keys of links made before this control was renamed
    # Why moving this control changes nothing at these settings ({key: value}, open tab's
    # title), or None when it does something; the reason is shown right under the control.
    inert: Callable[[Mapping[str, Any], str], str | None] | None = None
    # A Data/Network/Training control that never retrains (e.g. the test inputs' shift): it
    # redraws the view only, like the View group (:attr:`redraws_only`).
    view_only: bool = False

    def __post_init__(self):
        if self.kind not in KINDS or self.group not in GROUPS:
            raise ValueError(f"{self.key}: kind must be in {KINDS}, group in {GROUPS}.")

    @property
    def redraws_only(self) -> bool:
        """Moving this control only redraws the open tab's view (never retrains): the page
        reruns only the view (:func:`bnsim.ui.lesson.run`)."""
        return self.group == "View" or self.view_only

    # -- one concept, declared once (bnsim.ui.concepts); a page may only narrow it
    def narrow(self, **changes) -> Control:
        """This control as one page offers it: a narrower range, fewer options, another
        default or help text, the URL keys of older links. Raises ``ValueError`` for anything
        that would redefine the concept (a wider range, other options, another type).

        ``values=(…)`` offers only those values of a slider's range, as a select box (the URL
        still holds the number); for a select it keeps only those options. ``key=`` (with
        ``label=``) declares a second, independent instance of the concept, e.g. another tab's
        own layer."""
        allowed = {"key", "label", "default", "min", "max", "step", "values", "options", "help",
                   "old_keys", "legacy", "format", "inert"}
        if unknown := set(changes) - allowed:
            raise ValueError(f"{self.key}: narrow() may change {sorted(allowed)}; "
                             f"got {sorted(unknown)}.")
        if "label" in changes and "key" not in changes:
            raise ValueError(f"{self.key}: one concept has one label; a new label needs a new "
                             "key (a second instance).")
        values = changes.pop("values", None)
        if values is not None:
            changes["options"] = self._subset(values)
            if self.kind in ("slider", "number"):
                changes.update(kind="select", min=None, max=None, step=None, format=None)
        new = replace(self, **changes)
        new._check_narrower_than(self)
        return new

    def _subset(self, values) -> dict:
        if self.kind in ("slider", "number"):
            bad = [v for v in values if not self._on_grid(v)]
            if bad:
                raise ValueError(f"{self.key}: {bad} are not values of {self.allowed()}.")
            return {v: (f"{v:g}" if isinstance(v, float) else str(v)) for v in values}
        if self.kind in ("select", "radio", "multiselect"):
            if bad := [v for v in values if v not in self.options]:
                raise ValueError(f"{self.key}: {bad} are not options of this control.")
            return {v: self.options[v] for v in values}
        raise ValueError(f"{self.key}: a {self.kind} has no values to choose from.")

    def _on_grid(self, v) -> bool:
        if not (isinstance(v, int | float) and self.min <= v <= self.max):
            return False
        k = (v - self.min) / self.step
        return abs(k - round(k)) < 1e-9

    def _check_narrower_than(self, base: Control) -> None:
        if self.kind in ("slider", "number") and base.kind == self.kind:
            if not (base.min <= self.min <= self.max <= base.max):
                raise ValueError(f"{self.key}: [{self.min}, {self.max}] is not inside the "
                                 f"concept's [{base.min}, {base.max}].")
            k = self.step / base.step
            if abs(k - round(k)) > 1e-9 or not base._on_grid(self.min):
                raise ValueError(f"{self.key}: step {self.step} from {self.min} leaves the "
                                 f"concept's grid (step {base.step} from {base.min}).")
        if self.kind in ("select", "radio", "multiselect") and base.options:
            if any(base.options.get(k) != v for k, v in self.options.items()):
                raise ValueError(f"{self.key}: options {list(self.options)} are not options "
                                 f"of the concept ({list(base.options)}).")
        if not self.ok(self.to_widget(self.default)):
            raise ValueError(f"{self.key}: default {self.default!r} is not allowed "
                             f"({self.allowed()}).")

    # -- the value as the widget holds it (labels for options) and back to keys
    def to_widget(self, value):
        if self.kind in ("select", "radio"):
            return self.options[value]
        if self.kind == "multiselect":
            return [self.options[v] for v in value]
        return value

    def from_widget(self, value):
        back = {label: key for key, label in self.options.items()}
        if self.kind in ("select", "radio"):
            return back[value]
        if self.kind == "multiselect":
            return [back[v] for v in value]
        return value

    def ok(self, value) -> bool:
        """Whether ``value`` (as the widget holds it: labels for options) may be shown by this
        control: the right type, finite, within the bounds, one of the options."""
        if self.kind == "toggle":
            return isinstance(value, bool)
        labels = list(self.options.values())
        if self.kind in ("select", "radio"):
            return isinstance(value, str) and value in labels
        if self.kind == "multiselect":
            return (isinstance(value, list | tuple) and len(set(map(str, value))) == len(value)
                    and all(isinstance(v, str) and v in labels for v in value))
        number = (int,) if isinstance(self.default, int) else (int, float)
        return (isinstance(value, number) and not isinstance(value, bool)
                and math.isfinite(value) and self.min <= value <= self.max)

    def allowed(self) -> str:
        """What values this control accepts, in words (for the URL note)."""
        if self.kind in ("select", "radio", "multiselect"):
            return "one of " + ", ".join(f"'{v}'" for v in self.options.values())
        if self.kind == "toggle":
            return "true or false"
        return f"a number from {self.min} to {self.max}"

    def url_ok(self, raw: str | list[str]) -> bool:
        """Whether a raw URL value would be accepted."""
        values = raw if isinstance(raw, list) else [raw]
        if self.kind == "multiselect":
            values = [v for v in values if v != ""]  # "?key=" is Streamlit's empty selection
        if self.kind in ("select", "radio", "multiselect"):
            values = [self.options.get(self.legacy.get(v), v) for v in values]
            return all(v in self.options.values() for v in values) and (
                self.kind == "multiselect" or len(values) == 1)
        if len(values) != 1:
            return False
        v = values[0]
        if self.kind == "toggle":
            return v.lower() in ("true", "false")
        try:
            x = float(v)
        except ValueError:
            return False
        return math.isfinite(x) and self.min <= x <= self.max



@dataclass(frozen=True, kw_only=True)
class Preset:
    """A lecture moment: the control values it sets (keys for options; every control not
    named returns to its default) and, optionally, the tab it opens."""

    values: Mapping[str, Any] = field(default_factory=dict)
    tab: str | None = None
    help: str | None = None



def preset_key(name: str) -> str:
    """The widget key of the button of preset ``name`` (found by its name, not its place)."""
    return "_preset_" + (re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_") or "moment")
