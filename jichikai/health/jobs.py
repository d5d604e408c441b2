"""Scheduled work of health: the heartbeat that /readyz reads."""

from datetime import datetime

from ..extensions import db
from ..scheduling import ScheduledJob
from .services import beat

HEARTBEAT_SECONDS = 15


def heartbeat(now: datetime) -> str:
    """Record that the scheduler runs."""
    beat(now)
    db.session.commit()
    return "ok"


JOBS = [
    ScheduledJob(
        "health.heartbeat",
        heartbeat,
        every_seconds=HEARTBEAT_SECONDS,
        description="Show /readyz that the worker runs",
    ),
]
