"""Check-in storm: 5,000 members report their safety at once through the API.

    .venv/bin/python bench/checkin_storm.py                      # PostgreSQL and SQLite
    .venv/bin/python bench/checkin_storm.py --backend postgresql --members 5000 --clients 200

For each backend: builds a fresh database (PostgreSQL: the database named in --pg-url is
dropped and created again; SQLite: a file in a temporary folder), an association with
`--members` members in two-person households, an active event and one logged-in device per
member; starts gunicorn (`--workers` workers, sync or with `--threads`, on 127.0.0.1 and a
free port); then every member posts a check-in for that event (`event_id`) through
`POST /api/v1/disaster/checkins` from `--clients` concurrent clients.
Some reports are sent twice with the same client_id (must be stored once) and some members
report a second time (the latest must decide). It prints throughput, p50/p95/p99 latency, errors
and CPU per request, and verifies the database. On the same setup it also measures a trivial
Flask endpoint, the same check-in requests sent to a view that only parses them (the floor of a
check-in) and a logged-in read.

Open loop (`--rate`, `--search`): phones do not wait for each other, so check-ins arrive at a
fixed rate whether or not earlier ones have been answered. `--rate N` starts N requests a
second for `--duration` seconds, each on a new connection, and measures every latency from the
moment the request was due to start (a request held up by the client or the server counts its
wait: no coordinated omission). Each member's reports go out in order (a member's next report
waits for the answer to the previous one, its latency still counted from when it was due);
some are resends of the member's previous report. `--search` finds the highest rate whose p95
stays under `--p95-ms` with no errors (doubling, then bisection) for the check-in and for the
empty POST, and prints the ratio. Every report is verified in the database afterwards.

    .venv/bin/python bench/checkin_storm.py --backend postgresql --rate 400 --duration 10
    .venv/bin/python bench/checkin_storm.py --backend postgresql --search
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from seeding import member_rows, recreate_postgresql  # noqa: E402
from sqlalchemy import create_engine, func, insert, select  # noqa: E402

SECRET = "bench-secret-" + secrets.token_hex(8)
USER_AGENT = "checkin-storm"  # with 127.0.0.1, what the session's "_id" was made from
TICKS = os.sysconf("SC_CLK_TCK")
RESEND_SHARE = 0.05  # open loop: reports that are a resend of the member's previous one
REQUEST_TIMEOUT = 10  # seconds; an open-loop request not answered by then is an error


@dataclass
class Plan:
    member_id: int
    cookie: str
    csrf: str
    reports: list[dict] = field(default_factory=list)  # in order; duplicates repeat one
    # Open loop: reports whose answer never came (an error): stored once or not at all.
    uncertain: set[str] = field(default_factory=set)


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # seconds: server, database, client

    def error(self, key: str) -> None:
        self.errors[key] = self.errors.get(key, 0) + 1


def cpu_seconds(gunicorn_group: int, database: str) -> dict[str, float]:
    """CPU used so far by the gunicorn processes and the database's PostgreSQL backends."""
    used = {"server": 0.0, "database": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / TICKS
        if int(fields[2]) == gunicorn_group:
            used["server"] += seconds
        elif cmdline.startswith("postgres:") and f" {database} " in cmdline:
            used["database"] += seconds
    return used


def measured(phase, gunicorn_group: int, database: str) -> Outcome:
    """Run one asyncio phase and record the CPU it cost the server, database and client."""
    before = cpu_seconds(gunicorn_group, database)
    client_before = time.process_time()
    outcome = asyncio.run(phase)
    client = time.process_time() - client_before
    after = cpu_seconds(gunicorn_group, database)
    outcome.cpu = {key: after[key] - before[key] for key in before}
    outcome.cpu["client"] = client
    return outcome


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_database(backend: str, pg_url: str, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'bench.sqlite3'}"
    return recreate_postgresql(pg_url)


def build_world(url: str, members: int, seed: int) -> tuple[list[Plan], list[int], int]:
    """Schema, association, members, devices, an event; returns the plans of every member."""
    import flask_migrate
    from flask.sessions import SecureCookieSessionInterface
    from flask_login.utils import _create_identifier
    from itsdangerous import URLSafeTimedSerializer

    from jichikai import create_app
    from jichikai.auth.models import Device
    from jichikai.auth.services import session_hash
    from jichikai.database import utcnow
    from jichikai.disaster.services import start_event
    from jichikai.disaster.shelters import add_own_place
    from jichikai.extensions import db
    from jichikai.org.models import Household, Member
    from jichikai.org.services import create_association, create_block

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET})
    rng = random.Random(seed)
    with app.app_context():
        flask_migrate.upgrade()
        association, _admin = create_association(
            "ベンチ自治会",
            f"bench-{uuid.uuid4().hex[:8]}@example.jp",
            "管理",
            center=(35.85, 139.62),
        )
        blocks = [create_block(association, f"{n}班") for n in range(1, 51)]
        shelters = [
            add_own_place(association, name=f"避難所{n}", lat=35.85 + n / 1000, lon=139.62)
            for n in range(3)
        ]
        now = utcnow()
        households = [
            {
                "association_id": association.id,
                "block_id": blocks[i % len(blocks)].id,
                "name": f"世帯{i}",
                "town": "",
                "address_line": "",
                "position": i,
                "people_count": 2,
                "phone": "",
                "paper_only": False,
                "needs_assistance": False,
                "assistance_note": "",
                "created_at": now,
            }
            for i in range((members + 1) // 2)
        ]
        db.session.execute(insert(Household), households)
        household_ids = db.session.scalars(
            select(Household.id)
            .where(Household.association_id == association.id)
            .order_by(Household.id)
        ).all()
        db.session.execute(
            insert(Member), member_rows(association.id, household_ids, members, 2, now)
        )
        member_ids = db.session.scalars(
            select(Member.id)
            .where(Member.association_id == association.id, Member.household_id.is_not(None))
            .order_by(Member.id)
        ).all()
        session_ids = {member_id: secrets.token_urlsafe(32) for member_id in member_ids}
        db.session.execute(
            insert(Device),
            [
                {
                    "association_id": association.id,
                    "member_id": member_id,
                    "session_hash": session_hash(session_id),
                    "method": "bench",
                    "user_agent": "",
                    "created_at": now,
                    "last_seen_at": now,
                }
                for member_id, session_id in session_ids.items()
            ],
        )
        event = start_event(association, kind="earthquake", title="ベンチ", message="", drill=True)
        shelter_ids = [s.id for s in shelters]
        db.session.commit()
        event_id = event.id

        signer = SecureCookieSessionInterface().get_signing_serializer(app)
        csrf_signer = URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token")
        # The session a login leaves behind: Flask-Login's "_id" identifies the client, so
        # that the session is not rewritten (and the cookie not sent again) on every request.
        with app.test_request_context(
            headers={"User-Agent": USER_AGENT}, environ_base={"REMOTE_ADDR": "127.0.0.1"}
        ):
            identifier = _create_identifier()
        plans = []
        for member_id, session_id in session_ids.items():
            raw = secrets.token_hex(20)
            cookie = signer.dumps(
                {"_user_id": session_id, "_fresh": True, "_id": identifier, "csrf_token": raw}
            )
            plan = Plan(member_id, cookie, csrf_signer.dumps(raw))
            plan.reports.append(_report(rng, shelter_ids, event_id))
            roll = rng.random()
            if roll < 0.05:  # a resend of the same report (a flaky network)
                plan.reports.append(dict(plan.reports[0]))
            elif roll < 0.15:  # a second, newer report
                plan.reports.append(_report(rng, shelter_ids, event_id))
            plans.append(plan)
    return plans, shelter_ids, event_id


def _report(rng: random.Random, shelter_ids: list[int], event_id: int) -> dict:
    status = rng.choices(
        ["safe_home", "at_shelter", "elsewhere", "need_help"], weights=[70, 20, 5, 5]
    )[0]
    body = {"event_id": event_id, "status": status, "client_id": uuid.uuid4().hex}
    if status == "at_shelter":
        body["shelter_id"] = rng.choice(shelter_ids)
    elif status == "elsewhere":
        body["place"] = "親せきの家"
    elif status == "need_help":
        body["help_kind"] = "supplies"
    return body


def start_gunicorn(url: str, port: int, workers: int | None, threads: int | None):
    env = {
        **os.environ,
        "JICHIKAI_SQLALCHEMY_DATABASE_URI": url,
        "JICHIKAI_SECRET_KEY": SECRET,
        "PYTHONPATH": str(ROOT),
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--config",
        str(ROOT / "gunicorn.conf.py"),  # the production settings, unless overridden here
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    if workers:
        command += ["--workers", str(workers)]
    if threads:
        command += [
            "--worker-class",
            "gthread" if threads > 1 else "sync",
            "--threads",
            str(threads),
        ]
    process = subprocess.Popen(
        command + ["bench.storm_wsgi:app"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


async def each_member(plans: list[Plan], clients: int, member) -> Outcome:
    """Run `member(session, plan, outcome)` for every plan from `clients` concurrent clients,
    each on new connections (as phones are), and time the whole run."""
    outcome = Outcome()
    queue: asyncio.Queue = asyncio.Queue()
    for plan in plans:
        queue.put_nowait(plan)
    connector = aiohttp.TCPConnector(limit=clients, force_close=True)
    timeout = aiohttp.ClientTimeout(total=60)
    jar = aiohttp.DummyCookieJar()  # the session cookie is sent as the phone sends it

    async def client(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            await member(session, queue.get_nowait(), outcome)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout, cookie_jar=jar) as s:
        started = time.perf_counter()
        await asyncio.gather(*(client(s) for _ in range(clients)))
        outcome.elapsed = time.perf_counter() - started
    return outcome


async def storm(
    base: str, plans: list[Plan], clients: int, path: str = "/api/v1/disaster/checkins"
) -> Outcome:
    """Every member's reports through the API; one latency per request."""

    async def member(session: aiohttp.ClientSession, plan: Plan, outcome: Outcome) -> None:
        headers = {
            "Cookie": f"session={plan.cookie}",
            "X-CSRFToken": plan.csrf,
            "User-Agent": USER_AGENT,
        }
        for body in plan.reports:
            started = time.perf_counter()
            try:
                async with session.post(base + path, json=body, headers=headers) as response:
                    await response.read()
                    if response.status not in (200, 201):
                        outcome.error(f"HTTP {response.status}")
                        continue
            except (TimeoutError, aiohttp.ClientError) as error:
                outcome.error(type(error).__name__)
                continue
            outcome.latencies.append(time.perf_counter() - started)

    return await each_member(plans, clients, member)


async def page_storm(base: str, plans: list[Plan], clients: int, flow: str) -> Outcome:
    """Check in as a member does on the phone: open the check-in page, then report through the
    JSON API as the page's script does ("pages"), or without JavaScript send the form and see
    the page again after the redirect ("form"). One latency per member: the whole flow."""

    async def member(session: aiohttp.ClientSession, plan: Plan, outcome: Outcome) -> None:
        headers = {"Cookie": f"session={plan.cookie}", "User-Agent": USER_AGENT}
        started = time.perf_counter()
        try:
            async with session.get(base + "/disaster/checkin", headers=headers) as response:
                await response.read()
                if response.status != 200:
                    outcome.error(f"page HTTP {response.status}")
                    return
            for body in plan.reports:
                if flow == "pages":
                    request = session.post(
                        base + "/api/v1/disaster/checkins",
                        json={**body, "member_ids": [plan.member_id]},
                        headers={**headers, "X-CSRFToken": plan.csrf},
                    )
                else:  # follows the redirect to the page
                    form = {"csrf_token": plan.csrf, "member_ids": str(plan.member_id)}
                    form.update({key: str(value) for key, value in body.items()})
                    request = session.post(base + "/disaster/checkin", data=form, headers=headers)
                async with request as response:
                    await response.read()
                    redirected = flow == "pages" or response.history
                    if response.status not in (200, 201) or not redirected:
                        outcome.error(f"report HTTP {response.status}")
                        return
        except (TimeoutError, aiohttp.ClientError) as error:
            outcome.error(type(error).__name__)
            return
        outcome.latencies.append(time.perf_counter() - started)

    return await each_member(plans, clients, member)


async def plain_get(
    base: str, path: str, requests: int, clients: int, plans: list[Plan] | None = None
) -> Outcome:
    """GET `path` `requests` times; with `plans`, as those members (cycling)."""
    outcome = Outcome()
    remaining = [requests]
    connector = aiohttp.TCPConnector(limit=clients, force_close=True)

    async def client(session: aiohttp.ClientSession) -> None:
        while remaining[0] > 0:
            remaining[0] -= 1
            headers = {"User-Agent": USER_AGENT}
            if plans:
                headers["Cookie"] = f"session={plans[remaining[0] % len(plans)].cookie}"
            started = time.perf_counter()
            try:
                async with session.get(base + path, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        outcome.error(f"HTTP {response.status}")
                        continue
            except aiohttp.ClientError as error:
                outcome.error(type(error).__name__)
                continue
            outcome.latencies.append(time.perf_counter() - started)

    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        outcome.elapsed = time.perf_counter() - started
    return outcome


@dataclass
class Arrivals:
    """What the open-loop runs send: the members in turn, each time a new report or (one in
    twenty) a resend of the member's previous one. With `record`, what was sent is kept in the
    plans for `verify`."""

    plans: list[Plan]
    shelter_ids: list[int]
    event_id: int
    rng: random.Random
    record: bool = True
    turn: int = 0
    last: dict[int, asyncio.Future] = field(default_factory=dict)  # member: their last request

    def next(self) -> tuple[Plan, dict]:
        plan = self.plans[self.turn % len(self.plans)]
        self.turn += 1
        if plan.reports and self.rng.random() < RESEND_SHARE:
            body = dict(plan.reports[-1])
        else:
            body = _report(self.rng, self.shelter_ids, self.event_id)
        if self.record:
            plan.reports.append(body)
        return plan, body


async def open_loop(
    base: str, path: str, arrivals: Arrivals, rate: float, duration: float
) -> Outcome:
    """Start `rate` requests a second for `duration` seconds, whether or not the earlier ones
    have been answered; each latency runs from when its request was due."""
    outcome = Outcome()
    loop = asyncio.get_running_loop()
    arrivals.last.clear()
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    jar = aiohttp.DummyCookieJar()
    finished = [0.0]

    async def send(session: aiohttp.ClientSession, plan: Plan, body: dict, due: float) -> None:
        earlier = arrivals.last.get(plan.member_id)
        done = arrivals.last[plan.member_id] = loop.create_future()
        headers = {
            "Cookie": f"session={plan.cookie}",
            "X-CSRFToken": plan.csrf,
            "User-Agent": USER_AGENT,
        }
        try:
            if earlier is not None:
                await earlier  # the member's reports go in order
            async with session.post(base + path, json=body, headers=headers) as response:
                await response.read()
                if response.status not in (200, 201):
                    raise aiohttp.ClientResponseError(
                        response.request_info, (), status=response.status
                    )
            outcome.latencies.append(loop.time() - due)
            if arrivals.record:
                plan.uncertain.discard(body["client_id"])
        except aiohttp.ClientResponseError as error:
            outcome.error(f"HTTP {error.status}")
            if arrivals.record:
                plan.uncertain.add(body["client_id"])
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            outcome.error(type(error).__name__)
            if arrivals.record:
                plan.uncertain.add(body["client_id"])
        finally:
            finished[0] = loop.time()
            done.set_result(None)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout, cookie_jar=jar) as s:
        started = loop.time()
        sending = []
        for n in range(max(1, round(rate * duration))):
            due = started + n / rate
            await asyncio.sleep(max(0.0, due - loop.time()))
            plan, body = arrivals.next()
            sending.append(asyncio.create_task(send(s, plan, body, due)))
        await asyncio.gather(*sending)
        outcome.elapsed = max(finished[0] - started, len(sending) / rate)
    return outcome


def open_line(name: str, rate: float, outcome: Outcome, p95_limit: float) -> bool:
    """One open-loop run: offered and achieved rate, latencies, errors; whether it passed."""
    done = len(outcome.latencies)
    achieved = done / outcome.elapsed if outcome.elapsed else 0.0
    ms = [v * 1000 for v in outcome.latencies]
    p95 = percentile(ms, 0.95)
    errors = sum(outcome.errors.values())
    passed = not errors and done > 0 and p95 < p95_limit
    print(
        f"  {name:<10} offered {rate:7.1f}/s  achieved {achieved:7.1f}/s  {done:>6} ok  "
        f"p50 {percentile(ms, 0.5):7.1f} ms  p95 {p95:7.1f} ms  p99 {percentile(ms, 0.99):7.1f} ms"
        f"  errors {errors} {outcome.errors or ''} {'pass' if passed else 'FAIL'}"
    )
    return passed


def highest_rate(trial, start: float, precision: float, most: float = math.inf) -> float:
    """The highest rate up to `most` for which `trial(rate)` passes: doubling from `start`
    until one fails, then bisection until the bounds are within `precision` (a fraction)."""
    low, high, rate = 0.0, None, min(start, most)
    while high is None:
        if not trial(rate):
            high = rate
        elif rate >= most:
            return rate
        else:
            low, rate = rate, min(rate * 2, most)
    while high - low > max(1.0, precision * high):
        rate = round((low + high) / 2, 1)
        if trial(rate):
            low = rate
        else:
            high = rate
    return low


def verify(url: str, plans: list[Plan], event_id: int) -> list[str]:
    """Every report stored exactly once; every member's latest status is the last one sent."""
    from jichikai import database_url
    from jichikai.disaster.models import CheckIn

    problems = []
    engine = create_engine(database_url(url))
    with engine.connect() as connection:
        rows = connection.execute(
            select(CheckIn.member_id, CheckIn.client_id, CheckIn.status, CheckIn.id).where(
                CheckIn.event_id == event_id
            )
        ).all()
        total = connection.scalar(
            select(func.count(CheckIn.id)).where(CheckIn.event_id == event_id)
        )
    engine.dispose()
    stored: dict[tuple[int, str], int] = {}
    latest: dict[int, tuple[int, str]] = {}
    for member_id, client_id, status, row_id in rows:
        stored[(member_id, client_id)] = stored.get((member_id, client_id), 0) + 1
        if member_id not in latest or row_id > latest[member_id][0]:
            latest[member_id] = (row_id, status)
    expected_rows = 0
    for plan in plans:
        for client_id in {r["client_id"] for r in plan.reports}:
            count = stored.get((plan.member_id, client_id), 0)
            expected_rows += count if client_id in plan.uncertain else 1
            if count != 1 and not (client_id in plan.uncertain and count == 0):
                problems.append(f"member {plan.member_id}: report {client_id} stored {count} times")
        # The latest stored is the last one sent of those stored (a member's reports go in order).
        kept = [r for r in plan.reports if stored.get((plan.member_id, r["client_id"]))]
        if kept and latest.get(plan.member_id, (0, None))[1] != kept[-1]["status"]:
            problems.append(f"member {plan.member_id}: wrong latest status")
    if total != expected_rows:
        problems.append(f"{total} rows stored, {expected_rows} expected")
    return problems


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report_line(name: str, outcome: Outcome) -> float:
    done = len(outcome.latencies)
    rate = done / outcome.elapsed if outcome.elapsed else 0.0
    ms = [v * 1000 for v in outcome.latencies]
    print(
        f"  {name:<10} {done:>6} ok in {outcome.elapsed:6.2f}s = {rate:7.1f}/s  "
        f"p50 {percentile(ms, 0.5):6.1f} ms  p95 {percentile(ms, 0.95):6.1f} ms  "
        f"p99 {percentile(ms, 0.99):6.1f} ms  mean {statistics.fmean(ms) if ms else 0:6.1f} ms  "
        f"errors {sum(outcome.errors.values())} {outcome.errors or ''}"
    )
    return rate


def cpu_line(outcome: Outcome) -> None:
    done = len(outcome.latencies) or 1
    total = sum(outcome.cpu.values()) or 1e-9
    per = ", ".join(f"{key} {seconds / done * 1000:.2f}" for key, seconds in outcome.cpu.items())
    print(
        f"  {'':<10} CPU ms per request: {per}; client share {outcome.cpu['client'] / total:.0%}"
        f"; cores busy {total / outcome.elapsed:.2f} of {os.cpu_count()}"
    )


@contextmanager
def served(backend: str, args):
    """A fresh database with the members and their event, and gunicorn serving it; yields
    (url, plans, shelter ids, event id, base URL, gunicorn's process, the database's name)."""
    with tempfile.TemporaryDirectory() as folder:
        url = fresh_database(backend, args.pg_url, Path(folder))
        started = time.perf_counter()
        plans, shelter_ids, event_id = build_world(url, args.members, args.seed)
        print(f"  set-up {time.perf_counter() - started:.1f}s")
        port = args.port or free_port()
        process = start_gunicorn(url, port, args.workers, args.threads)
        base = f"http://127.0.0.1:{port}"
        name = url.rsplit("/", 1)[1] if backend == "postgresql" else "-"
        try:
            asyncio.run(plain_get(base, "/bench/trivial", 400, 20))  # warm up every worker
            yield url, plans, shelter_ids, event_id, base, process, name
        finally:
            stop(process)


def run(backend: str, args) -> bool:
    print(
        f"\n== {backend}: {args.members} members, {args.clients} clients, "
        f"gunicorn.conf.py, workers {args.workers or 'as configured'}, "
        f"threads {args.threads or 'as configured'} =="
    )
    with served(backend, args) as (url, plans, _shelters, event_id, base, process, name):
        requests = sum(len(p.reports) for p in plans)
        print(f"  {requests} check-in requests ({requests - len(plans)} resends or second reports)")
        if args.flow != "api":
            checkins = measured(page_storm(base, plans, args.clients, args.flow), process.pid, name)
        else:
            checkins = measured(storm(base, plans, args.clients), process.pid, name)
        plain = measured(
            plain_get(base, "/bench/trivial", requests, args.clients), process.pid, name
        )
        # The floor of a check-in: the same requests, answered without any work.
        empty = measured(storm(base, plans, args.clients, "/bench/empty-post"), process.pid, name)
        # The floor of any logged-in API call: session, device and member, one query.
        logged_in = measured(
            plain_get(base, "/api/v1/disaster/active", requests, args.clients, plans),
            process.pid,
            name,
        )
        stop(process)  # the figures below are printed and verified with the server stopped
        rate = report_line("check-in" if args.flow == "api" else args.flow, checkins)
        cpu_line(checkins)
        if args.flow != "api":
            steps = {"pages": "the page, then the API", "form": "the page, the form, the page"}
            print(
                f"  {'':<10} {len(checkins.latencies)} members at {rate:.1f} members/s; "
                f"each: {steps[args.flow]} (CPU above is per member)"
            )
        plain_rate = report_line("trivial", plain)
        cpu_line(plain)
        empty_rate = report_line("empty POST", empty)
        cpu_line(empty)
        login_rate = report_line("auth read", logged_in)
        cpu_line(logged_in)
        problems = verify(url, plans, event_id)
        ratios = f"  ratio empty POST / trivial: {empty_rate / plain_rate:.0%}"
        if args.flow == "api":  # the others count members, not requests
            ratios += (
                f"; check-in / trivial: {rate / plain_rate:.0%}; check-in / logged-in read "
                f"(GET /api/v1/disaster/active): {rate / login_rate:.0%}"
            )
        print(ratios)
        read_cpu, trivial_cpu = (
            o.cpu["server"] / (len(o.latencies) or 1) for o in (logged_in, plain)
        )
        cpu_ratio = f"{read_cpu / trivial_cpu:.1f}x" if trivial_cpu else "not measured (too few)"
        print(f"  server CPU per request, logged-in read / trivial: {cpu_ratio}")
        if problems:
            print(f"  VERIFY FAILED: {len(problems)} problems, e.g. {problems[:3]}")
        else:
            print(
                f"  verified: every report stored exactly once, {len(plans)} latest statuses right"
            )
        return not problems and not checkins.errors


def run_open(backend: str, args) -> bool:
    """Open loop: one rate (`--rate`), or the highest rate that keeps the p95 (`--search`)."""
    mode = f"rate {args.rate}/s" if args.rate else f"search, p95 under {args.p95_ms:g} ms"
    print(
        f"\n== {backend}: open loop, {mode}, {args.duration:g}s per run, {args.members} members,"
        f" gunicorn.conf.py, workers {args.workers or 'as configured'}, "
        f"threads {args.threads or 'as configured'} =="
    )
    with served(backend, args) as (url, plans, shelter_ids, event_id, base, process, name):
        for plan in plans:
            plan.reports.clear()  # what the runs send is recorded as they send it
        rng = random.Random(args.seed)
        checkins = Arrivals(plans, shelter_ids, event_id, rng)
        floor = Arrivals(plans, shelter_ids, event_id, rng, record=False)
        loads = [("check-in", "/api/v1/disaster/checkins", checkins)]
        loads.append(("empty POST", "/bench/empty-post", floor))
        best: dict[str, float] = {}
        errors = 0
        for label, path, arrivals in loads:

            def trial(rate: float, label=label, path=path, arrivals=arrivals) -> bool:
                nonlocal errors
                outcome = measured(
                    open_loop(base, path, arrivals, rate, args.duration), process.pid, name
                )
                passed = open_line(label, rate, outcome, args.p95_ms)
                cpu_line(outcome)
                if label == "check-in":
                    errors += sum(outcome.errors.values())
                time.sleep(1)  # let the server settle between runs
                return passed

            if args.rate:
                trial(args.rate)
            else:
                best[label] = highest_rate(
                    trial, args.start_rate, args.precision, args.max_rate or math.inf
                )
                print(f"  {label}: highest rate {best[label]:.1f}/s")
        stop(process)
        if best:
            print(
                f"  highest rate with p95 under {args.p95_ms:g} ms and no errors: check-in "
                f"{best['check-in']:.1f}/s, empty POST {best['empty POST']:.1f}/s; "
                f"check-in / empty POST: {best['check-in'] / (best['empty POST'] or 1):.0%}"
            )
        problems = verify(url, plans, event_id)
        sent = sum(len(p.reports) for p in plans)
        if problems:
            print(f"  VERIFY FAILED: {len(problems)} problems, e.g. {problems[:3]}")
        else:
            uncertain = sum(len(p.uncertain) for p in plans)
            print(
                f"  verified: {sent} check-ins sent, every answered report stored exactly once "
                f"({uncertain} unanswered: stored once or not at all), latest statuses right"
            )
    return not problems and (not args.rate or not errors)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--workers", type=int, help="default: gunicorn.conf.py")
    parser.add_argument("--threads", type=int, help="threads per worker (gthread when more than 1)")
    parser.add_argument(
        "--flow",
        choices=["api", "pages", "form"],
        default="api",
        help="api: the check-in requests alone; pages: open the check-in page, then report "
        "through the API as its script does; form: the page, the form, the page again "
        "(without JavaScript)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        help="open loop: start this many check-ins a second (then as many empty POSTs)",
    )
    parser.add_argument(
        "--search",
        action="store_true",
        help="open loop: find the highest rate keeping the p95 under --p95-ms with no errors, "
        "for the check-in and for the empty POST",
    )
    parser.add_argument("--duration", type=float, help="seconds per open-loop run (10; search 5)")
    parser.add_argument("--p95-ms", type=float, default=150.0)
    parser.add_argument("--start-rate", type=float, default=50.0, help="search: the first rate")
    parser.add_argument("--max-rate", type=float, help="search: go no higher than this")
    parser.add_argument(
        "--precision", type=float, default=0.05, help="search: stop when within this fraction"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--port", type=int, help="gunicorn's port (default: a free one)")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench_disaster"
        ),
    )
    args = parser.parse_args()
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    if args.rate or args.search:
        if args.duration is None:
            args.duration = 10.0 if args.rate else 5.0
        ok = all([run_open(backend, args) for backend in backends])
    else:
        ok = all([run(backend, args) for backend in backends])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
