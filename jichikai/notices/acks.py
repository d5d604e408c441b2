"""確認しました: a member says they have read a circular, recorded apart from opening it.

Any circular shows the button; on a 要確認 circular (Notice.ack_required) only acknowledged
receipts count as done: in the member's feed, the leaders' and officers' counts, the CSV and the
reminders (services.done_conditions). A leader's paper or proxy record is the household's 確認印
and counts as acknowledged for the household.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..database import utcnow
from ..extensions import db
from ..org.models import Member
from .errors import NoticeError, NoticeForbidden
from .models import VIA_APP, Notice, ReadReceipt
from .permissions import is_recipient
from .services import _insert_ignoring_duplicates


def acknowledged_at(notice: Notice, member: Member) -> datetime | None:
    """When the member pressed 確認しました on this notice, if they did."""
    return db.session.scalar(
        select(ReadReceipt.acknowledged_at).where(
            ReadReceipt.notice_id == notice.id, ReadReceipt.member_id == member.id
        )
    )


def acknowledge(notice: Notice, member: Member, now: datetime | None = None) -> bool:
    """Record the member's 確認しました (and their read, if not yet); True the first time."""
    now = now or utcnow()
    if not is_recipient(member, notice):
        raise NoticeForbidden(_("この回覧の対象ではありません。"))
    if not notice.is_live(now):
        raise NoticeError(_("この回覧はもう掲載されていません。"))
    # A read by email or LINE keeps its way; pressing the button only adds the time.
    _insert_ignoring_duplicates(
        {
            "association_id": notice.association_id,
            "notice_id": notice.id,
            "household_id": member.household_id,
            "member_id": member.id,
            "via": VIA_APP,
            "read_at": now,
        }
    )
    receipt = db.session.scalars(
        select(ReadReceipt).where(
            ReadReceipt.notice_id == notice.id, ReadReceipt.member_id == member.id
        )
    ).one()
    if receipt.acknowledged_at is not None:
        return False
    receipt.acknowledged_at = now
    db.session.flush()
    return True
