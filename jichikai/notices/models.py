"""Circulars (回覧): notices, their audience, attachments, read receipts and replies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import TenantMixin, UTCDateTime, utcnow
from ..extensions import db
from ..org.models import Block, Household, Member

CATEGORY_GENERAL = "general"
CATEGORY_EVENT = "event"
CATEGORY_URGENT = "urgent"
CATEGORY_CITY = "city"
CATEGORIES = (CATEGORY_GENERAL, CATEGORY_EVENT, CATEGORY_URGENT, CATEGORY_CITY)

VIA_APP = "app"
VIA_PROXY = "proxy"
VIA_PAPER = "paper"
# A one-tap 読みました link in a circular sent by email or LINE (the channel it went by).
VIA_EMAIL = "email"
VIA_LINE = "line"
LINK_VIAS = (VIA_EMAIL, VIA_LINE)
RECORDED_VIAS = (VIA_PAPER, VIA_PROXY)

REPLY_ATTENDANCE = "attendance"
REPLY_SURVEY = "survey"
REPLY_KINDS = (REPLY_ATTENDANCE, REPLY_SURVEY)
PER_HOUSEHOLD = "household"
PER_MEMBER = "member"


class Notice(TenantMixin, db.Model):
    """A circular: visible to its audience from `published_at` until withdrawn or expired."""

    __table_args__ = (
        Index("ix_notice_feed", "association_id", "published_at"),
        Index("ix_notice_schedule", "published_at", "publish_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(10), default=CATEGORY_GENERAL)
    all_blocks: Mapped[bool] = mapped_column(Boolean, default=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When it should go out; `published_at` is set once it has (and the audience was notified).
    publish_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the content changes after publication: members see it as 更新.
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL")
    )
    # The automatic reminder to unread households goes out once.
    auto_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 要確認: members are asked to press 確認しました; until they (or a leader's paper record)
    # do, the household counts as not done, in the feed, the reports and the reminders.
    ack_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    reply_kind: Mapped[str | None] = mapped_column(String(12))
    reply_per: Mapped[str] = mapped_column(String(10), default=PER_HOUSEHOLD)
    reply_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[Member | None] = relationship(foreign_keys=[author_id])
    audience: Mapped[list[NoticeBlock]] = relationship(
        back_populates="notice", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="notice", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    options: Mapped[list[ReplyOption]] = relationship(
        back_populates="notice", cascade="all, delete-orphan", order_by="ReplyOption.position"
    )

    @property
    def block_ids(self) -> set[int]:
        """The chosen blocks; empty when the notice goes to the whole association."""
        return set() if self.all_blocks else {a.block_id for a in self.audience}

    def is_live(self, now: datetime) -> bool:
        """Published, not withdrawn and not expired."""
        return (
            self.published_at is not None
            and self.withdrawn_at is None
            and (self.expires_at is None or self.expires_at > now)
        )

    def replies_open(self, now: datetime) -> bool:
        if not self.reply_kind or not self.is_live(now):
            return False
        return self.reply_deadline is None or now <= self.reply_deadline


class NoticeBlock(TenantMixin, db.Model):
    """A block a notice goes to (none: the whole association)."""

    __table_args__ = (Index("ix_notice_block_block", "block_id", "notice_id"),)

    notice_id: Mapped[int] = mapped_column(
        ForeignKey("notice.id", ondelete="CASCADE"), primary_key=True
    )
    block_id: Mapped[int] = mapped_column(
        ForeignKey("block.id", ondelete="CASCADE"), primary_key=True
    )

    notice: Mapped[Notice] = relationship(back_populates="audience")
    block: Mapped[Block] = relationship()


class Attachment(TenantMixin, db.Model):
    """A PDF or image of a notice, stored under the instance folder by a random key."""

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    has_web_version: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    notice: Mapped[Notice] = relationship(back_populates="attachments")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ReadReceipt(TenantMixin, db.Model):
    """A household has seen a notice: a member in the app, or recorded by a leader.

    App reads and one-tap links (email, line) carry the member; paper and proxy records carry
    only the household and who recorded them. A household counts as read when it has any receipt.
    `acknowledged_at` is set, apart from opening, when the member presses 確認しました (and on a
    leader's paper or proxy record, the 確認印); a 要確認 notice counts only those.
    """

    __table_args__ = (
        UniqueConstraint("notice_id", "member_id"),
        Index("ix_read_receipt_household", "notice_id", "household_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    via: Mapped[str] = mapped_column(String(8), default=VIA_APP)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    household: Mapped[Household] = relationship()
    member: Mapped[Member | None] = relationship(foreign_keys=[member_id])
    recorded_by: Mapped[Member | None] = relationship(foreign_keys=[recorded_by_id])


class ReplyOption(TenantMixin, db.Model):
    """One choice of a notice's reply form (出席 / 欠席, or a survey's answers)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)

    notice: Mapped[Notice] = relationship(back_populates="options")


class Reply(TenantMixin, db.Model):
    """An answer to a notice's reply form, by a household or a member (`respondent`)."""

    __table_args__ = (UniqueConstraint("notice_id", "respondent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"))
    option_id: Mapped[int] = mapped_column(ForeignKey("reply_option.id", ondelete="CASCADE"))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    # "h<household id>" or "m<member id>": one answer per household or per member.
    respondent: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(String(200), default="")
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    option: Mapped[ReplyOption] = relationship()
    member: Mapped[Member | None] = relationship()


class NoticeReminder(TenantMixin, db.Model):
    """A reminder sent to a block's unread households (leaders may send one an hour)."""

    __table_args__ = (Index("ix_notice_reminder_block", "notice_id", "block_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"))
    block_id: Mapped[int | None] = mapped_column(ForeignKey("block.id", ondelete="CASCADE"))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
