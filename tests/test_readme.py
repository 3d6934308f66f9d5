"""The README's notebook example runs and prints what its comments say."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_notebook_example_runs():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README has no python example"
    res = subprocess.run([sys.executable, "-c", blocks[0]], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "[ 2.5 25. ] [  1.25 125.  ]"
    assert lines[1] == "[0.575 4.85 ]"
    assert float(lines[2]) > 0.95


def test_readme_commands_are_the_ones_ci_runs():
    text = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -r requirements-dev.txt && python -m pytest -q" in text
    assert "python -m pytest -q" in ci and "requirements-dev.txt" in ci
    assert "streamlit run app.py" in text


def _section(text: str, heading: str) -> str:
    start = text.index(f"## {heading}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def test_readme_map_matches_the_tree():
    """Every path the map names exists, and every tab of every lesson is listed in its row
    with the modules that hold it in each layer."""
    import importlib

    inside = _section((ROOT / "README.md").read_text(), "What is inside")
    paths = {p for p in re.findall(r"`((?:bnsim|pages|tests|benchmarks)/[\w/.]+)`", inside)
             if "<" not in p}
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing, missing
    for stem in ("inside_layer", "covariate_shift", "running_stats", "testtime"):
        for tab in importlib.import_module(f"bnsim.ui.{stem}").LESSON.tabs:
            room = tab.view.__module__.rsplit(".", 1)[1]
            row = next((line for line in inside.splitlines()
                        if line.startswith(f"| {tab.title} |")), None)
            assert row is not None, tab.title
            for layer in ("lessons", "figures", "ui"):
                path = f"bnsim/{layer}/{stem}/{room}.py"
                assert ((f"`{path}`" in row) == (ROOT / path).exists()), (tab.title, path)
