"""Addresses that do not work: marking them failed, telling the officers, marking them fixed.

A permanent SMTP failure (550 user unknown, ...) marks the member's email contact `failed`:
reach stops using it (it is no longer working), so circulars go by another channel or the
member appears among those no channel reaches. Each failure is written to the audit log, and
the association's officers are told once per sending pass, on every channel they have, with a
link to the page listing the undeliverable addresses, where an officer marks an address fixed
once it has been corrected (or the mailbox emptied).
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..audit.models import AuditEvent
from ..audit.services import record
from ..extensions import db
from ..org.models import Member
from ..org.services import officers_of
from ..push.services import KIND_NOTICE
from ..reach.models import CHANNEL_EMAIL, STATE_FAILED, STATE_WORKING, Contact
from ..reach.services import Message, Reach, notify, simple

PAGE_PATH = "/admin/mail"
ACTION_FAILED = "mail.address_failed"
ACTION_FIXED = "mail.address_fixed"


def mark_undeliverable(errors: dict[int, str], now: datetime) -> list[Contact]:
    """Mark these email contacts failed (id -> the server's answer), audit each, and tell each
    association's officers once; flush, no commit. Returns the contacts newly failed."""
    if not errors:
        return []
    contacts = db.session.scalars(
        select(Contact).where(Contact.id.in_(errors), Contact.channel == CHANNEL_EMAIL)
    ).all()
    failed = []
    for contact in contacts:
        contact.failures = (contact.failures or 0) + 1
        contact.last_error = errors[contact.id][:500]
        if contact.state == STATE_FAILED:
            continue
        contact.state = STATE_FAILED
        failed.append(contact)
        record(
            ACTION_FAILED,
            association_id=contact.association_id,
            target=contact,
            member_id=contact.member_id,
            address=contact.address,
            error=contact.last_error,
        )
    db.session.flush()
    by_association: dict[int, int] = {}
    for contact in failed:
        by_association[contact.association_id] = by_association.get(contact.association_id, 0) + 1
    for association_id, count in sorted(by_association.items()):
        tell_officers(association_id, count)
    return failed


def tell_officers(association_id: int, count: int) -> Reach:
    """Queue one message to the association's officers: `count` addresses stopped working."""

    def compose(member: Member, channel: str):
        title = _("メールが届かない宛先があります")
        body = _(
            "%(count)d件のメールアドレスに、メールが届きませんでした。"
            "一覧を開いて、正しいアドレスか確かめてください。",
            count=count,
        )
        return simple(title, body, PAGE_PATH)(member, channel)

    return notify(
        officers_of(association_id),
        Message(
            kind=KIND_NOTICE,
            compose=compose,
            tag=f"mail-failed-{association_id}",
            topic=f"mail-failed-{association_id}",
            label="bounce",
        ),
    )


@dataclass(frozen=True)
class Undeliverable:
    """One failed address as the officers' page shows it."""

    contact: Contact
    member_name: str
    failed_at: datetime | None


def undeliverable(association_id: int) -> list[Undeliverable]:
    """The association's failed email addresses, the latest failure first."""
    failed_at = (
        select(AuditEvent.target_id, func.max(AuditEvent.created_at).label("at"))
        .where(
            AuditEvent.association_id == association_id,
            AuditEvent.action == ACTION_FAILED,
            AuditEvent.target_type == "contact",
        )
        .group_by(AuditEvent.target_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Contact, Member.name, failed_at.c.at)
        .join(Member, Member.id == Contact.member_id)
        .outerjoin(failed_at, failed_at.c.target_id == Contact.id)
        .where(
            Contact.association_id == association_id,
            Contact.channel == CHANNEL_EMAIL,
            Contact.state == STATE_FAILED,
        )
        .order_by(failed_at.c.at.desc().nulls_last(), Contact.id.desc())
    ).all()
    return [Undeliverable(contact, name, at) for contact, name, at in rows]


class NotFailed(ValueError):
    """The address is not marked failed (someone fixed it already)."""


def mark_fixed(contact: Contact, actor: Member) -> None:
    """An officer says the address works again: messages go there again; flush, no commit."""
    if contact.channel != CHANNEL_EMAIL or contact.state != STATE_FAILED:
        raise NotFailed(contact.state)
    contact.state = STATE_WORKING
    contact.failures = 0
    error, contact.last_error = contact.last_error, ""
    record(
        ACTION_FIXED,
        association_id=contact.association_id,
        actor=actor,
        target=contact,
        member_id=contact.member_id,
        address=contact.address,
        error=error,
    )
    db.session.flush()
