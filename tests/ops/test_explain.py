"""The hot queries use indexes: EXPLAIN on PostgreSQL finds no sequential scan of a large table
in the SQL that the member feed, read receipts, the roll call, the officer dashboard and the
outbox claim send.

The SQL is not copied here: each code path runs for real (a page through the test client, the
claim through its service) while an engine listener records what it sends, and every
SELECT/UPDATE/DELETE recorded is then EXPLAINed with the same parameters.

How the planner is brought to plan as at city scale: a database of its own (made and dropped
here, beside the test database) holds 100 associations alike, seeded with the city
benchmark's statements (bench/seeding.py `seed_city`): 15,000 households, 30,000 members,
15,000 push subscriptions, 1,000 circulars and 37,500 read receipts; an event started in each
association by `start_event` (15,000 outbox rows), check-ins from half the members; then
ANALYZE. One association is then 1% of each large table (in a city of 800, 0.125%), enough
for PostgreSQL to prefer an index wherever one serves the query, so a sequential scan of a
large table means that no index does. "Large": more than LARGE_ROWS rows in pg_class
(small tables such as `association` or `block` may be scanned).

PostgreSQL only: skipped without it, failed in CI without it.
"""

import importlib.util
from contextlib import contextmanager
from datetime import timedelta

import flask_migrate
import pytest
from sqlalchemy import event, select, text

from jichikai import create_app
from jichikai.database import utcnow
from jichikai.disaster.models import DisasterEvent
from jichikai.disaster.services import start_event
from jichikai.extensions import db
from jichikai.notices.models import Notice
from jichikai.org.models import ROLE_ADMIN, ROLE_LEADER, Association, Member, RoleAssignment
from jichikai.push.delivery import claim_due

from ..conftest import TEST_CONFIG, IsolatedClient
from ..factories import login
from ..servers import ROOT
from .databases import drop_database, fresh_database

ASSOCIATIONS = 100
LARGE_ROWS = 5000


def _seeding():
    """bench/seeding.py (bench/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("bench_seeding", ROOT / "bench" / "seeding.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHECK_INS = """
INSERT INTO check_in (association_id, event_id, member_id, proxy, status, place, help_kind,
                      note, extra_people, client_id, created_at, channel)
SELECT m.association_id, e.id, m.id, false,
       CASE WHEN m.id % 10 = 0 THEN 'need_help' ELSE 'safe_home' END, '', '', '', 0,
       md5(m.id::text), now(), 'app'
FROM member m JOIN disaster_event e ON e.association_id = m.association_id
WHERE m.id % 2 = 0
"""


@pytest.fixture(scope="module")
def city():
    """The seeded database's app, and who and what the pages are asked for."""
    url = fresh_database("explain", "the EXPLAIN test")
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    app.test_client_class = IsolatedClient
    try:
        with app.app_context():
            flask_migrate.upgrade(directory=str(ROOT / "migrations"))
            _seeding().seed_city(
                ASSOCIATIONS,
                blocks=10,
                households_per_block=15,
                members_per_household=2,
                notices=10,
                read_notices=5,
                settings={},
                push_origin="https://push.example.net",
                push_keys={"p256dh": "BPk", "auth": "au"},
            )
            for association in db.session.scalars(select(Association)):
                start_event(association, kind="earthquake", title="地震", message="", drill=True)
            db.session.commit()
            db.session.execute(text(CHECK_INS))
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))
            yield app, _people(association_id=1)
            db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()
        drop_database(url)


def _people(association_id: int) -> dict:
    roles = select(RoleAssignment).where(RoleAssignment.association_id == association_id)
    officer = db.session.scalars(roles.where(RoleAssignment.role == ROLE_ADMIN)).first()
    # The second block's leader: the first block's is also the admin (the first member).
    leader = db.session.scalars(
        roles.where(RoleAssignment.role == ROLE_LEADER).order_by(RoleAssignment.id).offset(1)
    ).first()
    return {
        "officer": officer.member_id,
        "leader": leader.member_id,
        "block_id": leader.block_id,
        "member": db.session.scalar(
            select(Member.id)
            .where(Member.association_id == association_id)
            .order_by(Member.id.desc())
            .limit(1)
        ),
        "notice": db.session.scalar(
            select(Notice.id)
            .where(Notice.association_id == association_id, Notice.title == "回覧1")
            .limit(1)
        ),
        "event": db.session.scalar(
            select(DisasterEvent.id).where(DisasterEvent.association_id == association_id)
        ),
    }


@contextmanager
def recorded(engine):
    """The statements (and their parameters) `engine` sends meanwhile."""
    statements: list[tuple[str, object]] = []

    def listen(connection, cursor, statement, parameters, context, executemany):
        if not executemany:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def full_scans(plan: dict) -> list[tuple[str, str]]:
    """The relations a plan reads whole: a sequential scan, or an index scan without an index
    condition (the whole index in order); each with the scan's filter."""
    found = []
    node = plan.get("Node Type")
    if node == "Seq Scan" or (
        node in ("Index Scan", "Index Only Scan") and "Index Cond" not in plan
    ):
        found.append((plan["Relation Name"], plan.get("Filter", "")))
    for child in plan.get("Plans", ()):
        found.extend(full_scans(child))
    return found


def large_tables() -> set[str]:
    rows = db.session.execute(
        text(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND reltuples > :rows"
            " AND relnamespace = 'public'::regnamespace"
        ),
        {"rows": LARGE_ROWS},
    )
    return {name for (name,) in rows}


# When the planner scans a large table here, it is asked again with sequential scans, hash
# joins and merge joins off: if an index serves the query, the large table is then reached
# through it (an index condition from the query's filter or from a nested loop's outer row),
# as PostgreSQL does with the same query at city scale, where the table is 100 times larger
# and a full scan 100 times dearer. If the table is still read whole, no index serves it.
INDEXES_ONLY = ("enable_seqscan", "enable_hashjoin", "enable_mergejoin")


def _explain(connection, statement: str, parameters) -> dict:
    return connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()[0][
        "Plan"
    ]


def sequential_scans(statements) -> list[str]:
    """Each statement that reads a large table whole even when indexes are preferred, with
    the tables and the scans' filters."""
    large = large_tables()
    problems = []
    with db.engine.connect() as connection:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH", "UPDATE", "DELETE")):
                continue
            if not [
                t for t, _ in full_scans(_explain(connection, statement, parameters)) if t in large
            ]:
                continue
            for setting in INDEXES_ONLY:
                connection.exec_driver_sql(f"SET LOCAL {setting} = off")
            scanned = [
                (t, f)
                for t, f in full_scans(_explain(connection, statement, parameters))
                if t in large
            ]
            if scanned:
                shown = connection.exec_driver_sql("EXPLAIN " + statement, parameters)
                plan = "\n".join(line for (line,) in shown)
                problems.append(f"{scanned}: {' '.join(statement.split())}\n{plan}")
            connection.rollback()
    return problems


# (name, who asks, the address; {…} filled from the people of association 1)
PAGES = [
    ("member feed", "member", "/notices/"),
    ("circular opened (read receipt)", "member", "/notices/{notice}"),
    ("leader's receipts of a block", "leader", "/notices/{notice}/blocks/{block_id}"),
    ("officer's report of receipts", "officer", "/notices/{notice}/report"),
    ("leader's roll call", "leader", "/disaster/rollcall"),
    ("officer dashboard", "officer", "/disaster/events/{event}"),
]


@pytest.mark.parametrize(("name", "who", "address"), PAGES, ids=[p[0] for p in PAGES])
def test_page_uses_indexes(city, name, who, address):
    app, people = city
    with app.app_context():
        client = app.test_client()
        login(client, db.session.get(Member, people[who]))
        with recorded(db.engine) as statements:
            response = client.get(address.format(**people))
        assert response.status_code == 200, name
        assert statements
        problems = sequential_scans(statements)
        assert not problems, "\n\n".join(problems)


def test_outbox_claim_uses_indexes(city):
    app, _people = city
    with app.app_context():
        with recorded(db.engine) as statements:
            claimed = claim_due(utcnow() + timedelta(seconds=1), 100, 60)
        db.session.rollback()
        assert len(claimed) == 100
        problems = sequential_scans(statements)
        assert not problems, "\n\n".join(problems)


def test_a_query_without_an_index_is_found(city):
    """The check itself: a filter on a column no index covers shows as a sequential scan."""
    app, _people = city
    with app.app_context():
        with recorded(db.engine) as statements:
            db.session.scalars(select(Member.id).where(Member.kana == "x")).all()
        db.session.rollback()
        problems = sequential_scans(statements)
        assert len(problems) == 1
        assert problems[0].startswith("[('member', ")
