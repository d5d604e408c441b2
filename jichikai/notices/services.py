"""Notices: writing, publishing, reading, receipts and reminders (replies: questionnaires)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, case, delete, exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from ..database import utcnow
from ..extensions import db
from ..i18n import member_language
from ..links import absolute
from ..org.models import Association, Block, Household, Member
from ..push.services import KIND_NOTICE, KIND_URGENT
from ..reach import tokens
from ..reach.models import CHANNEL_PUSH
from ..reach.services import DOES_READ, Action, Envelope, Message, Reach, notify
from . import attachments
from .errors import NoticeError, NoticeNotFound, TooSoon
from .languages import shown_text
from .models import (
    CATEGORIES,
    CATEGORY_GENERAL,
    CATEGORY_URGENT,
    PER_HOUSEHOLD,
    PER_MEMBER,
    RECORDED_VIAS,
    VIA_APP,
    Attachment,
    Notice,
    NoticeBlock,
    NoticeReminder,
    ReadReceipt,
)
from .permissions import in_audience
from .questionnaires import (
    QuestionInput,
    build_questions,
    check_questions,
    has_replies,
    question_inputs,
)
from .text import summary

TITLE_MAX = 200
BODY_MAX = 10_000
EVENT_PLACE_MAX = 200
FEED_PAGE_SIZE = 20
MAX_PAGE = 10_000  # a page number beyond it would overflow the query's OFFSET
REMINDER_INTERVAL = timedelta(hours=1)


def notice_url(notice: Notice) -> str:
    return f"/notices/{notice.id}"


@dataclass
class NoticeInput:
    """What an officer writes; the form and the API both build one."""

    title: str
    body: str = ""
    category: str = CATEGORY_GENERAL
    block_ids: list[int] = field(default_factory=list)  # empty: the whole association
    publish_at: datetime | None = None  # None or past: now
    expires_at: datetime | None = None
    reply_kind: str | None = None
    reply_per: str = PER_HOUSEHOLD
    # Empty for 出欠: one question 出席 / 欠席.
    questions: list[QuestionInput] = field(default_factory=list)
    reply_deadline: datetime | None = None
    event_starts_at: datetime | None = None  # an event (行事) on the calendar
    event_ends_at: datetime | None = None
    event_place: str = ""
    # 要確認; None: the association's setting (notice_ack_required).
    ack_required: bool | None = None


def _check(
    data: NoticeInput, association_id: int, now: datetime
) -> tuple[list[Block], list[QuestionInput]]:
    """Every check of a notice's content; raises NoticeError with the first problem."""
    data.title = (data.title or "").strip()
    data.body = (data.body or "").strip()
    if not data.title:
        raise NoticeError(_("題名を入れてください。"), field="title")
    if len(data.title) > TITLE_MAX:
        raise NoticeError(_("題名は %(n)d 文字までです。", n=TITLE_MAX), field="title")
    if len(data.body) > BODY_MAX:
        raise NoticeError(_("本文は %(n)d 文字までです。", n=BODY_MAX), field="body")
    if data.category not in CATEGORIES:
        raise NoticeError(_("種類を選んでください。"), field="category")

    wanted = sorted(set(data.block_ids or []))
    blocks: list[Block] = []
    if wanted:
        blocks = list(
            db.session.scalars(
                select(Block).where(Block.association_id == association_id, Block.id.in_(wanted))
            )
        )
        if len(blocks) != len(wanted):
            raise NoticeNotFound(_("選んだ班が見つかりません。"), field="block_ids")

    start = data.publish_at if data.publish_at and data.publish_at > now else now
    if data.expires_at is not None and data.expires_at <= start:
        raise NoticeError(_("掲載の終わりは、公開より後にしてください。"), field="expires_at")

    questions = check_questions(data.reply_kind, data.questions)
    if data.reply_kind:
        if data.reply_per not in (PER_HOUSEHOLD, PER_MEMBER):
            raise NoticeError(_("返信は世帯ごとか一人ずつかを選んでください。"), field="reply_per")
        if data.reply_deadline is not None and data.reply_deadline <= start:
            raise NoticeError(
                _("返信の締め切りは、公開より後にしてください。"), field="reply_deadline"
            )
    _check_event(data)
    return blocks, questions


def _check_event(data: NoticeInput) -> None:
    data.event_place = (data.event_place or "").strip()
    if data.event_starts_at is None:
        if data.event_ends_at is not None or data.event_place:
            raise NoticeError(_("行事の日時を入れてください。"), field="event_starts_at")
        return
    if len(data.event_place) > EVENT_PLACE_MAX:
        raise NoticeError(_("場所は %(n)d 文字までです。", n=EVENT_PLACE_MAX), field="event_place")
    if data.event_ends_at is not None and data.event_ends_at < data.event_starts_at:
        raise NoticeError(_("行事の終わりは、始まりより後にしてください。"), field="event_ends_at")


def create_notice(
    association: Association,
    author: Member,
    data: NoticeInput,
    files: list[attachments.PreparedFile] = (),
    now: datetime | None = None,
) -> Notice:
    """Save a notice with its attachments; publish it now unless `publish_at` is later."""
    now = now or utcnow()
    blocks, questions = _check(data, association.id, now)
    if len(files) > attachments.max_files():
        raise NoticeError(_("添付は %(n)d 個までです。", n=attachments.max_files()), field="files")
    notice = Notice(
        association_id=association.id,
        title=data.title,
        body=data.body,
        category=data.category,
        all_blocks=not blocks,
        author_id=author.id,
        created_at=now,
        publish_at=data.publish_at if data.publish_at and data.publish_at > now else now,
        expires_at=data.expires_at,
        reply_kind=data.reply_kind or None,
        reply_per=data.reply_per if data.reply_kind else PER_HOUSEHOLD,
        reply_deadline=data.reply_deadline if data.reply_kind else None,
        event_starts_at=data.event_starts_at,
        event_ends_at=data.event_ends_at,
        event_place=data.event_place,
        ack_required=bool(
            association.setting("notice_ack_required")
            if data.ack_required is None
            else data.ack_required
        ),
    )
    notice.audience = [NoticeBlock(association_id=association.id, block_id=b.id) for b in blocks]
    db.session.add(notice)
    db.session.flush()
    build_questions(notice, questions)
    for prepared in files:
        add_attachment(notice, prepared)
    if notice.publish_at <= now:
        publish(notice, now)
    db.session.flush()
    return notice


def add_attachment(notice: Notice, prepared: attachments.PreparedFile) -> Attachment:
    """Store a checked file for a notice (removed again if the transaction rolls back)."""
    if len(notice.attachments) >= attachments.max_files():
        raise NoticeError(_("添付は %(n)d 個までです。", n=attachments.max_files()), field="files")
    key = attachments.new_storage_key()
    attachment = Attachment(
        association_id=notice.association_id,
        filename=prepared.filename,
        content_type=prepared.content_type,
        size=len(prepared.data),
        storage_key=key,
        has_web_version=prepared.web_version is not None,
    )
    notice.attachments.append(attachment)
    db.session.flush()
    attachments.write(db.session(), notice.association_id, key, prepared)
    return attachment


def remove_attachment(attachment: Attachment) -> None:
    """Delete an attachment; its files go once the deletion is committed."""
    attachments.remove_after_commit(db.session(), attachment.association_id, attachment.storage_key)
    attachment.notice.attachments.remove(attachment)
    db.session.flush()


def update_notice(
    notice: Notice,
    data: NoticeInput,
    files: list[attachments.PreparedFile] = (),
    now: datetime | None = None,
) -> Notice:
    """Change a notice. Receipts stay; a published notice is shown as 更新 to members.

    The audience and the publication time can change only before publication, and the
    reply form's questions only while nobody has answered.
    """
    now = now or utcnow()
    published = notice.published_at is not None
    if published:
        data.block_ids = sorted(notice.block_ids)
        data.publish_at = None
    blocks, questions = _check(data, notice.association_id, now)
    if len(notice.attachments) + len(files) > attachments.max_files():
        raise NoticeError(_("添付は %(n)d 個までです。", n=attachments.max_files()), field="files")
    answered = has_replies(notice)
    current_questions = question_inputs(notice)
    if answered and (
        (data.reply_kind or None) != notice.reply_kind
        or data.reply_per != notice.reply_per
        or questions != current_questions
    ):
        raise NoticeError(
            _("返信がすでにあるので、質問と選択肢は変えられません。"), field="questions"
        )

    changed = (
        notice.title != data.title
        or notice.body != data.body
        or notice.category != data.category
        or notice.event_starts_at != data.event_starts_at
        or notice.event_ends_at != data.event_ends_at
        or notice.event_place != data.event_place
    ) or bool(files)
    notice.title = data.title
    notice.body = data.body
    notice.category = data.category
    notice.expires_at = data.expires_at
    if data.ack_required is not None:
        notice.ack_required = data.ack_required
    notice.reply_deadline = data.reply_deadline if data.reply_kind else None
    notice.event_starts_at = data.event_starts_at
    notice.event_ends_at = data.event_ends_at
    notice.event_place = data.event_place
    if not answered:
        notice.reply_kind = data.reply_kind or None
        notice.reply_per = data.reply_per if data.reply_kind else PER_HOUSEHOLD
        if questions != current_questions:
            build_questions(notice, questions)
    if not published:
        notice.all_blocks = not blocks
        notice.audience = [
            NoticeBlock(association_id=notice.association_id, block_id=b.id) for b in blocks
        ]
        notice.publish_at = data.publish_at if data.publish_at and data.publish_at > now else now
    db.session.flush()
    for prepared in files:
        add_attachment(notice, prepared)
    if published and changed:
        notice.updated_at = now
    if not published and notice.publish_at <= now and notice.withdrawn_at is None:
        publish(notice, now)
    db.session.flush()
    return notice


def withdraw_notice(notice: Notice, by: Member, now: datetime | None = None) -> None:
    """Hide a notice from members; receipts and replies are kept for the record."""
    if notice.withdrawn_at is not None:
        return
    notice.withdrawn_at = now or utcnow()
    notice.withdrawn_by_id = by.id
    db.session.flush()


# Publishing and reminders -------------------------------------------------------------


def notice_message(notice: Notice, reminder: bool = False) -> Message:
    """A circular (or its reminder) for notify(): each copy composed for its recipient.

    Push shows the title and a summary; email and LINE carry the whole text, a 読みました link
    bound to the recipient (tokens.read_url) and the circular's page.
    """
    urgent = notice.category == CATEGORY_URGENT
    page = notice_url(notice)
    # Each recipient gets their language's translation as it is now, else the original.
    translations = {t.language: t for t in notice.translations}

    def compose(member: Member, channel: str) -> Envelope:
        text = shown_text(notice, translations.get(member_language(member)))
        if reminder:
            title = _("まだ読まれていない回覧があります：%(title)s", title=text.title)
        elif urgent:
            title = _("【緊急】%(title)s", title=text.title)
        else:
            title = text.title
        if channel == CHANNEL_PUSH:
            return Envelope(title=title, body=summary(text.body), url=page)
        body = text.body
        if text.machine:
            body = _("機械翻訳です。まちがいがあるかもしれません。") + "\n\n" + body
        return Envelope(
            title=title,
            body=body,
            url=absolute(page),
            actions=(
                Action(_("読みました"), tokens.read_url(member.id, notice.id, channel), DOES_READ),
                Action(_("回覧を開く"), absolute(page)),
            ),
        )

    return Message(
        kind=KIND_URGENT if urgent else KIND_NOTICE,
        compose=compose,
        tag=f"notice-{notice.id}",
        urgency="high" if urgent else "normal",
        notice_id=notice.id,
        label="reminder" if reminder else "notice",
    )


def audience_members_of(association_id: int) -> list[Member]:
    """Every active member in a household: whom a circular to every block goes to."""
    return list(
        db.session.scalars(
            select(Member)
            .join(Household, Member.household_id == Household.id)
            .where(Member.association_id == association_id, Member.active.is_(True))
        )
    )


def audience_members(notice: Notice, block_ids: set[int] | None, unread_only: bool):
    """Active members of the audience (of its unread households), in one query."""
    query = (
        select(Member)
        .join(Household, Member.household_id == Household.id)
        .where(Member.association_id == notice.association_id, Member.active.is_(True))
    )
    if block_ids is not None:
        query = query.where(Household.block_id.in_(block_ids))
    if unread_only:
        query = query.where(
            ~exists().where(
                ReadReceipt.notice_id == notice.id,
                ReadReceipt.household_id == Household.id,
                *done_conditions(notice),
            )
        )
    return db.session.scalars(query).all()


def publish(notice: Notice, now: datetime) -> Reach:
    """Make a notice visible and queue it to its audience, once; returns what it reaches
    (also kept on `notice.reach` for the page that posted it)."""
    claimed = db.session.execute(
        update(Notice)
        .where(Notice.id == notice.id, Notice.published_at.is_(None))
        .values(published_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return Reach()
    notice.published_at = now
    block_ids = None if notice.all_blocks else notice.block_ids
    members = audience_members(notice, block_ids, unread_only=False)
    notice.reach = notify(members, notice_message(notice))
    return notice.reach


def last_reminder(notice: Notice, block: Block) -> NoticeReminder | None:
    """The block's last reminder that reached someone (one that reached nobody used nothing)."""
    return db.session.scalars(
        select(NoticeReminder)
        .where(
            NoticeReminder.notice_id == notice.id,
            NoticeReminder.block_id == block.id,
            NoticeReminder.recipients > 0,
        )
        .order_by(NoticeReminder.sent_at.desc())
        .limit(1)
    ).first()


def remind_unread(notice: Notice, block: Block, by: Member, now: datetime | None = None) -> int:
    """Send a reminder to the members of a block's not-done households (once an hour at most;
    a reminder that reached nobody is not recorded and does not count)."""
    now = now or utcnow()
    if not notice.is_live(now):
        raise NoticeError(_("この回覧はもう掲載されていません。"))
    previous = last_reminder(notice, block)
    if previous is not None and previous.sent_at > now - REMINDER_INTERVAL:
        raise TooSoon(
            _(
                "まだ読んでいない人へのお知らせは、1時間に1回までです。"
                "1時間たってから、もう一度お試しください。"
            )
        )
    members = audience_members(notice, {block.id}, unread_only=True)
    queued = notify(members, notice_message(notice, reminder=True)).reached
    if not queued:
        return 0
    db.session.add(
        NoticeReminder(
            association_id=notice.association_id,
            notice_id=notice.id,
            block_id=block.id,
            sent_by_id=by.id,
            sent_at=now,
            recipients=queued,
        )
    )
    db.session.flush()
    return queued


def publish_due(now: datetime) -> int:
    """Publish every scheduled notice whose time has come; returns how many."""
    due = db.session.scalars(
        select(Notice)
        .where(
            Notice.published_at.is_(None),
            Notice.withdrawn_at.is_(None),
            Notice.publish_at <= now,
        )
        .options(selectinload(Notice.audience))
        .order_by(Notice.publish_at)
    ).all()
    count = 0
    for notice in due:
        if notice.expires_at is not None and notice.expires_at <= now:
            continue
        publish(notice, now)
        count += 1
    return count


def remind_unread_households(now: datetime) -> int:
    """Once per notice, push a reminder to households that have not read it after N hours."""
    candidates = db.session.execute(
        select(Notice, Association)
        .join(Association, Association.id == Notice.association_id)
        .where(
            Notice.published_at.is_not(None),
            Notice.published_at <= now,
            Notice.auto_reminded_at.is_(None),
            Notice.withdrawn_at.is_(None),
            or_(Notice.expires_at.is_(None), Notice.expires_at > now),
        )
        .options(selectinload(Notice.audience))
    ).all()
    count = 0
    for notice, association in candidates:
        hours = int(association.setting("notice_reminder_hours") or 0)
        if hours <= 0 or notice.published_at + timedelta(hours=hours) > now:
            continue
        claimed = db.session.execute(
            update(Notice)
            .where(Notice.id == notice.id, Notice.auto_reminded_at.is_(None))
            .values(auto_reminded_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            continue
        block_ids = None if notice.all_blocks else notice.block_ids
        members = audience_members(notice, block_ids, unread_only=True)
        queued = notify(members, notice_message(notice, reminder=True)).reached
        db.session.add(
            NoticeReminder(
                association_id=notice.association_id,
                notice_id=notice.id,
                block_id=None,
                sent_at=now,
                recipients=queued,
            )
        )
        count += 1
    db.session.flush()
    return count


# Reading ------------------------------------------------------------------------------


def live_conditions(association_id: int, now: datetime) -> list:
    return [
        Notice.association_id == association_id,
        Notice.published_at.is_not(None),
        Notice.withdrawn_at.is_(None),
        or_(Notice.expires_at.is_(None), Notice.expires_at > now),
    ]


def done_conditions(notice: Notice | None = None) -> list:
    """What makes a receipt count: any receipt, or for a 要確認 notice only an acknowledged one
    (確認しました, or a leader's paper or proxy record). Without `notice`, Notice must be joined."""
    if notice is None:
        return [or_(Notice.ack_required.is_(False), ReadReceipt.acknowledged_at.is_not(None))]
    return [ReadReceipt.acknowledged_at.is_not(None)] if notice.ack_required else []


def audience_condition(block_ids: set[int]):
    """Notices for the whole association or for any of `block_ids`."""
    if not block_ids:
        return Notice.all_blocks.is_(True)
    return or_(
        Notice.all_blocks.is_(True),
        exists().where(NoticeBlock.notice_id == Notice.id, NoticeBlock.block_id.in_(block_ids)),
    )


@dataclass
class FeedEntry:
    notice: Notice
    read_at: datetime | None
    acknowledged_at: datetime | None = None

    @property
    def read(self) -> bool:
        return self.read_at is not None

    @property
    def done(self) -> bool:
        """Read, or for a 要確認 notice acknowledged: what the feed's 未読 / 未確認 counts."""
        if self.notice.ack_required:
            return self.acknowledged_at is not None
        return self.read

    @property
    def updated_since_read(self) -> bool:
        n = self.notice
        return self.read_at is not None and n.updated_at is not None and n.updated_at > self.read_at


@dataclass
class FeedPage:
    entries: list[FeedEntry]
    page: int
    has_next: bool


def member_feed(
    member: Member,
    now: datetime | None = None,
    page: int = 1,
    per_page: int = FEED_PAGE_SIZE,
    category: str | None = None,
) -> FeedPage:
    """The member's live notices (of one category if given): unread first, then newest."""
    now = now or utcnow()
    page = max(page, 1)
    block_id = (
        db.session.scalar(select(Household.block_id).where(Household.id == member.household_id))
        if member.household_id
        else None
    )
    unread_first = case(
        (ReadReceipt.id.is_(None), 0),
        (and_(Notice.ack_required.is_(True), ReadReceipt.acknowledged_at.is_(None)), 0),
        else_=1,
    )
    rows = db.session.execute(
        select(Notice, ReadReceipt.read_at, ReadReceipt.acknowledged_at)
        .outerjoin(
            ReadReceipt,
            and_(ReadReceipt.notice_id == Notice.id, ReadReceipt.member_id == member.id),
        )
        .where(
            *live_conditions(member.association_id, now),
            audience_condition({block_id} if block_id else set()),
            *([Notice.category == category] if category in CATEGORIES else []),
        )
        .order_by(unread_first, Notice.published_at.desc(), Notice.id.desc())
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    ).all()
    entries = [FeedEntry(notice, read_at, acked) for notice, read_at, acked in rows[:per_page]]
    return FeedPage(entries, page, has_next=len(rows) > per_page)


def _insert_ignoring_duplicates(values: dict) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(ReadReceipt)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["notice_id", "member_id"])
    )


def mark_read(
    notice: Notice, member: Member, via: str = VIA_APP, now: datetime | None = None
) -> bool:
    """Record that a member of the audience opened a notice; True when this was the first time."""
    from .permissions import is_recipient

    if notice.published_at is None or not is_recipient(member, notice):
        return False
    already = db.session.scalar(
        select(ReadReceipt.id).where(
            ReadReceipt.notice_id == notice.id, ReadReceipt.member_id == member.id
        )
    )
    if already:
        return False
    _insert_ignoring_duplicates(
        {
            "association_id": notice.association_id,
            "notice_id": notice.id,
            "household_id": member.household_id,
            "member_id": member.id,
            "via": via,
            "read_at": now or utcnow(),
        }
    )
    return True


def member_read_at(notice: Notice, member: Member) -> datetime | None:
    return db.session.scalar(
        select(ReadReceipt.read_at).where(
            ReadReceipt.notice_id == notice.id, ReadReceipt.member_id == member.id
        )
    )


def record_household_read(
    notice: Notice, household: Household, via: str, by: Member, now: datetime | None = None
) -> tuple[ReadReceipt, bool]:
    """A leader records a household as read on paper or in person; (receipt, created)."""
    if via not in RECORDED_VIAS:
        raise NoticeError(_("確認の方法を選んでください。"), field="via")
    if household.association_id != notice.association_id:
        raise NoticeNotFound(_("世帯が見つかりません。"), field="household_id")
    if notice.published_at is None or notice.withdrawn_at is not None:
        raise NoticeError(_("この回覧はもう掲載されていません。"))
    if not in_audience(notice, household.block_id):
        raise NoticeError(_("この世帯はこの回覧の対象ではありません。"), field="household_id")
    existing = db.session.scalars(
        select(ReadReceipt)
        .where(
            ReadReceipt.notice_id == notice.id,
            ReadReceipt.household_id == household.id,
            *done_conditions(notice),
        )
        .order_by(ReadReceipt.read_at)
        .limit(1)
    ).first()
    if existing is not None:
        return existing, False
    now = now or utcnow()
    # The paper's 確認印 (or telling them in person) stands for the household's 確認しました.
    receipt = ReadReceipt(
        association_id=notice.association_id,
        notice_id=notice.id,
        household_id=household.id,
        member_id=None,
        via=via,
        read_at=now,
        acknowledged_at=now,
        recorded_by_id=by.id,
    )
    db.session.add(receipt)
    db.session.flush()
    return receipt, True


def undo_household_read(notice: Notice, household: Household) -> int:
    """Remove a leader's paper or proxy record made by mistake (app reads stay)."""
    result = db.session.execute(
        delete(ReadReceipt).where(
            ReadReceipt.notice_id == notice.id,
            ReadReceipt.household_id == household.id,
            ReadReceipt.member_id.is_(None),
        )
    )
    return result.rowcount
