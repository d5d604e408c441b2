"""Queueing push messages: notify() writes delivery rows; the worker sends them."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from ..database import utcnow
from ..extensions import db
from ..org.models import Member
from .models import PushDelivery, PushSubscription

NOTICE_TTL = 4 * 24 * 3600
DISASTER_TTL = 24 * 3600

# What a message is, for the members' preferences: all notices / urgent only / none.
KIND_NOTICE = "notice"
KIND_URGENT = "urgent"
KIND_DISASTER = "disaster"


@dataclass(frozen=True)
class PushMessage:
    """What a phone shows: title, body, the page a tap opens, and a tag that groups."""

    title: str
    body: str = ""
    url: str = "/"
    tag: str = ""
    kind: str = KIND_NOTICE
    urgency: str = "normal"  # very-low, low, normal, high
    ttl: int = NOTICE_TTL
    topic: str | None = None  # replaces an undelivered message with the same topic


def wants(member: Member, kind: str) -> bool:
    """Whether a member's preference lets this kind of message through."""
    if kind == KIND_DISASTER:
        return True
    if member.push_preference == "none":
        return False
    if member.push_preference == "urgent":
        return kind == KIND_URGENT
    return True


def notify(members: Iterable[Member], message: PushMessage) -> int:
    """Queue `message` for every subscription of `members`; the caller's commit makes it real."""
    wanted = {m.id: m for m in members if m.active and wants(m, message.kind)}
    if not wanted:
        return 0
    subscriptions = db.session.scalars(
        select(PushSubscription).where(PushSubscription.member_id.in_(list(wanted)))
    ).all()
    now = utcnow()
    rows = [
        {
            "association_id": sub.association_id,
            "subscription_id": sub.id,
            "title": message.title[:200],
            "body": message.body,
            "url": message.url,
            "tag": message.tag,
            "topic": message.topic,
            "urgency": message.urgency,
            "ttl": message.ttl,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "expires_at": now + timedelta(seconds=message.ttl),
            "last_error": "",
        }
        for sub in subscriptions
    ]
    if rows:
        db.session.execute(PushDelivery.__table__.insert(), rows)
    return len(rows)
