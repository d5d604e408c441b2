"""Login rate limits: failures only, per client address and per guessed target."""

import re
from contextlib import ExitStack

import pytest
import requests
from flask import Response
from sqlalchemy import select

from jichikai.audit.models import AuditEvent
from jichikai.auth.codes import ALPHABET, format_code
from jichikai.auth.limits import failed
from jichikai.auth.services import issue_card
from jichikai.extensions import db, limiter

from ..factories import make_member
from ..servers import free_port, gunicorn_command, redis_server, running, site_env, upgraded_sqlite

HALL = "192.0.2.10"  # the 集会所's Wi-Fi: one address for everyone


@pytest.fixture(autouse=True)
def _limits_on():
    limiter.enabled = True


def from_address(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def wrong_code(n: int, group: str | None = None) -> str:
    """A code that is no card's; each n gets its own first group unless `group` is given."""
    first = group or "".join(ALPHABET[(n >> (5 * i)) % 32] for i in range(4))
    return format_code(first + "ZZZZZZZZ")


def test_fifty_members_scanning_their_cards_on_one_wifi_all_log_in(app, world):
    tokens = []
    for _ in range(50):
        _card, token, _code = issue_card(make_member(world.household))
        tokens.append(token)
    db.session.commit()

    statuses = []
    for token in tokens:
        phone = app.test_client()
        statuses.append(phone.get(f"/c/{token}", **from_address(HALL)).status_code)
        statuses.append(phone.post(f"/c/{token}", **from_address(HALL)).status_code)
    assert statuses == [200, 302] * 50


def test_wrong_codes_from_one_address_lock_out_that_address_only(client, world):
    statuses = [
        client.post("/login/code", data={"code": wrong_code(n)}, **from_address(HALL)).status_code
        for n in range(11)
    ]
    assert statuses == [400] * 10 + [429]

    _card, _token, code = issue_card(world.outsider)
    db.session.commit()
    response = client.post("/login/code", data={"code": code}, **from_address("198.51.100.7"))
    assert response.status_code == 302


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(configured_app, world):
    app = configured_app(TRUSTED_PROXIES=1)
    client = app.test_client()
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for n in range(10):
        client.post(
            "/login/code",
            data={"code": wrong_code(n)},
            environ_base=proxy,
            headers={"X-Forwarded-For": "203.0.113.66"},
        )

    _card, _token, code = issue_card(world.outsider)
    db.session.commit()
    response = client.post(
        "/login/code",
        data={"code": code},
        environ_base=proxy,
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert response.status_code == 302
    login = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login")).one()
    assert login.ip == "198.51.100.7"


def test_forwarded_for_is_not_believed_without_trusted_proxies(client, world):
    _card, token, _code = issue_card(world.member)
    db.session.commit()
    client.post(
        f"/c/{token}",
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
        headers={"X-Forwarded-For": "203.0.113.1"},
    )
    login = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login")).one()
    assert login.ip == "198.51.100.7"


def test_guesses_at_one_code_group_are_limited_across_addresses(client, world):
    statuses = [
        client.post(
            "/login/code", data={"code": wrong_code(n, "7KQ2")}, **from_address(f"203.0.113.{n}")
        ).status_code
        for n in range(6)
    ]
    assert statuses == [400] * 5 + [429]
    other_group = client.post(
        "/login/code", data={"code": wrong_code(1)}, **from_address("203.0.113.99")
    )
    assert other_group.status_code == 400


def test_guesses_at_one_email_are_limited_across_addresses(client, world):
    statuses = [
        client.post(
            "/login/password",
            data={"email": "Officer@example.jp", "password": f"guess{n}"},
            **from_address(f"203.0.113.{n}"),
        ).status_code
        for n in range(6)
    ]
    assert statuses == [400] * 5 + [429]
    elsewhere = client.post(
        "/login/password",
        data={"email": "admin@example.jp", "password": "guess"},
        **from_address("203.0.113.99"),
    )
    assert elsewhere.status_code == 400


def _password_login(client, address: str, password: str, email="officer@example.jp") -> int:
    data = {"email": email, "password": password}
    return client.post("/login/password", data=data, **from_address(address)).status_code


def test_guesses_at_an_email_do_not_lock_out_a_browser_that_logged_in_with_it(app, client, world):
    """Anyone may send wrong passwords for an officer's address; the officer's own browser
    still logs in (a fresh browser waits, as any guesser does)."""
    assert _password_login(client, "198.51.100.7", "officer-password") == 302
    client.post("/logout", **from_address("198.51.100.7"))

    attacker = app.test_client()
    for email in ("officer@example.jp", "admin@example.jp"):
        guesses = [
            _password_login(attacker, f"203.0.113.{n}", f"guess{n}", email=email) for n in range(6)
        ]
        assert guesses == [400] * 5 + [429]

    assert _password_login(client, "198.51.100.7", "officer-password") == 302
    assert _password_login(app.test_client(), "198.51.100.8", "officer-password") == 429
    # The cookie speaks for the address it was given for only, and cannot be made up.
    assert _password_login(client, "198.51.100.7", "x", email="admin@example.jp") == 429
    forged = app.test_client()
    forged.set_cookie("login_known", "W10.forged", path="/login/password")
    assert _password_login(forged, "198.51.100.9", "officer-password") == 429


def test_guesses_at_one_card_link_are_limited_across_addresses(client, world):
    statuses = [
        client.get(f"/c/Nu98lvBD{n:014d}", **from_address(f"203.0.113.{n}")).status_code
        for n in range(6)
    ]
    assert statuses == [404] * 5 + [429]


def test_successful_logins_do_not_count(client, world):
    _card, _token, code = issue_card(world.member)
    db.session.commit()
    statuses = [
        client.post("/login/code", data={"code": code}, **from_address(HALL)).status_code
        for _ in range(12)
    ]
    assert statuses == [302] * 12


@pytest.mark.parametrize(
    ("status", "counted"),
    [(400, True), (404, True), (200, False), (302, False), (429, False), (503, False)],
)
def test_only_failed_attempts_count(status, counted):
    """A refusal by the limit itself does not count again (retrying during a minute's pause
    would use up the hour), nor does a server error."""
    assert failed(Response(status=status)) is counted


def _locked_out(client, **kwargs):
    for n in range(10):
        client.post("/login/code", data={"code": wrong_code(n)}, **kwargs)
    return client.post("/login/code", data={"code": wrong_code(10)}, **kwargs)


def test_too_many_attempts_page_says_when_to_try_again_in_japanese(client, world):
    response = _locked_out(client)
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert 'lang="ja"' in page
    assert re.search(r"\d{1,2}:\d{2}ごろ（あと1分ほど）から、もう一度お試しいただけます。", page)
    assert "per 1 minute" not in page
    assert 1 <= int(response.headers["Retry-After"]) <= 61


def test_too_many_attempts_page_in_english_when_chosen(client, world):
    client.set_cookie("lang", "en")
    response = _locked_out(client)
    page = response.get_data(as_text=True)
    assert re.search(
        r"You can try again from about \d{1,2}:\d{2}\W[AP]M \(in about 1 minute\)\.", page
    )
    assert "per 1 minute" not in page


def test_too_many_requests_to_the_api_answer_json(configured_app, world):
    app = configured_app()
    app.add_url_rule(
        "/api/v1/limited", "limited", limiter.limit("1 per minute")(lambda: {"ok": True})
    )
    client = app.test_client()
    assert client.get("/api/v1/limited").status_code == 200
    response = client.get("/api/v1/limited")
    assert response.status_code == 429
    body = response.get_json()
    assert body["code"] == 429
    assert 1 <= body["retry_after"] <= 61
    assert "per 1 minute" not in body["message"]
    assert abs(int(response.headers["Retry-After"]) - body["retry_after"]) <= 1


def test_processes_count_failures_together_through_redis(tmp_path):
    """Two gunicorn processes with RATELIMIT_STORAGE_URI on one Redis count one address's
    failures together (with memory:// the second would answer 400: each counts its own)."""
    url = upgraded_sqlite(tmp_path / "site.sqlite3")
    with ExitStack() as stack:
        storage = stack.enter_context(redis_server(tmp_path))
        bases = []
        for _ in range(2):
            port = free_port()
            env = site_env(url, port, JICHIKAI_RATELIMIT_STORAGE_URI=storage)
            stack.enter_context(running(gunicorn_command(), port, env))
            bases.append(f"http://127.0.0.1:{port}")

        browser = requests.Session()

        def attempt(base: str, n: int) -> int:
            page = browser.get(f"{base}/login", timeout=10).text
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            data = {"code": wrong_code(n), "csrf_token": token}
            return browser.post(f"{base}/login/code", data=data, timeout=10).status_code

        first, second = bases
        assert [attempt(first, n) for n in range(5)] == [400] * 5
        assert [attempt(second, n) for n in range(5, 10)] == [400] * 5
        assert attempt(second, 10) == 429
