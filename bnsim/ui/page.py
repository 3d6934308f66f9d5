"""Page scaffolding: header, friendly errors, takeaway, CSV download."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pandas as pd
import streamlit as st

from bnsim import notation

# Projector-first: less empty space above the title and a smaller title, so a page's key
# picture fits the first 1280×720 screen; wide equations scroll inside their own box on a
# phone instead of widening the page.
CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
[data-testid="stMainBlockContainer"] h1 { font-size: 2.1rem; padding-top: 0; }
.katex-display { overflow-x: auto; overflow-y: hidden; }
[data-testid="stMarkdownContainer"] table { display: block; overflow-x: auto; }
[data-testid="stColumn"] [data-testid="stHeading"] h3 { font-size: 1.3rem; }
</style>"""


def style() -> None:
    """The app's few CSS rules (see :data:`CSS`); every page calls it once."""
    st.markdown(CSS, unsafe_allow_html=True)


def setup(title: str, intro: str) -> None:
    """``set_page_config`` (wide), the app's CSS, the title and a short introduction."""
    st.set_page_config(layout="wide", page_title=f"{title} — bnsim")
    style()
    st.title(title)
    st.markdown(intro)


@contextlib.contextmanager
def friendly(what: str = "this view"):
    """Turn a core ``ValueError`` (or anything unexpected) into a message instead of a
    traceback, and stop the page there."""
    try:
        yield
    except ValueError as err:
        st.error(f"Can't compute {what} with these settings: {err}", icon=":material/block:")
        st.stop()
    except Exception as err:  # noqa: BLE001 - nothing may show a traceback to a class
        st.error(f"Something went wrong computing {what} ({type(err).__name__}: {err}). "
                 "Try other settings or a preset.", icon=":material/error:")
        st.stop()


def glossary(terms: tuple[str, ...] | None = None, where=None) -> None:
    """An expander with the words this page uses, explained (all of them by default)."""
    chosen = notation.TERMS if terms is None else {t: notation.TERMS[t] for t in terms}
    with (where or st).expander("Glossary", icon=":material/menu_book:"):
        st.markdown("\n".join(f"- **{term}**: {text}" for term, text in chosen.items()))


def takeaway(text: str) -> None:
    """One sentence under a figure that quotes the numbers just computed."""
    st.markdown(f":material/lightbulb: {text}")


def download_csv(df: pd.DataFrame | Callable[[], pd.DataFrame], filename: str,
                 label: str = "Download the data (CSV)", key: str | None = None) -> None:
    """A CSV download of what is plotted. ``df`` may be a table or a function that builds one;
    either way the CSV is written only when the button is clicked (moving a slider doesn't pay
    for it), and clicking doesn't rerun the page."""
    make = df if callable(df) else (lambda: df)
    st.download_button(label, lambda: make().to_csv(index=False).encode(), file_name=filename,
                       mime="text/csv", key=key or f"csv_{filename}",
                       icon=":material/download:", on_click="ignore")
