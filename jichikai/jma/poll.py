"""Polling JMA feeds and turning official messages into disaster events.

`poll()` reads each feed (If-Modified-Since), fetches each new message once, and checks it
against every association that watches JMA messages (`evaluate`). A trigger starts disaster
mode at once or asks the officers first, as the association chose.

Unlike the feature's other services, a poll commits its own work, in short steps:
- no transaction is open while a feed or a message is downloaded (each download has a total
  deadline, `JMA_TIMEOUT`), so a slow server holds no locks and no connection in a transaction;
- each entry is handled in its own transactions: one bad entry (listed twice, an odd link, a
  message that cannot be read, rules that fail) is recorded with the reason and skipped, and
  the others go on;
- two polls may run at once (schedulers overlap during a hand-over): each entry is claimed by a
  compare-and-set on its row (`claim`), so one poll alone fetches it and acts on it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..database import database_unavailable
from ..extensions import db
from ..org.models import Association
from .alerts import act, cancelled_alerts, lifted_alerts, tell_cancelled, tell_lifted
from .feed import Fetched, FetchError, fetch
from .messages import (
    RECOGNISED_TYPES,
    SUPPORTED_TYPES,
    FeedEntry,
    JmaMessage,
    MessageError,
    parse_feed,
    parse_message,
    type_from_link,
)
from .models import (
    ENTRY_FAILED,
    ENTRY_FETCHING,
    ENTRY_PROCESSED,
    ENTRY_REFUSED,
    ENTRY_SKIPPED,
    ENTRY_STALE,
    ENTRY_UNSUPPORTED,
    JmaAlert,
    JmaEntry,
    JmaFeed,
)
from .rules import INFO_CANCELLED, evaluate
from .settings import JmaSettings

logger = logging.getLogger(__name__)

DEFAULT_FEEDS = (
    "https://www.data.jma.go.jp/developer/xml/feed/eqvol.xml",
    "https://www.data.jma.go.jp/developer/xml/feed/extra.xml",
)
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_AGE = timedelta(hours=1)
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_ATTEMPTS = 3
MAX_LINK_LENGTH = 500  # JmaEntry.link
# A poll that claimed an entry and then died leaves it "fetching"; after this long another
# poll may take it over (as one more attempt). A download lasts at most JMA_TIMEOUT.
CLAIM_LEASE = timedelta(minutes=10)
PROBLEMS_SHOWN_FOR = timedelta(days=2)  # on the officers' page
_PRINTABLE_ASCII = re.compile(r"[!-~]+")


@dataclass
class PollReport:
    """What one poll found and did, line by line, for the command and the job's log."""

    lines: list[str] = field(default_factory=list)
    fetched: int = 0
    failed: int = 0
    refused: int = 0
    alerts: list[JmaAlert] = field(default_factory=list)
    cancelled: list[JmaAlert] = field(default_factory=list)
    lifted: list[JmaAlert] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)
        logger.info("jma: %s", line)

    def summary(self) -> str:
        return (
            f"{self.fetched} fetched, {self.failed} failed, {len(self.alerts)} alerts, "
            f"{len(self.cancelled)} cancellations"
            + (f", {len(self.lifted)} lifted" if self.lifted else "")
            + (f", {self.refused} refused" if self.refused else "")
        )


Fetcher = Callable[..., Fetched]


@dataclass(frozen=True)
class PollOptions:
    timeout: float = DEFAULT_TIMEOUT  # seconds for a whole download, not for one read
    max_age: timedelta = DEFAULT_MAX_AGE
    max_bytes: int = DEFAULT_MAX_BYTES


def feeds_from_config(config: Mapping) -> list[str]:
    """JMA_FEEDS: a list, or URLs separated by commas (JICHIKAI_JMA_FEEDS)."""
    feeds = config.get("JMA_FEEDS") or DEFAULT_FEEDS
    if isinstance(feeds, str):
        feeds = [url.strip() for url in feeds.split(",") if url.strip()]
    return list(feeds)


def options_from_config(config: Mapping) -> PollOptions:
    """JMA_TIMEOUT (seconds), JMA_MAX_AGE_MINUTES and JMA_MAX_BYTES, with defaults."""
    return PollOptions(
        timeout=float(config.get("JMA_TIMEOUT", DEFAULT_TIMEOUT)),
        max_age=timedelta(minutes=float(config.get("JMA_MAX_AGE_MINUTES", 60))),
        max_bytes=int(config.get("JMA_MAX_BYTES", DEFAULT_MAX_BYTES)),
    )


def link_key(link: str) -> str:
    """What identifies an entry: the SHA-256 of its whole link (links may be of any length)."""
    return hashlib.sha256(link.encode("utf-8", "surrogatepass")).hexdigest()


def link_problem(link: str, feed_url: str) -> str | None:
    """Why the poller refuses to fetch `link`, or None for a JMA data file on the feed's host."""
    if len(link) > MAX_LINK_LENGTH:
        return f"link longer than {MAX_LINK_LENGTH} characters"
    if not _PRINTABLE_ASCII.fullmatch(link):
        return "link with spaces, control or non-ASCII characters"
    target, feed = urlsplit(link), urlsplit(feed_url)
    if target.scheme not in ("http", "https"):  # JMA's https feeds have listed http links
        return "not an http or https link"
    if target.netloc != feed.netloc:
        return "not on the feed's host"
    if target.query or target.fragment or not target.path.endswith(".xml"):
        return "not a JMA data file"
    return None


def poll(
    feed_urls: Sequence[str],
    *,
    now: datetime,
    options: PollOptions = PollOptions(),  # noqa: B008 (frozen)
    fetcher: Fetcher = fetch,
) -> PollReport:
    """One pass over the feeds: fetch new messages once, act on them, committing step by step."""
    report = PollReport()
    watching = bool(watching_associations())
    db.session.commit()
    if not watching:
        report.say("no association watches JMA messages; nothing fetched")
        return report
    for url in feed_urls:
        _poll_feed(url, now, options, fetcher, report)
    return report


@dataclass(frozen=True)
class _FeedPass:
    """One feed's part of a poll: what handling each of its entries needs."""

    feed_url: str
    now: datetime
    options: PollOptions
    fetcher: Fetcher
    report: PollReport


@dataclass(frozen=True)
class _Known:
    """What a poll needs to know about an entry already recorded (read before any download)."""

    status: str
    attempts: int
    claimed_at: datetime | None


def _poll_feed(
    url: str, now: datetime, options: PollOptions, fetcher: Fetcher, report: PollReport
) -> None:
    last_modified = _begin_feed(url, now)
    try:
        answer = fetcher(
            url,
            timeout=options.timeout,
            max_bytes=options.max_bytes,
            if_modified_since=last_modified,
        )
    except FetchError as error:
        _end_feed(url, f"error: {error}")
        logger.warning("jma: feed %s: %s", url, error)
        report.say(f"feed {url}: failed ({error})")
        return
    if answer.status == 304:
        _end_feed(url, "not modified", read_at=now)
        report.say(f"feed {url}: not modified")
        return
    try:
        listed = parse_feed(answer.body)
    except MessageError as error:
        _end_feed(url, f"error: {error}")
        logger.warning("jma: feed %s: %s", url, error)
        report.say(f"feed {url}: not readable ({error})")
        return

    unique: dict[str, FeedEntry] = {}
    for entry in listed:
        unique.setdefault(entry.link, entry)  # an entry listed twice is handled once
    entries = list(unique.values())
    twice = f" ({len(listed) - len(entries)} listed twice)" if len(entries) < len(listed) else ""
    known = _known_entries([link_key(e.link) for e in entries])
    db.session.commit()
    new = [e for e in entries if _should_fetch(known.get(link_key(e.link)), now)]
    report.say(f"feed {url}: {len(entries)} entries{twice}, {len(new)} new")
    run = _FeedPass(url, now, options, fetcher, report)
    for entry in sorted(new, key=lambda e: e.updated or now):  # oldest first
        _handle_entry_alone(entry, run)
    # Last: a poll that dies half-way sees the same feed again next time.
    _end_feed(url, f"{len(entries)} entries", last_modified=answer.last_modified, read_at=now)


def _begin_feed(url: str, now: datetime) -> str:
    """Record that the feed is being polled; its Last-Modified (committed: no transaction left)."""
    db.session.execute(
        _insert(JmaFeed)
        .values(url=url, last_modified="", last_result="")
        .on_conflict_do_nothing(index_elements=["url"])
    )
    db.session.execute(update(JmaFeed).where(JmaFeed.url == url).values(last_polled_at=now))
    last_modified = db.session.scalar(select(JmaFeed.last_modified).where(JmaFeed.url == url))
    db.session.commit()
    return last_modified or ""


def _end_feed(
    url: str, result: str, last_modified: str | None = None, read_at: datetime | None = None
) -> None:
    """Record how the feed's poll ended; `read_at`: the poll that read it (a success)."""
    values: dict = {"last_result": result[:200]}
    if last_modified is not None:
        values["last_modified"] = last_modified[:64]
    if read_at is not None:
        values["last_success_at"] = read_at
    db.session.execute(update(JmaFeed).where(JmaFeed.url == url).values(**values))
    db.session.commit()


def _insert(model):
    """INSERT for the session's database, with its ON CONFLICT clauses."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def _known_entries(keys: list[str]) -> dict[str, _Known]:
    found: dict[str, _Known] = {}
    for start in range(0, len(keys), 500):
        rows = db.session.execute(
            select(
                JmaEntry.link_key, JmaEntry.status, JmaEntry.attempts, JmaEntry.claimed_at
            ).where(JmaEntry.link_key.in_(keys[start : start + 500]))
        )
        for key, status, attempts, claimed_at in rows:
            found[key] = _Known(status, attempts, claimed_at)
    return found


def _should_fetch(known: _Known | None, now: datetime) -> bool:
    """New links, transient failures not yet tried MAX_ATTEMPTS times, and abandoned claims."""
    if known is None:
        return True
    if known.status == ENTRY_FAILED:
        return known.attempts < MAX_ATTEMPTS
    if known.status == ENTRY_FETCHING:
        return known.claimed_at is None or known.claimed_at < now - CLAIM_LEASE
    return False


def _entry_values(entry: FeedEntry, feed_url: str, now: datetime, **values) -> dict:
    return {
        "link_key": link_key(entry.link),
        "link": entry.link[:MAX_LINK_LENGTH],
        "feed_url": feed_url[:500],
        "type_code": (type_from_link(entry.link) or "")[:10],
        "title": entry.title[:200],
        "attempts": 0,
        "first_seen_at": now,
        **values,
    }


def _record(values: dict, *, replacing: tuple[str, ...] = (ENTRY_FAILED,)) -> None:
    """Insert an entry's row; an existing row is changed only while its status is `replacing`."""
    changed = {k: v for k, v in values.items() if k not in ("link_key", "first_seen_at")}
    db.session.execute(
        _insert(JmaEntry)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["link_key"],
            set_=changed,
            where=JmaEntry.__table__.c.status.in_(replacing),
        )
    )


def claim(entry: FeedEntry, feed_url: str, now: datetime) -> tuple[int, int] | None:
    """Take an entry for this poll to fetch: (row id, attempts), or None if another poll has it.

    A compare-and-set: a new entry is inserted as "fetching" (ON CONFLICT DO NOTHING); a
    failed one is taken only while it is still failed with attempts left, an abandoned claim
    only while still abandoned. Whoever loses the race gets nothing back and leaves the entry.
    """
    key = link_key(entry.link)
    taken = db.session.execute(
        _insert(JmaEntry)
        .values(**_entry_values(entry, feed_url, now, status=ENTRY_FETCHING, attempts=1))
        .values(claimed_at=now)
        .on_conflict_do_nothing(index_elements=["link_key"])
        .returning(JmaEntry.id, JmaEntry.attempts)
    ).first()
    if taken is None:
        taken = db.session.execute(
            update(JmaEntry)
            .where(
                JmaEntry.link_key == key,
                or_(
                    and_(JmaEntry.status == ENTRY_FAILED, JmaEntry.attempts < MAX_ATTEMPTS),
                    and_(
                        JmaEntry.status == ENTRY_FETCHING,
                        or_(
                            JmaEntry.claimed_at.is_(None),
                            JmaEntry.claimed_at < now - CLAIM_LEASE,
                        ),
                    ),
                ),
            )
            .values(status=ENTRY_FETCHING, attempts=JmaEntry.attempts + 1, claimed_at=now)
            .returning(JmaEntry.id, JmaEntry.attempts)
            .execution_options(synchronize_session=False)
        ).first()
    db.session.commit()
    return None if taken is None else (taken[0], taken[1])


def _set_entry(entry_id: int, **values) -> None:
    db.session.execute(
        update(JmaEntry)
        .where(JmaEntry.id == entry_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def _name(link: str) -> str:
    """The file name of a link, for the report (quoted when odd)."""
    name = link.rsplit("/", 1)[-1]
    if len(name) > 80 or not _PRINTABLE_ASCII.fullmatch(name):
        return repr(name[:80])
    return name


def _handle_entry_alone(entry: FeedEntry, run: _FeedPass) -> None:
    """Handle one entry; whatever goes wrong is recorded on the entry and the poll goes on."""
    feed_url, now, report = run.feed_url, run.now, run.report
    try:
        _handle_entry(entry, run)
    except Exception as error:  # one bad entry must not stop the others
        db.session.rollback()
        if database_unavailable(error):
            raise  # not the entry's fault: the poll ends, the entry is taken again later
        logger.exception("jma: handling %s failed", entry.link[:MAX_LINK_LENGTH])
        reason = f"{type(error).__name__}: {error}"
        _record(
            _entry_values(entry, feed_url, now, status=ENTRY_FAILED, attempts=MAX_ATTEMPTS)
            | {"error": reason[:500], "claimed_at": None},
            replacing=(ENTRY_FAILED, ENTRY_FETCHING),
        )
        db.session.commit()
        report.failed += 1
        report.say(f"  {_name(entry.link)}: failed ({reason[:200]})")


def _handle_entry(entry: FeedEntry, run: _FeedPass) -> None:
    feed_url, now, options, report = run.feed_url, run.now, run.options, run.report
    name = _name(entry.link)
    problem = link_problem(entry.link, feed_url)
    if problem:
        _record(_entry_values(entry, feed_url, now, status=ENTRY_REFUSED, error=problem))
        db.session.commit()
        report.refused += 1
        logger.warning("jma: %r refused: %s", entry.link[:MAX_LINK_LENGTH], problem)
        report.say(f"  {name}: refused, {problem}")
        return

    type_code = type_from_link(entry.link) or ""
    final = None
    if type_code in RECOGNISED_TYPES:
        final, line = ENTRY_UNSUPPORTED, f"{type_code} recognised, no rules for it yet; not fetched"
    elif type_code and type_code not in SUPPORTED_TYPES:
        final, line = ENTRY_SKIPPED, ""
    elif entry.updated is not None and entry.updated < now - options.max_age:
        final, line = ENTRY_STALE, f"older than {options.max_age}; not fetched"
    if final is not None:
        _record(_entry_values(entry, feed_url, now, status=final))
        db.session.commit()
        if line:
            report.say(f"  {name}: {line}")
        return

    claimed = claim(entry, feed_url, now)
    if claimed is None:
        report.say(f"  {name}: taken by another poll running at the same time")
        return
    entry_id, attempts = claimed

    # No transaction is open here: the download may take up to options.timeout.
    try:
        answer = run.fetcher(entry.link, timeout=options.timeout, max_bytes=options.max_bytes)
        message = parse_message(answer.body, type_code or None)
    except FetchError as error:
        _failed(entry_id, attempts, str(error), final=not error.transient, report=report, name=name)
        return
    except MessageError as error:
        _failed(entry_id, attempts, str(error), final=True, report=report, name=name)
        return
    report.fetched += 1
    read = {
        "processed_at": now,
        "claimed_at": None,
        "type_code": message.type_code[:10],
        "control_status": message.status[:10],
        "info_type": message.info_type[:10],
        "event_id": message.event_id[:64],
        "headline": message.headline,
        "report_datetime": message.report_datetime,
        "error": "",
    }
    if message.type_code not in SUPPORTED_TYPES:
        _set_entry(entry_id, status=ENTRY_SKIPPED, **read)
        db.session.commit()
        report.say(f"  {name}: unknown type ({message.title}); skipped")
        return

    alerts, cancelled, lifted = len(report.alerts), len(report.cancelled), len(report.lifted)
    try:
        _set_entry(entry_id, status=ENTRY_PROCESSED, **read)
        report.say(
            f"  {name}: {message.type_code} {message.status} {message.info_type}"
            + (f" EventID {message.event_id}" if message.event_id else "")
        )
        _apply(message, entry.link, now, report)
        db.session.commit()
    except Exception as error:  # the message was downloaded: record it as failed for good
        db.session.rollback()
        del report.alerts[alerts:], report.cancelled[cancelled:], report.lifted[lifted:]
        if database_unavailable(error):
            raise  # the database is away, the message is fine: try it again later
        logger.exception("jma: applying %s failed", entry.link)
        _set_entry(
            entry_id,
            **read
            | {
                "status": ENTRY_FAILED,
                "attempts": MAX_ATTEMPTS,
                "error": "applying the rules failed; see the log",
            },
        )
        db.session.commit()
        report.failed += 1
        report.say(f"  {name}: applying the rules failed")


def _failed(
    entry_id: int, attempts: int, error: str, *, final: bool, report: PollReport, name: str
) -> None:
    _set_entry(
        entry_id,
        status=ENTRY_FAILED,
        error=error[:500],
        claimed_at=None,
        attempts=MAX_ATTEMPTS if final else attempts,
    )
    db.session.commit()
    report.failed += 1
    logger.warning("jma: %s: %s", name, error)
    retry = "" if final or attempts >= MAX_ATTEMPTS else "; will try again"
    report.say(f"  {name}: failed ({error}){retry}")


def _apply(message: JmaMessage, link: str, now: datetime, report: PollReport) -> None:
    """Check one message against every association that watches JMA messages."""
    for association in watching_associations():
        settings = JmaSettings.of(association)
        if message.info_type == INFO_CANCELLED:
            for alert in cancelled_alerts(association, message, now):
                tell_cancelled(alert, message, now)
                report.cancelled.append(alert)
                report.say(f"    {association.name}: cancellation of {alert.title} told")
            continue
        for alert in lifted_alerts(association, message, now):
            tell_lifted(alert, message, now)
            report.lifted.append(alert)
            report.say(f"    {association.name}: lifting of {alert.title} told")
        trigger = evaluate(message, settings)
        if trigger is None:
            continue
        alert = act(association, trigger, message, link, mode=settings.mode, now=now)
        if alert is None:
            report.say(f"    {association.name}: {trigger.title} already handled")
            continue
        report.alerts.append(alert)
        report.say(f"    {association.name}: {alert.action} {alert.title}")


def failing_feeds() -> list[JmaFeed]:
    """Feeds whose last poll failed (unreachable, timed out, unreadable)."""
    return list(
        db.session.scalars(
            select(JmaFeed).where(JmaFeed.last_result.startswith("error:")).order_by(JmaFeed.url)
        )
    )


def problem_entries(now: datetime, limit: int = 10) -> list[JmaEntry]:
    """Entries refused or failed within PROBLEMS_SHOWN_FOR, newest first, with their reasons."""
    return list(
        db.session.scalars(
            select(JmaEntry)
            .where(
                JmaEntry.status.in_((ENTRY_FAILED, ENTRY_REFUSED)),
                JmaEntry.first_seen_at >= now - PROBLEMS_SHOWN_FOR,
            )
            .order_by(JmaEntry.first_seen_at.desc(), JmaEntry.id.desc())
            .limit(limit)
        )
    )


def watching_associations() -> list[Association]:
    """Associations that turned JMA messages on."""
    associations = db.session.scalars(select(Association).order_by(Association.id))
    return [a for a in associations if JmaSettings.of(a).enabled]
