"""Check-in: statuses, household reports, headcount, resends stored once, two taps without JS."""

import threading

import pytest
from sqlalchemy import func, select

from jichikai.disaster.models import CheckIn
from jichikai.disaster.services import (
    DisasterError,
    EventEnded,
    NotAllowed,
    end_event,
    latest_checkins,
    submit_checkin,
)
from jichikai.disaster.shelters import add_own_place, association_shelters, set_chosen_shelters
from jichikai.extensions import db

from .helpers import client_id, official_shelters, start


def _count() -> int:
    return db.session.scalar(select(func.count(CheckIn.id)))


def _race(app, work, threads: int = 4) -> list[Exception]:
    """Run work(barrier) in threads, each in its own session and committing; the errors raised."""
    errors = []
    barrier = threading.Barrier(threads)

    def run():
        with app.app_context():
            try:
                work(barrier)
                db.session.commit()
            except Exception as error:  # pragma: no cover - reported by the caller
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    return errors


def test_report_for_self_and_household_with_headcount(app, world):
    event = start(world)
    result = submit_checkin(
        world.member,
        event_id=event.id,
        status="safe_home",
        client_id=client_id(),
        member_ids=[world.member.id, world.housemate.id],
        headcount=4,
    )
    assert result.stored == 2
    latest = latest_checkins(event.id)
    assert latest[world.housemate.id].proxy
    assert latest[world.housemate.id].reporter_id == world.member.id
    assert not latest[world.member.id].proxy
    assert sorted(c.extra_people for c in latest.values()) == [0, 2]


def test_the_same_report_sent_twice_is_stored_once(app, world):
    event = start(world)
    cid = client_id()
    first = submit_checkin(world.member, event_id=event.id, status="safe_home", client_id=cid)
    again = submit_checkin(world.member, event_id=event.id, status="safe_home", client_id=cid)
    assert (first.stored, again.stored) == (1, 0)
    assert again.duplicate
    assert _count() == 1


def test_the_latest_report_decides(app, world):
    shelters = official_shelters()
    event = start(world)
    submit_checkin(world.member, event_id=event.id, status="safe_home", client_id=client_id())
    submit_checkin(
        world.member,
        event_id=event.id,
        status="at_shelter",
        shelter_id=shelters[0].id,
        client_id=client_id(),
    )
    latest = latest_checkins(event.id)[world.member.id]
    assert latest.status == "at_shelter" and latest.shelter_id == shelters[0].id
    assert _count() == 2  # append-only


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": "asleep"}, "状態"),
        ({"status": "at_shelter"}, "避難所"),
        ({"status": "at_shelter", "shelter_id": 999999}, "避難所"),
        ({"status": "elsewhere", "place": " "}, "どこ"),
        ({"status": "need_help", "help_kind": "pizza"}, "助け"),
        ({"status": "safe_home", "headcount": 0}, "人数"),
        ({"status": "safe_home", "member_ids": [999999]}, "指定"),
        ({"status": "safe_home", "client_id": "x"}, "画面"),
    ],
)
def test_invalid_reports_are_refused_and_nothing_is_stored(app, world, fields, message):
    event = start(world)
    fields = {"client_id": client_id(), **fields}
    with pytest.raises(DisasterError) as caught:
        submit_checkin(world.member, event_id=event.id, **fields)
    assert message in str(caught.value)
    assert _count() == 0


def test_members_report_only_for_their_household(app, world):
    event = start(world)
    with pytest.raises(NotAllowed):
        submit_checkin(
            world.member,
            event_id=event.id,
            status="safe_home",
            client_id=client_id(),
            member_ids=[world.member.id, world.leader.id],
        )
    assert _count() == 0


def test_another_associations_member_is_refused(app, world):
    event = start(world)
    with pytest.raises(DisasterError):
        submit_checkin(
            world.leader,
            event_id=event.id,
            status="safe_home",
            client_id=client_id(),
            member_ids=[world.outsider.id],
        )


def test_ended_event_takes_no_reports(app, world):
    event = start(world)
    end_event(event, world.officer)
    with pytest.raises(EventEnded):
        submit_checkin(world.member, event_id=event.id, status="safe_home", client_id=client_id())


def test_own_place_can_be_chosen(app, world):
    official_shelters()
    set_chosen_shelters(world.association, [])
    place = add_own_place(world.association, name="集会所", lat=35.853, lon=139.61)
    event = start(world)
    submit_checkin(
        world.member,
        event_id=event.id,
        status="at_shelter",
        shelter_id=place.id,
        client_id=client_id(),
    )
    assert latest_checkins(event.id)[world.member.id].shelter_id == place.id


def test_concurrent_duplicates_land_once(app, world):
    """Two requests racing with the same client_id: the unique constraint keeps one."""
    event = start(world)
    cid = client_id()
    event_id, member_id = event.id, world.member.id
    results = []

    def send(barrier):
        from jichikai.disaster.models import DisasterEvent
        from jichikai.org.models import Member

        reporter = db.session.get(Member, member_id)
        ev = db.session.get(DisasterEvent, event_id)
        barrier.wait(timeout=5)
        results.append(
            submit_checkin(reporter, event_id=ev.id, status="safe_home", client_id=cid).stored
        )

    assert not _race(app, send)
    assert _count() == 1
    assert sorted(results) == [0, 0, 0, 1]


def test_officers_saving_the_shelter_choice_at_once_both_succeed(app, world):
    """Each replaces the whole choice; the later one wins instead of hitting the unique key."""
    ids = [shelter.id for shelter in official_shelters()[:2]]
    association_id = world.association.id

    def save(barrier):
        from jichikai.org.models import Association

        association = db.session.get(Association, association_id)
        barrier.wait(timeout=5)
        set_chosen_shelters(association, ids)

    assert not _race(app, save)
    assert [s.id for s in association_shelters(world.association)] == ids


def test_officers_adding_own_places_at_once_keep_every_place_chosen(app, world):
    association_id = world.association.id

    def add(barrier):
        from jichikai.org.models import Association

        association = db.session.get(Association, association_id)
        barrier.wait(timeout=5)
        add_own_place(association, name="集会所", lat=35.86, lon=139.61)

    assert not _race(app, add)
    assert [s.name for s in association_shelters(world.association)] == ["集会所"] * 4


# --- the pages, without JavaScript --------------------------------------------------------------


def test_safe_home_is_one_tap(app, world, client, as_member):
    event = start(world)
    as_member(world.member)
    page = client.get("/disaster/checkin").get_data(as_text=True)
    # A plain form: it works without JavaScript (scripts only add the offline outbox).
    assert 'name="client_id"' in page and 'method="post"' in page
    response = client.post(
        "/disaster/checkin",
        data={
            "event_id": event.id,
            "status": "safe_home",
            "client_id": "abcdef123456",
            "member_ids": [world.member.id],
        },
    )
    assert response.status_code == 302
    assert latest_checkins(event.id)[world.member.id].status == "safe_home"


def test_shelter_is_the_second_tap_sorted_by_distance(app, world, client, as_member):
    shelters = official_shelters()
    event = start(world)
    as_member(world.member)
    form = {
        "event_id": event.id,
        "status": "at_shelter",
        "client_id": "abcdef123456",
        "member_ids": [world.member.id],
    }
    # Near 埼玉大学 (the second shelter of the fixture).
    step2 = client.post("/disaster/checkin", data={**form, "lat": "35.8627", "lon": "139.6076"})
    assert step2.status_code == 200
    text = step2.get_data(as_text=True)
    assert text.index("埼玉大学") < text.index("栄和小学校")
    assert " km" in text
    done = client.post("/disaster/checkin", data={**form, "shelter_id": shelters[1].id})
    assert done.status_code == 302
    assert latest_checkins(event.id)[world.member.id].shelter_id == shelters[1].id


def test_need_help_second_tap_with_note(app, world, client, as_member):
    event = start(world)
    as_member(world.member)
    form = {
        "event_id": event.id,
        "status": "need_help",
        "client_id": "abcdef123456",
        "note": "足をけがしました",
    }
    assert "けが" in client.post("/disaster/checkin", data=form).get_data(as_text=True)
    client.post("/disaster/checkin", data={**form, "help_kind": "injury"})
    latest = latest_checkins(event.id)[world.member.id]
    assert (latest.help_kind, latest.note) == ("injury", "足をけがしました")


def test_page_shows_an_error_for_a_bad_headcount(app, world, client, as_member):
    event = start(world)
    as_member(world.member)
    response = client.post(
        "/disaster/checkin",
        data={
            "event_id": event.id,
            "status": "safe_home",
            "client_id": "abcdef123456",
            "headcount": "たくさん",
        },
    )
    assert response.status_code == 400
    assert "数字" in response.get_data(as_text=True)
    assert _count() == 0


def test_checkin_page_is_small(app, world, client, as_member):
    start(world)
    as_member(world.member)
    body = client.get("/").get_data()
    assert len(body) < 8000
