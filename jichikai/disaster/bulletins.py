"""Bulletins during an event, and members' updates to their request for help.

A bulletin is either a fixed phrase with a parameter or two (a place, a time), composed in
each recipient's language when it is sent and when it is shown, or free text shown as
written. It goes to everyone or to chosen blocks, on every channel they have, and stays in
the event's record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..audit.services import record
from ..database import utcnow
from ..extensions import db
from ..links import absolute
from ..org.models import Block, Household, Member
from ..push.services import DISASTER_TTL, KIND_DISASTER
from ..reach.models import CHANNEL_PUSH
from ..reach.services import Action, Envelope, Message, Reach, notify
from .models import STATUS_NEED_HELP, Bulletin, CheckIn, DisasterEvent, HelpUpdate
from .permissions import can_report_for
from .services import DisasterError, EventEnded, latest_checkins

MAX_TEXT = 500
MAX_PARAM = 100
MAX_HELP_TEXT = 500
SOURCE_OFFICER = "officer"
SOURCE_JMA = "jma"


@dataclass(frozen=True)
class Phrase:
    """A fixed phrase: its name, its wording (both translated) and its parameters."""

    label: Callable[[], str]
    wording: Callable[[dict], str]
    needs: tuple[str, ...] = ()  # parameters that must be given
    takes: tuple[str, ...] = ()  # every parameter it shows


# The fixed phrases. Their wording is looked up in the reader's language every time, so a
# bulletin reads in each member's own language; the parameters are shown as written.
PHRASES: dict[str, Phrase] = {
    "water": Phrase(
        label=lambda: _("給水車が来ます"),
        wording=lambda p: (
            _("%(place)s に給水車が来ます（%(time)s）。", place=p["place"], time=p["time"])
            if p.get("time")
            else _("%(place)s に給水車が来ます。", place=p["place"])
        ),
        needs=("place",),
        takes=("place", "time"),
    ),
    "full": Phrase(
        label=lambda: _("避難所が満員です"),
        wording=lambda p: _(
            "%(place)s は満員です。ほかの避難所へ行ってください。", place=p["place"]
        ),
        needs=("place",),
        takes=("place",),
    ),
    "move": Phrase(
        label=lambda: _("移動してください"),
        wording=lambda p: (
            _("%(time)s までに %(place)s へ移動してください。", place=p["place"], time=p["time"])
            if p.get("time")
            else _("%(place)s へ移動してください。", place=p["place"])
        ),
        needs=("place",),
        takes=("place", "time"),
    ),
    "food": Phrase(
        label=lambda: _("食料と水を配ります"),
        wording=lambda p: (
            _("%(place)s で食料と水を配ります（%(time)s）。", place=p["place"], time=p["time"])
            if p.get("time")
            else _("%(place)s で食料と水を配ります。", place=p["place"])
        ),
        needs=("place",),
        takes=("place", "time"),
    ),
    # Posted when an official alert comes during an event (jma.alerts); the title is JMA's.
    "official": Phrase(
        label=lambda: _("気象庁の新しい情報"),
        wording=lambda p: _("気象庁から新しい情報が出ました：%(title)s", title=p["title"]),
        needs=("title",),
        takes=("title", "headline"),
    ),
}
# Phrases officers choose from (the official one is posted by the JMA alerts only).
OFFICER_PHRASES = ("water", "full", "move", "food")
PARAM_LABELS = {"place": _l("場所"), "time": _l("時間（例：午後3時）")}


def bulletin_text(bulletin: Bulletin) -> str:
    """The bulletin in the current language: a fixed phrase translated, free text as written."""
    phrase = PHRASES.get(bulletin.template)
    if phrase is None:
        return bulletin.text
    params = {name: "" for name in phrase.takes} | (bulletin.params or {})
    text = phrase.wording(params)
    if params.get("headline"):
        text += "\n" + params["headline"]
    return text


def _clean(value) -> str:
    return " ".join(str(value or "").split())


def post_bulletin(
    event: DisasterEvent,
    *,
    template: str = "",
    params: dict | None = None,
    text: str = "",
    block_ids: list[int] | None = None,
    by: Member | None = None,
    source: str = SOURCE_OFFICER,
) -> Bulletin:
    """Store a bulletin and send it to its readers on every channel they have (flushes)."""
    if not event.is_active:
        raise EventEnded(_("この災害モードは終わっています。"))
    text = (text or "").strip()
    params = {k: _clean(v) for k, v in (params or {}).items() if _clean(v)}
    if template:
        phrase = PHRASES.get(template)
        if phrase is None:
            raise DisasterError(_("決まった文の種類が正しくありません。"))
        missing = [name for name in phrase.needs if not params.get(name)]
        if missing:
            raise DisasterError(_("場所を入れてください。"))
        params = {k: v for k, v in params.items() if k in phrase.takes}
        if any(len(v) > MAX_PARAM for k, v in params.items() if k in ("place", "time")):
            raise DisasterError(_("場所や時間は %(n)s 文字までにしてください。", n=MAX_PARAM))
        text = ""
    else:
        params = {}
        if not text:
            raise DisasterError(_("お知らせの文を入れるか、決まった文を選んでください。"))
        if len(text) > MAX_TEXT:
            raise DisasterError(_("お知らせは %(n)s 文字までにしてください。", n=MAX_TEXT))

    wanted = sorted({int(i) for i in block_ids or []})
    if wanted:
        known = set(
            db.session.scalars(
                select(Block.id).where(
                    Block.association_id == event.association_id, Block.id.in_(wanted)
                )
            )
        )
        if known != set(wanted):
            raise DisasterError(_("班の選び方が正しくありません。"))

    bulletin = Bulletin(
        association_id=event.association_id,
        event_id=event.id,
        template=template,
        params=params,
        text=text,
        block_ids=wanted,
        source=source,
        posted_by_id=by.id if by is not None else None,
        created_at=utcnow(),
    )
    db.session.add(bulletin)
    db.session.flush()
    reach = notify(readers(event, wanted), bulletin_message(event, bulletin))
    bulletin.reach = reach_summary(reach)
    record(
        "disaster.bulletin",
        association_id=event.association_id,
        actor=by,
        target=bulletin,
        event_id=event.id,
        template=template,
        blocks=wanted,
        source=source,
    )
    db.session.flush()
    return bulletin


def reach_summary(reach: Reach) -> dict:
    return {
        "members": reach.members,
        "reached": reach.reached,
        "by_channel": dict(reach.by_channel),
    }


def readers(event: DisasterEvent, block_ids: list[int]) -> list[Member]:
    """Active members a bulletin goes to: everyone, or the members of the chosen blocks."""
    query = select(Member).where(
        Member.association_id == event.association_id, Member.active.is_(True)
    )
    if block_ids:
        query = query.join(Household, Member.household_id == Household.id).where(
            Household.block_id.in_(block_ids)
        )
    return list(db.session.scalars(query.order_by(Member.id)))


def bulletin_message(event: DisasterEvent, bulletin: Bulletin) -> Message:
    """The bulletin as each recipient reads it, in their language (reach.notify)."""

    def compose(member: Member, channel: str) -> Envelope:
        prefix = _("【訓練】") if event.drill else ""
        title = prefix + _("お知らせ：%(title)s", title=event.title)
        body = bulletin_text(bulletin)
        if channel == CHANNEL_PUSH:
            return Envelope(title=title, body=body, url="/")
        return Envelope(
            title=title, body=body, url=absolute("/"), actions=(Action(_("開く"), absolute("/")),)
        )

    return Message(
        kind=KIND_DISASTER,
        compose=compose,
        every_channel=True,
        tag=f"bulletin-{bulletin.id}",
        urgency="high",
        ttl=DISASTER_TTL,
        event_id=event.id,
        label="bulletin",
    )


def event_bulletins(event_id: int) -> list[Bulletin]:
    """Every bulletin of an event, newest first (the event's record)."""
    return list(
        db.session.scalars(
            select(Bulletin)
            .where(Bulletin.event_id == event_id)
            .order_by(Bulletin.created_at.desc(), Bulletin.id.desc())
        )
    )


def bulletins_for(event: DisasterEvent, member: Member) -> list[Bulletin]:
    """The bulletins a member reads: those to everyone, to their block or blocks they lead.

    Officers read every bulletin of the event.
    """
    found = event_bulletins(event.id)
    if member.is_officer or not any(b.block_ids for b in found):
        return found
    own = {member.household.block_id} if member.household is not None else set()
    mine = own | set(member.led_block_ids)
    return [b for b in found if not b.block_ids or mine.intersection(b.block_ids)]


def block_names(association_id: int) -> dict[int, str]:
    return dict(
        db.session.execute(
            select(Block.id, Block.name).where(Block.association_id == association_id)
        ).all()
    )


# --- what a member who needs help needs now --------------------------------------------------


def help_checkins(event: DisasterEvent, people: list[Member]) -> dict[int, CheckIn]:
    """Of `people`, those whose latest report is 助けが必要: their report, by member id."""
    latest = latest_checkins(event.id, [m.id for m in people])
    return {mid: c for mid, c in latest.items() if c.status == STATUS_NEED_HELP}


def household_needing_help(event: DisasterEvent, member: Member) -> list[tuple[Member, CheckIn]]:
    """The member and their household whose latest report is 助けが必要 (one query)."""
    query = (
        select(CheckIn, Member)
        .join(Member, CheckIn.member_id == Member.id)
        .where(CheckIn.event_id == event.id, Member.active.is_(True))
        .order_by(CheckIn.id)
    )
    if member.household_id is None:
        query = query.where(Member.id == member.id)
    else:
        query = query.where(Member.household_id == member.household_id)
    latest: dict[int, tuple[Member, CheckIn]] = {}
    for checkin, person in db.session.execute(query):
        latest[person.id] = (person, checkin)
    return [
        (person, checkin)
        for person, checkin in sorted(latest.values(), key=lambda pair: pair[0].id)
        if checkin.status == STATUS_NEED_HELP
    ]


def update_help(event: DisasterEvent, reporter: Member, member: Member, text: str) -> HelpUpdate:
    """Add what `member` needs now to their latest 助けが必要 report (flushes)."""
    if not event.is_active:
        raise EventEnded(_("この災害モードは終わっています。"))
    if member.association_id != event.association_id or not can_report_for(reporter, member):
        raise DisasterError(_("この方の知らせは変えられません。"))
    text = (text or "").strip()
    if not text:
        raise DisasterError(_("いま必要なことを書いてください。"))
    if len(text) > MAX_HELP_TEXT:
        raise DisasterError(_("%(n)s 文字までにしてください。", n=MAX_HELP_TEXT))
    checkin = help_checkins(event, [member]).get(member.id)
    if checkin is None:
        raise DisasterError(_("いまは「助けが必要」と知らせていません。"))
    update = HelpUpdate(
        association_id=event.association_id,
        event_id=event.id,
        member_id=member.id,
        checkin_id=checkin.id,
        reporter_id=reporter.id,
        text=text,
        created_at=utcnow(),
    )
    db.session.add(update)
    db.session.flush()
    record(
        "disaster.help_update",
        association_id=event.association_id,
        actor=reporter,
        target=update,
        member_id=member.id,
    )
    return update


def latest_help_updates(event_id: int) -> dict[int, HelpUpdate]:
    """The newest update of each 助けが必要 report of an event, by check-in id."""
    found: dict[int, HelpUpdate] = {}
    rows = db.session.scalars(
        select(HelpUpdate)
        .where(HelpUpdate.event_id == event_id)
        .order_by(HelpUpdate.created_at, HelpUpdate.id)
    )
    for update in rows:
        found[update.checkin_id] = update
    return found
