"""What a /metrics scrape costs with a large outbox and many check-ins.

    .venv/bin/python bench/metrics_scrape.py                  # PostgreSQL (bench_metrics)
    .venv/bin/python bench/metrics_scrape.py --rows 1000000 --checkins 20000 --scrapes 20

Builds a fresh PostgreSQL database (the one named in --pg-url is dropped and created again)
with one association, `--rows` outbox rows spread over the three channels (one in
`--waiting-every` pending, one sending, one failed, the rest sent, as after a month of
messages; `--waiting-every 33` is a backlog of 30,000 rows), one active event with
`--checkins` check-ins, and then scrapes /metrics `--scrapes` times in-process. It prints the
median and worst time of a scrape and of its database part (`jichikai_metrics_database_seconds`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from jichikai import create_app, database_url  # noqa: E402


def fresh_database(url: str) -> None:
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    name = url.rsplit("/", 1)[1]
    engine = create_engine(database_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def fill(rows: int, checkins: int, every: int) -> None:
    from jichikai.disaster.models import DisasterEvent
    from jichikai.extensions import db
    from jichikai.org.services import (
        create_association,
        create_block,
        create_household,
        create_member,
    )

    association, _admin = create_association("bench", "bench@example.jp", "bench", "bench")
    household = create_household(create_block(association, "1"), "h")
    member = create_member(household, "m")
    event = DisasterEvent(
        association_id=association.id,
        active_association_id=association.id,
        kind="earthquake",
        title="bench",
    )
    db.session.add(event)
    db.session.commit()
    outbox = f"""INSERT INTO push_delivery (association_id, channel, kind, language, title, body,
        url, tag, urgency, ttl, status, attempts, next_attempt_at, created_at, expires_at,
        last_error)
        SELECT {association.id}, (ARRAY['push','push','email','line'])[1 + i % 4], 'notice',
               'ja', 't', '', '/', '', 'normal', 3600,
               CASE WHEN i % {every} = 0 THEN 'pending' WHEN i % {every} = 1 THEN 'sending'
                    WHEN i % {every} = 2 THEN 'failed' ELSE 'sent' END,
               1, now() - (i % 3600) * interval '1 second', now(), now() + interval '1 day', ''
        FROM generate_series(1, {rows}) AS i"""
    reports = f"""INSERT INTO check_in (association_id, event_id, member_id, household_id, proxy,
        channel, status, place, help_kind, note, extra_people, client_id, created_at)
        SELECT {association.id}, {event.id}, {member.id}, {household.id}, false,
               (ARRAY['app','proxy','email','line'])[1 + i % 4], 'safe_home', '', '', '', 0,
               'client-' || i, now()
        FROM generate_series(1, {checkins}) AS i"""
    with db.engine.begin() as connection:
        connection.execute(text(outbox))
        connection.execute(text(reports))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/bench_metrics")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--checkins", type=int, default=20_000)
    parser.add_argument("--scrapes", type=int, default=20)
    parser.add_argument(
        "--waiting-every",
        type=int,
        default=1000,
        help="one row in this many is pending, one sending and one failed; the rest are sent",
    )
    args = parser.parse_args()

    import flask_migrate

    fresh_database(args.pg_url)
    config = {"SQLALCHEMY_DATABASE_URI": args.pg_url, "SECRET_KEY": "bench"}
    app = create_app({**config, "DATABASE_STATEMENT_TIMEOUT_SECONDS": 0})  # the filling
    with app.app_context():
        flask_migrate.upgrade()
        started = time.perf_counter()
        fill(args.rows, args.checkins, args.waiting_every)
        print(f"{args.rows:,} outbox rows in {time.perf_counter() - started:.1f} s")

    client = app.test_client()
    totals, database = [], []
    for _ in range(args.scrapes):
        started = time.perf_counter()
        body = client.get("/metrics").get_data(as_text=True)
        totals.append(time.perf_counter() - started)
        line = next(x for x in body.splitlines() if x.startswith("jichikai_metrics_database_"))
        database.append(float(line.split()[-1]))
    print(
        f"scrape: median {statistics.median(totals) * 1000:.1f} ms, "
        f"worst {max(totals) * 1000:.1f} ms; database part: median "
        f"{statistics.median(database) * 1000:.1f} ms, worst {max(database) * 1000:.1f} ms"
    )
    with app.app_context():
        from jichikai.extensions import db

        db.engine.dispose()


if __name__ == "__main__":
    main()
