"""CSRF protection on forms and on JSON writes."""

from jichikai.auth.services import issue_card
from jichikai.extensions import db


def test_form_without_token_is_refused(client, world, csrf_enabled):
    _card, token, _code = issue_card(world.member)
    db.session.commit()
    response = client.post(f"/c/{token}")
    assert response.status_code == 400
    assert "有効期限" in response.get_data(as_text=True)


def test_form_with_token_is_accepted(client, world, csrf_enabled):
    _card, token, _code = issue_card(world.member)
    db.session.commit()
    page = client.get(f"/c/{token}").get_data(as_text=True)
    csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post(f"/c/{token}", data={"csrf_token": csrf}).status_code == 302


def test_json_write_needs_the_header(client, world, as_member, csrf_enabled):
    as_member(world.member)
    token = client.get("/api/v1/me").get_json()["csrf_token"]
    refused = client.post("/me/settings", data={"language": "en", "text_size": "normal"})
    assert refused.status_code == 400
    accepted = client.post(
        "/me/settings",
        data={"language": "en", "text_size": "normal"},
        headers={"X-CSRFToken": token},
    )
    assert accepted.status_code == 302
