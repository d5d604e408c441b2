"""Feature-phone friendly email: plain text, short lines, whole links, ISO-2022-JP for carriers."""

import email
import email.policy

import pytest

from jichikai.extensions import db
from jichikai.mail.compose import (
    LINE_WIDTH,
    Outgoing,
    columns,
    compose,
    is_feature_phone,
    wrap_line,
)

from .helpers import give_email, post_circular, send_email

LONG_BODY = (
    "今月の第二日曜日、朝九時から公民館の前の道路と公園の清掃をします。"
    "軍手とごみ袋は自治会で用意しますので、動きやすい服装でお越しください。"
    "雨の場合は翌週に延期します。ｶﾀｶﾅの連絡先は①番の掲示板をご覧ください。"
)


def _parse(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


@pytest.mark.parametrize(
    "address",
    ["taro@docomo.ne.jp", "TARO@EZWEB.NE.JP", "t@i.softbank.jp", "t@t.vodafone.ne.jp", "t@au.com"],
)
def test_carrier_addresses_are_feature_phones(address):
    assert is_feature_phone(address)


@pytest.mark.parametrize("address", ["taro@gmail.com", "t@notdocomo.ne.jp", "t@example.jp"])
def test_other_addresses_are_not(address):
    assert not is_feature_phone(address)


def test_lines_break_between_characters_never_inside_a_link_nor_before_a_stop():
    line = "あ" * 33 + "。次の文です。" + " https://kairan.example.jp/" + "x" * 80 + " おわり"
    lines = wrap_line(line)
    assert lines[0] == "あ" * 33 + "。"  # the full stop stays on its line
    assert "https://kairan.example.jp/" + "x" * 80 in lines  # whole, on a line of its own
    assert all(columns(part) <= LINE_WIDTH for part in lines if "https://" not in part)
    assert "".join(lines).replace(" ", "") == line.replace(" ", "")


def test_a_feature_phone_gets_iso_2022_jp_short_lines_and_whole_links(app, world, smtp):
    give_email(world.member, "hanako@docomo.ne.jp")
    db.session.commit()
    post_circular(world, title="清掃のお知らせ（ﾃｽﾄ）", body=LONG_BODY)

    send_email()

    [received] = smtp.received
    raw = received.data
    raw.decode("ascii")  # 7 bit all through: headers encoded, body ISO-2022-JP
    message = _parse(raw)
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "iso-2022-jp"
    assert message["Content-Transfer-Encoding"] == "7bit"
    assert b"=?iso-2022-jp?b?" in raw.split(b"\r\n\r\n")[0]
    assert message["Subject"] == "清掃のお知らせ(テスト)"  # half-width kana made full-width
    assert "ひがし自治会" in str(message["From"])
    text = message.get_content()
    lines = text.splitlines()
    links = [line for line in lines if line.startswith("https://") or line.startswith("http://")]
    assert len(links) == 2  # 読みました, and the circular's page
    for link in links:
        label = lines[lines.index(link) - 1]
        assert label.startswith("▼")
    too_long = [line for line in lines if line not in links and columns(line) > LINE_WIDTH]
    assert not too_long
    assert "".join(lines).count("軍手とごみ袋は自治会で用意しますので") == 1  # the whole text
    assert "カタカナの連絡先は1番の掲示板" in "".join(lines)


def test_a_character_iso_2022_jp_lacks_sends_utf_8_instead(app, world, smtp):
    give_email(world.member, "hanako@ezweb.ne.jp")
    db.session.commit()
    post_circular(world, title="𠮷野家さんからのお知らせ", body="𠮷野さんの店です。")

    send_email()

    message = _parse(smtp.received[0].data)
    assert message.get_content_charset() == "utf-8"
    assert message["Subject"] == "𠮷野家さんからのお知らせ"
    assert "𠮷野さんの店です。" in message.get_content()


def test_other_addresses_get_utf_8_with_the_same_text(app, world, smtp):
    give_email(world.member, "hanako@example.jp")
    db.session.commit()
    post_circular(world, body=LONG_BODY)

    send_email()

    message = _parse(smtp.received[0].data)
    assert message.get_content_charset() == "utf-8"
    assert not message.is_multipart()
    assert "ｶﾀｶﾅ" in message.get_content()  # nothing normalised for a smartphone or PC
    assert message["Reply-To"] is None
    assert message["List-Unsubscribe"] is None


def test_reply_to_and_a_stable_message_id(app, world):
    item = Outgoing(
        id=42,
        address="hanako@example.jp",
        title="回覧",
        body="本文",
        actions=(("開く", "https://kairan.example.jp/"),),
        language="ja",
        association_name="ひがし自治会",
    )
    first = compose(item, sender="jichikai@kairan.example.jp", reply_to="yakuin@example.jp")
    again = compose(item, sender="jichikai@kairan.example.jp", reply_to="yakuin@example.jp")
    message = _parse(first.message().as_bytes())
    assert message["Reply-To"] == "yakuin@example.jp"
    assert message["Message-ID"] == again.message()["Message-ID"]
    assert message["Message-ID"].endswith("@kairan.example.jp>")


def test_english_members_get_english_around_the_text(app, world, smtp):
    world.member.language = "en"
    give_email(world.member, "hanako@example.jp")
    db.session.commit()
    post_circular(world)

    send_email()

    text = _parse(smtp.received[0].data).get_content()
    assert "▼I have read it\n" in text.replace("\r\n", "\n")
    assert "officers" in text
