"""Sending the outbox's email rows: claim, hold, send over reused connections, record.

Claims use push.delivery.claim() and its lease (push.lease.LeaseHolder): the rows are
`sending` while a worker holds them, the lease is renewed while their batch is out, and a
worker that dies loses nothing (its rows are due again within MAIL_LEASE_SECONDS).
Each batch of up to MAIL_BATCH_SIZE rows (fewer when fewer are due, so that a small event
still uses every connection) goes over one SMTP connection (opened, used for every
message of the batch, closed) in a thread of its own; up to MAIL_CONNECTIONS batches are out
at once. Answers are written as they arrive.

Which rows are sent: a row whose contact is `working`; a row of kind "confirm" (the message
with the link that confirms a new address) also when its contact is `unconfirmed` - that
message is how the address gets confirmed. Rows whose contact is failed, stopped, or
unconfirmed (any other kind) are not sent: they are marked failed with the reason.

Results: accepted -> sent (and the contact's last_success_at); a temporary failure -> pending
again after a backoff (push.delivery.backoff), or expired once the TTL has passed; the address
does not exist -> failed, the contact failed, officers told (services.mark_undeliverable);
the message itself refused -> failed.
"""

import logging
import math
import queue
from collections import defaultdict
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import func, select, update

from ..database import utcnow
from ..extensions import db
from ..org.models import Association
from ..push.delivery import _answers, backoff, claim, expire_overdue
from ..push.lease import LeaseHolder
from ..push.models import Outbox
from ..push.tally import count_outcomes
from ..reach.models import CHANNEL_EMAIL, STATE_UNCONFIRMED, STATE_WORKING, Contact
from .compose import compose, outgoing
from .sender import BOUNCED, REFUSED, RETRY, SENT, MailResult, send_batch
from .services import mark_undeliverable
from .settings import MailSettings, mail_settings

log = logging.getLogger(__name__)

KIND_CONFIRM = "confirm"  # an address confirmation: sent to an unconfirmed contact too


@dataclass
class MailSummary:
    """Counts of one send-pending pass, for logs and the CLI."""

    sent: int = 0
    retry: int = 0
    bounced: int = 0
    refused: int = 0
    skipped: int = 0
    expired: int = 0
    batches: int = 0
    connections: int = 0

    def add(self, other: "MailSummary") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, retry {self.retry}, bounced {self.bounced}, "
            f"refused {self.refused}, skipped {self.skipped}, expired {self.expired}, "
            f"connections {self.connections}"
        )


def sendable(state: str, kind: str) -> bool:
    """Whether a row may go to a contact in `state`: working, or a confirmation."""
    return state == STATE_WORKING or (state == STATE_UNCONFIRMED and kind == KIND_CONFIRM)


@dataclass(frozen=True)
class Claimed:
    id: int
    attempts: int
    contact_id: int
    expires_at: datetime


def claim_batch(
    settings: MailSettings, now: datetime, limit: int
) -> tuple[list[Claimed], list[tuple[int, object]], MailSummary]:
    """Claim up to `limit` due email rows and compose them; rows that must not be sent are
    marked failed at once. Flushes; the caller commits before anything goes out."""
    summary = MailSummary()
    rows = claim(
        CHANNEL_EMAIL,
        now,
        limit,
        settings.lease_seconds,
        Outbox.contact_id,
        Outbox.association_id,
        Outbox.kind,
        Outbox.title,
        Outbox.body,
        Outbox.actions,
        Outbox.language,
        Outbox.expires_at,
    )
    if not rows:
        return [], [], summary
    contacts = {
        c.id: c
        for c in db.session.execute(
            select(Contact.id, Contact.address, Contact.state).where(
                Contact.id.in_({r.contact_id for r in rows if r.contact_id})
            )
        )
    }
    names = dict(
        db.session.execute(
            select(Association.id, Association.name).where(
                Association.id.in_({r.association_id for r in rows})
            )
        ).all()
    )
    claimed, messages, skipped = [], [], defaultdict(list)
    for row in sorted(rows, key=lambda r: r.id):
        contact = contacts.get(row.contact_id)
        if contact is None or not sendable(contact.state, row.kind):
            state = contact.state if contact else "missing"
            skipped[f"not sent: the address is {state}"].append(row.id)
            continue
        item = outgoing(row, contact.address, names.get(row.association_id, ""))
        claimed.append(Claimed(row.id, row.attempts, contact.id, row.expires_at))
        messages.append((row.id, compose(item, sender=settings.sender, reply_to=settings.reply_to)))
    for error, ids in skipped.items():
        db.session.execute(
            update(Outbox)
            .where(Outbox.id.in_(ids))
            .values(status="failed", last_status=None, last_error=error)
            .execution_options(synchronize_session=False)
        )
        summary.skipped += len(ids)
    return claimed, messages, summary


def record_results(
    results: list[MailResult], claimed: dict[int, Claimed], now: datetime
) -> MailSummary:
    """Write each answer on its row (and contact); flush, no commit."""
    summary = MailSummary()
    sent, retry, failed = [], [], []
    ok_contacts: set[int] = set()
    bounced: dict[int, str] = {}
    for result in results:
        item = claimed[result.id]
        values = {"id": result.id, "last_status": result.code, "last_error": result.error[:1000]}
        if result.outcome == SENT:
            sent.append({**values, "status": "sent", "sent_at": now})
            ok_contacts.add(item.contact_id)
            summary.sent += 1
        elif result.outcome == RETRY:
            when = now + timedelta(seconds=backoff(item.attempts))
            if when >= item.expires_at:
                failed.append({**values, "status": "expired"})
                summary.expired += 1
            else:
                retry.append({**values, "status": "pending", "next_attempt_at": when})
                summary.retry += 1
        else:
            failed.append({**values, "status": "failed"})
            if result.outcome == BOUNCED:
                bounced[item.contact_id] = result.error
                summary.bounced += 1
            elif result.outcome == REFUSED:
                summary.refused += 1
    for rows in (sent, retry, failed):
        if rows:
            db.session.execute(update(Outbox), rows)
    if ok_contacts:
        db.session.execute(
            update(Contact)
            .where(Contact.id.in_(ok_contacts))
            .values(last_success_at=now, failures=0, last_error="")
            .execution_options(synchronize_session=False)
        )
    mark_undeliverable(bounced, now)
    count_outcomes(
        CHANNEL_EMAIL,
        {
            "sent": summary.sent,
            "retry": summary.retry,
            "expired": summary.expired,
            "failed": summary.bounced + summary.refused,
        },
    )
    db.session.flush()
    return summary


class MailChannelSender:
    """The email channel's sender: settings read once, a pool of SMTP threads."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.settings = mail_settings(app)
        self.pool = ThreadPoolExecutor(
            max_workers=self.settings.connections, thread_name_prefix="jichikai-smtp"
        )
        log.info("email goes to %s", self.settings.describe())

    def start(self, messages: list[tuple[int, object]], on_result) -> Future:
        """Send one batch over one connection in a pool thread."""
        return self.pool.submit(send_batch, self.app, self.settings, messages, on_result)

    def send_pending(self, max_batches: int | None = None) -> MailSummary:
        return send_pending(self, max_batches)

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def batch_size(settings: MailSettings, now: datetime, held: int = 0) -> int:
    """MAIL_BATCH_SIZE, or less when fewer are due: what is due (with the `held` rows this
    worker has out) is spread over every connection (100 messages with 8 connections: 8
    batches of 13, not 2 of 50)."""
    due = db.session.scalar(
        select(func.count())
        .select_from(Outbox)
        .where(
            Outbox.channel == CHANNEL_EMAIL,
            Outbox.status.in_(("pending", "sending")),
            Outbox.next_attempt_at <= now,
            Outbox.expires_at > now,
        )
    )
    spread = math.ceil(((due or 0) + held) / settings.connections)
    return max(1, min(settings.batch_size, spread))


def send_pending(sender: MailChannelSender, max_batches: int | None = None) -> MailSummary:
    """Send until nothing is due (or `max_batches` batches were started); commits as it goes.

    Up to MAIL_CONNECTIONS batches are out at once; each answer is committed as it arrives
    (those arriving together in one commit) and the lease of the rows still out is renewed
    every third of its length.
    """
    settings = sender.settings
    leases = LeaseHolder(
        Outbox,
        lease_seconds=settings.lease_seconds,
        cap=settings.batch_size * settings.connections,
    )
    answers: queue.SimpleQueue[MailResult] = queue.SimpleQueue()
    claimed: dict[int, Claimed] = {}
    in_flight: list[Future] = []
    total = MailSummary()
    started, drained = 0, False
    while True:
        for future in [f for f in in_flight if f.done()]:
            total.connections += future.result()  # raises what the batch raised: the
            in_flight.remove(future)  # rows stay claimed and their lease ends
        can_start = not drained and (max_batches is None or started < max_batches)
        if can_start and len(in_flight) < settings.connections:
            now = utcnow()
            total.expired += expire_overdue(now)
            size = batch_size(settings, now, held=len(leases.held))
            items, messages, summary = claim_batch(settings, now, size)
            leases.hold(item.id for item in items)
            db.session.commit()  # the claim is durable before anything goes out
            total.add(summary)
            drained = len(items) + summary.skipped < size
            if messages:
                claimed.update((item.id, item) for item in items)
                in_flight.append(sender.start(messages, answers.put))
                started += 1
                total.batches += 1
            continue
        if not claimed:
            if not can_start:
                total.connections += sum(f.result() for f in in_flight)
                return total
            wait(in_flight, return_when=FIRST_COMPLETED)  # a batch is closing its connection
            continue

        results = _answers(answers, leases.seconds_to_renewal())
        if results:
            total.add(record_results(results, claimed, utcnow()))
            db.session.commit()
            leases.release(r.id for r in results)
            for result in results:
                del claimed[result.id]
        if leases.renew_if_due(utcnow()):
            db.session.commit()
