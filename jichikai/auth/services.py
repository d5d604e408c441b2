"""Issuing login cards, logging in and keeping track of devices."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit.services import record
from ..database import utcnow
from ..extensions import db
from ..keys.services import card_pepper
from ..org.models import Member
from .codes import new_code, normalize_code
from .models import Device, LoginCard

LAST_SEEN_RESOLUTION = timedelta(hours=1)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def session_hash(session_id: str) -> str:
    """What a device row stores of its session id (the id itself is only in the cookie)."""
    return _sha256(session_id)


def _code_digest(code: str) -> str:
    # Codes are short (60 bits): a keyed hash keeps a leaked table from being brute-forced.
    pepper = card_pepper(current_app._get_current_object())
    return hmac.new(pepper.encode(), code.encode(), hashlib.sha256).hexdigest()


def issue_card(member: Member, issued_by: Member | None = None) -> tuple[LoginCard, str, str]:
    """Issue a new card for `member`, revoking the previous one; returns (card, token, code)."""
    now = utcnow()
    db.session.execute(
        update(LoginCard)
        .where(LoginCard.member_id == member.id, LoginCard.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    token = secrets.token_urlsafe(16)
    code = new_code()
    card = LoginCard(
        association_id=member.association_id,
        member_id=member.id,
        token_hash=_sha256(token),
        code_hash=_code_digest(code),
        issued_at=now,
        issued_by_id=issued_by.id if issued_by else None,
    )
    db.session.add(card)
    record(
        "card.issue",
        association_id=member.association_id,
        actor=issued_by,
        target=member,
    )
    db.session.flush()
    return card, token, code


def _active_card_member(condition) -> Member | None:
    card = db.session.scalars(
        select(LoginCard).where(condition, LoginCard.revoked_at.is_(None))
    ).first()
    if card is None or not card.member.active:
        return None
    return card.member


def has_active_card(member: Member) -> bool:
    """Whether the member holds a card that still works."""
    return (
        db.session.scalar(
            select(LoginCard.id).where(
                LoginCard.member_id == member.id, LoginCard.revoked_at.is_(None)
            )
        )
        is not None
    )


def member_for_token(token: str) -> Member | None:
    """The member whose current card carries this QR token."""
    if not token or len(token) > 64:
        return None
    return _active_card_member(LoginCard.token_hash == _sha256(token))


def member_for_code(raw: str) -> Member | None:
    """The member whose current card carries this code, however it was typed."""
    code = normalize_code(raw)
    if code is None:
        return None
    return _active_card_member(LoginCard.code_hash == _code_digest(code))


def _hash_method() -> str:
    return current_app.config.get("PASSWORD_HASH_METHOD") or "scrypt"


def set_password(member: Member, password: str, by: Member | None = None) -> None:
    """Store a password hash for an officer's email login; audit-logged when set `by` someone."""
    member.password_hash = generate_password_hash(password, method=_hash_method())
    if by is not None:
        record("member.password", association_id=member.association_id, actor=by, target=member)


@cache
def _dummy_hash(method: str) -> str:
    """A hash of a random password, checked in place of accounts that are not there."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def member_for_password(email: str, password: str) -> Member | None:
    """The active member with this email and password.

    A login email is unique per association, so it may name an account in each of several
    associations; the password tells them apart (the first that matches wins). Every attempt
    checks PASSWORD_LOGIN_CHECKS hashes (more only for an address held in more associations):
    missing, inactive and password-less accounts are stood in for by a dummy hash of the
    configured method, so the work done does not tell whether, or in how many associations,
    the address exists. See docs/security.md, "Login emails".
    """
    email = (email or "").strip().lower()
    if not email:
        return None
    accounts = list(
        db.session.scalars(select(Member).where(Member.email == email).order_by(Member.id))
    )
    checks = max(1, current_app.config["PASSWORD_LOGIN_CHECKS"], len(accounts))
    dummy = _dummy_hash(_hash_method())
    found = None
    for index in range(checks):
        account = accounts[index] if index < len(accounts) else None
        usable = account is not None and account.active and bool(account.password_hash)
        matches = check_password_hash(account.password_hash if usable else dummy, password or "")
        if usable and matches and found is None:
            found = account
    return found


def start_device(
    member: Member, method: str, user_agent: str = "", ip: str = "", browser_key: str = ""
) -> Device:
    """Record a new login of `member`; the device's session id goes into the session cookie.

    A browser that logged this member in before (the same `browser_key`) takes over its
    device, under a new session id, instead of being listed twice.
    """
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    browser_hash = _sha256(browser_key) if browser_key else None
    device = None
    if browser_hash:
        device = db.session.scalars(
            select(Device)
            .where(
                Device.member_id == member.id,
                Device.browser_hash == browser_hash,
                Device.revoked_at.is_(None),
            )
            .order_by(Device.id.desc())
            .limit(1)
        ).first()
    if device is None:
        device = Device(
            association_id=member.association_id,
            member_id=member.id,
            browser_hash=browser_hash,
        )
        db.session.add(device)
    device.session_hash = session_hash(session_id)
    device.method = method
    device.user_agent = (user_agent or "")[:300]
    device.created_at = now
    device.last_seen_at = now
    device.session_id = session_id
    record("login", association_id=member.association_id, actor=member, ip=ip, method=method)
    db.session.flush()
    member.current_device = device
    return device


@dataclass(frozen=True)
class CurrentDevice:
    """The device a request came from: enough to tell it apart and to log it out."""

    id: int
    session_id: str


# The statement every logged-in request runs, built once: the device (not revoked), its
# member (active), the member's association and roles (which the passkey policy, the menu and
# the time zone read on every page) in one round trip instead of three.
_SESSION_MEMBER = (
    select(Member, Device.id, Device.last_seen_at)
    .join(Device, Device.member_id == Member.id)
    .where(
        Device.session_hash == bindparam("session_hash"),
        Device.revoked_at.is_(None),
        Member.active.is_(True),
    )
    .options(joinedload(Member.association), joinedload(Member.role_assignments))
)


def member_for_session(session_id: str) -> Member | None:
    """The member logged in with this session id, if its device has not been revoked."""
    if not session_id:
        return None
    row = (
        db.session.execute(_SESSION_MEMBER, {"session_hash": session_hash(session_id)})
        .unique()
        .first()
    )
    if row is None:
        return None
    member, device_id, last_seen_at = row
    now = utcnow()
    if now - last_seen_at > LAST_SEEN_RESOLUTION:
        # Its own short transaction, so that loading the user never commits a view's work.
        with db.engine.begin() as connection:
            connection.execute(
                update(Device).where(Device.id == device_id).values(last_seen_at=now)
            )
    member.current_device = CurrentDevice(device_id, session_id)
    return member


def revoke_device(device: Device, by: Member) -> None:
    """Log a device out (a lost phone)."""
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        record("device.revoke", association_id=device.association_id, actor=by, target=device)


def end_logins(member: Member, by: Member | None = None) -> None:
    """Log the member out everywhere and revoke their login card (deactivated or reactivated).

    A reactivated member then needs a new card: nothing from before logs them in again.
    """
    now = utcnow()
    devices, cards = (
        db.session.execute(
            update(model)
            .where(model.member_id == member.id, model.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        for model in (Device, LoginCard)
    )
    if not devices and not cards:
        return
    record(
        "member.logins_end",
        association_id=member.association_id,
        actor=by,
        target=member,
        devices=devices or 0,
        cards=cards or 0,
    )


def member_devices(member: Member) -> list[Device]:
    """The member's active devices, newest first."""
    return list(
        db.session.scalars(
            select(Device)
            .where(Device.member_id == member.id, Device.revoked_at.is_(None))
            .order_by(Device.last_seen_at.desc())
        )
    )
