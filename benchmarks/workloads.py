"""What a class does on each tab: every tab of every page, its main view-only slider (the
control a lecturer drags while the class watches) and the values it is dragged through.

One table, read by the load benchmark (``bench_load.py --all``) and the browser benchmark
(``bench_view_sliders.py``); the default tab of each page comes first, as a class lands on it.
A tab whose every control retrains (no view-only control) has ``key=None``: its workload
reloads the tab, which is what a student there does.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Workload:
    """A page (its script and URL path), the tab it opens at (query string), its main
    view-only control (URL key, ``None``: none), the values it moves through, and the label
    of the slider as shown (for the browser)."""

    name: str
    script: str
    path: str
    query: str
    key: str | None
    values: tuple
    label: str = ""
    tab: str = ""

    @property
    def page(self) -> str:
        return self.name.split("/", 1)[0]


def _q(tab: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"tab": tab}) if tab else ""


def _grid(lo: float, hi: float, n: int, digits: int = 3) -> tuple:
    return tuple(round(lo + (hi - lo) * i / (n - 1), digits) for i in range(n))


# (page stem, URL path, script, [(tab title ('' = default), key, values), …] default tab first)
_PAGES = [
    ("inside_layer", "Inside_a_BN_layer", "pages/1_Inside_a_BN_layer.py", [
        ("One mini-batch", "bias", _grid(-2.0, 2.0, 21, 1)),
        ("γ and β", "bias", _grid(-2.0, 2.0, 21, 1)),
        ("Learning γ, β", "unit", tuple(range(1, 9))),
        ("With vs without BN", "sw_lr", (0.01, 0.03, 0.1, 0.3, 1.0)),
    ]),
    ("covariate_shift", "Covariate_shift", "pages/2_Covariate_shift.py", [
        ("Black cats → coloured cats", "shift", _grid(0.0, 5.0, 21, 2)),
        ("A deep layer's moving inputs", "unit", tuple(range(1, 17))),
        ("Mini-batch noise", "nunit", tuple(range(1, 17))),
        ("Noisy BN", "smooth", (1, 10, 20, 30, 50, 80, 100, 150, 200)),
    ]),
    ("running_stats", "Running_statistics", "pages/3_Running_statistics.py", [
        ("Trajectory", "ema_beta", _grid(0.5, 0.975, 20)),
        ("Error vs population", "ema_beta", _grid(0.5, 0.975, 20)),
        ("Step by step", "ema_beta", _grid(0.5, 0.975, 20)),
        ("Distribution at a step", "step", tuple(range(1, 1001, 50))),
        ("PyTorch & Keras", "ema_beta", _grid(0.5, 0.975, 20)),
        ("Formulas", "ema_beta", _grid(0.5, 0.975, 20)),
    ]),
    ("testtime", "Train_vs_test", "pages/4_Train_vs_test.py", [
        ("Boundaries", "mix", tuple(range(0, 101, 10))),
        ("Test batch size", "k", (1, 2, 4, 8, 16, 32, 64, 128, 256)),
        ("Same point, new neighbours", "k", (1, 2, 4, 8, 16, 32, 64, 128, 256)),
        ("Skewed test batches", "mix", tuple(range(0, 101, 10))),
        ("Running estimate", "ema_beta", _grid(0.5, 0.975, 20)),
        ("Batch Renorm", None, ()),
        ("Running averages in training", None, ()),
    ]),
]

TRIVIAL = Workload("trivial", "tests/apps/trivial_app.py", "", "", "x", tuple(range(0, 101, 5)),
                   label="x")


def _control(stem: str, key: str):
    import importlib

    lesson = importlib.import_module(f"bnsim.ui.{stem}").LESSON
    return next(c for c in lesson.all_controls if c.key == key)


def _as_widget(stem: str, key: str | None, values: tuple) -> tuple[str, tuple]:
    """The control's label and its values as the widget holds them (a select: option labels)."""
    if key is None:
        return "", values
    c = _control(stem, key)
    return c.label, tuple(c.options[v] for v in values) if c.options else values


def every_tab() -> list[Workload]:
    """One workload per tab of every page, each page's default tab first."""
    out = []
    for stem, path, _script, tabs in _PAGES:
        for i, (tab, key, values) in enumerate(tabs):
            label, shown = _as_widget(stem, key, values)
            out.append(Workload(f"{stem}/{tab}", "app.py", path, "" if i == 0 else _q(tab),
                                key, shown, label=label, tab=tab))
    return out


def page_script(w: Workload) -> str:
    """The page's own script (a browser benchmark serves it as the main script)."""
    for stem, _path, script, _tabs in _PAGES:
        if w.page == stem:
            return script
    return w.script
