"""Scheduled work of push: pruning dead subscriptions and old delivery rows."""

from datetime import datetime

from ..extensions import db
from ..scheduling import ScheduledJob
from .delivery import prune


def prune_subscriptions(now: datetime) -> dict[str, int]:
    """Delete expired, failing and inactive members' subscriptions, and old finished rows."""
    counts = prune(now)
    db.session.commit()
    return counts


JOBS = [
    ScheduledJob(
        "push.prune",
        prune_subscriptions,
        every_seconds=3600,
        description="Delete dead push subscriptions and old delivery rows",
    ),
]
