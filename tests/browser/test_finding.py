"""A member finds an old circular: a category, the search box, the archive."""

from datetime import timedelta

import pytest

from jichikai.database import utcnow

from ..notices.helpers import make_notice
from .conftest import axe_problems, screenshot
from .test_login_and_app import log_in_by_card

pytestmark = pytest.mark.browser


def test_member_finds_circulars_by_kind_word_and_in_the_archive(page, world):
    now = utcnow()
    make_notice(world, title="ごみ収集日の変更", body="年末年始は収集がありません。")
    make_notice(world, title="秋祭りのお知らせ", body="神社の境内で行います。", category="event")
    make_notice(
        world,
        title="夏祭りのお知らせ",
        body="田島ひがし公園で行います。",
        category="event",
        now=now - timedelta(days=90),
        expires_at=now - timedelta(days=60),
    )

    log_in_by_card(page, world.member)
    page.goto("/notices/")
    page.get_by_role("navigation", name="種類で絞り込む").get_by_role("link", name="行事").click()
    page.wait_for_url("**/notices/?category=event")
    assert page.get_by_role("link", name="秋祭りのお知らせ").is_visible()
    assert page.get_by_role("link", name="ごみ収集日の変更").count() == 0
    assert axe_problems(page) == []

    page.get_by_label("言葉で回覧を探す").fill("祭り")
    page.get_by_role("button", name="探す").click()
    page.wait_for_url("**/notices/search?**")
    results = page.locator("ul.notice-feed li")
    assert results.count() == 2
    expired = page.locator("li", has_text="夏祭りのお知らせ")
    assert "掲載終了" in expired.inner_text()
    assert page.locator("mark", has_text="祭り").count() >= 1
    assert axe_problems(page) == []
    screenshot(page, "search")

    page.get_by_role("link", name="掲載が終わった回覧").click()
    page.wait_for_url("**/notices/archive")
    assert axe_problems(page) == []
    screenshot(page, "archive")
    page.get_by_role("link", name="夏祭りのお知らせ").click()
    assert "田島ひがし公園で行います。" in page.content()
    assert axe_problems(page) == []
    # A phone-wide page: nothing pushes it sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
