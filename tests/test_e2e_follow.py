"""Follow the lecturer, in headless Chromium: a lecturer's browser presents a room, a
student's browser follows it (page, open tab, a slider), steps away and rejoins; a reloaded
lecturer keeps the room; Home's code box refuses unknown and malformed codes; a server
without a presenter key says how to turn presenter mode on.

The module runs its own server, with a presenter key (the session-wide one has none), and
one lecturer and one student browser context. The tests build on each other in file order
(the room of the first is followed by the next), but each one also runs alone: whatever it
needs (a room, a follower) is set up when missing. Each step's delay (lecturer's move →
student's screen) is printed (``pytest -s``); only generous timeouts are asserted.
"""

from __future__ import annotations

import re
import secrets
import time

import pytest

from bnsim.ui import follow, rooms
from tests.browser_helpers import (
    VIEWPORT,
    StreamlitServer,
    assert_no_exception,
    goto_and_wait,
    press_slider,
    slider_state,
    wait_for_idle,
)

pytestmark = pytest.mark.browser

KEY = "test-key-" + secrets.token_hex(8)  # random: it cannot appear anywhere by chance
PANEL = "Present to the class"
PAGE = "Running statistics"  # the page the lecturer goes to (sidebar link)
PAGE_PATH = "Running_statistics"
TAB = "Step by step"  # a tab of that page other than the first
BETA = "β_EMA (EMA coefficient)"  # a View slider of every tab of that page
FOLLOWS = 30000  # ms the student may take to follow one move (a push: about 1–2 s;
# generous: the suite runs on two workers, a browser and servers each)
QUIET = 5000  # ms a student who left waits for a move that must not come (several follows)
FIRST_RUN = 120000  # ms a page may take on its first run (trains once on a 2-core machine)


# ------------------------------------------------------------------ helpers
def _main_text(page) -> str:
    return page.locator("[data-testid=stMain]").inner_text()


def _wait_main_text(page, text: str, timeout: float = FOLLOWS) -> None:
    """Wait until the main area's visible text contains ``text``."""
    page.wait_for_function(
        "(t) => { const m = document.querySelector('[data-testid=stMain]');"
        " return m !== null && m.innerText.includes(t); }", arg=text, timeout=timeout)


def _panel(page):
    """The sidebar's "Present to the class" expander, opened (it opens by itself only right
    after the key was accepted)."""
    box = page.locator("[data-testid=stSidebar] [data-testid=stExpander]").filter(
        has_text=PANEL)
    box.wait_for()
    if box.locator("details").get_attribute("open") is None:
        box.locator("summary").click()
    page.wait_for_function(
        "(t) => [...document.querySelectorAll('[data-testid=stSidebar] details[open]')]"
        ".some(d => d.innerText.includes(t))", arg=PANEL)
    return box


def _room_shown(page) -> str | None:
    """The room code the (opened) presenter panel shows, ``None`` if it shows none."""
    found = re.search(r"\bRoom ([A-Z0-9]{4})\b", _panel(page).inner_text())
    return found.group(1) if found else None


def _enter_key(page, key: str) -> None:
    box = _panel(page).get_by_label("Presenter key", exact=True)
    box.fill(key)
    box.press("Enter")


def _present(page, url: str) -> str:
    """Make ``page`` present a room (enter the key unless it already does); its code."""
    if not page.url.startswith(url):
        goto_and_wait(page, url)
    code = _room_shown(page)
    if code is None:
        _enter_key(page, KEY)
        page.wait_for_function(
            "() => /\\bRoom [A-Z0-9]{4}\\b/.test("
            "document.querySelector('[data-testid=stSidebar]').innerText)", timeout=30000)
        wait_for_idle(page)
        code = _room_shown(page)
    assert code is not None
    return code


def _badge_is(page, text: str, timeout: float = FOLLOWS) -> None:
    """Wait until the follower's badge (an alert in the main area) says ``text``."""
    page.wait_for_function(
        "(t) => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stAlert]')]"
        ".some(a => a.innerText.includes(t))", arg=text, timeout=timeout)


def _following(student, url: str, code: str) -> None:
    """Make ``student`` follow room ``code`` (open its link unless it follows already)."""
    badge = student.locator("[data-testid=stMain] [data-testid=stAlert]").filter(
        has_text=f"Following room {code}")
    if f"{follow.URL_KEY}={code}" not in student.url or not badge.count():
        goto_and_wait(student, f"{url}/?{follow.URL_KEY}={code}", timeout=FIRST_RUN)
    _badge_is(student, f"Following room {code}")


def _open_tab(page) -> str:
    return page.locator("[data-testid=stMain] [role=tab][aria-selected=true]").first.inner_text()


#: JS ``([label, value]) -> bool``: the slider labelled ``label`` shows ``value``.
SLIDER_IS_JS = """([label, value]) => [
    ...document.querySelectorAll('[data-testid=stSlider] input[type=range]')].some(
    s => s.getAttribute('aria-label') === label && Math.abs(Number(s.value) - value) < 1e-9)"""


def _wait_slider(page, value: float, timeout: float = FOLLOWS) -> None:
    page.wait_for_function(SLIDER_IS_JS, arg=[BETA, value], timeout=timeout)


def _beta_in_url(value: float) -> re.Pattern:
    return re.compile(rf"[?&]ema_beta={re.escape(f'{value:g}')}(&|$)")


def _move_beta(page, presses: int, key: str = "ArrowRight") -> float:
    """Press ``key`` on the β_EMA slider ``presses`` times; the value it settles on, once the
    page has run with it (it is in the URL)."""
    before = slider_state(page, BETA)[0]
    for _ in range(presses):
        press_slider(page, BETA, key)
    step = 0.001 if key == "ArrowRight" else -0.001
    value = round(before + presses * step, 3)
    _wait_slider(page, value)
    page.wait_for_url(_beta_in_url(value), timeout=FOLLOWS)
    wait_for_idle(page)
    return value


def _on_page(lecturer, student, url: str, code: str) -> None:
    """The lecturer presents from the lesson page and the student follows it there."""
    _present(lecturer, url)
    if f"/{PAGE_PATH}" not in lecturer.url:
        lecturer.locator("[data-testid=stSidebar]").get_by_role("link", name=PAGE).click()
        lecturer.wait_for_url(f"**/{PAGE_PATH}**")
        wait_for_idle(lecturer, timeout=FIRST_RUN)
    _following(student, url, code)
    student.wait_for_url(f"**/{PAGE_PATH}**", timeout=FOLLOWS)
    wait_for_idle(student, timeout=FIRST_RUN)


def _delay(what: str, start: float) -> float:
    took = time.monotonic() - start
    print(f"follow delay: {what}: {took:.2f} s")
    return took


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def server():
    """This module's own server, with a presenter key."""
    srv = StreamlitServer("app.py", env={"BNSIM_PRESENTER_KEY": KEY})
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def url(server) -> str:
    return server.url


@pytest.fixture(scope="module")
def people(browser):
    """The lecturer's and the student's pages, each in its own context (own cookies)."""
    contexts = {who: browser.new_context(viewport=VIEWPORT) for who in ("lecturer", "student")}
    yield {who: c.new_page() for who, c in contexts.items()}
    for c in contexts.values():
        c.close()


@pytest.fixture(scope="module")
def lecturer(people):
    return people["lecturer"]


@pytest.fixture(scope="module")
def student(people):
    return people["student"]


# ------------------------------------------------------------------ tests
def test_presenter_mode_opens_a_room_with_code_qr_and_link_and_never_shows_the_key(
        server, url, lecturer):
    goto_and_wait(lecturer, url)
    panel = _panel(lecturer)
    key_box = panel.get_by_label("Presenter key", exact=True)
    assert key_box.get_attribute("type") == "password"

    wrong = "not-" + KEY
    _enter_key(lecturer, wrong)
    panel.get_by_text("That is not the presenter key.").wait_for(timeout=15000)
    wait_for_idle(lecturer)
    assert _room_shown(lecturer) is None
    assert not panel.locator("img[alt^='QR code']").count()
    assert panel.get_by_label("Presenter key", exact=True).input_value() == ""  # cleared
    assert not any(c["name"] == follow.COOKIE for c in lecturer.context.cookies())

    code = _present(lecturer, url)
    assert rooms.normalise(code) == code  # four characters of the room alphabet
    link = f"{url}/?{follow.URL_KEY}={code}"
    text = panel.inner_text()
    assert f"Room {code}" in text
    assert link.split("://")[-1] in text  # the short link, as text …
    assert panel.locator(f"a[href='{link}']").count() == 1  # … and as a link
    qr = panel.locator("img[alt^='QR code']")
    qr.wait_for()
    assert qr.get_attribute("alt") == f"QR code: {link}"
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    assert qr.evaluate("i => i.naturalWidth > 0 && i.getBoundingClientRect().width > 50")
    assert not panel.get_by_label("Presenter key", exact=True).count()
    assert_no_exception(lecturer)

    # the reload cookie holds a random token, not the key
    lecturer.wait_for_function(f"() => document.cookie.includes('{follow.COOKIE}=')")
    token = next(c["value"] for c in lecturer.context.cookies() if c["name"] == follow.COOKIE)
    assert token and KEY not in token
    # the key is nowhere: not in any frame's HTML, the URL, a cookie or the server's output
    for frame in lecturer.frames:
        assert KEY not in frame.content(), frame.url
    assert KEY not in lecturer.url
    assert all(KEY not in c["value"] for c in lecturer.context.cookies())
    assert KEY not in server.output()
    assert wrong not in server.output()

    # the join card: the code, large, in the main area; gone again when switched off
    panel.get_by_text("Show the join card").click()
    _wait_main_text(lecturer, "Follow this screen on your laptop:")
    wait_for_idle(lecturer)
    big = lecturer.locator("[data-testid=stMain] div").filter(has_text=re.compile(
        rf"^{code}$")).last
    assert float(big.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 60
    assert lecturer.locator("[data-testid=stMain] img[alt^='QR code']").count() == 1
    assert link.split("://")[-1] in _main_text(lecturer)
    # the panel the lecturer just clicked in stays open (to switch the card off again);
    # a collapse comes a moment after the run, so look again once it would have come
    lecturer.wait_for_timeout(2000)
    stayed_open = panel.locator("details").get_attribute("open") is not None
    _panel(lecturer).get_by_text("Show the join card").click()
    lecturer.wait_for_function(
        "() => !document.querySelector('[data-testid=stMain]').innerText"
        ".includes('Follow this screen on your laptop:')")
    wait_for_idle(lecturer)
    assert_no_exception(lecturer)
    assert stayed_open, "switching the join card on folded the presenter panel away"


def test_the_student_follows_page_tab_and_slider(url, lecturer, student):
    code = _present(lecturer, url)
    if f"/{PAGE_PATH}" in lecturer.url:  # run alone after the other tests: start from Home
        goto_and_wait(lecturer, url)
    _following(student, url, code)
    assert_no_exception(student)

    start = time.monotonic()
    lecturer.locator("[data-testid=stSidebar]").get_by_role("link", name=PAGE).click()
    lecturer.wait_for_url(f"**/{PAGE_PATH}**")
    student.wait_for_url(f"**/{PAGE_PATH}**", timeout=FIRST_RUN)
    _delay("page (lecturer's click → student's URL)", start)
    wait_for_idle(lecturer, timeout=FIRST_RUN)
    wait_for_idle(student, timeout=FIRST_RUN)
    _badge_is(student, f"Following room {code}")
    assert_no_exception(student)

    assert TAB not in _open_tab(student)
    start = time.monotonic()
    lecturer.get_by_role("tab", name=TAB).click()
    student.wait_for_function(
        "(t) => [...document.querySelectorAll('[data-testid=stMain] [role=tab]')].some("
        "e => e.getAttribute('aria-selected') === 'true' && e.innerText.includes(t))",
        arg=TAB, timeout=FOLLOWS)
    _delay("tab (lecturer's click → student's open tab)", start)
    assert TAB in _open_tab(lecturer)
    wait_for_idle(student)
    _badge_is(student, f"Following room {code}")

    start = time.monotonic()
    value = _move_beta(lecturer, 3)
    _wait_slider(student, value)
    _delay("slider (lecturer's first key press → student's slider)", start)
    student.wait_for_url(_beta_in_url(value), timeout=FOLLOWS)
    wait_for_idle(student)
    assert slider_state(student, BETA)[0] == pytest.approx(value)
    assert TAB in _open_tab(student)
    _badge_is(student, f"Following room {code}")
    assert_no_exception(student)
    assert_no_exception(lecturer)


def test_a_student_who_moves_leaves_the_room_and_rejoins(url, lecturer, student):
    code = _present(lecturer, url)
    _on_page(lecturer, student, url, code)

    own = _move_beta(student, 2, "ArrowLeft")
    _badge_is(student, f"You left room {code}")
    rejoin = student.get_by_role("button", name="Rejoin")
    rejoin.wait_for()
    assert not student.get_by_text(f"Following room {code}").count()
    student.wait_for_function(  # the link no longer says "follow"
        "(k) => !new URLSearchParams(location.search).has(k)", arg=follow.URL_KEY)

    lecturers = _move_beta(lecturer, 4)
    assert lecturers != own
    student.wait_for_timeout(QUIET)  # nothing comes to a student who left
    assert slider_state(student, BETA)[0] == pytest.approx(own)
    _badge_is(student, f"You left room {code}", timeout=1000)

    start = time.monotonic()
    rejoin.click()
    _wait_slider(student, lecturers)
    _delay("rejoin (click → the lecturer's value)", start)
    _badge_is(student, f"Following room {code}")
    student.wait_for_url(re.compile(rf"[?&]{follow.URL_KEY}={code}(&|$)"), timeout=FOLLOWS)
    wait_for_idle(student)
    assert not student.get_by_role("button", name="Rejoin").count()
    assert slider_state(student, BETA)[0] == pytest.approx(lecturers)
    assert_no_exception(student)


def test_a_reloaded_lecturer_keeps_the_room_and_the_student_still_follows(
        url, lecturer, student):
    code = _present(lecturer, url)
    _on_page(lecturer, student, url, code)

    lecturer.reload()
    wait_for_idle(lecturer, timeout=FIRST_RUN)
    assert _room_shown(lecturer) == code  # from the cookie: no key asked
    assert not _panel(lecturer).get_by_label("Presenter key", exact=True).count()
    assert_no_exception(lecturer)

    start = time.monotonic()
    value = _move_beta(lecturer, 2)
    _wait_slider(student, value)
    _delay("slider after the lecturer's reload", start)
    _badge_is(student, f"Following room {code}")
    assert_no_exception(student)


def test_home_refuses_an_unknown_and_a_malformed_room_code(url, lecturer, student):
    code = _present(lecturer, url)
    unknown = next(c for c in ("ACDE", "ACDF") if c != code)
    goto_and_wait(student, url)  # a new session: following nothing
    box = student.get_by_label("Room code", exact=True)
    for typed, message in ((unknown, f"There is no room {unknown}"),
                           ("hello!", "“hello!” is not a room code")):
        box.fill(typed)
        box.press("Enter")
        wait_for_idle(student)
        student.get_by_role("button", name="Follow", exact=True).click()
        _wait_main_text(student, message)
        wait_for_idle(student)
        assert "Following room" not in _main_text(student)
        assert f"{follow.URL_KEY}=" not in student.url
    assert_no_exception(student)


def test_without_a_key_presenter_mode_is_off_and_says_how_to_turn_it_on(
        page, streamlit_server):
    goto_and_wait(page, streamlit_server)
    text = _panel(page).inner_text()
    assert "Presenter mode is off" in text
    assert "BNSIM_PRESENTER_KEY" in text
    assert "presenter_key" in text and ".streamlit/secrets.toml" in text
    assert not _panel(page).get_by_label("Presenter key", exact=True).count()
    assert_no_exception(page)
