"""The block leader's roll call without a network: the list is kept on the phone, visit
reports and call outcomes wait in the outbox and are sent once when the network returns;
no status is chosen for the leader."""

import pytest
from sqlalchemy import func, select

from jichikai.disaster.models import CallOutcome, CheckIn, HouseholdCheckIn
from jichikai.extensions import db
from jichikai.org.models import Member

from ..disaster.helpers import start
from ..factories import make_household
from .conftest import axe_problems, screenshot, wait_for, wait_for_service_worker
from .test_disaster import wait_until_outbox_is_empty
from .test_login_and_app import log_in_by_card

pytestmark = pytest.mark.browser


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(model.id)))


def _paper_member(world) -> Member:
    return db.session.scalars(
        select(Member).where(Member.household_id == world.paper_household.id)
    ).one()


def test_offline_roll_call_keeps_the_list_and_sends_the_outbox_once(context, page, world):
    make_household(
        world.block, name="小林家", paper_only=True, people_count=2, phone="048-111-2222"
    )
    world.paper_household.address_line = "桜区1-2-3"
    db.session.commit()
    tome = _paper_member(world)
    start(world)
    log_in_by_card(page, world.leader)
    wait_for_service_worker(page)
    page.goto("/disaster/rollcall")
    page.wait_for_load_state()

    context.set_offline(True)
    page.goto("/disaster/rollcall")  # from the phone, not the server
    paper = page.locator("ul.rollcall > li", has_text="鈴木家")
    assert "桜区1-2-3" in paper.inner_text() and "鈴木 トメ" in paper.inner_text()
    assert "048-111-2222" in page.locator("ul.rollcall > li", has_text="小林家").inner_text()

    # A visit's report for the paper household, and one for the household without members.
    paper.get_by_text("訪ねた結果を入れる").click()
    paper.locator("select[name=status]").select_option("safe_home")
    paper.get_by_role("button", name="報告を入れる").click()
    paper.locator("[data-kept]").wait_for()
    empty = page.locator("ul.rollcall > li", has_text="小林家")
    empty.get_by_text("訪ねた結果を入れる").click()
    empty.locator("select[name=status]").select_option("at_shelter")
    empty.locator("select[name=shelter_id]").select_option(index=0)  # no shelter: refused later
    empty.locator("select[name=status]").select_option("need_help")
    empty.locator("select[name=help_kind]").select_option("cannot_move")
    empty.get_by_role("button", name="報告を入れる").click()
    empty.locator("[data-kept]").wait_for()
    # A call that found nobody.
    call = page.locator(f"#call-m{tome.id}")
    call.get_by_role("button", name="つながらない").click()
    call.locator("[data-kept]").wait_for()

    status = page.locator("[data-queue-status]")
    status.wait_for(state="visible")
    assert "3" in status.inner_text()
    assert page.evaluate("JichikaiQueue.all().then(items => items.length)") == 3
    screenshot(page, "rollcall-offline-pending")
    assert _count(CheckIn) == 0 and _count(HouseholdCheckIn) == 0 and _count(CallOutcome) == 0

    context.set_offline(False)
    wait_until_outbox_is_empty(page)
    page.wait_for_load_state()
    assert _count(CheckIn) == 1 and _count(HouseholdCheckIn) == 1 and _count(CallOutcome) == 1
    checkin = db.session.scalars(select(CheckIn)).one()
    assert checkin.member_id == tome.id and checkin.proxy and checkin.status == "safe_home"
    assert db.session.scalars(select(HouseholdCheckIn)).one().status == "need_help"

    # Sent once: another page load (which flushes the outbox again) stores nothing more.
    page.reload()
    page.wait_for_load_state()
    assert _count(CheckIn) == 1 and _count(HouseholdCheckIn) == 1 and _count(CallOutcome) == 1
    assert "無事" in page.locator("li", has_text="鈴木 トメ").first.inner_text()


def test_the_leaders_form_chooses_no_status_and_sends_nothing_without_one(page, world):
    start(world)
    log_in_by_card(page, world.leader)
    page.goto("/disaster/rollcall")
    paper = page.locator("ul.rollcall > li", has_text="鈴木家")
    paper.get_by_text("訪ねた結果を入れる").click()
    select_status = paper.locator("select[name=status]")
    assert select_status.input_value() == ""
    assert all(
        page.eval_on_selector_all("select[name=status]", "els => els.map(el => el.value === '')")
    )
    requests = []
    page.on(
        "request",
        lambda request: requests.append(request.url) if request.method == "POST" else None,
    )
    paper.get_by_role("button", name="報告を入れる").click()
    assert not page.evaluate(
        "document.querySelector('ul.rollcall select[name=status]').checkValidity()"
    )
    page.wait_for_timeout(300)
    assert requests == [] and _count(CheckIn) == 0
    assert page.evaluate("JichikaiQueue.all().then(items => items.length)") == 0
    assert axe_problems(page) == []


def test_the_check_in_page_chooses_no_status(page, world):
    start(world)
    log_in_by_card(page, world.member)
    assert page.locator("input[name=status]").count() == 0
    assert page.locator(".status-buttons button[name=status]").count() == 4
    wait_for(page, "document.querySelector('form[data-queue-api]') !== null")
    assert _count(CheckIn) == 0


def test_the_unreachable_list_is_accessible(page, world):
    from datetime import timedelta

    from jichikai.disaster.calls import record_call

    event = start(world)
    event.started_at -= timedelta(hours=3)
    record_call(event, world.member, "unreachable", "留守", world.leader)
    db.session.commit()
    log_in_by_card(page, world.officer)
    page.goto(f"/disaster/events/{event.id}/unreachable")
    assert "佐藤 花子" in page.content()
    assert axe_problems(page) == []
    screenshot(page, "unreachable")
    page.goto(f"/disaster/events/{event.id}")
    assert page.locator("svg[data-curve-chart]").count() == 1
    assert axe_problems(page) == []


def test_the_kept_roll_call_is_removed_once_the_event_has_ended(page, world):
    from jichikai.disaster.services import end_event

    event = start(world)
    log_in_by_card(page, world.leader)
    wait_for_service_worker(page)
    page.goto("/disaster/rollcall")
    page.wait_for_load_state()
    wait_for(page, "caches.match('/disaster/rollcall').then(hit => Boolean(hit))")
    end_event(event, world.officer)
    db.session.commit()
    page.goto("/notices")
    page.wait_for_load_state()
    wait_for(page, "caches.match('/disaster/rollcall').then(hit => !hit)")
