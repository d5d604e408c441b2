"""Browser push subscriptions and the deliveries queued for them."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Device
from ..database import TenantMixin, UTCDateTime, utcnow
from ..extensions import db
from ..org.models import Member


class PushSubscription(TenantMixin, db.Model):
    """One browser's PushSubscription for one member."""

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    # The login that saved it: that browser may renew the keys; anyone else must show them.
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("device.id", ondelete="SET NULL"), index=True
    )
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # The browser's expirationTime, when it gave one; the subscription is useless after it.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Messages given up in a row (the push service never took them); reset by a success.
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    member: Mapped[Member] = relationship()
    device: Mapped[Device | None] = relationship()


class PushDelivery(TenantMixin, db.Model):
    """The outbox: one message to one member by one channel; written in the same transaction
    as its cause. (The name is historical: rows of every channel live here; `Outbox` is the
    same class.)

    `channel` is "push" (one row per browser subscription), "email" or "line" (one row per
    `reach.models.Contact`). `member_id`, `kind`, `notice_id` and `event_id` say whom and
    what it was for, so reach can be counted per circular and per event; the title, body,
    url and `actions` (label and URL of each button) were composed for this recipient in
    their language when the row was queued.

    `status` is pending -> sending (claimed; `next_attempt_at` is then the lease's end) ->
    sent | failed (refused as malformed: our fault) | expired (TTL passed) | replaced (a newer
    message with the same topic was queued before this one left).
    """

    __table_args__ = (
        Index("ix_push_delivery_due", "status", "next_attempt_at"),
        Index("ix_push_delivery_channel_due", "channel", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), default="push", server_default="push")
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), index=True
    )
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("push_subscription.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("member_contact.id", ondelete="CASCADE"), index=True
    )
    # What the message is: notice, reminder, disaster, bulletin, escalation, test, ...
    kind: Mapped[str] = mapped_column(String(12), default="", server_default="")
    notice_id: Mapped[int | None] = mapped_column(
        ForeignKey("notice.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("disaster_event.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(8), default="ja", server_default="ja")
    actions: Mapped[list | None] = mapped_column(JSON)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(500), default="/")
    tag: Mapped[str] = mapped_column(String(100), default="")
    topic: Mapped[str | None] = mapped_column(String(32))
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    ttl: Mapped[int] = mapped_column(Integer, default=4 * 24 * 3600)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(Text, default="")

    subscription: Mapped[PushSubscription | None] = relationship()


Outbox = PushDelivery


class OutboxTally(db.Model):
    """How many outbox rows of each channel ended each way since the table was made: the
    counters /metrics shows (jichikai_outbox_deliveries_total). Added to in the transaction
    that records the results (`push.tally.count_outcomes`), so every process sees them."""

    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    # sent, failed, expired, retry (tried, to be tried again), gone (the address no longer
    # exists), ...
    outcome: Mapped[str] = mapped_column(String(12), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
