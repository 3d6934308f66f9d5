"""Headless (no browser) smoke test of the landing page with Streamlit's AppTest."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "app.py"


def test_landing_page_runs_without_exception():
    at = AppTest.from_file(str(APP)).run(timeout=30)
    assert not at.exception
    assert at.title[0].value == "bnsim — Batch Normalization, simulated"


def test_landing_page_lists_all_lessons():
    """Each lesson appears either as a page link (page exists) or as "coming soon" text."""
    at = AppTest.from_file(str(APP)).run(timeout=30)
    texts = [m.value for m in at.markdown] + [link.label for link in at.get("page_link")]
    for lesson in ("Running statistics", "Train vs test", "Covariate shift"):
        assert any(f"**{lesson}**" in text for text in texts), lesson
