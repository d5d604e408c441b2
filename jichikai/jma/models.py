"""What the JMA poller keeps: feed state, the messages it processed, and alerts per association."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..database import TenantMixin, UTCDateTime, utcnow
from ..extensions import db

# What became of a feed entry.
ENTRY_PROCESSED = "processed"  # fetched, read and checked against every association
ENTRY_SKIPPED = "skipped"  # a type no rule uses: not fetched
ENTRY_UNSUPPORTED = "unsupported"  # a known type without rules yet: not fetched
ENTRY_STALE = "stale"  # older than the poller looks back: not fetched
ENTRY_FAILED = "failed"  # could not be fetched or read; `attempts` says how often it was tried
ENTRY_REFUSED = "refused"  # not a JMA data file on the feed's host (see `error`): never fetched
ENTRY_FETCHING = "fetching"  # claimed by one poll, which is downloading it (since `claimed_at`)

# What was done for one association about one event.
ACTION_STARTED = "started"  # disaster mode was started
ACTION_PROPOSED = "proposed"  # officers were asked to start it
ACTION_DISMISSED = "dismissed"  # an officer decided not to start it
ACTION_NOT_STARTED = "not_started"  # starting failed (another event is running); officers told
ACTION_BULLETIN = "bulletin"  # an event was running: a bulletin told its members instead
ACTION_NOTED = "noted"  # an event was running and this shaking was not stronger: recorded only


class JmaFeed(db.Model):
    """One Atom feed polled: its Last-Modified, sent back as If-Modified-Since."""

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500), unique=True)
    last_modified: Mapped[str] = mapped_column(String(64), default="")
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_result: Mapped[str] = mapped_column(String(200), default="")
    # When a poll last read it (or heard it was not modified); /metrics shows its age.
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JmaEntry(db.Model):
    """A message listed by a feed, fetched at most once (JMA blocks clients that re-download).

    `link_key` (the SHA-256 of the whole link) identifies the entry, so that a link too long
    for `link` is recorded too (shortened) and never looked at again.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    link_key: Mapped[str] = mapped_column(String(64), unique=True)
    link: Mapped[str] = mapped_column(String(500))
    feed_url: Mapped[str] = mapped_column(String(500), default="")
    type_code: Mapped[str] = mapped_column(String(10), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), index=True)
    control_status: Mapped[str] = mapped_column(String(10), default="")
    info_type: Mapped[str] = mapped_column(String(10), default="")
    event_id: Mapped[str] = mapped_column(String(64), default="")
    headline: Mapped[str] = mapped_column(Text, default="")
    report_datetime: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(String(500), default="")
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JmaAlert(TenantMixin, db.Model):
    """What was done for one association about one event (an EventID, or one weather warning).

    The unique key makes sure a second message about the same earthquake never starts a
    second event.
    """

    __table_args__ = (UniqueConstraint("association_id", "event_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(300), default="")
    note: Mapped[str] = mapped_column(String(300), default="")
    # The JMA message that caused it: type, EventID, link, headline, report time, status.
    source: Mapped[dict] = mapped_column(JSON, default=dict)
    disaster_event_id: Mapped[int | None] = mapped_column(Integer)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_headline: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
