"""The busy pages run the same number of queries however many households and notices."""

from contextlib import contextmanager

from sqlalchemy import event

from jichikai.extensions import db
from jichikai.notices.models import REPLY_ATTENDANCE
from jichikai.notices.services import mark_read, record_household_read

from ..factories import make_household, make_member
from .helpers import make_notice


@contextmanager
def counted():
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _grow(world, households: int, notices: int) -> None:
    """Add households to both blocks and notices, some of them read."""
    for n in range(households):
        block = world.block if n % 2 else world.other_block
        household = make_household(block, paper_only=n % 5 == 0)
        member = make_member(household)
        notice = make_notice(world, commit=False, reply_kind=REPLY_ATTENDANCE)
        if n % 3:
            mark_read(notice, member)
        elif household.paper_only:
            record_household_read(notice, household, "paper", world.leader)
    for _ in range(max(notices - households, 0)):
        make_notice(world, commit=False, block_ids=[world.block.id])
    db.session.commit()


def _queries(client, url: str) -> int:
    client.get(url)  # warm up: the first request also loads the login
    with counted() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def _pages(world, notice_id: int) -> list[str]:
    return [
        "/notices/",
        "/api/v1/notices",
        f"/notices/{notice_id}/blocks/{world.block.id}",
        f"/api/v1/notices/{notice_id}/receipts?block_id={world.block.id}",
        f"/notices/{notice_id}/report",
        "/notices/manage",
        "/notices/blocks",
    ]


def test_query_counts_do_not_grow(client, world, as_member):
    notice = make_notice(world, reply_kind=REPLY_ATTENDANCE)
    as_member(world.officer)
    world.officer.role_assignments  # noqa: B018
    _grow(world, households=3, notices=5)
    small = {url: _queries(client, url) for url in _pages(world, notice.id)}
    _grow(world, households=12, notices=30)
    large = {url: _queries(client, url) for url in _pages(world, notice.id)}
    assert large == small
