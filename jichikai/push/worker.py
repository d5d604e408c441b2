"""The worker: every feature's scheduled jobs (one scheduler across processes) and the sender.

`flask worker` runs it in the foreground; with RUN_WORKER_IN_PROCESS (`make run`) the same
runs in background threads of the web process, started by the first request it serves.

- The scheduler (APScheduler 3) runs only in the process holding the leader lock: a
  PostgreSQL advisory lock held on its own connection (it goes away with the process), or on
  SQLite a file lock in the instance folder. The others try again every few seconds and take
  over when the leader dies.
- A sender loop per channel (push/channels.py: Web Push, email, LINE) runs in every worker
  process, each in its own thread; claims with SKIP LOCKED share the rows.
- While the database is away, every loop logs one line when the outage starts (and one a
  minute while it lasts), one when the database is back, and waits longer between passes
  (at most WORKER_RETRY_MAX_SECONDS); no thread stops. Other errors log their stack trace.
"""

import fcntl
import logging
import os
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import text

from ..database import DatabaseOutage, utcnow
from ..extensions import db
from ..files import open_private
from ..scheduling import ScheduledJob, all_jobs
from .channels import Channel, ChannelOff, all_channels

log = logging.getLogger(__name__)

# pg_advisory_lock key: "jichikai" as a number (any constant unlikely to clash does).
ADVISORY_LOCK_KEY = 0x6A69636869
LEADER_RETRY_SECONDS = 10.0
SENDER_BATCHES_PER_PASS = 10  # pipelined (see send_pending); the stop flag is seen between passes


class LeaderLock:
    """Only one holder at a time across processes; released when the holder dies."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._connection = None
        self._file = None

    @property
    def postgres(self) -> bool:
        with self.app.app_context():
            return db.engine.dialect.name == "postgresql"

    def try_acquire(self) -> bool:
        if self.postgres:
            return self._try_postgres()
        return self._try_file()

    def _try_postgres(self) -> bool:
        with self.app.app_context():
            connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
            )
        except Exception:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def _try_file(self) -> bool:
        handle = open_private(Path(self.app.instance_path) / "worker.lock")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def still_held(self) -> bool:
        """Whether the lock is held; raises when its connection was lost (the lock with it)."""
        if self._file is not None:
            return True
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
        except Exception:
            self.release()
            raise
        return True

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY}
                )
            except Exception:  # the connection is gone, and the lock with it
                pass
            self._connection.close()
            self._connection = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def run_job(app: Flask, job: ScheduledJob, outage: DatabaseOutage) -> None:
    """One pass of a scheduled job in its own app context; errors are logged, not raised."""
    with app.app_context():
        try:
            summary = job.func(utcnow())
            outage.succeeded()
            log.info("job %s: %s", job.id, summary)
        except Exception as error:
            db.session.rollback()
            if not outage.failed(error):
                log.exception("job %s failed", job.id)
        finally:
            db.session.remove()


def build_scheduler(
    app: Flask, jobs: list[ScheduledJob], outage: DatabaseOutage
) -> BackgroundScheduler:
    """An APScheduler with every job: coalesced, one instance at a time, run at start."""
    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1},
    )
    now = datetime.now(UTC)
    for job in jobs:
        scheduler.add_job(
            run_job,
            "interval",
            seconds=job.every_seconds,
            args=[app, job, outage],
            id=job.id,
            name=job.description or job.id,
            next_run_time=now,
            # A run missed by more than half an interval is skipped; the next one catches up.
            misfire_grace_time=max(1, job.every_seconds // 2),
        )
    return scheduler


class Worker:
    """The scheduler (when leader) and the sender loop, in background threads."""

    def __init__(self, app: Flask, *, run_scheduler: bool = True, run_sender: bool = True):
        self.app = app
        self.run_scheduler = run_scheduler
        self.run_sender = run_sender
        self.stopping = threading.Event()
        self.lock = LeaderLock(app)
        self.scheduler: BackgroundScheduler | None = None
        self.threads: list[threading.Thread] = []
        # One database for every loop: one line when it goes away, one when it is back.
        self.outage = DatabaseOutage(log, max_delay=float(app.config["WORKER_RETRY_MAX_SECONDS"]))
        self.channels: dict[str, Channel] = {c.name: c for c in all_channels()}
        self._senders: dict[str, object] = {}
        self._off_warned: set[str] = set()

    @property
    def is_leader(self) -> bool:
        return self.scheduler is not None

    def start(self) -> None:
        if self.run_scheduler:
            self._spawn(self._lead, "jichikai-scheduler")
        if self.run_sender:
            for name in self.channels:
                self._spawn(lambda name=name: self._send(name), f"jichikai-{name}-sender")

    def _spawn(self, target, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout)
        if not any(t.is_alive() for t in self.threads):
            for sender in self._senders.values():
                sender.close()
            self._senders.clear()

    def wait(self) -> None:
        """Block until SIGTERM or SIGINT, then stop cleanly."""
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        try:
            while not self.stopping.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
        self.stop()

    def _lead(self) -> None:
        """Become leader when possible, run the scheduler while the lock holds."""
        while not self.stopping.is_set():
            self.lead_pass()
            self.stopping.wait(self.outage.delay(LEADER_RETRY_SECONDS))
        self._stop_scheduler(wait=True)
        self.lock.release()

    def lead_pass(self) -> None:
        """Take the lock and start the scheduler, or check the lock is still held; never raises."""
        try:
            if self.scheduler is not None:
                # The lock's own connection: it may outlive an outage that the others see.
                self.lock.still_held()
                return
            if self.lock.try_acquire():
                self._start_scheduler()
            self.outage.succeeded()
        except Exception as error:
            if self.scheduler is not None:
                log.info("scheduler stopped: its lock went with the database connection")
                self._stop_scheduler(wait=False)
            if not self.outage.failed(error):
                log.exception("scheduler leadership check failed")

    def _start_scheduler(self) -> None:
        jobs = all_jobs()
        self.scheduler = build_scheduler(self.app, jobs, self.outage)
        self.scheduler.start()
        log.info("scheduler started in process %s: %s", os.getpid(), [j.id for j in jobs])

    def _stop_scheduler(self, wait: bool) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=wait)
            self.scheduler = None

    def _send(self, channel: str = "push") -> None:
        """Send what is due on `channel`, then wait a little; forever."""
        poll = float(self.app.config["PUSH_POLL_SECONDS"])
        while not self.stopping.is_set():
            if not self.send_pass(channel):
                self.stopping.wait(self.outage.delay(poll))

    def send_pass(self, channel: str = "push") -> bool:
        """Send what is due now on `channel`; True when more may be due at once. Never raises."""
        with self.app.app_context():
            try:
                sender = self._senders.get(channel)
                if sender is None:
                    sender = self._senders[channel] = self.channels[channel].open(self.app)
                summary = sender.send_pending(max_batches=SENDER_BATCHES_PER_PASS)
                self.outage.succeeded()
                self._off_warned.discard(channel)
                if summary.batches:
                    log.info("%s: %s", channel, summary)
                return summary.batches >= SENDER_BATCHES_PER_PASS
            except ChannelOff as error:
                if channel not in self._off_warned:
                    log.error("%s sending is off: %s", channel, error)
                    self._off_warned.add(channel)
            except Exception as error:
                db.session.rollback()
                if not self.outage.failed(error):
                    log.exception("%s sending failed", channel)
            finally:
                db.session.remove()
        return False


_embedded_lock = threading.Lock()


def start_embedded(app: Flask) -> Worker | None:
    """Start the worker inside the web process, once (RUN_WORKER_IN_PROCESS).

    Called by the first request (see push/__init__.py), never by create_app: importing or
    building the app has no side effects, and under the Werkzeug reloader only the child
    process that serves requests (WERKZEUG_RUN_MAIN=true) ever gets a request.
    """
    if not app.config.get("RUN_WORKER_IN_PROCESS"):
        return None
    state = app.extensions.setdefault("jichikai.push", {})
    if state.get("worker") is not None:
        return state["worker"]
    with _embedded_lock:
        if state.get("worker") is None:
            worker = Worker(app)
            worker.start()
            state["worker"] = worker
            log.info("embedded worker started in process %s", os.getpid())
    return state["worker"]
