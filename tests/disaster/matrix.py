"""Permission cases of disaster mode: pages and API."""

from sqlalchemy import func, select

from jichikai.disaster.models import CheckIn
from jichikai.disaster.services import active_event, start_event
from jichikai.disaster.shelters import add_own_place
from jichikai.extensions import db
from jichikai.org.models import Member
from jichikai.reach import tokens

from ..matrix import LOGIN, Case, everyone, expect, logged_in, officers_only
from ..reach.helpers import tampered


def _event(world, association=None):
    association = association or world.association
    event = active_event(association.id)
    if event is None:
        event = start_event(association, kind="earthquake", title="地震", message="", drill=True)
        db.session.commit()
    return event


def _event_url(suffix: str = ""):
    return lambda w: f"/disaster/events/{_event(w).id}{suffix}"


def _shelter_url(world) -> str:
    event = _event(world)
    place = add_own_place(world.association, name="集会所", lat=35.853, lon=139.61)
    db.session.commit()
    return f"/disaster/events/{event.id}/shelters/{place.id}"


def _capacity_url(world) -> str:
    place = add_own_place(world.association, name="公民館", lat=35.854, lon=139.611)
    db.session.commit()
    return f"/disaster/shelters/{place.id}/capacity"


def _paper_member_id(world) -> int:
    return db.session.scalar(
        select(Member.id).where(Member.household_id == world.paper_household.id)
    )


def _with_event(path: str):
    def build(world):
        _event(world)
        return path

    return build


officers_in_a = expect(anonymous=LOGIN, officer=302, admin=302, outsider=404, default=403)
block_leaders = expect(
    anonymous=LOGIN, member=403, leader=200, other_leader=403, outsider=404, default=200
)
any_leader = expect(anonymous=LOGIN, member=403, outsider=403, default=200)

CASES = [
    Case("GET", lambda w: "/disaster/", officers_only(), id="disaster-index"),
    Case(
        "POST",
        lambda w: "/disaster/events",
        officers_only(200),
        form=lambda w: {"kind": "earthquake", "title": "訓練", "message": "", "drill": "drill"},
        id="disaster-start-confirm-page",
    ),
    Case(
        "POST",
        lambda w: "/disaster/events",
        officers_only(302),
        form=lambda w: {
            "kind": "earthquake",
            "title": "訓練",
            "message": "",
            "drill": "drill",
            "step": "confirm",
        },
        id="disaster-start",
    ),
    Case("GET", _event_url("/end"), officers_only(outsider=404), id="disaster-end-page"),
    Case(
        "POST",
        _event_url("/end"),
        officers_in_a,
        form=lambda w: {"confirmed": "yes"},
        id="disaster-end",
    ),
    Case(
        "GET",
        _event_url(),
        expect(anonymous=LOGIN, officer=200, admin=200, outsider=404, default=403),
        id="disaster-dashboard",
    ),
    Case(
        "GET",
        _event_url("/export.csv"),
        expect(anonymous=LOGIN, officer=200, admin=200, outsider=404, default=403),
        id="disaster-export",
    ),
    Case(
        "GET",
        lambda w: f"/disaster/events/{_event(w).id}/sheet/{w.block.id}",
        block_leaders,
        id="disaster-sheet",
    ),
    Case(
        "POST",
        _shelter_url,
        officers_in_a,
        form=lambda w: {"state": "open", "capacity": "40"},
        id="disaster-mark-shelter",
    ),
    Case("GET", _with_event("/disaster/checkin"), logged_in(200), id="disaster-checkin"),
    Case(
        "POST",
        _with_event("/disaster/checkin"),
        logged_in(302),
        form=lambda w: {
            "event_id": _event(w).id,
            "status": "safe_home",
            "client_id": "matrix-checkin-1",
        },
        id="disaster-checkin-submit",
    ),
    Case("GET", _with_event("/disaster/rollcall"), any_leader, id="disaster-rollcall"),
    Case(
        "POST",
        _with_event("/disaster/rollcall/report"),
        expect(
            anonymous=LOGIN,
            member=403,
            leader=302,
            other_leader=403,
            officer=302,
            admin=302,
            outsider=404,
        ),
        form=lambda w: {
            "event_id": _event(w).id,
            "member_ids": [_paper_member_id(w)],
            "status": "safe_home",
            "client_id": "matrix-proxy-1",
        },
        id="disaster-rollcall-report",
    ),
    Case(
        "POST",
        _with_event("/disaster/rollcall/calls"),
        expect(
            anonymous=LOGIN,
            member=403,
            leader=303,
            other_leader=403,
            officer=303,
            admin=303,
            outsider=404,
        ),
        form=lambda w: {
            "event_id": _event(w).id,
            "member_id": _paper_member_id(w),
            "outcome": "no_answer",
        },
        id="disaster-rollcall-call",
    ),
    Case("GET", lambda w: "/disaster/shelters", officers_only(), id="disaster-shelters"),
    Case("GET", _with_event("/disaster/map"), logged_in(200), id="disaster-map"),
    Case("GET", lambda w: "/disaster/map", logged_in(200), id="disaster-map-no-event"),
    Case(
        "POST",
        _capacity_url,
        officers_only(302),
        form=lambda w: {"capacity": "80"},
        id="disaster-shelter-capacity",
    ),
    Case(
        "POST",
        lambda w: "/disaster/shelters/choose",
        officers_only(302),
        form=lambda w: {"shelter_ids": []},
        id="disaster-shelters-choose",
    ),
    Case(
        "POST",
        lambda w: "/disaster/shelters/import",
        officers_only(400),
        id="disaster-shelters-import-empty",
    ),
    Case(
        "POST",
        lambda w: "/disaster/shelters/own",
        officers_only(302),
        form=lambda w: {
            "name": "集会所",
            "lat": "35.853",
            "lon": "139.61",
            "facility_type": "gathering_point",
        },
        id="disaster-shelters-own",
    ),
    Case(
        "POST",
        lambda w: "/api/v1/disaster/events",
        officers_only(201),
        json=lambda w: {"kind": "flood", "title": "大雨", "message": "", "drill": True},
        id="api-disaster-start",
    ),
    Case(
        "POST",
        lambda w: f"/api/v1/disaster/events/{_event(w).id}/end",
        expect(anonymous=LOGIN, officer=200, admin=200, outsider=404, default=403),
        id="api-disaster-end",
    ),
    Case("GET", lambda w: "/api/v1/disaster/active", logged_in(200), id="api-disaster-active"),
    Case(
        "POST",
        _with_event("/api/v1/disaster/checkins"),
        expect(anonymous=LOGIN, outsider=404, default=201),
        json=lambda w: {
            "event_id": _event(w).id,
            "status": "safe_home",
            "client_id": "matrix-api-1",
        },
        id="api-disaster-checkin",
    ),
    Case(
        "GET",
        lambda w: f"/api/v1/disaster/events/{_event(w).id}/rollcall",
        expect(anonymous=LOGIN, member=403, outsider=404, default=200),
        id="api-disaster-rollcall",
    ),
    Case(
        "POST",
        lambda w: "/api/v1/disaster/calls",
        expect(
            anonymous=LOGIN,
            member=403,
            leader=201,
            other_leader=403,
            officer=201,
            admin=201,
            outsider=404,
        ),
        json=lambda w: {
            "event_id": _event(w).id,
            "member_id": _paper_member_id(w),
            "outcome": "no_answer",
        },
        id="api-disaster-call",
    ),
    Case(
        "GET",
        lambda w: "/api/v1/shelters/nearby?lat=35.85&lon=139.61",
        logged_in(200),
        id="api-shelters-nearby",
    ),
]


# One-tap answer links (no login): whoever holds the link acts for its member and nobody else.


def _answer_link(answer: str = "", member=lambda w: w.member, event=_event):
    def build(world):
        token = tokens.answer_token(member(world).id, event(world).id, "email")
        return f"/a/{token}/{answer}" if answer else f"/a/{token}"

    return build


def _their_event(world):
    return _event(world, world.outsider_association)


def _answered_for_the_link_member_only(world):
    rows = db.session.execute(select(CheckIn.member_id, CheckIn.reporter_id, CheckIn.channel)).all()
    assert rows == [(world.member.id, world.member.id, "email")]


CASES += [
    Case("GET", _answer_link(), everyone(200), id="onetap-answered"),
    Case("GET", _answer_link("safe_home"), everyone(200), id="onetap-confirm"),
    Case(
        "POST",
        _answer_link("safe_home"),
        everyone(303),
        form=lambda w: {"after": "0", "member_ids": [w.housemate.id]},
        then=_answered_for_the_link_member_only,
        id="onetap-submit",
    ),
    Case(
        "GET",
        lambda w: "/a/" + tampered(_answer_link()(w)[3:]) + "/safe_home",
        everyone(404),
        id="onetap-forged",
    ),
    Case(
        "POST",
        _answer_link("safe_home", event=_their_event),  # A's member, B's event
        everyone(404),
        form=lambda w: {"after": "0"},
        then=lambda w: _nothing_stored(),
        id="onetap-other-association",
    ),
]


def _nothing_stored():
    assert db.session.scalar(select(func.count(CheckIn.id))) == 0


def _needing_help(world) -> str:
    """An event where world.member's latest report is 助けが必要; the help form's address."""
    from jichikai.disaster.services import submit_checkin

    event = _event(world)
    submit_checkin(
        world.member,
        event_id=event.id,
        status="need_help",
        help_kind="supplies",
        client_id="matrix-need-help",
    )
    db.session.commit()
    return "/disaster/help"


# Households without member records, and the officers' 連絡がつかない list.


def _empty_household_id(world) -> int:
    from ..factories import make_household

    household = make_household(world.block, name="名前だけの世帯", paper_only=True)
    db.session.commit()
    return household.id


def _household_report(world) -> str:
    _event(world)
    return f"/disaster/rollcall/households/{_empty_household_id(world)}/report"


def _household_api(world) -> str:
    _event(world)
    return f"/api/v1/disaster/households/{_empty_household_id(world)}/checkins"


CASES += [
    Case(
        "GET",
        _event_url("/bulletins"),
        officers_only(outsider=404),
        id="disaster-bulletins",
    ),
    Case(
        "POST",
        _event_url("/bulletins"),
        expect(anonymous=LOGIN, officer=303, admin=303, outsider=404, default=403),
        form=lambda w: {"template": "free", "text": "給水車が来ます"},
        id="disaster-bulletins-post",
    ),
    Case(
        "GET",
        _event_url("/bulletins.csv"),
        officers_only(outsider=404),
        id="disaster-bulletins-export",
    ),
    Case(
        "POST",
        _needing_help,
        expect(anonymous=LOGIN, other_leader=403, outsider=404, default=303),
        form=lambda w: {
            "event_id": _event(w).id,
            "member_id": w.member.id,
            "text": "薬が足りません",
        },
        id="disaster-help-update",
    ),
    Case(
        "POST",
        _household_report,
        expect(
            anonymous=LOGIN,
            member=403,
            leader=302,
            other_leader=403,
            officer=302,
            admin=302,
            outsider=404,
        ),
        form=lambda w: {
            "event_id": _event(w).id,
            "status": "safe_home",
            "client_id": "matrix-household-1",
        },
        id="disaster-rollcall-household-report",
    ),
    Case(
        "POST",
        _household_api,
        expect(
            anonymous=LOGIN,
            member=403,
            leader=201,
            other_leader=403,
            officer=201,
            admin=201,
            outsider=404,
        ),
        json=lambda w: {
            "event_id": _event(w).id,
            "status": "safe_home",
            "client_id": "matrix-household-api-1",
        },
        id="api-disaster-household-checkin",
    ),
    Case(
        "POST",
        _with_event("/disaster/rollcall/calls"),
        expect(
            anonymous=LOGIN,
            member=403,
            leader=303,
            other_leader=403,
            officer=303,
            admin=303,
            outsider=404,
        ),
        form=lambda w: {
            "event_id": _event(w).id,
            "household_id": _empty_household_id(w),
            "outcome": "no_answer",
        },
        id="disaster-rollcall-household-call",
    ),
    Case(
        "GET",
        _event_url("/unreachable"),
        expect(anonymous=LOGIN, officer=200, admin=200, outsider=404, default=403),
        id="disaster-unreachable",
    ),
    Case(
        "GET",
        _event_url("/unreachable.csv"),
        expect(anonymous=LOGIN, officer=200, admin=200, outsider=404, default=403),
        id="disaster-unreachable-csv",
    ),
]
