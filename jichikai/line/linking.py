"""Linking a member's LINE: a code sent to the account ties the sender's user id to a member.

Two codes work: a one-time link code (8 characters, 30 minutes) that a logged-in member gets
on /line/link, and the 12-character code of the member's login card. Linking never logs
anyone in: it only says where the association's messages go. The card code is a login secret,
so the reply never repeats it and asks the member to delete it from the chat; wrong codes
are limited per LINE user and per code's first group (LINE_LINK_RATE_LIMIT), like the
login form's limits, and a card of another association links nothing.

One LINE user id belongs to one member of an association: linking it to another member
(a phone handed on) stops it for the one before.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from limits import parse_many
from sqlalchemy import delete, select, update

from ..audit.services import record
from ..auth.codes import format_code, new_code, normalize_code
from ..auth.services import member_for_code
from ..database import utcnow
from ..extensions import db, limiter
from ..org.models import Member
from ..push.models import Outbox
from ..reach.models import (
    CHANNEL_LINE,
    SOURCE_CHANNEL,
    STATE_STOPPED,
    STATE_WORKING,
    Contact,
)
from .models import LineLinkCode

LINK_CODE_LENGTH = 8
LINK_CODE_LIFETIME = timedelta(minutes=30)
PREFIX_LENGTH = 4

# What try_code() found.
LINKED = "linked"
WRONG = "wrong"
LIMITED = "limited"
NOT_A_CODE = "not_a_code"


@dataclass(frozen=True)
class LinkResult:
    outcome: str
    member: Member | None = None
    by_card: bool = False
    moved_from: Member | None = None  # the member this LINE was linked to before


def _digest(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"line-link:{code}".encode(), hashlib.sha256).hexdigest()


def new_link_code(member: Member, now: datetime | None = None) -> str:
    """A fresh one-time code for `member` (the previous one stops working); flush."""
    now = now or utcnow()
    db.session.execute(delete(LineLinkCode).where(LineLinkCode.member_id == member.id))
    code = new_code(LINK_CODE_LENGTH)
    db.session.add(
        LineLinkCode(
            association_id=member.association_id,
            member_id=member.id,
            code_hash=_digest(code),
            created_at=now,
            expires_at=now + LINK_CODE_LIFETIME,
        )
    )
    db.session.flush()
    return format_code(code)


def _member_for_link_code(association_id: int, code: str, now: datetime) -> Member | None:
    """The member of a valid link code, which is used up."""
    found = db.session.scalar(
        select(LineLinkCode).where(
            LineLinkCode.code_hash == _digest(code),
            LineLinkCode.association_id == association_id,
            LineLinkCode.expires_at > now,
        )
    )
    if found is None or not found.member.active:
        return None
    member = found.member
    db.session.delete(found)
    return member


def _limit_keys(association_id: int, user_id: str, code: str) -> list[tuple[str, ...]]:
    return [
        ("line-link-user", str(association_id), user_id),
        ("line-link-code", code[:PREFIX_LENGTH]),
    ]


def _within_limits(keys) -> bool:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    limits = parse_many(current_app.config["LINE_LINK_RATE_LIMIT"])
    return all(limiter.limiter.test(limit, *key) for limit in limits for key in keys)


def _count_failure(keys) -> None:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    for limit in parse_many(current_app.config["LINE_LINK_RATE_LIMIT"]):
        for key in keys:
            limiter.limiter.hit(limit, *key)


def try_code(association_id: int, user_id: str, text: str, now: datetime | None = None):
    """Link `user_id` to the member whose code `text` is; flush, no commit."""
    now = now or utcnow()
    link_code = normalize_code(text, LINK_CODE_LENGTH)
    card_code = normalize_code(text)
    code = link_code or card_code
    if code is None:
        return LinkResult(NOT_A_CODE)
    keys = _limit_keys(association_id, user_id, code)
    if not _within_limits(keys):
        return LinkResult(LIMITED)
    member = None
    if link_code:
        member = _member_for_link_code(association_id, link_code, now)
    else:
        member = member_for_code(card_code)
        if member is not None and member.association_id != association_id:
            member = None
    if member is None:
        _count_failure(keys)
        record(
            "line.link_failed",
            association_id=association_id,
            line_user=user_id[-6:],
            kind="link" if link_code else "card",
        )
        return LinkResult(WRONG)
    moved_from = link(member, user_id, now)
    record(
        "line.link",
        association_id=association_id,
        actor=member,
        target=member,
        by="card" if card_code else "link_code",
    )
    return LinkResult(LINKED, member, by_card=bool(card_code), moved_from=moved_from)


def link(member: Member, user_id: str, now: datetime | None = None) -> Member | None:
    """Make `user_id` the member's working LINE; stop it for anyone else in the association.
    Returns the member it was linked to before, if another. Flush."""
    now = now or utcnow()
    others = db.session.scalars(
        select(Contact).where(
            Contact.association_id == member.association_id,
            Contact.channel == CHANNEL_LINE,
            Contact.address == user_id,
            Contact.member_id != member.id,
            Contact.state == STATE_WORKING,
        )
    ).all()
    for other in others:
        other.state = STATE_STOPPED
    contact = db.session.scalar(
        select(Contact).where(
            Contact.member_id == member.id,
            Contact.channel == CHANNEL_LINE,
            Contact.address == user_id,
        )
    )
    if contact is None:
        contact = Contact(
            association_id=member.association_id,
            member_id=member.id,
            channel=CHANNEL_LINE,
            address=user_id,
        )
        db.session.add(contact)
    contact.state = STATE_WORKING
    contact.source = SOURCE_CHANNEL
    contact.confirmed_at = now
    contact.failures, contact.last_error = 0, ""
    db.session.flush()
    return others[0].member if others else None


def member_of_user(association_id: int, user_id: str) -> Member | None:
    """The member this LINE user id is linked to (working), if any."""
    return db.session.scalar(
        select(Member)
        .join(Contact, Contact.member_id == Member.id)
        .where(
            Contact.association_id == association_id,
            Contact.channel == CHANNEL_LINE,
            Contact.address == user_id,
            Contact.state == STATE_WORKING,
            Member.active.is_(True),
        )
        .order_by(Contact.confirmed_at.desc(), Contact.id.desc())
    )


def stop_user(association_id: int, user_id: str) -> int:
    """The user blocked the account (unfollow): nothing more goes there; queued messages for
    it are dropped. Returns the contacts stopped; flush."""
    contact_ids = db.session.scalars(
        select(Contact.id).where(
            Contact.association_id == association_id,
            Contact.channel == CHANNEL_LINE,
            Contact.address == user_id,
            Contact.state == STATE_WORKING,
        )
    ).all()
    if not contact_ids:
        return 0
    _stop_contacts(contact_ids, "the member blocked the LINE account")
    return len(contact_ids)


def restart_user(association_id: int, user_id: str) -> Member | None:
    """The user followed again (unblocked): their last link works again. Flush."""
    contact = db.session.scalar(
        select(Contact)
        .where(
            Contact.association_id == association_id,
            Contact.channel == CHANNEL_LINE,
            Contact.address == user_id,
            Contact.state == STATE_STOPPED,
            Contact.source == SOURCE_CHANNEL,
        )
        .order_by(Contact.confirmed_at.desc(), Contact.id.desc())
    )
    if contact is None or not contact.member.active:
        return None
    if member_of_user(association_id, user_id) is not None:
        return None
    contact.state = STATE_WORKING
    db.session.flush()
    return contact.member


def unlink(member: Member) -> int:
    """The member turns LINE off themselves; flush."""
    contact_ids = db.session.scalars(
        select(Contact.id).where(
            Contact.member_id == member.id,
            Contact.channel == CHANNEL_LINE,
            Contact.state == STATE_WORKING,
        )
    ).all()
    if contact_ids:
        _stop_contacts(contact_ids, "the member turned LINE off")
        record("line.unlink", association_id=member.association_id, actor=member, target=member)
    return len(contact_ids)


def _stop_contacts(contact_ids: list[int], why: str) -> None:
    db.session.execute(
        update(Contact)
        .where(Contact.id.in_(contact_ids))
        .values(state=STATE_STOPPED)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Outbox)
        .where(Outbox.contact_id.in_(contact_ids), Outbox.status == "pending")
        .values(status="failed", last_error=why)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()


def linked_contact(member: Member) -> Contact | None:
    return db.session.scalar(
        select(Contact).where(
            Contact.member_id == member.id,
            Contact.channel == CHANNEL_LINE,
            Contact.state == STATE_WORKING,
        )
    )


def prune_link_codes(now: datetime) -> int:
    return (
        db.session.execute(delete(LineLinkCode).where(LineLinkCode.expires_at <= now)).rowcount or 0
    )
