"""One date filter everywhere: no seconds, no zone name, the weekday in the member's language."""

import re
from datetime import UTC, datetime

import pytest
from flask import render_template_string

from jichikai.i18n import jdatetime

from ..notices.helpers import make_notice

MONDAY_EVENING = datetime(2026, 11, 30, 9, 5, 7, tzinfo=UTC)  # 18:05 in Tokyo


def _render(app, value, fmt="datetime", lang="ja"):
    with app.test_request_context(headers={"Cookie": f"lang={lang}"}):
        return jdatetime(value, fmt)


def test_japanese_has_the_weekday_and_no_seconds_or_zone(app):
    assert _render(app, MONDAY_EVENING) == "2026年11月30日(月) 18:05"
    assert _render(app, MONDAY_EVENING, "date") == "2026年11月30日(月)"


def test_english_has_its_own_weekday(app):
    text = _render(app, MONDAY_EVENING, lang="en")
    assert text.startswith("Mon, Nov 30, 2026") and "6:05" in text
    assert ":07" not in text


@pytest.mark.parametrize("old_format", ["short", "long"])
def test_the_old_formats_give_the_same_text(app, old_format):
    with app.test_request_context():
        text = render_template_string("{{ when|jdatetime(f) }}", when=MONDAY_EVENING, f=old_format)
    assert text == "2026年11月30日(月) 18:05"


def test_nothing_for_no_date(app):
    assert _render(app, None) == ""


def test_lists_and_prints_show_no_seconds_or_zone(client, world, as_member):
    notice = make_notice(world)
    as_member(world.leader)
    pages = [
        "/notices/",
        f"/notices/{notice.id}",
        f"/notices/{notice.id}/blocks/{world.block.id}",
        f"/notices/{notice.id}/blocks/{world.block.id}/print",
    ]
    for url in pages:
        page = client.get(url).get_data(as_text=True)
        assert "JST" not in page, url
        assert not re.search(r"\d{1,2}:\d{2}:\d{2}", page), url
        assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日\([月火水木金土日]\) \d{1,2}:\d{2}", page), url
