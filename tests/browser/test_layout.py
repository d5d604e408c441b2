"""Every page on a phone: no sideways scrolling, tap targets of 44 px, axe, screenshots.

Members' pages (and the pages before logging in) are opened in every language of the LANGUAGES
setting at 360 px, in normal and large text, and checked with axe in that language; Japanese
and English are also opened at 390 px. Every other page (leaders', officers') gets axe in
Japanese and English, the languages officers' pages are written in. The pages come from the
permission matrix (tests/browser/pages.py), so new pages are checked by default. One browser
context is reused: each page only swaps the session cookie.

Until a language's catalogues are translated its pages show English (the fallback), which
these checks measure as they are.
"""

import threading

import pytest
from werkzeug.serving import make_server

from jichikai.auth.services import start_device
from jichikai.config import DefaultConfig
from jichikai.disaster.bulletins import post_bulletin
from jichikai.extensions import db
from jichikai.i18n import html_lang
from jichikai.notices.services import mark_read

from ..disaster.helpers import start
from ..notices.helpers import make_notice
from .conftest import axe_problems, screenshot
from .pages import LAYOUT_PROBLEMS, Page, all_pages, html_url, phone_pages, session_cookie

pytestmark = pytest.mark.browser

NARROW, WIDE = 360, 390
MEMBER_LANGUAGES = DefaultConfig.LANGUAGES
OFFICER_LANGUAGES = ("ja", "en")
TEXT_SIZES = ("normal", "large")
PHONE_PAGES = phone_pages()
OTHER_PAGES = [page for page in all_pages() if page not in PHONE_PAGES]


@pytest.fixture(scope="module")
def shared_server(app, browser_or_skip):
    """One live server for the module's many pages (the database is reset between tests)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def shared_page(browser_or_skip, shared_server):
    context = browser_or_skip.new_context(
        base_url=shared_server,
        locale="ja-JP",
        timezone_id="Asia/Tokyo",
        viewport={"width": 390, "height": 844},
        service_workers="block",
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def _open_as(page, base_url: str, world, role: str, language: str = "ja") -> None:
    """Sign the browser in as `role` (or out, for anonymous) in `language`."""
    page.context.clear_cookies()
    member = world.by_role(role)
    if member is None:
        page.context.add_cookies([{"name": "lang", "value": language, "url": base_url}])
        return
    device = start_device(member, "browser")
    db.session.commit()
    page.context.add_cookies([session_cookie(base_url, device.session_id)])


def _set_preferences(world, role: str, language: str, size: str) -> None:
    member = world.by_role(role)
    if member is not None:
        member.language = language
        member.text_size = size
        db.session.commit()


def _in_language(page, language: str) -> list[str]:
    """The page must say it is in `language`, or the checks would measure another one."""
    found = page.evaluate("document.documentElement.lang")
    return [] if found == html_lang(language) else [f"<html lang={found!r}>, not {language}"]


def test_the_matrix_gives_pages_to_check():
    """A broken page list would make the checks below pass without looking at anything."""
    ids = {page.id for page in PHONE_PAGES}
    assert {"member:home", "member:feed", "member:settings", "anonymous:login-page"} <= ids
    assert any(page.role == "officer" for page in OTHER_PAGES)


@pytest.mark.parametrize("language", MEMBER_LANGUAGES)
@pytest.mark.parametrize("target", PHONE_PAGES, ids=lambda p: p.id)
def test_phone_page_fits_and_has_big_targets(
    shared_page, shared_server, world, target: Page, language: str
):
    url = html_url(target, world)
    if url is None:
        pytest.skip("not an HTML page")
    page, problems = shared_page, []
    _open_as(page, shared_server, world, target.role, language)
    widths = (NARROW, WIDE) if language in OFFICER_LANGUAGES else (NARROW,)
    for size in reversed(TEXT_SIZES):  # ends in normal text, which axe then checks
        _set_preferences(world, target.role, language, size)
        for width in widths:
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(url)
            found = _in_language(page, language) + page.evaluate(LAYOUT_PROBLEMS)
            problems += [f"{language} {size} {width}px: {p}" for p in found]
            screenshot(page, f"pages/{target.name}-{language}-{size}-{width}")
    problems += [f"{language} axe: {p}" for p in axe_problems(page)]
    _set_preferences(world, target.role, "ja", "normal")
    assert problems == []


@pytest.mark.parametrize("language", OFFICER_LANGUAGES)
@pytest.mark.parametrize("target", OTHER_PAGES, ids=lambda p: p.id)
def test_other_page_is_accessible(shared_page, shared_server, world, target: Page, language):
    url = html_url(target, world)
    if url is None:
        pytest.skip("not an HTML page")
    _set_preferences(world, target.role, language, "normal")
    _open_as(shared_page, shared_server, world, target.role)
    shared_page.set_viewport_size({"width": WIDE, "height": 844})
    shared_page.goto(url)
    problems = _in_language(shared_page, language) + axe_problems(shared_page)
    _set_preferences(world, target.role, "ja", "normal")
    assert problems == []


# Where the furigana of a ruby sit: above their base text, inside the page's width.
RUBY_BOXES = """
() => [...document.querySelectorAll("ruby")].map((ruby) => {
  const rt = ruby.querySelector("rt").getBoundingClientRect();
  const rp = ruby.querySelector("rp");
  return {
    rtAbove: rt.height > 0 && rt.bottom <= ruby.getBoundingClientRect().bottom - rt.height / 2,
    rpHidden: !rp || getComputedStyle(rp).display === "none",
    lang: ruby.closest("[lang]").getAttribute("lang"),
  };
})
"""


@pytest.mark.parametrize("size", TEXT_SIZES)
def test_easy_japanese_pages_show_furigana_as_ruby(shared_page, shared_server, world, size):
    event = start(world)
    post_bulletin(
        event, text="｜給水車《きゅうすいしゃ》が ｜公園《こうえん》に 来ます。", by=world.officer
    )
    db.session.commit()
    _set_preferences(world, "member", "ja@easy", size)
    _open_as(shared_page, shared_server, world, "member")
    shared_page.set_viewport_size({"width": NARROW, "height": 800})
    shared_page.goto("/")
    screenshot(shared_page, f"easy-japanese-ruby-{size}")

    assert shared_page.evaluate("document.documentElement.lang") == "ja"
    rubies = shared_page.evaluate(RUBY_BOXES)
    assert len(rubies) >= 2  # the bulletin's two, and the page's own words
    assert all(r["rtAbove"] and r["rpHidden"] and r["lang"] == "ja" for r in rubies), rubies
    assert shared_page.evaluate(LAYOUT_PROBLEMS) == []
    assert axe_problems(shared_page) == []
    _set_preferences(world, "member", "ja", "normal")


# Per feed row: how many links, the gap between title and date, and how the row looks.
FEED_ROWS = """
() => [...document.querySelectorAll(".notice-feed > li")].map((row) => {
  const title = row.querySelector(".notice-title").getBoundingClientRect();
  const date = row.querySelector(".notice-date").getBoundingClientRect();
  const link = row.querySelector("a");
  const style = getComputedStyle(link);
  return {
    links: row.querySelectorAll("a, button").length,
    linkHeight: link.getBoundingClientRect().height,
    rowHeight: row.getBoundingClientRect().height,
    gap: date.top - title.bottom,
    unread: row.classList.contains("unread"),
    background: style.backgroundColor,
    edge: parseFloat(style.borderLeftWidth) > 0 && style.borderLeftColor !== "rgba(0, 0, 0, 0)",
    titleWeight: parseInt(getComputedStyle(row.querySelector(".notice-title")).fontWeight, 10),
  };
})
"""


def test_feed_rows_are_one_target_and_unread_ones_stand_out(shared_page, shared_server, world):
    read = make_notice(world, title="夏祭りのお知らせ")
    make_notice(world, title="ごみ収集日の変更")
    mark_read(read, world.member, via="app")
    db.session.commit()
    _open_as(shared_page, shared_server, world, "member")
    shared_page.set_viewport_size({"width": 360, "height": 800})
    shared_page.goto("/notices/")
    rows = shared_page.evaluate(FEED_ROWS)
    screenshot(shared_page, "feed-unread-and-read-360")

    assert [row["unread"] for row in rows] == [True, False]
    for row in rows:
        assert row["links"] == 1
        assert row["linkHeight"] >= row["rowHeight"] - 1  # the whole row is the link
        assert 0 <= row["gap"] <= 8  # the date sits right under the title
    unread, seen = rows
    assert unread["background"] != seen["background"]
    assert unread["edge"] and not seen["edge"]
    assert unread["titleWeight"] >= 700 > seen["titleWeight"]
