"""Sending the LINE outbox: claim due rows, group equal messages, multicast, record answers.

Rows are claimed with push.delivery.claim() (leases, SKIP LOCKED). Each association sends
with its own account. Rows whose message is the same (title, body, event, circular and
language make the message: see messages.row_messages) go out together, up to 500 user ids per
multicast; a message for one member alone is a push. Every request carries an
`X-Line-Retry-Key` made from its rows, so a request repeated after a lost answer is not
delivered twice (LINE answers 409).

What LINE answers decides each row:
- 2xx (or 409 for a repeated retry key): sent.
- 429: the rows wait (Retry-After when given, else the backoff) and the account pauses; the
  month's allowance used up ("monthly limit") pauses it for an hour and officers are told.
- 401/403: LINE refused the access token; the account is off and its rows wait until
  officers save a new one.
- 400 to a multicast naming a user id (`to[n]`): each of its members is tried alone, to find
  the one LINE refuses; 400 naming the messages, or any other 4xx: the rows failed.
- 5xx or no answer: tried again with push.delivery.backoff, until the row's TTL.
"""

import logging
import uuid
from collections import defaultdict
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import func, select, update

from ..database import utcnow
from ..extensions import db
from ..push.channels import ChannelOff
from ..push.delivery import backoff, claim, expire_overdue
from ..push.lease import LeaseHolder
from ..push.models import Outbox
from ..push.tally import count_outcomes
from ..reach.models import CHANNEL_LINE, STATE_WORKING, Contact
from .client import MULTICAST_MAX, Answer, LineClient
from .messages import content_key, line_actions, row_messages
from .models import ACCOUNT_OFF, LineAccount
from .settings import account_token, turn_off

log = logging.getLogger(__name__)

# Rows of an account that cannot send now are looked at again this much later.
WAIT_WHEN_OFF = timedelta(minutes=10)
WAIT_AT_MONTHLY_LIMIT = timedelta(hours=1)
RETRY_KEY_NAMESPACE = uuid.UUID("4c1e6a4e-7d0b-4e52-9a51-0c7b2f3e8d11")


@dataclass
class LineSummary:
    """Counts of one send-pending pass."""

    sent: int = 0
    failed: int = 0
    retry: int = 0
    waiting: int = 0  # the account is not set up, off, paused or at its monthly limit
    expired: int = 0
    requests: int = 0
    batches: int = 0
    waiting_associations: set = field(default_factory=set)

    def add(self, other: "LineSummary") -> None:
        for name in ("sent", "failed", "retry", "waiting", "expired", "requests", "batches"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.waiting_associations |= other.waiting_associations

    def __str__(self) -> str:
        text = (
            f"sent {self.sent}, failed {self.failed}, retry {self.retry}, "
            f"waiting {self.waiting}, expired {self.expired}, requests {self.requests}"
        )
        if self.waiting_associations:
            text += f" (waiting in associations {sorted(self.waiting_associations)})"
        return text


@dataclass
class Row:
    id: int
    attempts: int
    association_id: int
    contact_id: int
    expires_at: datetime
    address: str = ""
    messages: list = field(default_factory=list)


@dataclass
class Request:
    """One push or multicast: its rows (several rows may share one user id)."""

    association_id: int
    messages: list
    rows: list[Row]

    @property
    def user_ids(self) -> list[str]:
        return list(dict.fromkeys(r.address for r in self.rows))

    @property
    def retry_key(self) -> str:
        ids = ",".join(str(r.id) for r in sorted(self.rows, key=lambda r: r.id))
        return str(uuid.uuid5(RETRY_KEY_NAMESPACE, ids))


@dataclass
class Outcome:
    rows: list[Row]
    answer: Answer


# Claiming ---------------------------------------------------------------------------------


def claim_rows(now: datetime, limit: int, lease_seconds: float) -> list[Row]:
    claimed = claim(
        CHANNEL_LINE,
        now,
        limit,
        lease_seconds,
        Outbox.association_id,
        Outbox.contact_id,
        Outbox.title,
        Outbox.body,
        Outbox.event_id,
        Outbox.notice_id,
        Outbox.language,
        Outbox.actions,
        Outbox.expires_at,
    )
    rows, built = [], {}
    for c in sorted(claimed, key=lambda r: r.id):
        shown = line_actions(c.actions, c.event_id, c.notice_id)
        key = (c.title, c.body, c.event_id, c.notice_id, c.language, shown)
        if key not in built:
            built[key] = row_messages(c.title, c.body, c.event_id, c.notice_id, c.language, shown)
        rows.append(
            Row(c.id, c.attempts, c.association_id, c.contact_id, c.expires_at, "", built[key])
        )
    return rows


def _requests(rows: list[Row]) -> list[Request]:
    """Equal messages of one association together, at most 500 user ids a request."""
    groups: dict[tuple, list[Row]] = defaultdict(list)
    for row in rows:
        groups[(row.association_id, content_key(row.messages))].append(row)
    requests = []
    for (association_id, _key), group in groups.items():
        by_user: dict[str, list[Row]] = defaultdict(list)
        for row in group:
            by_user[row.address].append(row)
        users = list(by_user)
        for start in range(0, len(users), MULTICAST_MAX):
            chunk = [r for user in users[start : start + MULTICAST_MAX] for r in by_user[user]]
            requests.append(Request(association_id, group[0].messages, chunk))
    return requests


# Recording --------------------------------------------------------------------------------


class Recorder:
    """Collects what happens to each row, then writes it in a few statements."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.summary = LineSummary()
        self.sent: list[Row] = []
        self.failed: list[tuple[Row, str, int | None, str]] = []  # row, error, status, state
        self.later: list[dict] = []

    def wait(self, rows: list[Row], until: datetime, why: str) -> None:
        """Back to pending without using up an attempt (the account could not send)."""
        for row in rows:
            self.later.append(
                {
                    "id": row.id,
                    "status": "pending",
                    "next_attempt_at": until,
                    "attempts": row.attempts - 1,
                    "last_status": None,
                    "last_error": why[:500],
                }
            )
        self.summary.waiting += len(rows)
        self.summary.waiting_associations |= {r.association_id for r in rows}

    def retry(self, rows: list[Row], answer: Answer) -> None:
        error = answer.error or f"HTTP {answer.status}"
        for row in rows:
            when = self.now + timedelta(seconds=max(backoff(row.attempts), answer.retry_after or 0))
            if when >= row.expires_at:
                self.failed.append((row, f"expired: {error}", answer.status, "expired"))
                self.summary.expired += 1
                continue
            self.later.append(
                {
                    "id": row.id,
                    "status": "pending",
                    "next_attempt_at": when,
                    "attempts": row.attempts,
                    "last_status": answer.status,
                    "last_error": error[:500],
                }
            )
            self.summary.retry += 1

    def fail(self, rows: list[Row], error: str, status: int | None = None) -> None:
        for row in rows:
            self.failed.append((row, error, status, "failed"))
        self.summary.failed += len(rows)

    def write(self) -> LineSummary:
        if self.sent:
            ids = [r.id for r in self.sent]
            for start in range(0, len(ids), 1000):
                db.session.execute(
                    update(Outbox)
                    .where(Outbox.id.in_(ids[start : start + 1000]))
                    .values(status="sent", sent_at=self.now, last_status=200, last_error="")
                    .execution_options(synchronize_session=False)
                )
            contacts = list({r.contact_id for r in self.sent})
            for start in range(0, len(contacts), 1000):
                db.session.execute(
                    update(Contact)
                    .where(Contact.id.in_(contacts[start : start + 1000]))
                    .values(last_success_at=self.now, failures=0, last_error="")
                    .execution_options(synchronize_session=False)
                )
        for row, error, status, state in self.failed:
            db.session.execute(
                update(Outbox)
                .where(Outbox.id == row.id)
                .values(status=state, last_status=status, last_error=error[:500])
                .execution_options(synchronize_session=False)
            )
        if self.later:
            db.session.execute(update(Outbox), self.later)
        self.summary.sent = len(self.sent)
        count_outcomes(
            CHANNEL_LINE,
            {
                "sent": self.summary.sent,
                "failed": self.summary.failed,
                "retry": self.summary.retry,
                "expired": self.summary.expired,
            },
        )
        db.session.flush()
        return self.summary


# Sending ----------------------------------------------------------------------------------


def send_request(client: LineClient, request: Request) -> Answer:
    users = request.user_ids
    if len(users) == 1:
        return client.push(users[0], request.messages, request.retry_key)
    return client.multicast(users, request.messages, request.retry_key)


class LineSender:
    """The LINE channel's sender: one API client per association, requests in a thread pool."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        config = app.config
        self.batch_size = max(1, int(config["LINE_BATCH_SIZE"]))
        self.pool = ThreadPoolExecutor(
            max_workers=max(1, int(config["LINE_CONCURRENCY"])), thread_name_prefix="line-send"
        )
        self._clients: dict[int, tuple[str, LineClient]] = {}

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        for _token, client in self._clients.values():
            client.close()
        self._clients.clear()

    def client_for(self, association_id: int, token: str) -> LineClient:
        cached = self._clients.get(association_id)
        if cached is not None and cached[0] == token:
            return cached[1]
        if cached is not None:
            cached[1].close()
        client = LineClient(token, self.app)
        self._clients[association_id] = (token, client)
        return client

    def send_pending(self, max_batches: int | None = None) -> LineSummary:
        """Send until nothing is due (or `max_batches` claims were sent)."""
        total = LineSummary()
        while max_batches is None or total.batches < max_batches:
            summary, claimed = self.send_batch()
            total.add(summary)
            if claimed < self.batch_size:
                break
        return total

    def send_batch(self) -> tuple[LineSummary, int]:
        """Claim one batch, send it, record the answers; commits twice."""
        config = current_app.config
        leases = LeaseHolder(
            Outbox, lease_seconds=float(config["LINE_LEASE_SECONDS"]), cap=self.batch_size
        )
        now = utcnow()
        expired = expire_overdue(now)
        rows = claim_rows(now, self.batch_size, leases.lease_seconds)
        leases.hold(r.id for r in rows)
        db.session.commit()
        if not rows:
            return LineSummary(expired=expired), 0

        recorder = Recorder(now)
        sendable = self._ready(rows, recorder, now)
        answers = self._send(sendable, leases)
        recorder.now = utcnow()
        self._apply(answers, recorder)
        summary = recorder.write()
        db.session.commit()
        summary.expired += expired
        summary.batches = 1
        return summary, len(rows)

    def _ready(self, rows: list[Row], recorder: Recorder, now: datetime) -> list[Request]:
        """Rows whose account can send now, with their user ids; the rest wait or fail."""
        contacts = {}
        ids = list({r.contact_id for r in rows if r.contact_id is not None})
        for start in range(0, len(ids), 1000):
            for contact_id, address, state in db.session.execute(
                select(Contact.id, Contact.address, Contact.state).where(
                    Contact.id.in_(ids[start : start + 1000])
                )
            ):
                contacts[contact_id] = (address, state)
        accounts = {
            a.association_id: a
            for a in db.session.scalars(
                select(LineAccount).where(
                    LineAccount.association_id.in_({r.association_id for r in rows})
                )
            )
        }
        tokens = {a_id: account_token(a) for a_id, a in accounts.items()}
        ready = []
        for row in rows:
            address, state = contacts.get(row.contact_id, ("", ""))
            if state != STATE_WORKING:
                recorder.fail([row], "the member's LINE is no longer linked")
                continue
            row.address = address
            account = accounts.get(row.association_id)
            if account is None or tokens.get(row.association_id) is None:
                recorder.wait([row], now + WAIT_WHEN_OFF, "no LINE account set up")
            elif account.state == ACCOUNT_OFF:
                recorder.wait([row], now + WAIT_WHEN_OFF, f"LINE is off: {account.problem}")
            elif account.paused_until is not None and account.paused_until > now:
                recorder.wait([row], account.paused_until, f"LINE paused: {account.problem}")
            else:
                ready.append(row)
        self._accounts = accounts
        self._tokens = tokens
        return _requests(ready)

    def _send(self, requests: list[Request], leases: LeaseHolder) -> list[Outcome]:
        """Every request through the pool; leases renewed while waiting; 400 to a multicast
        is split into pushes."""
        outcomes: list[Outcome] = []
        pending: dict[Future, Request] = {}

        def start(request: Request) -> None:
            association_id = request.association_id
            client = self.client_for(association_id, self._tokens[association_id])
            pending[self.pool.submit(send_request, client, request)] = request

        for request in requests:
            start(request)
        while pending:
            done, _ = wait(
                list(pending),
                timeout=max(0.05, leases.seconds_to_renewal()),
                return_when=FIRST_COMPLETED,
            )
            if leases.renew_if_due(utcnow()):
                db.session.commit()
            for future in done:
                request = pending.pop(future)
                answer = future.result()
                outcomes.append(Outcome(request.rows, answer))
                if answer.refused_recipient and len(request.user_ids) > 1:
                    outcomes.pop()  # find the member LINE refuses: each alone
                    by_user = defaultdict(list)
                    for row in request.rows:
                        by_user[row.address].append(row)
                    for user_rows in by_user.values():
                        start(Request(request.association_id, request.messages, user_rows))
        return outcomes

    def _apply(self, outcomes: list[Outcome], recorder: Recorder) -> None:
        now = recorder.now
        for outcome in outcomes:
            answer, rows = outcome.answer, outcome.rows
            recorder.summary.requests += 1
            account = self._accounts[rows[0].association_id]
            if answer.ok or answer.status == 409:
                recorder.sent.extend(rows)
            elif answer.refused_token:
                turn_off(account, answer.error or f"HTTP {answer.status}", now)
                recorder.wait(rows, now + WAIT_WHEN_OFF, f"LINE refused the token: {answer.error}")
            elif answer.monthly_limit:
                _pause(account, now + WAIT_AT_MONTHLY_LIMIT, answer.error, now)
                recorder.wait(rows, now + WAIT_AT_MONTHLY_LIMIT, answer.error)
            elif answer.status == 429:
                wait_for = max(answer.retry_after or 0, backoff(1))
                _pause(account, now + timedelta(seconds=wait_for), answer.error or "429", now)
                recorder.retry(rows, answer)
            elif answer.status is not None and 400 <= answer.status < 500:
                log.warning("LINE refused a message with %s: %s", answer.status, answer.error)
                recorder.fail(rows, answer.error or f"HTTP {answer.status}", answer.status)
            else:
                recorder.retry(rows, answer)


def _pause(account: LineAccount, until: datetime, why: str, now: datetime) -> None:
    if account.paused_until is None or account.paused_until < until:
        account.paused_until = until
    account.problem = why[:500]
    account.problem_at = now


def waiting_count(association_id: int) -> int:
    """LINE messages of the association not sent yet."""
    return db.session.scalar(
        select(func.count())
        .select_from(Outbox)
        .where(
            Outbox.association_id == association_id,
            Outbox.channel == CHANNEL_LINE,
            Outbox.status.in_(("pending", "sending")),
        )
    )


def open_sender(app: Flask) -> LineSender:
    """The channel's sender; off while no association has set up LINE."""
    with app.app_context():
        configured = db.session.scalar(select(func.count()).select_from(LineAccount))
    if not configured:
        raise ChannelOff("no association has set up a LINE account (officers: /line/settings)")
    return LineSender(app)
