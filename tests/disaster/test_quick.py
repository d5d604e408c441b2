"""The one-statement check-in stores exactly what the general path stores, or nothing."""

import pytest
from sqlalchemy import select

from jichikai.auth.services import revoke_device, start_device
from jichikai.database import utcnow
from jichikai.disaster import api as disaster_api
from jichikai.disaster.models import CheckIn, DisasterEvent
from jichikai.disaster.quick import quick_checkin
from jichikai.disaster.services import end_event
from jichikai.disaster.shelters import add_own_place, set_chosen_shelters
from jichikai.extensions import db

from .helpers import client_id, official_shelters, start

COMPARED = (
    "association_id",
    "event_id",
    "member_id",
    "household_id",
    "reporter_id",
    "proxy",
    "status",
    "shelter_id",
    "place",
    "help_kind",
    "note",
    "extra_people",
)


def _session_id(member) -> str:
    device = start_device(member, "test")
    db.session.commit()
    return device.session_id


def _rows(member_id: int, cid: str) -> list[tuple]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(CheckIn).where(CheckIn.member_id == member_id, CheckIn.client_id == cid)
    ).all()
    return [tuple(getattr(r, name) for name in COMPARED) for r in rows]


def _own_place(world):
    place = add_own_place(world.association, name="集会所", lat=35.85, lon=139.62)
    db.session.commit()
    return place


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "safe_home"},
        {"status": "safe_home", "headcount": 3},
        {"status": "elsewhere", "place": " 親せきの家 ", "note": "元気です"},
        {"status": "need_help", "help_kind": "cannot_move", "note": "足が痛い"},
        {"status": "need_help", "help_kind": "supplies", "shelter_id": 5, "place": "x"},
        {"status": "at_shelter", "shelter_id": "own"},
        {"status": "safe_home", "member_ids": ["self"]},
    ],
)
def test_same_rows_as_the_general_path(app, world, client, as_member, monkeypatch, fields):
    event = start(world)
    place = _own_place(world)
    fields = {"event_id": event.id, **fields}
    if fields.get("shelter_id") == "own":
        fields["shelter_id"] = place.id
    if fields.get("member_ids") == ["self"]:
        fields["member_ids"] = [world.member.id]
    as_member(world.member)

    quick_id, general_id = client_id(), client_id()
    answered = []

    def spy(*args):
        answered.append(quick_checkin(*args))
        return answered[-1]

    monkeypatch.setattr(disaster_api, "quick_checkin", spy)
    response = client.post("/api/v1/disaster/checkins", json={**fields, "client_id": quick_id})
    assert response.status_code == 201
    quick_body = response.get_json()
    assert answered == [quick_body]  # the statement stored it

    monkeypatch.setattr(disaster_api, "quick_checkin", lambda *args: None)
    response = client.post("/api/v1/disaster/checkins", json={**fields, "client_id": general_id})
    assert response.status_code == 201
    assert response.get_json() == quick_body

    quick_rows = _rows(world.member.id, quick_id)
    assert len(quick_rows) == 1
    assert quick_rows == _rows(world.member.id, general_id)


def test_the_statement_stores_a_members_own_report(app, world):
    event = start(world)
    session_id = _session_id(world.member)
    cid = client_id()
    body = quick_checkin(
        session_id, {"event_id": event.id, "status": "safe_home", "client_id": cid}
    )
    assert body == {
        "event_id": event.id,
        "member_ids": [world.member.id],
        "status": "safe_home",
        "stored": True,
    }
    row = db.session.scalar(select(CheckIn).where(CheckIn.client_id == cid))
    assert row.reporter_id == world.member.id and not row.proxy
    assert row.household_id == world.household.id
    assert abs((utcnow() - row.created_at).total_seconds()) < 60


def test_a_resend_is_answered_already_stored(app, world):
    event = start(world)
    session_id = _session_id(world.member)
    fields = {"event_id": event.id, "status": "safe_home", "client_id": client_id()}
    assert quick_checkin(session_id, fields)["stored"] is True
    assert quick_checkin(session_id, fields) == {
        "event_id": event.id,
        "member_ids": [world.member.id],
        "status": "safe_home",
        "stored": False,
    }
    assert len(_rows(world.member.id, fields["client_id"])) == 1
    # Another member's report with the same client_id is theirs, not a resend.
    housemate = _session_id(world.housemate)
    assert quick_checkin(housemate, fields)["stored"] is True
    # After the event has ended, the general path answers (409).
    end_event(event, world.officer)
    db.session.commit()
    assert quick_checkin(session_id, fields) is None


def _stores(session_id, **fields) -> bool:
    """Whether the statement stored the report (for the association's active event, if any)."""
    if "event_id" not in fields:
        event = db.session.scalar(
            select(DisasterEvent).where(DisasterEvent.ended_at.is_(None)).order_by(DisasterEvent.id)
        )
        fields["event_id"] = event.id if event is not None else 1
    return quick_checkin(session_id, {"client_id": client_id(), **fields}) is not None


def test_nothing_without_an_active_event(app, world):
    session_id = _session_id(world.member)
    assert not _stores(session_id, status="safe_home")
    event = start(world)
    assert _stores(session_id, status="safe_home")
    end_event(event, world.officer)
    db.session.commit()
    assert not _stores(session_id, status="safe_home", event_id=event.id)


def test_nothing_for_a_revoked_device_or_an_inactive_member(app, world):
    start(world)
    assert not _stores(None, status="safe_home")
    assert not _stores("not-a-session", status="safe_home")
    device = start_device(world.member, "test")
    db.session.commit()
    session_id = device.session_id
    assert _stores(session_id, status="safe_home")
    revoke_device(device, world.officer)
    db.session.commit()
    assert not _stores(session_id, status="safe_home")

    housemate = _session_id(world.housemate)
    assert _stores(housemate, status="safe_home")
    world.housemate.active = False
    db.session.commit()
    assert not _stores(housemate, status="safe_home")


def test_only_the_reporter_alone(app, world):
    start(world)
    session_id = _session_id(world.member)
    assert _stores(session_id, status="safe_home", member_ids=[world.member.id])
    assert not _stores(session_id, status="safe_home", member_ids=[world.housemate.id])
    assert not _stores(
        session_id, status="safe_home", member_ids=[world.member.id, world.housemate.id]
    )
    assert not _stores(session_id, status="safe_home", member_ids=[world.outsider.id])


def test_invalid_fields_store_nothing(app, world):
    start(world)
    session_id = _session_id(world.member)
    assert not _stores(session_id, status="unknown")
    assert not _stores(session_id, status="elsewhere", place=" ")
    assert not _stores(session_id, status="need_help", help_kind="")
    assert not _stores(session_id, status="at_shelter")
    assert not _stores(session_id, status="safe_home", headcount=0)
    assert not _stores(session_id, status="safe_home", client_id="short")
    assert not _stores(session_id, status="safe_home", event_id=None)
    assert db.session.scalar(select(CheckIn.id)) is None


def test_shelters_only_when_chosen_explicitly(app, world):
    start(world)
    session_id = _session_id(world.member)
    official = official_shelters()
    # No explicit choice: the default (by distance) is the general path's to decide.
    assert not _stores(session_id, status="at_shelter", shelter_id=official[0].id)
    set_chosen_shelters(world.association, [official[1].id])
    db.session.commit()
    assert _stores(session_id, status="at_shelter", shelter_id=official[1].id)
    assert not _stores(session_id, status="at_shelter", shelter_id=official[0].id)
    # Another association's choice does not count.
    set_chosen_shelters(world.outsider_association, [official[2].id])
    db.session.commit()
    assert not _stores(session_id, status="at_shelter", shelter_id=official[2].id)


def test_other_association_members_report_to_their_own_event(app, world):
    start(world)
    outsider = _session_id(world.outsider)
    assert not _stores(outsider, status="safe_home")  # their association has no event


def test_resends_answer_the_same_on_both_paths(app, world, client, as_member, monkeypatch):
    event = start(world)
    as_member(world.member)
    body = {"event_id": event.id, "status": "safe_home", "client_id": client_id()}
    assert client.post("/api/v1/disaster/checkins", json=body).status_code == 201
    quick = client.post("/api/v1/disaster/checkins", json=body)
    monkeypatch.setattr(disaster_api, "quick_checkin", lambda *args: None)
    general = client.post("/api/v1/disaster/checkins", json=body)
    assert quick.status_code == general.status_code == 200
    assert quick.get_json() == general.get_json()
    assert quick.get_json()["stored"] is False


def test_strong_session_protection_leaves_it_to_flask_login(app, world, monkeypatch):
    start(world)
    session_id = _session_id(world.member)
    monkeypatch.setattr(app.login_manager, "session_protection", "strong")
    assert not _stores(session_id, status="safe_home")


def test_the_statement_stores_only_in_the_named_active_event(app, world):
    drill = start(world, drill=True)
    drill_id = drill.id
    session_id = _session_id(world.member)
    fields = {"event_id": drill_id, "status": "safe_home", "client_id": client_id()}
    assert quick_checkin(session_id, fields)["event_id"] == drill_id
    end_event(drill, world.officer)
    db.session.commit()
    event = start(world)
    # The same report, and a new one, made for the drill: not stored in the new event.
    assert quick_checkin(session_id, fields) is None
    assert not _stores(session_id, status="safe_home", event_id=drill_id)
    assert db.session.scalar(select(CheckIn.id).where(CheckIn.event_id == event.id)) is None


def test_a_resend_with_other_content_is_left_to_the_general_path(app, world):
    event = start(world)
    session_id = _session_id(world.member)
    fields = {"event_id": event.id, "status": "safe_home", "client_id": client_id()}
    assert quick_checkin(session_id, fields)["stored"] is True
    assert quick_checkin(session_id, {**fields, "headcount": 2}) is None
    assert quick_checkin(session_id, {**fields, "note": "元気です"}) is None
    assert quick_checkin(session_id, fields)["stored"] is False
