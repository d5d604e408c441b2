"""The block leader's call list (連絡リスト): whom to call or visit, and the leaders' alert.

A member is on their block's call list while they have not answered (no check-in) and either
no channel reaches them (none of this event's messages to them is on its way or delivered)
or `escalation_minutes` have passed since the start. A call or visit recorded as 電話で確認 or
訪問して確認 takes them off; つながらない keeps them on, with the time it was tried.

The list is computed from the check-ins, the outbox and the call outcomes, so there is
nothing to keep in step: a member who answers by any channel, or whom a leader answers for,
leaves it by that alone. Once per event, when the delay has passed, the leaders of blocks
with someone on the list are alerted on every channel they have; blocks whose leaders no
channel reaches (or with no leader) go to the officers, so that a named person knows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from flask_babel import gettext as _
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from ..database import utcnow
from ..extensions import db
from ..i18n import member_language
from ..links import absolute
from ..org.models import (
    ROLE_ADMIN,
    ROLE_LEADER,
    ROLE_OFFICER,
    Association,
    Block,
    Household,
    Member,
    RoleAssignment,
)
from ..push.models import Outbox
from ..push.services import DISASTER_TTL, KIND_DISASTER
from ..reach.models import CHANNEL_PUSH, CHANNELS
from ..reach.reports import (
    ON_ITS_WAY,
    ChannelRow,
    channel_counts,
    reach_summary,
    reached_members,
)
from ..reach.services import Action, Envelope, Message, Reach, notify
from .messages import call_question
from .models import (
    OUTCOME_UNREACHABLE,
    OUTCOMES,
    OUTCOMES_OPEN,
    CallOutcome,
    CheckIn,
    DisasterEvent,
    HouseholdCheckIn,
)
from .services import (
    CLIENT_ID,
    DisasterError,
    EventEnded,
    HouseholdLine,
    latest_per_member,
    without_members,
)

# The outbox kinds that ask the member about their own safety (not the leaders' alerts).
MEMBER_KINDS = ("disaster", "reminder")
LABEL_ESCALATION = "escalation"

REASON_NO_CHANNEL = "no_channel"  # no channel reaches them: on the list at once
REASON_NO_ANSWER = "no_answer"  # reached, but no answer after the delay

MAX_NOTE = 500


# --- what each channel did ----------------------------------------------------------------

STATE_DELIVERED = "delivered"
STATE_ON_ITS_WAY = "on_its_way"
STATE_NOT_DELIVERED = "not_delivered"
_RANK = {STATE_DELIVERED: 0, STATE_ON_ITS_WAY: 1, STATE_NOT_DELIVERED: 2}


@dataclass
class Delivery:
    """What this event's messages did on one channel for one member (the best of its rows)."""

    channel: str
    state: str
    sent_at: datetime | None = None


def _state(status: str) -> str | None:
    if status == "sent":
        return STATE_DELIVERED
    if status in ON_ITS_WAY:
        return STATE_ON_ITS_WAY
    if status in ("failed", "expired"):
        return STATE_NOT_DELIVERED
    return None  # replaced: a newer message took its place


def deliveries(event_id: int, member_ids: list[int] | None = None) -> dict[int, list[Delivery]]:
    """Per member, one Delivery per channel their messages of this event went by (one query)."""
    query = select(Outbox.member_id, Outbox.channel, Outbox.status, Outbox.sent_at).where(
        Outbox.event_id == event_id, Outbox.kind.in_(MEMBER_KINDS)
    )
    if member_ids is not None:
        if not member_ids:
            return {}
        query = query.where(Outbox.member_id.in_(member_ids))
    best: dict[int, dict[str, Delivery]] = defaultdict(dict)
    for member_id, channel, status, sent_at in db.session.execute(query):
        state = _state(status)
        if state is None:
            continue
        known = best[member_id].get(channel)
        if known is None or _RANK[state] < _RANK[known.state]:
            best[member_id][channel] = Delivery(channel, state, sent_at)
        elif state == STATE_DELIVERED and sent_at and known.sent_at and sent_at < known.sent_at:
            known.sent_at = sent_at  # when it first arrived
    order = {channel: i for i, channel in enumerate(CHANNELS)}
    return {
        member_id: sorted(by_channel.values(), key=lambda d: order.get(d.channel, len(order)))
        for member_id, by_channel in best.items()
    }


def is_reached(member_deliveries: list[Delivery]) -> bool:
    return any(d.state != STATE_NOT_DELIVERED for d in member_deliveries)


# --- the call list ------------------------------------------------------------------------


def latest_outcomes(event_id: int, member_ids: list[int] | None = None) -> dict[int, CallOutcome]:
    """Each member's latest call outcome in an event (one query)."""
    return latest_per_member(CallOutcome, event_id, member_ids)


def latest_household_outcomes(
    event_id: int, household_ids: list[int] | None = None
) -> dict[int, CallOutcome]:
    """Each household's latest call outcome (households without member records; one query)."""
    latest = select(func.max(CallOutcome.id)).where(
        CallOutcome.event_id == event_id,
        CallOutcome.member_id.is_(None),
        CallOutcome.household_id.is_not(None),
    )
    if household_ids is not None:
        if not household_ids:
            return {}
        latest = latest.where(CallOutcome.household_id.in_(household_ids))
    latest = latest.group_by(CallOutcome.household_id)
    rows = db.session.scalars(select(CallOutcome).where(CallOutcome.id.in_(latest)))
    return {row.household_id: row for row in rows}


def escalation_due_at(event: DisasterEvent, association: Association) -> datetime:
    """When members who have not answered join the call list."""
    return event.started_at + timedelta(minutes=int(association.setting("escalation_minutes")))


def call_reason(
    answered: bool, reached: bool, outcome: CallOutcome | None, due: bool
) -> str | None:
    """Why a member is on the call list, or None when they are not."""
    if answered:
        return None
    if outcome is not None and outcome.outcome not in OUTCOMES_OPEN:
        return None
    if not reached:
        return REASON_NO_CHANNEL
    return REASON_NO_ANSWER if due else None


@dataclass
class CallEntry:
    member: Member | None  # None: a household without member records, called as a whole
    household: Household
    block: Block
    reason: str
    outcome: CallOutcome | None  # the latest: つながらない, or None when not called yet
    # The member's language, and the question to ask in it (for a caller who does not
    # speak it: shown, or read aloud); None for a household without member records.
    language: str | None = None
    question: str = ""

    @property
    def name(self) -> str:
        return self.member.name if self.member is not None else self.household.name

    @property
    def key(self) -> str:
        """A stable id for the page: m<member id> or h<household id>."""
        return f"m{self.member.id}" if self.member is not None else f"h{self.household.id}"


@dataclass
class CallSheet:
    """The roll call's reach: the call list, and what each channel did for every member."""

    entries: list[CallEntry]
    deliveries: dict[int, list[Delivery]]
    outcomes: dict[int, CallOutcome]
    due_at: datetime
    due: bool
    household_outcomes: dict[int, CallOutcome] = field(default_factory=dict)


def call_sheet(
    event: DisasterEvent, association: Association, lines: list[HouseholdLine], now: datetime
) -> CallSheet:
    """The call list of the roll call's households, in their order (two queries)."""
    member_ids = [m.member.id for line in lines for m in line.members]
    by_member = deliveries(event.id, member_ids)
    outcomes = latest_outcomes(event.id, member_ids)
    empty = [line.household.id for line in lines if not line.members]
    household_outcomes = latest_household_outcomes(event.id, empty)
    due_at = escalation_due_at(event, association)
    due = now >= due_at
    entries = []
    for line in lines:
        if not line.members:
            # No member records: no channel reaches the household, only a call or a visit.
            outcome = household_outcomes.get(line.household.id)
            reason = call_reason(line.report is not None, False, outcome, due)
            if reason is not None:
                entries.append(CallEntry(None, line.household, line.block, reason, outcome))
        for m in line.members:
            outcome = outcomes.get(m.member.id)
            reason = call_reason(
                m.checkin is not None, is_reached(by_member.get(m.member.id, [])), outcome, due
            )
            if reason is not None:
                language = member_language(m.member)
                entries.append(
                    CallEntry(
                        m.member,
                        line.household,
                        line.block,
                        reason,
                        outcome,
                        language=language,
                        question=call_question(language),
                    )
                )
    return CallSheet(entries, by_member, outcomes, due_at, due, household_outcomes)


def reach_version(
    event: DisasterEvent, association: Association, block_ids: list[int], now: datetime
) -> str:
    """A cheap fingerprint of the call list and deliveries of the blocks, for the ETag."""
    members = select(Member.id).where(
        Member.household_id.in_(
            select(Household.id).where(
                Household.association_id == event.association_id,
                Household.block_id.in_(block_ids),
            )
        )
    )
    outbox = db.session.execute(
        select(
            func.count(Outbox.id),
            func.max(Outbox.sent_at),
            func.count(case((Outbox.status.in_(("failed", "expired", "replaced")), 1))),
        ).where(
            Outbox.event_id == event.id,
            Outbox.kind.in_(MEMBER_KINDS),
            Outbox.member_id.in_(members),
        )
    ).one()
    households = select(Household.id).where(
        Household.association_id == event.association_id, Household.block_id.in_(block_ids)
    )
    outcomes = db.session.execute(
        select(func.count(CallOutcome.id), func.max(CallOutcome.id)).where(
            CallOutcome.event_id == event.id,
            CallOutcome.member_id.in_(members) | CallOutcome.household_id.in_(households),
        )
    ).one()
    due = now >= escalation_due_at(event, association)
    sent_at = outbox[1].timestamp() if isinstance(outbox[1], datetime) else outbox[1]
    return f"{outbox[0]}-{sent_at}-{outbox[2]}-{outcomes[0]}-{outcomes[1]}-{int(due)}"


def block_call_counts(event: DisasterEvent, now: datetime, association: Association) -> dict:
    """How many members are on each block's call list (four queries, whatever the size)."""
    members = db.session.execute(
        select(Member.id, Household.block_id)
        .join(Household, Member.household_id == Household.id)
        .where(Member.association_id == event.association_id, Member.active.is_(True))
    ).all()
    answered = set(
        db.session.scalars(select(CheckIn.member_id).where(CheckIn.event_id == event.id).distinct())
    )
    by_member = deliveries(event.id)
    outcomes = latest_outcomes(event.id)
    due = now >= escalation_due_at(event, association)
    counts: dict[int, int] = defaultdict(int)
    for member_id, block_id in members:
        reason = call_reason(
            member_id in answered,
            is_reached(by_member.get(member_id, [])),
            outcomes.get(member_id),
            due,
        )
        if reason is not None:
            counts[block_id] += 1
    empty = db.session.execute(
        select(Household.id, Household.block_id).where(
            Household.association_id == event.association_id,
            without_members(event.association_id),
        )
    ).all()
    if empty:
        reported = set(
            db.session.scalars(
                select(HouseholdCheckIn.household_id).where(HouseholdCheckIn.event_id == event.id)
            )
        )
        household_outcomes = latest_household_outcomes(event.id, [h for h, _b in empty])
        for household_id, block_id in empty:
            reason = call_reason(
                household_id in reported, False, household_outcomes.get(household_id), due
            )
            if reason is not None:
                counts[block_id] += 1
    return dict(counts)


def record_call(
    event: DisasterEvent,
    member: Member | None,
    outcome: str,
    note: str,
    by: Member,
    *,
    household: Household | None = None,
    client_id: str | None = None,
) -> CallOutcome:
    """Record what a call or visit to a member (or, with `member` None, to a household
    without member records) found (flushes). Whether `by` may is the caller's check.

    With a `client_id` (a call recorded offline and sent later) the same call sent again
    is stored once; the stored row is returned."""
    if event.ended_at is not None:
        raise EventEnded(_("この災害モードは終わっています。"))
    if outcome not in OUTCOMES:
        raise DisasterError(_("結果を選んでください。"))
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DisasterError(_("メモは %(n)s 文字までにしてください。", n=MAX_NOTE))
    target = member if member is not None else household
    if target is None or target.association_id != event.association_id:
        raise DisasterError(_("この方の記録は入れられません。"))
    if member is not None and not member.active:
        raise DisasterError(_("この方の記録は入れられません。"))
    if outcome == OUTCOME_UNREACHABLE:
        due_at = escalation_due_at(event, db.session.get(Association, event.association_id))
        if utcnow() < due_at:
            raise DisasterError(
                _("「連絡がつかない」は、返事を待つ時間が過ぎてから入れてください。")
            )
    if client_id is not None and not CLIENT_ID.match(client_id):
        raise DisasterError(_("この画面は古くなっています。画面を開き直してください。"))
    values = {
        "member_id": member.id if member is not None else None,
        "household_id": household.id if member is None else None,
        "outcome": outcome,
        "note": note,
    }
    if client_id is not None:
        stored = _stored_call(event.id, client_id)
        if stored is not None:
            return _same_call(stored, values)
    row = CallOutcome(
        association_id=event.association_id,
        event_id=event.id,
        recorded_by_id=by.id,
        client_id=client_id,
        **values,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:  # the same call, sent twice at once, stored by the other
        stored = _stored_call(event.id, client_id)
        if stored is None:
            raise
        return _same_call(stored, values)
    return row


def _stored_call(event_id: int, client_id: str | None) -> CallOutcome | None:
    if client_id is None:
        return None
    return db.session.scalar(
        select(CallOutcome).where(
            CallOutcome.event_id == event_id, CallOutcome.client_id == client_id
        )
    )


def _same_call(stored: CallOutcome, values: dict) -> CallOutcome:
    if any(getattr(stored, name) != value for name, value in values.items()):
        raise DisasterError(
            _("この知らせは、前に別の内容で届いています。前に届いた知らせを残します。")
        )
    stored.resent = True
    return stored


def started_summary(reach: Reach) -> str:
    """What an event's start reached, for the officer who started it (page and API)."""
    return reach_summary(reach, unreached_go_to=_("班長さんの連絡リストに入りました。"))


# --- the officers' view ---------------------------------------------------------------------


@dataclass
class EventReach:
    """Reach of an event's messages to members, by channel, and how answers came."""

    channels: list[ChannelRow]
    unreached: int
    answers: dict[str, int] = field(default_factory=dict)  # first answer's channel -> members
    calls: dict[str, int] = field(default_factory=dict)  # call outcome -> members (latest)


def event_reach(event: DisasterEvent, members: int) -> EventReach:
    """Per channel: members sent to, delivered to; members no channel reached; answers by
    channel (the first answer of each member) and call outcomes (four queries)."""
    rows = (Outbox.event_id == event.id, Outbox.kind.in_(MEMBER_KINDS))
    first = (
        select(func.min(CheckIn.id)).where(CheckIn.event_id == event.id).group_by(CheckIn.member_id)
    )
    answers = dict(
        db.session.execute(
            select(CheckIn.channel, func.count())
            .where(CheckIn.id.in_(first))
            .group_by(CheckIn.channel)
        ).all()
    )
    latest = (
        select(func.max(CallOutcome.id))
        .where(CallOutcome.event_id == event.id)
        .group_by(CallOutcome.member_id, CallOutcome.household_id)
    )
    calls = dict(
        db.session.execute(
            select(CallOutcome.outcome, func.count())
            .where(CallOutcome.id.in_(latest))
            .group_by(CallOutcome.outcome)
        ).all()
    )
    return EventReach(
        channels=channel_counts(*rows),
        unreached=max(members - reached_members(*rows), 0),
        answers=answers,
        calls=calls,
    )


# --- alerting the leaders --------------------------------------------------------------------


CALL_LIST_PATH = "/disaster/rollcall"


def _call_list_envelope(title: str, body: str, channel: str) -> Envelope:
    """An alert that opens the roll call: in the app on push, as a link on email and LINE."""
    if channel == CHANNEL_PUSH:
        return Envelope(title=title, body=body, url=CALL_LIST_PATH)
    link = absolute(CALL_LIST_PATH)
    return Envelope(
        title=title, body=body, url=link, actions=(Action(_("連絡リストを開く"), link),)
    )


def _leader_message(event: DisasterEvent, counts: dict[int, int], names: dict[int, str], led):
    """The alert to each leader: how many on the call lists of the blocks they lead."""

    def compose(member: Member, channel: str) -> Envelope:
        blocks = [b for b in led[member.id] if counts.get(b)]
        n = sum(counts[b] for b in blocks)
        prefix = _("【訓練】") if event.drill else ""
        title = prefix + _("連絡が必要な方が %(n)s人います", n=n)
        body = _(
            "%(blocks)s：安否の返事がない方や、知らせが届かない方です。"
            "電話か訪問で確かめてください。",
            blocks=_("、").join(names[b] for b in blocks),
        )
        return _call_list_envelope(title, body, channel)

    return _alert(event, compose, "leaders")


def _officer_message(event: DisasterEvent, uncovered: list[tuple[str, int]]):
    """The alert to the officers: blocks whose leader no channel reaches, and how many."""

    def compose(member: Member, channel: str) -> Envelope:
        prefix = _("【訓練】") if event.drill else ""
        title = prefix + _("班長さんに知らせが届きません")
        body = _(
            "%(blocks)s の連絡リストを、代わりに見てください。",
            blocks=_("、").join(_("%(block)s %(n)s人", block=b, n=n) for b, n in uncovered),
        )
        return _call_list_envelope(title, body, channel)

    return _alert(event, compose, "officers")


def _alert(event: DisasterEvent, compose, audience: str) -> Message:
    return Message(
        kind=KIND_DISASTER,
        compose=compose,
        every_channel=True,
        tag=f"calls-{event.id}-{audience}",
        urgency="high",
        ttl=DISASTER_TTL,
        event_id=event.id,
        label=LABEL_ESCALATION,
    )


@dataclass
class AlertResult:
    events: int = 0
    leaders: int = 0  # leaders a channel reached
    officers: int = 0  # officers told of blocks whose leaders none reached
    untold_blocks: int = 0  # blocks nobody could be told of (no officer reachable either)


def _leaders(association_id: int) -> list[tuple[int, Member]]:
    return db.session.execute(
        select(RoleAssignment.block_id, Member)
        .join(Member, Member.id == RoleAssignment.member_id)
        .where(
            RoleAssignment.association_id == association_id,
            RoleAssignment.role == ROLE_LEADER,
            RoleAssignment.ended_at.is_(None),
            RoleAssignment.block_id.is_not(None),
            Member.active.is_(True),
        )
        .order_by(Member.id)
    ).all()


def _officers(association_id: int) -> list[Member]:
    return list(
        db.session.scalars(
            select(Member)
            .where(
                Member.id.in_(
                    select(RoleAssignment.member_id).where(
                        RoleAssignment.association_id == association_id,
                        RoleAssignment.role.in_((ROLE_ADMIN, ROLE_OFFICER)),
                        RoleAssignment.ended_at.is_(None),
                    )
                ),
                Member.active.is_(True),
            )
            .order_by(Member.id)
        )
    )


def alert_leaders(now: datetime) -> AlertResult:
    """Once per running event, when its delay has passed, alert the leaders of blocks with
    someone on the call list on all their channels; the officers hear of blocks whose leaders
    no channel reaches. Claimed with a compare-and-set, so two workers never send twice."""
    result = AlertResult()
    events = db.session.execute(
        select(DisasterEvent, Association)
        .join(Association, DisasterEvent.association_id == Association.id)
        .where(
            DisasterEvent.active_association_id.is_not(None),
            DisasterEvent.leaders_alerted_at.is_(None),
        )
    ).all()
    for event, association in events:
        if now < escalation_due_at(event, association):
            continue
        claimed = db.session.execute(
            update(DisasterEvent)
            .where(DisasterEvent.id == event.id, DisasterEvent.leaders_alerted_at.is_(None))
            .values(leaders_alerted_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            continue
        result.events += 1
        counts = {b: n for b, n in block_call_counts(event, now, association).items() if n}
        if not counts:
            continue
        names = dict(  # in block order
            db.session.execute(
                select(Block.id, Block.name)
                .where(Block.association_id == event.association_id)
                .order_by(Block.position, Block.id)
            ).all()
        )
        led: dict[int, list[int]] = defaultdict(list)
        leaders: dict[int, Member] = {}
        for block_id, leader in _leaders(event.association_id):
            if block_id in counts:
                led[leader.id].append(block_id)
                leaders[leader.id] = leader
        reach = notify(list(leaders.values()), _leader_message(event, counts, names, led))
        result.leaders += reach.reached
        unreached = set(reach.unreached)
        covered = {
            b for leader_id, blocks in led.items() if leader_id not in unreached for b in blocks
        }
        uncovered = [(names[b], counts[b]) for b in names if b in counts and b not in covered]
        if uncovered:
            told = notify(_officers(event.association_id), _officer_message(event, uncovered))
            result.officers += told.reached
            if not told.reached:
                result.untold_blocks += len(uncovered)
    db.session.flush()
    return result


# --- 連絡がつかない: the list for the fire brigade or the city -----------------------------------


@dataclass
class UnreachableEntry:
    """A member (or a household without member records) nobody could reach."""

    member: Member | None
    household: Household
    block: Block
    outcome: CallOutcome  # the leader's 連絡がつかない
    recorded_by: str

    @property
    def name(self) -> str:
        return self.member.name if self.member is not None else self.household.name


def unreachable_list(event: DisasterEvent) -> list[UnreachableEntry]:
    """Whom leaders marked 連絡がつかない as their latest call, and who has not answered
    since: those who need help to evacuate first, then in block and household order."""
    member_outcomes = {
        member_id: o
        for member_id, o in latest_outcomes(event.id).items()
        if o.outcome == OUTCOME_UNREACHABLE
    }
    household_outcomes = {
        household_id: o
        for household_id, o in latest_household_outcomes(event.id).items()
        if o.outcome == OUTCOME_UNREACHABLE
    }
    entries: list[UnreachableEntry] = []
    if member_outcomes:
        answered = set(
            db.session.scalars(
                select(CheckIn.member_id).where(
                    CheckIn.event_id == event.id, CheckIn.member_id.in_(list(member_outcomes))
                )
            )
        )
        rows = db.session.execute(
            select(Member, Household, Block)
            .join(Household, Member.household_id == Household.id)
            .join(Block, Household.block_id == Block.id)
            .where(
                Member.id.in_([m for m in member_outcomes if m not in answered]),
                Member.association_id == event.association_id,
            )
        ).all()
        entries += [
            UnreachableEntry(member, household, block, member_outcomes[member.id], "")
            for member, household, block in rows
        ]
    if household_outcomes:
        answered = set(
            db.session.scalars(
                select(HouseholdCheckIn.household_id).where(
                    HouseholdCheckIn.event_id == event.id,
                    HouseholdCheckIn.household_id.in_(list(household_outcomes)),
                )
            )
        )
        rows = db.session.execute(
            select(Household, Block)
            .join(Block, Household.block_id == Block.id)
            .where(
                Household.id.in_([h for h in household_outcomes if h not in answered]),
                Household.association_id == event.association_id,
            )
        ).all()
        entries += [
            UnreachableEntry(None, household, block, household_outcomes[household.id], "")
            for household, block in rows
        ]
    recorders = {e.outcome.recorded_by_id for e in entries if e.outcome.recorded_by_id}
    names = (
        dict(
            db.session.execute(select(Member.id, Member.name).where(Member.id.in_(recorders))).all()
        )
        if recorders
        else {}
    )
    for entry in entries:
        entry.recorded_by = names.get(entry.outcome.recorded_by_id, "")
    entries.sort(
        key=lambda e: (
            not e.household.needs_assistance,
            e.block.position,
            e.block.id,
            e.household.position,
            e.household.id,
            e.member.id if e.member else 0,
        )
    )
    return entries


def unreachable_rows(entries: list[UnreachableEntry], zone: tzinfo) -> list[list[str]]:
    """The 連絡がつかない list as CSV rows, headers in the officer's language."""
    rows = [
        [
            _("班"),
            _("世帯"),
            _("名前"),
            _("住所"),
            _("電話"),
            _("避難に手助けが必要"),
            _("手助けの内容"),
            _("記録した日時"),
            _("記録した人"),
            _("メモ"),
        ]
    ]
    for e in entries:
        rows.append(
            [
                e.block.name,
                e.household.name,
                e.name,
                f"{e.household.town}{e.household.address_line}",
                e.household.phone,
                _("はい") if e.household.needs_assistance else "",
                e.household.assistance_note if e.household.needs_assistance else "",
                e.outcome.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                e.recorded_by,
                e.outcome.note,
            ]
        )
    return rows
