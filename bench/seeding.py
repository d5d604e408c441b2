"""Bulk rows the benchmarks share: members, push subscriptions, contacts, a fresh database.

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
