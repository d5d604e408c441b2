"""Polling JMA feeds and turning official messages into disaster events.

`poll()` reads each feed (If-Modified-Since), fetches each new message once, and checks it
against every association that watches JMA messages (`evaluate`). A trigger starts disaster
mode at once or asks the officers first, as the association chose. Nothing here commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from ..audit.services import record
from ..database import utcnow
from ..extensions import db
from ..org.models import ROLE_ADMIN, ROLE_OFFICER, Association, Member, RoleAssignment
from ..push.services import DISASTER_TTL, KIND_DISASTER, KIND_URGENT, PushMessage, notify
from . import URL_PREFIX
from .feed import Fetched, FetchError, fetch
from .messages import (
    INTENSITY_LABELS,
    INTENSITY_SCALE,
    NOT_YET_RECEIVED,
    RECOGNISED_TYPES,
    SUPPORTED_TYPES,
    VPWW53,
    VXSE51,
    VXSE53,
    VXWW50,
    FeedEntry,
    JmaMessage,
    MessageError,
    SeismicCity,
    intensity_rank,
    parse_feed,
    parse_message,
    type_from_link,
)
from .models import (
    ACTION_DISMISSED,
    ACTION_NOT_STARTED,
    ACTION_PROPOSED,
    ACTION_STARTED,
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

logger = logging.getLogger(__name__)

DEFAULT_FEEDS = (
    "https://www.data.jma.go.jp/developer/xml/feed/eqvol.xml",
    "https://www.data.jma.go.jp/developer/xml/feed/extra.xml",
)
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_AGE = timedelta(hours=1)
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_ATTEMPTS = 3
CANCEL_WINDOW = timedelta(hours=24)
FIVE_LOWER = INTENSITY_SCALE.index("5-")

STATUS_NORMAL = "通常"
STATUS_TRAINING = "訓練"
INFO_ISSUED = ("発表", "訂正")
INFO_CANCELLED = "取消"
WARNING_ISSUED = "発表"

MODE_AUTO = "auto"
MODE_ASK = "ask"
MODES = (MODE_AUTO, MODE_ASK)

LANDSLIDE = "landslide"
# Weather kinds an association may choose: VPWW53 Kind/Code (or VXWW50) -> (name, event kind).
WEATHER_KINDS: dict[str, tuple[str, str]] = {
    "33": ("大雨特別警報", "flood"),
    "35": ("暴風特別警報", "other"),
    "38": ("高潮特別警報", "flood"),
    "03": ("大雨警報", "flood"),
    "04": ("洪水警報", "flood"),
    LANDSLIDE: ("土砂災害警戒情報", "landslide"),
}
DEFAULT_WEATHER_KINDS = ("33", LANDSLIDE)


class JmaError(ValueError):
    """A request that cannot be carried out, with a message for the person who asked."""


class EventNotStarted(Exception):
    """Disaster mode could not be started (for example: an event is already running)."""


# -- settings -------------------------------------------------------------------------------


@dataclass
class JmaSettings:
    """An association's choices, kept in Association.settings["jma"]."""

    enabled: bool = False
    city_code: str = ""
    area_code: str = ""
    threshold: str = "5-"
    warning_area_code: str = ""
    weather_kinds: list[str] = field(default_factory=lambda: list(DEFAULT_WEATHER_KINDS))
    mode: str = MODE_ASK
    drill_from_training: bool = False

    @classmethod
    def of(cls, association: Association) -> JmaSettings:
        """The association's settings, with defaults for anything not set."""
        stored = (association.settings or {}).get("jma") or {}
        known = {k: v for k, v in stored.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def problems(self) -> list[str]:
        """What is wrong with these settings (empty when they can be saved)."""
        found = []
        for name, value, digits in (
            ("city_code", self.city_code, (6, 7)),
            ("area_code", self.area_code, (3,)),
            ("warning_area_code", self.warning_area_code, (6, 7)),
        ):
            if value and not (value.isascii() and value.isdigit() and len(value) in digits):
                found.append(f"{name}: {value!r} is not a JMA code")
        if self.threshold not in INTENSITY_SCALE:
            found.append(f"threshold: {self.threshold!r} is not on the scale")
        if self.mode not in MODES:
            found.append(f"mode: {self.mode!r}")
        unknown = [k for k in self.weather_kinds if k not in WEATHER_KINDS]
        if unknown:
            found.append(f"weather_kinds: {unknown}")
        if self.enabled and not (self.city_code or self.area_code or self.warning_area_code):
            found.append("enabled without any area")
        return found


def save_settings(association: Association, settings: JmaSettings, by: Member | None) -> None:
    """Store the settings; invalid ones raise JmaError and change nothing."""
    problems = settings.problems()
    if problems:
        raise JmaError("; ".join(problems))
    association.settings = {**(association.settings or {}), "jma": asdict(settings)}
    record(
        "jma.settings",
        association_id=association.id,
        actor=by,
        target=association,
        **asdict(settings),
    )


# -- the rules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trigger:
    """A message that calls for disaster mode in one association."""

    event_key: str
    kind: str
    title: str
    reason: str
    drill: bool


def evaluate(message: JmaMessage, settings: JmaSettings) -> Trigger | None:
    """Whether `message` calls for disaster mode under `settings` (a cancellation never does)."""
    if not settings.enabled or message.info_type not in INFO_ISSUED:
        return None
    drill = _drill_for(message, settings)
    if drill is None:
        return None
    if message.type_code == VXSE53:
        return _earthquake(message, settings, drill, use_city=True)
    if message.type_code == VXSE51:
        return _earthquake(message, settings, drill, use_city=False)
    if message.type_code == VPWW53:
        return _weather_warning(message, settings, drill)
    if message.type_code == VXWW50:
        return _landslide(message, settings, drill)
    return None


def _drill_for(message: JmaMessage, settings: JmaSettings) -> bool | None:
    """False for a real message, True for a drill the association wants, else None."""
    if message.status == STATUS_NORMAL:
        return False
    if message.status == STATUS_TRAINING and settings.drill_from_training:
        return True
    return None


def _key(drill: bool, *parts: str) -> str:
    return ("drill:" if drill else "") + ":".join(parts)


def _earthquake_key(message: JmaMessage, drill: bool) -> str:
    return _key(drill, "earthquake", message.event_id or message.head_title)


def _earthquake(
    message: JmaMessage, settings: JmaSettings, drill: bool, use_city: bool
) -> Trigger | None:
    """VXSE53: the city, else its area when the city is not listed. VXSE51: the area."""
    city = _find_city(message, settings.city_code) if use_city and settings.city_code else None
    area = message.areas.get(settings.area_code) if settings.area_code else None
    if city is not None:
        value = city.max_int
        reason = f"{city.name}で{INTENSITY_LABELS.get(value or '', '')}"
        if city.condition == NOT_YET_RECEIVED and (intensity_rank(value) or -1) < FIVE_LOWER:
            value, reason = "5-", f"{city.name}で震度５弱以上の見込み（未入電）"
    elif area is not None:
        value = area.max_int
        reason = f"{area.name}で{INTENSITY_LABELS.get(value or '', '')}"
    else:
        return None

    rank = intensity_rank(value)
    if rank is None or rank < intensity_rank(settings.threshold):
        return None
    return Trigger(
        event_key=_earthquake_key(message, drill),
        kind="earthquake",
        title=f"地震（{reason}）",
        reason=reason,
        drill=drill,
    )


def _find_city(message: JmaMessage, city_code: str) -> SeismicCity | None:
    for area in message.areas.values():
        if city_code in area.cities:
            return area.cities[city_code]
    return None


def _weather_warning(message: JmaMessage, settings: JmaSettings, drill: bool) -> Trigger | None:
    """VPWW53: a chosen Kind/Code newly issued (Status 発表) for the warning area."""
    if not settings.warning_area_code:
        return None
    chosen = [code for code in settings.weather_kinds if code != LANDSLIDE]
    for item in message.warnings:
        if item.area_code != settings.warning_area_code:
            continue
        issued = {k.code: k for k in item.kinds if k.status == WARNING_ISSUED}
        for code in chosen:  # in the order of WEATHER_KINDS: the gravest first
            if code in issued:
                name = issued[code].name or WEATHER_KINDS[code][0]
                reason = f"{item.area_name}に{name}"
                return Trigger(
                    event_key=_key(drill, "weather", VPWW53, item.area_code, code, _when(message)),
                    kind=WEATHER_KINDS[code][1],
                    title=f"{name}（{item.area_name}）",
                    reason=reason,
                    drill=drill,
                )
    return None


def _landslide(message: JmaMessage, settings: JmaSettings, drill: bool) -> Trigger | None:
    """VXWW50: 土砂災害警戒情報 newly issued (Status 発表) for the warning area."""
    if LANDSLIDE not in settings.weather_kinds or not settings.warning_area_code:
        return None
    for item in message.warnings:
        if item.area_code != settings.warning_area_code:
            continue
        if any(k.status == WARNING_ISSUED for k in item.kinds):
            return Trigger(
                event_key=_key(drill, "weather", VXWW50, item.area_code, _when(message)),
                kind="landslide",
                title=f"土砂災害警戒情報（{item.area_name}）",
                reason=f"{item.area_name}に土砂災害警戒情報",
                drill=drill,
            )
    return None


def _when(message: JmaMessage) -> str:
    return message.report_datetime.isoformat() if message.report_datetime else ""


# -- acting on a trigger --------------------------------------------------------------------


def start_disaster_event(
    association: Association,
    *,
    kind: str,
    title: str,
    message: str,
    drill: bool,
    started_by: Member | None = None,
    source: dict | None = None,
):
    """Start disaster mode through the disaster feature; EventNotStarted when it refuses."""
    from ..disaster import services as disaster

    try:
        return disaster.start_event(
            association,
            kind=kind,
            title=title,
            message=message,
            drill=drill,
            started_by=started_by,
            source=source,
        )
    except disaster.DisasterError as error:
        raise EventNotStarted(str(error)) from error


def alert_path(alert: JmaAlert) -> str:
    """The officers' page of an alert (a path: push messages open it in the app)."""
    return f"{URL_PREFIX}/alerts/{alert.id}"


def officers_of(association_id: int) -> list[Member]:
    """The association's active officers and admins."""
    return list(
        db.session.scalars(
            select(Member)
            .join(RoleAssignment, RoleAssignment.member_id == Member.id)
            .where(
                Member.association_id == association_id,
                Member.active.is_(True),
                RoleAssignment.role.in_((ROLE_ADMIN, ROLE_OFFICER)),
                RoleAssignment.ended_at.is_(None),
            )
            .distinct()
        )
    )


def source_of(message: JmaMessage, link: str) -> dict:
    """What the event records about the JMA message that caused it."""
    return {
        "type": message.type_code,
        "event_id": message.event_id,
        "link": link,
        "headline": message.headline,
        "title": message.head_title,
        "report_datetime": _when(message),
        "status": message.status,
        "info_type": message.info_type,
    }


def act(
    association: Association,
    trigger: Trigger,
    message: JmaMessage,
    link: str,
    *,
    mode: str,
    now: datetime,
) -> JmaAlert | None:
    """Start the event or ask the officers; None when this event was already handled."""
    exists = db.session.scalar(
        select(JmaAlert.id).where(
            JmaAlert.association_id == association.id, JmaAlert.event_key == trigger.event_key
        )
    )
    if exists:
        return None
    alert = JmaAlert(
        association_id=association.id,
        event_key=trigger.event_key,
        action=ACTION_PROPOSED,
        kind=trigger.kind,
        drill=trigger.drill,
        title=trigger.title,
        reason=trigger.reason,
        source=source_of(message, link),
        created_at=now,
    )
    db.session.add(alert)
    db.session.flush()

    if mode == MODE_AUTO:
        try:
            _start(alert, association, by=None, now=now)
        except EventNotStarted as error:
            alert.action = ACTION_NOT_STARTED
            alert.note = str(error)[:300]
            _tell_not_started(alert)
    else:
        notify(
            officers_of(association.id),
            PushMessage(
                title=("【訓練】" if alert.drill else "") + f"気象庁：{alert.title}",
                body=f"{message.headline}\n安否確認を始めますか。",
                url=alert_path(alert),
                tag=f"jma-{alert.id}",
                kind=KIND_DISASTER,
                urgency="high",
                ttl=DISASTER_TTL,
            ),
        )
    record(
        f"jma.{alert.action}",
        association_id=association.id,
        target=alert,
        event_key=alert.event_key,
        link=link,
    )
    return alert


def _start(alert: JmaAlert, association: Association, by: Member | None, now: datetime) -> None:
    """Start the alert's event; EventNotStarted leaves the alert as it was."""
    event = start_disaster_event(
        association,
        kind=alert.kind,
        title=alert.title,
        message=alert.source.get("headline") or alert.title,
        drill=alert.drill,
        started_by=by,
        source=alert.source,
    )
    alert.action = ACTION_STARTED
    alert.disaster_event_id = getattr(event, "id", None)
    alert.decided_by_id = by.id if by else None
    alert.decided_at = now


def _tell_not_started(alert: JmaAlert) -> None:
    notify(
        officers_of(alert.association_id),
        PushMessage(
            title=f"気象庁：{alert.title}",
            body="安否確認を始められませんでした。すでに始まっている安否確認をお確かめください。",
            url=alert_path(alert),
            tag=f"jma-{alert.id}",
            kind=KIND_URGENT,
            urgency="high",
            ttl=DISASTER_TTL,
        ),
    )


def start_proposed(alert: JmaAlert, by: Member, now: datetime | None = None) -> None:
    """An officer's one tap: start the event the alert proposed (EventNotStarted if refused)."""
    if alert.action != ACTION_PROPOSED:
        raise JmaError("already decided")
    association = db.session.get(Association, alert.association_id)
    _start(alert, association, by=by, now=now or utcnow())
    record("jma.started", association_id=alert.association_id, actor=by, target=alert)


def dismiss(alert: JmaAlert, by: Member, now: datetime | None = None) -> None:
    """An officer decides not to start the event an alert proposed."""
    if alert.action != ACTION_PROPOSED:
        raise JmaError("already decided")
    alert.action = ACTION_DISMISSED
    alert.decided_by_id = by.id
    alert.decided_at = now or utcnow()
    record("jma.dismissed", association_id=alert.association_id, actor=by, target=alert)


def pending_alerts(association_id: int) -> list[JmaAlert]:
    """Alerts waiting for an officer's decision, newest first."""
    return list(
        db.session.scalars(
            select(JmaAlert)
            .where(JmaAlert.association_id == association_id, JmaAlert.action == ACTION_PROPOSED)
            .order_by(JmaAlert.created_at.desc(), JmaAlert.id.desc())
        )
    )


def recent_alerts(association_id: int, limit: int = 20) -> list[JmaAlert]:
    return list(
        db.session.scalars(
            select(JmaAlert)
            .where(JmaAlert.association_id == association_id)
            .order_by(JmaAlert.created_at.desc(), JmaAlert.id.desc())
            .limit(limit)
        )
    )


# -- cancellations --------------------------------------------------------------------------


def cancelled_alerts(
    association: Association, message: JmaMessage, now: datetime
) -> list[JmaAlert]:
    """The association's alerts a 取消 message takes back: same EventID, or same weather type."""
    settings = JmaSettings.of(association)
    drill = _drill_for(message, settings)
    if drill is None:
        return []
    query = select(JmaAlert).where(
        JmaAlert.association_id == association.id,
        JmaAlert.cancelled_at.is_(None),
        JmaAlert.action != ACTION_DISMISSED,
    )
    if message.type_code in (VXSE51, VXSE53):
        query = query.where(JmaAlert.event_key == _earthquake_key(message, drill))
    elif message.type_code in (VPWW53, VXWW50):
        prefix = _key(drill, "weather", message.type_code, "")
        query = query.where(
            JmaAlert.event_key.startswith(prefix, autoescape=True),
            JmaAlert.created_at >= now - CANCEL_WINDOW,
        )
    else:
        return []
    return list(db.session.scalars(query))


def tell_cancelled(alert: JmaAlert, message: JmaMessage, now: datetime) -> None:
    """Record a cancellation and tell the officers; it ends nothing by itself."""
    alert.cancelled_at = now
    alert.cancel_headline = message.headline
    if alert.action == ACTION_STARTED:
        body = (
            "気象庁が情報を取り消しました。安否確認は続いています。終えるかどうか決めてください。"
        )
    else:
        body = "気象庁が情報を取り消しました。"
    notify(
        officers_of(alert.association_id),
        PushMessage(
            title=f"取消：{alert.title}",
            body=body,
            url=alert_path(alert),
            tag=f"jma-{alert.id}",
            kind=KIND_URGENT,
            urgency="high",
            ttl=DISASTER_TTL,
        ),
    )
    record("jma.cancelled", association_id=alert.association_id, target=alert)


# -- polling --------------------------------------------------------------------------------


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
