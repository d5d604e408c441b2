"""Log lines: JSON when LOG_FORMAT=json, one per event, and never a password, a login code, a
card link, a one-tap link or a member's note."""

import io
import json
import logging
import sys
import time
import uuid

import pytest
import requests
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from jichikai.auth.services import issue_card
from jichikai.extensions import db
from jichikai.serving import JsonFormatter, configure_logging, redact

from ..disaster.helpers import start
from ..metrics.helpers import unreachable_database
from ..servers import app_site_env, free_port, gunicorn_command, running

CARD = "Nu98lvBDnI2uIddcehK1lg"
ONE_TAP = "WzEyLDMsImVtYWlsIl0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"GET /c/{CARD} HTTP/1.1", "GET /c/[card] HTTP/1.1"),
        (f"https://kairan.example.jp/c/{CARD}", "https://kairan.example.jp/c/[card]"),
        (f"GET /a/{ONE_TAP}/safe_home HTTP/1.1", "GET /a/[link]/safe_home HTTP/1.1"),
        (f"https://kairan.example.jp/r/{ONE_TAP}", "https://kairan.example.jp/r/[link]"),
        (f'"/r/{ONE_TAP}?x=1"', '"/r/[link]?x=1"'),
        (f"GET /calendar/{CARD}.ics HTTP/1.1", "GET /calendar/[feed].ics HTTP/1.1"),
        ("POST /notices/calendar/feed HTTP/1.1", "POST /notices/calendar/feed HTTP/1.1"),
        (
            f"database unavailable: GET /c/{CARD}: Error",
            "database unavailable: GET /c/[card]: Error",
        ),
    ],
)
def test_links_that_log_in_or_answer_are_redacted(line, expected):
    assert redact(line) == expected


def _record(message: str, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("jichikai.http", logging.WARNING, __file__, 1, message, args, exc_info)


def test_a_json_line_holds_the_traceback_and_nothing_breaks_the_line():
    try:
        raise ValueError(f"bad link /c/{CARD}\nsecond line\u2028third")
    except ValueError:
        exc_info = sys.exc_info()
    line = JsonFormatter().format(_record("at %s", f"/c/{CARD}", exc_info=exc_info))

    assert len(line.splitlines()) == 1
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "jichikai.http"
    assert entry["message"] == "at /c/[card]"
    assert "ValueError: bad link /c/[card]" in entry["exception"]
    assert CARD not in line
    assert entry["time"].endswith("+00:00")


@pytest.fixture
def restored_logging(app):
    """Put the process's logging back as it was after a test that configures it."""
    from flask.logging import default_handler

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    app_handlers = list(app.logger.handlers)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    app.logger.handlers[:] = app_handlers
    if default_handler not in app_handlers:
        app.logger.removeHandler(default_handler)


def _json_stream() -> io.StringIO:
    """Where the JSON handler that configure_logging installed writes (for the test)."""
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_jichikai", False))
    stream = io.StringIO()
    handler.setStream(stream)
    return stream


def test_the_application_logs_json_lines_without_card_links(
    app, configured_app, restored_logging, tmp_path
):
    away = unreachable_database(app, tmp_path)
    broken = configured_app(LOG_FORMAT="json", SQLALCHEMY_DATABASE_URI=away)
    stream = _json_stream()

    response = broken.test_client().get(f"/c/{CARD}")  # the card's member cannot be loaded

    assert response.status_code == 503
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    warning = next(e for e in entries if e["message"].startswith("database unavailable"))
    assert warning["message"].startswith("database unavailable: GET /c/[card]: ")
    assert CARD not in stream.getvalue()


def test_the_worker_logs_json_lines_at_info(configured_app, restored_logging):
    worker_app = configured_app(LOG_FORMAT="json")
    configure_logging(worker_app, logging.INFO)
    stream = _json_stream()

    logging.getLogger("jichikai.push.worker").info("job %s: %s", "reach.x", f"sent /r/{ONE_TAP}")

    (entry,) = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert entry["message"] == "job reach.x: sent /r/[link]"
    assert entry["level"] == "INFO"


def test_an_unknown_log_format_is_refused(configured_app):
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        configured_app(LOG_FORMAT="xml")


def test_a_failed_statement_does_not_show_its_parameters(app):
    with pytest.raises(SQLAlchemyError) as failure:
        db.session.execute(
            text("SELECT no_such_column FROM member WHERE name = :note"), {"note": "持病の薬"}
        )
    db.session.rollback()
    assert "持病の薬" not in str(failure.value)


PASSWORD = "officer-password"
NOTE = "持病の薬があと二日分しかありません"


def test_json_logs_carry_no_secrets_nor_notes(app, world, tmp_path):
    _card, token, _code = issue_card(world.member)
    _card, _token, code = issue_card(world.housemate)
    event = start(world, drill=True)
    access_log, error_log = tmp_path / "access.log", tmp_path / "error.log"
    port = free_port()
    env = app_site_env(app, port, JICHIKAI_LOG_FORMAT="json")
    base = f"http://127.0.0.1:{port}"
    args = gunicorn_command("--access-logfile", str(access_log), "--error-logfile", str(error_log))
    one_tap = "eyJtZW1iZXIiOjEyfQ.c2lnbmVk"

    with running(args, port, env):
        officer = _browser(base, "/login")
        answer = officer.post(
            f"{base}/login/password",
            data={"email": "officer@example.jp", "password": PASSWORD, "csrf_token": officer.csrf},
            allow_redirects=False,
        )
        assert answer.status_code == 302

        housemate = _browser(base, "/login")
        answer = housemate.post(
            f"{base}/login/code",
            data={"code": code, "csrf_token": housemate.csrf},
            allow_redirects=False,
        )
        assert answer.status_code == 302

        member = _browser(base, f"/c/{token}", referer=f"{base}/c/{token}")
        answer = member.post(
            f"{base}/c/{token}", data={"csrf_token": member.csrf}, allow_redirects=False
        )
        assert answer.status_code == 302
        member.csrf = _csrf(member.get(f"{base}/").text)
        report = {
            "event_id": event.id,
            "status": "need_help",
            "help_kind": "supplies",
            "note": NOTE,
            "client_id": uuid.uuid4().hex,
        }
        answer = member.post(
            f"{base}/api/v1/disaster/checkins", json=report, headers={"X-CSRFToken": member.csrf}
        )
        assert answer.status_code == 201, answer.text
        assert requests.get(f"{base}/a/{one_tap}/safe_home", timeout=10).status_code == 404

        lines = _wait_for(access_log, "/a/[link]/safe_home")  # the last request's line

    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    paths = [entry["path"] for entry in entries]
    assert "/c/[card]" in paths and "/a/[link]/safe_home" in paths
    assert {"/login/password", "/login/code", "/api/v1/disaster/checkins"} <= set(paths)
    assert all(entry["logger"] == "gunicorn.access" for entry in entries)
    assert any(entry["referer"].endswith("/c/[card]") for entry in entries)
    errors = error_log.read_text().splitlines()
    assert errors and all(json.loads(line)["logger"] for line in errors)
    everything = access_log.read_text() + error_log.read_text()
    for secret in (PASSWORD, code, code.replace("-", ""), token, one_tap, NOTE, "薬"):
        assert secret not in everything


def _browser(base: str, path: str, referer: str | None = None) -> requests.Session:
    """A browser that opened `path` and holds its CSRF token."""
    browser = requests.Session()
    headers = {"Referer": referer} if referer else {}
    page = browser.get(f"{base}{path}", headers=headers, timeout=10)
    assert page.status_code == 200
    browser.csrf = _csrf(page.text)
    return browser


def _csrf(page: str) -> str:
    marker = 'name="csrf-token" content="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def _wait_for(log, text: str) -> list[str]:
    deadline = time.monotonic() + 10
    while text not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    return log.read_text().splitlines()


def test_text_lines_of_the_application_are_redacted_too(app):
    from flask.logging import default_handler

    from jichikai.serving import RedactingFilter

    record = _record("database unavailable: GET %s: OperationalError", f"/c/{CARD}")
    assert all(f.filter(record) for f in default_handler.filters)
    assert any(isinstance(f, RedactingFilter) for f in default_handler.filters)
    assert record.getMessage() == "database unavailable: GET /c/[card]: OperationalError"
