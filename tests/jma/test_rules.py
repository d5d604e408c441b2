"""The rules: which messages start disaster mode for 桜区, and which never do."""

from dataclasses import replace

import pytest

from jichikai.jma.messages import parse_message
from jichikai.jma.rules import evaluate
from jichikai.jma.settings import JmaSettings

from .conftest import SAKURA, message


def _evaluate(name: str, settings: JmaSettings = SAKURA):
    return evaluate(parse_message(message(name)), settings)


def test_city_at_5_upper_triggers_an_earthquake_event():
    trigger = _evaluate("VXSE53_sakura_5plus.xml")
    assert trigger.kind == "earthquake"
    assert trigger.event_key == "earthquake:20261127095412"
    assert trigger.title == "地震（さいたま桜区で震度５強）"
    assert trigger.drill is False


def test_city_at_5_lower_reaches_the_default_threshold():
    assert _evaluate("VXSE53_sakura_5minus.xml") is not None


def test_city_below_a_higher_threshold_does_not_trigger():
    assert _evaluate("VXSE53_sakura_5minus.xml", replace(SAKURA, threshold="5+")) is None
    assert _evaluate("VXSE53_sakura_5plus.xml", replace(SAKURA, threshold="6-")) is None


def test_city_not_listed_falls_back_to_its_area():
    trigger = _evaluate("VXSE53_city_not_listed_area331_5plus.xml")
    assert trigger.reason == "埼玉県南部で震度５強"


def test_city_not_listed_and_no_area_code_does_not_trigger():
    settings = replace(SAKURA, area_code="")
    assert _evaluate("VXSE53_city_not_listed_area331_5plus.xml", settings) is None


def test_city_not_yet_received_counts_as_5_lower():
    trigger = _evaluate("VXSE53_sakura_not_received.xml")
    assert "未入電" in trigger.reason
    assert _evaluate("VXSE53_sakura_not_received.xml", replace(SAKURA, threshold="5+")) is None


def test_vxse51_uses_the_area():
    trigger = _evaluate("VXSE51_area331_5plus.xml")
    assert trigger.event_key == "earthquake:20261127095412"  # same earthquake as the VXSE53


def test_real_vxse51_sample_at_3_does_not_trigger():
    assert _evaluate("32-35_01_01_100806_VXSE51.xml") is None
    assert _evaluate("32-35_01_01_100806_VXSE51.xml", replace(SAKURA, threshold="3")) is not None


def test_training_message_never_starts_a_real_event():
    assert _evaluate("VXSE53_training.xml") is None


def test_training_message_starts_a_drill_when_chosen():
    trigger = _evaluate("VXSE53_training.xml", replace(SAKURA, drill_from_training=True))
    assert trigger.drill is True
    assert trigger.event_key.startswith("drill:")


def test_test_message_never_acts():
    assert _evaluate("VXSE53_test.xml", replace(SAKURA, drill_from_training=True)) is None


def test_cancellation_never_triggers():
    assert _evaluate("VXSE53_sakura_5plus_cancel.xml") is None


def test_heavy_rain_emergency_warning_issued_triggers_a_flood_event():
    trigger = _evaluate("VPWW53_saitama_heavy_rain_issued.xml")
    assert trigger.kind == "flood"
    assert trigger.title == "大雨特別警報（さいたま市）"


def test_heavy_rain_emergency_warning_lifted_does_not_trigger():
    assert _evaluate("VPWW53_saitama_heavy_rain_lifted.xml") is None


def test_weather_kinds_not_chosen_do_not_trigger():
    settings = replace(SAKURA, weather_kinds=["landslide"])
    assert _evaluate("VPWW53_saitama_heavy_rain_issued.xml", settings) is None
    flood = replace(SAKURA, weather_kinds=["04"])
    assert (
        _evaluate("VPWW53_saitama_heavy_rain_issued.xml", flood).title == "洪水警報（さいたま市）"
    )


def test_real_vpww53_sample_triggers_only_for_its_cities():
    assert _evaluate("15_14_01_170216_VPWW53.xml") is None
    shinjuku = replace(SAKURA, warning_area_code="1310400")
    assert _evaluate("15_14_01_170216_VPWW53.xml", shinjuku).kind == "flood"


def test_landslide_alert_triggers_a_landslide_event():
    trigger = _evaluate("VXWW50_saitama_issued.xml")
    assert trigger.kind == "landslide"
    assert _evaluate("VXWW50_saitama_issued.xml", replace(SAKURA, weather_kinds=["33"])) is None


@pytest.mark.parametrize(
    "name", ["VXSE53_sakura_5plus.xml", "VPWW53_saitama_heavy_rain_issued.xml"]
)
def test_disabled_settings_never_trigger(name):
    assert _evaluate(name, replace(SAKURA, enabled=False)) is None


def test_settings_problems_are_reported():
    bad = JmaSettings(enabled=True, city_code="abc", threshold="8", mode="x", weather_kinds=["99"])
    assert len(bad.problems()) == 4
    assert JmaSettings(enabled=True).problems() == ["enabled without any area"]
    assert SAKURA.problems() == []
