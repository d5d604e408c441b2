"""The figures /metrics reads from the database when it is scraped: a few grouped queries,
so that every process gives the same answer. Nothing here names a member or an association."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, case, func, select

from ..disaster.models import CheckIn, DisasterEvent
from ..health.models import WorkerHeartbeat
from ..jma.models import JmaFeed
from ..push.models import Outbox, OutboxTally
from ..reach.models import CHANNELS

# The outbox's rows still waiting, or refused as malformed, as /metrics counts them.
OUTBOX_STATES = ("due", "retry", "sending", "failed")
# How rows ended (push.tally), zero until the first of each.
OUTBOX_OUTCOMES = ("sent", "failed", "expired", "retry", "gone")
# How a check-in came (CheckIn.channel).
CHECKIN_CHANNELS = ("app", "proxy", "email", "line")


@dataclass
class OutboxFigures:
    """Rows of the outbox by channel and state, when the oldest due row became due, and the
    running totals of outcomes."""

    rows: dict[tuple[str, str], int] = field(default_factory=dict)
    oldest_due: dict[str, datetime] = field(default_factory=dict)
    outcomes: dict[tuple[str, str], int] = field(default_factory=dict)


def outbox_figures(connection: Connection, now: datetime) -> OutboxFigures:
    """Two small queries: the rows not yet finished (and the failed ones) through the status
    index, never the sent rows of the last month; the totals from `outbox_tally`.

    pending rows are `due` once their time has come, else waiting to `retry`; `sending` rows
    whose lease ended are due again (a sender died holding them).
    """
    is_due = Outbox.next_attempt_at <= now
    query = (
        select(
            Outbox.channel,
            Outbox.status,
            func.count(),
            func.sum(case((is_due, 1), else_=0)),
            func.min(case((is_due, Outbox.next_attempt_at))),
        )
        .where(Outbox.status.in_(("pending", "sending", "failed")))
        .group_by(Outbox.channel, Outbox.status)
    )
    figures = OutboxFigures(
        rows={(channel, state): 0 for channel in CHANNELS for state in OUTBOX_STATES},
        outcomes={(channel, outcome): 0 for channel in CHANNELS for outcome in OUTBOX_OUTCOMES},
    )
    for channel, status, count, due, oldest_due in connection.execute(query):
        due = int(due or 0)
        if status == "failed":
            _add(figures.rows, (channel, status), count)
            continue
        _add(figures.rows, (channel, "due"), due)
        _add(figures.rows, (channel, "retry" if status == "pending" else "sending"), count - due)
        if oldest_due is not None:
            known = figures.oldest_due.get(channel)
            figures.oldest_due[channel] = min(oldest_due, known or oldest_due)
    tally = select(OutboxTally.channel, OutboxTally.outcome, OutboxTally.count)
    for channel, outcome, count in connection.execute(tally):
        figures.outcomes[(channel, outcome)] = count
    return figures


def _add(counts: dict, key: tuple, value: int) -> None:
    counts[key] = counts.get(key, 0) + value


def active_events(connection: Connection) -> dict[bool, int]:
    """Disaster events running now, drills apart."""
    rows = connection.execute(
        select(DisasterEvent.drill, func.count())
        .where(DisasterEvent.active_association_id.is_not(None))
        .group_by(DisasterEvent.drill)
    )
    counts = {False: 0, True: 0}
    for drill, count in rows:
        counts[bool(drill)] += count
    return counts


def active_checkins(connection: Connection) -> dict[str, int]:
    """Check-in rows (one per member reported) of the events running now, by channel."""
    rows = connection.execute(
        select(CheckIn.channel, func.count())
        .join(DisasterEvent, DisasterEvent.id == CheckIn.event_id)
        .where(DisasterEvent.active_association_id.is_not(None))
        .group_by(CheckIn.channel)
    )
    counts = dict.fromkeys(CHECKIN_CHANNELS, 0)
    counts.update({channel: count for channel, count in rows})
    return counts


@dataclass(frozen=True)
class FeedFigures:
    url: str
    last_polled_at: datetime | None
    last_success_at: datetime | None
    failing: bool


def jma_feeds(connection: Connection, urls: list[str]) -> list[FeedFigures]:
    """The configured JMA feeds that have been polled at least once."""
    rows = connection.execute(
        select(
            JmaFeed.url, JmaFeed.last_polled_at, JmaFeed.last_success_at, JmaFeed.last_result
        ).where(JmaFeed.url.in_(urls))
    )
    return [
        FeedFigures(url, polled, success, result.startswith("error:"))
        for url, polled, success, result in rows
    ]


def heartbeats(connection: Connection) -> dict[str, datetime]:
    """When each kind of worker last beat."""
    rows = connection.execute(select(WorkerHeartbeat.name, WorkerHeartbeat.beat_at))
    return {name: beat_at for name, beat_at in rows}
