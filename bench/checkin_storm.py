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
"""

from __future__ import annotations

import argparse
import asyncio
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


@dataclass
class Plan:
    member_id: int
    cookie: str
    csrf: str
    reports: list[dict] = field(default_factory=list)  # in order; duplicates repeat one


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
        distinct = {r["client_id"] for r in plan.reports}
        expected_rows += len(distinct)
        for client_id in distinct:
            if stored.get((plan.member_id, client_id)) != 1:
                problems.append(f"member {plan.member_id}: report {client_id} not stored once")
        if latest.get(plan.member_id, (0, None))[1] != plan.reports[-1]["status"]:
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


def run(backend: str, args) -> bool:
    print(
        f"\n== {backend}: {args.members} members, {args.clients} clients, "
        f"gunicorn.conf.py, workers {args.workers or 'as configured'}, "
        f"threads {args.threads or 'as configured'} =="
    )
    with tempfile.TemporaryDirectory() as folder:
        url = fresh_database(backend, args.pg_url, Path(folder))
        started = time.perf_counter()
        plans, _shelters, event_id = build_world(url, args.members, args.seed)
        requests = sum(len(p.reports) for p in plans)
        print(
            f"  set-up {time.perf_counter() - started:.1f}s; {requests} check-in requests "
            f"({requests - len(plans)} resends or second reports)"
        )
        port = args.port or free_port()
        process = start_gunicorn(url, port, args.workers, args.threads)
        base = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(plain_get(base, "/bench/trivial", 400, 20))  # warm up every worker
            name = url.rsplit("/", 1)[1] if backend == "postgresql" else "-"
            if args.flow != "api":
                checkins = measured(
                    page_storm(base, plans, args.clients, args.flow), process.pid, name
                )
            else:
                checkins = measured(storm(base, plans, args.clients), process.pid, name)
            plain = measured(
                plain_get(base, "/bench/trivial", requests, args.clients), process.pid, name
            )
            # The floor of a check-in: the same requests, answered without any work.
            empty = measured(
                storm(base, plans, args.clients, "/bench/empty-post"), process.pid, name
            )
            # The floor of any logged-in API call: session, device and member, one query.
            logged_in = measured(
                plain_get(base, "/api/v1/disaster/active", requests, args.clients, plans),
                process.pid,
                name,
            )
        finally:
            stop(process)
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
        if problems:
            print(f"  VERIFY FAILED: {len(problems)} problems, e.g. {problems[:3]}")
        else:
            print(
                f"  verified: every report stored exactly once, {len(plans)} latest statuses right"
            )
        return not problems and not checkins.errors


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
    ok = all([run(backend, args) for backend in backends])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
