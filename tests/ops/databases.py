"""PostgreSQL databases of their own beside the test database, for tests that run processes or
seed volumes the per-test cleanup should not touch."""

import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from jichikai import database_url

from ..conftest import PG_URL


def fresh_database(suffix: str, needed_by: str) -> str:
    """An empty database named after the test database and `suffix`; the test fails in CI
    and is skipped elsewhere when PostgreSQL cannot be used."""
    parsed = make_url(database_url(PG_URL))
    name = f"{parsed.database}_{suffix}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # any reason means: PostgreSQL cannot be used here
        reason = f"PostgreSQL at {PG_URL}: {str(error).splitlines()[0]}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{needed_by} needs {reason}")
        pytest.skip(f"{needed_by}: {reason}")
    finally:
        admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()
