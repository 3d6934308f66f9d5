"""Reusable helpers for browser tests and latency benchmarks.

Everything here is plain functions so that ``tests/conftest.py`` (pytest
fixtures) and ``benchmarks/latency.py`` (CLI) share one implementation:

* :func:`find_chromium` / :func:`launch_chromium` -- system Chromium via Playwright.
* :class:`StreamlitServer` -- one ``streamlit run`` subprocess on a free port.
* :func:`goto_and_wait`, :func:`wait_for_idle`, :func:`assert_no_exception`,
  :func:`plotly_data_signature`, :func:`wait_for_plotly_change`, :func:`press_slider`
  -- page interaction.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

VIEWPORT = {"width": 1280, "height": 720}

#: Selector that matches once Streamlit has finished running the script.
IDLE_SELECTOR = "[data-testid=stApp][data-test-script-state=notRunning]"

#: JS predicate: the script is idle, at least one element was rendered and no
#: lazily loaded widget still shows its loading skeleton.
_IDLE_JS = """() => {
    const app = document.querySelector('[data-testid=stApp]');
    return app !== null
        && app.getAttribute('data-test-script-state') === 'notRunning'
        && app.querySelector('[data-testid=stMain] [data-testid=stElementContainer]') !== null
        && app.querySelector('[data-testid=stSkeleton]') === null;
}"""

#: JS expression: a function ``(root = document)`` returning every Plotly chart under
#: ``root`` in document order, including those drawn inside the page's own (same-origin)
#: component frames, such as live charts.
PLOTS_JS = """((root) => {
    const found = [];
    const walk = (doc) => doc.querySelectorAll('.js-plotly-plot, iframe').forEach(el => {
        if (el.tagName !== 'IFRAME') { found.push(el); return; }
        try { if (el.contentDocument) walk(el.contentDocument); } catch (e) { /* other origin */ }
    });
    walk(root || document);
    return found;
})"""

#: JS function (index) -> short stable signature of the ``index``-th Plotly chart's ``data``.
#: Typed arrays are converted to plain arrays so the JSON is deterministic.
SIGNATURE_JS = f"""(index) => {{
    const plots = ({PLOTS_JS})();
    if (index >= plots.length || !plots[index].data) return null;
    const json = JSON.stringify(plots[index].data, (k, v) =>
        ArrayBuffer.isView(v) ? Array.from(v) : v);
    let h = 0x811c9dc5;  // FNV-1a, 32 bit
    for (let i = 0; i < json.length; i++) {{
        h ^= json.charCodeAt(i);
        h = Math.imul(h, 0x01000193);
    }}
    return (h >>> 0).toString(16) + ':' + json.length;
}}"""


def find_chromium() -> str | None:
    """Return the path of the system Chromium (Debian's ``chromium``), or ``None``."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch_chromium(playwright, executable_path: str):
    """Launch one headless Chromium through a started ``sync_playwright()`` instance."""
    return playwright.chromium.launch(
        executable_path=executable_path, headless=True, args=CHROMIUM_ARGS
    )


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago (bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StreamlitServer:
    """A ``streamlit run <script>`` subprocess, usable as a context manager.

    The server runs with the repository root as working directory (so
    ``.streamlit/config.toml`` applies and ``bnsim`` is importable) and its
    output goes to a temporary file that is shown if startup fails.
    """

    def __init__(self, script: str | Path = "app.py", timeout: float = 60.0,
                 env: dict[str, str] | None = None):
        self.script = str(script)
        self.timeout = timeout
        self.env = dict(env or {})  # extra environment, e.g. a presenter key
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> str:
        """Start the server, wait for ``/_stcore/health`` to answer ``ok``; return base URL."""
        cmd = [
            sys.executable, "-m", "streamlit", "run", self.script,
            "--server.headless", "true",
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false",
        ]  # fmt: skip
        self._log = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
        )  # fmt: skip
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._fail(f"exited with code {self._proc.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200 and resp.read().strip() == b"ok":
                        return self.url
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self._fail(f"did not become healthy within {self.timeout:.0f}s")
        raise AssertionError("unreachable")

    def output(self) -> str:
        """Return everything the server printed so far (stdout and stderr)."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def _fail(self, why: str) -> None:
        out = self.output()
        self.stop()
        raise RuntimeError(f"streamlit server for {self.script} {why}. Output:\n{out}")

    def stop(self) -> None:
        """Terminate the server (kill it if it does not exit within 10 s)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def wait_for_idle(page, timeout: float = 60000) -> None:
    """Wait until the script state is ``notRunning`` and something was rendered."""
    page.wait_for_function(_IDLE_JS, timeout=timeout)


def goto_and_wait(page, url: str, timeout: float = 60000) -> None:
    """Navigate to ``url`` and wait until the Streamlit app finished its first run."""
    page.goto(url, timeout=timeout)
    wait_for_idle(page, timeout=timeout)


def assert_no_exception(page) -> None:
    """Fail if the page shows a Streamlit exception box (``stException``)."""
    boxes = page.locator("[data-testid=stException]")
    if boxes.count():
        raise AssertionError("Streamlit exception on page:\n" + boxes.first.inner_text())


#: JS (index) -> the signature, remembering the chart's current ``data`` object as seen.
_MARK_JS = f"""(index) => {{
    const plot = ({PLOTS_JS})()[index];
    window.__bnsimSeenData = plot ? plot.data : undefined;
    return ({SIGNATURE_JS})(index);
}}"""


def plotly_data_signature(page, index: int = 0) -> str | None:
    """Return a short hash of the ``data`` of the ``index``-th Plotly chart (None if absent).

    Also remembers the chart's current ``data`` object, so that :func:`wait_for_plotly_change`
    afterwards waits for the server's next figure, not for a redraw in place (a live chart's
    preview) of the data already there."""
    return page.evaluate(_MARK_JS, index)


def plotly_count(page) -> int:
    """How many Plotly charts the page shows (including those inside component frames)."""
    return page.evaluate(f"() => ({PLOTS_JS})().length")


def live_chart_frame(page, trace: str, timeout: float = 30000):
    """The Playwright frame of the live chart (``bnsim.ui.live``) that draws a trace named
    ``trace`` (waits for it)."""
    has = "(name) => { const gd = document.getElementById('chart');" \
          " return !!(gd && gd.data && gd.data.some(t => t.name === name)); }"
    deadline = time.monotonic() + timeout / 1000
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "/bnsim.ui.live.live_chart/" in frame.url and frame.evaluate(has, trace):
                return frame
        page.wait_for_timeout(50)
    raise AssertionError(f"no live chart draws a trace named {trace!r}")


def slider_thumb(page, label: str):
    """Return the locator of the thumb (``[role=slider]``) of the slider labelled ``label``."""
    widget = page.locator("[data-testid=stSlider]").filter(
        has=page.locator(f"[role=group][aria-label={json.dumps(label, ensure_ascii=False)}]")
    )
    return widget.get_by_role("slider").first


def slider_thumb_centre(page, label: str) -> tuple[float, float]:
    """Page coordinates of the centre of the visible thumb of slider ``label`` (the disc a
    mouse drags; the ``[role=slider]`` input inside it is visually hidden), scrolled into
    view."""
    thumb = slider_thumb(page, label)
    thumb.scroll_into_view_if_needed()
    return tuple(thumb.evaluate(
        "i => { const r = i.parentElement.parentElement.getBoundingClientRect();"
        " return [r.x + r.width / 2, r.y + r.height / 2]; }"))


def press_slider(page, label: str, key: str = "ArrowRight") -> None:
    """Focus the thumb of the slider labelled ``label`` and press ``key`` once."""
    thumb = slider_thumb(page, label)
    thumb.focus()
    thumb.press(key)


def slider_state(page, label: str) -> tuple[float, float, float]:
    """Return ``(value, min, max)`` of the slider labelled ``label`` (select_slider: indices)."""
    values = slider_thumb(page, label).evaluate("e => [e.value, e.min, e.max]")
    return tuple(float(v) for v in values)


def wait_for_plotly(page, index: int = 0, timeout: float = 60000) -> None:
    """Wait until the ``index``-th Plotly chart exists and has drawn its ``data``."""
    page.wait_for_function(
        f"(i) => {{ const p = ({PLOTS_JS})(); return p.length > i && Array.isArray(p[i].data); }}",
        arg=index,
        timeout=timeout,
    )


#: JS predicate ``([index, before]) -> bool``: chart ``index`` shows data whose signature
#: differs from ``before`` and the script is idle. Hashing only happens when Plotly got a
#: new ``data`` object, so polling stays cheap even for large figures.
_CHANGED_JS = f"""([index, before]) => {{
    const app = document.querySelector('[data-testid=stApp]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    const plot = ({PLOTS_JS})()[index];
    if (!plot || !plot.data || plot.data === window.__bnsimSeenData) return false;
    window.__bnsimSeenData = plot.data;
    const sig = ({SIGNATURE_JS})(index);
    return sig !== null && sig !== before;
}}"""


def wait_for_plotly_change(page, before: str | None, index: int = 0, timeout: float = 60000):
    """Wait until chart ``index``'s signature differs from ``before`` and the script is idle."""
    page.wait_for_function(_CHANGED_JS, arg=[index, before], timeout=timeout)


#: JS predicate ``([index, before]) -> bool``: chart ``index`` shows data whose signature
#: differs from ``before``, whether or not the script still runs (a chart that redraws in the
#: browser, e.g. a live chart's preview, changes before the server answers). Hashes the data on
#: every poll, since an in-place redraw (``Plotly.restyle``) keeps the same ``data`` object.
_REDRAWN_JS = f"""([index, before]) => {{
    const sig = ({SIGNATURE_JS})(index);
    return sig !== null && sig !== before;
}}"""


def wait_for_plotly_redraw(page, before: str | None, index: int = 0, timeout: float = 60000):
    """Wait until chart ``index``'s signature differs from ``before`` (script idle or not)."""
    page.wait_for_function(_REDRAWN_JS, arg=[index, before], timeout=timeout)
