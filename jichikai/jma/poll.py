"""Polling JMA feeds and turning official messages into disaster events.

`poll()` reads each feed (If-Modified-Since), fetches each new message once, and checks it
against every association that watches JMA messages (`evaluate`). A trigger starts disaster
mode at once or asks the officers first, as the association chose. Nothing here commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from ..extensions import db
from ..org.models import Association
from .alerts import act, cancelled_alerts, tell_cancelled
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


@dataclass
class PollReport:
    """What one poll found and did, line by line, for the command and the job's log."""

    lines: list[str] = field(default_factory=list)
    fetched: int = 0
    failed: int = 0
    alerts: list[JmaAlert] = field(default_factory=list)
    cancelled: list[JmaAlert] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)
        logger.info("jma: %s", line)

    def summary(self) -> str:
        return (
            f"{self.fetched} fetched, {self.failed} failed, {len(self.alerts)} alerts, "
            f"{len(self.cancelled)} cancellations"
        )


Fetcher = Callable[..., Fetched]


@dataclass(frozen=True)
class PollOptions:
    timeout: float = DEFAULT_TIMEOUT
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


def poll(
    feed_urls: Sequence[str],
    *,
    now: datetime,
    options: PollOptions = PollOptions(),  # noqa: B008 (frozen)
    fetcher: Fetcher = fetch,
) -> PollReport:
    """One pass over the feeds: fetch new messages once, act on them; the caller commits."""
    report = PollReport()
    if not watching_associations():
        report.say("no association watches JMA messages; nothing fetched")
        return report
    for url in feed_urls:
        _poll_feed(url, now, options, fetcher, report)
    return report


def _poll_feed(url: str, now: datetime, options: PollOptions, fetcher: Fetcher, report) -> None:
    feed = db.session.scalar(select(JmaFeed).where(JmaFeed.url == url))
    if feed is None:
        feed = JmaFeed(url=url, last_modified="")
        db.session.add(feed)
    feed.last_polled_at = now
    try:
        answer = fetcher(
            url,
            timeout=options.timeout,
            max_bytes=options.max_bytes,
            if_modified_since=feed.last_modified,
        )
    except FetchError as error:
        feed.last_result = f"error: {error}"[:200]
        logger.warning("jma: feed %s: %s", url, error)
        report.say(f"feed {url}: failed ({error})")
        return
    if answer.status == 304:
        feed.last_result = "not modified"
        report.say(f"feed {url}: not modified")
        return
    try:
        entries = parse_feed(answer.body)
    except MessageError as error:
        feed.last_result = f"error: {error}"[:200]
        logger.warning("jma: feed %s: %s", url, error)
        report.say(f"feed {url}: not readable ({error})")
        return
    feed.last_modified = answer.last_modified
    feed.last_result = f"{len(entries)} entries"

    known = _known_entries([e.link for e in entries])
    new = [e for e in entries if _should_fetch(known.get(e.link))]
    report.say(f"feed {url}: {len(entries)} entries, {len(new)} new")
    for entry in sorted(new, key=lambda e: e.updated or now):  # oldest first
        _handle_entry(entry, known.get(entry.link), url, now, options, fetcher, report)


def _known_entries(links: list[str]) -> dict[str, JmaEntry]:
    found: dict[str, JmaEntry] = {}
    for start in range(0, len(links), 500):
        chunk = links[start : start + 500]
        for entry in db.session.scalars(select(JmaEntry).where(JmaEntry.link.in_(chunk))):
            found[entry.link] = entry
    return found


def _should_fetch(entry: JmaEntry | None) -> bool:
    """New links, and transient failures not yet tried MAX_ATTEMPTS times."""
    return entry is None or (entry.status == ENTRY_FAILED and entry.attempts < MAX_ATTEMPTS)


def _handle_entry(
    entry: FeedEntry,
    row: JmaEntry | None,
    feed_url: str,
    now: datetime,
    options: PollOptions,
    fetcher: Fetcher,
    report: PollReport,
) -> None:
    type_code = type_from_link(entry.link) or ""
    if row is None:
        row = JmaEntry(
            link=entry.link[:500],
            feed_url=feed_url,
            type_code=type_code,
            title=entry.title[:200],
            status=ENTRY_SKIPPED,
            attempts=0,
            first_seen_at=now,
        )
        db.session.add(row)
    name = entry.link.rsplit("/", 1)[-1]

    if not _same_host(entry.link, feed_url):
        row.status = ENTRY_REFUSED
        report.say(f"  {name}: refused, not on the feed's host")
        return
    if type_code in RECOGNISED_TYPES:
        row.status = ENTRY_UNSUPPORTED
        report.say(f"  {name}: {type_code} recognised, no rules for it yet; not fetched")
        return
    if type_code and type_code not in SUPPORTED_TYPES:
        row.status = ENTRY_SKIPPED
        return
    if entry.updated is not None and entry.updated < now - options.max_age:
        row.status = ENTRY_STALE
        report.say(f"  {name}: older than {options.max_age}; not fetched")
        return

    row.attempts += 1
    try:
        answer = fetcher(entry.link, timeout=options.timeout, max_bytes=options.max_bytes)
        message = parse_message(answer.body, type_code or None)
    except FetchError as error:
        _failed(row, str(error), final=not error.transient, report=report, name=name)
        return
    except MessageError as error:
        _failed(row, str(error), final=True, report=report, name=name)
        return
    report.fetched += 1
    row.processed_at = now
    row.type_code = message.type_code
    row.control_status = message.status[:10]
    row.info_type = message.info_type[:10]
    row.event_id = message.event_id[:64]
    row.headline = message.headline
    row.report_datetime = message.report_datetime
    row.error = ""
    if message.type_code not in SUPPORTED_TYPES:
        row.status = ENTRY_SKIPPED
        report.say(f"  {name}: unknown type ({message.title}); skipped")
        return

    row.status = ENTRY_PROCESSED
    report.say(
        f"  {name}: {message.type_code} {message.status} {message.info_type}"
        + (f" EventID {message.event_id}" if message.event_id else "")
    )
    try:
        with db.session.begin_nested():
            _apply(message, entry.link, now, report)
    except Exception:  # one bad message must not stop the others
        logger.exception("jma: applying %s failed", entry.link)
        row.status = ENTRY_FAILED
        row.attempts = MAX_ATTEMPTS
        row.error = "applying the rules failed; see the log"
        report.failed += 1
        report.say(f"  {name}: applying the rules failed")


def _failed(row: JmaEntry, error: str, *, final: bool, report: PollReport, name: str) -> None:
    row.status = ENTRY_FAILED
    row.error = error[:500]
    if final:
        row.attempts = MAX_ATTEMPTS
    report.failed += 1
    logger.warning("jma: %s: %s", row.link, error)
    retry = "" if final or row.attempts >= MAX_ATTEMPTS else "; will try again"
    report.say(f"  {name}: failed ({error}){retry}")


def _same_host(link: str, feed_url: str) -> bool:
    target, feed = urlsplit(link), urlsplit(feed_url)
    return target.scheme in ("http", "https") and target.netloc == feed.netloc


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
        trigger = evaluate(message, settings)
        if trigger is None:
            continue
        alert = act(association, trigger, message, link, mode=settings.mode, now=now)
        if alert is None:
            report.say(f"    {association.name}: {trigger.title} already handled")
            continue
        report.alerts.append(alert)
        report.say(f"    {association.name}: {alert.action} {alert.title}")


def watching_associations() -> list[Association]:
    """Associations that turned JMA messages on."""
    associations = db.session.scalars(select(Association).order_by(Association.id))
    return [a for a in associations if JmaSettings.of(a).enabled]
