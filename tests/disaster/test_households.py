"""Households the roster lists without member records: a leader reports for the household
as a whole, and it counts once in every total (roll call, dashboard, curve, CSV, summary,
call list)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from jichikai.disaster.calls import block_call_counts, call_sheet, record_call
from jichikai.disaster.households import submit_household_checkin
from jichikai.disaster.models import HouseholdCheckIn
from jichikai.disaster.services import (
    DisasterError,
    compute_summary,
    dashboard,
    rollcall,
    submit_checkin,
)
from jichikai.disaster.shelters import add_own_place
from jichikai.extensions import db

from ..factories import make_household
from .helpers import client_id, start


@pytest.fixture
def empty(world):
    """A paper-only household of four, known by its name alone."""
    household = make_household(world.block, name="小林家", paper_only=True, people_count=4)
    db.session.commit()
    return household


def _reports() -> int:
    return db.session.scalar(select(func.count(HouseholdCheckIn.id)))


def test_the_roll_call_lists_it_with_a_form_for_the_household(app, world, client, as_member, empty):
    start(world)
    as_member(world.leader)
    html = client.get("/disaster/rollcall").get_data(as_text=True)
    assert "小林家" in html
    assert f'action="/disaster/rollcall/households/{empty.id}/report"' in html
    assert 'name="headcount"' in html and 'value="4"' in html


def test_a_leader_reports_for_it_and_the_roll_call_shows_it(app, world, client, as_member, empty):
    event = start(world)
    as_member(world.leader)
    response = client.post(
        f"/disaster/rollcall/households/{empty.id}/report",
        data={"event_id": event.id, "status": "safe_home", "client_id": "household-0001"},
    )
    assert response.status_code == 302
    line = next(line for line in rollcall(event, [world.block.id]) if line.household == empty)
    assert line.report.status == "safe_home" and line.report.headcount == 4
    assert line.priority == 3
    html = client.get("/disaster/rollcall").get_data(as_text=True)
    assert "高橋 健太 さんが代わりに" in html


def test_the_same_report_sent_twice_is_stored_once(app, world, empty):
    event = start(world)
    fields = {"event_id": event.id, "status": "need_help", "help_kind": "cannot_move"}
    first = submit_household_checkin(world.leader, empty, client_id="household-0002", **fields)
    again = submit_household_checkin(world.leader, empty, client_id="household-0002", **fields)
    assert first.stored and not again.stored and _reports() == 1
    with pytest.raises(DisasterError):
        submit_household_checkin(
            world.leader,
            empty,
            event_id=event.id,
            status="safe_home",
            client_id="household-0002",
        )


def test_the_api_stores_it_once_and_refuses_other_blocks(app, world, client, as_member, empty):
    event = start(world)
    body = {"event_id": event.id, "status": "safe_home", "client_id": "household-api-1"}
    as_member(world.leader)
    url = f"/api/v1/disaster/households/{empty.id}/checkins"
    assert client.post(url, json=body).status_code == 201
    again = client.post(url, json=body)
    assert again.status_code == 200 and again.get_json()["stored"] is False
    as_member(world.other_leader)
    assert client.post(url, json={**body, "client_id": "household-api-2"}).status_code == 403
    assert _reports() == 1


def test_a_household_with_members_is_reported_member_by_member(app, world, client, as_member):
    event = start(world)
    as_member(world.leader)
    response = client.post(
        f"/api/v1/disaster/households/{world.household.id}/checkins",
        json={"event_id": event.id, "status": "safe_home", "client_id": "household-api-3"},
    )
    assert response.status_code == 400
    assert "一人ずつ" in response.get_json()["message"]
    assert _reports() == 0


def test_a_missing_status_is_refused_with_a_message(app, world, client, as_member, empty):
    event = start(world)
    as_member(world.leader)
    response = client.post(
        f"/disaster/rollcall/households/{empty.id}/report",
        data={"event_id": event.id, "client_id": "household-0003"},
        follow_redirects=True,
    )
    assert "状態を選んでください。" in response.get_data(as_text=True)
    assert _reports() == 0


def test_it_counts_in_the_dashboard_curve_and_summary(app, world, empty):
    event = start(world)
    hall = add_own_place(world.association, name="ひがし公民館", lat=35.86, lon=139.65)
    before = dashboard(event)
    assert before.total == 8  # seven members and the household
    assert any(m is None and h == empty for m, h, _b in before.unreported)
    submit_household_checkin(
        world.leader,
        empty,
        event_id=event.id,
        status="at_shelter",
        shelter_id=hall.id,
        client_id="household-0004",
    )
    board = dashboard(event, event.started_at + timedelta(hours=2))
    assert board.reported == before.reported + 1 == 1
    assert board.by_status["at_shelter"] == 1
    assert next(s for s in board.shelters if s.shelter.id == hall.id).people == 4
    assert next(b for b in board.blocks if b.block == world.block).reported == 1
    assert board.curve[0] == (10, 1 / 8)
    summary = compute_summary(event)
    assert summary["total"] == 8 and summary["reported"] == 1


def test_need_help_lists_the_household(app, world, client, as_member, empty):
    event = start(world)
    submit_household_checkin(
        world.leader,
        empty,
        event_id=event.id,
        status="need_help",
        help_kind="cannot_move",
        client_id="household-0005",
    )
    db.session.commit()
    assert [m.name for m in dashboard(event).need_help] == ["小林家"]
    as_member(world.officer)
    html = client.get(f"/disaster/events/{event.id}").get_data(as_text=True)
    assert "報告 1 / 8 人" in html


def test_the_csv_has_a_line_for_the_household(app, world, client, as_member, empty):
    event = start(world)
    submit_household_checkin(
        world.leader, empty, event_id=event.id, status="safe_home", client_id="household-0006"
    )
    db.session.commit()
    as_member(world.officer)
    text = client.get(f"/disaster/events/{event.id}/export.csv").get_data(as_text=True)
    line = next(row for row in text.splitlines() if row.startswith("1班,小林家"))
    assert "（世帯として）" in line and "無事・自宅" in line and ",4," in line


def test_it_is_on_the_call_list_at_once_until_a_call_finds_it(app, world, empty):
    event = start(world)
    now = event.started_at + timedelta(minutes=1)
    lines = rollcall(event, [world.block.id])
    entry = next(
        e for e in call_sheet(event, world.association, lines, now).entries if not e.member
    )
    assert entry.household == empty and entry.reason == "no_channel"
    assert block_call_counts(event, now, world.association)[world.block.id] >= 1
    record_call(event, None, "visit", "", world.leader, household=empty)
    lines = rollcall(event, [world.block.id])
    sheet = call_sheet(event, world.association, lines, now)
    assert all(e.member is not None for e in sheet.entries)


def test_another_associations_household_is_not_found(app, world, client, as_member):
    event = start(world)
    theirs = make_household(world.outsider_block, name="外の世帯")
    db.session.commit()
    as_member(world.leader)
    response = client.post(
        f"/disaster/rollcall/households/{theirs.id}/report",
        data={"event_id": event.id, "status": "safe_home", "client_id": "household-0007"},
    )
    assert response.status_code == 404
    submit_checkin(world.member, event_id=event.id, status="safe_home", client_id=client_id())
    assert _reports() == 0


def test_its_reports_are_deleted_with_the_events_details(app, world, empty):
    from jichikai.disaster.services import delete_expired_details, end_event

    event = start(world)
    submit_household_checkin(
        world.leader, empty, event_id=event.id, status="safe_home", client_id="household-0008"
    )
    end_event(event, world.officer)
    delete_expired_details(event.ended_at + timedelta(days=400))
    assert _reports() == 0
    assert event.summary["reported"] == 1
