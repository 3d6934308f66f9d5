"""The house is easy to walk: a lesson is a package in every layer, a tab is a room found by
its name in each of them, every concept declared once, thin pages, no stray tests."""

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bnsim.ui import concepts
from bnsim.ui.page import PAGES, url_path

ROOT = Path(__file__).resolve().parents[1]
# stem: (URL path, page script) — lecture links rely on the paths
LESSONS = {"inside_layer": ("Inside_a_BN_layer", "pages/1_Inside_a_BN_layer.py"),
           "covariate_shift": ("Covariate_shift", "pages/2_Covariate_shift.py"),
           "running_stats": ("Running_statistics", "pages/3_Running_statistics.py"),
           "testtime": ("Train_vs_test", "pages/4_Train_vs_test.py")}
SHARED_ROOMS = {"__init__", "common"}  # modules of a lesson package that are not a tab


def lesson(stem: str):
    return importlib.import_module(f"bnsim.ui.{stem}").LESSON


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("stem", sorted(LESSONS))
def test_each_lesson_is_a_package_in_every_layer_and_a_page_in_pages(stem):
    for layer in (f"bnsim/lessons/{stem}", f"bnsim/figures/{stem}", f"bnsim/ui/{stem}"):
        assert (ROOT / layer / "__init__.py").is_file(), layer
    path, script = LESSONS[stem]
    assert (ROOT / script).is_file() and url_path(script) == path
    assert not (ROOT / "app_pages").exists()


def test_the_navigation_lists_home_then_the_lessons_in_lecture_order():
    assert [title for _, title, _ in PAGES][0] == "Home"
    assert [script for script, _, _ in PAGES][1:] == [s for _, s in LESSONS.values()]
    assert sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py")) == sorted(
        s for _, s in LESSONS.values())


@pytest.mark.parametrize("stem", sorted(LESSONS))
def test_a_tab_is_found_by_its_name_in_every_layer(stem):
    """Each tab's view lives in ``bnsim/ui/<stem>/<room>.py``, whose docstring names the tab;
    the tab's numbers and figures, where it has any, are in the modules of the same name in
    ``bnsim/lessons/<stem>/`` and ``bnsim/figures/<stem>/`` — and no other module is there,
    except a large room's further parts, named after it (``<room>_<part>.py``), whose docstring
    names the tab too."""
    rooms = {}
    for tab in lesson(stem).tabs:
        module = tab.view.__module__
        assert module.startswith(f"bnsim.ui.{stem}."), (tab.title, module)
        room = module.rsplit(".", 1)[1]
        doc = ast.get_docstring(ast.parse((ROOT / (module.replace(".", "/") + ".py"))
                                          .read_text())) or ""
        assert tab.title in doc.splitlines()[0], (tab.title, doc[:80])
        rooms[room] = tab.title
    for layer in ("lessons", "figures", "ui"):
        modules = {p.stem for p in (ROOT / "bnsim" / layer / stem).glob("*.py")}
        parts = {m for m in modules if any(m.startswith(f"{room}_") for room in rooms)}
        assert modules - SHARED_ROOMS - parts <= set(rooms), (layer, modules - set(rooms))
        for part in parts:
            room = next(r for r in rooms if part.startswith(f"{r}_"))
            doc = ast.get_docstring(ast.parse((ROOT / "bnsim" / layer / stem / f"{part}.py")
                                              .read_text())) or ""
            assert rooms[room] in doc.splitlines()[0], (part, doc[:80])


def test_no_module_in_bnsim_is_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in python_files("bnsim")
            if (n := len(p.read_text().splitlines())) > 400}
    assert not long, long


def test_nothing_indexes_a_tab_by_position():
    pattern = re.compile(r"\b(tabs|TABS|PANELS|TAB_CONTROLS)\[\s*-?\d")
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in python_files("bnsim", "pages")
            for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert not hits, hits


def test_no_one_letter_module_aliases():
    short = []
    for p in [*python_files("bnsim", "pages"), ROOT / "app.py"]:
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom):
                short += [f"{p.relative_to(ROOT)}: {a.name} as {a.asname}" for a in node.names
                          if a.asname and len(a.asname) <= 2 and a.asname not in ("np", "pd",
                                                                                 "go", "st")]
    assert not short, short


def test_a_concept_offered_on_several_pages_is_one_declaration_narrowed():
    """Same key on two pages: the same concept (label, group), each page's range inside the
    concept's; β_EMA and BN's shift β never share a key."""
    by_key = {c.key: c for c in concepts.ALL}
    seen = {}
    for stem in LESSONS:
        for c in lesson(stem).all_controls:
            seen.setdefault(c.key, []).append((stem, c))
    for key, uses in seen.items():
        if len({stem for stem, _ in uses}) > 1:
            assert key in by_key, f"{key} is offered by {[s for s, _ in uses]} but not a concept"
            for stem, c in uses:
                assert (c.label, c.group) == (by_key[key].label, by_key[key].group), (stem, c)
    assert "beta" not in seen
    assert {s for s, _ in seen["ema_beta"]} == {"running_stats", "testtime"}
    assert {s for s, _ in seen["bn_beta"]} == {"inside_layer"}


def test_no_module_outside_tests_looks_like_a_test():
    stray = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py")
             if ".venv" not in p.parts and p.parts[len(ROOT.parts)] not in ("tests", "pages")
             and (p.name.startswith("test_") or p.stem.endswith("_test"))]
    pages = [p.name for p in (ROOT / "pages").glob("*.py") if p.name.startswith("test_")]
    assert not stray and not pages, (stray, pages)  # a page's name is its URL path


def test_pytest_from_the_root_collects_exactly_the_tests_folder():
    def collected(*args):
        res = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                              "-p", "no:cacheprovider", *args],
                             cwd=ROOT, capture_output=True, text=True)
        return sorted(line for line in res.stdout.splitlines() if "::" in line)
    root, tests = collected(), collected("tests")
    assert root and root == tests


@pytest.mark.parametrize("script", sorted(s for _, s in LESSONS.values()))
def test_pages_are_thin(script):
    """A page script wires its lesson to the runner: it imports only bnsim.ui / bnsim.figures
    (and streamlit), no numerical code."""
    source = (ROOT / script).read_text()
    imported = {(node.module if isinstance(node, ast.ImportFrom) else alias.name)
                for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.Import | ast.ImportFrom)
                for alias in node.names}
    assert all(m == "streamlit" or m.startswith(("bnsim.ui", "bnsim.figures"))
               for m in imported), imported
    assert len(source.splitlines()) <= 80
