"""Sending what notify() queued: claim due rows, send them, record what the services said.

A claim marks rows `sending` with a lease (`next_attempt_at` = end of the lease) in one
statement: `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)` on PostgreSQL, so that
several workers share the rows without waiting on each other; on SQLite the statement alone is
atomic (one writer at a time). The lease is short and renewed while the worker holds the rows,
and a worker holds a bounded number unanswered (`lease.LeaseHolder`): a worker that dies after
claiming loses nothing, and its rows are due again within one lease. Rows whose result was
committed are never sent again.
"""

import logging
import queue
import random
import time
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import delete, func, or_, select, update

from ..database import utcnow
from ..extensions import db
from ..org.models import Member
from .lease import LeaseHolder
from .models import PushDelivery, PushSubscription
from .sender import Outgoing, Result, Sender
from .services import payload
from .tally import count_outcomes
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
    channels = db.session.scalars(
        update(PushDelivery)
        .where(PushDelivery.status.in_(("pending", "sending")), PushDelivery.expires_at <= now)
        .values(status="expired", last_error="TTL passed before sending")
        .returning(PushDelivery.channel)
        .execution_options(synchronize_session=False)
    ).all()
    for channel, count in Counter(channels).items():
        count_outcomes(channel, {"expired": count})
    return len(channels)


def due_rows(channel: str, now: datetime, limit: int):
    """The ids of up to `limit` due rows of `channel` (pending, or sending with an ended
    lease), oldest first; FOR UPDATE SKIP LOCKED on PostgreSQL. A subquery for claim()."""
    due = (
        select(PushDelivery.id)
        .where(
            PushDelivery.channel == channel,
            PushDelivery.status.in_(("pending", "sending")),
            PushDelivery.next_attempt_at <= now,
            PushDelivery.expires_at > now,
        )
        .order_by(PushDelivery.next_attempt_at, PushDelivery.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    return due.scalar_subquery()


def claim(channel: str, now: datetime, limit: int, lease_seconds: float, *columns) -> list:
    """Claim up to `limit` due rows of `channel` in one statement; returns `columns` of each
    (plus id and attempts). Every channel's sender claims its rows with this."""
    return db.session.execute(
        update(PushDelivery)
        .where(PushDelivery.id.in_(due_rows(channel, now, limit)))
        .values(
            status="sending",
            attempts=PushDelivery.attempts + 1,
            next_attempt_at=now + timedelta(seconds=lease_seconds),
        )
        .returning(PushDelivery.id, PushDelivery.attempts, *columns)
        .execution_options(synchronize_session=False)
    ).all()


def claim_due(now: datetime, limit: int, lease_seconds: int) -> list[Outgoing]:
    """Claim up to `limit` due push rows (pending, or sending with an ended lease)."""
    claimed = claim(
        "push",
        now,
        limit,
        lease_seconds,
        PushDelivery.subscription_id,
        PushDelivery.title,
        PushDelivery.body,
        PushDelivery.url,
        PushDelivery.tag,
        PushDelivery.urgency,
        PushDelivery.topic,
        PushDelivery.expires_at,
    )
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
    # Every attempt of a message carries the same Topic, so that a push service holding one
    # whose answer we never got replaces it with the retry instead of delivering both.
    collapse_retries = bool(current_app.config["PUSH_COLLAPSE_RETRIES"])
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
                topic=row.topic or (f"d{row.id}" if collapse_retries else None),
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
    count_outcomes(
        "push",
        {
            "sent": summary.sent,
            "failed": summary.failed,
            "retry": summary.retry,
            "expired": summary.expired,
            "gone": summary.gone,
        },
    )
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


def _claim(now: datetime, leases: LeaseHolder, limit: int) -> tuple[list[Outgoing], int]:
    """Expire what is overdue and claim up to `limit` rows; committed, so the claim is durable."""
    expired = expire_overdue(now)
    items = claim_due(now, min(limit, leases.room), leases.lease_seconds)
    leases.hold(item.id for item in items)
    db.session.commit()  # the claim is durable before anything goes out
    return items, expired


def _record(
    results: list[Result], claimed: dict[int, Outgoing], leases: LeaseHolder
) -> SendSummary:
    """Write answers as they arrive; commits, and the rows are no longer held."""
    summary = apply_results(
        results, claimed, {r.id: claimed[r.id].attempts for r in results}, utcnow()
    )
    db.session.commit()
    leases.release(r.id for r in results)
    for result in results:
        del claimed[result.id]
    return summary


def _leases(app: Flask | None = None) -> LeaseHolder:
    config = (app or current_app).config
    return LeaseHolder(
        PushDelivery,
        lease_seconds=float(config["PUSH_LEASE_SECONDS"]),
        cap=int(config["PUSH_MAX_UNACKNOWLEDGED"]),
    )


def send_batch(sender: Sender, now: datetime | None = None) -> SendSummary:
    """Claim one batch, send it, record the answers; commits twice (claim, then results)."""
    leases = _leases()
    items, expired = _claim(now or utcnow(), leases, int(current_app.config["PUSH_BATCH_SIZE"]))
    summary = SendSummary()
    if items:
        summary = _record(sender.send(items), {i.id: i for i in items}, leases)
        summary.batches = 1
    summary.expired += expired
    return summary


ACKNOWLEDGE_SECONDS = 0.1  # answers arriving this close together are written in one commit


def send_pending(sender: Sender, max_batches: int | None = None) -> SendSummary:
    """Send until nothing is due (or `max_batches` claims were sent).

    A sliding window: rows are claimed `PUSH_BATCH_SIZE` at a time while this worker holds
    fewer than `PUSH_MAX_UNACKNOWLEDGED` unanswered, each answer is written (committed) as it
    arrives, and the lease of the rows still in flight is renewed every third of its length.
    """
    config = current_app.config
    batch_size = max(1, int(config["PUSH_BATCH_SIZE"]))
    leases = _leases()
    answers: queue.SimpleQueue[Result] = queue.SimpleQueue()
    claimed: dict[int, Outgoing] = {}
    in_flight: list[Future] = []
    total = SendSummary()
    started, drained = 0, False
    while True:
        can_start = max_batches is None or started < max_batches
        if can_start and not drained and leases.room >= min(batch_size, leases.cap):
            items, expired = _claim(utcnow(), leases, batch_size)
            total.expired += expired
            drained = len(items) < min(batch_size, leases.cap)
            if items:
                claimed.update((i.id, i) for i in items)
                in_flight.append(sender.start(items, on_result=answers.put))
                started += 1
                total.batches += 1
                continue  # claim more while there is room
        if not claimed:
            return total
        for future in in_flight:
            if future.done() and future.exception() is not None:
                raise future.exception()  # the rows stay claimed: their lease ends
        in_flight = [f for f in in_flight if not f.done()]

        results = _answers(answers, leases.seconds_to_renewal())
        if results:
            summary = _record(results, claimed, leases)
            for name in ("sent", "gone", "failed", "retry", "expired"):
                setattr(total, name, getattr(total, name) + getattr(summary, name))
            total.statuses.update(summary.statuses)
        if leases.renew_if_due(utcnow()):
            db.session.commit()


def _answers(answers: queue.SimpleQueue, wait: float) -> list[Result]:
    """The answers that arrive within `wait` seconds, and those right behind the first."""
    try:
        results = [answers.get(timeout=max(0.01, wait))]
    except queue.Empty:
        return []
    until = time.monotonic() + ACKNOWLEDGE_SECONDS
    while (left := until - time.monotonic()) > 0:
        try:
            results.append(answers.get(timeout=left))
        except queue.Empty:
            break
    return results


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
