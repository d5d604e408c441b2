"""A statement that waits too long for a lock ends at the statement timeout with a 503."""

import logging
import time

from sqlalchemy import text

from jichikai.extensions import db

from ..disaster.helpers import client_id, start


def _hold_a_lock_on_checkins(connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE check_in IN ACCESS EXCLUSIVE MODE"))
    else:  # SQLite: any write holds the database's write lock until the end
        connection.execute(text("UPDATE association SET name = name"))


def test_a_checkin_blocked_by_a_lock_answers_503_after_the_timeout(app, world, as_member, caplog):
    event = start(world)
    client = as_member(world.member)
    timeout = app.config["DATABASE_STATEMENT_TIMEOUT_SECONDS"]

    with db.engine.connect() as holder:
        _hold_a_lock_on_checkins(holder)
        started = time.monotonic()
        response = client.post(
            "/api/v1/disaster/checkins",
            json={"status": "safe_home", "client_id": client_id(), "event_id": event.id},
        )
        took = time.monotonic() - started
        holder.rollback()

    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert timeout - 0.5 < took < timeout + 2
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
