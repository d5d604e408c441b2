"""/healthz and /readyz: database, migrations and the worker's heartbeat."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.health.jobs import heartbeat
from jichikai.health.models import WorkerHeartbeat
from jichikai.health.services import beat
from jichikai.push.worker import Worker
from jichikai.scheduling import all_jobs

from ..factories import login
from ..matrix import ROLES


def _beat(seconds_ago: float = 0) -> None:
    beat(utcnow() - timedelta(seconds=seconds_ago))
    db.session.commit()


def ready_answer(age: int) -> dict:
    """The whole of a ready answer: nothing about any member or association."""
    return {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "worker": "ok"},
        "worker_heartbeat_age_seconds": age,
    }


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_ready_with_a_recent_heartbeat(client):
    _beat(seconds_ago=5)

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == ready_answer(age=5)


def test_not_ready_without_a_worker(client):
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.get_json()["checks"]["worker"] == "no heartbeat"


def test_not_ready_when_the_heartbeat_is_too_old(app, client):
    _beat(seconds_ago=app.config["READY_WORKER_HEARTBEAT_SECONDS"] + 5)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["checks"]["worker"] == "heartbeat too old"


def test_not_ready_when_migrations_are_behind(client):
    _beat()
    head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    db.session.execute(text("UPDATE alembic_version SET version_num = 'jma_1'"))
    db.session.commit()
    try:
        response = client.get("/readyz")
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
        db.session.commit()

    assert response.status_code == 503
    assert response.get_json()["checks"]["migrations"] == "not at head"


def test_the_embedded_worker_counts_before_its_first_heartbeat(app, client):
    worker = Worker(app, run_scheduler=False)
    worker.start()
    app.extensions.setdefault("jichikai.push", {})["worker"] = worker
    try:
        response = client.get("/readyz")
    finally:
        worker.stop()
        app.extensions["jichikai.push"].pop("worker")

    assert response.status_code == 200
    assert response.get_json()["checks"]["worker"] == "ok"


@pytest.mark.parametrize("role", ROLES)
def test_everyone_sees_the_same_public_answer(client, world, role):
    _beat(seconds_ago=3)
    member = world.by_role(role)
    if member is not None:
        login(client, member)

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == ready_answer(age=3)


def test_the_scheduler_beats(app):
    assert "health.heartbeat" in {job.id for job in all_jobs()}
    first = utcnow() - timedelta(minutes=5)
    heartbeat(first)
    heartbeat(first + timedelta(minutes=1))  # a second beat updates the same row

    rows = db.session.execute(select(WorkerHeartbeat.name, WorkerHeartbeat.beat_at)).all()
    assert rows == [("scheduler", first + timedelta(minutes=1))]
