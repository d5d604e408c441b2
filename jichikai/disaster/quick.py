"""The common check-in, a member reporting for themselves, in one statement.

When disaster mode starts, every member reports within minutes: this is the busiest moment
of the whole system. A check-in through the general path costs a round trip to the database
for the device and member, one for the active event, one for the report, and the ORM's work
around each. Here one `INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING` finds the
logged-in device, its member and the association's active event, checks the shelter, and
stores the report, in autocommit (a single statement is its own transaction). The report
names its event: the statement stores it only when that event is the association's active one,
never in another (a report queued during a drill must not count in the next disaster).

It only ever stores what the general path (services.submit_checkin) would store for the same
request. When the insert stores nothing, a second statement tells a resent report (answered
"already stored", as the general path answers it, when its content is the same) from the
rest. For the rest (not logged in, a revoked device, an event that has ended, a shelter the
association has not chosen explicitly, the same client_id with other content) and
for reports that are not a member's own, the caller falls back to the general path, which
gives the answer and the message. tests/disaster/test_quick.py holds the two paths to the
same rows and answers.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import Boolean, Integer, and_, bindparam, exists, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from ..auth.models import Device
from ..auth.services import session_hash
from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..org.models import Member
from .models import AssociationShelter, CheckIn, DisasterEvent
from .services import DisasterError, clean_report

_STATEMENTS: dict[tuple, object] = {}

# The report's own values, bound per request; the rest comes from the rows found.
_VALUES = ("status", "shelter_id", "place", "help_kind", "note", "extra_people", "client_id")


def _found(with_shelter: bool, with_member_id: bool):
    """The device, its member and the report's event if it is the association's active one,
    with the report's checks: the FROM clause and conditions both statements below share."""
    device = Device.__table__
    member = Member.__table__
    event = DisasterEvent.__table__
    chosen = AssociationShelter.__table__
    conditions = [
        device.c.session_hash == bindparam("session_hash"),
        device.c.revoked_at.is_(None),
        member.c.active.is_(True),
        # Kept true by the code that writes these rows; restated here at no cost.
        member.c.association_id == device.c.association_id,
        event.c.id == bindparam("event_id", type_=Integer),
        event.c.ended_at.is_(None),
    ]
    if with_member_id:
        conditions.append(member.c.id == bindparam("member_id", type_=Integer))
    if with_shelter:
        conditions.append(
            exists().where(
                and_(
                    chosen.c.association_id == device.c.association_id,
                    chosen.c.shelter_id == bindparam("shelter_id", type_=Integer),
                )
            )
        )
    joined = device.join(member, member.c.id == device.c.member_id).join(
        event, event.c.active_association_id == device.c.association_id
    )
    return joined, conditions, member, event


def _insert(dialect: str, with_shelter: bool, with_member_id: bool):
    """INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING, built once per dialect and
    shape; SQLAlchemy then reuses its compiled form."""
    key = ("insert", dialect, with_shelter, with_member_id)
    if key in _STATEMENTS:
        return _STATEMENTS[key]
    joined, conditions, member, event = _found(with_shelter, with_member_id)
    checkin = CheckIn.__table__
    source = (
        select(
            event.c.association_id,
            event.c.id,
            member.c.id,
            member.c.household_id,
            member.c.id,
            literal(False, Boolean),
            *(bindparam(name, type_=checkin.c[name].type) for name in _VALUES),
            bindparam("created_at", type_=UTCDateTime()),
        )
        .select_from(joined)
        .where(*conditions)
    )
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    columns = [
        "association_id",
        "event_id",
        "member_id",
        "household_id",
        "reporter_id",
        "proxy",
        *_VALUES,
        "created_at",
    ]
    statement = (
        insert(checkin)
        .from_select(columns, source)
        .on_conflict_do_nothing(index_elements=["event_id", "member_id", "client_id"])
        .returning(checkin.c.event_id, checkin.c.member_id)
    )
    _STATEMENTS[key] = statement
    return statement


def _already_stored(with_shelter: bool, with_member_id: bool):
    """The same report stored before (a resend): the row the insert above gave way to, if its
    content is this report's (the general path answers a different one with 409)."""
    key = ("stored", with_shelter, with_member_id)
    if key in _STATEMENTS:
        return _STATEMENTS[key]
    joined, conditions, member, event = _found(with_shelter, with_member_id)
    checkin = CheckIn.__table__
    statement = (
        select(checkin.c.event_id, checkin.c.member_id)
        .select_from(
            joined.join(
                checkin,
                and_(
                    checkin.c.event_id == event.c.id,
                    checkin.c.member_id == member.c.id,
                    checkin.c.client_id == bindparam("client_id"),
                    checkin.c.reporter_id == member.c.id,
                    *(
                        checkin.c[name].is_not_distinct_from(
                            bindparam(name, type_=checkin.c[name].type)
                        )
                        for name in _VALUES
                        if name != "client_id"
                    ),
                ),
            )
        )
        .where(*conditions)
    )
    _STATEMENTS[key] = statement
    return statement


def quick_checkin(session_id: str | None, fields: dict) -> dict | None:
    """Store a member's report for themselves in one statement; None: use the general path.

    `session_id` is the device's session id from the session cookie; `fields` are those of
    clean_report(). Returns the API's answer: `stored` is false for a report sent again (found
    by a second, cheap statement, only when the insert stored nothing).
    """
    if not session_id:
        return None
    if current_app.login_manager.session_protection == "strong":
        return None  # Flask-Login would check the session's origin first: let it
    try:
        report = clean_report(**fields)
    except DisasterError:
        return None  # the general path gives the message, after the login check
    if report.member_ids is not None and len(report.member_ids) != 1:
        return None
    with_shelter = report.shelter_id is not None
    with_member_id = report.member_ids is not None
    params = {
        "session_hash": session_hash(session_id),
        "event_id": report.event_id,
        "status": report.status,
        "shelter_id": report.shelter_id,
        "place": report.place,
        "help_kind": report.help_kind,
        "note": report.note,
        "extra_people": (report.headcount or 1) - 1,
        "client_id": report.client_id,
        "created_at": utcnow(),
    }
    if with_member_id:
        params["member_id"] = report.member_ids[0]
    engine = db.engine
    insert = _insert(engine.dialect.name, with_shelter, with_member_id)
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        row = connection.execute(insert, params).first()
        stored = row is not None
        if not stored:
            row = connection.execute(_already_stored(with_shelter, with_member_id), params).first()
    if row is None:
        return None
    return {
        "event_id": row.event_id,
        "member_ids": [row.member_id],
        "status": report.status,
        "stored": stored,
    }
