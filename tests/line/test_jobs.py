"""The LINE jobs: the month's count from LINE, forgetting old webhook events and codes."""

from datetime import timedelta

from sqlalchemy import func, select

from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.line.jobs import check_allowances, prune
from jichikai.line.linking import new_link_code
from jichikai.line.models import LineAccount, LineLinkCode, LineWebhookEvent


def test_check_allowances_asks_line(world, account, line):
    line.quota, line.usage = 200, 42
    assert check_allowances(utcnow()) == {"checked": 1}
    saved = db.session.scalar(select(LineAccount))
    assert (saved.quota_type, saved.quota_limit, saved.quota_used) == ("limited", 200, 42)


def test_a_refused_token_found_by_the_job_turns_the_account_off(world, account, line):
    line.tokens = set()
    assert check_allowances(utcnow()) == {"checked": 0}
    assert db.session.scalar(select(LineAccount.state)) == "off"


def test_prune_forgets_old_events_and_expired_codes(world, account):
    now = utcnow()
    for age, event_id in ((timedelta(days=8), "old"), (timedelta(hours=1), "new")):
        db.session.add(
            LineWebhookEvent(
                association_id=world.association.id, event_id=event_id, received_at=now - age
            )
        )
    new_link_code(world.member, now - timedelta(hours=1))  # expired 30 minutes ago
    db.session.commit()
    assert prune(now) == {"webhook_events": 1, "link_codes": 1}
    assert db.session.scalar(select(LineWebhookEvent.event_id)) == "new"
    assert db.session.scalar(select(func.count()).select_from(LineLinkCode)) == 0
