"""Column types, tenant-scoping helpers and database connection behaviour shared by features."""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TypeVar

from flask import abort
from sqlalchemy import Connection, DateTime, ForeignKey, Select, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, ValidationError

from .extensions import db

# Row ids are INTEGER columns: PostgreSQL's hold up to 2^31 - 1 (SQLite's up to 2^63 - 1). A
# larger number, from a URL, a query string, a form or JSON, names no row; it must not reach a
# query, where the database driver fails on it (a 500) instead of finding nothing.
ID_MAX = 2**31 - 1


def id_value(text) -> int:
    """A row id read from text; ValueError when it cannot be one (`request.args.get(type=)`)."""
    number = int(text)
    if not 1 <= number <= ID_MAX:
        raise ValueError(f"not a row id: {text!r}")
    return number


class IdConverter(IntegerConverter):
    """The app's `<int:...>` URL parts: a number the id columns cannot hold answers 404."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        try:
            return super().to_python(value)
        except ValidationError:
            # Not "no route": werkzeug would answer 405 where the path has another method's.
            raise NotFound() from None


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every backend (SQLite stores it naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class TenantMixin:
    """Every tenant-owned row carries the association it belongs to."""

    @declared_attr
    def association_id(cls) -> Mapped[int]:
        return mapped_column(
            ForeignKey("association.id", ondelete="CASCADE"), index=True, nullable=False
        )


T = TypeVar("T")


def scoped(model: type[T], association_id: int) -> Select:
    """A select of `model` limited to one association."""
    return select(model).where(model.association_id == association_id)


def get_scoped_or_404(model: type[T], object_id: int, association_id: int) -> T:
    """Load a tenant-owned object; another association's object answers 404."""
    obj = db.session.get(model, object_id)
    if obj is None or obj.association_id != association_id:
        abort(404)
    return obj


def engine_options(url: str, config) -> dict:
    """SQLAlchemy engine options that make a missing database fail within seconds.

    PostgreSQL: a connect timeout, a server-side statement timeout, and TCP keepalives plus
    `tcp_user_timeout` so that a read blocked by a network partition fails instead of
    holding the web worker until gunicorn kills it. SQLite: how long to wait for a lock.
    Errors never carry the statement's parameters. Options already in
    SQLALCHEMY_ENGINE_OPTIONS win.
    """
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # A failed statement's error (and so the log) never shows the values: notes, names, codes.
    options.setdefault("hide_parameters", True)
    connect_args = dict(options.get("connect_args") or {})
    statement = float(config["DATABASE_STATEMENT_TIMEOUT_SECONDS"])
    if url.startswith("sqlite"):
        if statement > 0:
            connect_args.setdefault("timeout", statement)
    elif url.startswith("postgresql"):
        connect = int(config["DATABASE_CONNECT_TIMEOUT_SECONDS"])
        network = int(config["DATABASE_NETWORK_TIMEOUT_SECONDS"])
        if connect > 0:
            connect_args.setdefault("connect_timeout", connect)
            # Waiting for a pooled connection is bounded by the same time.
            options.setdefault("pool_timeout", connect)
        if network > 0:
            connect_args.setdefault("keepalives", 1)
            connect_args.setdefault("keepalives_idle", network)
            connect_args.setdefault("keepalives_interval", 1)
            connect_args.setdefault("keepalives_count", 3)
            connect_args.setdefault("tcp_user_timeout", network * 1000)
        if statement > 0:
            connect_args.setdefault("options", f"-c statement_timeout={int(statement * 1000)}")
    if connect_args:
        options["connect_args"] = connect_args
    return options


def configure_engine(engine, ping_after_idle: float | None = None) -> None:
    """SQLite: enforce foreign keys and use WAL (the lock wait is set by engine_options).

    Other databases: a pooled connection that has been idle for `ping_after_idle` seconds is
    checked before use and replaced if the server has gone (a restart, a failover, a firewall
    dropping idle connections). Unlike `pool_pre_ping`, this costs no round trip for a
    connection that was in use a moment ago, which is every connection during a storm. The
    price: when the server restarts, a request on a connection used within those seconds fails
    once (SQLAlchemy then renews the whole pool); the check-in page's outbox sends again.
    """
    from sqlalchemy import event

    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return
    if ping_after_idle is None:
        return

    from sqlalchemy.exc import DisconnectionError

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record):
        if record is not None:
            record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        # A new connection has no "returned_at" (invalidation clears record.info).
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < ping_after_idle:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out a fresh one.
            raise DisconnectionError("the database connection was gone") from error


@contextmanager
def bounded_connection(statement_timeout: float) -> Iterator[Connection]:
    """A connection (in a transaction) whose statements are cut after `statement_timeout`
    seconds on PostgreSQL; opening it is bounded by the connect timeout (engine_options)."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            milliseconds = max(1, int(statement_timeout * 1000))
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {milliseconds}")
        yield connection


# A database that is away -------------------------------------------------------------------

# SQLite errors that mean "the database cannot be used now", not "the query is wrong".
SQLITE_UNAVAILABLE = ("locked", "busy", "unable to open", "disk i/o")


def database_unavailable(error: BaseException) -> bool:
    """True when a database error means unreachable, refused, dropped or timed out."""
    if isinstance(error, PoolTimeoutError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError):
        return False
    if type(error.orig).__module__.startswith("sqlite3"):
        return any(word in str(error.orig).lower() for word in SQLITE_UNAVAILABLE)
    return True


def describe_database_error(error: BaseException) -> str:
    """The driver's error class and the first line of its message, for one log line."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}"


class DatabaseOutage:
    """What a background loop says while the database is away, and how long it waits.

    One WARNING when an outage starts, another every `remind_every` seconds while it lasts,
    one INFO when a pass succeeds again; never a stack trace. The wait between passes doubles
    with each failed pass, up to `max_delay`. Threads may share one (the scheduler's jobs).
    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        max_delay: float,
        remind_every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.max_delay = max_delay
        self.remind_every = remind_every
        self.clock = clock
        self.since: float | None = None
        self.failures = 0
        self._reminded_at = 0.0
        self._lock = threading.Lock()

    def failed(self, error: BaseException) -> bool:
        """Note a failed pass; False when `error` is not the database being away (a bug)."""
        if not database_unavailable(error):
            return False
        with self._lock:
            now = self.clock()
            self.failures += 1
            if self.since is None:
                self.since = self._reminded_at = now
                self.logger.warning("database unavailable: %s", describe_database_error(error))
            elif now - self._reminded_at >= self.remind_every:
                self._reminded_at = now
                self.logger.warning(
                    "database still unavailable after %d s: %s",
                    now - self.since,
                    describe_database_error(error),
                )
        return True

    def succeeded(self) -> None:
        """Note a pass that reached the database: the outage, if any, is over."""
        with self._lock:
            if self.since is None:
                return
            self.logger.info("database available again after %.0f s", self.clock() - self.since)
            self.since = None
            self.failures = 0

    def delay(self, normal: float) -> float:
        """The wait before the next pass: `normal`, or longer while the database is away."""
        if not self.failures:
            return normal
        return max(normal, min(self.max_delay, normal * 2 ** (self.failures - 1)))
