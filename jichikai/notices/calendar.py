"""Events (行事) of circulars: the month calendar and each member's iCalendar feed.

A feed is a secret address (a bearer link): only its SHA-256 is stored, so the address is
shown once when it is made; renewing makes a new one and the old one stops working.
"""

from __future__ import annotations

import calendar as month_calendar
import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import icalendar
from sqlalchemy import delete, func, select

from ..database import utcnow
from ..extensions import db
from ..links import absolute
from ..org.models import Member
from .models import CalendarFeed, Notice
from .permissions import can_manage_notices, member_block_id
from .services import audience_condition, live_conditions, notice_url
from .text import summary

# What a feed carries: events from half a year ago to a year ahead, at most this many.
FEED_PAST = timedelta(days=183)
FEED_AHEAD = timedelta(days=400)
FEED_MAX_EVENTS = 500
MONTH_MAX_EVENTS = 300


def visible_events(
    member: Member, start: datetime, end: datetime, now: datetime, limit: int = MONTH_MAX_EVENTS
) -> list[Notice]:
    """Live circulars with an event between `start` and `end` that the member may see."""
    conditions = [
        *live_conditions(member.association_id, now),
        Notice.event_starts_at.is_not(None),
        Notice.event_starts_at < end,
        func.coalesce(Notice.event_ends_at, Notice.event_starts_at) >= start,
    ]
    if not can_manage_notices(member):
        blocks = ({member_block_id(member)} | set(member.led_block_ids)) - {None}
        conditions.append(audience_condition(blocks))
    return list(
        db.session.scalars(
            select(Notice)
            .where(*conditions)
            .order_by(Notice.event_starts_at, Notice.id)
            .limit(limit)
        )
    )


# The month page ---------------------------------------------------------------------------


@dataclass
class Day:
    day: date
    in_month: bool
    events: list[Notice]


@dataclass
class Month:
    year: int
    month: int
    weeks: list[list[Day]]
    events: list[Notice]

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def previous(self) -> date:
        return (self.first - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        return (self.first + timedelta(days=32)).replace(day=1)


def parse_month(text: str | None, today: date) -> date:
    """The first day of a month written YYYY-MM; this month when absent or wrong."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        if 1900 <= year <= 2999 and 1 <= month <= 12:
            return date(year, month, 1)
    except ValueError:
        pass
    return today.replace(day=1)


def month_view(member: Member, first: date, zone: tzinfo, now: datetime | None = None) -> Month:
    """The weeks of a month (Sunday first) with the member's events on each day."""
    now = now or utcnow()
    weeks = month_calendar.Calendar(firstweekday=6).monthdatescalendar(first.year, first.month)
    start = datetime.combine(weeks[0][0], time(), zone)
    end = datetime.combine(weeks[-1][-1] + timedelta(days=1), time(), zone)
    events = visible_events(member, start, end, now)
    by_day: dict[date, list[Notice]] = {}
    for notice in events:
        day = notice.event_starts_at.astimezone(zone).date()
        last = (notice.event_ends_at or notice.event_starts_at).astimezone(zone).date()
        while day <= last and day <= weeks[-1][-1]:
            by_day.setdefault(day, []).append(notice)
            day += timedelta(days=1)
    grid = [[Day(d, d.month == first.month, by_day.get(d, [])) for d in week] for week in weeks]
    month_end = (first + timedelta(days=32)).replace(day=1)
    in_month = [
        n
        for n in events
        if n.event_starts_at.astimezone(zone).date() < month_end
        and (n.event_ends_at or n.event_starts_at).astimezone(zone).date() >= first
    ]
    return Month(first.year, first.month, grid, in_month)


# The iCalendar feed -----------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_of(member: Member) -> CalendarFeed | None:
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.member_id == member.id))


def renew_feed(member: Member, now: datetime | None = None) -> str:
    """Make the member's secret feed address (the old one stops working); returns the token."""
    revoke_feed(member)
    token = secrets.token_urlsafe(32)
    db.session.add(
        CalendarFeed(
            association_id=member.association_id,
            member_id=member.id,
            token_hash=_hash(token),
            created_at=now or utcnow(),
        )
    )
    db.session.flush()
    return token


def revoke_feed(member: Member) -> bool:
    """Stop the member's feed address; True when there was one."""
    result = db.session.execute(delete(CalendarFeed).where(CalendarFeed.member_id == member.id))
    db.session.flush()
    return bool(result.rowcount)


def member_of_token(token: str) -> Member | None:
    """The active member whose feed this token opens; None for any other token."""
    if not token or len(token) > 100:
        return None
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token)))
    if feed is None or feed.member is None or not feed.member.active:
        return None
    return feed.member


def touch(member: Member, now: datetime | None = None) -> None:
    """Note when a calendar app last fetched the feed (shown on the settings page)."""
    feed = feed_of(member)
    if feed is not None:
        feed.last_used_at = now or utcnow()
        db.session.flush()


def ical(member: Member, calendar_name: str, now: datetime | None = None) -> bytes:
    """The member's events as an iCalendar document (RFC 5545), times in UTC."""
    now = now or utcnow()
    events = visible_events(member, now - FEED_PAST, now + FEED_AHEAD, now, FEED_MAX_EVENTS)
    document = icalendar.Calendar()
    document.add("prodid", "-//jichikai//circulars//JA")
    document.add("version", "2.0")
    document.add("calscale", "GREGORIAN")
    document.add("method", "PUBLISH")
    document.add("x-wr-calname", calendar_name)
    document.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    document.add("x-published-ttl", "PT6H")
    for notice in events:
        event = icalendar.Event()
        link = absolute(notice_url(notice))
        event.add("uid", f"notice-{notice.id}-{notice.association_id}@jichikai")
        event.add("dtstamp", notice.updated_at or notice.published_at or now)
        event.add("dtstart", notice.event_starts_at)
        if notice.event_ends_at is not None and notice.event_ends_at > notice.event_starts_at:
            event.add("dtend", notice.event_ends_at)
        event.add("summary", notice.title)
        if notice.event_place:
            event.add("location", notice.event_place)
        event.add("description", f"{summary(notice.body, 500)}\n{link}".strip())
        event.add("url", link)
        document.add_component(event)
    return document.to_ical()
