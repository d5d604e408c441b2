"""Each member's read, 確認しました and 要確認 circulars, and what reminders would reach."""

import csv
import io
import re

from sqlalchemy import func, select

from jichikai.extensions import db
from jichikai.notices.models import NoticeReminder, ReadReceipt
from jichikai.notices.reports import block_read_rates
from jichikai.notices.services import audience_members, member_feed

from .helpers import make_notice, subscribe


def _block_page(client, world, notice) -> str:
    return client.get(f"/notices/{notice.id}/blocks/{world.block.id}").get_data(as_text=True)


def _household(html: str, name: str) -> str:
    return html.split(f"<strong>{name}</strong>")[1].split("</ul>")[0]


def _receipts(client, notice, world) -> dict:
    response = client.get(f"/api/v1/notices/{notice.id}/receipts?block_id={world.block.id}")
    assert response.status_code == 200
    return {row["household_name"]: row for row in response.get_json()}


def test_the_block_page_shows_each_member(client, world, as_member):
    notice = make_notice(world)
    as_member(world.member)
    client.get(f"/notices/{notice.id}")
    as_member(world.leader)
    household = _household(_block_page(client, world, notice), "佐藤家")
    assert "確認済み" in household
    assert "佐藤 花子：既読（アプリ）" in household
    assert '佐藤 一郎：<span class="muted">まだ読んでいません' in household


def test_the_receipts_api_gives_each_members_state(client, world, as_member):
    notice = make_notice(world)
    as_member(world.housemate)
    client.get(f"/notices/{notice.id}")
    as_member(world.leader)
    sato = _receipts(client, notice, world)["佐藤家"]
    assert (sato["read"], sato["read_by"], sato["recorded"]) == (True, "佐藤 一郎", None)
    people = {m["name"]: m for m in sato["members"]}
    assert people["佐藤 一郎"]["read"] and people["佐藤 一郎"]["via"] == "app"
    assert not people["佐藤 花子"]["read"] and people["佐藤 花子"]["read_at"] is None
    assert [m["member_id"] for m in sato["members"]] == sorted(
        m["member_id"] for m in sato["members"]
    )


def test_a_leaders_paper_record_counts_for_the_household_not_its_members(client, world, as_member):
    notice = make_notice(world)
    as_member(world.leader)
    url = f"/notices/{notice.id}/blocks/{world.block.id}/receipts"
    client.post(url, data={"household_id": world.paper_household.id, "via": "paper"})
    suzuki = _receipts(client, notice, world)["鈴木家"]
    assert suzuki["read"] and suzuki["done"] and suzuki["recorded"]["via"] == "paper"
    assert suzuki["recorded"]["by"] == "高橋 健太"
    assert [m["read"] for m in suzuki["members"]] == [False]
    html = _household(_block_page(client, world, notice), "鈴木家")
    assert "紙で確認（世帯として、高橋 健太 が記録）" in html
    assert '鈴木 トメ：<span class="muted">まだ読んでいません' in html


def test_the_csv_has_a_row_for_each_member_after_the_household(client, world, as_member):
    notice = make_notice(world)
    as_member(world.member)
    client.get(f"/notices/{notice.id}")
    as_member(world.officer)
    text = client.get(f"/notices/{notice.id}/report.csv").data.decode("utf-8-sig")
    rows = [r for r in csv.reader(io.StringIO(text)) if r[1] == "佐藤家"]
    assert [(r[3], r[4]) for r in rows] == [
        ("（世帯）", "確認済み"),
        ("佐藤 花子", "確認済み"),
        ("佐藤 一郎", "未読"),
    ]
    assert rows[1][6] == "アプリ" and rows[2][5] == ""


def test_the_report_counts_members_beside_households(client, world, as_member):
    notice = make_notice(world)
    as_member(world.member)
    client.get(f"/notices/{notice.id}")
    rate = {r.block.name: r for r in block_read_rates(notice)}["1班"]
    assert (rate.read, rate.households, rate.members_read, rate.members) == (1, 3, 1, 4)
    as_member(world.officer)
    assert "人では：1 / " in client.get(f"/notices/{notice.id}/report").get_data(as_text=True)


# 確認しました ---------------------------------------------------------------------------


def _ack_times() -> dict[int, object]:
    return dict(
        db.session.execute(select(ReadReceipt.member_id, ReadReceipt.acknowledged_at)).all()
    )


def test_opening_is_not_acknowledging(client, world, as_member):
    notice = make_notice(world)
    as_member(world.member)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "確認しました</button>" in page
    assert _ack_times() == {world.member.id: None}

    response = client.post(f"/notices/{notice.id}/ack")
    assert response.status_code == 303
    acked = _ack_times()[world.member.id]
    receipt = db.session.scalars(select(ReadReceipt)).one()
    assert acked is not None and receipt.read_at <= acked
    assert "に「確認しました」を押しました" in client.get(f"/notices/{notice.id}").get_data(
        as_text=True
    )


def test_acknowledging_without_opening_records_the_read_too(client, world, as_member):
    notice = make_notice(world)
    as_member(world.member)
    response = client.post(f"/api/v1/notices/{notice.id}/ack", json={"client_id": "abc"})
    assert response.status_code == 201 and response.get_json()["stored"] is True
    again = client.post(f"/api/v1/notices/{notice.id}/ack", json={"client_id": "abc"})
    assert again.status_code == 200 and again.get_json()["stored"] is False
    receipt = db.session.scalars(select(ReadReceipt)).one()
    assert (receipt.member_id, receipt.via) == (world.member.id, "app")
    assert receipt.acknowledged_at is not None


def test_an_acknowledgment_queued_offline_for_a_withdrawn_circular_is_not_refused(
    client, world, as_member
):
    from jichikai.notices.services import withdraw_notice

    notice = make_notice(world)
    withdraw_notice(notice, by=world.officer)
    db.session.commit()
    as_member(world.member)
    response = client.post(f"/api/v1/notices/{notice.id}/ack", json={"client_id": "late"})
    assert response.status_code == 200 and response.get_json()["stored"] is False
    assert db.session.scalar(select(func.count()).select_from(ReadReceipt)) == 0


def test_a_member_outside_the_audience_cannot_acknowledge(client, world, as_member):
    notice = make_notice(world, block_ids=[world.other_block.id])
    as_member(world.member)
    assert client.post(f"/api/v1/notices/{notice.id}/ack", json={}).status_code == 404
    as_member(world.leader)  # a leader of another block does not see it either
    assert client.post(f"/notices/{notice.id}/ack").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(ReadReceipt)) == 0


def test_an_acknowledgment_after_an_email_read_keeps_the_way(client, world, as_member):
    from jichikai.notices.services import mark_read

    notice = make_notice(world)
    mark_read(notice, world.member, via="email")
    db.session.commit()
    as_member(world.member)
    client.post(f"/notices/{notice.id}/ack")
    receipt = db.session.scalars(select(ReadReceipt)).one()
    assert receipt.via == "email" and receipt.acknowledged_at is not None


def test_a_circular_asking_for_it_counts_only_acknowledgments(client, world, as_member):
    notice = make_notice(world, ack_required=True)
    as_member(world.member)
    client.get(f"/notices/{notice.id}")
    feed = client.get("/notices/").get_data(as_text=True)
    assert "未確認" in feed
    (entry,) = member_feed(world.member).entries
    assert entry.read and not entry.done
    rate = {r.block.name: r for r in block_read_rates(notice)}["1班"]
    assert (rate.read, rate.members_read) == (0, 0)
    as_member(world.leader)
    assert not _receipts(client, notice, world)["佐藤家"]["done"]
    assert "読んだが、まだ「確認しました」がない" in _block_page(client, world, notice)

    as_member(world.member)
    client.post(f"/notices/{notice.id}/ack")
    (entry,) = member_feed(world.member).entries
    assert entry.done
    assert "未確認" not in client.get("/notices/").get_data(as_text=True)
    rate = {r.block.name: r for r in block_read_rates(notice)}["1班"]
    assert (rate.read, rate.members_read) == (1, 1)


def test_a_paper_record_is_the_households_acknowledgment(client, world, as_member):
    notice = make_notice(world, ack_required=True)
    as_member(world.member)
    client.get(f"/notices/{notice.id}")  # read in the app, not acknowledged
    as_member(world.leader)
    url = f"/notices/{notice.id}/blocks/{world.block.id}/receipts"
    client.post(url, data={"household_id": world.household.id, "via": "proxy"})
    sato = _receipts(client, notice, world)["佐藤家"]
    assert sato["done"] and sato["recorded"]["via"] == "proxy"
    assert {r.block.name: r.read for r in block_read_rates(notice)}["1班"] == 1


def test_reminders_of_a_circular_asking_for_it_go_to_households_not_acknowledged(
    world,
):
    from jichikai.notices.acks import acknowledge
    from jichikai.notices.services import mark_read

    notice = make_notice(world, ack_required=True)
    mark_read(notice, world.member)  # read only
    acknowledge(notice, world.leader)
    db.session.commit()
    names = {m.name for m in audience_members(notice, {world.block.id}, unread_only=True)}
    assert names == {"佐藤 花子", "佐藤 一郎", "鈴木 トメ"}


def test_the_association_setting_makes_new_circulars_ask_for_it(client, world, as_member):
    world.association.settings = {**(world.association.settings or {}), "notice_ack_required": 1}
    db.session.commit()
    as_member(world.officer)
    form = client.get("/notices/new").get_data(as_text=True)
    checkbox = re.search(r"<input[^>]*name=\"ack_required\"[^>]*>", form).group(0)
    assert "checked" in checkbox
    created = client.post("/api/v1/notices", json={"title": "総会のお知らせ"})
    assert created.status_code == 201 and created.get_json()["ack_required"] is True
    chosen = client.post("/api/v1/notices", json={"title": "お祭り", "ack_required": False})
    assert chosen.get_json()["ack_required"] is False
    unticked = make_notice(world, ack_required=False)
    assert unticked.ack_required is False


def test_officers_turn_the_setting_on_in_the_settings_page(client, world, as_member):
    from ..org.matrix import _settings_form

    as_member(world.officer)
    form = {**_settings_form(world), "notice_ack_required": "y"}
    assert client.post("/admin/settings", data=form).status_code == 302
    assert world.association.setting("notice_ack_required") is True
    assert client.post("/admin/settings", data=_settings_form(world)).status_code == 302
    assert world.association.setting("notice_ack_required") is False


# Reminders -----------------------------------------------------------------------------


def test_the_block_page_says_whom_a_reminder_would_reach(client, world, as_member):
    subscribe(world.member)
    subscribe(world.housemate)
    notice = make_notice(world)
    as_member(world.leader)
    html = _block_page(client, world, notice)
    plan = html.split('id="reminder-plan">')[1].split("</p>")[0]
    assert "スマホの通知 2人" in plan
    assert "スマホの通知 1世帯" in plan
    # 鈴木家's member and the leader's household have no way: paper or a visit.
    assert "どの方法でも届かない世帯が 2世帯" in plan
    assert "まだの世帯にお知らせを送る" in html


def test_no_reminder_button_when_it_would_reach_nobody(client, world, as_member):
    notice = make_notice(world)
    as_member(world.leader)
    html = _block_page(client, world, notice)
    assert "どの方法でも届きません" in html
    assert "まだの世帯にお知らせを送る" not in html


def test_a_reminder_that_reached_nobody_does_not_use_the_hour(client, world, as_member):
    notice = make_notice(world)
    as_member(world.leader)
    url = f"/notices/{notice.id}/blocks/{world.block.id}/remind"
    client.post(url)
    assert db.session.scalar(select(func.count()).select_from(NoticeReminder)) == 0
    subscribe(world.member)
    db.session.commit()
    client.post(url)
    reminders = db.session.scalars(select(NoticeReminder)).all()
    assert [r.recipients for r in reminders] == [1]
    client.post(url)  # this one is too soon
    assert db.session.scalar(select(func.count()).select_from(NoticeReminder)) == 1


def test_the_plan_leaves_out_members_who_turned_circulars_off(world):
    from jichikai.notices.reminders import reminder_plan

    subscribe(world.member)
    subscribe(world.housemate)
    world.housemate.push_preference = "none"
    notice = make_notice(world)
    plan = reminder_plan(notice, {world.block.id})
    assert plan.reach.by_channel["push"] == 1
    assert plan.by_channel_households["push"] == 1
