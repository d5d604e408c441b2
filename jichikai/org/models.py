"""The organisation: associations, blocks, households, members and their roles."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import TenantMixin, UTCDateTime, utcnow
from ..extensions import db

ROLE_ADMIN = "admin"
ROLE_OFFICER = "officer"
ROLE_LEADER = "leader"
ROLES = (ROLE_ADMIN, ROLE_OFFICER, ROLE_LEADER)

DEFAULT_SETTINGS: dict = {
    "notice_reminder_hours": 48,
    "checkin_reminder_minutes": 30,
    "checkin_reminder_max": 3,
    "checkin_retention_days": 30,
    # Minutes after an event starts when members who have not answered join their block
    # leader's call list and the leader is alerted (disaster/calls.py).
    "escalation_minutes": 15,
    "shelter_radius_m": 3000,
    # New circulars are 要確認 by default (members press 確認しました; notices/acks.py).
    "notice_ack_required": False,
}


class Association(db.Model):
    """A neighbourhood association (自治会・町内会): one tenant."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    municipality: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Tokyo")
    center_lat: Mapped[float | None]
    center_lon: Mapped[float | None]
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    # The languages offered to the members (codes of the LANGUAGES setting, Japanese always
    # among them); None offers every language of the server (i18n.offered_languages).
    languages: Mapped[list | None] = mapped_column(JSON)
    # How officers and admins log in: "any" (password or passkey), "passkey" (passkey
    # required) or "both" (password plus passkey); see auth/passkeys.py.
    passkey_policy: Mapped[str] = mapped_column(String(10), default="any", server_default="any")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def setting(self, key: str):
        """One setting, falling back to the product default."""
        return (self.settings or {}).get(key, DEFAULT_SETTINGS.get(key))


class Block(TenantMixin, db.Model):
    """A block (班・組) of households, led by a block leader."""

    __table_args__ = (UniqueConstraint("association_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)

    households: Mapped[list[Household]] = relationship(
        back_populates="block", order_by="Household.position, Household.id"
    )


class Household(TenantMixin, db.Model):
    """A household (世帯); paper-only households take part through their block leader."""

    id: Mapped[int] = mapped_column(primary_key=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("block.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    town: Mapped[str] = mapped_column(String(200), default="")
    address_line: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    people_count: Mapped[int] = mapped_column(Integer, default=1)
    phone: Mapped[str] = mapped_column(String(40), default="")
    paper_only: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_assistance: Mapped[bool] = mapped_column(Boolean, default=False)
    assistance_note: Mapped[str] = mapped_column(Text, default="")
    # Where the household lives (WGS84): from the roster, an officer's map or the geocoder.
    # Members' shelters are listed nearest to it when the phone does not say where it is.
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def location(self) -> tuple[float, float] | None:
        if self.lat is None or self.lon is None:
            return None
        return self.lat, self.lon

    block: Mapped[Block] = relationship(back_populates="households")
    members: Mapped[list[Member]] = relationship(back_populates="household", order_by="Member.id")


class Member(UserMixin, TenantMixin, db.Model):
    """A person of the association; the login identity of the app."""

    # A login email is unique within its association only, so that one association cannot
    # learn another's addresses (docs/security.md, "Login emails").
    __table_args__ = (UniqueConstraint("association_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kana: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    language: Mapped[str] = mapped_column(String(8), default="ja")
    text_size: Mapped[str] = mapped_column(String(10), default="normal")
    push_preference: Mapped[str] = mapped_column(String(10), default="all")
    # The channel circulars should come by ("push", "email", "line"); None: the first working
    # one in reach.services.CIRCULAR_ORDER. Disaster messages go to every working channel.
    preferred_channel: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    association: Mapped[Association] = relationship()
    household: Mapped[Household | None] = relationship(back_populates="members")
    role_assignments: Mapped[list[RoleAssignment]] = relationship(
        back_populates="member",
        foreign_keys="RoleAssignment.member_id",
        order_by="RoleAssignment.started_at",
    )

    # The device (login) this instance was loaded for; see auth.services.
    current_device = None

    def get_id(self) -> str:
        if self.current_device is None:
            raise RuntimeError("a member is logged in only through a device")
        return self.current_device.session_id

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def active_roles(self) -> list[RoleAssignment]:
        return [r for r in self.role_assignments if r.ended_at is None]

    @property
    def is_admin(self) -> bool:
        return any(r.role == ROLE_ADMIN for r in self.active_roles)

    @property
    def is_officer(self) -> bool:
        """Officers and admins manage the association."""
        return any(r.role in (ROLE_ADMIN, ROLE_OFFICER) for r in self.active_roles)

    @property
    def led_block_ids(self) -> set[int]:
        return {r.block_id for r in self.active_roles if r.role == ROLE_LEADER and r.block_id}

    @property
    def is_leader(self) -> bool:
        return bool(self.led_block_ids)


class RoleAssignment(TenantMixin, db.Model):
    """A role held from `started_at` until `ended_at`; leaders rotate yearly, history is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    block_id: Mapped[int | None] = mapped_column(ForeignKey("block.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))

    member: Mapped[Member] = relationship(
        back_populates="role_assignments", foreign_keys=[member_id]
    )
    block: Mapped[Block | None] = relationship()


class RosterImport(TenantMixin, db.Model):
    """An uploaded roster file kept between its preview and its confirmation."""

    id: Mapped[int] = mapped_column(primary_key=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    encoding: Mapped[str] = mapped_column(String(20), default="")
    # The decoded text; emptied once applied, so the roster is not kept twice.
    content: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
