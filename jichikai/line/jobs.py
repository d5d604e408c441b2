"""Scheduled work of LINE: the month's allowance from LINE, and forgetting old events."""

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from ..extensions import db
from ..scheduling import ScheduledJob
from .linking import prune_link_codes
from .models import ACCOUNT_OFF, LineAccount, LineWebhookEvent
from .services import refresh_quota

# LINE redelivers an event for a while (about a day); a week of ids is plenty.
KEEP_WEBHOOK_EVENTS = timedelta(days=7)


def check_allowances(now: datetime) -> dict[str, int]:
    """Ask LINE how many messages each working account has used this month."""
    checked = 0
    for account in db.session.scalars(select(LineAccount).where(LineAccount.state != ACCOUNT_OFF)):
        checked += refresh_quota(account, now, force=True)
        db.session.commit()
    return {"checked": checked}


def prune(now: datetime) -> dict[str, int]:
    events = db.session.execute(
        delete(LineWebhookEvent).where(LineWebhookEvent.received_at < now - KEEP_WEBHOOK_EVENTS)
    ).rowcount
    codes = prune_link_codes(now)
    db.session.commit()
    return {"webhook_events": events or 0, "link_codes": codes}


JOBS = [
    ScheduledJob(
        "line.allowance",
        check_allowances,
        every_seconds=3600,
        description="Ask LINE for each account's monthly message count",
    ),
    ScheduledJob(
        "line.prune",
        prune,
        every_seconds=3600,
        description="Forget old LINE webhook events and expired link codes",
    ),
]
