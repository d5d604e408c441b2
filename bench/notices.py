"""Benchmark of the circulars' busiest pages on a large association.

Seeds 5,000 households in 200 blocks with 300 notices and 60% of households' receipts into a
fresh SQLite file (or JICHIKAI_BENCH_DATABASE_URL), then prints p50/p95 over 50 requests and
the SQL query count for the member feed, a leader's receipts for one notice and block, and
the officers' per-block table.

    .venv/bin/python bench/notices.py
"""

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import flask_migrate  # noqa: E402
from sqlalchemy import event, insert  # noqa: E402

from jichikai import create_app  # noqa: E402
from jichikai.auth.services import start_device  # noqa: E402
from jichikai.database import utcnow  # noqa: E402
from jichikai.extensions import db  # noqa: E402
from jichikai.notices.models import Notice, ReadReceipt  # noqa: E402
from jichikai.org.models import Block, Household, Member  # noqa: E402
from jichikai.org.services import assign_role, create_association  # noqa: E402

HOUSEHOLDS = 5_000
BLOCKS = 200
NOTICES = 300
READ_SHARE = 0.6
REQUESTS = 50


def seed() -> dict:
    rng = random.Random(3)
    association, admin = create_association("ベンチ自治会", "bench@example.jp", "管理 太郎")
    db.session.execute(
        insert(Block),
        [
            {"association_id": association.id, "name": f"{n}班", "position": n}
            for n in range(BLOCKS)
        ],
    )
    block_ids = [b.id for b in db.session.scalars(db.select(Block).order_by(Block.id))]
    db.session.execute(
        insert(Household),
        [
            {
                "association_id": association.id,
                "block_id": block_ids[n % BLOCKS],
                "name": f"世帯{n}",
                "position": n,
                "paper_only": n % 10 == 0,
            }
            for n in range(HOUSEHOLDS)
        ],
    )
    households = db.session.execute(db.select(Household.id, Household.block_id)).all()
    db.session.execute(
        insert(Member),
        [
            {"association_id": association.id, "household_id": h_id, "name": f"会員{h_id}"}
            for h_id, _block in households
        ],
    )
    member_of = dict(db.session.execute(db.select(Member.household_id, Member.id)).all())
    now = utcnow()
    db.session.execute(
        insert(Notice),
        [
            {
                "association_id": association.id,
                "title": f"回覧 {n}",
                "body": "本文です。" * 20,
                "category": "general",
                "all_blocks": True,
                "author_id": admin.id,
                "created_at": now - timedelta(hours=NOTICES - n),
                "publish_at": now - timedelta(hours=NOTICES - n),
                "published_at": now - timedelta(hours=NOTICES - n),
                "reply_per": "household",
            }
            for n in range(NOTICES)
        ],
    )
    notice_ids = list(db.session.scalars(db.select(Notice.id).order_by(Notice.id)))
    for notice_id in notice_ids:
        rows = [
            {
                "association_id": association.id,
                "notice_id": notice_id,
                "household_id": h_id,
                "member_id": member_of[h_id],
                "via": "app",
                "read_at": now,
            }
            for h_id, _block in households
            if rng.random() < READ_SHARE
        ]
        db.session.execute(insert(ReadReceipt), rows)
    first_block = db.session.get(Block, block_ids[0])
    leader_household = db.session.scalars(
        db.select(Household).where(Household.block_id == first_block.id)
    ).first()
    leader = db.session.get(Member, member_of[leader_household.id])
    member = db.session.get(Member, member_of[households[-1][0]])
    assign_role(leader, "leader", by=admin, block=first_block)
    db.session.commit()
    return {
        "admin": admin.id,
        "leader": leader.id,
        "member": member.id,
        "block": first_block.id,
        "notice": notice_ids[len(notice_ids) // 2],
    }


def logged_in_client(app, member_id: int):
    client = app.test_client()
    with app.app_context():
        device = start_device(db.session.get(Member, member_id), "bench")
        db.session.commit()
        session_id = device.session_id
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client


def measure(app, client, url: str) -> tuple[float, float, int]:
    client.get(url)
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    statements = []
    with app.app_context():
        engine = db.engine

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    client.get(url)
    event.remove(engine, "before_cursor_execute", count)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(statements)


def main() -> None:
    url = os.environ.get("JICHIKAI_BENCH_DATABASE_URL")
    folder = tempfile.mkdtemp(prefix="jichikai-bench-")
    url = url or f"sqlite:///{folder}/bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    started = time.perf_counter()
    with app.app_context():
        flask_migrate.upgrade()
        ids = seed()
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}")
    print(
        f"seeded {HOUSEHOLDS} households, {BLOCKS} blocks, {NOTICES} notices, "
        f"{READ_SHARE:.0%} read in {time.perf_counter() - started:.1f} s"
    )
    pages = [
        ("member feed", "member", "/notices/", 50),
        ("member feed (API)", "member", "/api/v1/notices", 50),
        (
            "leader: receipts of one block",
            "leader",
            f"/notices/{ids['notice']}/blocks/{ids['block']}",
            50,
        ),
        (
            "leader: receipts (API)",
            "leader",
            f"/api/v1/notices/{ids['notice']}/receipts?block_id={ids['block']}",
            50,
        ),
        ("officer: per-block table", "admin", f"/notices/{ids['notice']}/report", 150),
    ]
    print(
        f"{'page':32} {'p50 ms':>8} {'p95 ms':>8} {'target':>8} {'p95/target':>10} {'queries':>8}"
    )
    for label, role, path, target in pages:
        client = logged_in_client(app, ids[role])
        p50, p95, queries = measure(app, client, path)
        print(f"{label:32} {p50:8.1f} {p95:8.1f} {target:8d} {p95 / target:10.2f} {queries:8d}")


if __name__ == "__main__":
    main()
