"""Shelters, disaster events and the members' check-in reports (安否確認)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import TenantMixin, UTCDateTime, utcnow
from ..extensions import db
from ..org.models import Member

# Event kinds, and the shelter hazard flag each one needs (None: any shelter will do).
KINDS = ("earthquake", "flood", "landslide", "fire", "tsunami", "volcano", "other")
KIND_HAZARD = {
    "earthquake": "earthquake",
    "flood": "flood",
    "landslide": "landslide",
    "fire": "fire",
    "tsunami": "tsunami",
    "volcano": "volcano",
    "other": None,
}

# The eight hazards of the official data, in the column order of GSI's CSV.
HAZARDS = (
    "flood",
    "landslide",
    "storm_surge",
    "earthquake",
    "tsunami",
    "fire",
    "inland_flood",
    "volcano",
)

# Where a shelter comes from.
SOURCE_GSI_EMERGENCY = "gsi_emergency"  # 国土地理院 指定緊急避難場所
SOURCE_GSI_SHELTER = "gsi_shelter"  # 国土地理院 指定避難所
SOURCE_DA_EMERGENCY = "da_emergency"  # デジタル庁 推奨データセット 指定緊急避難場所一覧
SOURCE_OWN = "own"  # a place the association adds itself, e.g. the 集会所

FACILITY_EMERGENCY_SITE = "emergency_site"  # 指定緊急避難場所
FACILITY_SHELTER = "shelter"  # 指定避難所
FACILITY_GATHERING = "gathering_point"  # 一時集合場所
FACILITY_TYPES = (FACILITY_EMERGENCY_SITE, FACILITY_SHELTER, FACILITY_GATHERING)

STATUS_SAFE_HOME = "safe_home"
STATUS_AT_SHELTER = "at_shelter"
STATUS_ELSEWHERE = "elsewhere"
STATUS_NEED_HELP = "need_help"
STATUSES = (STATUS_SAFE_HOME, STATUS_AT_SHELTER, STATUS_ELSEWHERE, STATUS_NEED_HELP)
HELP_KINDS = ("injury", "cannot_move", "supplies", "other")


class Shelter(db.Model):
    """An evacuation place: official open data (no association) or an association's own place."""

    __table_args__ = (
        Index("ix_shelter_source_external_id", "source", "external_id"),
        Index("ix_shelter_lat_lon", "lat", "lon"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for the official data shared by every association; set for an association's own place.
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("association.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(80), default="")
    facility_type: Mapped[str] = mapped_column(String(20), default=FACILITY_EMERGENCY_SITE)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    municipality: Mapped[str] = mapped_column(String(100), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    # Comma-separated HAZARDS it is designated for; empty when the data says nothing.
    hazards: Mapped[str] = mapped_column(String(120), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def hazard_set(self) -> set[str]:
        return set(filter(None, self.hazards.split(",")))

    def suits(self, kind: str | None) -> bool:
        """Whether the shelter is designated for the hazard of an event kind.

        Places without hazard data (指定避難所, own gathering points) suit every kind.
        """
        hazard = KIND_HAZARD.get(kind or "other")
        if hazard is None or self.facility_type != FACILITY_EMERGENCY_SITE:
            return True
        return hazard in self.hazard_set


class AssociationShelter(TenantMixin, db.Model):
    """A shelter the association has chosen for its members."""

    __table_args__ = (UniqueConstraint("association_id", "shelter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shelter_id: Mapped[int] = mapped_column(ForeignKey("shelter.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # How many people it takes, as the association knows it; None: the official data's figure.
    capacity: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    shelter: Mapped[Shelter] = relationship()


class DisasterEvent(TenantMixin, db.Model):
    """Disaster mode: from start to end; a summary is kept after the details are deleted."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # The association's id while the event is active, NULL once ended: one active per association.
    active_association_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[dict | None] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    summary: Mapped[dict | None] = mapped_column(JSON)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    # When the block leaders were alerted to their call lists (claimed once; see calls.py).
    leaders_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    details_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    started_by: Mapped[Member | None] = relationship(foreign_keys=[started_by_id])

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


# A shelter's state during an event, as members see it.
SHELTER_OPEN = "open"  # 開設
SHELTER_FULL = "full"  # 満員 (open, but taking nobody more)
SHELTER_CLOSED = "closed"  # 閉鎖
SHELTER_UNKNOWN = "unknown"  # 未確認: nobody has said yet
SHELTER_STATES = (SHELTER_OPEN, SHELTER_FULL, SHELTER_CLOSED, SHELTER_UNKNOWN)


class EventShelter(TenantMixin, db.Model):
    """A shelter's state during one event: open, full or closed, with an optional capacity."""

    __table_args__ = (UniqueConstraint("event_id", "shelter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("disaster_event.id", ondelete="CASCADE"), index=True
    )
    shelter_id: Mapped[int] = mapped_column(ForeignKey("shelter.id", ondelete="CASCADE"))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # Open but full (満員): offered last, with a warning.
    full: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    capacity: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))


class CheckIn(TenantMixin, db.Model):
    """One member's status as reported once (append-only); the latest report decides.

    A report for several members of a household is one row per member sharing a `client_id`;
    the same report sent again finds the unique constraint and is stored once.
    """

    __table_args__ = (
        UniqueConstraint("event_id", "member_id", "client_id"),
        Index("ix_check_in_event_id_member_id_id", "event_id", "member_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("disaster_event.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("household.id", ondelete="SET NULL")
    )
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    proxy: Mapped[bool] = mapped_column(Boolean, default=False)
    # How the answer came: "app" (the member's own page or the API), "proxy" (a leader),
    # "email" or "line" (a one-tap link or button in a message of that channel).
    channel: Mapped[str] = mapped_column(String(8), default="app", server_default="app")
    status: Mapped[str] = mapped_column(String(20))
    shelter_id: Mapped[int | None] = mapped_column(ForeignKey("shelter.id", ondelete="SET NULL"))
    place: Mapped[str] = mapped_column(String(200), default="")
    help_kind: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    # People beyond the reported members (children, guests), counted on the report's first row.
    extra_people: Mapped[int] = mapped_column(Integer, default=0)
    client_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    shelter: Mapped[Shelter | None] = relationship()


class HouseholdCheckIn(TenantMixin, db.Model):
    """A report for a household the roster lists without member records (a paper-only
    household known by its name alone): made by a block leader or an officer, append-only,
    the latest decides. The same report sent again (same `client_id`) is stored once."""

    __table_args__ = (
        UniqueConstraint("event_id", "household_id", "client_id"),
        Index("ix_household_check_in_event_id_household_id_id", "event_id", "household_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("disaster_event.id", ondelete="CASCADE"))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20))
    shelter_id: Mapped[int | None] = mapped_column(ForeignKey("shelter.id", ondelete="SET NULL"))
    place: Mapped[str] = mapped_column(String(200), default="")
    help_kind: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    # People of the household the report is about (its roster count unless the leader says).
    headcount: Mapped[int] = mapped_column(Integer, default=1)
    client_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    shelter: Mapped[Shelter | None] = relationship()

    # Read like a CheckIn by the pages: always someone else's report.
    proxy = True
    channel = "proxy"

    @property
    def extra_people(self) -> int:
        return max(self.headcount - 1, 0)


# What a leader found when calling or visiting a member on the call list.
OUTCOME_PHONE = "phone"  # 電話で確認
OUTCOME_VISIT = "visit"  # 訪問して確認
OUTCOME_NO_ANSWER = "no_answer"  # つながらない: the member stays on the list
# 連絡がつかない: after the first hours, nobody could reach them by any means; they stay on the
# list and go on the officers' list for the fire brigade or the city.
OUTCOME_UNREACHABLE = "unreachable"
OUTCOMES = (OUTCOME_PHONE, OUTCOME_VISIT, OUTCOME_NO_ANSWER, OUTCOME_UNREACHABLE)
# Outcomes that keep a member on the call list.
OUTCOMES_OPEN = (OUTCOME_NO_ANSWER, OUTCOME_UNREACHABLE)


class CallOutcome(TenantMixin, db.Model):
    """A leader's call or visit to a member (or to a household without member records) on
    the call list (append-only; the latest counts). Made offline, it carries the client's id
    and is stored once however often it is sent."""

    __table_args__ = (
        Index("ix_call_outcome_event_id_member_id", "event_id", "member_id"),
        Index("ix_call_outcome_event_id_household_id", "event_id", "household_id"),
        UniqueConstraint("event_id", "client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("disaster_event.id", ondelete="CASCADE"))
    # Exactly one of member_id and household_id (a household without member records).
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Bulletin(TenantMixin, db.Model):
    """A short notice officers (or an official alert) post during an event, kept with it.

    A fixed phrase (`template`, with `params` such as a place or a time) is composed in each
    reader's language; free `text` is shown as written. `block_ids` empty: everyone.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("disaster_event.id", ondelete="CASCADE"), index=True
    )
    template: Mapped[str] = mapped_column(String(20), default="")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    text: Mapped[str] = mapped_column(Text, default="")
    block_ids: Mapped[list] = mapped_column(JSON, default=list)
    # "officer" or "jma" (a new official alert during the event).
    source: Mapped[str] = mapped_column(String(10), default="officer")
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    # What notify() reached: {"members": n, "reached": n, "by_channel": {...}}.
    reach: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    posted_by: Mapped[Member | None] = relationship()


class HelpUpdate(TenantMixin, db.Model):
    """What a member who asked for help needs now, added to their 助けが必要 report.

    Deleted with the report it belongs to (the check-in details' retention applies).
    """

    __table_args__ = (Index("ix_help_update_event_id_member_id", "event_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("disaster_event.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    checkin_id: Mapped[int] = mapped_column(
        ForeignKey("check_in.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
