"""Login cards (QR and short code), passkeys and the devices a member is logged in on."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import TenantMixin, UTCDateTime, utcnow
from ..extensions import db
from ..org.models import Member


class LoginCard(TenantMixin, db.Model):
    """A printed card; only hashes of its token and code are stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship(foreign_keys=[member_id])


class Device(TenantMixin, db.Model):
    """One login of a member on one browser; revoking it logs that browser out."""

    __table_args__ = (Index("ix_device_browser_hash", "member_id", "browser_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    method: Mapped[str] = mapped_column(String(20))  # qr, code, password, passkey...
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A hash of the browser's own random key (a long-lived cookie): logging in again from the
    # same browser takes over its device instead of listing the browser twice.
    browser_hash: Mapped[str | None] = mapped_column(String(64))

    member: Mapped[Member] = relationship()

    # The clear session id, known only right after login or when loaded from a session.
    session_id: str = ""


class Passkey(TenantMixin, db.Model):
    """A WebAuthn credential (passkey) an officer or admin logs in with."""

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    transports: Mapped[list] = mapped_column(JSON, default=list)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship()


class PasskeyChallenge(db.Model):
    """A WebAuthn challenge handed out once: it is deleted when used and refused when old.

    Not tenant-owned: a usernameless login asks for a challenge before anyone is known.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge: Mapped[str] = mapped_column(String(100), unique=True)  # base64url
    purpose: Mapped[str] = mapped_column(String(20))  # register, login, second
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
