"""Demo circulars for the demo association: a few realistic notices, some already read."""

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from ..database import utcnow
from ..extensions import db
from ..org.models import Association, Block, Household, Member
from .models import CATEGORY_CITY, CATEGORY_EVENT, CATEGORY_GENERAL, REPLY_ATTENDANCE
from .questionnaires import answer
from .services import NoticeInput, create_notice, mark_read, record_household_read

DEMO_NOTICES = [
    NoticeInput(
        title="ごみ収集日の変更について",
        body=(
            "年末年始は、ごみの収集日が変わります。\n"
            "12月30日（火）から1月3日（土）までは収集がありません。\n"
            "1月5日（月）から、いつもの曜日に戻ります。\n"
            "くわしくは市のページをご覧ください。 https://www.city.saitama.lg.jp/"
        ),
        category=CATEGORY_GENERAL,
    ),
    NoticeInput(
        title="夏祭りのお知らせ",
        body=(
            "今年も夏祭りを行います。\n"
            "日時：8月2日（土）午後4時から8時まで\n"
            "場所：田島ひがし公園\n"
            "準備を手伝ってくださる方を募っています。出欠をお知らせください。"
        ),
        category=CATEGORY_EVENT,
        reply_kind=REPLY_ATTENDANCE,
    ),
    NoticeInput(
        title="防災訓練のお知らせ",
        body=(
            "市の一斉防災訓練にあわせて、自治会の防災訓練を行います。\n"
            "日時：12月7日（日）午前9時から\n"
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


def seed(association: Association) -> None:
    """Post the demo circulars as the admin, and let some households read and answer."""
    officer = db.session.scalars(
        select(Member).where(Member.association_id == association.id).order_by(Member.id).limit(1)
    ).one()
    now = utcnow()
    households = list(
        db.session.scalars(
            select(Household)
            .join(Block, Block.id == Household.block_id)
            .where(Household.association_id == association.id)
            .order_by(Block.position, Household.position)
        )
    )
    for age, template in enumerate(reversed(DEMO_NOTICES)):
        data = replace(template)
        published = now - timedelta(days=3 * (len(DEMO_NOTICES) - age))
        if data.reply_kind:
            data.reply_deadline = now + timedelta(days=14)
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
