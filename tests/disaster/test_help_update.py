"""A member who needs help says what is needed now, without a new check-in; leaders and
officers see the newest text and its time."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from jichikai.disaster.bulletins import latest_help_updates, update_help
from jichikai.disaster.models import CheckIn, HelpUpdate
from jichikai.disaster.services import (
    DisasterError,
    EventEnded,
    delete_expired_details,
    end_event,
    submit_checkin,
)
from jichikai.extensions import db

from .helpers import client_id, start


def _need_help(event, member, reporter=None):
    submit_checkin(
        reporter or member,
        event_id=event.id,
        status="need_help",
        help_kind="supplies",
        member_ids=[member.id],
        client_id=client_id(),
    )
    db.session.commit()


def _updates() -> int:
    return db.session.scalar(select(func.count(HelpUpdate.id)))


def test_the_form_shows_only_while_the_latest_report_is_need_help(app, world, client, as_member):
    event = start(world)
    as_member(world.member)
    assert 'name="member_id"' not in client.get("/disaster/checkin").get_data(as_text=True)

    _need_help(event, world.member)
    for url in ("/", "/disaster/checkin"):
        page = client.get(url).get_data(as_text=True)
        assert 'action="/disaster/help"' in page
        assert f'name="member_id" value="{world.member.id}"' in page

    submit_checkin(world.member, event_id=event.id, status="safe_home", client_id=client_id())
    db.session.commit()
    assert 'action="/disaster/help"' not in client.get("/").get_data(as_text=True)


def test_an_update_adds_no_check_in_and_leaders_and_officers_see_it(app, world, client, as_member):
    event = start(world)
    _need_help(event, world.member)
    checkins = db.session.scalar(select(func.count(CheckIn.id)))

    as_member(world.member)
    answer = client.post(
        "/disaster/help",
        data={"event_id": event.id, "member_id": world.member.id, "text": "薬が足りません"},
    )
    assert answer.status_code == 303
    answer = client.post(
        "/disaster/help",
        data={"event_id": event.id, "member_id": world.member.id, "text": "水も欲しいです"},
    )
    assert db.session.scalar(select(func.count(CheckIn.id))) == checkins
    assert _updates() == 2
    page = client.get("/disaster/checkin").get_data(as_text=True)
    assert "水も欲しいです" in page

    as_member(world.leader)
    rollcall = client.get("/disaster/rollcall").get_data(as_text=True)
    assert "「水も欲しいです」" in rollcall
    assert "薬が足りません" not in rollcall  # only the newest

    as_member(world.officer)
    dashboard = client.get(f"/disaster/events/{event.id}").get_data(as_text=True)
    assert "「水も欲しいです」" in dashboard


def test_a_housemate_may_update_for_the_household(app, world):
    event = start(world)
    _need_help(event, world.member)
    update = update_help(event, world.housemate, world.member, "車いすが必要です")
    assert update.reporter_id == world.housemate.id
    assert update.member_id == world.member.id


@pytest.mark.parametrize("text", ["", "   ", "あ" * 501])
def test_empty_or_long_text_is_refused(app, world, text):
    event = start(world)
    _need_help(event, world.member)
    with pytest.raises(DisasterError):
        update_help(event, world.member, world.member, text)


def test_no_update_without_a_need_help_report(app, world):
    event = start(world)
    with pytest.raises(DisasterError):
        update_help(event, world.member, world.member, "薬")


def test_a_leader_of_another_block_may_not_update(app, world):
    event = start(world)
    _need_help(event, world.member)
    with pytest.raises(DisasterError):
        update_help(event, world.other_leader, world.member, "薬")


def test_no_update_after_the_event_ended(app, world):
    event = start(world)
    _need_help(event, world.member)
    end_event(event, world.officer)
    with pytest.raises(EventEnded):
        update_help(event, world.member, world.member, "薬")


def test_an_update_belongs_to_its_report_and_leaves_with_it(app, world):
    event = start(world)
    _need_help(event, world.member)
    first = update_help(event, world.member, world.member, "薬")
    db.session.commit()
    # A new 助けが必要 report starts afresh: the old text is not shown for it.
    _need_help(event, world.member)
    latest = db.session.scalars(
        select(CheckIn).where(CheckIn.member_id == world.member.id).order_by(CheckIn.id.desc())
    ).first()
    assert latest.id not in latest_help_updates(event.id)
    assert first.checkin_id in latest_help_updates(event.id)

    end_event(event, world.officer)
    db.session.commit()
    delete_expired_details(event.ended_at + timedelta(days=400))
    db.session.commit()
    assert _updates() == 0


def test_a_household_report_never_shows_a_members_update_that_shares_its_id(app, world):
    # Household reports (no member records) live in a table of their own, so their ids can
    # equal a member's check-in id: the note is looked up for member check-ins only.
    from jichikai.disaster.bulletin_views import help_update_note
    from jichikai.disaster.models import HouseholdCheckIn

    event = start(world)
    _need_help(event, world.member)
    update_help(event, world.member, world.member, "水も欲しいです")
    db.session.commit()
    checkin = db.session.scalar(select(CheckIn).where(CheckIn.member_id == world.member.id))
    household_report = HouseholdCheckIn(id=checkin.id, event_id=event.id, status="need_help")

    with app.test_request_context("/disaster/rollcall"):
        assert "水も欲しいです" in help_update_note(checkin)
        assert help_update_note(household_report) == ""
