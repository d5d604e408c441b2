"""Which channels reach a member, and queueing one message for many members.

`notify()` writes outbox rows (one per member and channel; for Web Push one per browser) in
the caller's transaction, each composed for its recipient in the recipient's language, and
returns a `Reach`: how many members each channel will reach and who no channel reaches, so
that the page that started an event or posted a circular can say so, and the block leader's
call list can begin with them.

Circulars go to the member's preferred working channel, else the first working one in
`CIRCULAR_ORDER`; disaster messages (`every_channel`) go to every working channel at once.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from ..database import utcnow
from ..extensions import db
from ..i18n import member_language, ruby_plain
from ..links import absolute
from ..org.models import Member
from ..push.models import Outbox, PushSubscription
from ..push.services import (
    NOTICE_TTL,
    URGENCIES,
    PushMessage,
    fit_message,
    outbox_row,
    topic_for,
    wants,
)
from .models import (
    CHANNEL_EMAIL,
    CHANNEL_LINE,
    CHANNEL_PUSH,
    CHANNELS,
    STATE_WORKING,
    Contact,
)

# The order circulars try a member's channels in when they chose none (or theirs stopped
# working): the free ones that show at once first.
CIRCULAR_ORDER = (CHANNEL_PUSH, CHANNEL_LINE, CHANNEL_EMAIL)

MAX_TITLE = 200
MAX_URL = 500


class Action(NamedTuple):
    """A button or link under a message: its label, its absolute URL and what it does.

    `does` names the one-tap answers a channel may carry its own way: "answer:<answer>" (a
    disaster answer, see reach.tokens.ANSWERS) or "read" (a circular's 読みました); empty for a
    plain link. LINE turns those two into postbacks shared by every recipient, so no channel
    has to recognise them from the shape of a URL.
    """

    label: str
    url: str
    does: str = ""


DOES_READ = "read"


def does_answer(answer: str) -> str:
    """The `does` of a one-tap disaster answer."""
    return f"answer:{answer}"


@dataclass(frozen=True)
class Envelope:
    """What one recipient gets on one channel. `body` is the whole text on email and LINE
    (short on push); `actions` are Action buttons or links, one per line."""

    title: str
    body: str = ""
    url: str = "/"
    actions: tuple[Action, ...] = ()


# compose(member, channel) -> Envelope, called with the member's language in force.
Composer = Callable[[Member, str], Envelope]


@dataclass(frozen=True)
class Message:
    """One message to many members; `compose` makes each recipient's copy."""

    kind: str  # push.services.KIND_*: the members' notification preference applies
    compose: Composer
    every_channel: bool = False  # disaster: every working channel at once
    tag: str = ""
    urgency: str = "normal"
    ttl: int = NOTICE_TTL
    topic: str | None = None  # a queued message with the same topic (and member) is replaced
    notice_id: int | None = None
    event_id: int | None = None
    # The outbox kind, for reports: notice, reminder, disaster, bulletin, escalation, ...
    label: str = ""


@dataclass
class Reach:
    """What notify() queued: members per channel, and the members no channel reaches."""

    members: int = 0
    by_channel: Counter = field(default_factory=Counter)
    unreached: list[int] = field(default_factory=list)
    rows: int = 0

    @property
    def reached(self) -> int:
        return self.members - len(self.unreached)


@dataclass(frozen=True)
class Route:
    """One way to one member: a push subscription or a contact."""

    channel: str
    subscription_id: int | None = None
    contact_id: int | None = None


def push_enabled(app=None) -> bool:
    """Whether Web Push can be sent at all (a VAPID subject is configured)."""
    from ..push.vapid import VapidError, app_subject

    try:
        app_subject(app or current_app)
    except VapidError:
        return False
    return True


def add_availability(app, channel: str, provider) -> None:
    """Register, for a channel that needs the association's own account (LINE), a function
    giving which of some association ids can send by it now: a contact of an association
    without one reaches nobody, and counting it would tell officers a lie."""
    app.extensions.setdefault("jichikai.reach.availability", {})[channel] = provider


def _available(channel: str, association_ids: set[int]) -> set[int]:
    provider = current_app.extensions.get("jichikai.reach.availability", {}).get(channel)
    return association_ids if provider is None else set(provider(association_ids))


def working_routes(member_ids: Iterable[int]) -> dict[int, dict[str, list[Route]]]:
    """Every working route of each member, by channel (two queries, and one per channel that
    depends on the association's account)."""
    ids = list(set(member_ids))
    routes: dict[int, dict[str, list[Route]]] = defaultdict(lambda: defaultdict(list))
    if not ids:
        return {}
    if push_enabled():
        for sub_id, member_id in db.session.execute(
            select(PushSubscription.id, PushSubscription.member_id)
            .where(PushSubscription.member_id.in_(ids))
            .order_by(PushSubscription.id)
        ):
            routes[member_id][CHANNEL_PUSH].append(Route(CHANNEL_PUSH, subscription_id=sub_id))
    contacts = db.session.execute(
        select(Contact.id, Contact.member_id, Contact.channel, Contact.association_id)
        .where(Contact.member_id.in_(ids), Contact.state == STATE_WORKING)
        .order_by(Contact.id)
    ).all()
    available = {
        channel: _available(channel, {c.association_id for c in contacts if c.channel == channel})
        for channel in {c.channel for c in contacts}
    }
    for contact_id, member_id, channel, association_id in contacts:
        if channel in CHANNELS and association_id in available[channel]:
            routes[member_id][channel].append(Route(channel, contact_id=contact_id))
    return {member_id: dict(by_channel) for member_id, by_channel in routes.items()}


def choose(member: Member, routes: dict[str, list[Route]], every_channel: bool) -> list[str]:
    """The channels a message goes by: all working ones, or the preferred (else first)."""
    working = [c for c in CIRCULAR_ORDER if routes.get(c)]
    if every_channel or not working:
        return working
    if member.preferred_channel in working:
        return [member.preferred_channel]
    return working[:1]


def plan(members: Iterable[Member], *, every_channel: bool) -> Reach:
    """What notify() would reach, without queueing anything (for confirmations)."""
    members = [m for m in members if m.active]
    routes = working_routes(m.id for m in members)
    reach = Reach(members=len(members))
    for member in members:
        channels = choose(member, routes.get(member.id, {}), every_channel)
        if not channels:
            reach.unreached.append(member.id)
        reach.by_channel.update(channels)
    return reach


def notify(members: Iterable[Member], message: Message) -> Reach:
    """Queue `message` for `members` on their channels; the caller's commit makes it real.

    Members whose preference turns this kind of message off are left out (not counted as
    unreached: they chose it). Each copy is composed with the member's language in force.
    """
    if message.urgency not in URGENCIES:
        raise ValueError(f"unknown urgency {message.urgency!r}")
    wanted = [m for m in members if m.active and wants(m, message.kind)]
    reach = Reach(members=len(wanted))
    if not wanted:
        return reach
    routes = working_routes(m.id for m in wanted)
    now = utcnow()
    topic = topic_for(message.topic)
    rows: list[dict] = []
    by_language: dict[str, list[Member]] = defaultdict(list)
    for member in wanted:
        by_language[member_language(member)].append(member)
    for language, group in sorted(by_language.items()):
        with force_locale(language):
            for member in group:
                member_routes = routes.get(member.id, {})
                channels = choose(member, member_routes, message.every_channel)
                if not channels:
                    reach.unreached.append(member.id)
                    continue
                reach.by_channel.update(channels)
                for channel in channels:
                    envelope = message.compose(member, channel)
                    for route in member_routes[channel]:
                        rows.append(_row(member, route, envelope, message, language, topic, now))
    if topic and rows:
        _replace_queued(topic, {row["member_id"] for row in rows})
    if rows:
        db.session.execute(Outbox.__table__.insert(), rows)
    reach.rows = len(rows)
    return reach


def _row(member, route, envelope, message, language, topic, now) -> dict:
    # Every channel carries plain text: furigana marks become 漢字(かんじ) before cutting.
    title, body = ruby_plain(envelope.title)[:MAX_TITLE], ruby_plain(envelope.body)
    if route.channel == CHANNEL_PUSH:
        title, body = fit_message(
            PushMessage(title=title, body=body, url=envelope.url[:MAX_URL], tag=message.tag[:100])
        )
    return outbox_row(
        association_id=member.association_id,
        channel=route.channel,
        member_id=member.id,
        subscription_id=route.subscription_id,
        contact_id=route.contact_id,
        kind=(message.label or message.kind)[:12],
        notice_id=message.notice_id,
        event_id=message.event_id,
        language=language,
        actions=[[ruby_plain(a[0]), *a[1:]] for a in envelope.actions] or None,
        title=title,
        body=body,
        url=envelope.url,
        tag=message.tag,
        topic=topic,
        urgency=message.urgency,
        ttl=message.ttl,
        now=now,
    )


def _replace_queued(topic: str, member_ids: set[int]) -> None:
    """A newer message with the same topic replaces the recipients' copies still queued."""
    ids = list(member_ids)
    for start in range(0, len(ids), 500):
        db.session.execute(
            update(Outbox)
            .where(
                Outbox.member_id.in_(ids[start : start + 500]),
                Outbox.topic == topic,
                Outbox.status == "pending",
            )
            .values(status="replaced")
            .execution_options(synchronize_session=False)
        )


def simple(title: str, body: str = "", path: str = "/") -> Composer:
    """A composer for a message that is the same for everyone (already in its language):
    push opens `path`; email and LINE carry it as an absolute link."""
    on_push = Envelope(title=title, body=body, url=path)
    elsewhere = Envelope(
        title=title, body=body, url=absolute(path), actions=(Action(_("開く"), absolute(path)),)
    )
    return lambda member, channel: on_push if channel == CHANNEL_PUSH else elsewhere
