"""Bulletins and the help-request update in a real browser, checked with axe."""

import pytest
from sqlalchemy import select

from jichikai.disaster.bulletins import post_bulletin
from jichikai.disaster.models import HelpUpdate
from jichikai.disaster.services import submit_checkin
from jichikai.extensions import db

from ..disaster.helpers import client_id, start
from .conftest import axe_problems, screenshot
from .test_login_and_app import log_in_by_card

pytestmark = pytest.mark.browser


def test_a_member_reads_bulletins_and_says_what_is_needed_now(page, world):
    event = start(world)
    post_bulletin(event, template="water", params={"place": "第一公園", "time": "15時"})
    submit_checkin(
        world.member,
        event_id=event.id,
        status="need_help",
        help_kind="supplies",
        client_id=client_id(),
    )
    db.session.commit()

    log_in_by_card(page, world.member)
    page.goto("/")
    top = page.locator("aside.bulletins")
    assert "第一公園 に給水車が来ます（15時）。" in top.inner_text()
    assert axe_problems(page) == []
    screenshot(page, "bulletins-top")

    page.get_by_label("佐藤 花子 さんが、いま必要なことを書いて知らせる").fill("薬が足りません")
    page.locator("form.help-update").get_by_role("button", name="知らせる").click()
    page.wait_for_load_state()
    assert "いま必要なことを知らせました。" in page.locator(".flashes").inner_text()
    assert "薬が足りません" in page.locator("aside.bulletins").inner_text()
    assert axe_problems(page) == []
    db.session.rollback()
    assert db.session.scalars(select(HelpUpdate.text)).all() == ["薬が足りません"]


def test_the_officers_bulletin_page_is_accessible(page, world):
    event = start(world)
    post_bulletin(event, text="集会所に毛布があります", block_ids=[world.block.id])
    db.session.commit()
    log_in_by_card(page, world.officer)
    page.goto(f"/disaster/events/{event.id}/bulletins")
    assert "集会所に毛布があります" in page.locator(".bulletin-record").inner_text()
    assert axe_problems(page) == []
