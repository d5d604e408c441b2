"""Benchmark of the circulars' busiest pages on a large association.

Seeds 5,000 households in 200 blocks with 3,000 notices (years of circulars: Japanese titles
and bodies built from everyday phrases, a fifth of them expired) and 60% of households'
receipts for the newest 300 into a fresh SQLite file (or JICHIKAI_BENCH_DATABASE_URL), then
prints p50/p95 over 50 requests and the SQL query count for the member feed, a leader's
receipts for one notice and block, the officers' per-block table, and the search (words of
three characters and more through the trigram index, shorter ones through LIKE) and archive
pages. Each row also gives its p95 as a multiple of the member feed's, measured in the same
rounds (every page once a round), so that the machine's busy moments weigh on all alike.

    .venv/bin/python bench/notices.py
    createdb bench_notices && \
      JICHIKAI_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_notices \
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
from sqlalchemy import event, insert, text  # noqa: E402

from jichikai import create_app  # noqa: E402
from jichikai.auth.services import start_device  # noqa: E402
from jichikai.database import utcnow  # noqa: E402
from jichikai.extensions import db  # noqa: E402
from jichikai.notices.models import Notice, NoticeBlock, ReadReceipt  # noqa: E402
from jichikai.org.models import Block, Household, Member  # noqa: E402
from jichikai.org.services import assign_role, create_association  # noqa: E402

HOUSEHOLDS = 5_000
BLOCKS = 200
NOTICES = 3_000
READ_NOTICES = 300  # the newest ones carry receipts
EXPIRED_SHARE = 0.2
READ_SHARE = 0.6
REQUESTS = 50


SUBJECTS = [
    "防災訓練",
    "ごみ収集日の変更",
    "夏祭り",
    "盆踊り",
    "敬老会",
    "清掃活動",
    "総会",
    "役員会",
    "資源回収",
    "防犯パトロール",
    "交通安全運動",
    "街路灯の修理",
    "回覧板の回し方",
    "子ども会",
    "赤い羽根共同募金",
    "消火器の点検",
    "草刈り",
    "餅つき大会",
    "避難所の開設",
    "運動会",
]
PLACES = ["公民館", "集会所", "小学校の体育館", "中央公園", "市役所", "神社の境内", "駅前広場"]
PHRASES = [
    "ご協力をお願いいたします。",
    "雨天の場合は中止します。",
    "動きやすい服装でお越しください。",
    "詳しくは班長までお問い合わせください。",
    "お子さま連れの方も歓迎します。",
    "当日は駐車場がありません。",
    "飲み物は各自でご用意ください。",
    "参加される方は回覧板に印をお願いします。",
]


def notice_text(rng: random.Random, n: int) -> tuple[str, str]:
    """A title and a body such as associations send (a few hundred characters)."""
    subject = rng.choice(SUBJECTS)
    place = rng.choice(PLACES)
    title = f"{subject}のお知らせ（第{n}号）"
    sentences = [f"{rng.randint(1, 12)}月{rng.randint(1, 28)}日に{place}で{subject}を行います。"]
    sentences += rng.sample(PHRASES, 4)
    return title, "".join(sentences * 2)


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
    rows = []
    for n in range(NOTICES):
        title, body = notice_text(rng, n)
        published = now - timedelta(hours=3 * (NOTICES - n))
        expired = n < NOTICES * EXPIRED_SHARE
        rows.append(
            {
                "association_id": association.id,
                "title": title,
                "body": body,
                "category": rng.choice(["general", "general", "event", "city"]),
                "all_blocks": n % 5 != 0,
                "author_id": admin.id,
                "created_at": published,
                "publish_at": published,
                "published_at": published,
                "expires_at": published + timedelta(days=7) if expired else None,
                "reply_per": "household",
            }
        )
    db.session.execute(insert(Notice), rows)
    notice_ids = list(db.session.scalars(db.select(Notice.id).order_by(Notice.id)))
    db.session.execute(
        insert(NoticeBlock),
        [
            {
                "association_id": association.id,
                "notice_id": notice_id,
                "block_id": block_ids[n % BLOCKS],
            }
            for n, notice_id in enumerate(notice_ids)
            if n % 5 == 0
        ],
    )
    for notice_id in notice_ids[-READ_NOTICES:]:
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
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return {
        "admin": admin.id,
        "leader": leader.id,
        "member": member.id,
        "block": first_block.id,
        # A read notice for the whole association (every fifth goes to one block).
        "notice": notice_ids[NOTICES - READ_NOTICES // 2 + 1],
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


def count_queries(app, client, url: str) -> int:
    statements = []
    with app.app_context():
        engine = db.engine

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    client.get(url)
    event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def measure(app, client, url: str) -> tuple[float, float, int]:
    """One page alone: its p50 and p95 in ms over REQUESTS requests, and its SQL statements."""
    (times,) = measure_in_rounds([client], [url])
    times.sort()
    return (
        statistics.median(times),
        times[int(len(times) * 0.95) - 1],
        count_queries(app, client, url),
    )


def measure_in_rounds(clients: list, urls: list[str]) -> list[list[float]]:
    """Each round requests every page once, so that a busy moment of the machine weighs on
    all pages alike and the ratios to the feed stay fair."""
    for client, url in zip(clients, urls, strict=True):
        client.get(url)
    times: list[list[float]] = [[] for _ in urls]
    for _ in range(REQUESTS):
        for n, (client, url) in enumerate(zip(clients, urls, strict=True)):
            start = time.perf_counter()
            response = client.get(url)
            times[n].append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
    return times


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
        f"seeded {HOUSEHOLDS} households, {BLOCKS} blocks, {NOTICES} notices "
        f"({EXPIRED_SHARE:.0%} expired), {READ_SHARE:.0%} of the newest {READ_NOTICES} read "
        f"in {time.perf_counter() - started:.1f} s"
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
        ("search: common word", "member", "/notices/search?q=公民館", 50),
        ("search: rare word", "member", "/notices/search?q=第1234号", 50),
        ("search: two words", "member", "/notices/search?q=防災訓練　体育館", 50),
        ("search: two characters (LIKE)", "member", "/notices/search?q=草刈", 50),
        ("search: no match", "member", "/notices/search?q=花火大会", 50),
        ("search (API)", "member", "/api/v1/notices/search?q=公民館", 50),
        ("search: officer, every block", "admin", "/notices/search?q=公民館", 50),
        ("archive", "member", "/notices/archive", 50),
        ("archive, page 10", "member", "/notices/archive?page=10", 50),
    ]
    print(
        f"{'page':32} {'p50 ms':>8} {'p95 ms':>8} {'target':>8} {'p95/target':>10} "
        f"{'p95/feed':>8} {'queries':>8}"
    )
    clients = {role: logged_in_client(app, ids[role]) for role in ("member", "leader", "admin")}
    page_clients = [clients[role] for _label, role, _path, _target in pages]
    times = measure_in_rounds(page_clients, [path for _label, _role, path, _target in pages])
    baseline = None
    for (label, role, path, target), page_times in zip(pages, times, strict=True):
        page_times.sort()
        p50 = statistics.median(page_times)
        p95 = page_times[int(len(page_times) * 0.95) - 1]
        queries = count_queries(app, clients[role], path)
        baseline = baseline or p95  # the member feed, first row
        print(
            f"{label:32} {p50:8.1f} {p95:8.1f} {target:8d} {p95 / target:10.2f} "
            f"{p95 / baseline:8.2f} {queries:8d}"
        )


if __name__ == "__main__":
    main()
