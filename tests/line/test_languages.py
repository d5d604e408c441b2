"""LINE speaks each recipient's language, with furigana as 漢字(かんじ)."""

from flask_babel import force_locale, gettext

from jichikai.extensions import db
from jichikai.line.messages import text

from ..disaster.helpers import start
from .conftest import linked


def test_a_disaster_message_reaches_each_member_in_their_language(world, account, line, sender):
    world.member.language = "en"
    world.leader.language = "fil"
    db.session.commit()
    english, japanese, filipino = (linked(m) for m in (world.member, world.housemate, world.leader))
    start(world, title="地震", message="｜地震《じしん》がありました。")

    sender.send_pending()

    [en_text, en_buttons] = line.messages_for(english)[0]
    [ja_text, ja_buttons] = line.messages_for(japanese)[0]
    [fil_text, _fil_buttons] = line.messages_for(filipino)[0]
    assert en_text["text"].startswith("地震\n\n地震(じしん)がありました。")
    assert "Please let us know that you are safe." in en_text["text"]
    assert en_buttons["template"]["actions"][0]["label"] == "I am safe, at home"
    assert ja_buttons["template"]["actions"][0]["label"] == "無事です・自宅にいます"
    assert "《" not in str(ja_text) + str(ja_buttons)
    with force_locale("fil"):
        assert gettext("安否を知らせてください。") in fil_text["text"]
    assert fil_text["text"] != en_text["text"]


def test_a_reply_shows_furigana_in_brackets():
    assert (
        text("｜安否《あんぴ》を知らせてください。")["text"] == "安否(あんぴ)を知らせてください。"
    )
