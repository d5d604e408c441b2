"""Passkeys (WebAuthn) for officers and admins: registering, logging in, removing, the policy."""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ..audit.services import record
from ..database import utcnow
from ..extensions import db
from ..org.models import ROLE_ADMIN, ROLE_OFFICER, Association, Member, RoleAssignment
from .models import Passkey, PasskeyChallenge

CHALLENGE_LIFETIME = timedelta(minutes=5)
TIMEOUT_MS = 120_000

# The association's policy for how its officers and admins log in.
POLICY_ANY = "any"  # a password or a passkey
POLICY_PASSKEY = "passkey"  # a passkey; a password alone is refused
POLICY_BOTH = "both"  # a password, then a passkey
POLICIES = (POLICY_ANY, POLICY_PASSKEY, POLICY_BOTH)

# Device methods of a login that used a passkey.
PASSKEY_METHODS = ("passkey", "password+passkey")


class PasskeyError(ValueError):
    """A passkey step that failed, with a message for the person who tried."""


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys belong to: the site's host name and its origin."""

    id: str
    origin: str
    name: str


def relying_party(base_url: str, name: str = "jichikai") -> RelyingParty:
    """The relying party for a site served at `base_url` (PUBLIC_URL, or the request's host)."""
    parts = urlsplit(base_url)
    return RelyingParty(
        id=parts.hostname or "", origin=f"{parts.scheme}://{parts.netloc}", name=name
    )


# Who may do what


def can_register_passkey(member: Member) -> bool:
    """Passkeys are for officers and admins (members log in with cards)."""
    return member.is_authenticated and member.is_officer


def can_recover_passkeys(actor: Member, target: Member) -> bool:
    """Another admin of the same association removes a lost passkey of an officer or admin."""
    return (
        actor.is_authenticated
        and actor.is_admin
        and actor.id != target.id
        and actor.association_id == target.association_id
    )


def member_passkeys(member: Member) -> list[Passkey]:
    """The member's passkeys, oldest first."""
    return list(
        db.session.scalars(
            select(Passkey).where(Passkey.member_id == member.id).order_by(Passkey.id)
        )
    )


def has_passkey(member: Member) -> bool:
    return db.session.scalar(select(Passkey.id).where(Passkey.member_id == member.id)) is not None


# Challenges: handed out once, deleted when used, refused when old


def _new_challenge(purpose: str, member: Member | None) -> bytes:
    now = utcnow()
    db.session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.expires_at < now))
    challenge = secrets.token_bytes(32)
    db.session.add(
        PasskeyChallenge(
            challenge=bytes_to_base64url(challenge),
            purpose=purpose,
            member_id=member.id if member else None,
            expires_at=now + CHALLENGE_LIFETIME,
        )
    )
    db.session.flush()
    return challenge


def _use_challenge(challenge: str, purpose: str, member: Member | None) -> bytes:
    """Delete the challenge (so it works once) and return it, if it is still good."""
    row = db.session.scalars(
        select(PasskeyChallenge).where(PasskeyChallenge.challenge == (challenge or ""))
    ).first()
    if row is None:
        raise PasskeyError(_("もう一度、はじめからお試しください。"))
    # Deleting with a condition on the row's id: of two requests racing with the same
    # challenge, only one deletes a row.
    deleted = db.session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.id == row.id))
    good = (
        deleted.rowcount == 1
        and row.purpose == purpose
        and row.member_id == (member.id if member else None)
        and row.expires_at > utcnow()
    )
    if not good:
        raise PasskeyError(_("もう一度、はじめからお試しください。"))
    return base64url_to_bytes(row.challenge)


def _user_handle(member: Member) -> bytes:
    # An opaque number, no name or email (the authenticator may show or sync it).
    return str(member.id).encode()


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(
        id=passkey.credential_id,
        transports=[AuthenticatorTransport(t) for t in passkey.transports or []],
    )


# Registering


def registration_options(member: Member, rp: RelyingParty) -> tuple[str, str]:
    """Options for navigator.credentials.create() as JSON, and their challenge (base64url)."""
    if not can_register_passkey(member):
        raise PasskeyError(_("パスキーは役員の方だけが登録できます。"))
    challenge = _new_challenge("register", member)
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=_user_handle(member),
        user_name=member.email or member.name,
        user_display_name=member.name,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[_descriptor(p) for p in member_passkeys(member)],
    )
    return options_to_json(options), bytes_to_base64url(challenge)


def register_passkey(
    member: Member, credential: dict, name: str, challenge: str, rp: RelyingParty
) -> Passkey:
    """Check the browser's answer to the registration options and keep the new passkey."""
    if not can_register_passkey(member):
        raise PasskeyError(_("パスキーは役員の方だけが登録できます。"))
    name = (name or "").strip()[:100]
    if not name:
        raise PasskeyError(_("パスキーの名前を入れてください。"))
    expected = _use_challenge(challenge, "register", member)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=expected,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise PasskeyError(_("パスキーを登録できませんでした。")) from error
    known = db.session.scalar(
        select(Passkey.id).where(Passkey.credential_id == verified.credential_id)
    )
    if known is not None:
        raise PasskeyError(_("このパスキーはもう登録されています。"))
    transports = (credential.get("response") or {}).get("transports") or []
    passkey = Passkey(
        association_id=member.association_id,
        member_id=member.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[t for t in transports if t in {a.value for a in AuthenticatorTransport}],
        name=name,
    )
    db.session.add(passkey)
    db.session.flush()
    record(
        "passkey.register",
        association_id=member.association_id,
        actor=member,
        target=passkey,
        name=name,
    )
    return passkey


# Logging in


def authentication_options(rp: RelyingParty, member: Member | None = None) -> tuple[str, str]:
    """Options for navigator.credentials.get() as JSON, and their challenge (base64url).

    Without a member any passkey of this site may answer (usernameless login); with one (the
    second step after a password), only that member's.
    """
    challenge = _new_challenge("second" if member else "login", member)
    allow = [_descriptor(p) for p in member_passkeys(member)] if member else None
    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        allow_credentials=allow,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options), bytes_to_base64url(challenge)


def _credential_id(credential: dict) -> bytes | None:
    try:
        return base64url_to_bytes(credential["rawId"])
    except (KeyError, TypeError, ValueError):
        return None


def _failed(reason: str, ip: str, passkey: Passkey | None = None) -> PasskeyError:
    record(
        "passkey.login_failed",
        association_id=passkey.association_id if passkey else None,
        target=passkey.member if passkey else None,
        ip=ip,
        reason=reason,
    )
    return PasskeyError(_("パスキーでログインできませんでした。"))


def log_in_with_passkey(
    credential: dict,
    challenge: str,
    rp: RelyingParty,
    ip: str = "",
    member: Member | None = None,
) -> Member:
    """The member whose passkey signed the challenge; failures are audit-logged.

    `member` is the one who already gave their password (the second step), else None. The
    caller commits even when this raises, so that the challenge stays used and the failure
    recorded.
    """
    try:
        expected = _use_challenge(challenge, "second" if member else "login", member)
    except PasskeyError:
        raise _failed("challenge", ip) from None
    credential_id = _credential_id(credential if isinstance(credential, dict) else {})
    passkey = None
    if credential_id is not None:
        passkey = db.session.scalars(
            select(Passkey).where(Passkey.credential_id == credential_id)
        ).first()
    if passkey is None:
        raise _failed("unknown credential", ip)
    if member is not None and passkey.member_id != member.id:
        raise _failed("another member's passkey", ip, passkey)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=expected,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise _failed(str(error)[:200], ip, passkey) from error
    user_handle = (credential.get("response") or {}).get("userHandle")
    if user_handle and base64url_to_bytes(user_handle) != _user_handle(passkey.member):
        raise _failed("user handle", ip, passkey)
    if not passkey.member.active:
        raise _failed("inactive member", ip, passkey)
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = utcnow()
    return passkey.member


# Removing and recovering


def remove_passkey(passkey: Passkey, by: Member) -> None:
    """Remove one of one's own passkeys; the last one only when a password still lets one in."""
    owner = passkey.member
    if by.id != owner.id:
        raise PasskeyError(
            _("ほかの人のパスキーは、管理者が「パスキーをなくしたとき」から消します。")
        )
    others = db.session.scalar(
        select(func.count(Passkey.id)).where(
            Passkey.member_id == owner.id, Passkey.id != passkey.id
        )
    )
    if not others and (owner.association.passkey_policy != POLICY_ANY or not owner.password_hash):
        raise PasskeyError(_("最後のパスキーは消せません。先に新しいパスキーを登録してください。"))
    record(
        "passkey.remove",
        association_id=owner.association_id,
        actor=by,
        target=owner,
        name=passkey.name,
    )
    db.session.delete(passkey)
    db.session.flush()


def recover_passkeys(target: Member, by: Member | None) -> int:
    """Another admin removes every passkey of an officer or admin who lost theirs.

    `by` None is the server's operator (`flask passkeys recover`), for an association whose
    only admin lost theirs. The member then logs in with their password and registers a new
    passkey (see `must_register_passkey`). Returns how many were removed.
    """
    if by is not None and not can_recover_passkeys(by, target):
        raise PasskeyError(_("ご自分のパスキーは、設定の画面で消してください。"))
    passkeys = member_passkeys(target)
    for passkey in passkeys:
        db.session.delete(passkey)
    record(
        "passkey.recover",
        association_id=target.association_id,
        actor=by,
        target=target,
        removed=[p.name for p in passkeys],
    )
    db.session.flush()
    return len(passkeys)


# The association's policy


def set_passkey_policy(association: Association, policy: str, by: Member) -> None:
    """Change how officers and admins log in; requiring a passkey needs one's own first."""
    if policy not in POLICIES:
        raise PasskeyError(f"unknown passkey policy {policy}")
    if not (by.is_admin and by.association_id == association.id):
        raise PasskeyError(_("この設定は管理者だけが変えられます。"))
    if policy != POLICY_ANY and not has_passkey(by):
        raise PasskeyError(_("パスキーを必須にする前に、まずご自分のパスキーを登録してください。"))
    if association.passkey_policy == policy:
        return
    record(
        "association.passkey_policy",
        association_id=association.id,
        actor=by,
        target=association,
        old=association.passkey_policy,
        new=policy,
    )
    association.passkey_policy = policy
    db.session.flush()


def passkey_required_for(member: Member) -> bool:
    """Whether the association's policy asks this member (an officer or admin) for a passkey."""
    return member.is_officer and member.association.passkey_policy != POLICY_ANY


def password_login_step(member: Member) -> str:
    """What follows a correct password: "log_in", "refuse" or "passkey" (a second step).

    Officers and admins of an association that requires passkeys are refused (or asked for
    their passkey, under "both"), unless they have no passkey yet: they are then logged in
    only to register one (`must_register_passkey`), so that nobody is locked out.
    """
    if not passkey_required_for(member) or not has_passkey(member):
        return "log_in"
    if member.association.passkey_policy == POLICY_PASSKEY:
        return "refuse"
    return "passkey"


def passkey_login_refusal(member: Member) -> str | None:
    """Why a passkey alone does not let this member in (policy "both"), else None."""
    if passkey_required_for(member) and member.association.passkey_policy == POLICY_BOTH:
        return _("この自治会では、役員の方はパスワードとパスキーの両方でログインします。")
    return None


def must_register_passkey(member: Member, device_method: str) -> bool:
    """An officer logged in without a passkey where one is required: only registering is open."""
    return passkey_required_for(member) and device_method not in PASSKEY_METHODS


def may_register_first_passkey(member: Member, device_method: str) -> bool:
    """Where a passkey is required, the first one is registered only after a password login.

    A card or code can be re-issued by another officer, who could then log in as this officer
    and plant a passkey of their own, locking the real officer out. The password is this
    officer's alone (an admin sets it, audited).
    """
    return not must_register_passkey(member, device_method) or device_method == "password"


def officers_without_passkey(association: Association) -> list[Member]:
    """Officers and admins who would have to register a passkey at their next login."""
    with_passkey = select(Passkey.member_id).where(Passkey.association_id == association.id)
    return list(
        db.session.scalars(
            select(Member)
            .join(RoleAssignment, RoleAssignment.member_id == Member.id)
            .where(
                Member.association_id == association.id,
                Member.active.is_(True),
                RoleAssignment.ended_at.is_(None),
                RoleAssignment.role.in_((ROLE_ADMIN, ROLE_OFFICER)),
                Member.id.not_in(with_passkey),
            )
            .distinct()
            .order_by(Member.id)
        )
    )
