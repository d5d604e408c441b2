"""City benchmark: an earthquake alert to every association of a city, against the push emulator.

    .venv/bin/python bench/city.py [--scale 1] [--database postgresql://postgres@127.0.0.1:5432/bench_city]
        [--latency 0.05] [--senders 1,2] [--page-pause 0.05]

A city the size of Saitama: 800 associations, 600,000 households (750 in each association,
15 to a block of 50 blocks), 1.2 million members (two to a household), one push subscription
per household, an officer per association, a leader per block, 10 circulars per association
with receipts from half the households on five of them. `--scale 0.1` keeps each
association's size and takes a tenth of the associations (80), so the pages measured are the
pages of a real association, and the city-wide figures are extrapolated (labelled so).

Steps, each timed:
1. seeding: `INSERT ... SELECT generate_series` per table in PostgreSQL, then ANALYZE;
2. the alert: the JMA 震度速報 sample (/work/shared/data/jma, 埼玉県南部 intensity 3) goes
   through the JMA rules of every association (`jma.poll._apply`, what a poll does with a new
   message; every association has JMA on, area 331, threshold 3, mode auto), which starts an
   event in each and queues its outbox rows; one commit, as a poll does per message;
3. the fan-out, once per `--senders` count: that many sender processes (`send_pending`, as
   `flask worker` runs it) until nothing is due, against the push emulator in its own process
   (50 ms per request; it checks every VAPID JWT once and decrypts one message in 50); the
   time until the last push is accepted;
4. meanwhile, a process asks for the member feed (/notices/), the leader's roll call
   (/disaster/rollcall), the officer dashboard (/disaster/events/<id>) of one association and
   /healthz (the trivial endpoint) in turn, through the WSGI app in process (Flask's test
   client: no HTTP server, no network), pausing `--page-pause` seconds between requests; it
   prints each page's p50/p95 and SQL query count, during the fan-out and at rest before it.

The database must be named bench_city... (it is dropped and created again).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seeding import recreate_postgresql, seed_city  # noqa: E402  (bench/ is the script's own folder)

JMA_MESSAGE = Path("/work/shared/data/jma/32-35_01_01_100806_VXSE51.xml")
JMA_LINK = "https://www.data.jma.go.jp/developer/xml/data/bench_VXSE51.xml"

CITY_ASSOCIATIONS = 800
BLOCKS = 50  # per association
HOUSEHOLDS_PER_BLOCK = 15  # 750 households per association, 600,000 in the city
MEMBERS_PER_HOUSEHOLD = 2
NOTICES = 10  # per association
READ_NOTICES = 5  # of which half the households read this many
SENDS_GOAL = 2000  # per second: the whole city (600,000) in 5 minutes
PAGE_GOAL = 0.100  # seconds, p95
JMA_SETTINGS = {"enabled": True, "area_code": "331", "threshold": "3", "mode": "auto"}


# -- the push service, in a process of its own ---------------------------------------------------


def run_emulator(latency: float, pipe) -> None:
    """Child process: the push service. Subscriptions share one key pair (a city's worth of
    P-256 keys would take minutes to make and are not what is measured: the sender encrypts
    each message with its own ephemeral key whatever the subscription's key)."""
    from tests.push.emulator import BrowserSubscription, PushServiceEmulator

    emulator = PushServiceEmulator(latency=latency, decrypt_every=50).start()
    shared = emulator.new_subscription()
    pipe.send((emulator.origin, shared.to_json()["keys"]))
    while True:
        request, value = pipe.recv()
        if request == "endpoints":
            for endpoint in value:
                emulator.add(BrowserSubscription(endpoint, shared.private_key, shared.auth))
            pipe.send(len(emulator.keys))
        elif request == "reset":
            with emulator._lock:
                emulator.received.clear()
                emulator.errors.clear()
                emulator.requests = 0
            pipe.send(time.process_time())
        elif request == "stats":
            with emulator._lock:
                accepted = [r.at for r in emulator.received if r.status == 201]
                pipe.send(
                    {
                        "requests": emulator.requests,
                        "accepted": len(accepted),
                        "last_accepted": max(accepted, default=0.0),
                        "decrypted": sum(1 for r in emulator.received if r.payload is not None),
                        "errors": emulator.errors[:5],
                        "cpu": time.process_time(),
                    }
                )
        elif request == "stop":
            emulator.stop()
            pipe.send(None)
            return


# -- the app ---------------------------------------------------------------------------------------


def build_app(database: str, origin: str, instance: str):
    from jichikai import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "SECRET_KEY": "bench",
            "PUSH_ALLOWED_ORIGINS": origin,
            "PUSH_VAPID_SUBJECT": "mailto:bench@example.jp",
            "PUBLIC_URL": "https://kairan.example.jp",
        },
        instance_path=instance,
    )


@dataclass(frozen=True)
class City:
    associations: int

    @property
    def households(self) -> int:
        return self.associations * BLOCKS * HOUSEHOLDS_PER_BLOCK

    @property
    def members(self) -> int:
        return self.households * MEMBERS_PER_HOUSEHOLD

    @property
    def fraction(self) -> float:
        return self.associations / CITY_ASSOCIATIONS


def seed(city: City, origin: str, keys: dict) -> list[tuple[str, int, float]]:
    """The city, a statement per table, then ANALYZE; (what, rows, seconds) of each."""
    return seed_city(
        city.associations,
        blocks=BLOCKS,
        households_per_block=HOUSEHOLDS_PER_BLOCK,
        members_per_household=MEMBERS_PER_HOUSEHOLD,
        notices=NOTICES,
        read_notices=READ_NOTICES,
        settings={"jma": JMA_SETTINGS},
        push_origin=origin,
        push_keys=keys,
    )


def endpoints() -> list[str]:
    from sqlalchemy import select

    from jichikai.extensions import db
    from jichikai.push.models import PushSubscription

    return list(db.session.scalars(select(PushSubscription.endpoint)))


def alert() -> tuple[float, int, int]:
    """The JMA message through every association's rules, committed; (seconds, events, rows)."""
    from sqlalchemy import func, select

    from jichikai.disaster.models import DisasterEvent
    from jichikai.extensions import db
    from jichikai.jma.messages import parse_message
    from jichikai.jma.poll import PollReport, _apply
    from jichikai.push.models import Outbox

    message = parse_message(JMA_MESSAGE.read_bytes(), "VXSE51")
    started = time.perf_counter()
    _apply(message, JMA_LINK, datetime.now(UTC), PollReport())
    db.session.commit()
    seconds = time.perf_counter() - started
    events = db.session.scalar(select(func.count()).select_from(DisasterEvent))
    rows = db.session.scalar(select(func.count()).select_from(Outbox))
    return seconds, events, rows


def requeue() -> None:
    """Every push of the alert due again, as if not yet sent (for the next sender count)."""
    from sqlalchemy import text

    from jichikai.extensions import db

    db.session.execute(text("SET LOCAL statement_timeout = 0"))
    db.session.execute(
        text(
            "UPDATE push_delivery SET status = 'pending', attempts = 0, sent_at = NULL,"
            " last_status = NULL, last_error = '', next_attempt_at = now()"
        )
    )
    db.session.execute(text("UPDATE outbox_tally SET count = 0"))
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("SET statement_timeout = 0"))
        connection.execute(text("VACUUM ANALYZE push_delivery"))


# -- senders and pages, each in a process of its own ---------------------------------------------


def sender_process(database: str, origin: str, instance: str, pipe) -> None:
    """One `flask worker`-like sender: once told to go, send until nothing is due;
    (sent, CPU seconds)."""
    from jichikai.push.delivery import make_sender, send_pending

    app = build_app(database, origin, instance)
    with app.app_context(), make_sender() as sender:
        pipe.send("ready")
        pipe.recv()
        cpu = time.process_time()
        sent = send_pending(sender).sent
    pipe.send((sent, time.process_time() - cpu))


def receive_or_none(pipe, process):
    """The child's next answer, or None if it died instead."""
    try:
        return receive(pipe, process)
    except (SystemExit, EOFError):
        return None


def receive(pipe, process):
    """The child's next answer; exits if the child died instead."""
    while not pipe.poll(1):
        if not process.is_alive():
            raise SystemExit(f"{process.name} ended with exit code {process.exitcode}")
    return pipe.recv()


PAGES = ("feed", "rollcall", "dashboard", "trivial")


def page_process(
    database: str, origin: str, instance: str, pause: float, collect: bool, pipe
) -> None:
    """Ask for the four pages in turn until told to stop; latencies and query counts."""
    import faulthandler
    import gc

    faulthandler.enable()  # a crash of the interpreter says where it happened
    if not collect:
        gc.disable()
    from sqlalchemy import event, select

    from jichikai.auth.services import start_device
    from jichikai.disaster.models import DisasterEvent
    from jichikai.extensions import db
    from jichikai.org.models import ROLE_ADMIN, ROLE_LEADER, Member, RoleAssignment

    app = build_app(database, origin, instance)
    queries = [0]
    with app.app_context():
        event.listen(
            db.engine, "before_cursor_execute", lambda *a: queries.__setitem__(0, queries[0] + 1)
        )
        association_id = 1
        officer = db.session.scalar(
            select(Member)
            .join(RoleAssignment, RoleAssignment.member_id == Member.id)
            .where(
                RoleAssignment.association_id == association_id, RoleAssignment.role == ROLE_ADMIN
            )
        )
        leader = db.session.scalar(
            select(Member)
            .join(RoleAssignment, RoleAssignment.member_id == Member.id)
            .where(
                RoleAssignment.association_id == association_id,
                RoleAssignment.role == ROLE_LEADER,
            )
            .order_by(RoleAssignment.id)
            .offset(1)
        )
        member = db.session.scalar(
            select(Member)
            .where(
                Member.association_id == association_id,
                Member.id.not_in([officer.id, leader.id]),
            )
            .order_by(Member.id)
            .offset(3)
        )
        event_id = db.session.scalar(
            select(DisasterEvent.id).where(DisasterEvent.association_id == association_id)
        )
        clients = {}
        for name, who in (("feed", member), ("rollcall", leader), ("dashboard", officer)):
            client = app.test_client()
            device = start_device(who, "bench")
            db.session.commit()
            with client.session_transaction() as session:
                session["_user_id"] = device.session_id
                session["_fresh"] = True
            clients[name] = client
        clients["trivial"] = app.test_client()
        db.session.remove()
    urls = {
        "feed": "/notices/",
        "rollcall": "/disaster/rollcall",
        "dashboard": f"/disaster/events/{event_id}",
        "trivial": "/healthz",
    }
    for _warm_up in range(2):  # templates compiled, caches filled: not what is measured
        for name in PAGES:
            clients[name].get(urls[name]).close()
    pipe.send("ready")
    while True:
        command = pipe.recv()
        if command == "stop":
            return
        # "run": until the parent says "enough" (or after `command` requests when a number).
        times: dict[str, list[float]] = {name: [] for name in PAGES}
        counts: dict[str, list[int]] = {name: [] for name in PAGES}
        errors: list[str] = []
        rounds = 0
        while True:
            if isinstance(command, int) and rounds >= command:
                break
            if not isinstance(command, int) and pipe.poll():
                pipe.recv()
                break
            for name in PAGES:
                queries[0] = 0
                started = time.perf_counter()
                response = clients[name].get(urls[name])
                response.get_data()
                times[name].append(time.perf_counter() - started)
                counts[name].append(queries[0])
                if response.status_code != 200 and len(errors) < 5:
                    errors.append(f"{name} {response.status_code}")
                response.close()
                time.sleep(pause)
            rounds += 1
        pipe.send((times, counts, errors))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def print_pages(label: str, answer) -> None:
    times, counts, errors = answer
    trivial = percentile(times["trivial"], 95)
    print(f"pages {label}: {len(times['feed'])} requests each")
    for name in PAGES:
        p95 = percentile(times[name], 95)
        goal = (
            ""
            if name == "trivial"
            else (
                f", {p95 / PAGE_GOAL:.2f}x the 100 ms goal ({verdict(p95 < PAGE_GOAL)})"
                f", {p95 / trivial:.1f}x the trivial endpoint"
            )
        )
        print(
            f"  {name:9} p50 {percentile(times[name], 50) * 1000:7.1f} ms  "
            f"p95 {p95 * 1000:7.1f} ms  queries {statistics.median(counts[name]):3.0f}{goal}"
        )
    if errors:
        print(f"  errors: {errors}")


# -- the run ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the city (0-1]")
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/bench_city")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--senders", default="1,2", help="sender process counts, in turn")
    parser.add_argument("--page-pause", type=float, default=0.05)
    parser.add_argument("--rest-rounds", type=int, default=20, help="page rounds before fan-out")
    parser.add_argument(
        "--page-gc",
        choices=("on", "off"),
        default="on",
        help="garbage collection in the page process (off: see docs/operations.md, City scale)",
    )
    args = parser.parse_args()

    import flask_migrate

    from jichikai.extensions import db
    from jichikai.push.vapid import app_vapid

    city = City(max(1, round(CITY_ASSOCIATIONS * args.scale)))
    senders = [int(n) for n in args.senders.split(",") if n.strip()]
    fork = multiprocessing.get_context("fork")
    push, child = fork.Pipe()
    service = fork.Process(target=run_emulator, args=(args.latency, child), daemon=True)
    service.start()
    origin, keys = push.recv()

    def ask(request, value=None):
        push.send((request, value))
        return push.recv()

    database = recreate_postgresql(args.database, "bench_city")
    print(
        f"city at scale {city.fraction:g}: {city.associations} associations, "
        f"{city.households:,} households, {city.members:,} members, "
        f"{city.households:,} push subscriptions; PostgreSQL; {os.cpu_count()} cores; "
        f"push emulator latency {args.latency * 1000:.0f} ms; load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory() as instance:
        app = build_app(database, origin, instance)
        with app.app_context():
            flask_migrate.upgrade(directory=str(ROOT / "migrations"))
            started = time.perf_counter()
            timings = seed(city, origin, keys)
            seeding = time.perf_counter() - started
            print(f"seeding: {seeding:.1f} s")
            for what, rows, seconds in timings:
                print(f"  {what:22} {rows:>10,} rows {seconds:7.1f} s")
            ask("endpoints", endpoints())

            app_vapid(app)  # the key file, before other processes read it
            seconds, events, rows = alert()
            print(
                f"alert: {events} events and {rows:,} outbox rows created and committed in "
                f"{seconds:.1f} s ({rows / seconds:,.0f} rows/s)"
            )
            db.session.remove()
            db.engine.dispose()

        # Spawned, not forked: a fork of this process (with its database pool and threads)
        # crashed once; every child builds its app from scratch, as a worker would.
        spawn = multiprocessing.get_context("spawn")
        pages, pages_child = spawn.Pipe()
        page_worker = spawn.Process(
            target=page_process,
            args=(database, origin, instance, args.page_pause, args.page_gc == "on", pages_child),
            daemon=True,
        )
        page_worker.start()
        assert receive(pages, page_worker) == "ready"
        pages.send(args.rest_rounds)
        answer = receive_or_none(pages, page_worker)
        if answer is None:
            print(f"pages: the page process ended with exit code {page_worker.exitcode}")
        else:
            print_pages("at rest (before the fan-out)", answer)

        results = {}
        for count in senders:
            if results:
                with app.app_context():
                    requeue()
                    db.session.remove()
                    db.engine.dispose()
            pipes, workers = [], []
            for _ in range(count):
                parent_end, child_end = spawn.Pipe()
                worker = spawn.Process(
                    target=sender_process,
                    args=(database, origin, instance, child_end),
                    daemon=True,
                )
                worker.start()
                pipes.append(parent_end)
                workers.append(worker)
            for pipe, worker in zip(pipes, workers, strict=True):
                assert receive(pipe, worker) == "ready"
            emulator_cpu = ask("reset")
            if page_worker.is_alive():
                pages.send("run")
            started_clock = time.monotonic()
            started = time.perf_counter()
            for pipe in pipes:
                pipe.send("go")
            answers = [receive(pipe, worker) for pipe, worker in zip(pipes, workers, strict=True)]
            elapsed = time.perf_counter() - started
            page_answer = None
            if page_worker.is_alive():
                pages.send("enough")
                page_answer = receive_or_none(pages, page_worker)
            for worker in workers:
                worker.join()
            stats = ask("stats", None)
            sent = sum(a[0] for a in answers)
            cpu = sum(a[1] for a in answers)
            last = stats["last_accepted"] - started_clock if stats["accepted"] else elapsed
            rate = stats["accepted"] / last if last > 0 else 0.0
            results[count] = (rate, last)
            print(
                f"fan-out, {count} sender process{'es' if count > 1 else ''}: {sent:,} sent, "
                f"{stats['accepted']:,} accepted by the emulator, the last after {last:.1f} s "
                f"= {rate:,.0f} sends/s ({rate / SENDS_GOAL:.2f}x the {SENDS_GOAL:,}/s goal); "
                f"senders' CPU {cpu:.1f} s ({cpu / max(1, sent) * 1000:.2f} ms a message), "
                f"emulator's CPU {stats['cpu'] - emulator_cpu:.1f} s; "
                f"{stats['decrypted']} decrypted and checked, refused {stats['errors']}; "
                f"load average {os.getloadavg()[0]:.1f}"
            )
            if page_answer is None:
                print(f"pages: the page process ended with exit code {page_worker.exitcode}")
            else:
                print_pages(f"during the fan-out with {count} sender(s)", page_answer)

        if page_worker.is_alive():
            pages.send("stop")
        page_worker.join(10)
    ask("stop")
    service.join(5)

    if results and city.fraction < 1:
        best_rate = max(rate for rate, _ in results.values())
        city_households = CITY_ASSOCIATIONS * BLOCKS * HOUSEHOLDS_PER_BLOCK
        print(
            f"EXTRAPOLATED to the whole city ({city_households:,} pushes, from scale "
            f"{city.fraction:g}, assuming rates stay as measured): alert "
            f"{seconds / city.fraction:,.0f} s to create events and outbox rows, then "
            f"{city_households / best_rate:,.0f} s to send at {best_rate:,.0f} sends/s "
            f"(goal: 300 s in all)"
        )
    elif results:
        best_rate = max(rate for rate, _ in results.values())
        print(
            f"the whole city: alert {seconds:.0f} s + sending "
            f"{min(last for _, last in results.values()):.0f} s (goal: 300 s in all)"
        )


if __name__ == "__main__":
    main()
