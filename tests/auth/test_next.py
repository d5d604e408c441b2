"""After logging in, `next` leads only to a path on this site, and never to an error."""

from urllib.parse import quote

import pytest
from sqlalchemy import select

from jichikai.auth.models import Device
from jichikai.auth.services import issue_card
from jichikai.extensions import db
from jichikai.links import local_path

HOSTILE = [
    "//evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/\r\n/evil.example/",
    "/\n",
    "/\x00",
    "/\x7f",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https://evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    "evil.example",
    " /settings",
    "/\u2028/evil.example",
    "/\u200b/evil.example",
    "///evil.example",
    "/" + "a" * 3000,
    "",
]

SAFE = ["/", "/me/settings", "/notices/3?page=2", "/notices/%2F%2Fx", "/お知らせ"]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_next_values_are_refused(target):
    assert local_path(target) is None


@pytest.mark.parametrize("target", SAFE)
def test_paths_on_this_site_are_kept(target):
    assert local_path(target) == target


def _code(world) -> str:
    _card, _token, code = issue_card(world.member)
    db.session.commit()
    return code


@pytest.mark.parametrize("target", [t for t in HOSTILE if "\x00" not in t])
def test_code_login_goes_home_for_a_hostile_next(client, world, target):
    code = _code(world)
    response = client.post(f"/login/code?next={quote(target, safe='')}", data={"code": code})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_nul_in_next_is_refused_before_anything_is_done(client, world):
    """NUL is refused in every request (http.refuse_nul_characters): no login, no device."""
    code = _code(world)
    response = client.post("/login/code?next=/%00", data={"code": code})
    assert response.status_code == 400
    assert db.session.scalars(select(Device)).all() == []


def test_a_line_break_in_next_does_not_fail_after_login(client, world):
    """The issue's case: a 500 after the device had been created."""
    code = _code(world)
    response = client.post("/login/code?next=/%0A", data={"code": code})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/api/v1/me").status_code == 200
    assert len(db.session.scalars(select(Device)).all()) == 1


def test_a_tab_in_next_does_not_lead_to_another_host(client, world):
    code = _code(world)
    response = client.post("/login/code?next=/%09/evil.example/", data={"code": code})
    assert response.headers["Location"] == "/"


def test_password_login_refuses_a_hostile_next(client, world):
    response = client.post(
        "/login/password?next=/%09/evil.example/",
        data={"email": "officer@example.jp", "password": "officer-password"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("query", "location"), [("/%5Cevil.example", "/"), ("/me/settings", "/me/settings")]
)
def test_card_login_follows_only_a_local_next(client, world, query, location):
    _card, token, _code = issue_card(world.member)
    db.session.commit()
    response = client.post(f"/c/{token}?next={query}")
    assert response.status_code == 302
    assert response.headers["Location"] == location


def test_language_switch_refuses_a_hostile_next(client, world):
    response = client.post("/language/en", data={"next": "/\t/evil.example/"})
    assert response.headers["Location"] == "/login"
