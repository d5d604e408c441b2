"""What the outbox says a message did: per channel, members sent to and members it reached.

Pages that start an event or post a circular say what `services.notify` (or `plan`) found, in
words (`reach_summary`); the officers' reports count the outbox rows of one event or circular
(`channel_counts`). A member counts once per channel, however many browsers they have.
"""

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, func, select

from ..extensions import db
from ..push.models import Outbox
from .models import CHANNEL_EMAIL, CHANNEL_LINE, CHANNEL_PUSH, CHANNELS
from .services import Reach

# A message still on its way or delivered: the member is reached by it.
ON_ITS_WAY = ("pending", "sending", "sent")
DELIVERED = "sent"


def channel_labels() -> dict[str, str]:
    """The channels in the members' words."""
    return {
        CHANNEL_PUSH: _("スマホの通知"),
        CHANNEL_EMAIL: _("メール"),
        CHANNEL_LINE: _("LINE"),
    }


def channel_summary(reach: Reach) -> str:
    """「スマホの通知 12人、メール 5人、LINE 3人」: the channels that reach someone."""
    labels = channel_labels()
    return _("、").join(
        _("%(channel)s %(n)s人", channel=labels[channel], n=reach.by_channel[channel])
        for channel in CHANNELS
        if reach.by_channel.get(channel)
    )


def reach_summary(reach: Reach, *, unreached_go_to: str) -> str:
    """What a message was sent by and whom it cannot reach, in sentences for a flash.

    `unreached_go_to` is the sentence that says what happens to those no channel reaches
    (the leaders' call list, or paper).
    """
    channels = channel_summary(reach)
    if channels:
        text = _("%(channels)sに送ります。", channels=channels)
    else:
        text = _("どの方法でも送れる方がいません。")
    if reach.unreached:
        text += _("どの方法でも届かない方が %(n)s人います。", n=len(reach.unreached))
        text += unreached_go_to
    return text


def add_plan_warning(app, provider) -> None:
    """Register a function (association id, Reach) -> a sentence or None, added to what a
    form says sending now would reach (LINE: the month's free allowance would run out)."""
    app.extensions.setdefault("jichikai.reach.plan_warnings", []).append(provider)


def plan_summary(reach: Reach, association_id: int | None = None) -> str:
    """「今送ると：…」 for a form, before anything is sent."""
    channels = channel_summary(reach) or _("どの方法でも届きません")
    text = _("今送ると：%(channels)s。", channels=channels)
    if reach.unreached and reach.by_channel:
        text += _("どの方法でも届かない方が %(n)s人います。", n=len(reach.unreached))
    if association_id is not None:
        for provider in current_app.extensions.get("jichikai.reach.plan_warnings", []):
            if warning := provider(association_id, reach):
                text += warning
    return text


@dataclass
class ChannelRow:
    """One channel of one message: members it was sent to, members it was delivered to."""

    channel: str
    sent: int = 0
    delivered: int = 0


def channel_counts(*conditions) -> list[ChannelRow]:
    """Members sent to and delivered to per channel, for outbox rows matching `conditions`
    (e.g. `Outbox.event_id == 7, Outbox.kind == "disaster"`); every channel listed (one query)."""
    rows = {channel: ChannelRow(channel) for channel in CHANNELS}
    for channel, sent, delivered in db.session.execute(
        select(
            Outbox.channel,
            func.count(func.distinct(Outbox.member_id)),
            func.count(
                func.distinct(case((Outbox.status == DELIVERED, Outbox.member_id), else_=None))
            ),
        )
        .where(*conditions)
        .group_by(Outbox.channel)
    ):
        if channel in rows:
            rows[channel].sent, rows[channel].delivered = sent, delivered
    return list(rows.values())


def reached_members(*conditions) -> int:
    """Members with a row on its way or delivered among the rows matching `conditions`."""
    return db.session.scalar(
        select(func.count(func.distinct(Outbox.member_id))).where(
            *conditions, Outbox.status.in_(ON_ITS_WAY)
        )
    )
