"""Reports for households the roster lists without member records (a paper-only household
known by its name alone): a block leader or an officer reports for the household as a whole.

Such a household counts once in every total (roll call, dashboard, CSV, summary); at a
shelter it counts with its headcount. Whether the reporter may is the caller's check
(permissions.can_report_for_household); a household that has member records is reported for
member by member (services.submit_checkin) and is refused here.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..database import utcnow
from ..extensions import db
from ..org.models import Household, Member
from .models import HouseholdCheckIn
from .services import (
    MAX_HEADCOUNT,
    DisasterError,
    clean_report,
    reported_event,
)
from .shelters import is_association_shelter

# What makes two reports with the same client_id the same report.
_CONTENT = ("reporter_id", "status", "shelter_id", "place", "help_kind", "note", "headcount")


@dataclass
class HouseholdReportResult:
    stored: bool  # False when the same report had already been stored
    report: HouseholdCheckIn
    event_id: int


def has_members(household: Household) -> bool:
    """Whether the household has active member records (then members are reported for)."""
    return (
        db.session.scalar(
            select(Member.id)
            .where(Member.household_id == household.id, Member.active.is_(True))
            .limit(1)
        )
        is not None
    )


def submit_household_checkin(
    reporter: Member, household: Household, **fields
) -> HouseholdReportResult:
    """Store a report for a household without member records in the event it names (flushes);
    the same report sent again is stored once. `fields` are those of clean_report() except
    member_ids; `headcount` defaults to the household's roster count."""
    if household.association_id != reporter.association_id:
        raise DisasterError(_("知らせる人の指定が正しくありません。"))
    if has_members(household):
        raise DisasterError(_("この世帯は、一人ずつ知らせてください。"))
    headcount = fields.pop("headcount", None)
    report = clean_report(**fields)
    event = reported_event(reporter.association_id, report.event_id)
    if report.shelter_id is not None and not is_association_shelter(
        event.association_id, report.shelter_id
    ):
        raise DisasterError(_("その避難所は選べません。"))
    if headcount is None:
        headcount = max(household.people_count or 1, 1)
    if not 1 <= headcount <= MAX_HEADCOUNT:
        raise DisasterError(
            _("人数は %(low)s から %(high)s までにしてください。", low=1, high=MAX_HEADCOUNT)
        )
    values = {
        "reporter_id": reporter.id,
        "status": report.status,
        "shelter_id": report.shelter_id,
        "place": report.place,
        "help_kind": report.help_kind,
        "note": report.note,
        "headcount": headcount,
    }
    earlier = _stored(event.id, household.id, report.client_id)
    if earlier is None:
        row = HouseholdCheckIn(
            association_id=event.association_id,
            event_id=event.id,
            household_id=household.id,
            client_id=report.client_id,
            created_at=utcnow(),
            **values,
        )
        try:
            with db.session.begin_nested():
                db.session.add(row)
                db.session.flush()
            return HouseholdReportResult(True, row, event.id)
        except IntegrityError:  # a racing resend of the same report stored it first
            earlier = _stored(event.id, household.id, report.client_id)
            if earlier is None:
                raise
    if any(getattr(earlier, name) != value for name, value in values.items()):
        raise DisasterError(
            _("この知らせは、前に別の内容で届いています。前に届いた知らせを残します。")
        )
    return HouseholdReportResult(False, earlier, event.id)


def _stored(event_id: int, household_id: int, client_id: str) -> HouseholdCheckIn | None:
    return db.session.scalar(
        select(HouseholdCheckIn).where(
            HouseholdCheckIn.event_id == event_id,
            HouseholdCheckIn.household_id == household_id,
            HouseholdCheckIn.client_id == client_id,
        )
    )
