"""The database's figures as Prometheus metrics, computed at each scrape.

A scrape while the database is away still answers: `jichikai_database_up` is 0 and the
figures that need the database are left out.
"""

import logging
import math
import time
from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from ..database import bounded_connection, describe_database_error
from . import services

log = logging.getLogger(__name__)


class DatabaseCollector(Collector):
    """Outbox, disaster events, check-ins, JMA feeds and worker heartbeats, read at `now`."""

    def __init__(self, now: datetime, *, statement_timeout: float, jma_feeds: list[str]):
        self.now = now
        self.statement_timeout = statement_timeout
        self.jma_feeds = jma_feeds

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        try:
            with bounded_connection(self.statement_timeout) as connection:
                outbox = services.outbox_figures(connection, self.now)
                events = services.active_events(connection)
                checkins = services.active_checkins(connection)
                feeds = services.jma_feeds(connection, self.jma_feeds)
                heartbeats = services.heartbeats(connection)
        except SQLAlchemyError as error:
            log.warning("metrics: no figures from the database: %s", describe_database_error(error))
            yield _gauge("jichikai_database_up", "1 when the database answered this scrape.", 0)
            return
        yield _gauge("jichikai_database_up", "1 when the database answered this scrape.", 1)
        yield _gauge(
            "jichikai_metrics_database_seconds",
            "Time the database's figures of this scrape took.",
            time.perf_counter() - started,
        )
        yield from self._outbox(outbox)
        yield from self._disaster(events, checkins)
        yield from self._jma(feeds)
        yield from self._workers(heartbeats)

    def _outbox(self, outbox: services.OutboxFigures) -> Iterator[Metric]:
        rows = GaugeMetricFamily(
            "jichikai_outbox_messages",
            "Outbox rows by channel and state: due (to send now), retry (waiting after a failed "
            "attempt), sending (claimed by a sender), failed (refused as malformed; kept 30 days).",
            labels=["channel", "state"],
        )
        for (channel, state), count in sorted(outbox.rows.items()):
            rows.add_metric([channel, state], count)
        yield rows
        outcomes = CounterMetricFamily(
            "jichikai_outbox_deliveries",
            "Outbox rows by channel and how an attempt ended: sent, failed, expired (given up "
            "when its time to live passed), retry (to be tried again), gone (the address no "
            "longer exists).",
            labels=["channel", "outcome"],
        )
        for (channel, outcome), count in sorted(outbox.outcomes.items()):
            outcomes.add_metric([channel, outcome], count)
        yield outcomes
        oldest = GaugeMetricFamily(
            "jichikai_outbox_oldest_due_seconds",
            "How long the oldest due row of each channel has waited (0: none due).",
            labels=["channel"],
        )
        for channel in sorted({channel for channel, _state in outbox.rows}):
            since = outbox.oldest_due.get(channel)
            oldest.add_metric([channel], self._age(since) if since else 0.0)
        yield oldest

    def _disaster(self, events: dict, checkins: dict) -> Iterator[GaugeMetricFamily]:
        active = GaugeMetricFamily(
            "jichikai_disaster_events_active",
            "Disaster events running now (drill: a drill).",
            labels=["drill"],
        )
        for drill, count in sorted(events.items()):
            active.add_metric(["true" if drill else "false"], count)
        yield active
        reports = GaugeMetricFamily(
            "jichikai_disaster_checkins",
            "Check-ins stored in the events running now (one per member reported), by how they "
            "came: app, proxy (a leader for someone), email or line (a one-tap link).",
            labels=["channel"],
        )
        for channel, count in sorted(checkins.items()):
            reports.add_metric([channel], count)
        yield reports

    def _jma(self, feeds: list[services.FeedFigures]) -> Iterator[GaugeMetricFamily]:
        success = GaugeMetricFamily(
            "jichikai_jma_feed_success_age_seconds",
            "Since a poll last read the JMA feed (+Inf: never).",
            labels=["feed"],
        )
        polled = GaugeMetricFamily(
            "jichikai_jma_feed_poll_age_seconds",
            "Since a poll last tried the JMA feed, whatever came of it.",
            labels=["feed"],
        )
        failing = GaugeMetricFamily(
            "jichikai_jma_feed_failing",
            "1 when the last poll of the JMA feed failed.",
            labels=["feed"],
        )
        for feed in sorted(feeds, key=lambda f: f.url):
            success.add_metric([feed.url], self._age(feed.last_success_at))
            polled.add_metric([feed.url], self._age(feed.last_polled_at))
            failing.add_metric([feed.url], 1 if feed.failing else 0)
        yield from (success, polled, failing)

    def _workers(self, heartbeats: dict[str, datetime]) -> Iterator[GaugeMetricFamily]:
        ages = GaugeMetricFamily(
            "jichikai_worker_heartbeat_age_seconds",
            "Since each kind of worker last beat (scheduler: the worker holding the scheduler).",
            labels=["worker"],
        )
        for name, beat_at in sorted(heartbeats.items()):
            ages.add_metric([name], self._age(beat_at))
        yield ages

    def _age(self, when: datetime | None) -> float:
        if when is None:
            return math.inf
        return max(0.0, (self.now - when).total_seconds())


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)
