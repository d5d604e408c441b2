"""JMA alerts start the real disaster mode, recording the message that caused it."""

from dataclasses import replace

from sqlalchemy import select

from jichikai.disaster.models import DisasterEvent
from jichikai.disaster.services import active_event, end_event
from jichikai.extensions import db
from jichikai.jma.models import JmaAlert
from jichikai.jma.poll import PollOptions, poll
from jichikai.jma.settings import MODE_ASK, save_settings

from .conftest import NOW, SAKURA

OPTIONS = PollOptions(timeout=2.0)


def _poll(feed):
    report = poll([feed], now=NOW, options=OPTIONS)
    db.session.commit()
    return report


def test_strong_shaking_starts_disaster_mode_with_its_source(watching, jma):
    jma.serve_message("VXSE53_sakura_5plus.xml")
    _poll(jma.serve_feed("eqvol.xml", ["VXSE53_sakura_5plus.xml"]))

    event = active_event(watching.association.id)
    assert event is not None
    assert event.kind == "earthquake" and not event.drill
    assert event.source["type"] == "VXSE53"
    assert event.source["event_id"] == "20261127095412"
    assert event.message == event.source["headline"]
    assert active_event(watching.outsider_association.id) is None


def test_a_later_message_of_the_same_earthquake_starts_no_second_event(watching, jma):
    """震度速報 starts the event; officers end it; the detailed report of the same EventID
    arriving afterwards does not start it again."""
    jma.serve_message("VXSE51_area331_5plus.xml")
    _poll(jma.serve_feed("eqvol.xml", ["VXSE51_area331_5plus.xml"]))
    end_event(active_event(watching.association.id), ended_by=watching.officer)
    db.session.commit()

    jma.serve_message("VXSE53_sakura_5plus.xml")
    _poll(jma.serve_feed("eqvol2.xml", ["VXSE53_sakura_5plus.xml"]))
    events = db.session.scalars(
        select(DisasterEvent).where(DisasterEvent.association_id == watching.association.id)
    ).all()
    assert len(events) == 1


def test_ask_mode_starts_only_when_an_officer_taps(watching, jma, client, as_member):
    save_settings(watching.association, replace(SAKURA, mode=MODE_ASK), by=None)
    db.session.commit()
    jma.serve_message("VXSE53_sakura_5plus.xml")
    _poll(jma.serve_feed("eqvol.xml", ["VXSE53_sakura_5plus.xml"]))
    assert active_event(watching.association.id) is None

    alert = db.session.scalars(select(JmaAlert)).one()
    as_member(watching.officer)
    response = client.post(f"/admin/jma/alerts/{alert.id}/start")
    assert response.status_code == 302
    event = active_event(watching.association.id)
    assert event is not None and event.source["type"] == "VXSE53"
