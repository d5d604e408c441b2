"""Benchmark of the call list on a large association during an event.

Seeds 3,000 households (two members each) in 100 blocks; 70% of members have a working email
address and 30% a LINE account. Starts an event (timed: it queues every copy), marks half of
the outbox delivered and lets 30% of members answer, then prints p50/p95 over 50 requests and
the SQL query count of a leader's roll call (one block, with its call list and deliveries),
the officers' dashboard (reach by channel, call lists per block) and the time of the leaders'
alert job. SQLite in a temporary file, or JICHIKAI_BENCH_DATABASE_URL.

    .venv/bin/python bench/call_list.py
"""

import os
import random
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import flask_migrate  # noqa: E402
from sqlalchemy import insert, select, update  # noqa: E402

from bench.notices import logged_in_client, measure  # noqa: E402
from jichikai import create_app  # noqa: E402
from jichikai.disaster.calls import (  # noqa: E402
    alert_leaders,
    block_call_counts,
    event_reach,
)
from jichikai.disaster.models import CheckIn  # noqa: E402
from jichikai.disaster.services import dashboard, start_event  # noqa: E402
from jichikai.extensions import db  # noqa: E402
from jichikai.org.models import Block, Household, Member  # noqa: E402
from jichikai.org.services import assign_role, create_association  # noqa: E402
from jichikai.push.models import Outbox  # noqa: E402
from jichikai.reach.models import Contact  # noqa: E402

HOUSEHOLDS = 3_000
BLOCKS = 100
EMAIL_SHARE = 0.7
LINE_SHARE = 0.3
ANSWERED_SHARE = 0.3


def seed() -> dict:
    rng = random.Random(5)
    association, admin = create_association("ベンチ自治会", "bench@example.jp", "管理 太郎")
    db.session.execute(
        insert(Block),
        [
            {"association_id": association.id, "name": f"{n}班", "position": n}
            for n in range(BLOCKS)
        ],
    )
    block_ids = [b.id for b in db.session.scalars(select(Block).order_by(Block.id))]
    db.session.execute(
        insert(Household),
        [
            {
                "association_id": association.id,
                "block_id": block_ids[n % BLOCKS],
                "name": f"世帯{n}",
                "position": n,
                "phone": f"048-000-{n:04d}",
                "paper_only": n % 10 == 0,
                "needs_assistance": n % 15 == 0,
            }
            for n in range(HOUSEHOLDS)
        ],
    )
    households = db.session.execute(select(Household.id)).scalars().all()
    db.session.execute(
        insert(Member),
        [
            {"association_id": association.id, "household_id": h_id, "name": f"会員{h_id}-{k}"}
            for h_id in households
            for k in range(2)
        ],
    )
    members = db.session.scalars(select(Member.id).where(Member.household_id.is_not(None))).all()
    contacts = []
    for member_id in members:
        if rng.random() < EMAIL_SHARE:
            contacts.append(("email", f"m{member_id}@example.jp", member_id))
        if rng.random() < LINE_SHARE:
            contacts.append(("line", f"U{member_id}", member_id))
    db.session.execute(
        insert(Contact),
        [
            {
                "association_id": association.id,
                "member_id": member_id,
                "channel": channel,
                "address": address,
                "state": "working",
                "source": "association",
                "last_error": "",
            }
            for channel, address, member_id in contacts
        ],
    )
    first_block = db.session.get(Block, block_ids[0])
    leader = db.session.scalars(
        select(Member).join(Household).where(Household.block_id == first_block.id)
    ).first()
    assign_role(leader, "leader", by=admin, block=first_block)
    db.session.commit()
    return {"association": association.id, "admin": admin.id, "leader": leader.id}


def run_event(association_id: int, admin_id: int) -> tuple[int, float]:
    from jichikai.org.models import Association

    rng = random.Random(7)
    started = time.perf_counter()
    event = start_event(
        db.session.get(Association, association_id),
        kind="earthquake",
        title="地震",
        message="",
        drill=True,
        started_by=db.session.get(Member, admin_id),
    )
    db.session.commit()
    took = time.perf_counter() - started
    db.session.execute(
        update(Outbox)
        .where(Outbox.event_id == event.id, Outbox.id % 2 == 0)
        .values(status="sent", sent_at=event.started_at + timedelta(seconds=30))
    )
    members = db.session.execute(
        select(Member.id, Member.household_id).where(Member.household_id.is_not(None))
    ).all()
    db.session.execute(
        insert(CheckIn),
        [
            {
                "association_id": association_id,
                "event_id": event.id,
                "member_id": member_id,
                "household_id": household_id,
                "reporter_id": member_id,
                "status": "safe_home",
                "client_id": uuid.uuid4().hex,
                "created_at": event.started_at + timedelta(minutes=3),
            }
            for member_id, household_id in members
            if rng.random() < ANSWERED_SHARE
        ],
    )
    db.session.commit()
    return event.id, took


def main() -> None:
    url = os.environ.get("JICHIKAI_BENCH_DATABASE_URL")
    folder = tempfile.mkdtemp(prefix="jichikai-bench-")
    url = url or f"sqlite:///{folder}/bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        flask_migrate.upgrade()
        ids = seed()
        event_id, took = run_event(ids["association"], ids["admin"])
        rows = db.session.scalar(select(db.func.count(Outbox.id)))
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}")
    print(f"{HOUSEHOLDS * 2} members in {BLOCKS} blocks; start queued {rows} rows in {took:.2f} s")
    pages = [
        ("leader: roll call of one block", "leader", "/disaster/rollcall"),
        ("leader: roll call (API)", "leader", f"/api/v1/disaster/events/{event_id}/rollcall"),
        ("officer: dashboard", "admin", f"/disaster/events/{event_id}"),
    ]
    print(f"{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for label, role, path in pages:
        client = logged_in_client(app, ids[role])
        p50, p95, queries = measure(app, client, path)
        print(f"{label:34} {p50:8.1f} {p95:8.1f} {queries:8d}")
    with app.app_context():
        from jichikai.disaster.models import DisasterEvent
        from jichikai.org.models import Association

        event = db.session.get(DisasterEvent, event_id)
        association = db.session.get(Association, ids["association"])
        board = dashboard(event)
        now = event.started_at + timedelta(minutes=20)
        for label, work in (
            ("dashboard() alone (before this change)", lambda: dashboard(event)),
            ("event_reach() (reach by channel)", lambda: event_reach(event, board.total)),
            (
                "block_call_counts() (every block)",
                lambda: block_call_counts(event, now, association),
            ),
        ):
            times = []
            for _ in range(5):
                started = time.perf_counter()
                work()
                times.append((time.perf_counter() - started) * 1000)
            print(f"{label:42} {sorted(times)[2]:8.1f} ms (median of 5)")
        started = time.perf_counter()
        result = alert_leaders(event.started_at + timedelta(minutes=15))
        db.session.commit()
        print(
            f"alert job: {time.perf_counter() - started:.2f} s, {result.leaders} leader(s), "
            f"{result.officers} officer(s) told, {result.untold_blocks} block(s) nobody could be "
            "told of (no leader, the officers have no channel)"
        )


if __name__ == "__main__":
    main()
