"""The month's LINE allowance: what LINE counted, what is queued, what a message would use.

The Messaging API counts one message per recipient (a multicast to 300 members counts 300);
replies to a member's tap are free. The free plan in Japan allows 200 a month and sends no
more once they are used (LINE answers 429 "monthly limit"); paid plans allow more. LINE's own
numbers (`GET /v2/bot/message/quota` and `/quota/consumption`) are fetched by a job and when
officers open the settings page; `allowance()` itself never calls LINE, so a confirmation
page can show it at once.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..database import utcnow
from ..extensions import db
from ..org.models import Association
from ..push.models import Outbox
from ..reach.models import CHANNEL_LINE, STATE_WORKING, Contact
from .client import LineClient
from .models import ACCOUNT_OFF, LineAccount
from .settings import account_of, account_token, turn_off

QUOTA_FRESH_FOR = timedelta(minutes=10)


@dataclass(frozen=True)
class Allowance:
    """The association's LINE messages this month. `limit` None: no limit, or not known."""

    configured: bool
    working: bool
    limit: int | None = None
    used: int | None = None  # as LINE counted at `checked_at`
    queued: int = 0  # in the outbox, not sent yet
    linked: int = 0  # members whose LINE is linked and working
    checked_at: datetime | None = None

    @property
    def remaining(self) -> int | None:
        """Messages still free this month after the queued ones, or None without a limit."""
        if self.limit is None:
            return None
        return max(0, self.limit - (self.used or 0) - self.queued)

    def exceeded_by(self, messages: int) -> int:
        """How many of `messages` more would go beyond the allowance (0: all fit)."""
        remaining = self.remaining
        if remaining is None:
            return 0
        return max(0, messages - remaining)


def allowance(association: Association) -> Allowance:
    """What the association may still send by LINE this month (no call to LINE).

    For the start-event confirmation: `allowance(a).exceeded_by(allowance(a).linked)` says
    how many members would not get the start message by LINE."""
    account = account_of(association.id)
    if account is None:
        return Allowance(configured=False, working=False)
    queued = db.session.scalar(
        select(func.count())
        .select_from(Outbox)
        .where(
            Outbox.association_id == association.id,
            Outbox.channel == CHANNEL_LINE,
            Outbox.status.in_(("pending", "sending")),
        )
    )
    linked = db.session.scalar(
        select(func.count(func.distinct(Contact.member_id))).where(
            Contact.association_id == association.id,
            Contact.channel == CHANNEL_LINE,
            Contact.state == STATE_WORKING,
        )
    )
    return Allowance(
        configured=True,
        working=account.state != ACCOUNT_OFF and account_token(account) is not None,
        limit=account.quota_limit if account.quota_type == "limited" else None,
        used=account.quota_used,
        queued=queued,
        linked=linked,
        checked_at=account.quota_checked_at,
    )


def refresh_quota(account: LineAccount, now: datetime | None = None, force=False) -> bool:
    """Ask LINE for the month's allowance and use; flush, no commit. True when it answered."""
    now = now or utcnow()
    if (
        not force
        and account.quota_checked_at is not None
        and now - account.quota_checked_at < QUOTA_FRESH_FOR
    ):
        return True
    token = account_token(account)
    if token is None:
        return False
    client = LineClient(token)
    try:
        answer, kind, limit = client.quota()
        if answer.ok:
            usage_answer, used = client.consumption()
            answer = usage_answer
    finally:
        client.close()
    if answer.refused_token:
        turn_off(account, answer.error or f"HTTP {answer.status}", now)
    if not answer.ok:
        db.session.flush()
        return False
    account.quota_type, account.quota_limit, account.quota_used = kind, limit, used
    account.quota_checked_at = now
    if account.paused_until is not None and kind == "limited" and (used or 0) < (limit or 0):
        # A new month (or a bigger plan): no need to wait out the monthly-limit pause.
        account.paused_until = None
    db.session.flush()
    return True


def sending_associations(association_ids: set[int]) -> set[int]:
    """Which of these associations have a LINE account that is not off (reach routing)."""
    if not association_ids:
        return set()
    return set(
        db.session.scalars(
            select(LineAccount.association_id).where(
                LineAccount.association_id.in_(association_ids),
                LineAccount.state != ACCOUNT_OFF,
            )
        )
    )


def allowance_warning(association_id: int, reach) -> str | None:
    """A sentence for the start-event and posting forms when the LINE messages they would
    send run past the month's free allowance."""
    messages = reach.by_channel.get(CHANNEL_LINE, 0)
    if not messages:
        return None
    association = db.session.get(Association, association_id)
    over = allowance(association).exceeded_by(messages)
    if not over:
        return None
    return _(
        "LINEの今月の無料の数を %(n)s通こえます。こえた分は、LINEでは届きません。",
        n=over,
    )
