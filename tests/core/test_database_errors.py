"""Which database errors mean "unavailable" (503), and the language an error page can use."""

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from jichikai.database import DatabaseOutage, database_unavailable
from jichikai.extensions import db


def test_a_wrong_query_is_not_an_outage(app):
    # SQLite reports a missing table as an OperationalError, as it does a locked database.
    with pytest.raises(DBAPIError) as raised:
        db.session.execute(text("SELECT * FROM no_such_table"))
    db.session.rollback()

    assert not database_unavailable(raised.value)


def test_the_members_language_is_kept_in_the_session(world, as_member):
    world.member.language = "en"
    db.session.commit()
    client = as_member(world.member)

    client.get("/")

    with client.session_transaction() as session:
        assert session["lang"] == "en"


def test_after_logout_the_language_cookie_decides(world, as_member):
    world.member.language = "en"
    db.session.commit()
    client = as_member(world.member)
    client.get("/")
    client.post("/logout")
    client.set_cookie("lang", "ja")

    page = client.get("/login").get_data(as_text=True)

    assert '<html lang="ja"' in page


def test_a_long_outage_is_reminded_once_a_minute_and_its_end_told_once(caplog):
    now = [100.0]
    outage = DatabaseOutage(logging.getLogger("test.outage"), max_delay=10, clock=lambda: now[0])
    refused = OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))
    caplog.set_level(logging.INFO, logger="test.outage")

    for _ in range(61):  # one pass a second for a minute
        assert outage.failed(refused)
        now[0] += 1
    delays = [outage.delay(2.0)]
    outage.succeeded()
    outage.succeeded()

    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "database unavailable: ConnectionRefusedError: connection refused"),
        (
            "WARNING",
            "database still unavailable after 60 s: ConnectionRefusedError: connection refused",
        ),
        ("INFO", "database available again after 61 s"),
    ]
    assert delays == [10] and outage.delay(2.0) == 2.0
    assert not any(r.exc_info for r in caplog.records)


def test_a_bug_is_not_an_outage():
    outage = DatabaseOutage(logging.getLogger("test.outage"), max_delay=10)
    assert not outage.failed(TypeError("a bug"))
    assert outage.since is None and outage.delay(2.0) == 2.0
