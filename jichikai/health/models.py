"""The worker's heartbeat, read by /readyz."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime
from ..extensions import db


class WorkerHeartbeat(db.Model):
    """When a worker last showed it was running (one row per kind of worker)."""

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)
