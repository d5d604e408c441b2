"""Faults of a JMA feed, injected through a local feed server: bad entries, trickling servers,
two polls at once. A valid 震度5強 message in the same feed must still start its event."""

import sqlite3
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select, text

from jichikai.database import database_unavailable
from jichikai.disaster.models import DisasterEvent
from jichikai.extensions import db
from jichikai.jma.models import JmaEntry
from jichikai.jma.poll import CLAIM_LEASE, PollOptions, poll
from tests.jma import conftest as local_jma
from tests.jma.conftest import NOW, message

# The local JMA feed server and an association watching さいたま市桜区 (automatic start).
_jma_server = local_jma._jma_server
jma = local_jma.jma
watching = local_jma.watching

STRONG = "VXSE53_sakura_5plus.xml"  # 震度５強 in さいたま市桜区: starts the event
HARMLESS = "VPWW53_saitama_heavy_rain_lifted.xml"  # a warning lifted: starts nothing
OPTIONS = PollOptions(timeout=2.0)


def _poll(*feeds, options=OPTIONS):
    report = poll(list(feeds), now=NOW, options=options)
    db.session.commit()
    return report


def _events(association_id) -> int:
    return db.session.scalar(
        select(func.count(DisasterEvent.id)).where(DisasterEvent.association_id == association_id)
    )


def _entries() -> dict[str, JmaEntry]:
    return {e.link.rsplit("/", 1)[-1]: e for e in db.session.scalars(select(JmaEntry))}


def test_an_entry_listed_twice_is_fetched_once_and_the_others_go_on(watching, jma):
    jma.serve_message(HARMLESS)
    jma.serve_message(STRONG)
    feed = jma.serve_feed("eqvol.xml", [HARMLESS, HARMLESS, STRONG], last_modified="a")

    report = _poll(feed)

    assert _events(watching.association.id) == 1
    assert jma.fetches_of(f"data/{HARMLESS}") == 1
    assert {name: e.status for name, e in _entries().items()} == {
        HARMLESS: "processed",
        STRONG: "processed",
    }
    assert "1 listed twice" in report.lines[0]

    jma.serve_feed("eqvol.xml", [HARMLESS, HARMLESS, STRONG], last_modified="b")
    _poll(feed)
    assert jma.fetches_of(f"data/{HARMLESS}") == 1
    assert jma.fetches_of(f"data/{STRONG}") == 1


def test_a_link_too_long_for_the_column_is_refused_and_recorded_once(watching, jma):
    long_link = jma.url("data/" + "x" * 600 + "_VXSE53_.xml")
    jma.serve_message(STRONG)
    feed = jma.serve_feed("eqvol.xml", [long_link, STRONG], last_modified="a")

    report = _poll(feed)

    assert _events(watching.association.id) == 1
    refused = db.session.scalar(select(JmaEntry).where(JmaEntry.status == "refused"))
    assert refused.error == "link longer than 500 characters"
    assert refused.link == long_link[:500]
    assert report.refused == 1
    assert not any(path.startswith("/data/xxx") for path, _h in jma.requests)

    # Later polls neither fetch it nor record it again, and still read new entries.
    jma.serve_message("VPWW53_saitama_heavy_rain_issued.xml")
    jma.serve_feed("eqvol.xml", [long_link, STRONG, "VPWW53_saitama_heavy_rain_issued.xml"], "b")
    report = _poll(feed)
    assert report.refused == 0
    assert db.session.scalar(select(func.count(JmaEntry.id))) == 3
    assert not any(path.startswith("/data/xxx") for path, _h in jma.requests)


@pytest.mark.parametrize(
    ("odd", "reason"),
    [
        ("data/VXSE53_\tsakura_5plus.xml", "link with spaces, control or non-ASCII characters"),
        ("data/VXSE53_sakura_5plus.xml?again=1", "not a JMA data file"),
        ("admin/users", "not a JMA data file"),
    ],
    ids=["control-character", "query", "not-xml"],
)
def test_an_odd_link_is_refused_before_any_download(watching, jma, odd, reason):
    jma.serve_message(STRONG)
    feed = jma.serve_feed("eqvol.xml", [jma.url(odd), STRONG])

    _poll(feed)

    [refused] = db.session.scalars(select(JmaEntry).where(JmaEntry.status == "refused"))
    assert refused.error == reason
    assert [path for path, _h in jma.requests] == ["/eqvol.xml", f"/data/{STRONG}"]
    assert _events(watching.association.id) == 1


def test_a_trickling_message_is_cut_at_the_deadline(watching, jma):
    """One byte every 0.2 s never trips a timeout per read; the total deadline (1 s) does."""
    jma.serve("data/VXSE53_trickle.xml", b"<Report>" + b" " * 60 + b"</Report>", trickle=0.2)
    jma.serve_message(STRONG)
    feed = jma.serve_feed("eqvol.xml", ["VXSE53_trickle.xml", STRONG])

    started = time.monotonic()
    _poll(feed, options=PollOptions(timeout=1.0))
    elapsed = time.monotonic() - started

    assert elapsed < 4
    trickled = _entries()["VXSE53_trickle.xml"]
    assert (trickled.status, trickled.attempts) == ("failed", 1)  # tried again next time
    assert "timed out" in trickled.error
    assert _events(watching.association.id) == 1


def test_a_trickling_feed_is_cut_at_the_deadline(watching, jma):
    slow = jma.serve("slow.xml", b'<feed xmlns="http://www.w3.org/2005/Atom"/>', trickle=0.2)
    jma.serve_message(STRONG)
    feed = jma.serve_feed("eqvol.xml", [STRONG])

    started = time.monotonic()
    report = _poll(slow, feed, options=PollOptions(timeout=1.0))

    assert time.monotonic() - started < 4
    assert any("slow.xml: failed" in line and "timed out" in line for line in report.lines)
    assert _events(watching.association.id) == 1


def _open_transactions():
    """Counts the other sessions in a transaction (PostgreSQL) or holding SQLite's write lock."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":

        def sqlite_writers(_path) -> int:
            connection = sqlite3.connect(url.database, timeout=0)
            try:
                connection.execute("BEGIN IMMEDIATE")
                connection.rollback()
                return 0
            except sqlite3.OperationalError:  # database is locked
                return 1
            finally:
                connection.close()

        return sqlite_writers, lambda: None

    engine = create_engine(url, isolation_level="AUTOCOMMIT")

    def idle_in_transaction(_path) -> int:
        with engine.connect() as connection:
            return connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                )
            )

    return idle_in_transaction, engine.dispose


def test_no_transaction_is_open_while_downloading(watching, jma):
    count, close = _open_transactions()
    seen: list[tuple[str, int]] = []
    jma.on_request = lambda path: seen.append((path, count(path)))
    jma.serve_message(HARMLESS)
    jma.serve_message(STRONG)
    try:
        _poll(jma.serve_feed("eqvol.xml", [HARMLESS, STRONG]))
    finally:
        close()

    assert seen == [("/eqvol.xml", 0), (f"/data/{HARMLESS}", 0), (f"/data/{STRONG}", 0)]
    assert _events(watching.association.id) == 1


def test_two_polls_at_once_start_one_event_and_fetch_the_entry_once(app, watching, jma):
    """Schedulers overlap during a leader hand-over: both poll the same feed at the same time."""
    jma.serve(f"data/{STRONG}", message(STRONG), delay=0.3)
    feed = jma.serve_feed("eqvol.xml", [STRONG])
    jma.routes["/eqvol.xml"].delay = 0.3  # both polls have read the feed before either claims
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        with app.app_context():
            try:
                barrier.wait()
                poll([feed], now=NOW, options=OPTIONS)
            except BaseException as error:  # reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert jma.fetches_of("eqvol.xml") == 2
    assert jma.fetches_of(f"data/{STRONG}") == 1
    assert _events(watching.association.id) == 1
    [entry] = db.session.scalars(select(JmaEntry))
    assert (entry.status, entry.attempts) == ("processed", 1)


def test_a_database_outage_mid_poll_is_no_bad_entry(
    database_proxy, proxied_app, watching, jma, caplog
):
    """PostgreSQL goes away while a 震度5強 message downloads: the poll ends with the outage
    (one line in the worker's log, no stack trace), the message is not recorded as failed,
    and a later poll after the claim's lease starts the event."""
    jma.serve_message(STRONG)
    feed = jma.serve_feed("eqvol.xml", [STRONG])

    def go_away(path: str) -> None:
        if path == f"/data/{STRONG}":
            database_proxy.refuse()
            database_proxy.cut()

    jma.on_request = go_away
    with proxied_app.app_context():
        with pytest.raises(Exception) as raised:
            poll([feed], now=NOW, options=OPTIONS)
        db.session.rollback()
    jma.on_request = None
    database_proxy.heal()

    assert database_unavailable(raised.value)
    assert not [r for r in caplog.records if r.exc_info]
    [entry] = _entries().values()
    assert (entry.status, entry.attempts) == ("fetching", 1)

    report = poll([feed], now=NOW + CLAIM_LEASE + timedelta(seconds=1), options=OPTIONS)
    db.session.commit()

    assert report.failed == 0
    assert _events(watching.association.id) == 1
    assert _entries()[STRONG].status == "processed"
