"""Starting and ending disaster mode: one active event, push to everyone, banner, summary."""

import pytest
from sqlalchemy import select

from jichikai.audit.models import AuditEvent
from jichikai.disaster.models import DisasterEvent
from jichikai.disaster.services import (
    DisasterError,
    EventAlreadyActive,
    active_event,
    end_event,
    start_event,
    submit_checkin,
)
from jichikai.extensions import db
from jichikai.push.models import PushDelivery, PushSubscription

from .helpers import client_id, start


def _subscribe(member, n: int) -> None:
    db.session.add(
        PushSubscription(
            association_id=member.association_id,
            member_id=member.id,
            endpoint=f"https://push.example/{n}",
            p256dh="k",
            auth="a",
        )
    )


def test_start_notifies_every_member_with_high_urgency(app, world):
    world.member.push_preference = "none"  # disaster messages go through anyway
    _subscribe(world.member, 1)
    _subscribe(world.leader, 2)
    _subscribe(world.outsider, 3)
    db.session.commit()
    event = start(world)
    deliveries = db.session.scalars(select(PushDelivery)).all()
    assert len(deliveries) == 2
    assert {d.urgency for d in deliveries} == {"high"}
    assert {d.ttl for d in deliveries} == {24 * 3600}
    assert all(d.association_id == world.association.id for d in deliveries)
    assert event.is_active


def test_only_one_active_event_per_association(app, world):
    start(world)
    with pytest.raises(EventAlreadyActive):
        start_event(world.association, kind="fire", title="火事", message="", drill=False)
    # Another association is not affected.
    start_event(world.outsider_association, kind="fire", title="火事", message="", drill=False)


def test_the_database_refuses_a_second_active_event(app, world):
    start(world)
    db.session.add(
        DisasterEvent(
            association_id=world.association.id,
            active_association_id=world.association.id,
            kind="fire",
            title="x",
        )
    )
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError of either backend
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(
    ("kind", "title"), [("meteor", "隕石"), ("earthquake", " "), ("earthquake", "x" * 201)]
)
def test_invalid_start_is_refused(app, world, kind, title):
    with pytest.raises(DisasterError):
        start_event(world.association, kind=kind, title=title, message="", drill=False)
    assert active_event(world.association.id) is None


def test_source_is_kept_and_shown_to_officers(app, world, client, as_member):
    source = {"type": "VXSE53", "event_id": "20261127", "link": "", "headline": "震度5弱"}
    start_event(
        world.association, kind="earthquake", title="地震", message="", drill=False, source=source
    )
    db.session.commit()
    as_member(world.officer)
    assert "震度5弱" in client.get("/disaster/").get_data(as_text=True)
    as_member(world.member)
    page = client.get("/me/settings").get_data(as_text=True)
    assert "災害モード" in page and "震度5弱" not in page


def test_end_keeps_a_summary_and_frees_the_slot(app, world):
    event = start(world)
    submit_checkin(world.member, event_id=event.id, status="safe_home", client_id=client_id())
    end_event(event, world.officer)
    db.session.commit()
    assert event.summary["reported"] == 1
    assert event.summary["by_status"]["safe_home"] == 1
    assert active_event(world.association.id) is None
    with pytest.raises(DisasterError):
        end_event(event, world.officer)
    start(world)  # a new event may start
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("disaster.start") == 2 and "disaster.end" in actions


def test_banner_on_every_page_and_home_becomes_the_checkin(app, world, client, as_member):
    as_member(world.member)
    assert "安否を知らせる" not in client.get("/").get_data(as_text=True)
    start(world, drill=True)
    home = client.get("/").get_data(as_text=True)
    assert "いまの様子を知らせてください" in home
    assert "【訓練】" in home
    assert "安否を知らせる" in client.get("/me/settings").get_data(as_text=True)
