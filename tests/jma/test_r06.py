"""気象警報・注意報（Ｒ０６）: the 2026 warning levels, read from JMA's own VPWW55 messages.

The 福井 messages of 2026-08-30 are JMA's (see tests/jma/data/ATTRIBUTION.md): レベル５大雨特別警報
in force at 06:51 (越前町 raised to レベル３大雨警報), lowered to レベル４大雨危険警報 at 11:40, and
every 注意報 lifted at 20:04. The derived file raises 福井市 to レベル５ and 坂井市 to レベル４.
"""

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from jichikai.disaster.models import Bulletin, DisasterEvent
from jichikai.disaster.services import active_event
from jichikai.extensions import db
from jichikai.jma.alerts import act, cancelled_alerts, lifted_alerts
from jichikai.jma.kinds import R06_CHOICES, WEATHER_KINDS
from jichikai.jma.messages import parse_message
from jichikai.jma.models import JmaAlert
from jichikai.jma.poll import PollOptions, poll
from jichikai.jma.rules import evaluate, r06_level
from jichikai.jma.settings import MODE_ASK, MODE_AUTO, JmaSettings, save_settings
from jichikai.push.models import Outbox

from .conftest import NOW, message, subscribe

L5 = "18_00_01_260830_VPWW55_fukui_L5.xml"
DOWNGRADE = "18_00_01_260830_VPWW55_fukui_downgrade.xml"
RELEASE = "18_00_01_260830_VPWW55_fukui_release.xml"
UPGRADE = "VPWW55_fukui_upgrade_derived.xml"

FUKUI_CITY = JmaSettings(
    enabled=True, warning_area_code="1820100", weather_kinds=["33"], mode=MODE_AUTO
)
OPTIONS = PollOptions(timeout=2.0)


def _evaluate(name: str, settings: JmaSettings):
    return evaluate(parse_message(message(name)), settings)


def _watch(world, settings: JmaSettings):
    save_settings(world.association, settings, by=None)
    db.session.commit()


def _poll(jma, name: str, feed: str):
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


# --- reading ---------------------------------------------------------------------------------


def test_the_r06_message_is_read_by_municipality_with_its_level():
    parsed = parse_message(message(L5))
    assert parsed.type_code == "VPWW55"  # from its title, 気象警報・注意報（Ｒ０６）（大雨）
    towns = {i.area_code: i for i in parsed.warnings if i.warning_type.endswith("（市町村等）")}
    assert len(towns) == 17
    [kind] = towns["1842300"].kinds
    assert (kind.name, kind.code, kind.status, kind.last_code) == (
        "レベル３大雨警報",
        "03",
        "発表",
        "10",
    )
    assert r06_level("VPWW55", kind.code, kind.name) == 3
    assert r06_level("VPWW55", kind.last_code, kind.last_name) == 2
    assert [r06_level("VPWW55", c, "") for c in ("33", "43", "03", "10", "00")] == [5, 4, 3, 2, 0]


def test_every_r06_choice_is_a_choosable_kind():
    assert set(R06_CHOICES) <= set(WEATHER_KINDS)


# --- the rules -------------------------------------------------------------------------------


def test_a_level_newly_reached_starts_like_vpww53():
    trigger = _evaluate(L5, replace(FUKUI_CITY, warning_area_code="1842300", weather_kinds=["03"]))
    assert (trigger.kind, trigger.title) == ("flood", "レベル３大雨警報（越前町）")
    # The same announcement in VPWW53 (Kind/Code 03) has the same key: one alert, not two.
    assert trigger.event_key == "weather:VPWW53:1842300:03:2026-08-30T06:51:00+09:00"


def test_a_warning_still_in_force_does_nothing():
    assert _evaluate(L5, FUKUI_CITY) is None  # 福井市: レベル５ 継続


def test_a_level_below_the_chosen_one_does_nothing():
    settings = replace(FUKUI_CITY, warning_area_code="1842300", weather_kinds=["33"])
    assert _evaluate(L5, settings) is None  # 越前町 reached レベル３ only


def test_a_raise_to_level_5_and_to_level_4_start():
    trigger = _evaluate(UPGRADE, FUKUI_CITY)
    assert trigger.title == "レベル５大雨特別警報（福井市）"
    sakai = replace(FUKUI_CITY, warning_area_code="1821000", weather_kinds=["43"])
    trigger = _evaluate(UPGRADE, sakai)
    assert trigger.title == "レベル４大雨危険警報（坂井市）"
    assert trigger.event_key == "weather:VPWW55:1821000:43:2026-08-30T06:51:00+09:00"


def test_an_association_that_chose_heavy_rain_warning_acts_on_graver_levels():
    settings = replace(FUKUI_CITY, weather_kinds=["03"])
    assert _evaluate(UPGRADE, settings).title == "レベル５大雨特別警報（福井市）"


@pytest.mark.parametrize("kinds", [["33"], ["43"], ["03"], ["43", "33"]])
def test_a_lowered_warning_does_nothing(kinds):
    assert _evaluate(DOWNGRADE, replace(FUKUI_CITY, weather_kinds=kinds)) is None


@pytest.mark.parametrize(
    "settings",
    [
        replace(FUKUI_CITY, weather_kinds=["04", "35"]),  # no R06 heavy rain kind chosen
        replace(FUKUI_CITY, warning_area_code="1110000"),  # another municipality
        replace(FUKUI_CITY, warning_area_code=""),
        replace(FUKUI_CITY, enabled=False),
    ],
)
def test_other_choices_or_places_do_nothing(settings):
    assert _evaluate(UPGRADE, settings) is None


def test_a_training_message_is_a_drill_only_when_wanted():
    training = replace(parse_message(message(UPGRADE)), status="訓練")
    assert evaluate(training, FUKUI_CITY) is None
    trigger = evaluate(training, replace(FUKUI_CITY, drill_from_training=True))
    assert trigger.drill and trigger.event_key.startswith("drill:weather:VPWW53:1820100:33:")


# --- with the real disaster mode -------------------------------------------------------------


def test_level_5_starts_a_flood_event(world, jma):
    _watch(world, FUKUI_CITY)
    _poll(jma, UPGRADE, "extra.xml")
    event = active_event(world.association.id)
    assert (event.kind, event.title) == ("flood", "レベル５大雨特別警報（福井市）")
    assert event.source["type"] == "VPWW55"
    assert active_event(world.outsider_association.id) is None


def test_in_ask_mode_the_officers_are_asked(world, jma):
    _watch(world, replace(FUKUI_CITY, mode=MODE_ASK))
    subscribe(world.officer)
    _poll(jma, UPGRADE, "extra.xml")
    assert active_event(world.association.id) is None
    [alert] = _alerts(world.association.id)
    assert alert.action == "proposed"
    assert set(db.session.scalars(select(Outbox.url))) == {f"/admin/jma/alerts/{alert.id}"}


def test_a_raise_during_the_event_is_a_bulletin(world, jma):
    """レベル３ started the event; the raise to レベル５ goes to the members as a bulletin."""
    _watch(world, replace(FUKUI_CITY, warning_area_code="1842300", weather_kinds=["03"]))
    _poll(jma, L5, "extra.xml")
    event = active_event(world.association.id)
    assert event.title == "レベル３大雨警報（越前町）"
    subscribe(world.member)

    raised = parse_message(message(UPGRADE))
    for item in raised.warnings:  # 越前町 now raised to レベル５ in the same form as 福井市
        if item.area_code == "1842300":
            item.kinds = next(i.kinds for i in raised.warnings if i.area_code == "1820100")
    raised.report_datetime = raised.report_datetime.replace(hour=9)
    trigger = evaluate(raised, JmaSettings.of(world.association))
    alert = act(world.association, trigger, raised, "z", mode=MODE_AUTO, now=NOW)
    db.session.commit()
    assert (alert.action, alert.disaster_event_id) == ("bulletin", event.id)
    assert db.session.scalar(select(func.count(DisasterEvent.id))) == 1
    bulletin = db.session.scalars(select(Bulletin)).one()
    assert bulletin.params["title"] == "レベル５大雨特別警報（越前町）"


def test_the_lifting_tells_the_officers_and_ends_nothing(world, jma):
    _watch(world, FUKUI_CITY)
    _poll(jma, UPGRADE, "extra.xml")
    subscribe(world.officer)

    report = _poll(jma, DOWNGRADE, "extra2.xml")
    assert report.lifted == [] and len(_alerts(world.association.id)) == 1

    report = _poll(jma, RELEASE, "extra3.xml")
    [alert] = _alerts(world.association.id)
    assert report.lifted == [alert]
    assert alert.source["lifted_headline"] == "注意報を解除します。"
    assert alert.cancelled_at is None
    assert "解除：レベル５大雨特別警報（福井市）" in set(db.session.scalars(select(Outbox.title)))
    assert active_event(world.association.id) is not None

    # The same lifting read again (VPWW53 alongside, a repeated message) is not told twice.
    assert lifted_alerts(world.association, parse_message(message(RELEASE)), NOW) == []


def test_the_alert_page_and_list_show_the_lifting(world, jma, client, as_member):
    _watch(world, FUKUI_CITY)
    _poll(jma, UPGRADE, "extra.xml")
    _poll(jma, RELEASE, "extra2.xml")
    [alert] = _alerts(world.association.id)
    as_member(world.officer)
    page = client.get(f"/admin/jma/alerts/{alert.id}").get_data(as_text=True)
    assert "気象庁が警報などを解除しました。" in page
    assert "注意報を解除します。" in page
    assert "安否確認は続いています。" in page  # the event was started and still runs
    assert "解除されました" in client.get("/admin/jma/").get_data(as_text=True)


def test_a_lifting_elsewhere_tells_nobody(world, jma):
    _watch(world, FUKUI_CITY)
    _poll(jma, UPGRADE, "extra.xml")
    _watch(world, replace(FUKUI_CITY, warning_area_code="1820200"))  # 敦賀市: nothing lifted
    report = _poll(jma, RELEASE, "extra2.xml")
    assert report.lifted == []


def test_officers_can_choose_the_new_level_4_warning(world, client, as_member):
    as_member(world.officer)
    page = client.get("/admin/jma/").get_data(as_text=True)
    assert "大雨危険警報（レベル４）" in page
    answer = client.post(
        "/admin/jma/",
        data={
            "enabled": "y",
            "warning_area_code": "1820100",
            "weather_kinds": ["43", "landslide"],
            "threshold": "5-",
            "mode": "ask",
        },
    )
    assert answer.status_code == 302
    db.session.refresh(world.association)
    assert JmaSettings.of(world.association).weather_kinds == ["43", "landslide"]


def _issue(world, name: str, settings: JmaSettings) -> JmaAlert:
    issued = parse_message(message(name))
    alert = act(world.association, evaluate(issued, settings), issued, "x", mode=MODE_ASK, now=NOW)
    db.session.commit()
    return alert


def test_a_cancellation_of_an_r06_message_takes_back_its_alerts(world):
    settings = replace(FUKUI_CITY, weather_kinds=["03", "43"])
    _watch(world, settings)
    shared = _issue(world, UPGRADE, settings)  # レベル５, key shared with VPWW53 code 33
    sakai = replace(settings, warning_area_code="1821000")
    own = _issue(world, UPGRADE, sakai)  # レベル４, a key of VPWW55's own
    storm = JmaAlert(
        association_id=world.association.id,
        event_key="weather:VPWW53:1820100:35:2026-08-30T06:51:00+09:00",  # 暴風特別警報
        action="proposed",
        kind="other",
        title="暴風特別警報（福井市）",
        created_at=NOW,
    )
    db.session.add(storm)
    db.session.commit()

    cancelled = replace(parse_message(message(UPGRADE)), info_type="取消")
    found = cancelled_alerts(world.association, cancelled, NOW)
    assert {a.id for a in found} == {shared.id, own.id}
    assert cancelled_alerts(world.outsider_association, cancelled, NOW) == []
