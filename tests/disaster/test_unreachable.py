"""連絡がつかない: after the waiting time leaders mark whom nobody could reach; officers get
the list as a page, a printout and a CSV for the fire brigade or the city."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from jichikai.audit.models import AuditEvent
from jichikai.disaster.calls import call_sheet, record_call, unreachable_list
from jichikai.disaster.services import DisasterError, rollcall, submit_checkin
from jichikai.extensions import db

from ..factories import make_household, make_member
from .helpers import client_id, start


def _after_the_waiting_time(event):
    event.started_at -= timedelta(hours=3)
    db.session.commit()


def test_not_before_the_waiting_time(app, world, client, as_member):
    event = start(world)
    with pytest.raises(DisasterError):
        record_call(event, world.member, "unreachable", "", world.leader)
    as_member(world.leader)
    html = client.get("/disaster/rollcall").get_data(as_text=True)
    assert 'value="unreachable"' not in html


def test_the_leader_marks_it_and_the_member_stays_on_the_call_list(app, world, client, as_member):
    event = start(world)
    _after_the_waiting_time(event)
    as_member(world.leader)
    assert 'value="unreachable"' in client.get("/disaster/rollcall").get_data(as_text=True)
    response = client.post(
        "/disaster/rollcall/calls",
        data={"event_id": event.id, "member_id": world.member.id, "outcome": "unreachable"},
    )
    assert response.status_code == 303
    sheet = call_sheet(
        event,
        world.association,
        rollcall(event, [world.block.id]),
        event.started_at + timedelta(hours=4),
    )
    entry = next(e for e in sheet.entries if e.member and e.member.id == world.member.id)
    assert entry.outcome.outcome == "unreachable"


def test_the_officers_list_has_addresses_and_who_needs_help_first(app, world):
    event = start(world)
    _after_the_waiting_time(event)
    assisted = make_household(
        world.block,
        name="渡辺家",
        needs_assistance=True,
        assistance_note="車いす",
        address_line="1-2-3",
    )
    tome = make_member(assisted, name="渡辺 トメ")
    db.session.commit()
    record_call(event, world.member, "unreachable", "留守でした", world.leader)
    record_call(event, tome, "no_answer", "", world.leader)
    record_call(event, tome, "unreachable", "", world.leader)
    record_call(event, world.housemate, "unreachable", "", world.leader)
    record_call(event, world.housemate, "phone", "", world.leader)  # found later
    entries = unreachable_list(event)
    assert [e.name for e in entries] == ["渡辺 トメ", "佐藤 花子"]
    assert entries[1].recorded_by == "高橋 健太" and entries[1].outcome.note == "留守でした"


def test_a_member_who_answers_later_leaves_the_list(app, world):
    event = start(world)
    _after_the_waiting_time(event)
    record_call(event, world.member, "unreachable", "", world.leader)
    submit_checkin(world.member, event_id=event.id, status="safe_home", client_id=client_id())
    assert unreachable_list(event) == []


def test_a_household_without_member_records_can_be_on_the_list(app, world):
    event = start(world)
    _after_the_waiting_time(event)
    empty = make_household(world.block, name="小林家", paper_only=True)
    db.session.commit()
    record_call(event, None, "unreachable", "", world.leader, household=empty)
    assert [e.name for e in unreachable_list(event)] == ["小林家"]


def test_page_print_and_csv_for_officers(app, world, client, as_member):
    event = start(world)
    _after_the_waiting_time(event)
    world.household.address_line = "桜区1-1"
    world.household.needs_assistance = True
    record_call(event, world.member, "unreachable", "", world.leader)
    db.session.commit()
    as_member(world.officer)
    dashboard = client.get(f"/disaster/events/{event.id}").get_data(as_text=True)
    assert "連絡がつかない方の一覧（1人）" in dashboard
    html = client.get(f"/disaster/events/{event.id}/unreachable").get_data(as_text=True)
    assert "佐藤 花子" in html and "桜区1-1" in html and "必要" in html
    assert "data-print" in html and "佐藤 一郎" not in html
    csv = client.get(f"/disaster/events/{event.id}/unreachable.csv")
    text = csv.get_data(as_text=True)
    assert csv.headers["Cache-Control"] == "no-store"
    assert text.startswith("\ufeff班,世帯,名前,住所,電話,避難に手助けが必要")
    assert "佐藤 花子" in text and "桜区1-1" in text
    assert db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "disaster.unreachable_export")
    ).one()


def test_the_csv_is_in_english_for_an_officer_who_uses_english(app, world, client, as_member):
    event = start(world)
    world.officer.language = "en"
    db.session.commit()
    as_member(world.officer)
    text = client.get(f"/disaster/events/{event.id}/unreachable.csv").get_data(as_text=True)
    header = text.splitlines()[0]
    assert "Name,Address,Phone" in header
    assert not any("\u3040" <= ch <= "\u9fff" for ch in header)


def test_a_call_sent_again_with_its_client_id_is_stored_once(app, world, client, as_member):
    event = start(world)
    as_member(world.leader)
    body = {
        "event_id": event.id,
        "member_id": world.member.id,
        "outcome": "no_answer",
        "client_id": "call-offline-1",
    }
    first = client.post("/api/v1/disaster/calls", json=body)
    again = client.post("/api/v1/disaster/calls", json=body)
    assert first.status_code == 201 and first.get_json()["stored"] is True
    assert again.status_code == 200 and again.get_json()["stored"] is False
    assert again.get_json()["id"] == first.get_json()["id"]
    other = client.post("/api/v1/disaster/calls", json={**body, "outcome": "phone"})
    assert other.status_code == 400
