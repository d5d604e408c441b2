"""Email speaks each recipient's language, with furigana as 漢字(かんじ) in the plain text."""

from flask_babel import force_locale, gettext

from jichikai.extensions import db

from .helpers import give_email, send_email, start_drill


def _texts(smtp) -> dict[str, tuple[str, str]]:
    found = {}
    for received in smtp.received:
        message = received.parsed()
        text = message.get_content().replace("\r\n", "\n")
        found[received.rcpt_tos[0]] = (str(message["Subject"]), text)
    return found


def test_a_disaster_email_is_in_each_recipients_language(app, world, smtp):
    world.member.language = "en"
    world.housemate.language = "ja"
    world.leader.language = "ko"
    give_email(world.member, "hanako@example.jp")
    give_email(world.housemate, "ichiro@example.jp")
    give_email(world.leader, "kenta@example.jp")
    db.session.commit()

    start_drill(world, message="｜避難所《ひなんじょ》が開きました。")
    send_email()

    texts = _texts(smtp)
    subject, english = texts["hanako@example.jp"]
    assert subject == "[Drill] 震度6弱の地震"
    assert "避難所(ひなんじょ)が開きました。" in english and "《" not in english
    assert "Please let us know that you are safe." in english
    assert "▼I am safe, at home\n" in english
    subject, japanese = texts["ichiro@example.jp"]
    assert subject == "【訓練】震度6弱の地震"
    assert "▼無事です・自宅にいます\n" in japanese and "｜" not in japanese
    _subject, korean = texts["kenta@example.jp"]
    with force_locale("ko"):
        assert f"▼{gettext('無事です・自宅にいます')}\n" in korean
    assert "▼I am safe, at home\n" not in korean


def test_the_footer_follows_the_recipient_not_the_sender(app, world, smtp):
    world.officer.language = "en"
    give_email(world.member, "hanako@example.jp")
    db.session.commit()

    start_drill(world)
    send_email()

    [(_subject, text)] = _texts(smtp).values()
    assert "受け取りをやめたいときは、役員にお伝えください。" in text
