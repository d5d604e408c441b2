"""Web Push speaks each recipient's language, whoever sent it, with furigana as 漢字(かんじ)."""

from flask_babel import force_locale, gettext

from jichikai.disaster.bulletins import post_bulletin
from jichikai.extensions import db

from ..disaster.helpers import start
from .helpers import send_all, subscribe_browser


def _start(world, message: str = "｜地震《じしん》がありました。"):
    return start(world, drill=True, title="地震", message=message)


def test_a_disaster_alert_reaches_each_member_in_their_language(world, emulator):
    world.member.language = "en"
    world.leader.language = "vi"
    world.officer.language = "en"  # the sender's language changes nothing for the others
    db.session.commit()
    english, _ = subscribe_browser(emulator, world.member)
    japanese, _ = subscribe_browser(emulator, world.housemate)
    vietnamese, _ = subscribe_browser(emulator, world.leader)

    _start(world, message="")
    send_all()

    [en] = emulator.payloads_for(english)
    [ja] = emulator.payloads_for(japanese)
    [vi] = emulator.payloads_for(vietnamese)
    assert en["title"] == "[Drill] 地震" and en["body"] == "Please let us know that you are safe."
    assert ja["title"] == "【訓練】地震" and ja["body"] == "安否を知らせてください。"
    with force_locale("vi"):
        assert vi["body"] == gettext("安否を知らせてください。") != en["body"]


def test_a_member_whose_language_is_not_offered_gets_the_associations_first(world, emulator):
    world.member.language = "en"
    world.association.languages = ["ja", "vi"]
    db.session.commit()
    browser, _ = subscribe_browser(emulator, world.member)

    _start(world, message="")
    send_all()

    [received] = emulator.payloads_for(browser)
    assert received["title"] == "【訓練】地震"


def test_furigana_marks_arrive_as_kanji_with_kana_in_brackets(world, emulator):
    browser, _ = subscribe_browser(emulator, world.member)

    _start(world)
    send_all()

    [received] = emulator.payloads_for(browser)
    assert received["body"] == "地震(じしん)がありました。"


def test_a_bulletin_from_a_template_reaches_each_member_in_their_language(world, emulator):
    world.member.language = "en"
    db.session.commit()
    english, _ = subscribe_browser(emulator, world.member)
    japanese, _ = subscribe_browser(emulator, world.housemate)
    event = _start(world, message="")
    send_all()

    post_bulletin(event, template="water", params={"place": "公民館"}, by=world.officer)
    db.session.commit()
    send_all()

    assert emulator.payloads_for(english)[-1]["body"] == "A water truck is coming to 公民館."
    assert emulator.payloads_for(japanese)[-1]["body"] == "公民館 に給水車が来ます。"


def test_free_text_from_an_officer_reaches_everyone_as_written(world, emulator):
    world.member.language = "en"
    db.session.commit()
    english, _ = subscribe_browser(emulator, world.member)
    event = _start(world, message="")
    send_all()

    post_bulletin(event, text="｜公民館《こうみんかん》は あいています。", by=world.officer)
    db.session.commit()
    send_all()

    received = emulator.payloads_for(english)[-1]
    assert received["body"] == "公民館(こうみんかん)は あいています。"
    assert received["title"] == "[Drill] Notice: 地震"
