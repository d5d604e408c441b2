"""Readiness: the database answers, its schema is at the migrations' head, a worker runs."""

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from ..database import bounded_connection
from ..extensions import db
from .models import WorkerHeartbeat

SCHEDULER = "scheduler"


def beat(now: datetime, name: str = SCHEDULER) -> None:
    """Record that the worker `name` is running (an upsert; two leaders may overlap)."""
    insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(WorkerHeartbeat).values(name=name, beat_at=now)
    db.session.execute(
        statement.on_conflict_do_update(index_elements=["name"], set_={"beat_at": now})
    )


@lru_cache
def migration_heads(directory: str) -> frozenset[str]:
    """The head revisions of the migrations this code was shipped with."""
    config = Config()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


@dataclass
class Readiness:
    """What /readyz answers: each check is "ok" or says what is wrong."""

    checks: dict[str, str] = field(default_factory=dict)
    heartbeat_age_seconds: int | None = None

    @property
    def ready(self) -> bool:
        return all(value == "ok" for value in self.checks.values())


def readiness(
    now: datetime,
    *,
    migrations_directory: str,
    statement_timeout: float,
    heartbeat_max_age: float,
    worker_in_process: bool,
) -> Readiness:
    """Check the database (bounded by the connect and `statement_timeout`), schema and worker.

    `worker_in_process`: a worker runs in this process (the embedded mode); it counts as a
    running worker even before its first heartbeat.
    """
    result = Readiness()
    try:
        with bounded_connection(statement_timeout) as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
            beat_at = connection.scalar(
                select(WorkerHeartbeat.beat_at).where(WorkerHeartbeat.name == SCHEDULER)
            )
    except SQLAlchemyError:
        result.checks.update(database="down", migrations="unknown", worker="unknown")
        return result

    result.checks["database"] = "ok"
    result.checks["migrations"] = (
        "ok" if current == migration_heads(migrations_directory) else "not at head"
    )
    if beat_at is not None:
        result.heartbeat_age_seconds = max(0, int((now - beat_at).total_seconds()))
    if worker_in_process:
        result.checks["worker"] = "ok"
    elif result.heartbeat_age_seconds is None:
        result.checks["worker"] = "no heartbeat"
    elif result.heartbeat_age_seconds > heartbeat_max_age:
        result.checks["worker"] = "heartbeat too old"
    else:
        result.checks["worker"] = "ok"
    return result
