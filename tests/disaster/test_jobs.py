"""Scheduled work: reminders to unreported members, deleting details after the retention."""

from datetime import timedelta

from sqlalchemy import func, select

from jichikai.disaster import jobs
from jichikai.disaster.models import CheckIn, DisasterEvent
from jichikai.disaster.services import end_event, submit_checkin
from jichikai.extensions import db
from jichikai.push.models import PushDelivery, PushSubscription
from jichikai.scheduling import all_jobs

from .helpers import client_id, start


def _subscribe(member, n):
    db.session.add(
        PushSubscription(
            association_id=member.association_id,
            member_id=member.id,
            endpoint=f"https://push.example/r{n}",
            p256dh="k",
            auth="a",
        )
    )


def _deliveries() -> int:
    return db.session.scalar(select(func.count(PushDelivery.id)))


def test_jobs_are_declared(app):
    ids = {job.id for job in all_jobs()}
    assert {"disaster.remind_unreported", "disaster.delete_old_checkins"} <= ids


def test_reminders_every_m_minutes_at_most_k_times_to_unreported_only(app, world):
    _subscribe(world.member, 1)
    _subscribe(world.housemate, 2)
    db.session.commit()
    event = start(world)
    submit_checkin(world.member, event_id=event.id, status="safe_home", client_id=client_id())
    db.session.commit()
    base = _deliveries()  # the start message
    t0 = event.started_at

    jobs.remind_unreported(t0 + timedelta(minutes=10))
    assert _deliveries() == base
    jobs.remind_unreported(t0 + timedelta(minutes=31))
    assert _deliveries() == base + 1  # only the housemate has not reported
    jobs.remind_unreported(t0 + timedelta(minutes=35))  # idempotent
    assert _deliveries() == base + 1
    for minutes in (61, 91, 121, 151):
        jobs.remind_unreported(t0 + timedelta(minutes=minutes))
    assert _deliveries() == base + 3  # at most 3
    assert db.session.get(DisasterEvent, event.id).reminders_sent == 3


def test_reminder_settings_per_association(app, world):
    _subscribe(world.member, 1)
    world.association.settings = {"checkin_reminder_minutes": 5, "checkin_reminder_max": 1}
    db.session.commit()
    event = start(world)
    base = _deliveries()
    jobs.remind_unreported(event.started_at + timedelta(minutes=6))
    jobs.remind_unreported(event.started_at + timedelta(minutes=11))
    assert _deliveries() == base + 1


def test_details_deleted_after_retention_summary_kept(app, world):
    event = start(world, drill=True)
    submit_checkin(world.member, event_id=event.id, status="safe_home", client_id=client_id())
    end_event(event, world.officer)
    db.session.commit()
    ended = event.ended_at

    jobs.delete_old_checkins(ended + timedelta(days=29))
    assert db.session.scalar(select(func.count(CheckIn.id))) == 1
    jobs.delete_old_checkins(ended + timedelta(days=30, minutes=1))
    assert db.session.scalar(select(func.count(CheckIn.id))) == 0
    event = db.session.get(DisasterEvent, event.id)
    assert event.details_deleted_at is not None
    assert event.summary["reported"] == 1
    assert "0 event" in jobs.delete_old_checkins(ended + timedelta(days=31))


def test_running_events_are_never_purged(app, world):
    event = start(world)
    submit_checkin(world.member, event_id=event.id, status="safe_home", client_id=client_id())
    db.session.commit()
    jobs.delete_old_checkins(event.started_at + timedelta(days=400))
    assert db.session.scalar(select(func.count(CheckIn.id))) == 1
