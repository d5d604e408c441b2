"""Members' pages in every listed language: the right lang attribute, and furigana only as ruby.

やさしい日本語 writes furigana as ｜漢字《かんじ》 in its catalogue. In page text that becomes
<ruby>; in a <title> or an attribute value (read by screen readers and by scripts that put it
on screen with textContent) it must be 漢字(かんじ), and the marks themselves never show.
"""

from html.parser import HTMLParser

import pytest

from jichikai.config import DefaultConfig
from jichikai.i18n import html_lang

from ..browser.pages import NOT_PAGES, phone_pages
from ..factories import login

PAGES = phone_pages()
LANGUAGES = DefaultConfig.LANGUAGES


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.html_lang = None
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "html":
            self.html_lang = dict(attrs).get("lang")
        for name, value in attrs:
            if value and ("<ruby" in value or "《" in value or "｜" in value):
                self.problems.append(f"<{tag} {name}={value[:80]!r}>")
        if tag not in ("br", "img", "input", "meta", "link", "hr", "source", "wbr"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if "《" in data or "｜" in data:
            self.problems.append(f"text {data.strip()[:80]!r}")
        if self.stack and self.stack[-1] == "title" and "<ruby" in data:
            self.problems.append(f"title {data.strip()[:80]!r}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_members_pages_speak_each_language_without_raw_furigana(app, world, language):
    checked, problems = 0, []
    for page in PAGES:
        member = world.by_role(page.role)
        if member is not None:
            member.language = language
    from jichikai.extensions import db

    db.session.commit()
    for page in PAGES:
        url = page.case.url(world)
        if NOT_PAGES.match(url):
            continue
        client = app.test_client()
        member = world.by_role(page.role)
        if member is not None:
            login(client, member)
        else:
            client.set_cookie("lang", language)
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        reader = _Reader()
        reader.feed(response.get_data(as_text=True))
        checked += 1
        if reader.html_lang != html_lang(language):
            problems.append(f"{url}: <html lang={reader.html_lang!r}>")
        problems += [f"{url}: {problem}" for problem in reader.problems]
    assert checked > 10
    assert not problems, "\n".join(problems)


def test_easy_japanese_pages_show_furigana_as_ruby(app):
    client = app.test_client()
    client.set_cookie("lang", "ja@easy")
    page = client.get("/login").get_data(as_text=True)
    assert "<ruby>自治会<rp>(</rp><rt>じちかい</rt><rp>)</rp></ruby>" in page
    assert "<title>" in page and "自治会(じちかい)" in page.split("</title>")[0]
