"""Disaster mode: events, check-in reports, the roll call, the dashboard and retention."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ..audit.services import record
from ..database import utcnow
from ..extensions import db
from ..numbers import percent
from ..org.models import Association, Block, Household, Member
from ..org.services import blocks_of
from ..reach.services import notify
from .messages import event_message
from .models import (
    HELP_KINDS,
    KINDS,
    STATUS_AT_SHELTER,
    STATUS_ELSEWHERE,
    STATUS_NEED_HELP,
    STATUSES,
    CheckIn,
    DisasterEvent,
    HouseholdCheckIn,
    Shelter,
)
from .shelters import is_association_shelter, shelter_states

CURVE_MINUTES = (10, 30, 60, 90)
CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
MAX_HEADCOUNT = 50


class DisasterError(ValueError):
    """A disaster-mode action that cannot be done, with a message for the person who asked."""


class EventAlreadyActive(DisasterError):
    """The association already runs an event."""


class EventEnded(DisasterError):
    """The event has ended: no more reports or changes."""


class EventNotFound(DisasterError):
    """A report names an event the reporter's association does not have."""


class ReportEnded(EventEnded):
    """A report made for an event that is no longer the association's active one.

    It is never stored in another event: the member must report again for the current one.
    """

    def __init__(self, message: str, event_id: int, active_event_id: int | None):
        super().__init__(message)
        self.event_id = event_id
        self.active_event_id = active_event_id


class ReportConflict(DisasterError):
    """A report sent again with the same client_id but different content; the stored one holds."""

    def __init__(self, message: str, stored: CheckIn, member_ids: list[int]):
        super().__init__(message)
        self.stored = stored
        self.member_ids = member_ids


class NotAllowed(DisasterError):
    """The reporter may not report for one of the members."""


# --- events -----------------------------------------------------------------------------


# Asked on every page (the banner) and by the phones' polling: built once.
_ACTIVE_EVENT = select(DisasterEvent).where(
    DisasterEvent.active_association_id == bindparam("association_id")
)


def active_event(association_id: int) -> DisasterEvent | None:
    """The association's running event, if any."""
    return db.session.scalar(_ACTIVE_EVENT, {"association_id": association_id})


def start_event(
    association: Association,
    *,
    kind: str,
    title: str,
    message: str,
    drill: bool,
    started_by: Member | None = None,
    source: dict | None = None,
) -> DisasterEvent:
    """Start disaster mode and notify every member with high urgency (flushes)."""
    title = (title or "").strip()
    message = (message or "").strip()
    if kind not in KINDS:
        raise DisasterError(_("災害の種類が正しくありません。"))
    if not title:
        raise DisasterError(_("題名を入れてください。"))
    if len(title) > 200 or len(message) > 2000:
        raise DisasterError(_("文字数が多すぎます。"))
    if source is not None and not isinstance(source, dict):
        raise DisasterError(_("発表元の情報が正しくありません。"))
    if active_event(association.id) is not None:
        raise EventAlreadyActive(_("すでに災害モードです。先に終わらせてください。"))

    event = DisasterEvent(
        association_id=association.id,
        active_association_id=association.id,
        kind=kind,
        title=title,
        message=message,
        drill=bool(drill),
        source=source,
        started_at=utcnow(),
        started_by_id=started_by.id if started_by is not None else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(event)
            db.session.flush()
    except IntegrityError:
        raise EventAlreadyActive(_("すでに災害モードです。先に終わらせてください。")) from None
    record(
        "disaster.start",
        association_id=association.id,
        actor=started_by,
        target=event,
        kind=kind,
        drill=bool(drill),
        source=(source or {}).get("type"),
    )
    members = active_members(association.id)
    # What it reached, for the page that started it (and the leaders' call lists).
    event.reach = notify(members, event_message(event))
    return event


def active_members(association_id: int) -> list[Member]:
    """Every active member of the association: whom an event's start goes to."""
    return list(
        db.session.scalars(
            select(Member).where(Member.association_id == association_id, Member.active.is_(True))
        )
    )


def end_event(event: DisasterEvent, ended_by: Member | None) -> DisasterEvent:
    """End disaster mode and keep its summary (flushes)."""
    if event.ended_at is not None:
        raise EventEnded(_("この災害モードは終わっています。"))
    now = utcnow()
    event.summary = compute_summary(event, now)
    event.ended_at = now
    event.ended_by_id = ended_by.id if ended_by is not None else None
    event.active_association_id = None
    record(
        "disaster.end",
        association_id=event.association_id,
        actor=ended_by,
        target=event,
    )
    db.session.flush()
    return event


def past_events(association_id: int, limit: int = 20) -> list[DisasterEvent]:
    return list(
        db.session.scalars(
            select(DisasterEvent)
            .where(
                DisasterEvent.association_id == association_id,
                DisasterEvent.ended_at.is_not(None),
            )
            .order_by(DisasterEvent.started_at.desc())
            .limit(limit)
        )
    )


# --- check-in -----------------------------------------------------------------------------


@dataclass
class CheckInResult:
    stored: int  # rows written now; 0 when the same report had already been stored
    member_ids: list[int]
    event_id: int

    @property
    def duplicate(self) -> bool:
        return self.stored == 0


def _reportable(reporter: Member, target_household_id: int | None, target_block_id: int | None):
    """Self and own household always; block leaders for their blocks; officers for all."""
    if reporter.household_id is not None and target_household_id == reporter.household_id:
        return True
    if reporter.is_officer:
        return True
    return target_block_id is not None and target_block_id in reporter.led_block_ids


def _checked_targets(event: DisasterEvent, reporter: Member, ids: list[int]) -> dict[int, int]:
    """The household of each member reported for, after checking the reporter may do so."""
    targets = db.session.execute(
        select(Member.id, Member.household_id, Household.block_id)
        .outerjoin(Household, Member.household_id == Household.id)
        .where(
            Member.id.in_(ids),
            Member.association_id == event.association_id,
            Member.active.is_(True),
        )
    ).all()
    if len(targets) != len(ids):
        raise DisasterError(_("知らせる人の指定が正しくありません。"))
    for row in targets:
        if row.id != reporter.id and not _reportable(reporter, row.household_id, row.block_id):
            raise NotAllowed(_("この人の安否は知らせられません。"))
    return {row.id: row.household_id for row in targets}


_INSERT_STATEMENTS: dict[str, object] = {}


def _insert_checkins():
    """INSERT ... ON CONFLICT DO NOTHING RETURNING member_id, built once per dialect.

    The unique constraint on (event, member, client_id) makes a resent report, even two
    racing ones, land once; RETURNING tells which rows are new. It is a Core insert into the
    table: the rows are plain dicts, and the ORM's bulk machinery would only add work.
    """
    name = db.engine.dialect.name
    if name not in _INSERT_STATEMENTS:
        insert = postgresql.insert if name == "postgresql" else sqlite.insert
        table = CheckIn.__table__
        _INSERT_STATEMENTS[name] = (
            insert(table)
            .on_conflict_do_nothing(index_elements=["event_id", "member_id", "client_id"])
            .returning(table.c.member_id)
        )
    return _INSERT_STATEMENTS[name]


@dataclass(frozen=True)
class Report:
    """A check-in report after the checks that need no database."""

    event_id: int  # the event the member reported for: it is stored there or nowhere
    status: str
    client_id: str
    member_ids: tuple[int, ...] | None  # without repeats; None = the reporter alone
    shelter_id: int | None
    place: str
    help_kind: str
    note: str
    headcount: int | None


def clean_report(
    *,
    event_id: int | None,
    status: str,
    client_id: str,
    member_ids: list[int] | None = None,
    shelter_id: int | None = None,
    place: str = "",
    help_kind: str = "",
    note: str = "",
    headcount: int | None = None,
) -> Report:
    """Check and normalise a report's fields; raises DisasterError with a message."""
    if not isinstance(event_id, int) or isinstance(event_id, bool) or event_id <= 0:
        raise DisasterError(_("画面が古くなっていました。もう一度知らせてください。"))
    if status not in STATUSES:
        raise DisasterError(_("状態を選んでください。"))
    client_id = (client_id or "").strip()
    if not CLIENT_ID.match(client_id):
        raise DisasterError(_("この画面は古くなっています。画面を開き直してください。"))
    ids = tuple(dict.fromkeys(member_ids)) if member_ids else None
    count = len(ids) if ids else 1
    if count > MAX_HEADCOUNT:
        raise DisasterError(_("一度に知らせる人が多すぎます。"))
    place = (place or "").strip()
    note = (note or "").strip()
    if len(place) > 200 or len(note) > 1000:
        raise DisasterError(_("文字数が多すぎます。"))
    if status == STATUS_AT_SHELTER:
        if shelter_id is None:
            raise DisasterError(_("避難所を選んでください。"))
    else:
        shelter_id = None
    if status == STATUS_ELSEWHERE and not place:
        raise DisasterError(_("どこにいるかを書いてください。"))
    if status != STATUS_ELSEWHERE:
        place = ""
    if status == STATUS_NEED_HELP:
        if help_kind not in HELP_KINDS:
            raise DisasterError(_("どんな助けが必要かを選んでください。"))
    else:
        help_kind = ""
    if headcount is not None and not count <= headcount <= MAX_HEADCOUNT:
        raise DisasterError(
            _("人数は %(low)s から %(high)s までにしてください。", low=count, high=MAX_HEADCOUNT)
        )
    return Report(event_id, status, client_id, ids, shelter_id, place, help_kind, note, headcount)


def reported_event(association_id: int, event_id: int) -> DisasterEvent:
    """The event a report was made for, if it may still take reports; raises otherwise.

    A report is stored in the event it names or nowhere: one queued or resent during an event
    that has ended (a drill, say) must not become the member's status in the next one.
    """
    event = db.session.get(DisasterEvent, event_id)
    if event is None or event.association_id != association_id:
        raise EventNotFound(_("この災害モードは見つかりません。"))
    if event.ended_at is not None:
        active = active_event(association_id)
        raise ReportEnded(
            _("この知らせは、終わった災害モードのものなので、数えていません。")
            if active is None
            else _(
                "この知らせは、終わった災害モードのものなので、いまの災害には数えていません。"
                "もう一度知らせてください。"
            ),
            event_id,
            active.id if active is not None else None,
        )
    return event


# What makes two reports with the same client_id the same report.
_CONTENT = ("reporter_id", "status", "shelter_id", "place", "help_kind", "note", "extra_people")


def _check_resend(event_id: int, rows: list[dict], stored: set[int]) -> None:
    """Raise ReportConflict unless the rows not stored now are the same report stored before."""
    ids = [row["member_id"] for row in rows if row["member_id"] not in stored]
    earlier = {
        checkin.member_id: checkin
        for checkin in db.session.scalars(
            select(CheckIn).where(
                CheckIn.event_id == event_id,
                CheckIn.member_id.in_(ids),
                CheckIn.client_id == rows[0]["client_id"],
            )
        )
    }
    same = not stored and all(
        all(getattr(earlier[row["member_id"]], name) == row[name] for name in _CONTENT)
        for row in rows
    )
    if not same:
        first = earlier.get(ids[0]) or next(iter(earlier.values()))
        raise ReportConflict(
            _("この知らせは、前に別の内容で届いています。前に届いた知らせを残します。"),
            first,
            [member_id for member_id in ids if member_id in earlier],
        )


def submit_checkin(reporter: Member, *, channel: str = "app", **fields) -> CheckInResult:
    """Store one report for one or more members in the event it names; a resend is a no-op.

    `channel` says how a member's own report came ("app", or "email"/"line" for a one-tap
    answer); a report for someone else is always "proxy".

    `fields` are those of clean_report(). Raises ReportEnded when that event is no longer the
    association's active one, and ReportConflict when the same client_id came with different
    content before (nothing is stored then; the caller rolls back).
    """
    report = clean_report(**fields)
    event = reported_event(reporter.association_id, report.event_id)
    if report.shelter_id is not None and not is_association_shelter(
        event.association_id, report.shelter_id
    ):
        raise DisasterError(_("その避難所は選べません。"))
    ids = list(report.member_ids or [reporter.id])
    headcount = report.headcount if report.headcount is not None else len(ids)

    if ids == [reporter.id]:
        # The common case, a member reporting for themselves: nothing more to load.
        household_of = {reporter.id: reporter.household_id}
    else:
        household_of = _checked_targets(event, reporter, ids)

    now = utcnow()
    rows = [
        {
            "association_id": event.association_id,
            "event_id": event.id,
            "member_id": member_id,
            "household_id": household_of[member_id],
            "reporter_id": reporter.id,
            "proxy": member_id != reporter.id,
            "channel": "proxy" if member_id != reporter.id else channel,
            "status": report.status,
            "shelter_id": report.shelter_id,
            "place": report.place,
            "help_kind": report.help_kind,
            "note": report.note,
            "extra_people": headcount - len(ids) if index == 0 else 0,
            "client_id": report.client_id,
            "created_at": now,
        }
        for index, member_id in enumerate(ids)
    ]
    stored = set(db.session.scalars(_insert_checkins(), rows))
    if len(stored) < len(rows):
        _check_resend(event.id, rows, stored)
    return CheckInResult(stored=len(stored), member_ids=ids, event_id=event.id)


def latest_per_member(model, event_id: int, member_ids: list[int] | None = None, *options):
    """Each member's latest row of `model` (CheckIn, CallOutcome) in an event, by member id
    (one query); `member_ids` narrows it, `options` are loader options."""
    latest = select(func.max(model.id)).where(
        model.event_id == event_id, model.member_id.is_not(None)
    )
    if member_ids is not None:
        if not member_ids:
            return {}
        latest = latest.where(model.member_id.in_(member_ids))
    latest = latest.group_by(model.member_id)
    rows = db.session.scalars(select(model).where(model.id.in_(latest)).options(*options))
    return {row.member_id: row for row in rows}


def latest_checkins(event_id: int, member_ids: list[int] | None = None) -> dict[int, CheckIn]:
    """Each member's latest report in an event."""
    return latest_per_member(CheckIn, event_id, member_ids, selectinload(CheckIn.shelter))


def latest_household_checkins(
    event_id: int, household_ids: list[int] | None = None
) -> dict[int, HouseholdCheckIn]:
    """Each household's latest report in an event (households without member records)."""
    latest = select(func.max(HouseholdCheckIn.id)).where(HouseholdCheckIn.event_id == event_id)
    if household_ids is not None:
        if not household_ids:
            return {}
        latest = latest.where(HouseholdCheckIn.household_id.in_(household_ids))
    latest = latest.group_by(HouseholdCheckIn.household_id)
    rows = db.session.scalars(
        select(HouseholdCheckIn)
        .where(HouseholdCheckIn.id.in_(latest))
        .options(selectinload(HouseholdCheckIn.shelter))
    )
    return {row.household_id: row for row in rows}


def without_members(association_id: int):
    """A condition on Household: it has no active member records (a paper-only household
    the roster lists by its name alone). Such a household is reported for as a whole."""
    return (
        ~select(Member.id)
        .where(
            Member.household_id == Household.id,
            Member.active.is_(True),
            Member.association_id == association_id,
        )
        .exists()
    )


def reporter_names(checkins) -> dict[int, str]:
    """The names of those who made the given reports, by member id (one query)."""
    ids = {c.reporter_id for c in checkins if c.reporter_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(Member.id, Member.name).where(Member.id.in_(ids))).all())


def household_members(member: Member) -> list[Member]:
    """The members a member may report for from the check-in page: self and household."""
    if member.household_id is None:
        return [member]
    return list(
        db.session.scalars(
            select(Member)
            .where(Member.household_id == member.household_id, Member.active.is_(True))
            .options(joinedload(Member.household))  # its place orders the shelters
            .order_by(Member.id)
        )
    )


# --- roll call ------------------------------------------------------------------------------

PRIORITY_NEED_HELP = 0
PRIORITY_ASSISTANCE = 1
PRIORITY_UNREPORTED = 2
PRIORITY_REPORTED = 3


@dataclass
class MemberLine:
    """A member with the latest report; or, with `member` None, a household without member
    records with its latest HouseholdCheckIn."""

    member: Member | None
    checkin: CheckIn | HouseholdCheckIn | None
    reporter_name: str = ""
    household: Household | None = None

    @property
    def name(self) -> str:
        if self.member is not None:
            return self.member.name
        return self.household.name if self.household is not None else ""


@dataclass
class HouseholdLine:
    household: Household
    block: Block
    members: list[MemberLine] = field(default_factory=list)
    # The latest report for the household as a whole, when it has no member records.
    report: HouseholdCheckIn | None = None
    reporter_name: str = ""

    @property
    def priority(self) -> int:
        if not self.members:
            if self.report is not None and self.report.status == STATUS_NEED_HELP:
                return PRIORITY_NEED_HELP
            if self.report is None and self.household.needs_assistance:
                return PRIORITY_ASSISTANCE
            return PRIORITY_UNREPORTED if self.report is None else PRIORITY_REPORTED
        if any(m.checkin and m.checkin.status == STATUS_NEED_HELP for m in self.members):
            return PRIORITY_NEED_HELP
        unreported = any(m.checkin is None for m in self.members)
        if unreported and self.household.needs_assistance:
            return PRIORITY_ASSISTANCE
        if unreported:
            return PRIORITY_UNREPORTED
        return PRIORITY_REPORTED


def rollcall(event: DisasterEvent, block_ids: list[int]) -> list[HouseholdLine]:
    """Households of the blocks in roll-call order: need help, needs assistance, unreported,
    reported; each member with their latest report."""
    if not block_ids:
        return []
    households = db.session.execute(
        select(Household, Block)
        .join(Block, Household.block_id == Block.id)
        .where(Household.association_id == event.association_id, Block.id.in_(block_ids))
        .order_by(Block.position, Household.position, Household.id)
    ).all()
    lines = {h.id: HouseholdLine(h, b) for h, b in households}
    members = list(
        db.session.scalars(
            select(Member)
            .where(Member.household_id.in_(list(lines)), Member.active.is_(True))
            .order_by(Member.id)
        )
    )
    latest = latest_checkins(event.id, [m.id for m in members])
    with_members = {m.household_id for m in members}
    reports = latest_household_checkins(event.id, [h for h in lines if h not in with_members])
    names = reporter_names([*latest.values(), *reports.values()])
    for member in members:
        checkin = latest.get(member.id)
        reporter = names.get(checkin.reporter_id, "") if checkin else ""
        lines[member.household_id].members.append(MemberLine(member, checkin, reporter))
    for household_id, report in reports.items():
        lines[household_id].report = report
        lines[household_id].reporter_name = names.get(report.reporter_id, "")
    ordered = list(lines.values())
    ordered.sort(key=lambda line: line.priority)  # stable: keeps block and household order
    return ordered


def rollcall_version(event: DisasterEvent, block_ids: list[int]) -> str:
    """A cheap fingerprint of what the roll call shows, for its ETag."""
    if not block_ids:
        return f"{event.id}-{event.ended_at is not None}-empty"
    households = select(Household.id).where(
        Household.association_id == event.association_id, Household.block_id.in_(block_ids)
    )
    reports = select(func.count(HouseholdCheckIn.id), func.max(HouseholdCheckIn.id)).where(
        HouseholdCheckIn.event_id == event.id, HouseholdCheckIn.household_id.in_(households)
    )
    checkins = db.session.execute(
        select(
            func.count(CheckIn.id),
            func.max(CheckIn.id),
            reports.with_only_columns(func.count(HouseholdCheckIn.id)).scalar_subquery(),
            reports.with_only_columns(func.max(HouseholdCheckIn.id)).scalar_subquery(),
        ).where(CheckIn.event_id == event.id, CheckIn.household_id.in_(households))
    ).one()
    members = db.session.execute(
        select(func.count(Member.id), func.max(Member.id)).where(
            Member.household_id.in_(households), Member.active.is_(True)
        )
    ).one()
    ended = event.ended_at is not None
    return (
        f"{event.id}-{ended}-{checkins[0]}-{checkins[1]}-{members[0]}-{members[1]}"
        f"-{checkins[2]}-{checkins[3]}"
    )


# --- the officers' dashboard -------------------------------------------------------------------


@dataclass
class BlockRate:
    block: Block
    total: int
    reported: int

    @property
    def rate(self) -> float:
        return self.reported / self.total if self.total else 0.0

    @property
    def percent(self) -> int:
        return percent(self.reported, self.total)


@dataclass
class ShelterCount:
    shelter: Shelter
    people: int
    capacity: int | None
    is_open: bool | None
    full: bool = False  # marked 満員 by an officer


@dataclass
class Dashboard:
    total: int
    reported: int
    by_status: dict[str, int]
    blocks: list[BlockRate]
    shelters: list[ShelterCount]
    need_help: list[MemberLine]
    unreported: list[tuple[Member, Household | None, Block | None]]
    curve: list[tuple[int, float | None]]

    @property
    def rate(self) -> float:
        return self.reported / self.total if self.total else 0.0

    @property
    def percent(self) -> int:
        return percent(self.reported, self.total)


def _association_members(association_id: int):
    return db.session.execute(
        select(Member, Household, Block)
        .outerjoin(Household, Member.household_id == Household.id)
        .outerjoin(Block, Household.block_id == Block.id)
        .where(Member.association_id == association_id, Member.active.is_(True))
        .order_by(Block.position, Household.position, Household.id, Member.id)
    ).all()


def _association_entries(association_id: int) -> list:
    """Whom the totals count: every active member, and every household without member
    records (as `(None, household, block)`), in block and household order."""
    rows = list(_association_members(association_id))
    rows += [
        (None, household, block)
        for household, block in db.session.execute(
            select(Household, Block)
            .join(Block, Household.block_id == Block.id)
            .where(Household.association_id == association_id, without_members(association_id))
        ).all()
    ]
    rows.sort(
        key=lambda row: (
            row[2] is None,
            row[2].position if row[2] else 0,
            row[2].id if row[2] else 0,
            row[1].position if row[1] else 0,
            row[1].id if row[1] else 0,
            row[0].id if row[0] else 0,
        )
    )
    return rows


def response_curve(
    event: DisasterEvent, total: int, now: datetime | None = None
) -> list[tuple[int, float | None]]:
    """Share of members (and households without member records) who had reported 10, 30,
    60 and 90 minutes after the start; None for a time that has not come yet (or came
    after the event ended): that column is not filled."""
    now = now or utcnow()
    if event.ended_at is not None:
        now = min(now, event.ended_at)
    firsts = db.session.scalars(
        select(func.min(CheckIn.created_at))
        .where(CheckIn.event_id == event.id)
        .group_by(CheckIn.member_id)
    ).all()
    firsts += db.session.scalars(
        select(func.min(HouseholdCheckIn.created_at))
        .where(HouseholdCheckIn.event_id == event.id)
        .group_by(HouseholdCheckIn.household_id)
    ).all()
    firsts = [f if f.tzinfo else f.replace(tzinfo=event.started_at.tzinfo) for f in firsts]
    curve = []
    for minutes in CURVE_MINUTES:
        limit = event.started_at + timedelta(minutes=minutes)
        if limit > now:
            curve.append((minutes, None))
            continue
        count = sum(1 for first in firsts if first <= limit)
        curve.append((minutes, count / total if total else 0.0))
    return curve


def dashboard(event: DisasterEvent, now: datetime | None = None) -> Dashboard:
    """Totals, rate per block, shelter headcounts, the need-help and unreported lists."""
    association = db.session.get(Association, event.association_id)
    rows = _association_entries(event.association_id)
    latest = latest_checkins(event.id)
    reports = latest_household_checkins(event.id)
    by_status: Counter = Counter()
    per_block: dict[int, BlockRate] = {
        b.id: BlockRate(b, 0, 0) for b in blocks_of(event.association_id)
    }
    unreported = []
    need_help = []
    people_at: Counter = Counter()
    names = reporter_names([*latest.values(), *reports.values()])
    for member, household, block in rows:
        checkin = latest.get(member.id) if member is not None else reports.get(household.id)
        rate = per_block.get(block.id) if block else None
        if rate:
            rate.total += 1
        if checkin is None:
            unreported.append((member, household, block))
            continue
        if rate:
            rate.reported += 1
        by_status[checkin.status] += 1
        if checkin.status == STATUS_NEED_HELP:
            reporter = names.get(checkin.reporter_id, "")
            need_help.append(MemberLine(member, checkin, reporter, household))
        if checkin.status == STATUS_AT_SHELTER and checkin.shelter_id:
            people_at[checkin.shelter_id] += 1 + checkin.extra_people
    unreported.sort(key=lambda row: not (row[1] and row[1].needs_assistance))

    shelters = []
    seen = set()
    for state in shelter_states(association, event.id):
        seen.add(state.shelter.id)
        shelters.append(
            ShelterCount(
                state.shelter,
                people_at.get(state.shelter.id, 0),
                state.capacity,
                state.is_open,
                state.full,
            )
        )
    for shelter_id in set(people_at) - seen:  # a shelter removed from the choice meanwhile
        shelter = db.session.get(Shelter, shelter_id)
        if shelter is not None:
            shelters.append(ShelterCount(shelter, people_at[shelter_id], shelter.capacity, None))
    total = len(rows)
    reported = total - len(unreported)
    return Dashboard(
        total=total,
        reported=reported,
        by_status={status: by_status.get(status, 0) for status in STATUSES},
        blocks=list(per_block.values()),
        shelters=shelters,
        need_help=need_help,
        unreported=unreported,
        curve=response_curve(event, total, now),
    )


def compute_summary(event: DisasterEvent, ended_at: datetime | None = None) -> dict:
    """What is kept of an event once the personal details are deleted: counts only."""
    from .calls import event_reach  # the call list builds on this module

    board = dashboard(event, ended_at)
    reach = event_reach(event, board.total)
    return {
        "total": board.total,
        "reported": board.reported,
        "by_status": board.by_status,
        "blocks": [
            {"name": b.block.name, "total": b.total, "reported": b.reported} for b in board.blocks
        ],
        "shelters": [
            {"name": s.shelter.name, "people": s.people, "capacity": s.capacity}
            for s in board.shelters
            if s.people
        ],
        "curve": [
            [minutes, round(share, 4) if share is not None else None]
            for minutes, share in board.curve
        ],
        "need_help": len(board.need_help),
        # How the messages reached members (the outbox is pruned after a month).
        "reach": {
            "channels": [
                {"channel": r.channel, "sent": r.sent, "delivered": r.delivered}
                for r in reach.channels
            ],
            "unreached": reach.unreached,
            "answers": reach.answers,
            "calls": reach.calls,
        },
        "ended_at": (ended_at or utcnow()).isoformat(),
    }


def export_rows(
    event: DisasterEvent, zone: tzinfo, status_labels: dict[str, str], help_labels: dict[str, str]
) -> list[list[str]]:
    """The CSV export: one line per member (and per household without member records) with
    the latest report, headers and labels in the officer's language, times in `zone`."""
    latest = latest_checkins(event.id)
    reports = latest_household_checkins(event.id)
    names = dict(
        db.session.execute(
            select(Member.id, Member.name).where(Member.association_id == event.association_id)
        ).all()
    )
    lines = [
        [
            _("班"),
            _("世帯"),
            _("名前"),
            _("電話"),
            _("住所"),
            _("避難に手助けが必要"),
            _("様子"),
            _("避難所"),
            _("別の場所"),
            _("必要な助け"),
            _("メモ"),
            _("いっしょにいる人数"),
            _("報告の日時"),
            _("知らせた人"),
            _("代わりに入力"),
        ]
    ]
    for member, household, block in _association_entries(event.association_id):
        checkin = latest.get(member.id) if member is not None else reports.get(household.id)
        if member is not None:
            name = member.name
            people = str(1 + checkin.extra_people) if checkin else ""
        else:
            name = _("（世帯として）")
            people = str(checkin.headcount) if checkin else ""
        lines.append(
            [
                block.name if block else "",
                household.name if household else "",
                name,
                household.phone if household else "",
                f"{household.town}{household.address_line}" if household else "",
                _("はい") if household and household.needs_assistance else "",
                status_labels.get(checkin.status, checkin.status) if checkin else _("まだ"),
                checkin.shelter.name if checkin and checkin.shelter else "",
                checkin.place if checkin else "",
                help_labels.get(checkin.help_kind, "") if checkin else "",
                checkin.note if checkin else "",
                people,
                checkin.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if checkin else "",
                names.get(checkin.reporter_id, "") if checkin else "",
                (_("はい") if checkin.proxy else "") if checkin else "",
            ]
        )
    return lines


# --- scheduled work -----------------------------------------------------------------------------


def unreported_members(event: DisasterEvent) -> list[Member]:
    reported = select(CheckIn.member_id).where(CheckIn.event_id == event.id)
    return list(
        db.session.scalars(
            select(Member).where(
                Member.association_id == event.association_id,
                Member.active.is_(True),
                Member.household_id.is_not(None),
                Member.id.not_in(reported),
            )
        )
    )


def send_due_reminders(now: datetime) -> int:
    """Remind unreported members of running events every M minutes, at most K times.

    The counter is advanced with a compare-and-set, so two workers never send the same reminder.
    """
    sent = 0
    events = db.session.execute(
        select(DisasterEvent, Association)
        .join(Association, DisasterEvent.association_id == Association.id)
        .where(DisasterEvent.active_association_id.is_not(None))
    ).all()
    for event, association in events:
        every = max(int(association.setting("checkin_reminder_minutes")), 1)
        at_most = int(association.setting("checkin_reminder_max"))
        due = min(int((now - event.started_at) / timedelta(minutes=every)), at_most)
        if due <= event.reminders_sent:
            continue
        claimed = db.session.execute(
            update(DisasterEvent)
            .where(
                DisasterEvent.id == event.id,
                DisasterEvent.reminders_sent == event.reminders_sent,
            )
            .values(reminders_sent=due)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            continue
        notify(unreported_members(event), event_message(event, reminder=True))
        sent += 1
    return sent


def delete_expired_details(now: datetime) -> int:
    """Delete personal check-in details of events ended longer ago than the retention period."""
    deleted = 0
    events = db.session.execute(
        select(DisasterEvent, Association)
        .join(Association, DisasterEvent.association_id == Association.id)
        .where(DisasterEvent.ended_at.is_not(None), DisasterEvent.details_deleted_at.is_(None))
    ).all()
    for event, association in events:
        days = int(association.setting("checkin_retention_days"))
        if now - event.ended_at < timedelta(days=days):
            continue
        result = db.session.execute(delete(CheckIn).where(CheckIn.event_id == event.id))
        db.session.execute(delete(HouseholdCheckIn).where(HouseholdCheckIn.event_id == event.id))
        event.details_deleted_at = now
        record(
            "disaster.details_deleted",
            association_id=event.association_id,
            target=event,
            rows=result.rowcount,
        )
        deleted += 1
    db.session.flush()
    return deleted
