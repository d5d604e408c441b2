"""Marshmallow schemas of the disaster-mode API (they make the OpenAPI document)."""

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..apitools import Id
from .calls import MAX_NOTE, started_summary
from .models import HELP_KINDS, KINDS, OUTCOMES, STATUSES
from .services import MAX_HEADCOUNT


class EventStartSchema(Schema):
    kind = fields.Str(required=True, validate=validate.OneOf(KINDS))
    title = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    message = fields.Str(load_default="", validate=validate.Length(max=2000))
    drill = fields.Bool(required=True)


class EventSchema(Schema):
    id = fields.Int()
    kind = fields.Str()
    title = fields.Str()
    message = fields.Str()
    drill = fields.Bool()
    active = fields.Bool(attribute="is_active")
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    summary = fields.Dict(allow_none=True)
    source = fields.Dict(allow_none=True)


class ReachSchema(Schema):
    """What starting the event reached: members per channel, and members no channel reaches."""

    members = fields.Int(metadata={"description": "Active members the start went to"})
    push = fields.Function(
        lambda reach: reach.by_channel.get("push", 0),
        metadata={"description": "Members reached by Web Push (0 when push is off)"},
    )
    email = fields.Function(
        lambda reach: reach.by_channel.get("email", 0),
        metadata={"description": "Members reached by email"},
    )
    line = fields.Function(
        lambda reach: reach.by_channel.get("line", 0),
        metadata={"description": "Members reached by LINE"},
    )
    unreached = fields.Function(
        lambda reach: len(reach.unreached),
        metadata={
            "description": "Members no channel reaches: on their block leader's call list at once"
        },
    )
    summary = fields.Function(
        started_summary,
        metadata={"description": "The same in a sentence, as the page says it"},
    )


class EventStartedSchema(EventSchema):
    reach = fields.Nested(ReachSchema)


class ActiveSchema(Schema):
    event = fields.Nested(EventSchema, allow_none=True)


class CheckInSchema(Schema):
    event_id = Id(
        required=True,
        strict=True,
        metadata={"description": "The event the report was made for; stored there or nowhere"},
    )
    status = fields.Str(required=True, validate=validate.OneOf(STATUSES))
    member_ids = fields.List(
        Id(strict=True), load_default=None, validate=validate.Length(min=1, max=50)
    )
    shelter_id = Id(load_default=None, allow_none=True, strict=True)
    place = fields.Str(load_default="", validate=validate.Length(max=200))
    note = fields.Str(load_default="", validate=validate.Length(max=1000))
    help_kind = fields.Str(
        load_default="", validate=validate.OneOf([*HELP_KINDS, ""]), allow_none=False
    )
    headcount = fields.Int(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=MAX_HEADCOUNT),
        metadata={"description": "People reported, the reporter and the members named included"},
    )
    lat = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    lon = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))
    client_id = fields.Str(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{8,64}$"),
    )

    @validates_schema
    def _both_coordinates(self, data, **kwargs):
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise ValidationError(_("緯度と経度は両方入れてください。"), "lat")


class HouseholdCheckInSchema(Schema):
    """A report for a household without member records, as a whole."""

    event_id = Id(required=True, strict=True)
    status = fields.Str(required=True, validate=validate.OneOf(STATUSES))
    shelter_id = Id(load_default=None, allow_none=True, strict=True)
    place = fields.Str(load_default="", validate=validate.Length(max=200))
    note = fields.Str(load_default="", validate=validate.Length(max=1000))
    help_kind = fields.Str(load_default="", validate=validate.OneOf([*HELP_KINDS, ""]))
    headcount = fields.Int(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=MAX_HEADCOUNT),
        metadata={"description": "People of the household; the roster's count when omitted"},
    )
    client_id = fields.Str(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{8,64}$"))


class HouseholdCheckInResultSchema(Schema):
    event_id = fields.Int()
    household_id = fields.Int()
    status = fields.Str()
    stored = fields.Bool(metadata={"description": "False when the same client_id was stored"})


class CheckInResultSchema(Schema):
    event_id = fields.Int()
    member_ids = fields.List(fields.Int())
    status = fields.Str()
    stored = fields.Bool(metadata={"description": "False when the same client_id was stored"})


class LatestSchema(Schema):
    status = fields.Str()
    shelter_id = fields.Int(allow_none=True)
    place = fields.Str()
    help_kind = fields.Str()
    note = fields.Str()
    reported_at = fields.DateTime(attribute="created_at")
    proxy = fields.Bool()
    channel = fields.Str(
        metadata={"description": "How it came: app, proxy, email or line (a one-tap link)"}
    )


class CheckInRefusedSchema(Schema):
    code = fields.Int()
    status = fields.Str()
    message = fields.Str()
    reason = fields.Str(metadata={"description": "`event_ended` or `different_report`"})
    event_id = fields.Int(metadata={"description": "The event the report was made for"})
    active_event_id = fields.Int(
        allow_none=True, metadata={"description": "The event to report for now, if any"}
    )
    member_ids = fields.List(fields.Int())
    stored = fields.Nested(LatestSchema, metadata={"description": "The report kept"})


class DeliverySchema(Schema):
    channel = fields.Str(metadata={"description": "`push`, `email` or `line`"})
    state = fields.Str(metadata={"description": "`delivered`, `on_its_way` or `not_delivered`"})
    delivered_at = fields.DateTime(attribute="sent_at", allow_none=True)


class CallOutcomeSchema(Schema):
    id = fields.Int()
    member_id = fields.Int(allow_none=True)
    household_id = fields.Int(allow_none=True)
    outcome = fields.Str(
        metadata={"description": "`phone`, `visit`, `no_answer` or `unreachable` (連絡がつかない)"}
    )
    client_id = fields.Str(allow_none=True)
    note = fields.Str()
    recorded_at = fields.DateTime(attribute="created_at")
    stored = fields.Function(
        lambda outcome: not getattr(outcome, "resent", False),
        metadata={"description": "False when the same client_id was stored before"},
    )


class RollCallMemberSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    latest = fields.Nested(LatestSchema, allow_none=True)
    reporter = fields.Str()
    call_list = fields.Str(
        allow_none=True,
        metadata={
            "description": "Why the member is on the leader's call list (`no_channel`, "
            "`no_answer`), or null"
        },
    )
    call_outcome = fields.Nested(
        CallOutcomeSchema, allow_none=True, metadata={"description": "The latest call or visit"}
    )
    deliveries = fields.List(
        fields.Nested(DeliverySchema),
        metadata={"description": "What the event's messages did, one per channel"},
    )


class RollCallHouseholdSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    block_id = fields.Int()
    block_name = fields.Str()
    phone = fields.Str()
    paper_only = fields.Bool()
    needs_assistance = fields.Bool()
    address = fields.Str()
    priority = fields.Str()
    members = fields.List(fields.Nested(RollCallMemberSchema))
    report = fields.Nested(
        LatestSchema,
        allow_none=True,
        metadata={"description": "Without member records: the household's latest report"},
    )
    call_list = fields.Str(
        allow_none=True,
        metadata={"description": "Without member records: why it is on the call list, or null"},
    )
    call_outcome = fields.Nested(CallOutcomeSchema, allow_none=True)


class RollCallSchema(Schema):
    event_id = fields.Int()
    block_ids = fields.List(fields.Int())
    households = fields.List(fields.Nested(RollCallHouseholdSchema))
    call_list = fields.List(
        fields.Int(), metadata={"description": "Member ids of the call list, in the order to call"}
    )
    call_list_households = fields.List(
        fields.Int(),
        metadata={"description": "Households without member records on the call list"},
    )
    call_list_grows_at = fields.DateTime(
        metadata={"description": "When members who have not answered join the call list"}
    )


class CallSchema(Schema):
    event_id = Id(required=True, strict=True)
    member_id = Id(load_default=None, allow_none=True, strict=True)
    household_id = Id(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={"description": "Instead of member_id: a household without member records"},
    )
    outcome = fields.Str(required=True, validate=validate.OneOf(OUTCOMES))
    note = fields.Str(load_default="", validate=validate.Length(max=MAX_NOTE))
    client_id = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{8,64}$"),
        metadata={"description": "Made offline: the same client_id is stored once"},
    )

    @validates_schema
    def _one_target(self, data, **kwargs):
        if (data.get("member_id") is None) == (data.get("household_id") is None):
            raise ValidationError(_("member_id か household_id のどちらかを入れてください。"))


class RollCallQuerySchema(Schema):
    block_id = Id(load_default=None)


class NearbyQuerySchema(Schema):
    # Where the phone is; without both, the member's household's place (if known).
    lat = fields.Float(load_default=None, validate=validate.Range(-90, 90))
    lon = fields.Float(load_default=None, validate=validate.Range(-180, 180))
    hazard = fields.Str(load_default=None, validate=validate.OneOf(KINDS))


class NearbyShelterSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    lat = fields.Float()
    lon = fields.Float()
    distance_m = fields.Int(allow_none=True)
    facility_type = fields.Str()
    is_open = fields.Bool(allow_none=True)
    # "open", "full", "closed" (never offered) or "unknown"; full ones come last.
    state = fields.Str()
    is_full = fields.Bool()
    people = fields.Int()
    capacity = fields.Int(allow_none=True)
    directions_url = fields.Str()


class NearbySchema(Schema):
    # "here" (the lat/lon given), "home" (the household's place) or "" (no order by distance).
    origin = fields.Str()
    shelters = fields.List(fields.Nested(NearbyShelterSchema))
