"""Demo circulars for the demo association: a few realistic notices, some already read."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..database import utcnow
from ..extensions import db
from ..org.models import Association, Block, Household, Member
from .models import CATEGORY_CITY, CATEGORY_EVENT, CATEGORY_GENERAL, REPLY_ATTENDANCE
from .questionnaires import answer
from .services import NoticeInput, create_notice, mark_read, record_household_read

WEEKDAYS = "月火水木金土日"
TOKYO = ZoneInfo("Asia/Tokyo")


def day_label(day: date) -> str:
    """「12月7日（日）」: the date as a circular writes it, with the right weekday."""
    return f"{day.month}月{day.day}日（{WEEKDAYS[day.weekday()]}）"


def next_weekday(after: date, weekday: int, at_least_days: int = 0) -> date:
    """The first `weekday` (Monday 0) at least `at_least_days` after `after`."""
    start = after + timedelta(days=at_least_days)
    return start + timedelta(days=(weekday - start.weekday()) % 7)


SATURDAY, SUNDAY = 5, 6

# The association's event of each season: (title, what happens, time, place).
SEASONAL_EVENTS = {
    "spring": ("春の一斉清掃のお知らせ", "町内の一斉清掃", "午前8時から10時まで", "各班の集積所"),
    "summer": ("夏祭りのお知らせ", "夏祭り", "午後4時から8時まで", "田島ひがし公園"),
    "autumn": ("秋祭りのお知らせ", "秋祭り", "午前10時から午後3時まで", "田島氷川神社の境内"),
    "winter": ("餅つき大会のお知らせ", "餅つき大会", "午前10時から正午まで", "集会所の前"),
}


def season_of(day: date) -> str:
    return {12: "winter", 1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring"}.get(
        day.month, "summer" if day.month in (6, 7, 8) else "autumn"
    )


def _garbage_notice(today: date) -> NoticeInput:
    """Year-end collection from November to early January, otherwise a new collection day."""
    if today.month in (11, 12) or (today.month == 1 and today.day <= 3):
        year = today.year if today.month != 1 else today.year - 1
        first, last = date(year, 12, 30), date(year + 1, 1, 3)
        back = next_weekday(last, 0, at_least_days=1)
        return NoticeInput(
            title="年末年始のごみ収集について",
            body=(
                "年末年始は、ごみの収集日が変わります。\n"
                f"{day_label(first)}から{day_label(last)}までは収集がありません。\n"
                f"{day_label(back)}から、いつもの曜日に戻ります。\n"
                "くわしくは市のページをご覧ください。 https://www.city.saitama.lg.jp/"
            ),
            category=CATEGORY_GENERAL,
        )
    start = next_weekday(date(today.year + today.month // 12, today.month % 12 + 1, 1), 2)
    return NoticeInput(
        title="資源ごみの収集日が変わります",
        body=(
            f"{day_label(start)}から、資源ごみ（びん・缶・ペットボトル）の収集は"
            "毎週水曜日になります。\n"
            "朝8時30分までに、いつもの集積所に出してください。\n"
            "くわしくは市のページをご覧ください。 https://www.city.saitama.lg.jp/"
        ),
        category=CATEGORY_GENERAL,
    )


def demo_notices(today: date) -> list[NoticeInput]:
    """The demo circulars, newest first, for the season of `today` and dated after it."""
    event_day = next_weekday(today, SATURDAY, at_least_days=10)
    title, what, hours, place = SEASONAL_EVENTS[season_of(event_day)]
    drill_day = next_weekday(today, SUNDAY, at_least_days=17)
    deadline = datetime.combine(event_day - timedelta(days=3), time(21, 0), TOKYO)
    return [
        _garbage_notice(today),
        NoticeInput(
            title=title,
            body=(
                f"今年も{what}を行います。\n"
                f"日時：{day_label(event_day)}{hours}\n"
                f"場所：{place}\n"
                f"出欠を{day_label(deadline.date())}までにお知らせください。"
            ),
            category=CATEGORY_EVENT,
            reply_kind=REPLY_ATTENDANCE,
            reply_deadline=deadline.astimezone(UTC),
        ),
        NoticeInput(
            title="防災訓練のお知らせ",
            body=(
                "市の一斉防災訓練にあわせて、自治会の防災訓練を行います。\n"
                f"日時：{day_label(drill_day)}午前9時から\n"
                "集合：田島小学校の校庭\n"
                "当日はアプリで安否確認の練習もします。"
            ),
            category=CATEGORY_EVENT,
        ),
        NoticeInput(
            title="市からの回覧：特殊詐欺にご注意ください",
            body=(
                "市役所や警察を名乗る電話で、お金やキャッシュカードをだまし取る事件が増えています。\n"
                "「還付金があります」という電話は詐欺です。すぐに家族か警察に相談してください。"
            ),
            category=CATEGORY_CITY,
        ),
    ]


def seed(association: Association, now: datetime | None = None) -> None:
    """Post the demo circulars as the admin, and let some households read and answer."""
    officer = db.session.scalars(
        select(Member).where(Member.association_id == association.id).order_by(Member.id).limit(1)
    ).one()
    now = now or utcnow()
    notices = demo_notices(now.astimezone(TOKYO).date())
    households = list(
        db.session.scalars(
            select(Household)
            .join(Block, Block.id == Household.block_id)
            .where(Household.association_id == association.id)
            .order_by(Block.position, Household.position)
        )
    )
    for age, data in enumerate(reversed(notices)):
        published = now - timedelta(days=3 * (len(notices) - age))
        notice = create_notice(association, officer, data, now=published)
        for index, household in enumerate(households):
            if (index + age) % 3 == 0:
                continue
            if household.paper_only:
                if index % 2:
                    record_household_read(
                        notice, household, "paper", officer, now=published + timedelta(days=1)
                    )
                continue
            for member in household.members[:1]:
                mark_read(notice, member, now=published + timedelta(hours=index % 24))
                if notice.reply_kind and index % 4:
                    choice = notice.questions[0]
                    chosen = str(choice.options[index % 2].id)
                    answer(notice, member, {choice.id: [chosen]}, now=now)
    db.session.flush()
