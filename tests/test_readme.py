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
