"""Scheduled work: publish notices when their time comes, remind unread households."""

from datetime import datetime

from ..extensions import db
from ..scheduling import ScheduledJob
from .services import publish_due, remind_unread_households


def publish_scheduled(now: datetime) -> str:
    """Publish notices whose `publish_at` has passed, notifying their audience once."""
    count = publish_due(now)
    db.session.commit()
    return f"published {count} notice(s)"


def remind_unread(now: datetime) -> str:
    """Remind households that have not read a notice after the association's set hours."""
    count = remind_unread_households(now)
    db.session.commit()
    return f"reminded unread households of {count} notice(s)"


JOBS = [
    ScheduledJob(
        "notices.publish_scheduled",
        publish_scheduled,
        every_seconds=60,
        description="Publish scheduled circulars",
    ),
    ScheduledJob(
        "notices.remind_unread",
        remind_unread,
        every_seconds=15 * 60,
        description="Remind households that have not read a circular",
    ),
]
