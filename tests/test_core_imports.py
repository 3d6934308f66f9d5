"""The numerical core runs without Streamlit or Plotly (a notebook or a script)."""

import subprocess
import sys
from pathlib import Path

BNSIM = Path(__file__).resolve().parents[1] / "bnsim"


def core_modules() -> list[str]:
    """Every module of bnsim outside its figures and ui layers, found on disk."""
    found = []
    for path in sorted(BNSIM.rglob("*.py")):
        parts = path.relative_to(BNSIM.parent).with_suffix("").parts
        if parts[1] in ("figures", "ui"):
            continue
        found.append(".".join(p for p in parts if p != "__init__"))
    return found


def test_the_core_is_discovered_not_listed():
    modules = core_modules()
    assert "bnsim.batchnorm" in modules and "bnsim.train" in modules
    assert any(m.startswith("bnsim.lessons.") for m in modules)


def test_core_imports_neither_streamlit_nor_plotly():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in core_modules())
        + "bad = [m for m in sys.modules if m.split('.')[0] in ('streamlit', 'plotly')]\n"
        + "print(bad)\nsys.exit(1 if bad else 0)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
