"""Circulars (回覧): notices, their audience, attachments, read receipts, replies, events."""

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

# Kinds of question on a reply form.
QUESTION_SINGLE = "single"
QUESTION_MULTIPLE = "multiple"
QUESTION_SHORT = "short"
QUESTION_LONG = "long"
QUESTION_NUMBER = "number"
QUESTION_KINDS = (
    QUESTION_SINGLE,
    QUESTION_MULTIPLE,
    QUESTION_SHORT,
    QUESTION_LONG,
    QUESTION_NUMBER,
)
CHOICE_KINDS = (QUESTION_SINGLE, QUESTION_MULTIPLE)
TEXT_KINDS = (QUESTION_SHORT, QUESTION_LONG)


class Notice(TenantMixin, db.Model):
    """A circular: visible to its audience from `published_at` until withdrawn or expired."""

    __table_args__ = (
        Index("ix_notice_feed", "association_id", "published_at"),
        Index("ix_notice_schedule", "published_at", "publish_at"),
        Index("ix_notice_event", "association_id", "event_starts_at"),
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

    # An event (行事) the circular announces: shown on the calendar and in members' feeds.
    event_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    event_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    event_place: Mapped[str] = mapped_column(String(200), default="")
    # The language the officer wrote the title and body in (a LANGUAGES code).
    language: Mapped[str] = mapped_column(String(8), default="ja", server_default="ja")

    author: Mapped[Member | None] = relationship(foreign_keys=[author_id])
    audience: Mapped[list[NoticeBlock]] = relationship(
        back_populates="notice", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="notice", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    questions: Mapped[list[ReplyQuestion]] = relationship(
        back_populates="notice", cascade="all, delete-orphan", order_by="ReplyQuestion.position"
    )
    translations: Mapped[list[NoticeTranslation]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="NoticeTranslation.id"
    )
    # Every choice of every question (written through `questions`).
    options: Mapped[list[ReplyOption]] = relationship(
        viewonly=True, order_by="(ReplyOption.question_id, ReplyOption.position)"
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


class NoticeTranslation(TenantMixin, db.Model):
    """A circular's title and body in another language: written by an officer, or made by a
    machine translation provider (`machine`, `provider`) until an officer writes one."""

    __table_args__ = (UniqueConstraint("notice_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    machine: Mapped[bool] = mapped_column(Boolean, default=False)
    provider: Mapped[str] = mapped_column(String(20), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[Member | None] = relationship()


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


class ReplyQuestion(TenantMixin, db.Model):
    """One question of a notice's reply form (アンケート), in `position` order."""

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(10), default=QUESTION_SINGLE)
    label: Mapped[str] = mapped_column(String(200))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bounds of a number question (e.g. 参加人数 from 0 to 10); None: no bound.
    min_value: Mapped[int | None] = mapped_column(Integer)
    max_value: Mapped[int | None] = mapped_column(Integer)

    notice: Mapped[Notice] = relationship(back_populates="questions")
    options: Mapped[list[ReplyOption]] = relationship(
        back_populates="question", cascade="all, delete-orphan", order_by="ReplyOption.position"
    )

    @property
    def has_choices(self) -> bool:
        return self.kind in CHOICE_KINDS


class ReplyOption(TenantMixin, db.Model):
    """One choice of a question (出席 / 欠席, or a survey's answers)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("reply_question.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)

    question: Mapped[ReplyQuestion] = relationship(back_populates="options")


class Reply(TenantMixin, db.Model):
    """A household's or a member's (`respondent`) answers to a notice's reply form.

    Answers from a paper slip are entered by a leader: `recorded_by` is set (代理入力).
    """

    __table_args__ = (UniqueConstraint("notice_id", "respondent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    # "h<household id>" or "m<member id>": one answer per household or per member.
    respondent: Mapped[str] = mapped_column(String(24))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))

    member: Mapped[Member | None] = relationship(foreign_keys=[member_id])
    recorded_by: Mapped[Member | None] = relationship(foreign_keys=[recorded_by_id])
    answers: Mapped[list[ReplyAnswer]] = relationship(
        back_populates="reply", cascade="all, delete-orphan", order_by="ReplyAnswer.id"
    )

    @property
    def by_proxy(self) -> bool:
        return self.recorded_by_id is not None


class ReplyAnswer(TenantMixin, db.Model):
    """The answer to one question: a chosen option (one row per choice), a text or a number."""

    __table_args__ = (Index("ix_reply_answer_question", "question_id", "option_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reply_id: Mapped[int] = mapped_column(ForeignKey("reply.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("reply_question.id", ondelete="CASCADE"))
    option_id: Mapped[int | None] = mapped_column(ForeignKey("reply_option.id", ondelete="CASCADE"))
    text: Mapped[str | None] = mapped_column(Text)
    number: Mapped[int | None] = mapped_column(Integer)

    reply: Mapped[Reply] = relationship(back_populates="answers")


class NoticeReminder(TenantMixin, db.Model):
    """A reminder sent to a block's unread households (leaders may send one an hour)."""

    __table_args__ = (Index("ix_notice_reminder_block", "notice_id", "block_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"))
    block_id: Mapped[int | None] = mapped_column(ForeignKey("block.id", ondelete="CASCADE"))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recipients: Mapped[int] = mapped_column(Integer, default=0)


class CalendarFeed(TenantMixin, db.Model):
    """A member's secret iCalendar address; only the token's hash is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship()
