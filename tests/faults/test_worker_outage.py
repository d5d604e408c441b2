"""The worker (`flask worker`) while PostgreSQL is away: one line, no stack trace, and sending
resumes by itself once the database is back."""

import logging
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.health.jobs import JOBS as HEALTH_JOBS
from jichikai.health.models import WorkerHeartbeat
from jichikai.push.services import PushMessage
from jichikai.push.worker import Worker, run_job
from jichikai.scheduling import ScheduledJob
from tests.push.emulator import PushServiceEmulator
from tests.push.helpers import queue_for, use_test_vapid_key

WORKER_LOGGER = "jichikai.push.worker"


@pytest.fixture
def emulator(proxied_app):
    """A push service the proxied application may send to (a VAPID key kept in memory)."""
    service = PushServiceEmulator().start()
    saved = {k: proxied_app.config[k] for k in ("PUSH_ALLOWED_ORIGINS", "PUSH_VAPID_SUBJECT")}
    proxied_app.config.update(
        PUSH_ALLOWED_ORIGINS=service.origin, PUSH_VAPID_SUBJECT="mailto:ops@example.jp"
    )
    use_test_vapid_key(proxied_app)
    yield service
    service.stop()
    proxied_app.config.update(saved)


@pytest.fixture
def worker(proxied_app):
    """A worker of the proxied application, its threads not started; stopped after the test."""
    saved = {k: proxied_app.config[k] for k in ("PUSH_POLL_SECONDS", "WORKER_RETRY_MAX_SECONDS")}
    proxied_app.config.update(PUSH_POLL_SECONDS=0.2, WORKER_RETRY_MAX_SECONDS=1.0)
    worker = Worker(proxied_app, run_scheduler=False)
    yield worker
    worker.stop(10)
    worker.lock.release()
    proxied_app.config.update(saved)


def _go_away(database_proxy) -> None:
    """The database stops: open connections are cut, new ones refused."""
    database_proxy.refuse()
    database_proxy.cut()


def _records(caplog, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == WORKER_LOGGER and r.levelno == level]


def _traces(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info or r.exc_text]


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _delivered(emulator) -> set[str]:
    return {r.endpoint for r in emulator.received if r.status == 201}


def test_sender_passes_log_one_line_per_outage(
    database_proxy, proxied_app, world, emulator, worker, caplog
):
    caplog.set_level(logging.INFO, logger="jichikai")
    assert worker.send_pass() is False  # the pool has a connection before the outage
    _go_away(database_proxy)

    for _ in range(5):
        assert worker.send_pass() is False

    [warning] = _records(caplog, logging.WARNING)
    assert warning.getMessage().startswith("database unavailable: OperationalError")
    assert _traces(caplog) == []
    assert worker.outage.delay(0.2) == 1.0  # backed off, capped

    database_proxy.heal()
    [endpoint] = queue_for(world.member, emulator, 1, PushMessage("回覧です"))
    worker.send_pass()

    assert _delivered(emulator) == {endpoint}
    [back] = [r for r in _records(caplog, logging.INFO) if "available again" in r.getMessage()]
    assert worker.outage.delay(0.2) == 0.2
    assert _traces(caplog) == []


def test_a_running_sender_survives_the_outage_and_delivers_after_it(
    database_proxy, proxied_app, world, emulator, worker, caplog
):
    caplog.set_level(logging.INFO, logger="jichikai")
    _go_away(database_proxy)
    worker.start()
    time.sleep(3.0)  # several failed passes, the wait between them growing to its cap
    # Queued meanwhile by the web tier (the database is reached directly, not through the proxy).
    [endpoint] = queue_for(world.member, emulator, 1, PushMessage("避難してください"))

    assert _delivered(emulator) == set()
    database_proxy.heal()
    healed_at = time.monotonic()
    delivered = _wait_for(lambda: endpoint in _delivered(emulator), 10)
    took = time.monotonic() - healed_at

    assert delivered and took < 1.0 + 2.0  # the capped wait, and a margin
    assert all(thread.is_alive() for thread in worker.threads)
    assert len(_records(caplog, logging.WARNING)) == 1
    assert _traces(caplog) == []


def test_scheduler_passes_and_jobs_log_one_line_per_outage(
    database_proxy, proxied_app, world, caplog, monkeypatch
):
    caplog.set_level(logging.INFO, logger="jichikai")
    monkeypatch.setattr("jichikai.push.worker.all_jobs", lambda: HEALTH_JOBS)  # no JMA poll
    worker = Worker(proxied_app, run_sender=False)
    try:
        started_at = utcnow()
        worker.lead_pass()
        assert worker.scheduler is not None  # the leader when the outage starts
        assert _wait_for(lambda: _last_beat() >= started_at, 10)  # its first pass is done
        _go_away(database_proxy)
        for _ in range(3):
            worker.lead_pass()
            for job in HEALTH_JOBS:
                run_job(proxied_app, job, worker.outage)
        assert worker.scheduler is None
        assert len(_records(caplog, logging.WARNING)) == 1
        assert _traces(caplog) == []

        database_proxy.heal()
        healed_at = utcnow()
        worker.lead_pass()
        assert worker.scheduler is not None  # leader again, without a restart
        assert _wait_for(lambda: _last_beat() >= healed_at, 10)  # its jobs run at once
    finally:
        worker.stopping.set()
        worker._stop_scheduler(wait=True)
        worker.lock.release()
    assert any("available again" in r.getMessage() for r in _records(caplog, logging.INFO))
    assert _traces(caplog) == []


def _last_beat() -> datetime:
    db.session.expire_all()
    beat = db.session.scalar(select(func.max(WorkerHeartbeat.beat_at)))
    return beat or datetime.min.replace(tzinfo=UTC)


def test_a_programming_error_still_logs_its_stack_trace(proxied_app, worker, caplog):
    def broken(now):
        raise TypeError("a bug")

    run_job(proxied_app, ScheduledJob("test.broken", broken, 60), worker.outage)

    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info and "job test.broken failed" in record.getMessage()
    assert worker.outage.since is None
