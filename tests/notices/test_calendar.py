"""Events of circulars: the month calendar and the members' iCalendar feeds."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select

from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.notices.calendar import parse_month, renew_feed
from jichikai.notices.errors import NoticeError
from jichikai.notices.models import CalendarFeed
from jichikai.notices.services import withdraw_notice

from .helpers import make_notice

TOKYO = ZoneInfo("Asia/Tokyo")


def at(days: int, hour: int = 10) -> datetime:
    """A time `days` from today in Tokyo."""
    today = utcnow().astimezone(TOKYO).date()
    return datetime.combine(today + timedelta(days=days), datetime.min.time(), TOKYO).replace(
        hour=hour
    )


def event(world, title: str, days: int = 3, **fields):
    fields.setdefault("event_starts_at", at(days))
    return make_notice(world, title=title, category="event", **fields)


def test_event_fields_are_checked(world):
    with pytest.raises(NoticeError, match="行事の終わりは"):
        event(world, "清掃", event_ends_at=at(3, 9))
    with pytest.raises(NoticeError, match="行事の日時を入れてください"):
        make_notice(world, event_place="公民館")


def test_month_page_shows_the_events_the_member_may_see(client, world, as_member):
    month = at(0).strftime("%Y-%m")
    day = at(0).replace(day=15, hour=9)
    event(
        world,
        "町内一斉清掃",
        event_starts_at=day,
        event_ends_at=day.replace(hour=11),
        event_place="集会所前",
    )
    event(world, "2班の打ち合わせ", event_starts_at=day, block_ids=[world.other_block.id])
    hidden = event(world, "取り下げた行事", event_starts_at=day)
    withdraw_notice(hidden, world.officer)
    db.session.commit()

    as_member(world.member)
    page = client.get(f"/notices/calendar?month={month}").get_data(as_text=True)
    assert "町内一斉清掃" in page and "集会所前" in page
    assert "9:00〜11:00" in page and f"{day.month}月15日（" in page
    assert f'href="#day-{day.date().isoformat()}"' in page
    assert "2班の打ち合わせ" not in page and "取り下げた行事" not in page

    as_member(world.other_leader)
    page = client.get(f"/notices/calendar?month={month}").get_data(as_text=True)
    assert "2班の打ち合わせ" in page


def test_other_months_and_wrong_months(client, world, as_member):
    event(world, "新年会", event_starts_at=datetime(2027, 1, 10, 18, tzinfo=TOKYO))
    as_member(world.member)
    january = client.get("/notices/calendar?month=2027-01").get_data(as_text=True)
    assert "新年会" in january and "2027年1月" in january and "month=2026-12" in january
    assert "新年会" not in client.get("/notices/calendar?month=2027-02").get_data(as_text=True)
    assert client.get("/notices/calendar?month=2027-13").status_code == 200
    assert client.get("/notices/calendar?month=x").status_code == 200


def test_parse_month():
    today = datetime(2026, 11, 30).date()
    assert parse_month("2027-02", today).isoformat() == "2027-02-01"
    assert parse_month("2027-2-1", today) == today.replace(day=1)
    assert parse_month(None, today) == today.replace(day=1)


def test_the_event_shows_on_the_circular(client, world, as_member):
    notice = event(world, "防災訓練", event_place="東公園")
    as_member(world.member)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "場所：東公園" in page and "カレンダーで見る" in page


# The feed ---------------------------------------------------------------------------------


def _feed_address(client) -> str:
    page = client.get("/notices/calendar/feed").get_data(as_text=True)
    start = page.index('id="feed-address" value="') + len('id="feed-address" value="')
    return page[start : page.index('"', start)]


def test_member_makes_a_feed_that_phones_can_read(client, world, as_member):
    event(world, "防災訓練", event_place="東公園", event_ends_at=at(3, 12))
    event(world, "2班だけの会", block_ids=[world.other_block.id])
    as_member(world.member)
    assert client.post("/notices/calendar/feed").status_code == 303
    address = _feed_address(client)
    assert address.startswith("http://localhost/calendar/") and address.endswith(".ics")
    page = client.get("/notices/calendar/feed").get_data(as_text=True)
    assert "feed-address" not in page  # shown once only

    client.post("/logout")
    response = client.get(address.removeprefix("http://localhost"))
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "no-store"
    calendar = icalendar.Calendar.from_ical(response.data)
    events = calendar.walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["防災訓練"]
    assert str(events[0]["location"]) == "東公園"
    assert events[0].decoded("dtstart") == at(3)
    assert events[0].decoded("dtend") == at(3, 12)
    feed = db.session.scalars(select(CalendarFeed)).one()
    assert feed.last_used_at is not None
    assert address.rsplit("/", 1)[1].removesuffix(".ics") not in feed.token_hash


def test_renewing_or_stopping_ends_the_old_address(client, world, as_member):
    as_member(world.member)
    client.post("/notices/calendar/feed")
    first = _feed_address(client).removeprefix("http://localhost")
    client.post("/notices/calendar/feed")
    second = _feed_address(client).removeprefix("http://localhost")
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200

    client.post("/notices/calendar/feed/stop")
    assert client.get(second).status_code == 404
    assert db.session.scalars(select(CalendarFeed)).all() == []


def test_a_member_who_left_has_no_feed(client, world):
    token = renew_feed(world.member)
    world.member.active = False
    db.session.commit()
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_feeds_carry_only_their_members_events(client, world):
    event(world, "ひがしの祭り")
    outsider_token = renew_feed(world.outsider)
    db.session.commit()
    body = client.get(f"/calendar/{outsider_token}.ics").data
    assert icalendar.Calendar.from_ical(body).walk("VEVENT") == []


def test_a_forged_address_is_refused(client, world):
    renew_feed(world.member)
    db.session.commit()
    assert client.get("/calendar/not-a-token.ics").status_code == 404
