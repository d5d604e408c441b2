"""Offline: a circular never opened online reads on the phone with its layout, and
確認しました pressed offline is sent once the network returns."""

import pytest
from sqlalchemy import func, select

from jichikai.extensions import db
from jichikai.notices.models import ReadReceipt

from ..notices.helpers import make_notice, png_bytes
from .conftest import axe_problems, screenshot, wait_for, wait_for_service_worker
from .test_login_and_app import log_in_by_card

pytestmark = pytest.mark.browser

BODY = "回覧板の写真です。集会所の前に集まってください。"
PHONE_WIDTH = 390


def _kept(path: str) -> str:
    """JavaScript: whether some cache of the page holds `path`."""
    return (
        "caches.keys().then(keys => Promise.all(keys.map(k => caches.open(k).then(c => c.keys()))))"
        f".then(lists => lists.flat().some(r => new URL(r.url).pathname === '{path}'))"
    )


def _receipts() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(ReadReceipt))


def test_an_unopened_circular_reads_offline_at_the_phones_width(context, page, world):
    notice = make_notice(
        world, title="写真つきの回覧", body=BODY, files=[("shashin.png", png_bytes((1600, 1200)))]
    )
    image = notice.attachments[0]
    log_in_by_card(page, world.member)  # the home page, online: the newest circulars are kept
    wait_for_service_worker(page)
    wait_for(page, _kept(f"/notices/{notice.id}"))
    wait_for(page, _kept(f"/notices/{notice.id}/files/{image.id}/web"))
    assert _receipts() == 0  # kept, not opened

    context.set_offline(True)
    page.goto(f"/notices/{notice.id}")
    assert BODY in page.content()
    wait_for(page, "document.querySelector('img.notice-image').complete")
    natural = page.evaluate("document.querySelector('img.notice-image').naturalWidth")
    shown = page.evaluate(
        "document.querySelector('img.notice-image').getBoundingClientRect().width"
    )
    page_width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, "offline-unopened-circular")
    assert natural == 1280  # the small version came from the phone's copy
    assert shown <= PHONE_WIDTH and page_width <= PHONE_WIDTH
    # The circular's own stylesheet was there offline.
    assert page.evaluate(
        "[...document.styleSheets].some(s => (s.href || '').endsWith('/static/css/notices.css')"
        " && s.cssRules.length > 0)"
    )

    # 確認しました offline waits in the outbox and is sent once when the network returns.
    page.get_by_role("button", name="確認しました").click()
    # The page queues it asynchronously: wait for the note rather than look at once.
    page.locator("[data-ack-queued]").wait_for(state="visible")
    wait_for(page, "JichikaiQueue.all().then(items => items.length === 1)")
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_for(page, "JichikaiQueue.all().then(items => items.length === 0)")
    db.session.expire_all()
    receipt = db.session.scalars(select(ReadReceipt)).one()
    assert (receipt.member_id, receipt.acknowledged_at is not None) == (world.member.id, True)


def test_the_pages_of_reads_pass_axe(context, page, world, browser_or_skip, live_server):
    notice = make_notice(world, title="総会のお知らせ", ack_required=True)
    log_in_by_card(page, world.member)
    page.goto(f"/notices/{notice.id}")
    assert axe_problems(page) == []
    page.get_by_role("button", name="確認しました").click()
    assert "「確認しました」を押しました" in page.content()
    assert axe_problems(page) == []

    officer = browser_or_skip.new_context(
        base_url=live_server, locale="ja-JP", viewport={"width": PHONE_WIDTH, "height": 844}
    )
    other = officer.new_page()
    log_in_by_card(other, world.officer)
    for url in (
        f"/notices/{notice.id}/report",
        f"/notices/{notice.id}/blocks/{world.block.id}",
        "/notices/new",
        "/admin/settings",
    ):
        other.goto(url)
        assert axe_problems(other) == [], url
        assert other.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH, url
    screenshot(other, "settings-ack")
    officer.close()
