"""Bulk rows the benchmarks share: members, push subscriptions, contacts, a fresh database,
and a whole city in PostgreSQL (`seed_city`).

Each function returns plain rows for `db.session.execute(insert(Model), rows)` (or runs the
insert itself), so a benchmark seeds thousands of members in one statement per table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime


def member_rows(
    association_id: int,
    household_ids: Sequence[int],
    count: int,
    per_household: int,
    created_at: datetime | None = None,
) -> list[dict]:
    """`count` members named 会員<n>, `per_household` to each household in turn."""
    rows = [
        {
            "association_id": association_id,
            "household_id": household_ids[i // per_household],
            "name": f"会員{i}",
            "kana": "",
            "language": "ja",
            "text_size": "normal",
            "push_preference": "all",
            "active": True,
        }
        for i in range(count)
    ]
    if created_at is not None:
        for row in rows:
            row["created_at"] = created_at
    return rows


def insert_members(
    association_id: int, household_ids: Sequence[int], count: int, per_household: int
) -> None:
    """Insert member_rows() in one statement."""
    from jichikai.extensions import db
    from jichikai.org.models import Member

    rows = member_rows(association_id, household_ids, count, per_household)
    db.session.execute(Member.__table__.insert(), rows)


def insert_push_subscriptions(members: Iterable, subscriptions: Iterable[dict]) -> None:
    """One push subscription (a Web Push subscription dict) per member, paired in order."""
    from jichikai.extensions import db
    from jichikai.push.models import PushSubscription

    rows = [
        {
            "association_id": member.association_id,
            "member_id": member.id,
            "endpoint": sub["endpoint"],
            "p256dh": sub["keys"]["p256dh"],
            "auth": sub["keys"]["auth"],
            "user_agent": "bench",
            "last_error": "",
            "failures": 0,
        }
        for member, sub in zip(members, subscriptions, strict=False)
    ]
    if rows:
        db.session.execute(PushSubscription.__table__.insert(), rows)


def insert_contacts(
    members: Iterable, channel: str, address_of: Callable[[object], str], source: str
) -> None:
    """A working contact on `channel` for each member, its address from `address_of(member)`."""
    from jichikai.extensions import db
    from jichikai.reach.models import Contact

    rows = [
        {
            "association_id": member.association_id,
            "member_id": member.id,
            "channel": channel,
            "address": address_of(member),
            "state": "working",
            "source": source,
            "last_error": "",
            "failures": 0,
        }
        for member in members
    ]
    if rows:
        db.session.execute(Contact.__table__.insert(), rows)


def recreate_postgresql(url: str, required_prefix: str = "bench") -> str:
    """Drop and create the PostgreSQL database of `url`; its name must start with the prefix,
    so that a benchmark never empties the test suite's database by mistake."""
    from sqlalchemy import create_engine, text

    from jichikai import database_url

    base, name = url.rsplit("/", 1)
    if not name.startswith(required_prefix):
        raise SystemExit(f"the benchmark's PostgreSQL database must be named {required_prefix}...")
    admin = create_engine(database_url(base + "/postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url


CITY_STATEMENTS = (
    (
        "associations",
        """INSERT INTO association (name, municipality, timezone, settings, created_at,
                                    passkey_policy)
           SELECT '自治会' || g, 'さいたま市', 'Asia/Tokyo', CAST(:settings AS json), now(), 'any'
           FROM generate_series(1, :associations) g""",
    ),
    (
        "blocks",
        """INSERT INTO block (association_id, name, position)
           SELECT a.id, b || '班', b FROM association a, generate_series(1, :blocks) b
           ORDER BY a.id, b""",
    ),
    (
        "households",
        """INSERT INTO household (association_id, block_id, name, town, address_line, position,
                                  people_count, phone, paper_only, needs_assistance,
                                  assistance_note, created_at)
           SELECT bl.association_id, bl.id, '世帯' || bl.id || '-' || h, '', '', h, 2, '',
                  h % 15 = 0, h % 20 = 0, '', now()
           FROM block bl, generate_series(1, :per_block) h ORDER BY bl.id, h""",
    ),
    (
        "members",
        """INSERT INTO member (association_id, household_id, name, kana, language, text_size,
                               push_preference, active, created_at)
           SELECT hh.association_id, hh.id, '会員' || hh.id || '-' || m, '', 'ja', 'normal',
                  'all', true, now()
           FROM household hh, generate_series(1, :per_household) m ORDER BY hh.id, m""",
    ),
    (
        "push subscriptions",
        """INSERT INTO push_subscription (association_id, member_id, endpoint, p256dh, auth,
                                          user_agent, created_at, last_error, failures)
           SELECT first.association_id, first.id, :origin || '/push/h' || first.household_id,
                  :p256dh, :auth, 'bench', now(), '', 0
           FROM (SELECT DISTINCT ON (household_id) id, household_id, association_id
                 FROM member ORDER BY household_id, id) first""",
    ),
    (
        "officers and leaders",
        """INSERT INTO role_assignment (association_id, member_id, role, block_id, started_at)
           SELECT association_id, min(id), 'admin', NULL, now() FROM member
           GROUP BY association_id
           UNION ALL
           SELECT hh.association_id, min(m.id), 'leader', hh.block_id, now()
           FROM member m JOIN household hh ON hh.id = m.household_id
           GROUP BY hh.association_id, hh.block_id""",
    ),
    (
        "circulars",
        """INSERT INTO notice (association_id, title, body, category, all_blocks, created_at,
                               publish_at, published_at, reply_per, event_place, ack_required)
           SELECT a.id, '回覧' || n, 'お知らせです。', 'general', true,
                  now() - n * interval '3 days', now() - n * interval '3 days',
                  now() - n * interval '3 days', 'household', '', false
           FROM association a, generate_series(1, :notices) n ORDER BY a.id, n""",
    ),
    (
        "read receipts",
        """INSERT INTO read_receipt (association_id, notice_id, household_id, member_id, via,
                                     read_at)
           SELECT n.association_id, n.id, s.household_id, s.member_id, 'app', now()
           FROM notice n
           JOIN (SELECT ps.association_id, ps.member_id, m.household_id
                 FROM push_subscription ps JOIN member m ON m.id = ps.member_id
                 WHERE m.household_id % 2 = 0) s ON s.association_id = n.association_id
           WHERE n.title IN (SELECT '回覧' || g FROM generate_series(1, :read_notices) g)""",
    ),
)


def seed_city(
    associations: int,
    *,
    blocks: int,
    households_per_block: int,
    members_per_household: int,
    notices: int,
    read_notices: int,
    settings: dict,
    push_origin: str,
    push_keys: dict,
) -> list[tuple[str, int, float]]:
    """A city in PostgreSQL, an `INSERT ... SELECT generate_series` per table, then ANALYZE:
    `associations` alike, each with `blocks` blocks of `households_per_block` households of
    `members_per_household` members; the first member of each household has a push
    subscription (`push_origin`/push/h<household id>, all with `push_keys`), the first of each
    association is its admin and the first of each block its leader; `notices` circulars per
    association, the `read_notices` newest of them read by the even-numbered households.
    Returns (what, rows, seconds) for each statement. Expects empty tables."""
    import json
    import time

    from sqlalchemy import text

    from jichikai.extensions import db

    params = {
        "settings": json.dumps(settings),
        "associations": associations,
        "blocks": blocks,
        "per_block": households_per_block,
        "per_household": members_per_household,
        "origin": push_origin,
        "p256dh": push_keys["p256dh"],
        "auth": push_keys["auth"],
        "notices": notices,
        "read_notices": read_notices,
    }
    timings = []
    for what, statement in CITY_STATEMENTS:
        started = time.perf_counter()
        db.session.execute(text("SET LOCAL statement_timeout = 0"))  # the app's is for pages
        result = db.session.execute(text(statement), params)
        db.session.commit()
        timings.append((what, result.rowcount, time.perf_counter() - started))
    started = time.perf_counter()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    timings.append(("ANALYZE", 0, time.perf_counter() - started))
    return timings
