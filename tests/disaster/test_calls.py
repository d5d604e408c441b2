"""The block leader's call list: who is on it and when, call outcomes, the leaders' alert,
what each channel did, and the honest confirmation after starting an event."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from jichikai.database import utcnow
from jichikai.disaster import calls, jobs
from jichikai.disaster.calls import (
    REASON_NO_ANSWER,
    REASON_NO_CHANNEL,
    call_sheet,
    record_call,
)
from jichikai.disaster.models import CallOutcome, DisasterEvent
from jichikai.disaster.services import (
    DisasterError,
    end_event,
    rollcall,
    submit_checkin,
)
from jichikai.extensions import db
from jichikai.org.models import Member, RoleAssignment
from jichikai.push.models import Outbox
from jichikai.scheduling import all_jobs

from ..factories import make_household, make_member
from ..notices.test_query_counts import counted
from ..reach.helpers import add_contact, add_push
from .helpers import client_id, start
from .test_checkin import _race


def _paper_member(world) -> Member:
    return db.session.scalars(
        select(Member).where(Member.household_id == world.paper_household.id)
    ).one()


def _sheet(world, event, minutes: int):
    lines = rollcall(event, [world.block.id])
    return call_sheet(
        event, world.association, lines, event.started_at + timedelta(minutes=minutes)
    )


def _on_list(world, event, minutes: int) -> dict[str, str]:
    return {e.member.name: e.reason for e in _sheet(world, event, minutes).entries}


def _call_section(page: str) -> str:
    return page.split('id="calls-title"')[1].split("世帯ごとの様子")[0]


# --- who is on the list -------------------------------------------------------------------


def test_members_no_channel_reaches_are_on_the_list_at_once(app, world):
    add_push(world.member)
    db.session.commit()
    event = start(world)
    on_list = _on_list(world, event, 0)
    assert on_list == {
        "佐藤 一郎": REASON_NO_CHANNEL,
        "鈴木 トメ": REASON_NO_CHANNEL,
        "高橋 健太": REASON_NO_CHANNEL,
    }
    assert event.reach.reached == 1  # 佐藤 花子 by push: not on the list before the delay


def test_after_the_delay_members_who_have_not_answered_join(app, world):
    add_push(world.member)
    add_contact(world.housemate, "email", "ichiro@example.jp")
    add_contact(world.leader, "line", "U-leader")
    db.session.commit()
    event = start(world)
    submit_checkin(world.leader, event_id=event.id, status="safe_home", client_id=client_id())
    db.session.commit()
    assert _on_list(world, event, 14) == {"鈴木 トメ": REASON_NO_CHANNEL}
    assert _on_list(world, event, 15) == {
        "佐藤 花子": REASON_NO_ANSWER,
        "佐藤 一郎": REASON_NO_ANSWER,
        "鈴木 トメ": REASON_NO_CHANNEL,
    }


def test_the_delay_is_the_associations_setting(app, world):
    add_push(world.member)
    world.association.settings = {"escalation_minutes": 40}
    db.session.commit()
    event = start(world)
    assert "佐藤 花子" not in _on_list(world, event, 39)
    assert _on_list(world, event, 40)["佐藤 花子"] == REASON_NO_ANSWER


def test_a_message_that_failed_on_every_channel_puts_the_member_on_the_list(app, world):
    add_push(world.member)
    add_contact(world.member, "email", "hanako@example.jp")
    db.session.commit()
    event = start(world)
    assert "佐藤 花子" not in _on_list(world, event, 0)
    db.session.execute(
        update(Outbox).where(Outbox.member_id == world.member.id).values(status="failed")
    )
    db.session.commit()
    assert _on_list(world, event, 0)["佐藤 花子"] == REASON_NO_CHANNEL


# --- outcomes -------------------------------------------------------------------------------


def test_no_answer_keeps_a_member_on_the_list_phone_visit_and_proxy_take_them_off(app, world):
    event = start(world)
    neighbour = _paper_member(world)
    record_call(event, neighbour, "no_answer", "留守でした", world.leader)
    record_call(event, world.housemate, "phone", "", world.leader)
    record_call(event, world.leader, "visit", "", world.leader)
    submit_checkin(
        world.leader,
        event_id=event.id,
        status="safe_home",
        client_id=client_id(),
        member_ids=[world.member.id],
    )
    db.session.commit()
    sheet = _sheet(world, event, 0)
    assert [(e.member.name, e.outcome.outcome, e.outcome.note) for e in sheet.entries] == [
        ("鈴木 トメ", "no_answer", "留守でした")
    ]
    # The latest outcome counts: reached by phone after all.
    record_call(event, neighbour, "phone", "", world.leader)
    db.session.commit()
    assert _sheet(world, event, 0).entries == []


@pytest.mark.parametrize(
    ("outcome", "note", "message"),
    [
        ("", "", "結果を選んでください。"),
        ("phone", "x" * 501, "メモは 500 文字までにしてください。"),
    ],
)
def test_a_call_outcome_is_checked(app, world, outcome, note, message):
    event = start(world)
    with pytest.raises(DisasterError, match=message):
        record_call(event, world.member, outcome, note, world.leader)


def test_no_outcome_after_the_event_ended(app, world):
    event = start(world)
    end_event(event, world.officer)
    db.session.commit()
    with pytest.raises(DisasterError):
        record_call(event, world.member, "phone", "", world.leader)


def test_leader_records_a_call_with_one_tap_and_sees_it(app, world, client, as_member):
    event = start(world)
    neighbour = _paper_member(world)
    as_member(world.leader)
    response = client.post(
        "/disaster/rollcall/calls",
        data={"event_id": event.id, "member_id": neighbour.id, "outcome": "no_answer"},
    )
    assert response.status_code == 303
    page = client.get("/disaster/rollcall").get_data(as_text=True)
    assert "鈴木 トメ さん：「つながらない」と記録しました。" in page
    calls = _call_section(page)
    assert "鈴木 トメ" in calls and "つながらない" in calls and "紙で参加" in calls
    client.post(
        "/disaster/rollcall/calls",
        data={
            "event_id": event.id,
            "member_id": neighbour.id,
            "outcome": "visit",
            "note": "無事でした",
            "block_id": world.block.id,
        },
    )
    assert "鈴木 トメ" not in _call_section(client.get("/disaster/rollcall").get_data(as_text=True))
    rows = db.session.scalars(select(CallOutcome).order_by(CallOutcome.id)).all()
    assert [(r.outcome, r.note, r.recorded_by_id) for r in rows] == [
        ("no_answer", "", world.leader.id),
        ("visit", "無事でした", world.leader.id),
    ]


def test_a_call_for_an_old_event_or_with_a_bad_outcome_is_not_stored(app, world, client, as_member):
    event = start(world)
    as_member(world.leader)
    stale = client.post(
        "/disaster/rollcall/calls",
        data={"event_id": event.id + 1, "member_id": world.member.id, "outcome": "phone"},
        follow_redirects=True,
    )
    assert "画面が古くなっていました" in stale.get_data(as_text=True)
    bad = client.post(
        "/disaster/rollcall/calls",
        data={"event_id": event.id, "member_id": world.member.id, "outcome": "maybe"},
        follow_redirects=True,
    )
    assert "結果を選んでください。" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count(CallOutcome.id))) == 0


def test_another_blocks_leader_cannot_record_a_call(app, world, client, as_member):
    event = start(world)
    as_member(world.other_leader)
    response = client.post(
        "/disaster/rollcall/calls",
        data={"event_id": event.id, "member_id": world.member.id, "outcome": "phone"},
    )
    assert response.status_code == 403


# --- the roll call page ---------------------------------------------------------------------


def test_roll_call_shows_the_list_first_with_phone_address_and_marks(app, world, client, as_member):
    assisted = make_household(
        world.block, name="渡辺家", needs_assistance=True, address_line="桜1-2-3"
    )
    make_member(assisted, name="渡辺 トメ")
    db.session.commit()
    start(world)
    as_member(world.leader)
    page = client.get("/disaster/rollcall").get_data(as_text=True)
    calls = _call_section(page)
    assert page.index('id="calls-title"') < page.index("世帯ごとの様子")
    assert "渡辺 トメ" in calls and "桜1-2-3" in calls and "避難に手助けが必要" in calls
    assert f"tel:{assisted.phone.replace('-', '')}" in calls
    assert "知らせが届く方法がありません" in calls
    for label in ("電話で確認", "訪問して確認", "つながらない"):
        assert label in calls


def test_roll_call_says_which_channel_reached_each_member_and_when(app, world, client, as_member):
    add_push(world.member)
    add_contact(world.member, "email", "hanako@example.jp")
    add_contact(world.member, "line", "U-hanako")
    db.session.commit()
    event = start(world)
    rows = {
        r.channel: r for r in db.session.scalars(select(Outbox).where(Outbox.event_id == event.id))
    }
    rows["push"].status, rows["push"].sent_at = "sent", event.started_at + timedelta(minutes=1)
    rows["email"].status = "failed"
    db.session.commit()
    as_member(world.leader)
    page = client.get("/disaster/rollcall").get_data(as_text=True)
    line = page.split("佐藤 花子：")[1].split("</li>")[0]
    assert "スマホの通知：届いた" in line
    assert 'メール：<strong class="danger">届かない' in line
    assert "LINE：送っています" in line


def test_roll_call_etag_changes_when_a_delivery_or_an_outcome_changes(
    app, world, client, as_member
):
    add_push(world.member)
    db.session.commit()
    event = start(world)
    as_member(world.leader)
    etag = client.get("/disaster/rollcall").headers["ETag"]
    db.session.execute(
        update(Outbox)
        .where(Outbox.event_id == event.id)
        .values(status="sent", sent_at=event.started_at + timedelta(seconds=5))
    )
    db.session.commit()
    delivered = client.get("/disaster/rollcall", headers={"If-None-Match": etag})
    assert delivered.status_code == 200
    record_call(event, world.housemate, "no_answer", "", world.leader)
    db.session.commit()
    called = client.get("/disaster/rollcall", headers={"If-None-Match": delivered.headers["ETag"]})
    assert called.status_code == 200


def _rollcall_queries(client) -> int:
    client.get("/disaster/rollcall")  # warm up
    with counted() as statements:
        response = client.get("/disaster/rollcall")
    assert response.status_code == 200
    return len(statements)


def test_roll_call_queries_do_not_grow_with_members_or_deliveries(app, world, client, as_member):
    start(world)
    as_member(world.leader)
    few = _rollcall_queries(client)
    event = db.session.scalar(select(DisasterEvent))
    for n in range(8):
        household = make_household(world.block, name=f"追加{n}家")
        member = make_member(household, name=f"追加 {n}")
        record_call(event, member, "no_answer", "", world.leader)
        add_contact(member, "email", f"m{n}@example.jp")
    db.session.commit()
    many = _rollcall_queries(client)
    assert many == few
    # The roll call's own (login, event, blocks, roles, shelters, households, members,
    # reports, names, the two ETag fingerprints), two for the outcomes and the deliveries,
    # and the banner's one for the leader's own report.
    assert many <= 18


# --- alerting the leaders -------------------------------------------------------------------


def _escalations(**where):
    query = select(Outbox).where(Outbox.kind == "escalation").order_by(Outbox.id)
    for key, value in where.items():
        query = query.where(getattr(Outbox, key) == value)
    return db.session.scalars(query).all()


def test_the_alert_job_is_declared(app):
    assert "disaster.alert_leaders" in {job.id for job in all_jobs()}


def test_leader_is_alerted_once_after_the_delay_on_every_channel(app, world):
    add_push(world.leader)
    add_contact(world.leader, "email", "leader@example.jp")
    add_contact(world.leader, "line", "U-leader")
    add_push(world.member)
    db.session.commit()
    event = start(world)
    t0 = event.started_at

    jobs.alert_leaders_to_call_lists(t0 + timedelta(minutes=14))
    assert _escalations() == []
    jobs.alert_leaders_to_call_lists(t0 + timedelta(minutes=15))
    rows = _escalations()
    assert {(r.member_id, r.channel) for r in rows} == {
        (world.leader.id, "push"),
        (world.leader.id, "email"),
        (world.leader.id, "line"),
    }
    # 佐藤 花子 and 佐藤 一郎 and 鈴木 トメ; the leader has not answered either.
    email = next(r for r in rows if r.channel == "email")
    assert email.title == "連絡が必要な方が 4人います"
    assert "1班" in email.body and email.urgency == "high" and email.event_id == event.id
    assert email.actions[0][1].endswith("/disaster/rollcall")
    assert db.session.get(DisasterEvent, event.id).leaders_alerted_at is not None

    jobs.alert_leaders_to_call_lists(t0 + timedelta(minutes=16))
    jobs.alert_leaders_to_call_lists(t0 + timedelta(minutes=60))
    assert len(_escalations()) == 3  # once


def test_an_event_another_worker_claimed_is_not_alerted_again(app, world):
    add_contact(world.leader, "email", "leader@example.jp")
    db.session.commit()
    event = start(world)
    due = event.started_at + timedelta(minutes=15)
    # Another worker claimed the event between this worker's look and its claim.
    claimed = db.session.execute(
        update(DisasterEvent)
        .where(DisasterEvent.id == event.id)
        .values(leaders_alerted_at=due)
        .execution_options(synchronize_session=False)
    )
    assert claimed.rowcount == 1
    db.session.commit()
    assert calls.alert_leaders(due).events == 0
    assert _escalations() == []


def test_workers_racing_for_the_alert_send_it_once(app, world):
    add_contact(world.leader, "email", "leader@example.jp")
    add_contact(world.leader, "line", "U-leader")
    db.session.commit()
    event = start(world)
    due = event.started_at + timedelta(minutes=15)

    def alert(barrier):
        barrier.wait(timeout=5)
        calls.alert_leaders(due)

    assert not _race(app, alert)
    assert {(r.member_id, r.channel) for r in _escalations()} == {
        (world.leader.id, "email"),
        (world.leader.id, "line"),
    }
    assert len(_escalations()) == 2


def test_the_alert_is_in_each_leaders_language(app, world):
    world.leader.language = "en"
    add_contact(world.leader, "email", "leader@example.jp")
    db.session.commit()
    event = start(world)
    jobs.alert_leaders_to_call_lists(event.started_at + timedelta(minutes=15))
    (row,) = _escalations()
    assert row.language == "en" and "1班" in row.body and "連絡" not in row.title


def test_blocks_with_nobody_on_the_list_alert_nobody(app, world):
    add_contact(world.leader, "email", "leader@example.jp")
    add_contact(world.other_leader, "email", "other@example.jp")
    db.session.commit()
    event = start(world)
    for member in db.session.scalars(
        select(Member).where(Member.association_id == world.association.id)
    ):
        if member.household and member.household.block_id == world.other_block.id:
            submit_checkin(member, event_id=event.id, status="safe_home", client_id=client_id())
    db.session.commit()
    jobs.alert_leaders_to_call_lists(event.started_at + timedelta(minutes=15))
    assert {r.member_id for r in _escalations()} == {world.leader.id}


def test_a_leader_no_channel_reaches_means_the_officers_are_told(app, world):
    add_contact(world.officer, "email", "officer@example.jp")
    add_contact(world.other_leader, "line", "U-other")
    db.session.commit()
    event = start(world)
    jobs.alert_leaders_to_call_lists(event.started_at + timedelta(minutes=15))
    rows = _escalations()
    assert {(r.member_id, r.channel) for r in rows} == {
        (world.other_leader.id, "line"),  # 2班's leader has a channel
        (world.officer.id, "email"),  # 1班's leader has none: the officers are told
    }
    officer = next(r for r in rows if r.member_id == world.officer.id)
    assert officer.title == "班長さんに知らせが届きません"
    assert "1班 4人" in officer.body and "2班" not in officer.body


def test_a_block_without_a_leader_goes_to_the_officers(app, world):
    db.session.execute(
        update(RoleAssignment)
        .where(RoleAssignment.member_id == world.leader.id)
        .values(ended_at=utcnow())
    )
    add_contact(world.officer, "email", "officer@example.jp")
    db.session.commit()
    event = start(world)
    result = jobs.alert_leaders_to_call_lists(event.started_at + timedelta(minutes=15))
    assert "1 officer(s)" in result
    assert [r.member_id for r in _escalations()] == [world.officer.id]


def test_escalation_rows_do_not_count_as_reaching_the_leader_for_their_own_safety(app, world):
    add_contact(world.leader, "email", "leader@example.jp")
    db.session.commit()
    event = start(world)
    db.session.execute(update(Outbox).where(Outbox.event_id == event.id).values(status="failed"))
    db.session.commit()
    jobs.alert_leaders_to_call_lists(event.started_at + timedelta(minutes=15))
    assert _on_list(world, event, 15)["高橋 健太"] == REASON_NO_CHANNEL


# --- honest confirmation ---------------------------------------------------------------------


def _start_page(client):
    return client.post(
        "/disaster/events",
        data={
            "kind": "earthquake",
            "title": "地震",
            "message": "",
            "drill": "drill",
            "step": "confirm",
        },
        follow_redirects=True,
    ).get_data(as_text=True)


def test_starting_says_what_each_channel_reaches_and_who_none_reaches(
    app, world, client, as_member
):
    add_push(world.member)
    add_contact(world.member, "email", "hanako@example.jp")
    add_contact(world.housemate, "email", "ichiro@example.jp")
    add_contact(world.leader, "line", "U-leader")
    db.session.commit()
    as_member(world.officer)
    form = client.get("/disaster/").get_data(as_text=True)
    assert "今送ると：スマホの通知 1人、メール 2人、LINE 1人。" in form
    assert "どの方法でも届かない方が 4人います。" in form  # of 7 active members
    page = _start_page(client)
    assert (
        "災害モードを始めました。スマホの通知 1人、メール 2人、LINE 1人に送ります。"
        "どの方法でも届かない方が 4人います。班長さんの連絡リストに入りました。"
    ) in page
    assert "みなさんに通知しました" not in page


def test_with_push_off_and_no_contacts_the_page_does_not_pretend(app, world, client, as_member):
    add_push(world.member)
    db.session.commit()
    app.config["PUSH_VAPID_SUBJECT"], saved = "", app.config["PUSH_VAPID_SUBJECT"]
    try:
        as_member(world.officer)
        page = _start_page(client)
    finally:
        app.config["PUSH_VAPID_SUBJECT"] = saved
    assert "どの方法でも送れる方がいません。どの方法でも届かない方が 7人います。" in page


def test_the_api_says_what_the_start_reached(app, world, client, as_member):
    add_contact(world.member, "email", "hanako@example.jp")
    add_contact(world.member, "line", "U-hanako")
    db.session.commit()
    as_member(world.officer)
    response = client.post(
        "/api/v1/disaster/events", json={"kind": "flood", "title": "大雨", "drill": True}
    )
    assert response.status_code == 201
    reach = response.get_json()["reach"]
    assert reach == {
        "members": 7,
        "push": 0,
        "email": 1,
        "line": 1,
        "unreached": 6,
        "summary": "メール 1人、LINE 1人に送ります。どの方法でも届かない方が 6人います。"
        "班長さんの連絡リストに入りました。",
    }
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "reach" in spec["components"]["schemas"]["EventStarted"]["properties"]


# --- the officers' dashboard -----------------------------------------------------------------


def test_dashboard_shows_reach_by_channel_answers_and_call_lists(app, world, client, as_member):
    add_push(world.member)
    add_contact(world.member, "email", "hanako@example.jp")
    add_contact(world.housemate, "email", "ichiro@example.jp")
    db.session.commit()
    event = start(world)
    db.session.execute(
        update(Outbox)
        .where(Outbox.event_id == event.id, Outbox.channel == "email")
        .values(status="sent", sent_at=event.started_at)
    )
    submit_checkin(
        world.member, event_id=event.id, status="safe_home", client_id=client_id(), channel="email"
    )
    submit_checkin(
        world.leader,
        event_id=event.id,
        status="safe_home",
        client_id=client_id(),
        member_ids=[_paper_member(world).id],
    )
    record_call(event, world.other_leader, "no_answer", "", world.officer)
    db.session.commit()
    as_member(world.officer)
    page = client.get(f"/disaster/events/{event.id}").get_data(as_text=True)
    reach = page.split("知らせの届き方")[1].split("班ごとの報告")[0]
    assert '<td>スマホの通知</td><td class="num">1</td><td class="num">0</td>' in reach
    assert '<td>メール</td><td class="num">2</td><td class="num">2</td>' in reach
    assert '<td>LINE</td><td class="num">0</td><td class="num">0</td>' in reach
    assert "5人" in reach  # 7 members, 2 reached
    answers = reach.split("返事の方法")[1].split("班長さんの連絡")[0]
    assert [c.split("<")[0] for c in answers.split('<td class="num">')[1:]] == ["0", "1", "0", "1"]
    assert "班長さんへの知らせは、まだです。" in reach
    blocks = page.split("班ごとの報告")[1]
    # 1班: 高橋 健太 has no channel (佐藤 一郎's email arrived); 2班: none of the three has one.
    assert "1人" in blocks.split("2班")[0] and "3人" in blocks.split("2班")[1]


# --- the API ------------------------------------------------------------------------------------


def test_api_roll_call_has_the_call_list_and_deliveries(app, world, client, as_member):
    add_contact(world.member, "email", "hanako@example.jp")
    db.session.commit()
    event = start(world)
    neighbour = _paper_member(world)
    as_member(world.leader)
    body = client.get(f"/api/v1/disaster/events/{event.id}/rollcall").get_json()
    members = {m["name"]: m for h in body["households"] for m in h["members"]}
    assert members["佐藤 花子"]["call_list"] is None
    assert members["佐藤 花子"]["deliveries"] == [
        {"channel": "email", "state": "on_its_way", "delivered_at": None}
    ]
    assert members["鈴木 トメ"]["call_list"] == "no_channel"
    assert neighbour.id in body["call_list"] and world.member.id not in body["call_list"]
    assert body["call_list_grows_at"]


def test_api_records_a_call(app, world, client, as_member):
    event = start(world)
    neighbour = _paper_member(world)
    as_member(world.leader)
    response = client.post(
        "/api/v1/disaster/calls",
        json={"event_id": event.id, "member_id": neighbour.id, "outcome": "phone", "note": "無事"},
    )
    assert response.status_code == 201
    assert response.get_json()["outcome"] == "phone"
    body = client.get(f"/api/v1/disaster/events/{event.id}/rollcall").get_json()
    assert neighbour.id not in body["call_list"]
    refused = client.post(
        "/api/v1/disaster/calls",
        json={"event_id": event.id, "member_id": neighbour.id, "outcome": "maybe"},
    )
    assert refused.status_code == 422 and "outcome" in refused.get_json()["errors"]["json"]
    end_event(event, world.officer)
    db.session.commit()
    ended = client.post(
        "/api/v1/disaster/calls",
        json={"event_id": event.id, "member_id": neighbour.id, "outcome": "visit"},
    )
    assert ended.status_code == 409
    assert db.session.scalar(select(func.count(CallOutcome.id))) == 1


def test_the_summary_keeps_the_reach_after_the_outbox_is_pruned(app, world, client, as_member):
    add_contact(world.member, "email", "hanako@example.jp")
    db.session.commit()
    event = start(world)
    db.session.execute(
        update(Outbox).where(Outbox.event_id == event.id).values(status="sent", sent_at=utcnow())
    )
    submit_checkin(
        world.member, event_id=event.id, status="safe_home", client_id=client_id(), channel="email"
    )
    record_call(event, world.housemate, "phone", "", world.leader)
    end_event(event, world.officer)
    db.session.execute(delete(Outbox))
    db.session.commit()
    reach = db.session.get(DisasterEvent, event.id).summary["reach"]
    assert reach["channels"][1] == {"channel": "email", "sent": 1, "delivered": 1}
    assert reach["unreached"] == 6 and reach["answers"] == {"email": 1}
    assert reach["calls"] == {"phone": 1}
    as_member(world.officer)
    page = client.get(f"/disaster/events/{event.id}").get_data(as_text=True)
    assert '<td>メール</td><td class="num">1</td><td class="num">1</td>' in page


def test_the_printed_sheet_marks_the_call_list(app, world, client, as_member):
    event = start(world)
    record_call(event, _paper_member(world), "no_answer", "", world.leader)
    db.session.commit()
    as_member(world.leader)
    page = client.get(f"/disaster/events/{event.id}/sheet/{world.block.id}").get_data(as_text=True)
    row = page.split("鈴木 トメ")[1].split("</tr>")[0]
    assert "※連絡リスト：知らせが届く方法がありません（つながらない" in row
