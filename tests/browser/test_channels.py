"""A member adds an email address, confirms it by its link and chooses it for circulars; the
block leader's list. In Chromium, with the accessibility check."""

import pytest
from sqlalchemy import select

from jichikai.extensions import db
from jichikai.push.models import Outbox

from .conftest import axe_problems, screenshot
from .test_login_and_app import log_in_by_card

pytestmark = pytest.mark.browser


def test_member_adds_confirms_and_chooses_an_email_address(page, context, world):
    log_in_by_card(page, world.member)
    page.goto("/me/notifications")
    page.get_by_role("link", name="メールでも受け取る").click()
    page.get_by_label("メールアドレス").fill("hanako@example")
    page.get_by_role("button", name="確認のメールを送る").click()
    assert "@より後ろが正しくありません" in page.content()
    page.get_by_label("メールアドレス").fill("ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ")
    page.get_by_role("button", name="確認のメールを送る").click()
    page.wait_for_url("**/me/notifications#channels")
    assert "確認を待っています" in page.content()
    assert axe_problems(page) == []
    screenshot(page, "channels-waiting")

    db.session.expire_all()
    row = db.session.scalars(select(Outbox).where(Outbox.kind == "confirm")).one()
    link = row.actions[0][1]
    other = context.new_page()  # the mail app opens the link
    other.goto(link)
    assert axe_problems(other) == []
    other.get_by_role("button", name="確認する").click()
    assert "確認できました" in other.content()
    other.close()

    page.reload()
    page.get_by_label("メール", exact=True).check()
    page.get_by_role("button", name="保存する").first.click()
    assert "回覧を受け取る方法を保存しました" in page.content()
    assert page.get_by_label("メール", exact=True).is_checked()
    screenshot(page, "channels-chosen")


def test_leaders_list_is_accessible_and_shows_no_addresses(page, world):
    from ..reach.helpers import add_contact

    add_contact(world.member, "email", "hanako.secret@example.jp")
    db.session.commit()
    log_in_by_card(page, world.leader)
    page.goto("/notices/blocks")
    page.get_by_role("link", name="1班の連絡方法").click()
    page.get_by_text("回覧を受け取る方法：自動").first.click()
    assert axe_problems(page) == []
    assert "hanako.secret" not in page.content()
    screenshot(page, "channels-leader")
