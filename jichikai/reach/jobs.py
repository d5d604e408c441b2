"""Scheduled work of reach: forgetting addresses whose confirmation link expired unused."""

from datetime import datetime

from ..extensions import db
from ..scheduling import ScheduledJob
from .contacts import prune_unconfirmed


def prune_contacts(now: datetime) -> dict[str, int]:
    """Delete unconfirmed addresses a day after their link expired."""
    count = prune_unconfirmed(now)
    db.session.commit()
    return {"unconfirmed": count}


JOBS = [
    ScheduledJob(
        "reach.prune",
        prune_contacts,
        every_seconds=3600,
        description="Delete addresses members added but never confirmed",
    ),
]
