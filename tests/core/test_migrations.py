"""The schema comes only from migrations, and they match the models."""

import hashlib

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import text

from jichikai.extensions import db
from jichikai.notices.search import outside_models


def _script_directory() -> ScriptDirectory:
    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config)


def test_single_alembic_head(app):
    assert len(_script_directory().get_heads()) == 1


def test_upgrade_on_an_empty_database_matches_the_models(app):
    """The app fixture built this database with `flask db upgrade` alone (the search index's
    tables and indexes, which no model describes, aside)."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "render_as_batch": True, "include_name": outside_models},
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_database_is_at_head(app):
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    assert set(current) == set(_script_directory().get_heads())


def test_migrations_lift_the_statement_timeout_for_themselves_only(app):
    """`flask db upgrade` may take longer than a request; the pooled connections keep the limit."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no statement timeout")
    flask_migrate.upgrade()  # at head already: opens the migration transaction and ends it

    # Every pooled connection, including the one the migrations used.
    connections = [db.engine.connect() for _ in range(db.engine.pool.checkedin() + 1)]
    limit = f"{int(app.config['DATABASE_STATEMENT_TIMEOUT_SECONDS'])}s"
    for connection in connections:
        with connection:
            assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == limit


def _seed_at_jma_1(connection) -> None:
    """Rows the later migrations transform: members (one moved away) with their logins,
    push subscriptions and JMA entries."""
    now = "2026-01-01 00:00:00"
    statements = [
        "INSERT INTO association (id, name, municipality, timezone, settings, created_at)"
        " VALUES (1, 'A', 'x', 'Asia/Tokyo', '{}', :now), (2, 'B', 'x', 'Asia/Tokyo', '{}', :now)",
        "INSERT INTO member (id, name, kana, email, language, text_size, push_preference,"
        " active, created_at, association_id) VALUES"
        " (1, 'a', 'a', 'a@example.jp', 'ja', 'normal', 'all', :yes, :now, 1),"
        " (2, 'b', 'b', 'b@example.jp', 'ja', 'normal', 'all', :no, :now, 1),"
        " (3, 'c', 'c', NULL, 'ja', 'normal', 'all', :yes, :now, 2)",
        "INSERT INTO device (id, member_id, session_hash, method, user_agent, created_at,"
        " last_seen_at, association_id) VALUES"
        " (1, 1, 'h1', 'qr', 'ua', :now, :now, 1), (2, 2, 'h2', 'qr', 'ua', :now, :now, 1)",
        "INSERT INTO login_card (id, member_id, token_hash, code_hash, issued_at, association_id)"
        " VALUES (1, 1, 't1', 'c1', :now, 1), (2, 2, 't2', 'c2', :now, 1)",
        "INSERT INTO push_subscription (id, member_id, endpoint, p256dh, auth, user_agent,"
        " created_at, last_error, association_id) VALUES"
        " (1, 1, 'https://fcm.googleapis.com/1', 'k', 'a', 'ua', :now, '', 1),"
        " (2, 2, 'https://fcm.googleapis.com/2', 'k', 'a', 'ua', :now, '', 1)",
        "INSERT INTO jma_entry (id, link, feed_url, type_code, title, status, control_status,"
        " info_type, event_id, headline, attempts, error, first_seen_at) VALUES"
        " (1, 'https://www.data.jma.go.jp/a.xml', 'f', 'VXSE53', 't', 'done', '', '', 'e', '',"
        " 0, '', :now)",
    ]
    for statement in statements:
        connection.execute(text(statement), {"now": now, "yes": True, "no": False})


def test_migrations_since_jma_1_go_down_and_up_again_with_data(app):
    """The batch migrations copy tables that other rows refer to (SQLite: a member with a
    device); the data they transform comes out right, and downgrading works too."""
    flask_migrate.downgrade(revision="jma_1")
    try:
        with db.engine.begin() as connection:
            _seed_at_jma_1(connection)
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            revoked = dict(connection.execute(text("SELECT id, revoked_at FROM device")).all())
            subscriptions = connection.execute(text("SELECT id FROM push_subscription")).all()
            link_key = connection.execute(text("SELECT link_key FROM jma_entry")).scalar()
        assert revoked[1] is None and revoked[2] is not None  # the member who moved away
        assert [row.id for row in subscriptions] == [1]
        assert link_key == hashlib.sha256(b"https://www.data.jma.go.jp/a.xml").hexdigest()

        flask_migrate.downgrade(revision="jma_1")
        with db.engine.connect() as connection:
            members = connection.execute(text("SELECT count(*) FROM member")).scalar()
        assert members == 3
    finally:
        flask_migrate.upgrade()
    with db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_heads() == tuple(
            _script_directory().get_heads()
        )
