"""The demo circulars fit the season and name dates with their right weekdays."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from jichikai.extensions import db
from jichikai.notices.demo import WEEKDAYS, demo_notices, season_of, seed
from jichikai.notices.models import Notice

NAMED_DAY = re.compile(r"(\d{1,2})月(\d{1,2})日（(.)）")
SEASON_WORDS = {"spring": "春", "summer": "夏", "autumn": "秋", "winter": "餅つき"}


def named_days(text: str, today: date) -> list[tuple[date, str]]:
    """Each 「M月D日（曜）」 of a text, as the date it means (the next one from `today`)."""
    found = []
    for month, day, weekday in NAMED_DAY.findall(text):
        year = today.year if (int(month), int(day)) >= (today.month, today.day) else today.year + 1
        if today.month == 1 and int(month) == 12:
            year = today.year - 1  # the year-end just past, named in early January
        found.append((date(year, int(month), int(day)), weekday))
    return found


DAYS_OF_THE_YEAR = [date(2026, 1, 1) + timedelta(days=n) for n in range(0, 731, 5)]


@pytest.mark.parametrize("today", DAYS_OF_THE_YEAR, ids=str)
def test_every_named_date_has_its_weekday(today):
    for notice in demo_notices(today):
        for day, weekday in named_days(notice.body, today):
            assert WEEKDAYS[day.weekday()] == weekday, (today, notice.title, day)


@pytest.mark.parametrize("today", DAYS_OF_THE_YEAR, ids=str)
def test_the_events_are_ahead_and_of_their_season(today):
    event, drill = demo_notices(today)[1:3]
    days = [d for d, _w in named_days(event.body + drill.body, today)]
    assert days and all(today < d <= today + timedelta(days=40) for d in days)
    event_day = named_days(event.body, today)[0][0]
    assert SEASON_WORDS[season_of(event_day)] in event.title
    assert event.reply_deadline.date() < event_day


def test_year_end_collection_is_announced_only_around_the_year_end():
    assert "年末年始" in demo_notices(date(2026, 11, 30))[0].title
    assert "年末年始" not in demo_notices(date(2026, 7, 1))[0].title


def test_the_seeded_circulars_are_published_before_the_dates_they_name(world):
    now = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    seed(world.association, now=now)
    notices = db.session.scalars(select(Notice).order_by(Notice.published_at.desc())).all()
    assert [n.title for n in notices][0] == "年末年始のごみ収集について"
    for notice in notices:
        assert notice.published_at < now
        for day, _weekday in named_days(notice.body, now.date()):
            assert day > notice.published_at.date()
