"""Pooled PostgreSQL connections that died while idle are replaced before use."""

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import QueuePool

from jichikai.database import configure_engine
from jichikai.extensions import db


def _engine(ping_after_idle: float):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite connections are local files: nothing to lose")
    engine = create_engine(db.engine.url, poolclass=QueuePool, pool_size=1, max_overflow=0)
    configure_engine(engine, ping_after_idle)
    return engine


def _kill_pooled_connection(engine) -> None:
    with engine.connect() as connection:
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    with db.engine.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def test_an_idle_connection_that_died_is_replaced(app):
    engine = _engine(ping_after_idle=0.0)
    try:
        _kill_pooled_connection(engine)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        engine.dispose()


def test_a_connection_in_recent_use_is_not_pinged(app):
    # Within the idle time nothing is checked: the dead connection reaches the caller, which
    # is what makes the check free during a storm (SQLAlchemy then renews the pool).
    engine = _engine(ping_after_idle=3600.0)
    try:
        _kill_pooled_connection(engine)
        with pytest.raises(OperationalError), engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        engine.dispose()
