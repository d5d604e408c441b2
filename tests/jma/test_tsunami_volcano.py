"""Tsunami (VTSE41) and volcano (VFVO50) alerts, and new alerts during a running event.

The tsunami messages are JMA's own samples (see tests/jma/data/ATTRIBUTION.md): the 2011
東日本大震災 sample with 大津波警報, 津波警報, 津波注意報 and 津波予報, and a real cancellation.
"""

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from jichikai.disaster.models import Bulletin, DisasterEvent
from jichikai.disaster.services import active_event, start_event
from jichikai.extensions import db
from jichikai.jma.alerts import act
from jichikai.jma.messages import VFVO50, VTSE41, parse_message
from jichikai.jma.models import JmaAlert
from jichikai.jma.poll import PollOptions, poll
from jichikai.jma.rules import evaluate
from jichikai.jma.settings import MODE_AUTO, JmaSettings, save_settings
from jichikai.push.models import Outbox

from .conftest import NOW, message, subscribe

WARNING_2011 = "32-39_11_02_120615_VTSE41.xml"
CANCEL_2021 = "38-39_03_01_210805_VTSE41.xml"
LEVEL_5 = "VFVO50_sakurajima_level5_written.xml"
LEVEL_3 = "VFVO50_sakurajima_level3_written.xml"
VOLCANO_CANCEL = "VFVO50_sakurajima_cancel_written.xml"

MIYAGI = JmaSettings(enabled=True, tsunami_area_code="220", mode=MODE_AUTO)
KAGOSHIMA = JmaSettings(enabled=True, warning_area_code="4620100", mode=MODE_AUTO)
OPTIONS = PollOptions(timeout=2.0)


def _watch(world, settings: JmaSettings):
    save_settings(world.association, settings, by=None)
    db.session.commit()
    return world


def _poll(jma, name: str, feed: str = "eqvol.xml"):
    jma.serve_message(name)
    report = poll([jma.serve_feed(feed, [name])], now=NOW, options=OPTIONS)
    db.session.commit()
    return report


def _alerts(association_id: int) -> list[JmaAlert]:
    return list(
        db.session.scalars(
            select(JmaAlert).where(JmaAlert.association_id == association_id).order_by(JmaAlert.id)
        )
    )


# --- reading the messages ---------------------------------------------------------------------


def test_the_tsunami_sample_is_read_by_its_title():
    parsed = parse_message(message(WARNING_2011))
    assert parsed.type_code == VTSE41
    assert parsed.event_id == "20110311144640"
    by_area = {item.area_code: item for item in parsed.tsunami}
    assert len(parsed.tsunami) == 43
    assert (by_area["220"].area_name, by_area["220"].kind_code) == ("宮城県", "53")
    assert by_area["101"].kind_code == "51"
    assert by_area["100"].kind_code == "62"
    assert by_area["111"].kind_code == "71"


def test_a_volcano_message_gives_its_level_and_municipalities():
    parsed = parse_message(message(LEVEL_5))
    assert parsed.type_code == VFVO50
    levels = [i for i in parsed.volcano if i.target == "volcano"]
    towns = [i for i in parsed.volcano if i.target == "municipality"]
    assert (levels[0].kind_code, levels[0].condition, levels[0].areas) == (
        "15",
        "引上げ",
        [("506", "桜島")],
    )
    assert towns[0].areas == [("4620100", "鹿児島市")]
    assert towns[0].kind_name == "噴火警報（居住地域）"


# --- the rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("area", "title", "ask"),
    [
        ("220", "大津波警報（宮城県）", False),
        ("101", "津波警報（北海道太平洋沿岸中部）", False),
        ("100", "津波注意報（北海道太平洋沿岸東部）", True),
    ],
)
def test_tsunami_warnings_start_and_advisories_ask(area, title, ask):
    trigger = evaluate(
        parse_message(message(WARNING_2011)), replace(MIYAGI, tsunami_area_code=area)
    )
    assert (trigger.kind, trigger.title, trigger.ask) == ("tsunami", title, ask)


@pytest.mark.parametrize("area", ["111", "999", ""])
def test_a_forecast_or_another_coast_or_no_coast_does_nothing(area):
    settings = replace(MIYAGI, tsunami_area_code=area)
    assert evaluate(parse_message(message(WARNING_2011)), settings) is None


def test_volcano_level_5_for_the_municipality_starts():
    trigger = evaluate(parse_message(message(LEVEL_5)), KAGOSHIMA)
    assert (trigger.kind, trigger.title) == ("volcano", "噴火警戒レベル５（桜島）")
    assert trigger.reason == "鹿児島市に噴火警報（居住地域）（桜島）"


def test_volcano_level_3_or_another_municipality_does_nothing():
    assert evaluate(parse_message(message(LEVEL_3)), KAGOSHIMA) is None
    other = replace(KAGOSHIMA, warning_area_code="1110000")
    assert evaluate(parse_message(message(LEVEL_5)), other) is None


def test_the_tsunami_area_code_is_checked():
    assert JmaSettings(enabled=True, tsunami_area_code="22").problems()
    assert not JmaSettings(enabled=True, tsunami_area_code="220").problems()


# --- with the real disaster mode -----------------------------------------------------------


def test_a_major_tsunami_warning_starts_a_tsunami_event(world, jma):
    _watch(world, MIYAGI)
    _poll(jma, WARNING_2011)
    event = active_event(world.association.id)
    assert (event.kind, event.title) == ("tsunami", "大津波警報（宮城県）")
    assert event.source["type"] == VTSE41
    assert active_event(world.outsider_association.id) is None


def test_a_tsunami_advisory_asks_the_officers_even_in_automatic_mode(world, jma):
    _watch(world, replace(MIYAGI, tsunami_area_code="100"))
    subscribe(world.officer)
    _poll(jma, WARNING_2011)
    assert active_event(world.association.id) is None
    [alert] = _alerts(world.association.id)
    assert alert.action == "proposed"
    urls = set(db.session.scalars(select(Outbox.url)))
    assert urls == {f"/admin/jma/alerts/{alert.id}"}


def test_a_tsunami_cancellation_tells_the_officers(world, jma):
    _watch(world, replace(MIYAGI, tsunami_area_code="100"))
    subscribe(world.officer)
    # The advisory the real 2021 cancellation takes back (same EventID).
    issued = replace(parse_message(message(WARNING_2011)), event_id="20210805103531")
    trigger = evaluate(issued, replace(MIYAGI, tsunami_area_code="100"))
    act(world.association, trigger, issued, "https://jma.example/a.xml", mode=MODE_AUTO, now=NOW)
    db.session.commit()

    report = _poll(jma, CANCEL_2021)
    [alert] = _alerts(world.association.id)
    assert alert.cancelled_at is not None
    assert alert.cancel_headline == "津波注意報を取り消します。"
    assert report.cancelled == [alert]
    titles = set(db.session.scalars(select(Outbox.title)))
    assert "取消：津波注意報（北海道太平洋沿岸東部）" in titles


def test_volcano_level_5_starts_and_its_cancellation_is_told(world, jma):
    _watch(world, KAGOSHIMA)
    _poll(jma, LEVEL_5)
    event = active_event(world.association.id)
    assert (event.kind, event.title) == ("volcano", "噴火警戒レベル５（桜島）")
    _poll(jma, VOLCANO_CANCEL, feed="eqvol2.xml")
    [alert] = _alerts(world.association.id)
    assert alert.cancelled_at is not None
    assert active_event(world.association.id) is not None  # a cancellation ends nothing


def test_a_tsunami_warning_during_an_earthquake_event_is_a_bulletin(world, jma):
    """The earthquake started the event; the tsunami warning that follows goes to every member
    as a bulletin of the same event instead of a second event."""
    _watch(world, replace(MIYAGI, city_code="1110600", area_code="331"))
    _poll(jma, "VXSE53_sakura_5plus.xml")
    earthquake = active_event(world.association.id)
    subscribe(world.member)

    _poll(jma, WARNING_2011, feed="eqvol2.xml")
    assert active_event(world.association.id).id == earthquake.id
    assert db.session.scalar(select(func.count(DisasterEvent.id))) == 1
    tsunami = _alerts(world.association.id)[-1]
    assert (tsunami.action, tsunami.disaster_event_id) == ("bulletin", earthquake.id)
    bulletin = db.session.scalars(select(Bulletin)).one()
    assert (bulletin.event_id, bulletin.source, bulletin.template) == (
        earthquake.id,
        "jma",
        "official",
    )
    row = db.session.scalars(select(Outbox).where(Outbox.kind == "bulletin")).one()
    assert row.member_id == world.member.id
    assert row.body.startswith("気象庁から新しい情報が出ました：大津波警報（宮城県）")
    assert "ただちに避難してください。" in row.body


def test_a_real_warning_during_a_drill_is_not_folded_into_the_drill(world, jma):
    _watch(world, MIYAGI)
    start_event(world.association, kind="earthquake", title="訓練", message="", drill=True)
    db.session.commit()
    _poll(jma, WARNING_2011)
    [alert] = _alerts(world.association.id)
    assert alert.action == "not_started"
    assert db.session.scalar(select(func.count(Bulletin.id))) == 0


def test_officers_choose_the_tsunami_area_on_the_settings_page(world, client, as_member):
    as_member(world.officer)
    answer = client.post(
        "/admin/jma/",
        data={"enabled": "y", "tsunami_area_code": "220", "threshold": "5-", "mode": "ask"},
    )
    assert answer.status_code == 302
    db.session.refresh(world.association)
    assert JmaSettings.of(world.association).tsunami_area_code == "220"
    page = client.get("/admin/jma/").get_data(as_text=True)
    assert 'value="220"' in page


def test_a_tsunami_area_code_that_is_not_one_is_refused(world, client, as_member):
    as_member(world.officer)
    answer = client.post(
        "/admin/jma/",
        data={"enabled": "y", "tsunami_area_code": "22a", "threshold": "5-", "mode": "ask"},
    )
    assert answer.status_code == 400
    db.session.refresh(world.association)
    assert JmaSettings.of(world.association).tsunami_area_code == ""


def _aftershock(name: str, event_id: str, intensity: str | None = None):
    shaken = replace(parse_message(message(name)), event_id=event_id)
    if intensity:
        shaken.areas["331"].cities["1110600"].max_int = intensity
    return shaken


def test_only_an_aftershock_stronger_than_the_first_is_a_bulletin(world, jma):
    settings = replace(MIYAGI, city_code="1110600", area_code="331")
    _watch(world, settings)
    _poll(jma, "VXSE53_sakura_5plus.xml")  # 震度５強 starts the event
    event = active_event(world.association.id)

    weaker = _aftershock("VXSE53_sakura_5minus.xml", "20261127110000")
    alert = act(world.association, evaluate(weaker, settings), weaker, "x", mode=MODE_AUTO, now=NOW)
    assert (alert.action, alert.disaster_event_id) == ("noted", event.id)
    assert db.session.scalar(select(func.count(Bulletin.id))) == 0

    stronger = _aftershock("VXSE53_sakura_5plus.xml", "20261127120000", intensity="6-")
    alert = act(
        world.association, evaluate(stronger, settings), stronger, "y", mode=MODE_AUTO, now=NOW
    )
    assert alert.action == "bulletin"
    bulletin = db.session.scalars(select(Bulletin)).one()
    assert bulletin.params["title"] == "地震（さいたま桜区で震度６弱）"

    same = _aftershock("VXSE53_sakura_5plus.xml", "20261127130000", intensity="6-")
    alert = act(world.association, evaluate(same, settings), same, "z", mode=MODE_AUTO, now=NOW)
    assert alert.action == "noted"  # not stronger than the strongest so far
    assert db.session.scalar(select(func.count(DisasterEvent.id))) == 1
