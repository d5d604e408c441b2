"""What a reminder to a block's not-done households would reach, said before it is sent.

The reminder itself is services.remind_unread (one an hour per block, counting only reminders
that reached someone); this module plans it with reach.services.plan, the same choice of
channels notify() makes, and counts households beside members.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext as _

from ..push.services import KIND_NOTICE, KIND_URGENT, wants
from ..reach.models import CHANNELS
from ..reach.reports import channel_labels, plan_summary
from ..reach.services import Reach, choose, plan, working_routes
from .models import CATEGORY_URGENT, Notice
from .services import audience_members


@dataclass
class ReminderPlan:
    """Members and households a reminder would reach, per channel."""

    reach: Reach
    households: int  # not-done households with someone who gets circulars' messages
    by_channel_households: Counter = field(default_factory=Counter)
    unreached_households: int = 0  # of those, the ones no channel reaches

    @property
    def reached_households(self) -> int:
        return self.households - self.unreached_households


def reminder_plan(notice: Notice, block_ids: set[int] | None) -> ReminderPlan:
    """Plan a reminder to the not-done households of `block_ids` (None: every block)."""
    kind = KIND_URGENT if notice.category == CATEGORY_URGENT else KIND_NOTICE
    members = [m for m in audience_members(notice, block_ids, unread_only=True) if wants(m, kind)]
    reach = plan(members, every_channel=False)
    routes = working_routes(m.id for m in members)
    households: dict[int, set[str]] = {}
    for member in members:
        channels = households.setdefault(member.household_id, set())
        channels.update(choose(member, routes.get(member.id, {}), every_channel=False))
    by_channel = Counter(c for channels in households.values() for c in channels)
    return ReminderPlan(
        reach=reach,
        households=len(households),
        by_channel_households=by_channel,
        unreached_households=sum(1 for channels in households.values() if not channels),
    )


def reminder_summary(reminder: ReminderPlan, association_id: int) -> str:
    """「今送ると：スマホの通知 3人、メール 1人。世帯では：…」 for the leader's page."""
    text = plan_summary(reminder.reach, association_id)
    labels = channel_labels()
    households = _("、").join(
        _("%(channel)s %(n)s世帯", channel=labels[c], n=reminder.by_channel_households[c])
        for c in CHANNELS
        if reminder.by_channel_households.get(c)
    )
    if households:
        text += _("世帯では：%(channels)s。", channels=households)
    if reminder.unreached_households:
        text += _(
            "どの方法でも届かない世帯が %(n)s世帯あります。紙か直接でお伝えください。",
            n=reminder.unreached_households,
        )
    return text
