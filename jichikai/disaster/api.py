"""JSON API of disaster mode: events, check-ins, the roll call and nearby shelters."""

from flask import jsonify, session
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort

from ..apitools import ApiBlueprint, api_login_required
from ..database import get_scoped_or_404, utcnow
from ..extensions import db
from ..org.models import Block, Household, Member
from ..org.services import blocks_of
from .calls import call_sheet, record_call
from .households import submit_household_checkin
from .models import DisasterEvent
from .permissions import (
    can_manage_disaster,
    can_record_call,
    can_report_for_household,
    can_view_rollcall,
    rollcall_block_ids,
)
from .quick import quick_checkin
from .schemas import (
    ActiveSchema,
    CallOutcomeSchema,
    CallSchema,
    CheckInRefusedSchema,
    CheckInResultSchema,
    CheckInSchema,
    EventSchema,
    EventStartedSchema,
    EventStartSchema,
    HouseholdCheckInResultSchema,
    HouseholdCheckInSchema,
    NearbyQuerySchema,
    NearbySchema,
    RollCallQuerySchema,
    RollCallSchema,
)
from .services import (
    DisasterError,
    EventAlreadyActive,
    EventEnded,
    EventNotFound,
    NotAllowed,
    ReportConflict,
    ReportEnded,
    active_event,
    end_event,
    rollcall,
    start_event,
    submit_checkin,
)
from .shelters import nearest_shelters

blp = ApiBlueprint(
    "api_disaster",
    __name__,
    url_prefix="/api/v1",
    description="Disaster mode: events, safety check-in, roll call and shelters",
)

PRIORITY_NAMES = {0: "need_help", 1: "needs_assistance_unreported", 2: "unreported", 3: "reported"}


def _require_officer() -> None:
    if not can_manage_disaster(current_user):
        abort(403, message=_("この操作は役員だけができます。"))


@blp.route("/disaster/events", methods=["POST"])
@blp.arguments(EventStartSchema)
@blp.response(201, EventStartedSchema)
@api_login_required
def start(data):
    """Start disaster mode (officers); every member is notified with high urgency.

    `reach` says how many members each channel reaches and how many no channel reaches (they
    are on their block leader's call list at once).
    """
    _require_officer()
    try:
        event = start_event(current_user.association, started_by=current_user, **data)
    except EventAlreadyActive as error:
        db.session.rollback()
        abort(409, message=str(error))
    except DisasterError as error:
        db.session.rollback()
        abort(400, message=str(error))
    db.session.commit()
    return event


@blp.route("/disaster/events/<int:event_id>/end", methods=["POST"])
@blp.response(200, EventSchema)
@api_login_required
def end(event_id: int):
    """End disaster mode (officers); the summary is kept."""
    event = get_scoped_or_404(DisasterEvent, event_id, current_user.association_id)
    _require_officer()
    try:
        end_event(event, current_user)
    except DisasterError as error:
        db.session.rollback()
        abort(409, message=str(error))
    db.session.commit()
    return event


@blp.route("/disaster/active")
@blp.response(200, ActiveSchema)
@api_login_required
def active():
    """The association's running event, or null."""
    return {"event": active_event(current_user.association_id)}


@blp.route("/disaster/checkins", methods=["POST"])
@blp.arguments(CheckInSchema)
@blp.response(201, CheckInResultSchema)
@blp.alt_response(200, schema=CheckInResultSchema, description="The same report again")
@blp.alt_response(
    409,
    schema=CheckInRefusedSchema,
    description="Not stored: `event_ended` (the report's event is not the active one; it is "
    "stored in no other event) or `different_report` (this client_id was stored with other "
    "content, given as `stored`)",
)
def checkin(data):
    """Report the safety of oneself or household members (leaders: their blocks' members).

    The report is stored in the event `event_id` names, and only while that event is active.
    A report sent again with the same `client_id` is stored once and answers 200.
    """
    data.pop("lat", None)
    data.pop("lon", None)
    # A member's own report, the bulk of a storm, is stored in one statement; everything
    # else (and every refusal, with its message) takes the general path below.
    body = quick_checkin(session.get("_user_id"), data)
    if body is not None:
        return body, (201 if body["stored"] else 200)
    return _checkin(data)


def _refused(error: DisasterError, reason: str, **details):
    """409 in the shape of the API's other errors, with a reason a client can act on."""
    body = {"code": 409, "status": "Conflict", "message": str(error), "reason": reason}
    response = jsonify(body | CheckInRefusedSchema().dump(details))
    response.status_code = 409
    return response


@api_login_required
def _checkin(data):
    try:
        result = submit_checkin(current_user, **data)
    except ReportEnded as error:
        db.session.rollback()
        return _refused(
            error,
            "event_ended",
            event_id=error.event_id,
            active_event_id=error.active_event_id,
        )
    except ReportConflict as error:
        db.session.rollback()
        return _refused(
            error,
            "different_report",
            event_id=error.stored.event_id,
            member_ids=error.member_ids,
            stored=error.stored,
        )
    except EventNotFound as error:
        db.session.rollback()
        abort(404, message=str(error))
    except NotAllowed as error:
        db.session.rollback()
        abort(403, message=str(error))
    except DisasterError as error:
        db.session.rollback()
        abort(400, message=str(error))
    db.session.commit()
    body = {
        "event_id": result.event_id,
        "member_ids": result.member_ids,
        "status": data["status"],
        "stored": not result.duplicate,
    }
    return body, (200 if result.duplicate else 201)


@blp.route("/disaster/households/<int:household_id>/checkins", methods=["POST"])
@blp.arguments(HouseholdCheckInSchema)
@blp.response(201, HouseholdCheckInResultSchema)
@blp.alt_response(200, schema=HouseholdCheckInResultSchema, description="The same report again")
@api_login_required
def household_checkin(data, household_id: int):
    """Report for a household without member records, as a whole (its block's leaders,
    officers). Stored in the event `event_id` names while it runs; the same `client_id` is
    stored once (200). A household with member records is reported for member by member."""
    household = get_scoped_or_404(Household, household_id, current_user.association_id)
    if not can_report_for_household(current_user, household):
        abort(403, message=_("この世帯の安否は知らせられません。"))
    try:
        result = submit_household_checkin(current_user, household, **data)
    except ReportEnded as error:
        db.session.rollback()
        return _refused(
            error, "event_ended", event_id=error.event_id, active_event_id=error.active_event_id
        )
    except EventNotFound as error:
        db.session.rollback()
        abort(404, message=str(error))
    except DisasterError as error:
        db.session.rollback()
        abort(400, message=str(error))
    db.session.commit()
    body = {
        "event_id": result.event_id,
        "household_id": household.id,
        "status": result.report.status,
        "stored": result.stored,
    }
    return body, (201 if result.stored else 200)


@blp.route("/disaster/events/<int:event_id>/rollcall")
@blp.arguments(RollCallQuerySchema, location="query")
@blp.response(200, RollCallSchema)
@api_login_required
def rollcall_api(query, event_id: int):
    """The roll call of the leader's blocks (or one block), in the order to visit."""
    event = get_scoped_or_404(DisasterEvent, event_id, current_user.association_id)
    if event.details_deleted_at is not None:
        abort(410, message=_("この災害モードの記録は消されました。"))
    if query["block_id"] is not None:
        block = get_scoped_or_404(Block, query["block_id"], current_user.association_id)
        if not can_view_rollcall(current_user, block):
            abort(403, message=_("この班の安否は見られません。"))
        block_ids = [block.id]
    else:
        all_ids = [b.id for b in blocks_of(current_user.association_id)]
        block_ids = rollcall_block_ids(current_user, all_ids)
        if not block_ids:
            abort(403, message=_("班長か役員だけが見られます。"))
    lines = rollcall(event, block_ids)
    sheet = call_sheet(event, current_user.association, lines, utcnow())
    reasons = {entry.member.id: entry.reason for entry in sheet.entries if entry.member}
    household_reasons = {e.household.id: e.reason for e in sheet.entries if e.member is None}
    households = []
    for line in lines:
        households.append(
            {
                "id": line.household.id,
                "name": line.household.name,
                "block_id": line.block.id,
                "block_name": line.block.name,
                "phone": line.household.phone,
                "paper_only": line.household.paper_only,
                "needs_assistance": line.household.needs_assistance,
                "address": f"{line.household.town}{line.household.address_line}",
                "priority": PRIORITY_NAMES[line.priority],
                "report": line.report,
                "call_list": household_reasons.get(line.household.id),
                "call_outcome": sheet.household_outcomes.get(line.household.id),
                "members": [
                    {
                        "id": m.member.id,
                        "name": m.member.name,
                        "latest": m.checkin,
                        "reporter": m.reporter_name,
                        "call_list": reasons.get(m.member.id),
                        "call_outcome": sheet.outcomes.get(m.member.id),
                        "deliveries": sheet.deliveries.get(m.member.id, []),
                    }
                    for m in line.members
                ],
            }
        )
    return {
        "event_id": event.id,
        "block_ids": block_ids,
        "households": households,
        "call_list": [entry.member.id for entry in sheet.entries if entry.member],
        "call_list_households": [e.household.id for e in sheet.entries if e.member is None],
        "call_list_grows_at": sheet.due_at,
    }


@blp.route("/disaster/calls", methods=["POST"])
@blp.arguments(CallSchema)
@blp.response(201, CallOutcomeSchema)
@blp.alt_response(200, schema=CallOutcomeSchema, description="The same call again (client_id)")
@api_login_required
def record_call_api(data):
    """Record what a call or visit to a member (or a household without member records) of
    the call list found (their block's leaders, officers): `phone` and `visit` take them off
    the list, `no_answer` and `unreachable` (連絡がつかない, once the waiting time has passed)
    keep them on it. A call made offline carries a `client_id` and is stored once. 409 when
    the event is not the running one."""
    member = household = None
    if data["member_id"] is not None:
        member = get_scoped_or_404(Member, data["member_id"], current_user.association_id)
        if not can_record_call(current_user, member):
            abort(403, message=_("この方の記録は入れられません。"))
    else:
        household = get_scoped_or_404(Household, data["household_id"], current_user.association_id)
        if not can_report_for_household(current_user, household):
            abort(403, message=_("この方の記録は入れられません。"))
    event = get_scoped_or_404(DisasterEvent, data["event_id"], current_user.association_id)
    try:
        outcome = record_call(
            event,
            member,
            data["outcome"],
            data["note"],
            current_user,
            household=household,
            client_id=data["client_id"],
        )
    except EventEnded as error:
        db.session.rollback()
        abort(409, message=str(error))
    except DisasterError as error:
        db.session.rollback()
        abort(400, message=str(error))
    db.session.commit()
    return outcome, (200 if getattr(outcome, "resent", False) else 201)


@blp.route("/shelters/nearby")
@blp.arguments(NearbyQuerySchema, location="query")
@blp.response(200, NearbySchema)
@api_login_required
def nearby(query):
    """The association's shelters members may go to, for a hazard: closed ones left out,
    full ones last, nearest first to the given place or else to the household's."""
    event = active_event(current_user.association_id)
    hazard = query["hazard"] or (event.kind if event else None)
    here = (query["lat"], query["lon"]) if None not in (query["lat"], query["lon"]) else None
    home = current_user.household.location if current_user.household else None
    states = nearest_shelters(
        current_user.association,
        event.id if event else None,
        hazard,
        here or home,
        limit=20,
    )
    return {
        "origin": "here" if here else ("home" if home else ""),
        "shelters": [
            {
                "id": s.shelter.id,
                "name": s.shelter.name,
                "lat": s.shelter.lat,
                "lon": s.shelter.lon,
                "distance_m": round(s.distance_m) if s.distance_m is not None else None,
                "facility_type": s.shelter.facility_type,
                "is_open": s.is_open,
                "state": s.state,
                "is_full": s.is_full,
                "people": s.people,
                "capacity": s.capacity,
                "directions_url": s.directions_url,
            }
            for s in states
        ],
    }
