"""The schema comes only from migrations, and they match the models."""

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from jichikai.extensions import db


def _script_directory() -> ScriptDirectory:
    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config)


def test_single_alembic_head(app):
    assert len(_script_directory().get_heads()) == 1


def test_upgrade_on_an_empty_database_matches_the_models(app):
    """The app fixture built this database with `flask db upgrade` alone."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
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
