"""The production shape on this machine: two gunicorn sites and two `flask worker` processes,
each on its own instance folder, sharing one PostgreSQL database and one Redis.

Select it with `pytest -m production_shape`. It needs PostgreSQL (its own database, made and
dropped here) and Redis (JICHIKAI_TEST_REDIS_URL, else redis://127.0.0.1:6379/11, keys under a
prefix of this run); without them it is skipped, in CI it fails.
"""

import os
import re
import secrets
import signal
import socket
import subprocess
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import flask_migrate
import pytest
import redis
import requests
from sqlalchemy import create_engine, func, select

from jichikai import create_app, database_url
from jichikai.auth.services import issue_card
from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.notices.models import Notice, ReadReceipt
from jichikai.notices.services import NoticeInput, create_notice
from jichikai.push.models import PushDelivery

from ..auth.test_limits import wrong_code
from ..factories import make_association, make_block, make_household, make_member
from ..notices.helpers import PDF_BYTES
from ..push.emulator import PushServiceEmulator
from ..push.helpers import subscribe_browser
from ..servers import BIN, ROOT, gunicorn_command
from .databases import drop_database, fresh_database

pytestmark = pytest.mark.production_shape

REDIS_URL = os.environ.get("JICHIKAI_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
# Seconds: about 10 s each on a quiet 2-core machine; generous for a busy one.
START_TIMEOUT = 240  # four Python processes starting together
WAIT_TIMEOUT = 120
HTTP_TIMEOUT = 90  # one request; a first page can take long while other processes start
# gunicorn's own limit on a request (30 s in gunicorn.conf.py) would kill a slow worker.
WEB_ARGS = ("--timeout", "120")
SUBSCRIBED_MEMBERS = 4
LOGIN_LIMIT = 4  # failed logins per minute and address, counted by both sites together


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"the production-shape test needs {reason}")
    pytest.skip(f"production shape: {reason}")


def _free_port() -> int:
    """A port the system has just given out (not one of a fixed range other tests scan)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, what: str, timeout: float = WAIT_TIMEOUT, logs=()):
    """Poll `condition` until it returns something true; fail with the processes' logs."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {p.name}\n{p.log_tail()}" for p in logs)
            pytest.fail(f"timed out waiting for {what}\n{tails}")
        time.sleep(0.2)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)


@dataclass
class Site:
    webs: list[str]
    processes: list[Process]
    workers: list[Process]
    engine: object
    emulator: PushServiceEmulator
    officer_token: str
    member_token: str
    scheduled_id: int
    subscriptions: list = field(default_factory=list)

    def scalar(self, query):
        with self.engine.connect() as connection:
            return connection.execute(query).scalar()


def _seed(url: str, emulator: PushServiceEmulator) -> dict:
    """The association, two cards, subscribed members and a circular due to be published."""
    setup = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "setup"})
    with setup.app_context():
        flask_migrate.upgrade()
        association, officer = make_association("みなみ自治会")
        household = make_household(make_block(association, "1班"))
        member = make_member(household, name="山田 花子")
        _card, officer_token, _code = issue_card(officer)
        _card, member_token, _code = issue_card(member)
        subscribed = [member] + [make_member(household) for _ in range(SUBSCRIBED_MEMBERS - 1)]
        browsers = [subscribe_browser(emulator, m)[0] for m in subscribed]
        later = utcnow() + timedelta(days=1)
        data = NoticeInput(title="予定の回覧", publish_at=later)
        scheduled = create_notice(association, officer, data, [], now=utcnow())
        db.session.flush()
        scheduled.publish_at = utcnow() - timedelta(minutes=1)  # due: the job publishes it
        db.session.commit()
        seeded = {
            "officer_token": officer_token,
            "member_token": member_token,
            "scheduled_id": scheduled.id,
            "browsers": browsers,
        }
        db.session.remove()
        db.engine.dispose()
    return seeded


def _start(name: str, args: list[str], env: dict, folder: Path) -> Process:
    log = folder / f"{name}.log"
    with open(log, "ab") as output:
        popen = subprocess.Popen(args, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    return Process(name, popen, log)


def _healthy(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=HTTP_TIMEOUT).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("production")
    prefix = f"jichikai-test-{secrets.token_hex(4)}"
    try:
        store = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
        store.ping()
    except redis.RedisError as error:
        _unavailable(f"Redis at {REDIS_URL}: {error}")
    url = fresh_database("prod", "the production-shape test")
    with ExitStack() as stack:
        stack.callback(drop_database, url)
        stack.callback(lambda: [store.delete(k) for k in store.scan_iter(f"{prefix}*")])
        emulator = PushServiceEmulator().start()
        stack.callback(emulator.stop)
        seeded = _seed(url, emulator)

        common = {
            key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"
        }
        common.update(
            FLASK_APP="wsgi",
            PYTHONUNBUFFERED="1",
            JICHIKAI_SQLALCHEMY_DATABASE_URI=url,
            JICHIKAI_SECRET_KEY="production-shape-secret",
            JICHIKAI_RATELIMIT_STORAGE_URI=REDIS_URL,
            JICHIKAI_RATELIMIT_KEY_PREFIX=prefix,
            JICHIKAI_LOGIN_RATE_LIMIT=f"{LOGIN_LIMIT} per minute",
            JICHIKAI_PUSH_ALLOWED_ORIGINS=emulator.origin,
            JICHIKAI_PUSH_VAPID_SUBJECT="mailto:ops@example.jp",
            JICHIKAI_PUSH_POLL_SECONDS="0.3",
            JICHIKAI_ATTACHMENT_STORAGE="database",
        )
        processes, webs, workers = [], [], []
        for n in (1, 2):
            port = _free_port()
            metrics = folder / f"metrics{n}"
            metrics.mkdir()
            env = {
                **common,
                "GUNICORN_BIND": f"127.0.0.1:{port}",
                "WEB_CONCURRENCY": "1",
                "PROMETHEUS_MULTIPROC_DIR": str(metrics),
                "JICHIKAI_INSTANCE_PATH": str(folder / f"web{n}"),
            }
            processes.append(_start(f"web{n}", gunicorn_command(*WEB_ARGS), env, folder))
            webs.append(f"http://127.0.0.1:{port}")
        for n in (1, 2):
            env = {**common, "JICHIKAI_INSTANCE_PATH": str(folder / f"worker{n}")}
            worker = _start(f"worker{n}", [str(BIN / "flask"), "worker"], env, folder)
            processes.append(worker)
            workers.append(worker)
        for process in processes:
            stack.callback(process.stop)

        for base in webs:
            wait_for(lambda base=base: _healthy(base), base, START_TIMEOUT, processes)
        for worker in workers:
            wait_for(
                lambda w=worker: "worker running" in w.log_text() or w.popen.poll() is not None,
                worker.name,
                START_TIMEOUT,
                processes,
            )
            assert worker.popen.poll() is None, worker.log_tail()

        engine = create_engine(database_url(url))
        stack.callback(engine.dispose)
        yield Site(
            webs,
            processes,
            workers,
            engine,
            emulator,
            seeded["officer_token"],
            seeded["member_token"],
            seeded["scheduled_id"],
            seeded["browsers"],
        )


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _log_in(base: str, token: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/c/{token}", timeout=HTTP_TIMEOUT)
    assert page.status_code == 200
    response = browser.post(
        f"{base}/c/{token}",
        data={"csrf_token": _csrf(page.text)},
        timeout=HTTP_TIMEOUT,
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    return browser


def test_log_in_on_one_site_and_read_on_the_other(site):
    web1, web2 = site.webs
    officer = _log_in(web1, site.officer_token)
    form = officer.get(f"{web1}/notices/new", timeout=HTTP_TIMEOUT)
    posted = officer.post(
        f"{web1}/notices/new",
        data={"csrf_token": _csrf(form.text), "title": "清掃の案内", "body": "日曜の朝です。"},
        files={"files": ("annai.pdf", PDF_BYTES, "application/pdf")},
        timeout=HTTP_TIMEOUT,
        allow_redirects=False,
    )
    assert posted.status_code == 303, posted.text[:500]
    notice_id = int(re.search(r"/notices/(\d+)", posted.headers["Location"]).group(1))

    member = _log_in(web1, site.member_token)
    page = member.get(f"{web2}/notices/{notice_id}", timeout=HTTP_TIMEOUT)  # the other site
    assert page.status_code == 200 and "清掃の案内" in page.text
    assert (
        site.scalar(
            select(func.count()).select_from(ReadReceipt).where(ReadReceipt.notice_id == notice_id)
        )
        == 1
    )
    link = re.search(rf'href="(/notices/{notice_id}/files/\d+)"', page.text).group(1)
    attachment = member.get(f"{web2}{link}", timeout=HTTP_TIMEOUT)  # written through the first site
    assert attachment.status_code == 200 and attachment.content == PDF_BYTES


def test_a_scheduled_job_runs_once_across_the_workers(site):
    wait_for(
        lambda: site.scalar(select(Notice.published_at).where(Notice.id == site.scheduled_id)),
        "the scheduled circular to be published",
        logs=site.processes,
    )
    logs = [w.log_text() for w in site.workers]
    leaders = [log.count("scheduler started in process") for log in logs]
    assert sorted(leaders) == [0, 1], leaders  # one scheduler; the other worker only sends
    runs = [log.count("job notices.publish_scheduled: published 1 notice(s)") for log in logs]
    assert sorted(runs) == [0, 1], runs
    queued = site.scalar(
        select(func.count())
        .select_from(PushDelivery)
        .where(PushDelivery.tag == f"notice-{site.scheduled_id}")
    )
    assert queued == SUBSCRIBED_MEMBERS


def test_every_push_is_delivered_once(site):
    def settled():
        with site.engine.connect() as connection:
            rows = connection.execute(select(PushDelivery.status, PushDelivery.tag)).all()
        done = rows and all(status == "sent" for status, _tag in rows)
        published = site.scalar(select(Notice.published_at).where(Notice.id == site.scheduled_id))
        return rows if done and published else None

    rows = wait_for(settled, "every push to be sent", logs=site.processes)
    received = Counter(
        (r.endpoint, (r.payload or {}).get("tag")) for r in site.emulator.received if r.status < 300
    )
    assert len(rows) >= SUBSCRIBED_MEMBERS
    assert sum(received.values()) == len(rows)  # one accepted request per outbox row
    assert all(count == 1 for count in received.values()), received.most_common(3)
    for browser in site.subscriptions:
        tags = [p.get("tag") for p in site.emulator.payloads_for(browser)]
        assert tags.count(f"notice-{site.scheduled_id}") == 1, tags


def test_login_limits_are_counted_by_both_sites_together(site):
    browser = requests.Session()

    def attempt(base: str, n: int) -> int:
        page = browser.get(f"{base}/login", timeout=HTTP_TIMEOUT).text
        data = {"code": wrong_code(1000 + n), "csrf_token": _csrf(page)}
        return browser.post(f"{base}/login/code", data=data, timeout=HTTP_TIMEOUT).status_code

    web1, web2 = site.webs
    statuses = [attempt(site.webs[n % 2], n) for n in range(LOGIN_LIMIT)]
    assert statuses == [400] * LOGIN_LIMIT
    # Each site saw only half the failures; the limit is reached on either.
    assert attempt(web2, LOGIN_LIMIT) == 429
    assert attempt(web1, LOGIN_LIMIT + 1) == 429
