"""The circulars a phone keeps for reading offline, chosen when the app is opened online.

The 20 newest live circulars the member can see are kept (their pages and the attachments the
pages show: an image's small version, a PDF itself), newest first, within a size budget
for the attachments: 15 MB by default (NOTICE_OFFLINE_BUDGET_BYTES). An attachment that would
go beyond the budget is skipped (it is read online); the pages themselves are always kept.
The service worker (static/js/sw.js) fetches them with the header OFFLINE_HEADER, and opening a
page that way records no read: the member has not opened it yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..database import utcnow
from ..extensions import db
from ..org.models import Household, Member
from .models import Notice
from .services import audience_condition, live_conditions

OFFLINE_NOTICES = 20
OFFLINE_BUDGET_BYTES = 15 * 1024 * 1024
OFFLINE_HEADER = "X-Jichikai-Purpose"
OFFLINE_PURPOSE = "offline"


def budget_bytes() -> int:
    return int(current_app.config.get("NOTICE_OFFLINE_BUDGET_BYTES", OFFLINE_BUDGET_BYTES))


@dataclass
class OfflineNotice:
    id: int
    url: str
    attachments: list[str] = field(default_factory=list)


@dataclass
class OfflineSet:
    notices: list[OfflineNotice]
    budget: int
    used: int = 0  # bytes of the attachments kept
    skipped: list[str] = field(default_factory=list)  # attachments beyond the budget


def newest_visible(member: Member, now: datetime, limit: int = OFFLINE_NOTICES) -> list[Notice]:
    """The member's newest live circulars (their block's and the whole association's)."""
    blocks = set(member.led_block_ids)
    if member.household_id:
        blocks.add(
            db.session.scalar(select(Household.block_id).where(Household.id == member.household_id))
        )
    query = select(Notice).where(*live_conditions(member.association_id, now))
    if not member.is_officer:
        query = query.where(audience_condition(blocks))
    return list(
        db.session.scalars(
            query.options(selectinload(Notice.attachments))
            .order_by(Notice.published_at.desc(), Notice.id.desc())
            .limit(limit)
        )
    )


def offline_set(member: Member, now: datetime | None = None) -> OfflineSet:
    """What to keep on the phone: pages newest first, attachments while the budget lasts."""
    result = OfflineSet([], budget_bytes())
    for notice in newest_visible(member, now or utcnow()):
        kept = OfflineNotice(notice.id, url_for("notices.show", notice_id=notice.id))
        for item in notice.attachments:
            endpoint = "notices.attachment_web" if item.has_web_version else "notices.attachment"
            url = url_for(endpoint, notice_id=notice.id, attachment_id=item.id)
            # An image's small version is smaller than the upload: its size bounds it.
            if result.used + item.size > result.budget:
                result.skipped.append(url)
                continue
            result.used += item.size
            kept.attachments.append(url)
        result.notices.append(kept)
    return result
