"""Push workers killed mid-batch and push services that answer too late.

A real worker process sends through the push-service emulator (with latency) and is killed with
SIGKILL while its requests are in flight; a second worker takes over. Both databases: SQLite in
WAL mode with a busy timeout is safe to share between processes on one machine.
"""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.push.delivery import claim_due, make_sender, send_batch, send_pending
from jichikai.push.models import PushDelivery
from jichikai.push.services import PushMessage
from tests.push.emulator import PushServiceEmulator
from tests.push.helpers import queue_for, use_test_vapid_key

ROOT = Path(__file__).resolve().parents[2]

# A worker process as `flask worker --no-scheduler` runs it, with its instance folder (VAPID key,
# secret key) in the test's temporary directory instead of the checkout's.
WORKER = textwrap.dedent(
    """
    import sys
    from jichikai import create_app
    from jichikai.push.worker import Worker

    app = create_app()
    app.instance_path = sys.argv[1]
    worker = Worker(app, run_scheduler=False)
    worker.start()
    worker.wait()
    """
)


@pytest.fixture
def push_service(app):
    """The emulator, answering after `latency` seconds; its origin is the only one allowed."""
    services = []

    def start(latency: float) -> PushServiceEmulator:
        service = PushServiceEmulator(latency=latency, decrypt_every=25).start()
        services.append(service)
        app.config["PUSH_ALLOWED_ORIGINS"] = service.origin
        return service

    saved = {
        k: app.config[k]
        for k in (
            "PUSH_ALLOWED_ORIGINS",
            "PUSH_VAPID_SUBJECT",
            "PUSH_TIMEOUT_SECONDS",
            "PUSH_LEASE_SECONDS",
            "PUSH_BATCH_SIZE",
            "PUSH_MAX_UNACKNOWLEDGED",
        )
    }
    app.config["PUSH_VAPID_SUBJECT"] = "mailto:ops@example.jp"
    use_test_vapid_key(app)
    yield start
    for service in services:
        service.stop()
    app.config.update(saved)


def _count(status: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).where(PushDelivery.status == status))


def _start_worker(app, tmp_path, origin: str, name: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "JICHIKAI_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "JICHIKAI_SECRET_KEY": "test-secret",
        "JICHIKAI_PUSH_ALLOWED_ORIGINS": origin,
        "JICHIKAI_PUSH_VAPID_SUBJECT": "mailto:ops@example.jp",
        "JICHIKAI_PUSH_POLL_SECONDS": "0.5",
    }
    with open(tmp_path / f"{name}.log", "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-c", WORKER, str(tmp_path)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _sending_thread(app) -> threading.Thread:
    """`send_pending` in a thread of its own, as the worker's sender loop runs it."""

    def send() -> None:
        with app.app_context(), make_sender(app) as sender:
            send_pending(sender)

    thread = threading.Thread(target=send)
    thread.start()
    return thread


def _wait_for(condition, seconds: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def test_a_killed_worker_s_rows_are_resent_within_the_short_lease(
    app, world, push_service, tmp_path
):
    """SIGKILL a worker mid-batch: a second one resends its rows within one lease, each
    message reaches its device at most once more, and none is lost."""
    lease = float(app.config["PUSH_LEASE_SECONDS"])
    cap = int(app.config["PUSH_MAX_UNACKNOWLEDGED"])
    emulator = push_service(latency=2.0)
    endpoints = queue_for(world.member, emulator, 2 * cap, PushMessage("避難してください"))

    first = _start_worker(app, tmp_path, emulator.origin, "first")
    second = None
    try:
        started = _wait_for(lambda: emulator.requests >= cap // 2, 30)
        assert started, (tmp_path / "first.log").read_text()
        time.sleep(0.5)  # requests are in flight, their answers not yet written
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = time.monotonic()
        held = {
            row.id: row.subscription.endpoint
            for row in db.session.scalars(select(PushDelivery).filter_by(status="sending"))
        }
        second = _start_worker(app, tmp_path, emulator.origin, "second")
        finished = _wait_for(lambda: _count("sent") == len(endpoints), lease + 30, step=0.5)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(30)

    assert held, "the worker was killed with nothing claimed"
    assert len(held) <= cap
    assert finished, f"{_count('sent')} of {len(endpoints)} sent"
    delivered = Counter(r.endpoint for r in emulator.received if r.status == 201)
    assert set(delivered) == set(endpoints)  # none lost
    assert max(delivered.values()) <= 2  # at most once more than asked
    assert sum(n - 1 for n in delivered.values()) <= cap
    # The killed worker's rows went out again within about one lease, not after minutes.
    resent = [r.at for r in emulator.received if r.endpoint in held.values() and r.at > killed_at]
    assert resent and max(resent) - killed_at <= lease + 10


def test_a_slow_push_service_never_lets_the_lease_run_out_under_a_live_worker(
    app, world, push_service
):
    app.config.update(PUSH_LEASE_SECONDS=1.5, PUSH_TIMEOUT_SECONDS=10)
    emulator = push_service(latency=2.5)
    endpoints = queue_for(world.member, emulator, 3, PushMessage("回覧です"))

    worker = _sending_thread(app)
    try:
        time.sleep(2.0)  # longer than the lease: only renewal keeps the rows claimed
        stolen = claim_due(utcnow(), 10, lease_seconds=30)
        db.session.commit()
    finally:
        worker.join(30)

    assert stolen == []
    assert Counter(r.endpoint for r in emulator.received) == Counter(endpoints)


def test_one_worker_holds_at_most_the_cap_unanswered(app, world, push_service):
    app.config.update(PUSH_BATCH_SIZE=20, PUSH_MAX_UNACKNOWLEDGED=10)
    emulator = push_service(latency=0.5)
    queue_for(world.member, emulator, 30, PushMessage("回覧です"))
    held: list[int] = []

    worker = _sending_thread(app)
    while worker.is_alive():
        held.append(_count("sending"))
        time.sleep(0.05)
    worker.join()

    assert 0 < max(held) <= 10
    assert _count("sent") == 30


def test_every_attempt_of_a_message_carries_the_same_topic(app, world, push_service):
    """The service answered after our timeout (and kept the message): the retry has the same
    Topic, so the service replaces the first with it instead of delivering both."""
    app.config["PUSH_TIMEOUT_SECONDS"] = 0.3
    emulator = push_service(latency=1.0)
    [endpoint] = queue_for(world.member, emulator, 1, PushMessage("回覧です"))

    with make_sender(app) as sender:
        first = send_batch(sender)
        assert _wait_for(lambda: emulator.received, 5)
        emulator.latency = 0
        second = send_batch(sender, now=utcnow() + timedelta(hours=1))

    assert (first.retry, second.sent) == (1, 1)
    topics = [r.topic for r in emulator.received if r.endpoint == endpoint]
    assert len(topics) == 2 and topics[0] is not None and topics[0] == topics[1]


def test_a_message_s_own_topic_is_kept(app, world, push_service):
    emulator = push_service(latency=0)
    queue_for(world.member, emulator, 1, PushMessage("回覧です", topic="reminder-7"))
    with make_sender(app) as sender:
        send_batch(sender)
    assert [r.topic for r in emulator.received] == ["reminder-7"]
