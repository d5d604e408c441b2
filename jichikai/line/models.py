"""The association's LINE official account, members' link codes and webhook events seen."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import TenantMixin, UTCDateTime, utcnow
from ..extensions import db
from ..org.models import Member

# working: messages go out. off: LINE refused the access token (401/403); rows wait until
# officers save a new one.
ACCOUNT_WORKING = "working"
ACCOUNT_OFF = "off"


class LineAccount(TenantMixin, db.Model):
    """One association's Messaging API channel. The access token and channel secret are
    stored encrypted (see crypto.py); only their last four characters are ever shown."""

    __tablename__ = "line_account"
    __table_args__ = (UniqueConstraint("association_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The account's basic ID ("@123abcde"): add-friend links and prefilled messages.
    basic_id: Mapped[str] = mapped_column(String(40), default="")
    display_name: Mapped[str] = mapped_column(String(100), default="")
    access_token: Mapped[str] = mapped_column(Text)  # encrypted
    channel_secret: Mapped[str] = mapped_column(Text)  # encrypted
    token_tail: Mapped[str] = mapped_column(String(4), default="")
    secret_tail: Mapped[str] = mapped_column(String(4), default="")
    state: Mapped[str] = mapped_column(String(12), default=ACCOUNT_WORKING)
    # Why the account is off, or the last limit LINE answered with; for the officers.
    problem: Mapped[str] = mapped_column(Text, default="")
    problem_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # LINE asked us to wait (429): nothing is sent for this account before then.
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The month's allowance as LINE last told it: "limited" with a number, or "none".
    quota_type: Mapped[str] = mapped_column(String(12), default="")
    quota_limit: Mapped[int | None] = mapped_column(Integer)
    quota_used: Mapped[int | None] = mapped_column(Integer)
    quota_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL"), index=True
    )

    updated_by: Mapped[Member | None] = relationship()


class LineLinkCode(TenantMixin, db.Model):
    """A one-time code a logged-in member sends to the account to link their LINE."""

    __tablename__ = "line_link_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    member: Mapped[Member] = relationship()


class LineWebhookEvent(TenantMixin, db.Model):
    """A webhook event already handled: LINE redelivers, the second copy is ignored."""

    __tablename__ = "line_webhook_event"
    __table_args__ = (UniqueConstraint("association_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64))  # webhookEventId
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
