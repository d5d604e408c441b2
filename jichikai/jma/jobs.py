"""The worker polls the JMA feeds once a minute."""

from datetime import datetime

from flask import current_app

from ..extensions import db
from ..scheduling import ScheduledJob


def poll_feeds(now: datetime) -> str:
    """One poll of the configured feeds (the poll commits entry by entry)."""
    from .poll import feeds_from_config, options_from_config, poll

    report = poll(
        feeds_from_config(current_app.config),
        now=now,
        options=options_from_config(current_app.config),
    )
    db.session.commit()
    return report.summary()


JOBS = [
    ScheduledJob(
        "jma-poll",
        poll_feeds,
        every_seconds=60,
        description="Poll JMA earthquake and weather feeds; start or propose disaster mode.",
    )
]
