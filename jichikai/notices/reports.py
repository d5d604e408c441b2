"""What leaders and officers see: households' read state, read rates, replies, exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, selectinload

from ..database import utcnow
from ..extensions import db
from ..numbers import percent
from ..org.models import Block, Household, Member
from ..push.models import Outbox
from ..reach.reports import ON_ITS_WAY, ChannelRow, channel_counts, reached_members
from .models import Notice, ReadReceipt, Reply
from .questionnaires import answer_text, replies_by_household
from .services import FEED_PAGE_SIZE, audience_condition, done_conditions, live_conditions


@dataclass
class MemberState:
    """One member of a household and what they did with a notice."""

    member_id: int
    name: str
    read_at: datetime | None = None
    via: str | None = None  # app, email or line
    acknowledged_at: datetime | None = None

    @property
    def read(self) -> bool:
        return self.read_at is not None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None


@dataclass
class HouseholdState:
    """A household's state: its first receipt, each member's own, and a leader's record.

    The household is read when any member read it or a leader recorded it (paper or in
    person); for a 要確認 notice it is done when any member pressed 確認しました or a leader
    recorded it (the paper's 確認印).
    """

    household: Household
    ack_required: bool = False
    read_at: datetime | None = None
    via: str | None = None
    reader_name: str | None = None  # the member who read it first (app, email or LINE)
    recorder_name: str | None = None  # the leader who recorded paper or proxy
    acknowledged_at: datetime | None = None
    members: list[MemberState] = field(default_factory=list)
    recorded_via: str | None = None  # paper or proxy: a leader's record for the household
    recorded_at: datetime | None = None

    @property
    def read(self) -> bool:
        return self.read_at is not None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def done(self) -> bool:
        """What the counts count: read, or acknowledged for a 要確認 notice."""
        return self.acknowledged if self.ack_required else self.read


def household_states(notice: Notice, households: list[Household]) -> list[HouseholdState]:
    """Each household's state with each active member's, not done households first
    (two queries)."""
    states = {h.id: HouseholdState(h, ack_required=notice.ack_required) for h in households}
    if not states:
        return []
    members: dict[int, MemberState] = {}
    for member_id, household_id, name in db.session.execute(
        select(Member.id, Member.household_id, Member.name)
        .where(Member.household_id.in_(states), Member.active.is_(True))
        .order_by(Member.id)
    ):
        members[member_id] = MemberState(member_id, name)
        states[household_id].members.append(members[member_id])
    reader = aliased(Member)
    recorder = aliased(Member)
    rows = db.session.execute(
        select(
            ReadReceipt.household_id,
            ReadReceipt.member_id,
            ReadReceipt.read_at,
            ReadReceipt.via,
            ReadReceipt.acknowledged_at,
            reader.name,
            recorder.name,
        )
        .outerjoin(reader, reader.id == ReadReceipt.member_id)
        .outerjoin(recorder, recorder.id == ReadReceipt.recorded_by_id)
        .where(ReadReceipt.notice_id == notice.id, ReadReceipt.household_id.in_(states))
        .order_by(ReadReceipt.read_at, ReadReceipt.id)
    ).all()
    for household_id, member_id, read_at, via, acked_at, reader_name, recorder_name in rows:
        state = states[household_id]
        if state.read_at is None:
            state.read_at, state.via = read_at, via
            state.reader_name, state.recorder_name = reader_name, recorder_name
        if acked_at is not None and (
            state.acknowledged_at is None or acked_at < state.acknowledged_at
        ):
            state.acknowledged_at = acked_at
        if member_id is None:
            if state.recorded_at is None:
                state.recorded_via, state.recorded_at = via, read_at
                state.recorder_name = recorder_name
        elif member_id in members:
            member = members[member_id]
            member.read_at, member.via, member.acknowledged_at = read_at, via, acked_at
        else:
            # A member since moved out or made inactive: their read still counts, and shows.
            state.members.append(MemberState(member_id, reader_name or "", read_at, via, acked_at))
    ordered = list(states.values())
    ordered.sort(key=lambda s: (s.done, s.household.position, s.household.id))
    return ordered


def unreached_households(notice: Notice, households: list[Household]) -> set[int]:
    """The households none of whose members a message of this circular is on its way to or
    was delivered to: the ones paper or a visit must reach (one query)."""
    ids = [h.id for h in households]
    if not ids:
        return set()
    reached = db.session.scalars(
        select(Member.household_id)
        .join(Outbox, Outbox.member_id == Member.id)
        .where(
            Outbox.notice_id == notice.id,
            Outbox.status.in_(ON_ITS_WAY),
            Member.household_id.in_(ids),
        )
        .distinct()
    )
    return set(ids) - set(reached)


@dataclass
class NoticeReach:
    """Reach of a circular's messages by channel, members none reached, reads by way."""

    channels: list[ChannelRow]
    members: int
    unreached: int
    reads: dict[str, int]  # ReadReceipt.via -> households


def notice_reach(notice: Notice) -> NoticeReach:
    """Per channel: members sent to, delivered to; audience members no channel reached;
    households that read it, by how (four queries)."""
    audience = (
        select(func.count(Member.id))
        .join(Household, Member.household_id == Household.id)
        .where(Member.association_id == notice.association_id, Member.active.is_(True))
    )
    if not notice.all_blocks:
        audience = audience.where(Household.block_id.in_(notice.block_ids))
    members = db.session.scalar(audience)
    rows = (Outbox.notice_id == notice.id,)
    reads = dict(
        db.session.execute(
            select(ReadReceipt.via, func.count(func.distinct(ReadReceipt.household_id)))
            .where(ReadReceipt.notice_id == notice.id)
            .group_by(ReadReceipt.via)
        ).all()
    )
    return NoticeReach(
        channels=channel_counts(*rows),
        members=members,
        unreached=max(members - reached_members(*rows), 0),
        reads=reads,
    )


def block_households(block: Block) -> list[Household]:
    return list(
        db.session.scalars(
            select(Household)
            .where(Household.block_id == block.id)
            .order_by(Household.position, Household.id)
        )
    )


def audience_blocks(notice: Notice) -> list[Block]:
    query = select(Block).where(Block.association_id == notice.association_id)
    if not notice.all_blocks:
        query = query.where(Block.id.in_(notice.block_ids))
    return list(db.session.scalars(query.order_by(Block.position, Block.id)))


@dataclass
class BlockRate:
    block: Block
    households: int
    read: int
    members: int = 0  # active members of the block's households
    members_read: int = 0  # of them, those who read it (acknowledged it, for 要確認)

    @property
    def percent(self) -> int:
        return percent(self.read, self.households)


def _household_counts(association_id: int) -> dict[int, int]:
    return dict(
        db.session.execute(
            select(Household.block_id, func.count(Household.id))
            .where(Household.association_id == association_id)
            .group_by(Household.block_id)
        ).all()
    )


def _read_counts(notice_ids: list[int]) -> dict[tuple[int, int], int]:
    """Done households per (notice, block): read, or acknowledged for a 要確認 notice."""
    if not notice_ids:
        return {}
    rows = db.session.execute(
        select(
            ReadReceipt.notice_id,
            Household.block_id,
            func.count(func.distinct(ReadReceipt.household_id)),
        )
        .join(Household, Household.id == ReadReceipt.household_id)
        .join(Notice, Notice.id == ReadReceipt.notice_id)
        .where(ReadReceipt.notice_id.in_(notice_ids), *done_conditions())
        .group_by(ReadReceipt.notice_id, Household.block_id)
    ).all()
    return {(notice_id, block_id): count for notice_id, block_id, count in rows}


def _member_counts(notice: Notice) -> tuple[dict[int, int], dict[int, int]]:
    """Active members per block, and those of them who read (or acknowledged) the notice."""
    members = dict(
        db.session.execute(
            select(Household.block_id, func.count(Member.id))
            .join(Household, Household.id == Member.household_id)
            .where(Member.association_id == notice.association_id, Member.active.is_(True))
            .group_by(Household.block_id)
        ).all()
    )
    done = dict(
        db.session.execute(
            select(Household.block_id, func.count(func.distinct(Member.id)))
            .join(Household, Household.id == Member.household_id)
            .join(ReadReceipt, ReadReceipt.member_id == Member.id)
            .where(
                ReadReceipt.notice_id == notice.id,
                Member.active.is_(True),
                *done_conditions(notice),
            )
            .group_by(Household.block_id)
        ).all()
    )
    return members, done


def block_read_rates(notice: Notice) -> list[BlockRate]:
    """Done households and members per block of the audience, in block order (five queries)."""
    totals = _household_counts(notice.association_id)
    reads = _read_counts([notice.id])
    members, members_read = _member_counts(notice)
    return [
        BlockRate(
            block,
            totals.get(block.id, 0),
            reads.get((notice.id, block.id), 0),
            members.get(block.id, 0),
            members_read.get(block.id, 0),
        )
        for block in audience_blocks(notice)
    ]


def total_rate(rates: list[BlockRate]) -> BlockRate:
    return BlockRate(
        None,
        sum(r.households for r in rates),
        sum(r.read for r in rates),
        sum(r.members for r in rates),
        sum(r.members_read for r in rates),
    )


@dataclass
class NoticeRow:
    """A notice in a list with its read count over the blocks that matter to the viewer."""

    notice: Notice
    households: int
    read: int

    @property
    def percent(self) -> int:
        return percent(self.read, self.households)


def _rows_with_rates(notices: list[Notice], only_blocks: set[int] | None) -> list[NoticeRow]:
    totals = _household_counts(notices[0].association_id) if notices else {}
    reads = _read_counts([n.id for n in notices])
    rows = []
    for notice in notices:
        blocks = set(totals) if notice.all_blocks else notice.block_ids
        if only_blocks is not None:
            blocks &= only_blocks
        rows.append(
            NoticeRow(
                notice,
                sum(totals.get(b, 0) for b in blocks),
                sum(reads.get((notice.id, b), 0) for b in blocks),
            )
        )
    return rows


def officer_notices(
    association_id: int, page: int = 1, per_page: int = FEED_PAGE_SIZE
) -> tuple[list[NoticeRow], bool]:
    """Every notice of the association, newest first, with its read rate."""
    page = max(page, 1)
    notices = list(
        db.session.scalars(
            select(Notice)
            .where(Notice.association_id == association_id)
            .options(selectinload(Notice.audience))
            .order_by(Notice.publish_at.desc(), Notice.id.desc())
            .limit(per_page + 1)
            .offset((page - 1) * per_page)
        )
    )
    return _rows_with_rates(notices[:per_page], None), len(notices) > per_page


def leader_notices(
    member: Member, block_ids: set[int], now: datetime | None = None, page: int = 1
) -> tuple[list[NoticeRow], bool]:
    """Live notices for the leader's blocks, newest first, with the read rate in those blocks."""
    now = now or utcnow()
    page = max(page, 1)
    notices = list(
        db.session.scalars(
            select(Notice)
            .where(*live_conditions(member.association_id, now), audience_condition(block_ids))
            .options(selectinload(Notice.audience))
            .order_by(Notice.published_at.desc(), Notice.id.desc())
            .limit(FEED_PAGE_SIZE + 1)
            .offset((page - 1) * FEED_PAGE_SIZE)
        )
    )
    return _rows_with_rates(notices[:FEED_PAGE_SIZE], block_ids), len(notices) > FEED_PAGE_SIZE


def export_rows(notice: Notice, zone: tzinfo) -> list[list[str]]:
    """Per household of the audience, a row for the household (read state and, one row each,
    its replies) and one for each member (their own read and 確認しました)."""
    blocks = audience_blocks(notice)
    households = list(
        db.session.scalars(
            select(Household)
            .where(Household.block_id.in_([b.id for b in blocks]))
            .order_by(Household.block_id, Household.position, Household.id)
        )
    )
    states = {s.household.id: s for s in household_states(notice, households)}
    questions = list(notice.questions) if notice.reply_kind else []
    replies = replies_by_household(notice, [h.id for h in households]) if questions else {}
    block_names = {b.id: b.name for b in blocks}
    order = {b.id: i for i, b in enumerate(blocks)}
    households.sort(key=lambda h: (order[h.block_id], h.position, h.id))
    vias = {
        "app": _("アプリ"),
        "email": _("メール"),
        "line": "LINE",
        "paper": _("紙"),
        "proxy": _("直接"),
    }

    def when(value: datetime | None) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""

    def state_word(done: bool, read: bool) -> str:
        if done:
            return _("確認済み")
        return _("読んだが未確認") if read else _("未読")

    reply_columns = [_("返信した人"), _("返信の日時")] + [q.label for q in questions]
    no_reply = [""] * len(reply_columns) if questions else []
    rows = [
        [
            _("班"),
            _("世帯"),
            _("紙の回覧"),
            _("人"),
            _("状態"),
            _("既読の日時"),
            _("方法"),
            _("確認しましたの日時"),
            _("記録した人"),
        ]
        + (reply_columns if questions else [])
    ]
    # A household's row (人 is 「世帯」: its state counts any member and a leader's record;
    # one row per reply when a form has several), then one row for each of its members.
    for household in households:
        state = states[household.id]
        common = [
            block_names[household.block_id],
            household.name,
            _("はい") if household.paper_only else "",
        ]
        base = [
            *common,
            _("（世帯）"),
            state_word(state.done, state.read),
            when(state.read_at),
            vias.get(state.via, "") if state.via else "",
            when(state.acknowledged_at),
            state.recorder_name or "" if state.recorded_via else "",
        ]
        if not questions:
            rows.append(base)
        for reply in (replies.get(household.id) or [None]) if questions else []:
            rows.append(base + _reply_cells(reply, questions, zone))
        for person in state.members:
            done = person.acknowledged if notice.ack_required else person.read
            rows.append(
                [
                    *common,
                    person.name,
                    state_word(done, person.read),
                    when(person.read_at),
                    vias.get(person.via, "") if person.via else "",
                    when(person.acknowledged_at),
                    "",
                ]
                + no_reply
            )
    return rows


def _reply_cells(reply: Reply | None, questions: list, zone: tzinfo) -> list[str]:
    if reply is None:
        return [_("未回答"), ""] + [""] * len(questions)
    if reply.by_proxy:
        who = _("%(name)s が紙から入力", name=reply.recorded_by.name if reply.recorded_by else "")
    else:
        who = reply.member.name if reply.member else ""
    return [who, reply.answered_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")] + [
        answer_text(q, reply.answers) for q in questions
    ]
