"""A report is stored in the event it was made for or nowhere, on both paths of the API."""

import pytest
from sqlalchemy import func, select

from jichikai.disaster import api as disaster_api
from jichikai.disaster.models import CheckIn
from jichikai.disaster.services import (
    EventNotFound,
    ReportConflict,
    ReportEnded,
    end_event,
    latest_checkins,
    start_event,
    submit_checkin,
)
from jichikai.extensions import db
from jichikai.org.models import Member

from .helpers import client_id, official_shelters, start

API = "/api/v1/disaster/checkins"


@pytest.fixture(params=["quick", "general"])
def path(request, monkeypatch):
    """The one-statement path (the default) or the general one, which it gives way to."""
    if request.param == "general":
        monkeypatch.setattr(disaster_api, "quick_checkin", lambda *args: None)
    return request.param


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(CheckIn.id)))


def _drill_then_event(world):
    drill = start(world, drill=True)
    drill_id = drill.id
    end_event(drill, world.officer)
    db.session.commit()
    return drill_id, start(world)


def test_a_report_stored_in_one_event_is_not_stored_again_in_the_next(
    app, world, client, as_member, path
):
    drill = start(world, drill=True)
    as_member(world.member)
    body = {"event_id": drill.id, "status": "need_help", "help_kind": "injury"}
    body["client_id"] = client_id()
    assert client.post(API, json=body).status_code == 201
    end_event(drill, world.officer)
    db.session.commit()
    event = start(world)

    resent = client.post(API, json=body)
    assert resent.status_code == 409
    answer = resent.get_json()
    assert answer["reason"] == "event_ended"
    assert answer["event_id"] == drill.id
    assert answer["active_event_id"] == event.id
    assert "もう一度知らせてください" in answer["message"]
    assert latest_checkins(event.id) == {}
    assert _count() == 1


def test_a_report_queued_during_a_drill_is_not_counted_in_the_next_event(
    app, world, client, as_member, path
):
    drill_id, event = _drill_then_event(world)
    as_member(world.member)
    queued = {"event_id": drill_id, "status": "safe_home", "client_id": client_id()}
    response = client.post(API, json=queued)
    assert response.status_code == 409
    assert response.get_json()["reason"] == "event_ended"
    assert _count() == 0
    # Reported again for the current event, it counts.
    again = client.post(API, json={**queued, "event_id": event.id, "client_id": client_id()})
    assert again.status_code == 201 and again.get_json()["event_id"] == event.id


def test_after_the_last_event_nothing_is_active(app, world, client, as_member, path):
    event = start(world)
    end_event(event, world.officer)
    db.session.commit()
    as_member(world.member)
    response = client.post(
        API, json={"event_id": event.id, "status": "safe_home", "client_id": client_id()}
    )
    assert response.status_code == 409
    answer = response.get_json()
    assert answer["reason"] == "event_ended"
    assert (answer["event_id"], answer["active_event_id"]) == (event.id, None)
    assert "数えていません" in answer["message"]


def test_another_associations_event_is_404(app, world, client, as_member, path):
    other = start_event(
        world.outsider_association, kind="flood", title="大雨", message="", drill=False
    )
    db.session.commit()
    start(world)
    as_member(world.member)
    response = client.post(
        API, json={"event_id": other.id, "status": "safe_home", "client_id": client_id()}
    )
    assert response.status_code == 404
    assert _count() == 0


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"status": "safe_home"}, {"status": "need_help", "help_kind": "injury"}),
        ({"status": "safe_home"}, {"status": "safe_home", "headcount": 3}),
        ({"status": "elsewhere", "place": "親せきの家"}, {"status": "elsewhere", "place": "会社"}),
        (
            {"status": "need_help", "help_kind": "other"},
            {"status": "need_help", "help_kind": "other", "note": "水"},
        ),
        ({"status": "at_shelter", "shelter_id": 0}, {"status": "at_shelter", "shelter_id": 1}),
    ],
)
def test_a_resend_with_other_content_is_409_with_the_stored_report(
    app, world, client, as_member, path, first, second
):
    shelters = official_shelters()
    event = start(world)
    first, second = (
        {
            **fields,
            **({"shelter_id": shelters[fields["shelter_id"]].id} if "shelter_id" in fields else {}),
        }
        for fields in (first, second)
    )
    as_member(world.member)
    cid = client_id()
    stored = client.post(API, json={"event_id": event.id, "client_id": cid, **first})
    assert stored.status_code == 201

    changed = client.post(API, json={"event_id": event.id, "client_id": cid, **second})
    assert changed.status_code == 409
    answer = changed.get_json()
    assert answer["reason"] == "different_report"
    assert answer["event_id"] == event.id
    assert answer["member_ids"] == [world.member.id]
    kept = latest_checkins(event.id)[world.member.id]
    assert answer["stored"]["status"] == first["status"] == kept.status
    assert answer["stored"]["shelter_id"] == first.get("shelter_id") == kept.shelter_id
    assert answer["stored"]["place"] == first.get("place", "") == kept.place
    assert answer["stored"]["reported_at"]
    assert _count() == 1

    # The identical report sent again is still "already stored".
    same = client.post(API, json={"event_id": event.id, "client_id": cid, **first})
    assert same.status_code == 200 and same.get_json()["stored"] is False


def test_both_paths_answer_a_changed_resend_alike(app, world, client, as_member, monkeypatch):
    event = start(world)
    as_member(world.member)
    body = {"event_id": event.id, "status": "safe_home", "client_id": client_id()}
    assert client.post(API, json=body).status_code == 201
    changed = {**body, "status": "need_help", "help_kind": "supplies"}
    quick = client.post(API, json=changed)
    monkeypatch.setattr(disaster_api, "quick_checkin", lambda *args: None)
    general = client.post(API, json=changed)
    assert quick.status_code == general.status_code == 409
    assert quick.get_json() == general.get_json()


def test_a_household_report_resent_for_other_members_is_a_conflict(app, world):
    event = start(world)
    cid = client_id()
    submit_checkin(world.member, event_id=event.id, status="safe_home", client_id=cid)
    db.session.commit()
    with pytest.raises(ReportConflict) as caught:
        submit_checkin(
            world.member,
            event_id=event.id,
            status="safe_home",
            client_id=cid,
            member_ids=[world.member.id, world.housemate.id],
        )
    assert caught.value.member_ids == [world.member.id]
    db.session.rollback()
    assert _count() == 1


def test_the_service_refuses_an_ended_or_foreign_event(app, world):
    drill_id, event = _drill_then_event(world)
    with pytest.raises(ReportEnded) as caught:
        submit_checkin(world.member, event_id=drill_id, status="safe_home", client_id=client_id())
    assert (caught.value.event_id, caught.value.active_event_id) == (drill_id, event.id)
    with pytest.raises(EventNotFound):
        submit_checkin(world.outsider, event_id=event.id, status="safe_home", client_id=client_id())
    assert _count() == 0


# --- the page's form ---------------------------------------------------------------------------


def test_the_form_names_its_event(app, world, client, as_member):
    event = start(world)
    as_member(world.member)
    page = client.get("/disaster/checkin").get_data(as_text=True)
    assert f'<input type="hidden" name="event_id" value="{event.id}">' in page


def test_a_form_from_an_ended_event_is_not_stored_in_the_next(app, world, client, as_member):
    drill_id, event = _drill_then_event(world)
    as_member(world.member)
    response = client.post(
        "/disaster/checkin",
        data={"event_id": drill_id, "status": "safe_home", "client_id": client_id()},
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "いまの災害には数えていません" in page
    assert f'name="event_id" value="{event.id}"' in page  # tap once more, for this event
    assert _count() == 0


def test_a_form_from_an_old_page_without_event_id_asks_again(app, world, client, as_member):
    event = start(world)
    as_member(world.member)
    response = client.post(
        "/disaster/checkin", data={"status": "safe_home", "client_id": client_id()}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "もう一度" in page and f'name="event_id" value="{event.id}"' in page
    assert _count() == 0


def test_a_form_after_the_event_ended_says_it_was_not_counted(app, world, client, as_member):
    event = start(world)
    end_event(event, world.officer)
    db.session.commit()
    as_member(world.member)
    response = client.post(
        "/disaster/checkin",
        data={"event_id": event.id, "status": "safe_home", "client_id": client_id()},
        follow_redirects=True,
    )
    assert "この知らせは数えていません" in response.get_data(as_text=True)
    assert _count() == 0


def test_a_leaders_proxy_answer_names_its_event(app, world, client, as_member, path):
    drill_id, event = _drill_then_event(world)
    paper = db.session.scalar(
        select(Member.id).where(Member.household_id == world.paper_household.id)
    )
    as_member(world.leader)
    body = {"status": "safe_home", "client_id": client_id(), "member_ids": [paper]}
    late = client.post(API, json={**body, "event_id": drill_id})
    assert late.status_code == 409 and late.get_json()["reason"] == "event_ended"
    assert _count() == 0
    now = client.post(API, json={**body, "event_id": event.id})
    assert now.status_code == 201
    assert latest_checkins(event.id)[paper].proxy
