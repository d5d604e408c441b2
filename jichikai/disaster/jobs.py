"""Scheduled work of disaster mode: reminders to unreported members, deleting old details."""

from datetime import datetime

from ..extensions import db
from ..scheduling import ScheduledJob
from .services import delete_expired_details, send_due_reminders


def remind_unreported(now: datetime) -> str:
    """Push a reminder to members who have not reported, every M minutes, at most K times."""
    sent = send_due_reminders(now)
    db.session.commit()
    return f"{sent} reminder(s) sent"


def delete_old_checkins(now: datetime) -> str:
    """Delete personal check-in details of events ended longer ago than the retention period."""
    deleted = delete_expired_details(now)
    db.session.commit()
    return f"details of {deleted} event(s) deleted"


JOBS = [
    ScheduledJob(
        "disaster.remind_unreported",
        remind_unreported,
        every_seconds=60,
        description="Remind members who have not reported during a disaster event.",
    ),
    ScheduledJob(
        "disaster.delete_old_checkins",
        delete_old_checkins,
        every_seconds=3600,
        description="Delete personal check-in details of ended events after the retention period.",
    ),
]
