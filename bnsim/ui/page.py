"""Page scaffolding: header, friendly errors, takeaway, CSV download."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from bnsim import notation, verdict

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


# The app's pages in lecture order: (script, title, icon). Streamlit routes each page script
# in pages/ by its file name after the number: pages/1_Inside_a_BN_layer.py -> /Inside_a_BN_layer.
PAGES = (
    ("app.py", "Home", ":material/home:"),
    ("pages/1_Inside_a_BN_layer.py", "Inside a BN layer", ":material/school:"),
    ("pages/2_Covariate_shift.py", "Covariate shift", ":material/school:"),
    ("pages/3_Running_statistics.py", "Running statistics", ":material/school:"),
    ("pages/4_Train_vs_test.py", "Train vs test", ":material/school:"),
)


def url_path(script: str) -> str:
    """The URL path Streamlit gives a page script (``""`` for Home)."""
    if script == "app.py":
        return ""
    return script.removeprefix("pages/").removesuffix(".py").split("_", 1)[1]


def navigation(where=None) -> None:
    """The sidebar's list of pages, "Home" first (Streamlit's own list is switched off in
    ``.streamlit/config.toml``, since it would name the landing page "app")."""
    where = where or st.sidebar
    for script, title, icon in PAGES:
        try:
            where.page_link(script, label=title, icon=icon)
        except StreamlitAPIException:  # a page script run on its own (a test): no app around it
            return
    where.divider()


def clip(value: int, top: int, what: str, where=None) -> int:
    """``value`` clipped to ``top`` (a layer or unit the network does not have), with a caption
    that says so. The one clipping helper of the app."""
    if value > top:
        (where or st).caption(f"{what} {value} does not exist here; showing {top}.")
        return top
    return value


def style() -> None:
    """The app's few CSS rules (see :data:`CSS`); every page calls it once."""
    st.markdown(CSS, unsafe_allow_html=True)


def script_of(title: str) -> str:
    """The page script of the page called ``title`` (as in :data:`PAGES`)."""
    for script, name, _icon in PAGES:
        if name == title:
            return script
    raise KeyError(f"no page is called {title!r}; pages: {[p[1] for p in PAGES]}.")


def setup(title: str, intro: str = "", *, script: str | None = None, tab_title: str = ""):
    """``set_page_config`` (wide), the app's CSS, the navigation, "Present to the class",
    the title and a short introduction. Returns the box at the top of the main area where
    the follower's badge goes (:func:`bnsim.ui.follow.follower_bar`, drawn last)."""
    from bnsim.ui import follow, present

    follow.top(script or script_of(title))
    st.set_page_config(layout="wide", page_title=tab_title or f"{title} — bnsim")
    style()
    navigation()
    present.presenter_panel()
    slot = st.container()
    present.join_card()
    st.title(title)
    if intro:
        st.markdown(intro)
    return slot


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
        st.markdown("**Words with a threshold** (each sentence that uses one was checked "
                    "against it):\n" + "\n".join(f"- *{w.term}*: {w.meaning}"
                                                  for w in sorted(verdict.WORDS.values(),
                                                                key=lambda w: w.term.lower())))


def takeaway(text: str | verdict.Verdict) -> None:
    """One sentence under a figure that quotes the numbers just computed (a verdict, or a
    sentence made of verdicts' texts), its thresholded words marked (:func:`verdict.say`)."""
    st.markdown(f":material/lightbulb: {verdict.say(text)}")


def download_csv(df: pd.DataFrame | Callable[[], pd.DataFrame], filename: str,
                 label: str = "Download the data (CSV)", key: str | None = None) -> None:
    """A CSV download of what is plotted. ``df`` may be a table or a function that builds one;
    either way the CSV is written only when the button is clicked (moving a slider doesn't pay
    for it), and clicking doesn't rerun the page."""
    make = df if callable(df) else (lambda: df)
    st.download_button(label, lambda: make().to_csv(index=False).encode(), file_name=filename,
                       mime="text/csv", key=key or f"csv_{filename}",
                       icon=":material/download:", on_click="ignore")
