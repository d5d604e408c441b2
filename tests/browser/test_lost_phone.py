"""A lost phone revoked by an officer forgets the circulars it kept for reading offline."""

import pytest
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import select

from jichikai.auth.models import Device
from jichikai.auth.services import revoke_device
from jichikai.extensions import db

from ..notices.helpers import make_notice
from .conftest import screenshot, wait_for, wait_for_service_worker
from .test_login_and_app import log_in_by_card

pytestmark = pytest.mark.browser

BODY = "集会所の鍵は班長の田中さんが預かっています。"
KEPT_NOTICES = (
    "caches.keys().then(keys => Promise.all(keys.map(k => caches.open(k)"
    ".then(c => c.keys()))).then(lists => lists.flat()"
    ".filter(r => new URL(r.url).pathname.startsWith('/notices/')).length))"
)
OUTBOX = "JichikaiQueue.all().then(items => items.length)"


def _goto_offline(page, url: str) -> str:
    """The page's text, or "" when the browser shows its own "no network" page."""
    try:
        page.goto(url)
    except PlaywrightError:
        return ""
    return page.content()


def _page_navigation(page) -> None:
    page.goto("/")
    assert "この端末はログアウトされました。" in page.content()
    screenshot(page, "lost-phone-logged-out")


def _api_call_through_the_service_worker(page) -> None:
    assert page.evaluate("fetch('/api/v1/notices').then(r => r.status)") == 401


@pytest.mark.parametrize("come_back", [_page_navigation, _api_call_through_the_service_worker])
def test_a_revoked_phone_shows_no_kept_circular_offline(context, page, world, come_back):
    notice = make_notice(world, title="集会所の鍵", body=BODY)
    log_in_by_card(page, world.member)
    wait_for_service_worker(page)
    page.goto(f"/notices/{notice.id}")
    assert BODY in page.content()
    page.evaluate(
        "JichikaiQueue.add({client_id: 'lost-phone-1', url: '/api/v1/disaster/checkins',"
        " body: {status: 'safe_home', client_id: 'lost-phone-1'}, queued_at: ''})"
    )
    # Before the revocation the phone reads the circular offline, and its outbox holds a report.
    context.set_offline(True)
    assert BODY in _goto_offline(page, f"/notices/{notice.id}")
    assert page.evaluate(OUTBOX) == 1
    context.set_offline(False)

    device = db.session.scalars(select(Device).where(Device.member_id == world.member.id)).one()
    revoke_device(device, by=world.officer)
    db.session.commit()

    come_back(page)  # online once: the server answers 401 and the browser forgets
    wait_for(page, f"{KEPT_NOTICES}.then(n => n === 0)")
    assert page.evaluate(OUTBOX) == 0

    context.set_offline(True)
    assert BODY not in _goto_offline(page, f"/notices/{notice.id}")
    assert BODY not in _goto_offline(page, "/")
