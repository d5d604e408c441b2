"""Reading JMA feeds and messages: real samples and the cases they lack."""

import pytest

from jichikai.jma.messages import (
    MessageError,
    intensity_rank,
    parse_feed,
    parse_message,
    type_from_link,
)

from .conftest import message


def test_real_feed_lists_its_entries_with_links_and_times():
    entries = parse_feed(message("feed_eqvol_20211112.xml"))
    assert len(entries) > 10
    first = entries[0]
    assert first.link.endswith("20211112014833_0_VFVO52_400000.xml")
    assert first.title == "噴火に関する火山観測報"
    assert first.updated.isoformat() == "2021-11-12T01:48:31+00:00"


def test_a_report_is_not_a_feed():
    with pytest.raises(MessageError):
        parse_feed(message("VXSE53_sakura_5plus.xml"))


@pytest.mark.parametrize(
    ("link", "code"),
    [
        (
            "https://www.data.jma.go.jp/developer/xml/data/20211112014833_0_VXSE53_400000.xml",
            "VXSE53",
        ),
        ("http://127.0.0.1:1/data/32-35_01_01_100806_VXSE51.xml", "VXSE51"),
        ("http://127.0.0.1:1/data/18_00_01_260830_VPWW55_fukui_L5.xml", "VPWW55"),
        ("http://127.0.0.1:1/data/20260830_0_VPWS50_010000.xml", "VPWS50"),
        ("http://127.0.0.1:1/data/unknown_message.xml", None),
    ],
)
def test_type_code_comes_from_the_file_name(link, code):
    assert type_from_link(link) == code


def test_real_vxse51_sample_has_areas_and_the_head():
    parsed = parse_message(message("32-35_01_01_100806_VXSE51.xml"))
    assert parsed.type_code == "VXSE51"
    assert (parsed.status, parsed.info_type, parsed.event_id) == ("通常", "発表", "20090811050711")
    assert parsed.areas["331"].name == "埼玉県南部"
    assert parsed.areas["331"].max_int == "3"
    assert parsed.areas["442"].max_int == "6-"
    assert parsed.report_datetime.isoformat() == "2009-08-11T05:09:00+09:00"


def test_real_cancellation_has_no_areas():
    parsed = parse_message(message("32-35_10_01_220510_VXSE51.xml"))
    assert parsed.info_type == "取消"
    assert parsed.areas == {}


def test_real_training_message_keeps_its_status():
    parsed = parse_message(message("32-35_01_02_240613_VXSE52.xml"))
    assert parsed.status == "訓練"
    assert parsed.type_code == ""  # 震源に関する情報: no rule reads it


def test_real_vpww53_sample_has_warning_items_by_city():
    parsed = parse_message(message("15_14_01_170216_VPWW53.xml"))
    assert parsed.type_code == "VPWW53"
    shinjuku = next(i for i in parsed.warnings if i.area_code == "1310400")
    assert ("33", "発表") in {(k.code, k.status) for k in shinjuku.kinds}


def test_vxse53_cities_with_intensity_and_condition():
    parsed = parse_message(message("VXSE53_sakura_not_received.xml"))
    city = parsed.areas["331"].cities["1110600"]
    assert city.max_int is None
    assert city.condition == "震度５弱以上未入電"


def test_vxww50_items_by_municipality():
    parsed = parse_message(message("VXWW50_saitama_issued.xml"))
    item = next(i for i in parsed.warnings if i.area_code == "1110000")
    assert item.kinds[0].status == "発表"


@pytest.mark.parametrize("name", ["VXSE53_truncated.xml", "entity_bomb.xml"])
def test_unreadable_or_hostile_xml_is_refused(name):
    with pytest.raises(MessageError):
        parse_message(message(name))


def test_other_xml_is_not_a_report():
    with pytest.raises(MessageError):
        parse_message(b'<?xml version="1.0"?><html><body/></html>')


def test_intensity_scale_order():
    ranks = [intensity_rank(v) for v in ("1", "4", "5-", "5+", "6-", "7")]
    assert ranks == sorted(ranks)
    assert intensity_rank("5弱") is None
