"""Logging in with a card's QR link, its code, or an officer's password; devices."""

import pytest
from sqlalchemy import select

from jichikai.audit.models import AuditEvent
from jichikai.auth.codes import format_code
from jichikai.auth.models import Device, LoginCard
from jichikai.auth.services import issue_card, member_for_code, member_for_token
from jichikai.extensions import db


def test_qr_link_shows_a_confirmation_and_logs_in_on_post(client, world):
    _card, token, _code = issue_card(world.member)
    db.session.commit()

    page = client.get(f"/c/{token}")
    assert page.status_code == 200
    assert "佐藤 花子" in page.get_data(as_text=True)
    assert db.session.scalar(select(Device.id)) is None  # a GET alone logs nobody in

    response = client.post(f"/c/{token}")
    assert response.status_code == 302
    me = client.get("/api/v1/me").get_json()
    assert me["id"] == world.member.id
    assert me["household"]["id"] == world.household.id
    assert me["csrf_token"]


def test_typed_code_in_full_width_lower_case_logs_in(client, world):
    _card, _token, code = issue_card(world.member)
    db.session.commit()
    typed = "".join(chr(ord(c) + 0xFEE0) for c in format_code(code).lower())
    response = client.post("/login/code", data={"code": typed})
    assert response.status_code == 302
    assert client.get("/api/v1/me").get_json()["id"] == world.member.id


def test_wrong_code_says_so_and_keeps_the_input(client, world):
    response = client.post("/login/code", data={"code": "7KQ2-M9XD-4FTR"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "この番号ではログインできません" in page
    assert 'value="7KQ2-M9XD-4FTR"' in page


def test_reissuing_a_card_revokes_the_old_one(world):
    _card, old_token, old_code = issue_card(world.member)
    _card, new_token, new_code = issue_card(world.member)
    db.session.commit()
    assert member_for_token(old_token) is None
    assert member_for_code(old_code) is None
    assert member_for_token(new_token).id == world.member.id
    assert member_for_code(new_code).id == world.member.id


def test_only_hashes_are_stored(world):
    _card, token, code = issue_card(world.member)
    db.session.commit()
    card = db.session.scalars(select(LoginCard)).one()
    assert token not in (card.token_hash, card.code_hash)
    assert code not in (card.token_hash, card.code_hash)


def test_card_of_an_inactive_member_does_not_log_in(client, world):
    _card, token, _code = issue_card(world.member)
    world.member.active = False
    db.session.commit()
    assert client.post(f"/c/{token}").status_code == 404


def test_officer_logs_in_with_password(client, world):
    response = client.post(
        "/login/password", data={"email": "Officer@Example.jp ", "password": "officer-password"}
    )
    assert response.status_code == 302
    assert client.get("/api/v1/me").get_json()["roles"]["officer"] is True


def test_wrong_password_is_refused(client, world):
    response = client.post(
        "/login/password", data={"email": "officer@example.jp", "password": "nope"}
    )
    assert response.status_code == 400
    assert client.get("/api/v1/me").status_code == 401


def test_logins_are_audited(client, world):
    _card, token, _code = issue_card(world.member)
    db.session.commit()
    client.post(f"/c/{token}")
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.actor_id == world.member.id)
    ).all()
    assert "login" in actions


def test_revoking_a_device_logs_that_browser_out(app, world, as_member):
    lost_phone = as_member(world.member)
    other = app.test_client()
    _card, token, _code = issue_card(world.member)
    db.session.commit()
    other.post(f"/c/{token}")
    lost_device = db.session.scalars(
        select(Device).where(Device.member_id == world.member.id).order_by(Device.id)
    ).first()

    response = other.post(f"/me/devices/{lost_device.id}/revoke")
    assert response.status_code == 302
    assert lost_phone.get("/api/v1/me").status_code == 401
    assert other.get("/api/v1/me").status_code == 200


def test_a_member_cannot_revoke_someone_elses_device(client, world, as_member):
    from jichikai.auth.services import start_device

    device = start_device(world.housemate, "test")
    db.session.commit()
    as_member(world.member)
    assert client.post(f"/me/devices/{device.id}/revoke").status_code == 404


def test_logout_revokes_the_device(client, world, as_member):
    as_member(world.member)
    assert client.post("/logout").status_code == 302
    assert db.session.scalars(select(Device)).one().revoked_at is not None
    assert client.get("/api/v1/me").status_code == 401


def test_next_parameter_only_redirects_inside_the_site(client, world):
    _card, _token, code = issue_card(world.member)
    db.session.commit()
    response = client.post("/login/code?next=//evil.example/", data={"code": code})
    assert response.headers["Location"] == "/"


def test_anonymous_page_redirects_to_login_with_next(client, world):
    response = client.get("/me/settings")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/me/settings")


def test_english_preference_changes_the_pages(client, world, as_member):
    world.member.language = "en"
    db.session.commit()
    as_member(world.member)
    page = client.get("/me/settings").get_data(as_text=True)
    assert "Text size" in page
    assert 'lang="en"' in page


def test_japanese_is_the_default(client, world):
    page = client.get("/login").get_data(as_text=True)
    assert "カードでログイン" in page
    assert 'lang="ja"' in page


def test_large_text_preference_marks_the_page(client, world, as_member):
    as_member(world.member)
    client.post("/me/settings", data={"language": "ja", "text_size": "large"})
    assert 'class="text-large"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("field", ["language", "text_size"])
def test_a_preference_out_of_the_choices_is_refused(client, world, as_member, field):
    as_member(world.member)
    response = client.post(
        "/me/settings", data={"language": "ja", "text_size": "large", field: "x"}
    )
    assert response.status_code == 422
    assert 'class="text-large"' not in client.get("/").get_data(as_text=True)


def test_an_english_browser_still_gets_japanese_until_english_is_chosen(client, world):
    headers = {"Accept-Language": "en-US,en;q=0.9"}
    assert "カードでログイン" in client.get("/login", headers=headers).get_data(as_text=True)
    client.post("/language/en", data={"next": "/login"})
    assert "Log in with your card" in client.get("/login", headers=headers).get_data(as_text=True)
