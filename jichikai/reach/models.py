"""A member's addresses on the channels other than Web Push: email and LINE."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import TenantMixin, UTCDateTime, utcnow
from ..extensions import db
from ..org.models import Member

CHANNEL_PUSH = "push"
CHANNEL_EMAIL = "email"
CHANNEL_LINE = "line"
CHANNELS = (CHANNEL_PUSH, CHANNEL_EMAIL, CHANNEL_LINE)

# working: messages go there. unconfirmed: added by the member, waiting for the link in the
# confirmation message. failed: the channel said the address does not exist (a permanent
# SMTP error); officers are told. stopped: the member left (LINE unfollow) or turned it off.
STATE_WORKING = "working"
STATE_UNCONFIRMED = "unconfirmed"
STATE_FAILED = "failed"
STATE_STOPPED = "stopped"
STATES = (STATE_WORKING, STATE_UNCONFIRMED, STATE_FAILED, STATE_STOPPED)

# Who vouched for the address: the association (roster, officers' page: works at once), the
# member (settings: confirmed by a link first), or the channel itself (LINE follow + code).
SOURCE_ASSOCIATION = "association"
SOURCE_MEMBER = "member"
SOURCE_CHANNEL = "channel"


class Contact(TenantMixin, db.Model):
    """One address of one member on one channel. Several members (a household) may share an
    email address: each has their own row, and each row its own state."""

    __tablename__ = "member_contact"
    __table_args__ = (
        UniqueConstraint("member_id", "channel", "address"),
        Index("ix_member_contact_address", "association_id", "channel", "address"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    # An email address (lower-case domain) or a LINE user id.
    address: Mapped[str] = mapped_column(String(254))
    state: Mapped[str] = mapped_column(String(12), default=STATE_WORKING)
    source: Mapped[str] = mapped_column(String(12), default=SOURCE_ASSOCIATION)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    member: Mapped[Member] = relationship()
