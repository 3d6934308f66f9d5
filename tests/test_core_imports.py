"""The numerical core runs without Streamlit or Plotly (a notebook or a script)."""

import subprocess
import sys

CORE = ("batchnorm", "running", "data", "network", "optim", "train", "notation",
        "testtime", "covariate_shift", "running_stats")


def test_core_imports_neither_streamlit_nor_plotly():
    code = (
        "import sys\n"
        + "".join(f"import bnsim.{m}\n" for m in CORE)
        + "bad = [m for m in sys.modules if m.split('.')[0] in ('streamlit', 'plotly')]\n"
        + "print(bad)\nsys.exit(1 if bad else 0)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
