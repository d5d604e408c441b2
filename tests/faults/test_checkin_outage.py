"""A check-in refused during an outage is resent by the phone afterwards: it lands in the event it
was made for, or nowhere (PostgreSQL through the proxy)."""

from sqlalchemy import func, select

from jichikai.disaster.models import CheckIn
from jichikai.extensions import db

from ..disaster.helpers import client_id, start
from ..factories import login

CHECKINS = "/api/v1/disaster/checkins"
EVENTS = "/api/v1/disaster/events"


def _phone(proxied_app, member):
    """A member's (or officer's) phone talking to the application behind the proxy."""
    client = proxied_app.test_client()
    login(client, member)
    return client


def _stored(report: dict) -> list[tuple[int, str]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(CheckIn.event_id, CheckIn.status).where(CheckIn.client_id == report["client_id"])
    )
    return [tuple(row) for row in rows]


def _refused_during_an_outage(database_proxy, phone, report: dict) -> None:
    database_proxy.refuse()
    database_proxy.cut()
    response = phone.post(CHECKINS, json=report)
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    database_proxy.heal()


def test_a_report_kept_through_an_outage_is_not_stored_in_the_next_event(
    database_proxy, proxied_app, world
):
    drill = start(world, drill=True)
    member, officer = _phone(proxied_app, world.member), _phone(proxied_app, world.officer)
    report = {"event_id": drill.id, "status": "need_help", "client_id": client_id()}
    report["help_kind"] = "injury"

    _refused_during_an_outage(database_proxy, member, report)
    # Back online, the officers end the drill and a real event starts before the phone resends.
    assert officer.post(f"{EVENTS}/{drill.id}/end").status_code == 200
    started = officer.post(
        EVENTS, json={"kind": "earthquake", "title": "地震がありました", "drill": False}
    )
    assert started.status_code == 201
    event_id = started.get_json()["id"]
    resent = member.post(CHECKINS, json=report)

    assert resent.status_code == 409
    answer = resent.get_json()
    assert answer["reason"] == "event_ended"
    assert (answer["event_id"], answer["active_event_id"]) == (drill.id, event_id)
    assert _stored(report) == []
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(CheckIn.event_id == event_id)) == 0


def test_a_report_kept_through_an_outage_is_stored_once_in_its_event(
    database_proxy, proxied_app, world
):
    event = start(world)
    member = _phone(proxied_app, world.member)
    report = {"event_id": event.id, "status": "safe_home", "client_id": client_id()}

    _refused_during_an_outage(database_proxy, member, report)
    resent = member.post(CHECKINS, json=report)
    again = member.post(CHECKINS, json=report)  # the answer was lost: the outbox sends again

    assert resent.status_code == 201 and resent.get_json()["event_id"] == event.id
    assert again.status_code == 200 and again.get_json()["stored"] is False
    assert _stored(report) == [(event.id, "safe_home")]
