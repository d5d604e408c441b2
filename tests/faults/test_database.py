"""PostgreSQL refused, cut or stalled: every request answers 503 quickly, and recovers at once."""

import logging
import time

import pytest
from sqlalchemy import event, func, select

from jichikai.database import utcnow
from jichikai.disaster.models import CheckIn
from jichikai.extensions import db
from jichikai.health.services import beat

from ..disaster.helpers import client_id, start
from ..factories import login

API = "/api/v1/disaster/active"
PAGE = "/"
# A request must fail within the connect timeout (3 s by default) and a margin.
FAIL_WITHIN_SECONDS = 5.0


@pytest.fixture
def member_client(proxied_app, world):
    """A member's phone talking to the application behind the proxy."""
    client = proxied_app.test_client()
    login(client, world.member)
    return client


@pytest.fixture
def connect_attempts(proxied_app):
    """How many connections the application tried to open (a list, one entry each)."""
    attempts = []
    with proxied_app.app_context():
        engine = db.engine

    def count(*_args):
        attempts.append(time.monotonic())

    event.listen(engine, "do_connect", count)
    yield attempts
    event.remove(engine, "do_connect", count)


def _timed(client, path: str, **kwargs):
    started = time.monotonic()
    response = client.open(path, **kwargs)
    return response, time.monotonic() - started


def _problems(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.WARNING]


def _assert_unavailable(response, path: str) -> None:
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    if path.startswith("/api/"):
        body = response.get_json()
        assert body["code"] == 503 and body["status"] == "Service Unavailable"
        assert body["message"]
    else:
        assert response.mimetype == "text/html"
        assert "つながりにくく" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", [API, PAGE])
@pytest.mark.parametrize("fault", ["refuse", "stall"])
def test_unreachable_database_answers_503_within_the_connect_timeout(
    database_proxy, member_client, connect_attempts, caplog, fault, path
):
    # "stall" stalls new connections. Connections already open are not stalled the way a
    # partition does (the proxy's own kernel acknowledges the bytes); tcp_user_timeout ends
    # those, which a user-space proxy cannot show.
    getattr(database_proxy, fault)()

    response, took = _timed(member_client, path)

    _assert_unavailable(response, path)
    assert took < FAIL_WITHIN_SECONDS
    assert len(connect_attempts) == 1  # the error path did not try the database again
    assert len(_problems(caplog)) == 1


@pytest.mark.parametrize("path", [API, PAGE])
def test_cut_connection_answers_503_once_then_recovers(database_proxy, member_client, caplog, path):
    assert member_client.get(path).status_code == 200  # a pooled connection, in recent use
    caplog.clear()
    database_proxy.cut()

    response, took = _timed(member_client, path)

    _assert_unavailable(response, path)
    assert took < FAIL_WITHIN_SECONDS
    assert len(_problems(caplog)) == 1
    # The broken pool was discarded: the next request gets a new connection.
    assert member_client.get(path).status_code == 200


@pytest.mark.parametrize("fault", ["refuse", "stall"])
def test_service_is_back_as_soon_as_the_database_is(database_proxy, member_client, fault):
    assert member_client.get(API).status_code == 200
    database_proxy.cut()
    getattr(database_proxy, fault)()
    assert member_client.get(API).status_code == 503

    database_proxy.heal()

    response, took = _timed(member_client, API)
    assert response.status_code == 200
    assert took < 1.0


def test_error_page_speaks_the_members_language(database_proxy, proxied_app, world):
    world.member.language = "en"
    db.session.commit()
    client = proxied_app.test_client()
    login(client, world.member)
    assert client.get(PAGE).status_code == 200  # the language is now kept in the session
    database_proxy.refuse()
    database_proxy.cut()

    response = client.get(PAGE)

    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert '<html lang="en"' in page
    assert "try again" in page


@pytest.mark.parametrize(("cookie", "lang"), [(None, "ja"), ("en", "en")])
def test_visitor_error_page_follows_the_language_cookie(database_proxy, proxied_app, cookie, lang):
    client = proxied_app.test_client()
    if cookie:
        client.set_cookie("lang", cookie)
    database_proxy.refuse()

    response = client.get("/c/a-login-card-token")  # a QR card's link looks the card up

    assert response.status_code == 503
    assert f'<html lang="{lang}"' in response.get_data(as_text=True)


def test_readyz_reports_the_database_down_then_ready(database_proxy, proxied_app):
    beat(utcnow())
    db.session.commit()
    client = proxied_app.test_client()
    database_proxy.refuse()

    down = client.get("/readyz")

    assert down.status_code == 503
    assert down.get_json()["checks"]["database"] == "down"
    database_proxy.heal()
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "ready"


def test_healthz_answers_while_the_database_is_down(database_proxy, proxied_app):
    database_proxy.refuse()

    response = proxied_app.test_client().get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_checkin_acknowledged_before_a_cut_is_stored_once(database_proxy, member_client, world):
    event = start(world)
    report = {"status": "safe_home", "client_id": client_id(), "event_id": event.id}
    assert member_client.post("/api/v1/disaster/checkins", json=report).status_code == 201
    database_proxy.cut()

    # The phone did not see the answer and sends again: refused while the pool is broken,
    # then recognised as the same report.
    assert member_client.post("/api/v1/disaster/checkins", json=report).status_code == 503
    again = member_client.post("/api/v1/disaster/checkins", json=report)

    assert again.status_code == 200 and again.get_json()["stored"] is False
    stored = db.session.scalar(
        select(func.count()).select_from(CheckIn).where(CheckIn.client_id == report["client_id"])
    )
    assert stored == 1
