"""Scheduled work of disaster mode: reminders to unreported members, alerting block leaders to
their call lists, deleting old details."""

from datetime import datetime

from ..extensions import db
from ..scheduling import ScheduledJob
from .calls import alert_leaders
from .services import delete_expired_details, send_due_reminders


def remind_unreported(now: datetime) -> str:
    """Push a reminder to members who have not reported, every M minutes, at most K times."""
    sent = send_due_reminders(now)
    db.session.commit()
    return f"{sent} reminder(s) sent"


def alert_leaders_to_call_lists(now: datetime) -> str:
    """Once per event, after the delay, alert block leaders (else officers) to their call lists."""
    result = alert_leaders(now)
    db.session.commit()
    text = f"{result.events} event(s): {result.leaders} leader(s), {result.officers} officer(s)"
    if result.untold_blocks:
        text += f"; {result.untold_blocks} block(s) nobody could be told of"
    return text


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
        "disaster.alert_leaders",
        alert_leaders_to_call_lists,
        every_seconds=60,
        description="Alert block leaders to members on their call lists, once per event.",
    ),
    ScheduledJob(
        "disaster.delete_old_checkins",
        delete_old_checkins,
        every_seconds=3600,
        description="Delete personal check-in details of ended events after the retention period.",
    ),
]
