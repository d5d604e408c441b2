"""Fan-out benchmark: 5,000 subscriptions (each its own P-256 key) against the push emulator.

    .venv/bin/python bench/push_fanout.py [--subscriptions 5000] [--latency 0.05]
                                          [--naive-sample 100] [--database URL]

The emulator runs in its own process (as a real push service would be elsewhere), answers after
`--latency` seconds, verifies every VAPID JWT and decrypts one message in 50. Prints, in one run:
- our sender: notify() for every member, then `send_pending` end to end (claims, encryption,
  HTTP, results written back) on a fresh SQLite database (or --database);
- a naive loop of pywebpush.webpush() calls, measured on a sample and extrapolated;
- encryption alone (the CPU ceiling of one process);
and the ratios between them.
"""

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seeding import insert_members, insert_push_subscriptions  # noqa: E402


def run_emulator(count: int, latency: float, pipe) -> None:
    """Child process: the push service with `count` browser subscriptions."""
    import threading

    from tests.push.emulator import PushServiceEmulator

    emulator = PushServiceEmulator(latency=latency, decrypt_every=50).start()
    pipe.send((emulator.origin, [emulator.new_subscription().to_json() for _ in range(count)]))
    done = threading.Event()
    while not done.is_set():
        if pipe.poll(0.2):
            if pipe.recv() == "cpu":
                pipe.send(time.process_time())
                continue
            decrypted = sum(1 for r in emulator.received if r.payload is not None)
            pipe.send(
                {
                    "requests": emulator.requests,
                    "accepted": sum(1 for r in emulator.received if r.status == 201),
                    "decrypted": decrypted,
                    "errors": emulator.errors[:5],
                    "error_count": len(emulator.errors),
                    "cpu": time.process_time(),
                }
            )
            done.set()
    emulator.stop()


def build_app(database: str | None, origin: str, instance: str, encrypt_processes: int = 0):
    from jichikai import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database or f"sqlite:///{instance}/bench.sqlite3",
            "SECRET_KEY": "bench",
            "PUSH_ALLOWED_ORIGINS": origin,
            "PUSH_VAPID_SUBJECT": "mailto:bench@example.jp",
            "PUSH_ENCRYPT_PROCESSES": encrypt_processes,
        }
    )
    app.instance_path = instance
    return app


def seed(subscriptions: list[dict]) -> list:
    """One association, one block, a household per 10 members, a member per subscription."""
    from jichikai.extensions import db
    from jichikai.org.models import Member
    from jichikai.org.services import create_association, create_block, create_household

    association, _admin = create_association(
        "ベンチ自治会", "bench@example.jp", "管理", "さいたま市桜区"
    )
    block = create_block(association, "1班")
    households = [create_household(block, f"世帯{i}") for i in range(len(subscriptions) // 10 + 1)]
    db.session.flush()
    household_ids = [h.id for h in households]
    insert_members(association.id, household_ids, len(subscriptions), per_household=10)
    members = db.session.scalars(
        db.select(Member).where(Member.association_id == association.id, Member.name != "管理")
    ).all()
    insert_push_subscriptions(members, subscriptions)
    db.session.commit()
    return [m.id for m in members]


def sender_process(
    database: str | None, origin: str, instance: str, processes: int, profile: str, out
) -> None:
    """One `flask worker`-like sender: send until nothing is due; (sent, CPU seconds)."""
    from jichikai.push.delivery import make_sender, send_pending

    app = build_app(database, origin, instance, processes)
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
    cpu = time.process_time()
    with app.app_context(), make_sender() as sender:
        sent = send_pending(sender).sent
    cpu = time.process_time() - cpu
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(f"{profile}.{os.getpid()}")
    out.send((sent, cpu))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--naive-sample", type=int, default=100)
    parser.add_argument("--database", default=None, help="an empty database URL (default SQLite)")
    parser.add_argument("--senders", type=int, default=1, help="sender processes, like workers")
    parser.add_argument("--encrypt-processes", type=int, default=0)
    parser.add_argument("--profile", default="", help="cProfile each sender to PREFIX.<pid>")
    args = parser.parse_args()

    parent, child = multiprocessing.Pipe()
    service = multiprocessing.get_context("fork").Process(
        target=run_emulator, args=(args.subscriptions, args.latency, child), daemon=True
    )
    service.start()
    origin, subscriptions = parent.recv()
    print(
        f"emulator {origin}: {len(subscriptions)} subscriptions, "
        f"latency {args.latency * 1000:.0f} ms"
    )

    import flask_migrate
    from pywebpush import webpush

    from jichikai.extensions import db
    from jichikai.org.models import Member
    from jichikai.push.sender import Outgoing, encrypt
    from jichikai.push.services import PushMessage, notify, payload
    from jichikai.push.vapid import private_key_b64, public_key_b64

    with tempfile.TemporaryDirectory() as instance:
        app = build_app(args.database, origin, instance)
        with app.app_context():
            flask_migrate.upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
            members = seed(subscriptions)
            message = PushMessage(
                "回覧: 防災訓練のお知らせ",
                "11月30日(日) 9時に公園へ集まってください。",
                "/notices/1",
                "notice-1",
            )

            members = db.session.scalars(db.select(Member).where(Member.id.in_(members))).all()
            started = time.perf_counter()
            notify(members, message)
            db.session.commit()
            queued = time.perf_counter() - started

            app.extensions["jichikai.push"] = {}
            from jichikai.push.vapid import app_vapid

            app_vapid(app)  # create the key file before the senders start
            db.session.remove()
            db.engine.dispose()
            fork = multiprocessing.get_context("fork")
            pipes, workers = [], []
            parent.send("cpu")
            emulator_cpu = parent.recv()
            load = os.getloadavg()[0]
            started = time.perf_counter()
            for _ in range(args.senders):
                receive, send = fork.Pipe()
                worker = fork.Process(
                    target=sender_process,
                    args=(
                        args.database,
                        origin,
                        instance,
                        args.encrypt_processes,
                        args.profile,
                        send,
                    ),
                )
                worker.start()
                pipes.append(receive)
                workers.append(worker)
            answers = [pipe.recv() for pipe in pipes]
            elapsed = time.perf_counter() - started
            parent.send("cpu")
            emulator_cpu = parent.recv() - emulator_cpu
            sent = sum(a[0] for a in answers)
            sender_cpu = sum(a[1] for a in answers)
            for worker in workers:
                worker.join()
            summary = f"{args.senders} sender processes, {args.encrypt_processes} encrypt processes"
            ours = sent / elapsed
            print(f"queue (notify + commit): {len(members)} rows in {queued:.2f} s")
            print(f"our sender: {sent} sent in {elapsed:.2f} s = {ours:,.0f} sends/s ({summary})")
            print(
                f"CPU while sending: senders {sender_cpu:.2f} s "
                f"({sender_cpu / max(1, sent) * 1000:.2f} ms per message), "
                f"emulator {emulator_cpu:.2f} s ({emulator_cpu / elapsed:.0%} of one core), "
                f"load average before {load:.2f}"
            )

            vapid = app.extensions["jichikai.push"]["vapid"]
            private_key = private_key_b64(vapid)  # as the settings would hold it
            body = payload(message.title, message.body, message.url, message.tag)

        # A naive loop: one blocking pywebpush.webpush() call after another.
        sample = subscriptions[: args.naive_sample]
        started = time.perf_counter()
        for sub in sample:
            webpush(
                sub,
                body.decode(),
                vapid_private_key=private_key,
                vapid_claims={"sub": "mailto:bench@example.jp"},
                ttl=3600,
            )
        naive = len(sample) / (time.perf_counter() - started)
        print(
            f"naive webpush() loop: {naive:,.1f} sends/s (sample of {len(sample)}, "
            f"{args.subscriptions / naive:,.0f} s extrapolated for {args.subscriptions})"
        )

        items = [
            Outgoing(
                i,
                i,
                s["endpoint"],
                s["keys"]["p256dh"],
                s["keys"]["auth"],
                body,
                3600,
                "normal",
                None,
                None,
            )
            for i, s in enumerate(subscriptions)
        ]
        started = time.perf_counter()
        for item in items:
            encrypt(item)
        ceiling = len(items) / (time.perf_counter() - started)
        print(f"encryption alone (one core): {ceiling:,.0f} messages/s")
        assert public_key_b64(vapid)

    parent.send("stats")
    stats = parent.recv()
    service.join(10)
    print(
        f"emulator: {stats['requests']} requests, {stats['accepted']} accepted, "
        f"{stats['decrypted']} decrypted and checked, "
        f"{stats['error_count']} refused {stats['errors']}"
    )
    print(f"ratio ours / naive: {ours / naive:,.0f}x")
    print(f"ratio ours / encryption ceiling: {ours / ceiling:.2f}")
    print(f"cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
