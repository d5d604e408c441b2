"""The circulars' JSON API."""

from sqlalchemy import func, select

from jichikai.extensions import db
from jichikai.notices.models import Notice, ReadReceipt

from .helpers import make_notice


def test_feed_lists_the_members_notices(client, world, as_member):
    notice = make_notice(world, category="event")
    make_notice(world, title="2班だけ", block_ids=[world.other_block.id])
    as_member(world.member)
    body = client.get("/api/v1/notices").get_json()
    assert [(n["id"], n["category"], n["read"]) for n in body] == [(notice.id, "event", False)]
    assert set(body[0]) >= {"id", "title", "category", "published_at", "read"}


def test_fetching_a_notice_records_the_receipt(client, world, as_member):
    notice = make_notice(world)
    as_member(world.member)
    body = client.get(f"/api/v1/notices/{notice.id}").get_json()
    assert body["read"] is True and body["title"] == notice.title
    assert db.session.scalar(select(func.count()).select_from(ReadReceipt)) == 1
    assert client.get("/api/v1/notices").get_json()[0]["read"] is True


def test_officer_posts_with_blocks(client, world, as_member):
    as_member(world.officer)
    response = client.post(
        "/api/v1/notices",
        json={
            "title": "防災訓練",
            "body": "12月7日",
            "category": "event",
            "block_ids": [world.block.id],
        },
    )
    assert response.status_code == 201
    assert response.get_json()["block_ids"] == [world.block.id]


def test_bad_input_is_refused_with_a_message_and_nothing_saved(client, world, as_member):
    as_member(world.officer)
    cases = [
        ({"title": ""}, 422),
        ({"title": "x", "body": "長" * 10_001}, 422),
        ({"title": "x", "category": "party"}, 422),
        ({"title": "x", "block_ids": [world.outsider_block.id]}, 404),
        ({"title": "x", "block_ids": ["1班"]}, 422),
    ]
    for payload, status in cases:
        response = client.post("/api/v1/notices", json=payload)
        assert response.status_code == status, payload
        assert response.get_json()["message"]
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0


def test_receipts_for_a_block_show_who_read(client, world, as_member):
    notice = make_notice(world)
    as_member(world.member)
    client.get(f"/api/v1/notices/{notice.id}")
    as_member(world.leader)
    recorded = client.post(
        f"/api/v1/notices/{notice.id}/receipts",
        json={"household_id": world.paper_household.id, "via": "proxy"},
    )
    assert recorded.status_code == 201
    again = client.post(
        f"/api/v1/notices/{notice.id}/receipts",
        json={"household_id": world.paper_household.id, "via": "paper"},
    )
    assert again.status_code == 200 and again.get_json()["via"] == "proxy"
    rows = client.get(f"/api/v1/notices/{notice.id}/receipts").get_json()
    by_household = {r["household_id"]: r for r in rows}
    assert by_household[world.household.id]["read_by"] == world.member.name
    assert by_household[world.paper_household.id]["read_by"] == world.leader.name
    assert rows[0]["read"] is False  # unread first
    other = client.get(f"/api/v1/notices/{notice.id}/receipts?block_id={world.other_block.id}")
    assert other.status_code == 403


def test_openapi_documents_the_notices_api(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {
        "/api/v1/notices",
        "/api/v1/notices/{notice_id}",
        "/api/v1/notices/{notice_id}/receipts",
    } <= set(paths)
    assert (
        "post" in paths["/api/v1/notices"]
        and "post" in paths["/api/v1/notices/{notice_id}/receipts"]
    )
