"""The block leaders' roll call: order, own blocks only, proxy reports, ETag."""

import re

from sqlalchemy import func, select

from jichikai.disaster.models import CheckIn
from jichikai.disaster.services import end_event, latest_checkins, rollcall, submit_checkin
from jichikai.extensions import db
from jichikai.org.models import Member

from ..factories import make_household, make_member
from .helpers import client_id, start


def _paper_member(world) -> Member:
    return db.session.scalars(
        select(Member).where(Member.household_id == world.paper_household.id)
    ).one()


def test_order_need_help_assistance_unreported_reported(app, world):
    assisted = make_household(world.block, name="渡辺家", needs_assistance=True)
    make_member(assisted, name="渡辺 トメ")
    db.session.commit()
    event = start(world)
    submit_checkin(world.leader, event_id=event.id, status="safe_home", client_id=client_id())
    submit_checkin(
        world.member,
        event_id=event.id,
        status="need_help",
        help_kind="cannot_move",
        client_id=client_id(),
        member_ids=[world.housemate.id],
    )
    names = [line.household.name for line in rollcall(event, [world.block.id])]
    assert names == ["佐藤家", "渡辺家", "鈴木家", "高橋家"]


def test_leader_sees_only_own_block(app, world, client, as_member):
    start(world)
    as_member(world.leader)
    page = client.get("/disaster/rollcall").get_data(as_text=True)
    assert "佐藤家" in page and "田中家" not in page
    assert 'href="tel:048' in page
    other = client.get(f"/disaster/rollcall?block_id={world.other_block.id}")
    assert other.status_code == 403
    outsider_block = client.get(f"/disaster/rollcall?block_id={world.outsider_block.id}")
    assert outsider_block.status_code == 404


def test_leader_reports_for_a_paper_only_neighbour(app, world, client, as_member):
    event = start(world)
    neighbour = _paper_member(world)
    as_member(world.leader)
    response = client.post(
        "/disaster/rollcall/report",
        data={
            "event_id": event.id,
            "member_ids": [neighbour.id],
            "status": "safe_home",
            "client_id": "visit-000001",
        },
    )
    assert response.status_code == 302
    latest = latest_checkins(event.id)[neighbour.id]
    assert latest.proxy and latest.reporter_id == world.leader.id
    page = client.get("/disaster/rollcall").get_data(as_text=True)
    assert "高橋 健太 さんが代わりに" in page


def test_leader_cannot_report_for_another_block(app, world, client, as_member):
    event = start(world)
    as_member(world.other_leader)
    response = client.post(
        "/disaster/rollcall/report",
        data={
            "event_id": event.id,
            "member_ids": [world.member.id],
            "status": "safe_home",
            "client_id": "visit-000002",
        },
    )
    assert response.status_code == 403


def test_the_visit_form_names_its_event_and_preselects_no_status(app, world, client, as_member):
    event = start(world)
    as_member(world.leader)
    page = client.get("/disaster/rollcall").get_data(as_text=True)
    assert f'name="event_id" value="{event.id}"' in page
    statuses = re.findall(r'<select id="status-\d+" name="status"[^>]*>(.*?)</select>', page, re.S)
    assert statuses
    for options in statuses:
        assert re.findall(r"<option[^>]*\bselected\b[^>]*>", options) == [
            '<option value="" selected disabled>'
        ]


def test_a_visit_without_a_status_stores_nothing(app, world, client, as_member):
    event = start(world)
    as_member(world.leader)
    response = client.post(
        "/disaster/rollcall/report",
        data={
            "event_id": event.id,
            "member_ids": [_paper_member(world).id],
            "client_id": "visit-000003",
        },
    )
    assert response.status_code == 303
    assert db.session.scalar(select(CheckIn.id)) is None


def test_a_visit_entered_during_an_ended_event_is_not_stored_in_the_next(
    app, world, client, as_member
):
    drill = start(world, drill=True)
    as_member(world.leader)
    neighbour = _paper_member(world)
    form = {
        "event_id": drill.id,
        "member_ids": [neighbour.id],
        "status": "need_help",
        "help_kind": "cannot_move",
        "client_id": "visit-000004",
    }
    assert client.post("/disaster/rollcall/report", data=form).status_code == 302
    end_event(drill, world.officer)
    db.session.commit()
    event = start(world)

    # The leader's page, still open from the drill, sends the form again.
    response = client.post("/disaster/rollcall/report", data=form, follow_redirects=True)
    assert "数えていません" in response.get_data(as_text=True)
    assert latest_checkins(event.id) == {}
    assert db.session.scalar(select(func.count(CheckIn.id))) == 1


def test_refresh_answers_304_until_something_changes(app, world, client, as_member):
    event = start(world)
    as_member(world.leader)
    first = client.get("/disaster/rollcall")
    etag = first.headers["ETag"]
    again = client.get("/disaster/rollcall", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    submit_checkin(world.member, event_id=event.id, status="safe_home", client_id=client_id())
    db.session.commit()
    changed = client.get("/disaster/rollcall", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_printable_sheet_lists_every_household(app, world, client, as_member):
    event = start(world)
    as_member(world.leader)
    page = client.get(f"/disaster/events/{event.id}/sheet/{world.block.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert all(name in text for name in ("佐藤家", "鈴木家", "高橋家"))
    assert "田中家" not in text
