"""One association never sees another's data."""

import pytest
from sqlalchemy import inspect

from jichikai.extensions import db

# jma_feed and jma_entry hold public JMA messages, fetched once for every association.
# worker_heartbeat says when the worker last ran (for /readyz), for the whole installation.
# passkey_challenge holds five-minute WebAuthn challenges, handed out before a usernameless
# login knows who (or which association) will answer.
GLOBAL_TABLES = {
    "association",
    "audit_event",
    "alembic_version",
    "jma_feed",
    "jma_entry",
    "worker_heartbeat",
    "passkey_challenge",
    "outbox_tally",  # running totals of outbox outcomes for /metrics, by channel only
    "server_key",  # the installation's own keys (VAPID, card pepper), shared by every process
}
# SQLite's full-text index of circulars (FTS5 and its shadow tables): rows are keyed by the
# notice's rowid and every search joins `notice`, which carries association_id.
SEARCH_INDEX_PREFIX = "notice_search"


def test_every_tenant_table_has_an_association_id(app):
    names = inspect(db.engine).get_table_names()
    missing = [
        name
        for name in names
        if name not in GLOBAL_TABLES
        and not name.startswith(SEARCH_INDEX_PREFIX)
        and "association_id" not in {c["name"] for c in inspect(db.engine).get_columns(name)}
    ]
    assert missing == []


@pytest.mark.parametrize("role", ["member", "officer", "admin"])
def test_api_me_shows_only_the_own_association(client, world, as_member, role):
    as_member(getattr(world, role))
    me = client.get("/api/v1/me").get_json()
    assert me["association"]["id"] == world.association.id
    assert world.outsider_association.name not in str(me)
