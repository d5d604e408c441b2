"""HTTPS: Secure cookies, HSTS and https links when the site is served over TLS; plain
http (the local embedded default) unchanged."""

import re

import pytest

from jichikai.auth.services import issue_card
from jichikai.extensions import db

from ..factories import login

PUBLIC = "https://kairan.example.jp"


def _card_login(client, world, **kwargs):
    _card, token, _code = issue_card(world.member)
    db.session.commit()
    response = client.post(f"/c/{token}", **kwargs)
    assert response.status_code == 302
    return response.headers.getlist("Set-Cookie")


def _cookie(set_cookies: list[str], name: str) -> str:
    return next(c for c in set_cookies if c.startswith(name + "="))


def _printed_link(client, world) -> str:
    login(client, world.officer)
    page = client.post(f"/admin/members/{world.member.id}/card").get_data(as_text=True)
    return re.search(r"https?://[^\s<\"]+/c/[\w-]+", page).group(0)


def test_plain_http_keeps_the_default_cookies_and_links(client, world):
    cookies = _card_login(client, world)
    session = _cookie(cookies, "session")
    remember = _cookie(cookies, "remember_token")
    assert "Secure" not in session and "Secure" not in remember
    assert "HttpOnly" in session and "HttpOnly" in remember
    assert "Strict-Transport-Security" not in client.get("/login").headers
    assert _printed_link(client, world).startswith("http://localhost/c/")


@pytest.fixture
def https_app(configured_app):
    return configured_app(PUBLIC_URL=PUBLIC)


def test_https_public_url_makes_cookies_secure_with_the_host_prefix(https_app, world):
    client = https_app.test_client()
    cookies = _card_login(client, world, base_url=PUBLIC)
    session = _cookie(cookies, "__Host-session")
    assert "Secure" in session and "HttpOnly" in session and "Path=/" in session
    assert "Domain" not in session
    assert "Secure" in _cookie(cookies, "remember_token")
    browser = _cookie(cookies, "browser")
    assert "Secure" in browser and "HttpOnly" in browser and "SameSite=Lax" in browser
    assert not any(c.startswith("session=") for c in cookies)


def test_https_answers_carry_hsts(https_app, world):
    response = https_app.test_client().get("/login", base_url=PUBLIC)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_https_card_sheets_print_https_links(https_app, world):
    link = _printed_link(https_app.test_client(), world)
    assert link.startswith(PUBLIC + "/c/")


def test_https_setting_builds_https_links_for_a_proxy_speaking_http(configured_app, world):
    """HTTPS=true without PUBLIC_URL: the proxy forwards plain http, links still say https."""
    app = configured_app(HTTPS=True)
    client = app.test_client()
    assert _printed_link(client, world).startswith("https://localhost/c/")
    assert "Strict-Transport-Security" in client.get("/login").headers


def test_an_http_public_url_is_upgraded_when_https_is_set(configured_app, world):
    app = configured_app(HTTPS=True, PUBLIC_URL="http://kairan.example.jp")
    assert _printed_link(app.test_client(), world).startswith(PUBLIC + "/c/")


def test_https_language_cookie_is_secure(https_app, world):
    response = https_app.test_client().post(
        "/language/en", data={"next": "/login"}, base_url=PUBLIC
    )
    assert "Secure" in _cookie(response.headers.getlist("Set-Cookie"), "lang")


def test_https_login_keeps_working_with_the_new_session_cookie(https_app, world):
    client = https_app.test_client()
    _card_login(client, world, base_url=PUBLIC)
    me = client.get("/api/v1/me", base_url=PUBLIC)
    assert me.status_code == 200
    assert me.get_json()["id"] == world.member.id


def test_a_phone_logged_in_before_https_was_set_stays_logged_in(client, https_app, world):
    """The session cookie's new name logs nobody out: the remember cookie keeps its name."""
    remember = _cookie(_card_login(client, world), "remember_token")
    phone = https_app.test_client()
    phone.set_cookie("remember_token", remember.split(";")[0].split("=", 1)[1])
    response = phone.get("/api/v1/me")
    assert response.status_code == 200
    assert "__Host-session=" in " ".join(response.headers.getlist("Set-Cookie"))
