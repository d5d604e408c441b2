"""Reach benchmark: a disaster event for 5,000 members on mixed channels, against emulators.

    .venv/bin/python bench/reach.py [--members 5000] [--latency 0.05]
        [--database postgresql://postgres@127.0.0.1:5432/bench_mail] [--naive-sample 100]

Each channel's service runs in its own process on 127.0.0.1, as it would be elsewhere:
- email: an SMTP server (aiosmtpd, tests/mail/smtp_server.py) answering every command
  (EHLO, MAIL, RCPT, DATA, QUIT) after `--latency` seconds;
- push: the push service emulator (tests/push/emulator.py), answering after `--latency`;
- LINE: the Messaging API emulator (tests/line/emulator.py), answering after `--latency`
  (one association's official account; identical messages go by multicast of 500).

Members get channels at random (seeded, each independently): Web Push, email (one in ten at a
carrier's feature-phone domain), LINE, several, or none. The event is started with
disaster.services.start_event (reach.notify queues every working channel); then each
channel's sender runs in its own thread until nothing is due, as the worker's loops do.
Printed per channel: messages, time until the last one was accepted, messages per second.
For email it also measures, on a sample of `--naive-sample` of the same messages, one SMTP
connection per message (Flask-Mailman's EmailMessage.send() with a new connection each) and
one reused connection without parallelism, and prints the ratios.

Adding a channel: write a `ChannelBench` (start its emulator process, point the app's
settings at it, give members contacts) and append it to `CHANNELS`; the rest follows.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seeding import (  # noqa: E402  (bench/ is the script's own folder)
    insert_contacts,
    insert_members,
    insert_push_subscriptions,
    recreate_postgresql,
)

CARRIERS = ("docomo.ne.jp", "ezweb.ne.jp", "softbank.ne.jp", "i.softbank.jp")


# -- emulators, each in a process of its own ---------------------------------------------------


def _serve(make, pipe) -> None:
    """Child process: start an emulator, send what the parent needs, answer until told to stop."""
    emulator, info = make()
    pipe.send(info)
    while True:
        request = pipe.recv()
        if request == "stop":
            emulator.stop()
            pipe.send(None)
            return
        pipe.send(request(emulator))


def _smtp(latency: float):
    from tests.mail.smtp_server import SmtpServer

    server = SmtpServer(latency=latency).start()
    return server, (server.host, server.port)


def _push(latency: float, count: int):
    from tests.push.emulator import PushServiceEmulator

    emulator = PushServiceEmulator(latency=latency, decrypt_every=50).start()
    return emulator, (
        emulator.origin,
        [emulator.new_subscription().to_json() for _ in range(count)],
    )


class Emulator:
    """The parent's handle on an emulator process."""

    def __init__(self, make: Callable) -> None:
        self.pipe, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("fork").Process(
            target=_serve, args=(make, child), daemon=True
        )
        self.process.start()
        self.info = self.pipe.recv()

    def ask(self, question: Callable):
        self.pipe.send(question)
        return self.pipe.recv()

    def stop(self) -> None:
        self.ask("stop")
        self.process.join(5)


def _line(latency: float):
    from tests.line.emulator import TOKEN, LineEmulator

    emulator = LineEmulator(latency=latency).start()
    return emulator, (emulator.origin, TOKEN)


def _line_counts(emulator) -> tuple[int, int]:
    """Messages LINE accepted (one per user of each multicast), and the requests."""
    sends = emulator.sends()
    return sum(len(r.to) for r in sends), len(sends)


def _smtp_counts(server) -> tuple[int, int]:
    return len(server.received), server.connections


def _push_counts(emulator) -> tuple[int, int]:
    return sum(1 for r in emulator.received if r.status == 201), 0


# -- channels -----------------------------------------------------------------------------------


@dataclass
class ChannelBench:
    """One channel of the benchmark: its emulator, the app's settings, the members' routes."""

    name: str
    share: float  # members with this channel (chosen independently of the others)
    start: Callable[[argparse.Namespace], Emulator]
    settings: Callable[[Emulator], dict]
    add_routes: Callable[[Emulator, list], None]  # (emulator, members given this channel)
    accepted: Callable  # emulator-side: (accepted messages, connections)


def _domain(rng: random.Random) -> str:
    """One address in ten at a carrier's feature-phone domain."""
    return rng.choice(CARRIERS) if rng.random() < 0.1 else "example.jp"


def _add_email(emulator: Emulator, members: list) -> None:
    rng = random.Random(13)
    insert_contacts(members, "email", lambda m: f"m{m.id}@{_domain(rng)}", "association")


def _add_line(emulator: Emulator, members: list) -> None:
    from jichikai.extensions import db
    from jichikai.line.crypto import seal
    from jichikai.line.models import LineAccount

    if not members:
        return
    _origin, token = emulator.info
    db.session.add(
        LineAccount(
            association_id=members[0].association_id,
            basic_id="@bench",
            access_token=seal(token),
            channel_secret=seal("bench-secret"),
        )
    )
    insert_contacts(members, "line", lambda m: f"U{m.id:032x}", "channel")


def _add_push(emulator: Emulator, members: list) -> None:
    _origin, subscriptions = emulator.info
    insert_push_subscriptions(members, subscriptions)


CHANNELS = [
    ChannelBench(
        "push",
        0.6,
        lambda a: Emulator(lambda: _push(a.latency, a.members)),
        lambda e: {"PUSH_ALLOWED_ORIGINS": e.info[0], "PUSH_VAPID_SUBJECT": "mailto:b@example.jp"},
        _add_push,
        _push_counts,
    ),
    ChannelBench(
        "email",
        0.5,
        lambda a: Emulator(lambda: _smtp(a.latency)),
        lambda e: {"MAIL_SERVER": e.info[0], "MAIL_PORT": e.info[1]},
        _add_email,
        _smtp_counts,
    ),
    ChannelBench(
        "line",
        0.4,
        lambda a: Emulator(lambda: _line(a.latency)),
        lambda e: {"LINE_API_BASE": e.info[0]},
        _add_line,
        _line_counts,
    ),
]


# -- the run ------------------------------------------------------------------------------------


def build_app(database: str, instance: str, settings: dict):
    from jichikai import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "SECRET_KEY": "bench",
            "MAIL_DEFAULT_SENDER": "jichikai@kairan.example.jp",
            "PUBLIC_URL": "https://kairan.example.jp",
            **settings,
        },
        instance_path=instance,
    )
    return app


def fresh_database(url: str | None, folder: str) -> str:
    if not url:
        return f"sqlite:///{folder}/bench.sqlite3"
    return recreate_postgresql(url, "bench_mail")


def seed(count: int, emulators: dict[str, Emulator], seed_value: int) -> dict[str, int]:
    """An association of `count` members; each channel given to its share of them."""
    from jichikai.extensions import db
    from jichikai.org.models import Member
    from jichikai.org.services import create_association, create_block, create_household

    association, admin = create_association("ベンチ自治会", "bench@example.jp", "管理")
    block = create_block(association, "1班")
    households = [create_household(block, f"世帯{i}") for i in range(count // 2 + 1)]
    db.session.flush()
    insert_members(association.id, [h.id for h in households], count, per_household=2)
    members = db.session.scalars(
        db.select(Member).where(Member.association_id == association.id, Member.id != admin.id)
    ).all()
    rng = random.Random(seed_value)
    given = {}
    for channel in CHANNELS:
        chosen = [m for m in members if rng.random() < channel.share]
        channel.add_routes(emulators[channel.name], chosen)
        given[channel.name] = len(chosen)
    db.session.commit()
    return given


def run_channel(app, name: str, out: dict) -> None:
    """One channel's sender until nothing is due (as a worker loop would)."""
    from jichikai.extensions import db
    from jichikai.push.channels import all_channels

    channel = {c.name: c for c in all_channels()}[name]
    with app.app_context():
        sender = channel.open(app)
        started = time.perf_counter()
        try:
            summary = sender.send_pending()
        finally:
            sender.close()
        out[name] = (time.perf_counter() - started, summary)
        db.session.remove()


def email_sample(app, emulator: Emulator, sample: int) -> dict[str, float]:
    """Seconds per message on `sample` of the event's email: a connection per message, and
    one reused connection without parallel connections."""
    from sqlalchemy import select

    from jichikai.extensions import db
    from jichikai.mail.compose import compose, outgoing
    from jichikai.mail.sender import send_batch
    from jichikai.mail.settings import get_connection, mail_settings
    from jichikai.push.models import Outbox
    from jichikai.reach.models import Contact

    settings = mail_settings(app)
    with app.app_context():
        rows = db.session.execute(
            select(Outbox, Contact.address)
            .join(Contact, Contact.id == Outbox.contact_id)
            .where(Outbox.channel == "email")
            .order_by(Outbox.id)
            .limit(sample)
        ).all()
        messages = [
            (
                row.id,
                compose(
                    outgoing(row, address, "ベンチ自治会"),
                    sender=settings.sender,
                ),
            )
            for row, address in rows
        ]
        before = emulator.ask(_smtp_counts)[0]
        started = time.perf_counter()
        for _id, message in messages:
            message.connection = get_connection(settings)  # a new connection each time
            message.send()
        naive = (time.perf_counter() - started) / len(messages)
        started = time.perf_counter()
        send_batch(app, settings, messages, lambda result: None)
        reused = (time.perf_counter() - started) / len(messages)
        assert emulator.ask(_smtp_counts)[0] - before == 2 * len(messages)
    return {"naive": naive, "reused": reused, "count": len(messages)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument(
        "--database", default=None, help="postgresql://.../bench_mail (else SQLite)"
    )
    parser.add_argument("--naive-sample", type=int, default=100)
    parser.add_argument("--connections", type=int, default=None, help="MAIL_CONNECTIONS")
    parser.add_argument("--batch-size", type=int, default=None, help="MAIL_BATCH_SIZE")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    import flask_migrate

    from jichikai.disaster.services import start_event
    from jichikai.extensions import db
    from jichikai.org.models import Association, Member

    emulators = {channel.name: channel.start(args) for channel in CHANNELS}
    settings = {}
    for channel in CHANNELS:
        settings.update(channel.settings(emulators[channel.name]))
    if args.connections:
        settings["MAIL_CONNECTIONS"] = args.connections
    if args.batch_size:
        settings["MAIL_BATCH_SIZE"] = args.batch_size
    try:
        with tempfile.TemporaryDirectory() as instance:
            database = fresh_database(args.database, instance)
            app = build_app(database, instance, settings)
            with app.app_context():
                flask_migrate.upgrade(directory=str(ROOT / "migrations"))
                given = seed(args.members, emulators, args.seed)
                association = db.session.scalar(db.select(Association))
                officer = db.session.scalar(db.select(Member).where(Member.name == "管理"))
                started = time.perf_counter()
                event = start_event(
                    association,
                    kind="earthquake",
                    title="震度6弱の地震",
                    message="大きな地震がありました。安否を知らせてください。",
                    drill=True,
                    started_by=officer,
                )
                db.session.commit()
                queued = time.perf_counter() - started
                reach = event.reach
                db.session.remove()
            config = app.config
            print(
                f"{args.members} members on {database.split('://')[0]}; latency "
                f"{args.latency * 1000:.0f} ms per command/request; MAIL_CONNECTIONS "
                f"{config['MAIL_CONNECTIONS']}, MAIL_BATCH_SIZE {config['MAIL_BATCH_SIZE']}"
            )
            print(
                f"channels given: {given}; reached {reach.reached}, by channel "
                f"{dict(reach.by_channel)}, unreached {len(reach.unreached)}; queued "
                f"{reach.rows} messages in {queued:.2f} s"
            )

            results: dict = {}
            threads = [
                threading.Thread(target=run_channel, args=(app, c.name, results)) for c in CHANNELS
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            total = time.perf_counter() - started
            print(f"{'channel':8} {'messages':>9} {'accepted':>9} {'seconds':>8} {'msg/s':>8}")
            for channel in CHANNELS:
                seconds, summary = results[channel.name]
                accepted, _connections = emulators[channel.name].ask(channel.accepted)
                print(
                    f"{channel.name:8} {summary.sent:9d} {accepted:9d} {seconds:8.2f} "
                    f"{summary.sent / seconds if seconds else 0:8.1f}"
                )
            print(f"all channels: the last message accepted after {total:.2f} s")
            whole = queued + total
            verdict = "met" if whole < 60 else "NOT met"
            print(
                f"the whole association reached (queueing + sending) in {whole:.2f} s: "
                f"target under 60 s {verdict}"
            )
            _accepted, connections = emulators["email"].ask(_smtp_counts)
            print(f"email: {connections} SMTP connections for {results['email'][1].sent} messages")

            sample = email_sample(app, emulators["email"], args.naive_sample)
            product = results["email"][0] / max(1, results["email"][1].sent)
            print(
                f"email, one connection per message ({sample['count']} sampled): "
                f"{1 / sample['naive']:.1f} msg/s"
            )
            print(
                f"email, one reused connection, no parallel connections: "
                f"{1 / sample['reused']:.1f} msg/s ({sample['naive'] / sample['reused']:.1f}x)"
            )
            print(
                f"email, as configured ({config['MAIL_CONNECTIONS']} reused connections): "
                f"{1 / product:.1f} msg/s ({sample['naive'] / product:.1f}x faster than one "
                f"connection per message)"
            )
            with app.app_context():
                db.engine.dispose()
    finally:
        for emulator in emulators.values():
            emulator.stop()


if __name__ == "__main__":
    main()
