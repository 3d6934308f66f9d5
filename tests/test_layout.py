"""The house is easy to walk: one name per lesson in every layer, thin pages, no stray tests."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# stem: URL path (lecture links rely on the paths), in lecture order
LESSONS = {"inside_layer": "Inside_a_BN_layer", "covariate_shift": "Covariate_shift",
           "running_stats": "Running_statistics", "testtime": "Train_vs_test"}


def _app_pages() -> dict[str, tuple[str, str]]:
    """{stem: (page script, URL path)} as app.py's navigation declares them."""
    tree = ast.parse((ROOT / "app.py").read_text())
    lessons = next(n.value for n in tree.body if isinstance(n, ast.Assign)
                   and getattr(n.targets[0], "id", "") == "LESSONS")
    out = {}
    for entry in ast.literal_eval(lessons):
        script, _, path, _ = entry
        out[Path(script).stem.split("_", 1)[1]] = (script, path)
    return out


@pytest.mark.parametrize("stem", sorted(LESSONS))
def test_each_lesson_has_one_name_in_every_layer(stem):
    for layer in (f"bnsim/{stem}.py", f"bnsim/figures/{stem}.py", f"bnsim/ui/{stem}.py"):
        assert (ROOT / layer).is_file(), layer
    script, path = _app_pages()[stem]
    assert (ROOT / script).is_file() and path == LESSONS[stem]


def test_lessons_are_in_lecture_order_with_inside_a_bn_layer_first():
    assert list(_app_pages()) == list(LESSONS)


def test_no_module_outside_tests_looks_like_a_test():
    stray = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py")
             if ".venv" not in p.parts and p.parts[len(ROOT.parts)] != "tests"
             and (p.name.startswith("test_") or p.stem.endswith("_test"))]
    assert not stray, stray


def test_pytest_from_the_root_collects_exactly_the_tests_folder():
    def collected(*args):
        res = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                              "-p", "no:cacheprovider", *args],
                             cwd=ROOT, capture_output=True, text=True)
        return sorted(line for line in res.stdout.splitlines() if "::" in line)
    root, tests = collected(), collected("tests")
    assert root and root == tests


@pytest.mark.parametrize("script", sorted(s for s, _ in _app_pages().values()))
def test_pages_are_thin(script):
    """Pages wire widgets to cached calls and figures: no array maths, no numpy or pandas."""
    source = (ROOT / script).read_text()
    imported = {alias.name.split(".")[0] for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.Import | ast.ImportFrom)
                for alias in (node.names if isinstance(node, ast.Import)
                              else [ast.alias(node.module or "")])}
    assert not imported & {"numpy", "pandas"}, imported
    assert len(source.splitlines()) <= 150
