"""Associations narrow the languages offered to their members; pages and choices follow."""

import re

import pytest
from sqlalchemy import select

from jichikai.audit.models import AuditEvent
from jichikai.auth.services import issue_card
from jichikai.extensions import db
from jichikai.i18n import member_language, offered_languages
from jichikai.org.services import OrgError, set_languages

from .matrix import _settings_form


def _post_languages(client, world, languages):
    return client.post("/admin/settings", data={**_settings_form(world), "languages": languages})


def test_the_settings_page_lists_every_server_language_with_japanese_kept(
    app, client, world, as_member
):
    as_member(world.officer)
    page = client.get("/admin/settings").get_data(as_text=True)
    boxes = re.findall(r'<input[^>]*name="languages"[^>]*>', page)
    assert len(boxes) == len(app.config["LANGUAGES"])
    assert all("checked" in box for box in boxes)  # none narrowed yet: all offered
    japanese = next(box for box in boxes if 'value="ja"' in box)
    assert "disabled" in japanese
    assert 'lang="vi"' in page and "Tiếng Việt" in page and 'lang="zh-Hans"' in page


def test_an_officer_narrows_the_languages_and_the_change_is_logged(client, world, as_member):
    as_member(world.officer)
    assert _post_languages(client, world, ["vi", "en"]).status_code == 302
    assert world.association.languages == ["ja", "en", "vi"]  # the server's order, Japanese kept
    assert offered_languages(world.association) == ["ja", "en", "vi"]
    [logged] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "association.languages")
    ).all()
    assert logged.details["after"] == ["ja", "en", "vi"] and logged.details["before"] is None
    page = client.get("/admin/settings").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*value="vi"|value="vi"[^>]*checked', page)
    assert not re.search(r'<input[^>]*checked[^>]*value="ko"|value="ko"[^>]*checked', page)


def test_every_language_ticked_offers_all_of_them_also_those_added_later(
    app, client, world, as_member
):
    world.association.languages = ["ja", "en"]
    db.session.commit()
    as_member(world.officer)
    assert _post_languages(client, world, list(app.config["LANGUAGES"][1:])).status_code == 302
    assert world.association.languages is None


def test_saving_unchanged_languages_logs_nothing(client, world, as_member):
    as_member(world.officer)
    _post_languages(client, world, ["en"])
    _post_languages(client, world, ["en"])
    logged = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "association.languages")
    ).all()
    assert len(logged) == 1


def test_an_unknown_language_is_refused_and_nothing_is_saved(client, world, as_member):
    as_member(world.officer)
    response = _post_languages(client, world, ["en", "xx"])
    assert response.status_code == 422
    assert world.association.languages is None


def test_members_choose_only_among_the_offered_languages(client, world, as_member):
    world.association.languages = ["ja", "en"]
    db.session.commit()
    as_member(world.member)
    page = client.get("/me/settings").get_data(as_text=True)
    assert 'value="en"' in page and 'value="vi"' not in page
    refused = client.post("/me/settings", data={"language": "vi", "text_size": "normal"})
    assert refused.status_code == 422
    assert world.member.language == "ja"


def test_a_member_whose_language_is_no_longer_offered_reads_the_first_one(client, world, as_member):
    world.member.language = "vi"
    db.session.commit()
    as_member(world.member)
    assert '<html lang="vi"' in client.get("/me/settings").get_data(as_text=True)

    world.association.languages = ["ja", "en"]
    db.session.commit()
    page = client.get("/me/settings").get_data(as_text=True)
    assert '<html lang="ja"' in page
    assert member_language(world.member) == "ja"
    # The choice shows what the member now reads.
    assert re.search(r'<input[^>]*checked[^>]*value="ja"|value="ja"[^>]*checked', page)


def test_the_login_card_page_offers_the_associations_languages(client, world):
    world.association.languages = ["ja", "ko"]
    _card, token, _code = issue_card(world.member)
    db.session.commit()
    page = client.get(f"/c/{token}").get_data(as_text=True)
    assert "한국어" in page and "Tiếng Việt" not in page
    login = client.get("/login").get_data(as_text=True)
    assert "한국어" in login and "Tiếng Việt" in login  # no association known: all


def test_the_api_says_which_language_the_member_reads(client, world, as_member):
    world.member.language = "ko"
    world.association.languages = ["ja", "en"]
    db.session.commit()
    as_member(world.member)
    assert client.get("/api/v1/me").get_json()["language"] == "ja"


def test_the_service_refuses_a_language_the_server_does_not_have(world):
    with pytest.raises(OrgError):
        set_languages(world.association, world.officer, ["en", "de"])
    assert world.association.languages is None
