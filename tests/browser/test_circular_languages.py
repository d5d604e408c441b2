"""A member reading in Vietnamese gets the officer's translation on a 360 px phone, marked
as Vietnamese, and reaches the Japanese original with one tap; officers write translations."""

import pytest

from jichikai.extensions import db

from ..notices.helpers import make_notice
from .conftest import axe_problems, screenshot
from .test_login_and_app import log_in_by_card

pytestmark = pytest.mark.browser

VI_TITLE = "Thay đổi ngày thu gom rác vào dịp cuối năm và năm mới"
VI_BODY = "Không thu gom rác từ ngày 29 tháng 12 đến ngày 3 tháng 1. Xin cảm ơn."


def test_an_officer_translates_and_a_member_reads_it_in_vietnamese(
    browser_or_skip, live_server, page, world
):
    notice = make_notice(
        world, title="年末年始のごみ収集", body="12月29日から1月3日まで収集はありません。"
    )
    log_in_by_card(page, world.officer)
    page.goto(f"/notices/{notice.id}/report")
    page.get_by_role("link", name="翻訳（0 言語）").click()
    page.locator("#language-vi").get_by_role("link", name="翻訳を書く").click()
    page.get_by_label("題名").fill(VI_TITLE)
    page.get_by_label("本文").fill(VI_BODY)
    assert axe_problems(page) == []
    page.get_by_role("button", name="保存する").click()
    assert "Tiếng Việt の翻訳を保存しました。" in page.content()

    world.member.language = "vi"
    db.session.commit()
    phone = browser_or_skip.new_context(
        base_url=live_server, locale="vi-VN", viewport={"width": 360, "height": 740}
    )
    member = phone.new_page()
    log_in_by_card(member, world.member)
    member.goto(f"/notices/{notice.id}")
    title = member.locator("h1")
    assert title.inner_text() == VI_TITLE
    assert title.get_attribute("lang") == "vi"
    assert member.locator(".notice-body").get_attribute("lang") == "vi"
    assert member.evaluate("document.documentElement.scrollWidth") <= 360
    assert axe_problems(member) == []
    screenshot(member, "circular-vi-360")

    member.locator(".translation-note a").click()
    member.wait_for_url(f"**/notices/{notice.id}?original=1")
    assert member.locator("h1").inner_text() == "年末年始のごみ収集"
    assert member.locator("h1").get_attribute("lang") == "ja"
    assert member.evaluate("document.documentElement.scrollWidth") <= 360
    assert axe_problems(member) == []
    phone.close()
