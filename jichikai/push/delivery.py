"""Sending what notify() queued: claim due rows, send them, record what the services said.

A claim marks rows `sending` with a lease (`next_attempt_at` = end of the lease) in one
statement: `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)` on PostgreSQL, so that
several workers share the rows without waiting on each other; on SQLite the statement alone is
atomic (one writer at a time). A worker that dies after claiming loses nothing: when the lease
ends the rows are due again. Rows whose result was committed are never sent again.
"""

import logging
import random
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import delete, func, or_, select, update

from ..database import utcnow
from ..extensions import db
from ..org.models import Member
from .models import PushDelivery, PushSubscription
from .sender import Outgoing, Result, Sender
from .services import payload
from .vapid import VapidSigner, app_subject, app_vapid

log = logging.getLogger(__name__)

OUR_FAULT = {400, 401, 403, 413}  # the request was wrong: retrying cannot help
GONE = {404, 410}  # the subscription no longer exists
MAX_BACKOFF = 3600


@dataclass
class SendSummary:
    """Counts of one send-pending pass, for logs and the CLI."""

    sent: int = 0
    gone: int = 0
    failed: int = 0
    retry: int = 0
    expired: int = 0
    batches: int = 0
    statuses: Counter = field(default_factory=Counter)

    @property
    def handled(self) -> int:
        return self.sent + self.gone + self.failed + self.retry + self.expired

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, gone {self.gone}, failed {self.failed}, "
            f"retry {self.retry}, expired {self.expired}"
        )


def expire_overdue(now: datetime) -> int:
    """Give up on queued rows whose TTL passed before they could be sent."""
    result = db.session.execute(
        update(PushDelivery)
        .where(PushDelivery.status.in_(("pending", "sending")), PushDelivery.expires_at <= now)
        .values(status="expired", last_error="TTL passed before sending")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def claim_due(now: datetime, limit: int, lease_seconds: int) -> list[Outgoing]:
    """Claim up to `limit` due rows (pending, or sending with an ended lease) for this worker."""
    due = (
        select(PushDelivery.id)
        .where(
            PushDelivery.status.in_(("pending", "sending")),
            PushDelivery.next_attempt_at <= now,
            PushDelivery.expires_at > now,
        )
        .order_by(PushDelivery.next_attempt_at, PushDelivery.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = db.session.execute(
        update(PushDelivery)
        .where(PushDelivery.id.in_(due.scalar_subquery()))
        .values(
            status="sending",
            attempts=PushDelivery.attempts + 1,
            next_attempt_at=now + timedelta(seconds=lease_seconds),
        )
        .returning(
            PushDelivery.id,
            PushDelivery.subscription_id,
            PushDelivery.attempts,
            PushDelivery.title,
            PushDelivery.body,
            PushDelivery.url,
            PushDelivery.tag,
            PushDelivery.urgency,
            PushDelivery.topic,
            PushDelivery.expires_at,
        )
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed:
        return []
    subscriptions = {
        row.id: row
        for row in db.session.execute(
            select(
                PushSubscription.id,
                PushSubscription.endpoint,
                PushSubscription.p256dh,
                PushSubscription.auth,
            ).where(PushSubscription.id.in_({row.subscription_id for row in claimed}))
        )
    }
    payloads: dict[tuple, bytes] = {}  # a fan-out is one message: build its JSON once
    items = []
    for row in sorted(claimed, key=lambda r: r.id):
        subscription = subscriptions[row.subscription_id]
        key = (row.title, row.body, row.url, row.tag)
        if key not in payloads:
            payloads[key] = payload(*key)
        items.append(
            Outgoing(
                id=row.id,
                subscription_id=subscription.id,
                endpoint=subscription.endpoint,
                p256dh=subscription.p256dh,
                auth=subscription.auth,
                payload=payloads[key],
                ttl=max(0, int((row.expires_at - now).total_seconds())),
                urgency=row.urgency,
                topic=row.topic,
                expires_at=row.expires_at,
                attempts=row.attempts,
            )
        )
    return items


def backoff(attempts: int) -> float:
    """Seconds before the next try: 30 s, 1 min, 2 min ... up to an hour, with jitter."""
    base = min(MAX_BACKOFF, 30 * 2 ** max(0, attempts - 1))
    return base * random.uniform(0.8, 1.2)


def apply_results(
    results: list[Result], claimed: dict[int, Outgoing], attempts: dict[int, int], now: datetime
) -> SendSummary:
    """Record each answer on its delivery row (and subscription); flush, no commit."""
    summary = SendSummary()
    sent, failed, retry, expired = [], [], [], []
    gone_subscriptions: set[int] = set()
    ok_subscriptions: set[int] = set()
    failing_subscriptions: dict[int, str] = {}
    given_up_subscriptions: set[int] = set()

    for result in results:
        summary.statuses[result.status or "none"] += 1
        item = claimed[result.id]
        if result.status is not None and 200 <= result.status < 300:
            sent.append(
                {
                    "id": result.id,
                    "status": "sent",
                    "sent_at": now,
                    "last_status": result.status,
                    "last_error": "",
                }
            )
            ok_subscriptions.add(result.subscription_id)
        elif result.status in GONE:
            gone_subscriptions.add(result.subscription_id)
        elif result.status is not None and 400 <= result.status < 500 and result.status != 429:
            log.warning(
                "push refused with %s (subscription %s): %s",
                result.status,
                result.subscription_id,
                result.error,
            )
            failed.append(
                {
                    "id": result.id,
                    "status": "failed",
                    "last_status": result.status,
                    "last_error": result.error or f"HTTP {result.status}",
                }
            )
            failing_subscriptions[result.subscription_id] = f"HTTP {result.status}: {result.error}"
        else:
            wait = max(backoff(attempts.get(result.id, 1)), result.retry_after or 0)
            when = now + timedelta(seconds=wait)
            error = result.error or f"HTTP {result.status}"
            if when >= item.expires_at:
                expired.append(
                    {
                        "id": result.id,
                        "status": "expired",
                        "last_status": result.status,
                        "last_error": error,
                    }
                )
                given_up_subscriptions.add(result.subscription_id)
            else:
                retry.append(
                    {
                        "id": result.id,
                        "status": "pending",
                        "next_attempt_at": when,
                        "last_status": result.status,
                        "last_error": error,
                    }
                )

    # Rows with the same outcome share their values: one UPDATE ... WHERE id IN (...) for each
    # (a fan-out's batch is one statement); retries differ in their times (executemany).
    groups: dict[tuple, list[int]] = {}
    for row in (*sent, *failed, *expired):
        values = tuple(sorted((k, v) for k, v in row.items() if k != "id"))
        groups.setdefault(values, []).append(row["id"])
    for values, ids in groups.items():
        db.session.execute(
            update(PushDelivery)
            .where(PushDelivery.id.in_(ids))
            .values(dict(values))
            .execution_options(synchronize_session=False)
        )
    if retry:
        db.session.execute(update(PushDelivery), retry)
    if ok_subscriptions:
        db.session.execute(
            update(PushSubscription)
            .where(PushSubscription.id.in_(ok_subscriptions))
            .values(last_success_at=now, failures=0, last_error="")
            .execution_options(synchronize_session=False)
        )
    for subscription_id, error in failing_subscriptions.items():
        db.session.execute(
            update(PushSubscription)
            .where(PushSubscription.id == subscription_id)
            .values(last_error=error[:500])
            .execution_options(synchronize_session=False)
        )
    if given_up_subscriptions:
        db.session.execute(
            update(PushSubscription)
            .where(PushSubscription.id.in_(given_up_subscriptions - ok_subscriptions))
            .values(failures=PushSubscription.failures + 1)
            .execution_options(synchronize_session=False)
        )
    if gone_subscriptions:
        # Their queued deliveries go with them (ON DELETE CASCADE).
        db.session.execute(
            delete(PushSubscription).where(PushSubscription.id.in_(gone_subscriptions))
        )
    summary.sent, summary.failed = len(sent), len(failed)
    summary.retry, summary.expired = len(retry), len(expired)
    summary.gone = sum(1 for r in results if r.status in GONE)
    db.session.flush()
    return summary


def make_sender(app: Flask | None = None) -> Sender:
    """A Sender configured from the app (VAPID key and subject, concurrency, timeout)."""
    app = app or current_app
    signer = VapidSigner(app_vapid(app), app_subject(app))
    return Sender(
        signer,
        concurrency=int(app.config["PUSH_CONCURRENCY"]),
        timeout=float(app.config["PUSH_TIMEOUT_SECONDS"]),
        encrypt_processes=int(app.config["PUSH_ENCRYPT_PROCESSES"]),
    )


@dataclass
class _Batch:
    items: list[Outgoing]
    expired: int
    results: Future | None = None


def _claim(now: datetime) -> _Batch:
    """Expire what is overdue and claim one batch; committed, so the claim is durable."""
    config = current_app.config
    expired = expire_overdue(now)
    items = claim_due(now, int(config["PUSH_BATCH_SIZE"]), int(config["PUSH_LEASE_SECONDS"]))
    db.session.commit()  # the claim is durable before anything goes out
    return _Batch(items, expired)


def _record(batch: _Batch, results: list[Result]) -> SendSummary:
    """Write one batch's answers; commits."""
    summary = apply_results(
        results, {i.id: i for i in batch.items}, {i.id: i.attempts for i in batch.items}, utcnow()
    )
    summary.expired += batch.expired
    summary.batches = 1
    db.session.commit()
    return summary


def send_batch(sender: Sender, now: datetime | None = None) -> SendSummary:
    """Claim one batch, send it, record the answers; commits twice (claim, then results)."""
    batch = _claim(now or utcnow())
    if not batch.items:
        summary = SendSummary()
        summary.expired = batch.expired
        return summary
    return _record(batch, sender.send(batch.items))


def send_pending(sender: Sender, max_batches: int | None = None) -> SendSummary:
    """Send batches until nothing is due (or `max_batches` were sent).

    Pipelined: the next batch is claimed while the previous one is in flight, and the previous
    one's answers are written while the next one is in flight (at most two batches claimed).
    """
    total = SendSummary()
    started = 0
    in_flight: _Batch | None = None
    while True:
        batch = None
        if max_batches is None or started < max_batches:
            batch = _claim(utcnow())
            total.expired += batch.expired
            batch.expired = 0
            if batch.items:
                batch.results = sender.start(batch.items)
                started += 1
            else:
                batch = None
        if in_flight is not None:
            summary = _record(in_flight, in_flight.results.result())
            for name in ("sent", "gone", "failed", "retry", "expired", "batches"):
                setattr(total, name, getattr(total, name) + getattr(summary, name))
            total.statuses.update(summary.statuses)
        if batch is None:
            return total
        in_flight = batch


def prune(now: datetime, *, keep_days: int = 30, max_failures: int = 5) -> dict[str, int]:
    """Delete dead subscriptions and old finished deliveries; flush, no commit."""
    inactive = select(Member.id).where(Member.active.is_(False))
    dead = db.session.execute(
        delete(PushSubscription).where(
            or_(
                PushSubscription.expires_at <= now,
                PushSubscription.member_id.in_(inactive),
                PushSubscription.failures >= max_failures,
            )
        )
    ).rowcount
    old = db.session.execute(
        delete(PushDelivery).where(
            PushDelivery.status.in_(("sent", "expired", "replaced", "failed")),
            PushDelivery.created_at < now - timedelta(days=keep_days),
        )
    ).rowcount
    return {"subscriptions": dead or 0, "deliveries": old or 0}


def problem_counts(association_id: int, since: datetime) -> list[tuple[int | None, int]]:
    """Failed deliveries by HTTP status since `since`, for the admins' page."""
    return list(
        db.session.execute(
            select(PushDelivery.last_status, func.count())
            .where(
                PushDelivery.association_id == association_id,
                PushDelivery.status == "failed",
                PushDelivery.created_at >= since,
            )
            .group_by(PushDelivery.last_status)
            .order_by(PushDelivery.last_status)
        ).all()
    )


def status_counts(association_id: int, since: datetime) -> dict[str, int]:
    """Deliveries by status since `since`."""
    return dict(
        db.session.execute(
            select(PushDelivery.status, func.count())
            .where(PushDelivery.association_id == association_id, PushDelivery.created_at >= since)
            .group_by(PushDelivery.status)
        ).all()
    )


def recent_problems(association_id: int, limit: int = 50) -> list[PushDelivery]:
    """The latest deliveries refused as malformed (400/401/403/413), newest first."""
    return list(
        db.session.scalars(
            select(PushDelivery)
            .where(PushDelivery.association_id == association_id, PushDelivery.status == "failed")
            .order_by(PushDelivery.created_at.desc(), PushDelivery.id.desc())
            .limit(limit)
        )
    )
