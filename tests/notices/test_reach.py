"""What a circular reached: the honest confirmation, the plan before posting, the households
no channel reached on the leader's block page, and the officers' reach by channel."""

from datetime import timedelta

from sqlalchemy import select, update

from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.notices.models import Notice
from jichikai.notices.services import record_household_read
from jichikai.push.models import Outbox

from ..reach.helpers import add_contact, add_push
from .helpers import make_notice


def _post(client, **fields):
    data = {"title": "清掃のお知らせ", "body": "日曜の朝です。", "category": "general"} | fields
    return client.post("/notices/new", data=data, follow_redirects=True).get_data(as_text=True)


def test_the_form_says_what_posting_now_would_reach(client, world, as_member):
    add_push(world.member)
    add_contact(world.housemate, "line", "U-ichiro")
    db.session.commit()
    as_member(world.officer)
    page = client.get("/notices/new").get_data(as_text=True)
    # Seven members in households: two reached.
    assert "今送ると：スマホの通知 1人、LINE 1人。どの方法でも届かない方が 5人います。" in page


def test_posting_says_what_each_channel_reaches_and_who_none_reaches(client, world, as_member):
    add_push(world.member)
    add_contact(world.member, "email", "hanako@example.jp")
    world.member.preferred_channel = "email"
    add_contact(world.housemate, "email", "ichiro@example.jp")
    db.session.commit()
    as_member(world.officer)
    page = _post(client, blocks=[str(world.block.id)])
    assert (
        "回覧を出しました。メール 2人に送ります。どの方法でも届かない方が 2人います。"
        "紙の回覧か、訪問で届けてください。"
    ) in page


def test_scheduled_circular_says_nothing_about_reach(client, world, as_member):
    as_member(world.officer)
    later = (utcnow() + timedelta(days=1)).astimezone().strftime("%Y-%m-%dT%H:%M")
    page = _post(client, publish_at=later)
    assert "回覧の公開を予約しました。" in page and "に送ります" not in page


def test_leaders_block_page_lists_households_no_channel_reached(client, world, as_member):
    add_push(world.member)  # 佐藤家 is reached through 佐藤 花子
    db.session.commit()
    notice = make_notice(world)
    as_member(world.leader)
    url = f"/notices/{notice.id}/blocks/{world.block.id}"
    page = client.get(url).get_data(as_text=True)
    section = page.split('id="unreached-title"')[1].split("</section>")[0]
    assert "鈴木家" in section and "紙の回覧" in section
    assert "高橋家" in section and "佐藤家" not in section
    # A delivery that failed for good leaves the household unreached.
    db.session.execute(update(Outbox).where(Outbox.notice_id == notice.id).values(status="failed"))
    db.session.commit()
    section = client.get(url).get_data(as_text=True).split('id="unreached-title"')[1]
    assert "佐藤家" in section.split("</section>")[0]
    # A household recorded as read leaves the list.
    record_household_read(notice, world.paper_household, "paper", world.leader)
    db.session.commit()
    section = client.get(url).get_data(as_text=True).split('id="unreached-title"')[1]
    assert "鈴木家" not in section.split("</section>")[0]


def test_officers_report_shows_reach_by_channel_and_reads_by_way(client, world, as_member):
    add_push(world.member)
    add_contact(world.housemate, "email", "ichiro@example.jp")
    add_contact(world.leader, "line", "U-leader")
    db.session.commit()
    notice = make_notice(world)
    db.session.execute(
        update(Outbox)
        .where(Outbox.notice_id == notice.id, Outbox.channel != "push")
        .values(status="sent", sent_at=utcnow())
    )
    record_household_read(notice, world.paper_household, "paper", world.leader)
    db.session.commit()
    as_member(world.officer)
    page = client.get(f"/notices/{notice.id}/report").get_data(as_text=True)
    reach = page.split("回覧の届き方")[1]
    assert '<td>スマホの通知</td><td class="num">1</td><td class="num">0</td>' in reach
    assert '<td>メール</td><td class="num">1</td><td class="num">1</td>' in reach
    assert '<td>LINE</td><td class="num">1</td><td class="num">1</td>' in reach
    assert "4 / 7 人" in reach
    reads = reach.split("読んだ方法")[1]
    assert [c.split("<")[0] for c in reads.split('<td class="num">')[1:6]] == [
        "0 世帯",
        "0 世帯",
        "0 世帯",
        "0 世帯",
        "1 世帯",
    ]
    assert db.session.scalars(select(Notice)).one().id == notice.id
