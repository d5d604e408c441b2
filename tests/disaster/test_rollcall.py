"""The block leaders' roll call: order, own blocks only, proxy reports, ETag."""

from sqlalchemy import select

from jichikai.disaster.services import latest_checkins, rollcall, submit_checkin
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
    submit_checkin(event, world.leader, status="safe_home", client_id=client_id())
    submit_checkin(
        event,
        world.member,
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
        data={"member_ids": [neighbour.id], "status": "safe_home", "client_id": "visit-000001"},
    )
    assert response.status_code == 302
    latest = latest_checkins(event.id)[neighbour.id]
    assert latest.proxy and latest.reporter_id == world.leader.id
    page = client.get("/disaster/rollcall").get_data(as_text=True)
    assert "高橋 健太 さんが代わりに" in page


def test_leader_cannot_report_for_another_block(app, world, client, as_member):
    start(world)
    as_member(world.other_leader)
    response = client.post(
        "/disaster/rollcall/report",
        data={"member_ids": [world.member.id], "status": "safe_home", "client_id": "visit-000002"},
    )
    assert response.status_code == 403


def test_refresh_answers_304_until_something_changes(app, world, client, as_member):
    event = start(world)
    as_member(world.leader)
    first = client.get("/disaster/rollcall")
    etag = first.headers["ETag"]
    again = client.get("/disaster/rollcall", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    submit_checkin(event, world.member, status="safe_home", client_id=client_id())
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
