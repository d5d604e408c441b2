"""Circulars in more than one language: officers' translations, what members read and are
sent, and machine translations through a local emulator of DeepL's API."""

from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from markupsafe import escape
from sqlalchemy import select

from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.notices.models import NoticeTranslation
from jichikai.notices.services import NoticeInput, create_notice, publish
from jichikai.push.models import Outbox

from ..factories import make_association
from ..reach.helpers import add_contact
from .helpers import make_notice
from .test_query_counts import counted

VI_TITLE = "Thay đổi ngày thu gom rác"
VI_BODY = "Không thu gom rác vào dịp cuối năm và năm mới."


def _translations(notice) -> dict[str, NoticeTranslation]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(NoticeTranslation).where(NoticeTranslation.notice_id == notice.id)
    )
    return {row.language: row for row in rows}


def _write(client, notice, language="vi", title=VI_TITLE, body=VI_BODY):
    return client.post(
        f"/notices/{notice.id}/translations/{language}", data={"title": title, "body": body}
    )


def _read_in_vietnamese(world, as_member) -> None:
    """Log the test client in as the member, who reads Vietnamese."""
    world.member.language = "vi"
    db.session.commit()
    as_member(world.member)


def _add_translation(world, notice, language="vi", title=VI_TITLE, body=VI_BODY, machine=False):
    row = NoticeTranslation(
        association_id=notice.association_id,
        notice_id=notice.id,
        language=language,
        title=title,
        body=body,
        machine=machine,
        provider="deepl" if machine else "",
        created_by_id=world.officer.id,
    )
    db.session.add(row)
    db.session.commit()
    return row


# Officers write, change and remove translations ----------------------------------------


def test_officer_adds_a_translation(client, world, as_member):
    notice = make_notice(world)
    as_member(world.officer)
    response = _write(client, notice)
    assert response.status_code == 303
    saved = _translations(notice)["vi"]
    assert (saved.title, saved.body, saved.machine) == (VI_TITLE, VI_BODY, False)
    assert saved.created_by_id == world.officer.id
    assert saved.association_id == world.association.id
    page = client.get(f"/notices/{notice.id}/translations").get_data(as_text=True)
    assert f'<span lang="vi">{VI_TITLE}</span>' in page
    assert "役員の翻訳" in page


def test_officer_changes_a_translation(client, world, as_member):
    notice = make_notice(world)
    _add_translation(world, notice)
    as_member(world.officer)
    form = client.get(f"/notices/{notice.id}/translations/vi").get_data(as_text=True)
    assert VI_TITLE in form and 'lang="vi"' in form
    assert _write(client, notice, title="Đổi ngày thu rác").status_code == 303
    assert _translations(notice)["vi"].title == "Đổi ngày thu rác"


def test_officer_removes_a_translation_and_members_read_the_original(client, world, as_member):
    notice = make_notice(world)
    _add_translation(world, notice)
    as_member(world.officer)
    assert client.post(f"/notices/{notice.id}/translations/vi/delete").status_code == 303
    assert _translations(notice) == {}
    _read_in_vietnamese(world, as_member)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert '<h1 lang="ja">ごみ収集日の変更</h1>' in page
    assert VI_TITLE not in page


def test_a_translation_without_a_title_keeps_what_was_typed(client, world, as_member):
    notice = make_notice(world)
    as_member(world.officer)
    response = _write(client, notice, title="  ")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "題名の翻訳を入れてください。" in page
    assert VI_BODY in page
    assert _translations(notice) == {}


def test_a_translation_without_a_body_is_refused_when_the_original_has_one(
    client, world, as_member
):
    notice = make_notice(world)
    as_member(world.officer)
    response = _write(client, notice, body="")
    assert response.status_code == 400
    assert "本文の翻訳を入れてください。" in response.get_data(as_text=True)
    assert VI_TITLE in response.get_data(as_text=True)


def test_a_too_long_title_is_refused(client, world, as_member):
    notice = make_notice(world)
    as_member(world.officer)
    response = _write(client, notice, title="a" * 201)
    assert response.status_code == 400
    assert "題名は 200 文字までです。" in response.get_data(as_text=True)


@pytest.mark.parametrize("language", ["ja", "xx", "de"])
def test_no_translation_into_the_originals_or_an_unlisted_language(
    client, world, as_member, language
):
    notice = make_notice(world)
    as_member(world.officer)
    assert client.get(f"/notices/{notice.id}/translations/{language}").status_code == 404
    assert _write(client, notice, language=language).status_code == 404


def test_the_original_language_can_be_changed(client, world, as_member):
    notice = make_notice(world, title="Garbage day changes", body="No collection at New Year.")
    as_member(world.officer)
    assert client.post(f"/notices/{notice.id}/language", data={"language": "en"}).status_code == 303
    assert (
        _write(client, notice, language="ja", title="ごみの日", body="年末は休み").status_code
        == 303
    )
    as_member(world.member)  # Japanese
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert '<h1 lang="ja">ごみの日</h1>' in page
    original = client.get(f"/notices/{notice.id}?original=1").get_data(as_text=True)
    assert '<h1 lang="en">Garbage day changes</h1>' in original


def test_the_original_language_cannot_be_one_with_a_translation(client, world, as_member):
    notice = make_notice(world)
    _add_translation(world, notice)
    as_member(world.officer)
    response = client.post(f"/notices/{notice.id}/language", data={"language": "vi"})
    assert response.status_code == 400
    assert "この言語の翻訳があります。" in response.get_data(as_text=True)


def test_a_withdrawn_circular_is_not_translated(client, world, as_member):
    notice = make_notice(world)
    notice.withdrawn_at = utcnow()
    db.session.commit()
    as_member(world.officer)
    assert client.get(f"/notices/{notice.id}/translations").status_code == 404


def test_another_associations_circular_is_not_found(client, world, as_member):
    association, admin = make_association()
    theirs = create_notice(association, admin, NoticeInput(title="他の会", body="本文"), [])
    db.session.commit()
    as_member(world.officer)
    for path in ("translations", "translations/vi"):
        assert client.get(f"/notices/{theirs.id}/{path}").status_code == 404
    assert _write(client, theirs).status_code == 404
    assert client.post(f"/notices/{theirs.id}/translations/vi/delete").status_code == 404
    assert client.post(f"/notices/{theirs.id}/language", data={"language": "en"}).status_code == 404
    assert _translations(theirs) == {}


def test_the_report_links_to_the_translations(client, world, as_member):
    notice = make_notice(world)
    _add_translation(world, notice)
    as_member(world.officer)
    page = client.get(f"/notices/{notice.id}/report").get_data(as_text=True)
    assert f"/notices/{notice.id}/translations" in page
    assert "翻訳（1 言語）" in page


# What members read -------------------------------------------------------------------


def test_a_member_in_vietnamese_reads_the_vietnamese_text(client, world, as_member):
    notice = make_notice(world)
    _add_translation(world, notice)
    _read_in_vietnamese(world, as_member)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert f'<h1 lang="vi">{VI_TITLE}</h1>' in page
    assert f'<div class="notice-body" lang="vi">{VI_BODY}</div>' in page
    assert f'href="/notices/{notice.id}?original=1"' in page
    assert "機械翻訳" not in page


def test_the_original_is_one_tap_away(client, world, as_member):
    notice = make_notice(world)
    _add_translation(world, notice)
    _read_in_vietnamese(world, as_member)
    page = client.get(f"/notices/{notice.id}?original=1").get_data(as_text=True)
    assert '<h1 lang="ja">ごみ収集日の変更</h1>' in page
    assert '<div class="notice-body" lang="ja">年末年始は収集がありません。</div>' in page
    assert f'href="/notices/{notice.id}"' in page  # and back to the translation


def test_a_member_without_a_translation_reads_the_original(client, world, as_member):
    notice = make_notice(world)
    _add_translation(world, notice)
    world.member.language = "ko"
    db.session.commit()
    as_member(world.member)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert '<h1 lang="ja">ごみ収集日の変更</h1>' in page
    assert VI_TITLE not in page
    assert "?original=1" not in page


def test_a_machine_translation_is_labelled(client, world, as_member):
    notice = make_notice(world)
    _add_translation(world, notice, machine=True)
    _read_in_vietnamese(world, as_member)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert f'<h1 lang="vi">{VI_TITLE}</h1>' in page
    assert 'class="tag tag-machine"' in page
    assert "?original=1" in page


def test_the_feed_shows_the_members_language(client, world, as_member):
    notice = make_notice(world)
    other = make_notice(world, title="夏祭り")
    _add_translation(world, notice)
    _read_in_vietnamese(world, as_member)
    page = client.get("/notices/").get_data(as_text=True)
    assert f'<span class="notice-title" lang="vi">{VI_TITLE}</span>' in page
    assert '<span class="notice-title" lang="ja">夏祭り</span>' in page
    assert other.id


def test_search_results_show_the_translation_beside_the_original(client, world, as_member):
    notice = make_notice(world)
    _add_translation(world, notice)
    _read_in_vietnamese(world, as_member)
    page = client.get("/notices/search?q=収集日").get_data(as_text=True)
    assert f'<strong lang="vi">{VI_TITLE}</strong>' in page
    assert '<span class="muted" lang="ja">ごみ<mark>収集日</mark>の変更</span>' in page
    assert notice.id


def test_the_offline_copy_is_the_members_language(client, world, as_member):
    notice = make_notice(world)
    _add_translation(world, notice)
    _read_in_vietnamese(world, as_member)
    page = client.get(f"/notices/{notice.id}", headers={"X-Jichikai-Purpose": "offline"}).get_data(
        as_text=True
    )
    assert f'<h1 lang="vi">{VI_TITLE}</h1>' in page


# What members are sent -----------------------------------------------------------------


def test_each_recipient_is_sent_their_languages_translation(app, world):
    now = utcnow()
    notice = make_notice(world, publish_at=now + timedelta(hours=1))
    _add_translation(world, notice)
    _add_translation(world, notice, language="en", title="Garbage days", machine=True)
    world.member.language = "vi"
    world.housemate.language = "en"
    world.leader.language = "ko"  # no translation: the original
    for member in (world.member, world.housemate, world.leader):
        add_contact(member, "email", f"{member.id}@example.jp")
    db.session.commit()
    publish(notice, now + timedelta(hours=1))
    db.session.commit()
    rows = {
        row.member_id: row
        for row in db.session.scalars(
            select(Outbox).where(Outbox.notice_id == notice.id, Outbox.channel == "email")
        )
    }
    assert (rows[world.member.id].title, rows[world.member.id].body) == (VI_TITLE, VI_BODY)
    assert rows[world.housemate.id].title == "Garbage days"
    assert rows[world.housemate.id].body.startswith("This is a machine translation.")
    assert rows[world.leader.id].title == "ごみ収集日の変更"
    assert rows[world.leader.id].body == "年末年始は収集がありません。"


def test_a_language_the_association_no_longer_offers_is_not_sent(app, world):
    """The circular's text follows the same language as the rest of the message: the member's
    choice while it is offered, else the association's first."""
    now = utcnow()
    notice = make_notice(world, publish_at=now + timedelta(hours=1))
    _add_translation(world, notice)
    world.member.language = "vi"
    world.association.languages = ["ja", "en"]
    add_contact(world.member, "email", "vi@example.jp")
    db.session.commit()
    publish(notice, now + timedelta(hours=1))
    db.session.commit()
    row = db.session.scalars(
        select(Outbox).where(Outbox.notice_id == notice.id, Outbox.member_id == world.member.id)
    ).first()
    assert (row.title, row.language) == ("ごみ収集日の変更", "ja")


# Machine translation through the DeepL emulator ------------------------------------------


def _machine(client, notice):
    return client.post(f"/notices/{notice.id}/machine-translations", follow_redirects=True)


def test_machine_translation_fills_languages_without_an_officers(client, world, as_member, deepl):
    notice = make_notice(world)
    _add_translation(world, notice)
    as_member(world.officer)
    page = _machine(client, notice).get_data(as_text=True)
    assert "機械翻訳を作りました" in page
    made = _translations(notice)
    assert set(made) == {"vi", "en", "zh_Hans", "ko"}  # no easy Japanese, Filipino, Nepali
    assert (made["vi"].title, made["vi"].machine) == (VI_TITLE, False)  # the officer's stays
    assert made["en"].title == "EN-US: ごみ収集日の変更"
    assert made["en"].body == "EN-US: 年末年始は収集がありません。"
    assert (made["ko"].machine, made["ko"].provider) == (True, "deepl")
    assert made["zh_Hans"].title == "ZH-HANS: ごみ収集日の変更"
    sent = deepl.requests
    assert {r["authorization"] for r in sent} == {"DeepL-Auth-Key test-key:fx"}
    assert sorted(r["body"]["target_lang"] for r in sent) == ["EN-US", "KO", "ZH-HANS"]
    assert {r["body"]["source_lang"] for r in sent} == {"JA"}


def test_an_officers_translation_is_never_overwritten(client, world, as_member, deepl):
    notice = make_notice(world)
    as_member(world.officer)
    _machine(client, notice)
    assert _write(client, notice, language="en", title="Garbage", body="None.").status_code == 303
    deepl.reset()
    _machine(client, notice)
    made = _translations(notice)
    assert (made["en"].title, made["en"].machine, made["en"].provider) == ("Garbage", False, "")
    assert "EN-US" not in [r["body"]["target_lang"] for r in deepl.requests]
    assert made["vi"].machine


def test_machine_translation_again_follows_a_changed_original(client, world, as_member, deepl):
    notice = make_notice(world)
    as_member(world.officer)
    _machine(client, notice)
    notice.title = "ごみ収集日の変更（訂正）"
    notice.updated_at = utcnow()
    db.session.commit()
    page = client.get(f"/notices/{notice.id}/translations").get_data(as_text=True)
    assert "原文が変わりました" in page
    _machine(client, notice)
    assert _translations(notice)["vi"].title == "VI: ごみ収集日の変更（訂正）"


def test_members_see_a_machine_translation_labelled(client, world, as_member, deepl):
    notice = make_notice(world)
    as_member(world.officer)
    _machine(client, notice)
    _read_in_vietnamese(world, as_member)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert '<h1 lang="vi">VI: ごみ収集日の変更</h1>' in page
    with force_locale("vi"):  # the Vietnamese catalogue's label (else English's)
        label = gettext("機械翻訳です。まちがいがあるかもしれません。")
    assert 'class="tag tag-machine"' in page
    assert str(escape(label)) in page
    assert f'href="/notices/{notice.id}?original=1"' in page


ERRORS = {
    "bad-key": ("wrong-key", None, "機械翻訳の鍵が受け付けられませんでした。"),
    "quota": (None, "quota", "機械翻訳の今月の上限に達しました。"),
    "too-many": (None, 429, "機械翻訳が混み合っています。"),
    "server-error": (None, 500, "機械翻訳がうまくいきませんでした。"),
    "unavailable": (None, 503, "機械翻訳がうまくいきませんでした。"),
}


@pytest.mark.parametrize("case", ERRORS, ids=list(ERRORS))
def test_provider_errors_tell_the_officer_and_lose_nothing(
    app, client, world, as_member, deepl, case
):
    key, failure, message = ERRORS[case]
    notice = make_notice(world)
    _add_translation(world, notice, language="ko", title="이전 번역", machine=True)
    if key:
        app.config["DEEPL_AUTH_KEY"] = key
    if failure == "quota":
        deepl.quota_left = 30  # the first language fits, the second does not
    elif failure:
        deepl.fail_with = failure
    as_member(world.officer)
    response = _machine(client, notice)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    made = _translations(notice)
    assert set(made) == {"ko"} and made["ko"].title == "이전 번역"


def test_a_provider_that_does_not_answer_in_time(app, client, world, as_member, deepl):
    notice = make_notice(world)
    deepl.delay = 3.0
    as_member(world.officer)
    page = _machine(client, notice).get_data(as_text=True)
    assert "機械翻訳から答えがありません。" in page
    assert _translations(notice) == {}


def test_a_failed_request_is_tried_again(app, client, world, as_member, deepl):
    notice = make_notice(world)
    app.config["TRANSLATION_RETRIES"] = 1
    deepl.fail_with, deepl.fail_times = 503, 1
    as_member(world.officer)
    page = _machine(client, notice).get_data(as_text=True)
    assert "機械翻訳を作りました" in page
    assert _translations(notice)["vi"].title == "VI: ごみ収集日の変更"


def test_without_a_provider_there_is_no_machine_translation(client, world, as_member):
    notice = make_notice(world)
    as_member(world.officer)
    page = client.get(f"/notices/{notice.id}/translations").get_data(as_text=True)
    assert "機械翻訳を作る" not in page
    assert client.post(f"/notices/{notice.id}/machine-translations").status_code == 404


def test_the_machine_button_names_the_languages(client, world, as_member, deepl):
    notice = make_notice(world)
    _add_translation(world, notice)
    as_member(world.officer)
    page = client.get(f"/notices/{notice.id}/translations").get_data(as_text=True)
    assert "機械翻訳を作る" in page
    assert '<span lang="ko">한국어</span>' in page
    assert '<span lang="vi">Tiếng Việt</span>' not in page.split('id="machine"')[1]


def test_the_api_gives_the_members_translation_beside_the_original(client, world, as_member):
    notice = make_notice(world)
    _add_translation(world, notice, machine=True)
    _read_in_vietnamese(world, as_member)
    data = client.get(f"/api/v1/notices/{notice.id}").get_json()
    assert (data["title"], data["language"]) == ("ごみ収集日の変更", "ja")
    assert data["translation"] == {
        "language": "vi",
        "title": VI_TITLE,
        "body": VI_BODY,
        "machine": True,
    }
    world.member.language = "ko"
    db.session.commit()
    assert client.get(f"/api/v1/notices/{notice.id}").get_json()["translation"] is None


def _feed_queries(client) -> int:
    client.get("/notices/")  # warm up: the first request also loads the login
    with counted() as statements:
        assert client.get("/notices/").status_code == 200
    return len(statements)


def test_the_feed_reads_every_translation_at_once(client, world, as_member):
    world.member.language = "vi"
    for n in range(2):
        _add_translation(world, make_notice(world, title=f"回覧 {n}"))
    as_member(world.member)
    few = _feed_queries(client)
    for n in range(2, 20):
        _add_translation(world, make_notice(world, title=f"回覧 {n}"))
    assert _feed_queries(client) == few


def test_changing_a_translated_circular_asks_to_look_at_its_translations(client, world, as_member):
    notice = make_notice(world)
    _add_translation(world, notice)
    as_member(world.officer)
    data = {
        "title": "ごみ収集日の変更（訂正）",
        "body": "年末年始は休みです。",
        "category": "general",
    }
    page = client.post(f"/notices/{notice.id}/edit", data=data, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "翻訳もあります。" in text
    assert "原文が変わりました" in client.get(f"/notices/{notice.id}/translations").get_data(
        as_text=True
    )
