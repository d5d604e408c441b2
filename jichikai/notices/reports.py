"""What leaders and officers see: households' read state, read rates, replies, exports."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
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
from .models import Notice, ReadReceipt, Reply, ReplyOption
from .services import FEED_PAGE_SIZE, audience_condition, live_conditions


@dataclass
class HouseholdState:
    household: Household
    read_at: datetime | None = None
    via: str | None = None
    reader_name: str | None = None  # the member who read it in the app
    recorder_name: str | None = None  # the leader who recorded paper or proxy

    @property
    def read(self) -> bool:
        return self.read_at is not None


def household_states(notice: Notice, households: list[Household]) -> list[HouseholdState]:
    """Each household's first receipt of a notice, unread households first (one query)."""
    states = {h.id: HouseholdState(h) for h in households}
    if states:
        reader = aliased(Member)
        recorder = aliased(Member)
        rows = db.session.execute(
            select(
                ReadReceipt.household_id,
                ReadReceipt.read_at,
                ReadReceipt.via,
                reader.name,
                recorder.name,
            )
            .outerjoin(reader, reader.id == ReadReceipt.member_id)
            .outerjoin(recorder, recorder.id == ReadReceipt.recorded_by_id)
            .where(ReadReceipt.notice_id == notice.id, ReadReceipt.household_id.in_(states))
            .order_by(ReadReceipt.read_at, ReadReceipt.id)
        ).all()
        for household_id, read_at, via, reader_name, recorder_name in rows:
            state = states[household_id]
            if state.read_at is None:
                state.read_at, state.via = read_at, via
                state.reader_name, state.recorder_name = reader_name, recorder_name
    ordered = list(states.values())
    ordered.sort(key=lambda s: (s.read, s.household.position, s.household.id))
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
    """Read households per (notice, block)."""
    if not notice_ids:
        return {}
    rows = db.session.execute(
        select(
            ReadReceipt.notice_id,
            Household.block_id,
            func.count(func.distinct(ReadReceipt.household_id)),
        )
        .join(Household, Household.id == ReadReceipt.household_id)
        .where(ReadReceipt.notice_id.in_(notice_ids))
        .group_by(ReadReceipt.notice_id, Household.block_id)
    ).all()
    return {(notice_id, block_id): count for notice_id, block_id, count in rows}


def block_read_rates(notice: Notice) -> list[BlockRate]:
    """Read households per block of the audience, in block order (three queries)."""
    totals = _household_counts(notice.association_id)
    reads = _read_counts([notice.id])
    return [
        BlockRate(block, totals.get(block.id, 0), reads.get((notice.id, block.id), 0))
        for block in audience_blocks(notice)
    ]


def total_rate(rates: list[BlockRate]) -> BlockRate:
    return BlockRate(None, sum(r.households for r in rates), sum(r.read for r in rates))


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


@dataclass
class Tally:
    options: list[ReplyOption]
    by_block: dict[int, dict[int, int]]  # block id -> option id -> count
    totals: dict[int, int]


def reply_tallies(notice: Notice) -> Tally:
    """Answers per option and block (one query)."""
    rows = db.session.execute(
        select(Household.block_id, Reply.option_id, func.count(Reply.id))
        .join(Household, Household.id == Reply.household_id)
        .where(Reply.notice_id == notice.id)
        .group_by(Household.block_id, Reply.option_id)
    ).all()
    by_block: dict[int, dict[int, int]] = defaultdict(dict)
    totals: dict[int, int] = defaultdict(int)
    for block_id, option_id, count in rows:
        by_block[block_id][option_id] = count
        totals[option_id] += count
    return Tally(list(notice.options), dict(by_block), dict(totals))


def export_rows(notice: Notice, zone: tzinfo) -> list[list[str]]:
    """One row per household of the audience: block, household, read state and replies."""
    blocks = audience_blocks(notice)
    households = list(
        db.session.scalars(
            select(Household)
            .where(Household.block_id.in_([b.id for b in blocks]))
            .order_by(Household.block_id, Household.position, Household.id)
        )
    )
    states = {s.household.id: s for s in household_states(notice, households)}
    answers: dict[int, list[str]] = defaultdict(list)
    if notice.reply_kind:
        labels = {o.id: o.label for o in notice.options}
        for reply in db.session.scalars(
            select(Reply).where(Reply.notice_id == notice.id).order_by(Reply.id)
        ):
            text = labels.get(reply.option_id, "")
            if reply.note:
                text += f"（{reply.note}）"
            answers[reply.household_id].append(text)
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
    rows = [
        [
            _("班"),
            _("世帯"),
            _("紙の回覧"),
            _("既読"),
            _("既読の日時"),
            _("方法"),
            _("読んだ人・記録した人"),
            _("返信"),
        ]
    ]
    for household in households:
        state = states[household.id]
        rows.append(
            [
                block_names[household.block_id],
                household.name,
                _("はい") if household.paper_only else "",
                _("既読") if state.read else _("未読"),
                state.read_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if state.read_at else "",
                vias.get(state.via, "") if state.via else "",
                state.reader_name or state.recorder_name or "",
                " / ".join(answers.get(household.id, [])),
            ]
        )
    return rows
