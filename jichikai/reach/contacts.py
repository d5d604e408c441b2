"""Members' email and LINE addresses: who gave them, their state, and the channel chosen.

An address the association gives (the roster's メール column, the officers' page) works at
once. An address a member adds on their own settings page is `unconfirmed` until the link in
its confirmation message is followed, so that nobody can have the app write to someone
else's mailbox more than once. Addresses are personal data: only the member and the
association's officers see them; a block leader sees only which channels a member has.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, select

from .. import emails
from ..audit.services import record
from ..database import utcnow
from ..extensions import db
from ..i18n import member_language
from ..links import absolute
from ..org.models import Association, Member
from ..push.models import Outbox, PushSubscription
from ..push.services import outbox_row
from .models import (
    CHANNEL_EMAIL,
    CHANNEL_PUSH,
    SOURCE_ASSOCIATION,
    SOURCE_MEMBER,
    STATE_FAILED,
    STATE_STOPPED,
    STATE_UNCONFIRMED,
    STATE_WORKING,
    Contact,
)
from .services import CIRCULAR_ORDER, push_enabled, working_routes

CONFIRM_MAX_AGE = timedelta(days=3)
# Addresses a member may add (confirmation messages sent) per day: the app must not become a
# way to write to other people's mailboxes.
ADDS_PER_DAY = 5
KIND_CONFIRM = "confirm"


class ContactError(ValueError):
    """A change refused with a message for the person who asked."""


def normalize_email(text: str | None) -> str:
    """A checked address (see `emails.normalize_email`), or ContactError saying why not."""
    try:
        return emails.normalize_email(text)
    except emails.EmailError as error:
        raise ContactError(str(error)) from None


@dataclass(frozen=True)
class ChannelView:
    """One channel of a member as pages show it; `address` is empty for block leaders."""

    channel: str
    state: str
    address: str = ""
    contact_id: int | None = None
    source: str = ""
    detail: str = ""


# Reading ----------------------------------------------------------------------------------


def contacts_of(member: Member) -> list[Contact]:
    """The member's email and LINE contacts, email first, oldest first."""
    return list(
        db.session.scalars(
            select(Contact)
            .where(Contact.member_id == member.id)
            .order_by(Contact.channel, Contact.id)
        )
    )


def channel_views(member: Member, *, with_addresses: bool) -> list[ChannelView]:
    """Every channel of the member: each browser's push as one line, then each contact.

    `with_addresses` False (block leaders) leaves out the addresses and device names.
    """
    views: list[ChannelView] = []
    devices = db.session.scalar(
        select(func.count(PushSubscription.id)).where(PushSubscription.member_id == member.id)
    )
    if devices:
        state = STATE_WORKING if push_enabled() else STATE_STOPPED
        detail = _("%(count)d台の端末", count=devices) if with_addresses else ""
        views.append(ChannelView(CHANNEL_PUSH, state, detail=detail))
    for contact in contacts_of(member):
        views.append(
            ChannelView(
                contact.channel,
                contact.state,
                address=contact.address if with_addresses else "",
                contact_id=contact.id if with_addresses else None,
                source=contact.source,
            )
        )
    return views


def channel_marks(member_ids: list[int]) -> dict[int, list[str]]:
    """The channels that can carry each member's circulars now, in `CIRCULAR_ORDER`: what
    `notify` would choose from (for block leaders' lists: no addresses)."""
    routes = working_routes(member_ids)
    return {
        member_id: [c for c in CIRCULAR_ORDER if routes.get(member_id, {}).get(c)]
        for member_id in member_ids
    }


def working_channels(member: Member) -> list[str]:
    """The channels the member may choose for circulars."""
    return channel_marks([member.id])[member.id]


# The association's addresses ---------------------------------------------------------------


def association_email(member: Member) -> Contact | None:
    """The email address the association gave for the member (the newest, if several)."""
    return db.session.scalars(
        select(Contact)
        .where(
            Contact.member_id == member.id,
            Contact.channel == CHANNEL_EMAIL,
            Contact.source == SOURCE_ASSOCIATION,
        )
        .order_by(Contact.id.desc())
    ).first()


def association_emails(association_id: int) -> dict[int, str]:
    """{member id: the association's email address} of an association (the roster's view)."""
    found: dict[int, str] = {}
    for member_id, address in db.session.execute(
        select(Contact.member_id, Contact.address)
        .where(
            Contact.association_id == association_id,
            Contact.channel == CHANNEL_EMAIL,
            Contact.source == SOURCE_ASSOCIATION,
        )
        .order_by(Contact.id)
    ):
        found[member_id] = address
    return found


def _email_contact(member: Member, address: str) -> Contact | None:
    return db.session.scalars(
        select(Contact).where(
            Contact.member_id == member.id,
            Contact.channel == CHANNEL_EMAIL,
            Contact.address == address,
        )
    ).first()


def _new_email(member: Member, address: str, state: str, source: str) -> Contact:
    contact = Contact(
        association_id=member.association_id,
        member_id=member.id,
        channel=CHANNEL_EMAIL,
        address=address,
        state=state,
        source=source,
    )
    db.session.add(contact)
    return contact


def set_association_email(member: Member, address: str, by: Member | None) -> Contact:
    """The association vouches for `address` (already normalised): it works at once and
    replaces the association's previous address of the member.

    An address the member added themselves stays; when it is the same address, the
    association's word confirms it. The same address given again after it failed is tried
    again.
    """
    if not member.active:
        raise ContactError(_("利用を止めている人には登録できません。先に利用を再開してください。"))
    existing = _email_contact(member, address)
    for old in db.session.scalars(
        select(Contact).where(
            Contact.member_id == member.id,
            Contact.channel == CHANNEL_EMAIL,
            Contact.source == SOURCE_ASSOCIATION,
            Contact.address != address,
        )
    ):
        db.session.delete(old)
    if existing is None:
        existing = _new_email(member, address, STATE_WORKING, SOURCE_ASSOCIATION)
        existing.confirmed_at = utcnow()
    else:
        existing.source = SOURCE_ASSOCIATION
        if existing.state in (STATE_UNCONFIRMED, STATE_FAILED):
            # Given again (the mailbox was fixed, say): worth another try. A stopped address
            # stays stopped: the member turned it off.
            existing.state = STATE_WORKING
            existing.confirmed_at = existing.confirmed_at or utcnow()
            existing.failures = 0
            existing.last_error = ""
    db.session.flush()
    if by is not None:
        record(
            "contact.set",
            association_id=member.association_id,
            actor=by,
            target=member,
            channel=CHANNEL_EMAIL,
        )
    return existing


def roster_emails(association: Association) -> dict[int, str]:
    """The roster import's question: the addresses the association gave its members."""
    return association_emails(association.id)


def apply_roster_emails(association: Association, emails: dict[Member, str], **_kwargs) -> None:
    """The roster's メール column: each listed address becomes the member's association
    email (the import's own audit record names the members it changed)."""
    for member, address in emails.items():
        if member.association_id == association.id and address:
            set_association_email(member, address, by=None)


def remove_contact(contact: Contact, by: Member) -> None:
    """Delete an address (its queued messages go with it); the preference falls back."""
    member = contact.member
    channel = contact.channel
    db.session.delete(contact)
    db.session.flush()
    if member.preferred_channel == channel and channel not in working_channels(member):
        member.preferred_channel = None
    if by.id != member.id:
        record(
            "contact.remove",
            association_id=member.association_id,
            actor=by,
            target=member,
            channel=channel,
        )
    db.session.flush()


def set_preferred_channel(member: Member, channel: str | None, by: Member) -> None:
    """The channel circulars should come by; None: the first working one (自動)."""
    if channel is not None and channel not in working_channels(member):
        raise ContactError(_("その方法では、いまは届きません。"))
    member.preferred_channel = channel
    if by.id != member.id:
        record(
            "contact.preferred",
            association_id=member.association_id,
            actor=by,
            target=member,
            channel=channel or "",
        )
    db.session.flush()


# Addresses members add themselves -------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="jichikai.reach.confirm")


def _address_digest(address: str) -> str:
    """The address in a link: a digest, so that logs of visited URLs do not hold addresses."""
    return hashlib.sha256(address.encode()).hexdigest()[:24]


def confirm_token(contact: Contact) -> str:
    return _serializer().dumps([contact.id, contact.member_id, _address_digest(contact.address)])


def confirm_path(contact: Contact) -> str:
    return f"/reach/confirm/{confirm_token(contact)}"


def contact_for_token(token: str, now: datetime | None = None) -> Contact | None:
    """The contact a confirmation link is for, if the link is genuine, not expired, and the
    contact still has the member and the address it was sent for."""
    if not token or len(token) > 300:
        return None
    try:
        value, signed_at = _serializer().loads(token, return_timestamp=True)
    except BadSignature:
        return None
    if (now or utcnow()) - signed_at > CONFIRM_MAX_AGE:
        return None
    if not isinstance(value, list) or len(value) != 3:
        return None
    contact_id, member_id, digest = value
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (contact_id, member_id)):
        return None
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.member_id != member_id or contact.channel != CHANNEL_EMAIL:
        return None
    if _address_digest(contact.address) != digest or not contact.member.active:
        return None
    return contact


def add_member_email(member: Member, address: str) -> Contact:
    """The member adds an address: unconfirmed until the link in the message sent to it is
    followed. The confirmation message is queued in the member's language."""
    address = normalize_email(address)
    existing = _email_contact(member, address)
    if existing is not None and existing.state == STATE_WORKING:
        raise ContactError(_("このメールアドレスは、もう登録してあります。"))
    if existing is None:
        existing = _new_email(member, address, STATE_UNCONFIRMED, SOURCE_MEMBER)
    else:
        existing.state = STATE_UNCONFIRMED
    db.session.flush()
    queue_confirmation(existing)
    return existing


def queue_confirmation(contact: Contact) -> None:
    """Queue the message with the confirmation link (replacing one still waiting)."""
    member = contact.member
    db.session.execute(
        delete(Outbox).where(
            Outbox.contact_id == contact.id,
            Outbox.kind == KIND_CONFIRM,
            Outbox.status == "pending",
        )
    )
    language = member_language(member)
    link = absolute(confirm_path(contact))
    with force_locale(language):
        title = _("メールアドレスの確認")
        body = _(
            "%(association)sのお知らせを、このメールアドレスで受け取る登録がありました。\n"
            "よろしければ、3日以内に次のリンクを開いて「確認する」を押してください。\n"
            "%(link)s\n"
            "心当たりがないときは、このメールは捨ててください。何も届きません。",
            association=member.association.name,
            link=link,
        )
        label = _("確認する")
    row = outbox_row(
        association_id=member.association_id,
        channel=CHANNEL_EMAIL,
        member_id=member.id,
        contact_id=contact.id,
        kind=KIND_CONFIRM,
        language=language,
        actions=[[label, link]],
        title=title,
        body=body,
        url=link,
        tag="",
        urgency="normal",
        ttl=int(CONFIRM_MAX_AGE.total_seconds()),
        now=utcnow(),
    )
    db.session.execute(Outbox.__table__.insert(), [row])


def confirm_contact(contact: Contact) -> bool:
    """The link was followed: the address works. False if it already did."""
    if contact.state == STATE_WORKING:
        return False
    contact.state = STATE_WORKING
    contact.confirmed_at = utcnow()
    contact.failures = 0
    contact.last_error = ""
    db.session.flush()
    return True


# When access ends --------------------------------------------------------------------------


def forget_member(member: Member, by: Member | None = None) -> None:
    """A deactivated member's addresses are deleted (personal data), with their queued
    messages; the preference goes too. Reactivated, they start again without channels."""
    db.session.execute(
        delete(Outbox).where(
            Outbox.member_id == member.id, Outbox.status.in_(("pending", "sending"))
        )
    )
    db.session.execute(delete(Contact).where(Contact.member_id == member.id))
    member.preferred_channel = None
    db.session.flush()


def prune_unconfirmed(now: datetime) -> int:
    """Delete addresses members added whose link expired unused: someone else's address
    typed by mistake (or on purpose) is not kept."""
    result = db.session.execute(
        delete(Contact)
        .where(
            Contact.state == STATE_UNCONFIRMED,
            Contact.source == SOURCE_MEMBER,
            Contact.created_at < now - CONFIRM_MAX_AGE - timedelta(days=1),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
