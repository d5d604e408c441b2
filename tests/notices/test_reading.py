"""Members read and reply; leaders follow their blocks; officers see the association."""

from datetime import timedelta

from sqlalchemy import func, select

from jichikai.audit.models import AuditEvent
from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.notices import jobs
from jichikai.notices.models import PER_MEMBER, REPLY_ATTENDANCE, ReadReceipt, Reply
from jichikai.notices.questionnaires import tallies
from jichikai.notices.reports import block_read_rates
from jichikai.notices.text import linkify
from jichikai.push.models import PushDelivery

from .helpers import make_notice, subscribe


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _reminded() -> list[int]:
    """Members who were sent a reminder (not the publication message)."""
    deliveries = db.session.scalars(
        select(PushDelivery).where(PushDelivery.title.startswith("まだ読まれていない"))
    )
    return [d.subscription.member_id for d in deliveries]


def test_feed_shows_unread_first_then_newest(client, world, as_member):
    now = utcnow()
    old = make_notice(world, title="古い回覧", now=now - timedelta(days=2))
    make_notice(world, title="新しい回覧", now=now - timedelta(days=1))
    as_member(world.member)
    client.get(f"/notices/{make_notice(world, title='読んだ回覧').id}")
    page = client.get("/notices/").get_data(as_text=True)
    assert page.index("新しい回覧") < page.index("古い回覧") < page.index("読んだ回覧")
    assert old.id


def test_opening_records_the_receipt_once(client, world, as_member):
    notice = make_notice(world)
    as_member(world.member)
    client.get(f"/notices/{notice.id}")
    client.get(f"/notices/{notice.id}")
    receipt = db.session.scalars(select(ReadReceipt)).one()
    assert (receipt.member_id, receipt.household_id, receipt.via) == (
        world.member.id,
        world.household.id,
        "app",
    )


def test_home_page_shows_the_feed(client, world, as_member):
    make_notice(world, title="夏祭りのお知らせ")
    as_member(world.member)
    assert "夏祭りのお知らせ" in client.get("/").get_data(as_text=True)


def test_body_is_escaped_and_links_are_linked():
    html = str(linkify("<b>注意</b>\nhttps://example.jp/a?b=1。"))
    assert "&lt;b&gt;" in html and "<br>" in html
    assert '<a href="https://example.jp/a?b=1"' in html


def test_household_reply_can_change_until_the_deadline(client, world, as_member):
    deadline = utcnow() + timedelta(days=1)
    notice = make_notice(world, reply_kind=REPLY_ATTENDANCE, reply_deadline=deadline)
    attend, absent = notice.options
    field = f"q{notice.questions[0].id}"
    as_member(world.member)
    assert client.post(f"/notices/{notice.id}/reply", data={field: attend.id}).status_code == 303
    as_member(world.housemate)
    client.post(f"/notices/{notice.id}/reply", data={field: absent.id})
    reply = db.session.scalars(select(Reply)).one()
    assert ([a.option_id for a in reply.answers], reply.member_id) == (
        [absent.id],
        world.housemate.id,
    )

    notice.reply_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.post(f"/notices/{notice.id}/reply", data={field: attend.id})
    assert response.status_code == 400
    assert "締め切りを過ぎました" in response.get_data(as_text=True)
    assert [a.option_id for a in db.session.scalars(select(Reply)).one().answers] == [absent.id]


def test_per_member_replies_count_each_person(client, world, as_member):
    notice = make_notice(world, reply_kind=REPLY_ATTENDANCE, reply_per=PER_MEMBER)
    for member in (world.member, world.housemate):
        as_member(member)
        client.post(
            f"/notices/{notice.id}/reply",
            data={f"q{notice.questions[0].id}": notice.options[0].id},
        )
    tally = tallies(notice).questions[0]
    assert tally.by_block[world.block.id][notice.options[0].id] == 2


def test_leader_sees_unread_households_first_and_records_paper(client, world, as_member):
    notice = make_notice(world)
    as_member(world.member)
    client.get(f"/notices/{notice.id}")
    as_member(world.leader)
    url = f"/notices/{notice.id}/blocks/{world.block.id}"
    page = client.get(url).get_data(as_text=True)
    assert page.index("鈴木家") < page.index("佐藤家")
    response = client.post(
        f"{url}/receipts", data={"household_id": world.paper_household.id, "via": "paper"}
    )
    assert response.status_code == 302
    receipt = db.session.scalars(
        select(ReadReceipt).where(ReadReceipt.household_id == world.paper_household.id)
    ).one()
    assert (receipt.via, receipt.recorded_by_id, receipt.member_id) == (
        "paper",
        world.leader.id,
        None,
    )
    assert "紙で確認（世帯として、高橋 健太 が記録）" in client.get(url).get_data(as_text=True)


def test_leader_cannot_record_outside_their_blocks(client, world, as_member):
    notice = make_notice(world)
    as_member(world.leader)
    api = f"/api/v1/notices/{notice.id}/receipts"
    other = client.post(api, json={"household_id": world.other_household.id, "via": "proxy"})
    assert other.status_code == 403
    outsider = client.post(api, json={"household_id": world.outsider_household.id, "via": "paper"})
    assert outsider.status_code == 404
    bad = client.post(api, json={"household_id": world.paper_household.id, "via": "app"})
    assert bad.status_code == 422
    assert _count(ReadReceipt) == 0


def test_remind_the_unread_at_most_once_an_hour(client, world, as_member):
    subscribe(world.member)
    subscribe(world.leader)
    notice = make_notice(world)
    as_member(world.leader)
    client.get(f"/notices/{notice.id}")  # the leader's household has read it
    url = f"/notices/{notice.id}/blocks/{world.block.id}/remind"
    client.post(url)
    assert _reminded() == [world.member.id]
    client.post(url)
    assert _reminded() == [world.member.id]
    assert "1時間に1回" in client.get(f"/notices/{notice.id}/blocks/{world.block.id}").get_data(
        as_text=True
    )


def test_automatic_reminder_goes_once_after_the_set_hours(world):
    subscribe(world.member)
    subscribe(world.other_leader)
    world.association.settings = {"notice_reminder_hours": 24}
    now = utcnow()
    notice = make_notice(world, now=now)
    from jichikai.notices.services import mark_read

    mark_read(notice, world.other_leader)
    db.session.commit()
    jobs.remind_unread(now + timedelta(hours=23))
    assert _reminded() == []
    jobs.remind_unread(now + timedelta(hours=25))
    jobs.remind_unread(now + timedelta(hours=26))
    assert _reminded() == [world.member.id]


def test_officer_report_rates_tallies_and_csv(client, world, as_member):
    notice = make_notice(world, reply_kind=REPLY_ATTENDANCE)
    as_member(world.member)
    client.get(f"/notices/{notice.id}")
    client.post(
        f"/notices/{notice.id}/reply", data={f"q{notice.questions[0].id}": notice.options[0].id}
    )
    rates = {r.block.name: (r.read, r.households) for r in block_read_rates(notice)}
    assert rates == {"1班": (1, 3), "2班": (0, 2)}
    as_member(world.officer)
    page = client.get(f"/notices/{notice.id}/report").get_data(as_text=True)
    assert "33%" in page and "出席" in page
    response = client.get(f"/notices/{notice.id}/report.csv")
    assert response.data.startswith("\ufeff".encode())
    text = response.data.decode("utf-8-sig")
    assert "佐藤家" in text and "出席" in text and "鈴木家" in text
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "notice.export")).one()
    assert event.actor_id == world.officer.id


def test_print_view_lists_paper_households_with_a_qr_code(client, world, as_member):
    notice = make_notice(world)
    as_member(world.leader)
    page = client.get(f"/notices/{notice.id}/blocks/{world.block.id}/print").get_data(as_text=True)
    assert "鈴木家" in page and "佐藤家" not in page
    assert 'src="data:image/svg+xml' in page and "確認印" in page
