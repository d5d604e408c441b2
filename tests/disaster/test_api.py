"""The JSON API: events, check-ins, the roll call, nearby shelters, OpenAPI."""

import pytest
from sqlalchemy import select

from jichikai.extensions import db
from jichikai.org.models import Member

from .helpers import official_shelters, start


def test_start_and_end(app, world, client, as_member):
    as_member(world.officer)
    response = client.post(
        "/api/v1/disaster/events",
        json={"kind": "flood", "title": "大雨", "message": "川に近づかない", "drill": False},
    )
    assert response.status_code == 201
    event = response.get_json()
    assert event["kind"] == "flood" and event["active"]
    again = client.post(
        "/api/v1/disaster/events", json={"kind": "fire", "title": "火事", "drill": True}
    )
    assert again.status_code == 409
    assert client.get("/api/v1/disaster/active").get_json()["event"]["id"] == event["id"]
    ended = client.post(f"/api/v1/disaster/events/{event['id']}/end")
    assert ended.status_code == 200 and ended.get_json()["summary"]["total"] == 7
    assert client.post(f"/api/v1/disaster/events/{event['id']}/end").status_code == 409
    assert client.get("/api/v1/disaster/active").get_json()["event"] is None


def test_drill_has_no_default(app, world, client, as_member):
    as_member(world.officer)
    response = client.post("/api/v1/disaster/events", json={"kind": "flood", "title": "大雨"})
    assert response.status_code == 422
    assert "drill" in response.get_json()["errors"]["json"]
    assert client.get("/api/v1/disaster/active").get_json()["event"] is None


def test_wrong_kind_is_422(app, world, client, as_member):
    as_member(world.officer)
    response = client.post("/api/v1/disaster/events", json={"kind": "meteor", "title": "x"})
    assert response.status_code == 422
    assert "kind" in response.get_json()["errors"]["json"]


def test_checkin_and_resend(app, world, client, as_member):
    event = start(world)
    as_member(world.member)
    body = {
        "event_id": event.id,
        "status": "safe_home",
        "member_ids": [world.member.id, world.housemate.id],
        "client_id": "0f8e7d6c5b4a",
        "lat": 35.85,
        "lon": 139.61,
    }
    first = client.post("/api/v1/disaster/checkins", json=body)
    assert first.status_code == 201 and first.get_json()["stored"]
    again = client.post("/api/v1/disaster/checkins", json=body)
    assert again.status_code == 200 and not again.get_json()["stored"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"status": "safe_home", "client_id": "abcdefgh", "lat": 91, "lon": 139}, 422),
        ({"status": "safe_home", "client_id": "abcdefgh", "lat": 35}, 422),
        ({"status": "at_shelter", "client_id": "abcdefgh", "shelter_id": 999999}, 400),
        ({"status": "safe_home", "client_id": "abcdefgh", "member_ids": [999999]}, 400),
        ({"status": "unknown", "client_id": "abcdefgh"}, 422),
        ({"status": "safe_home"}, 422),
        ({"status": "safe_home", "client_id": "abcdefgh", "event_id": None}, 422),
        ({"status": "safe_home", "client_id": "abcdefgh", "event_id": "1"}, 422),
    ],
)
def test_checkin_errors_answer_with_a_message(app, world, client, as_member, body, status):
    event = start(world)
    as_member(world.member)
    body = {"event_id": event.id, **body}
    response = client.post("/api/v1/disaster/checkins", json=body)
    assert response.status_code == status
    assert response.get_json()["message"]


@pytest.mark.parametrize("headcount", [0, 51, 2**31, 2**63])
def test_a_headcount_out_of_range_names_the_field(app, world, client, as_member, headcount):
    event = start(world)
    as_member(world.member)
    body = {"event_id": event.id, "status": "safe_home", "client_id": "abcdefgh"}
    response = client.post("/api/v1/disaster/checkins", json={**body, "headcount": headcount})
    assert response.status_code == 422
    assert "headcount" in response.get_json()["errors"]["json"]


def test_an_old_page_without_the_event_id_is_refused_with_a_message(app, world, client, as_member):
    start(world)
    as_member(world.member)
    response = client.post(
        "/api/v1/disaster/checkins", json={"status": "safe_home", "client_id": "abcdefgh"}
    )
    assert response.status_code == 422
    assert "event_id" in response.get_json()["errors"]["json"]


def test_member_cannot_report_for_a_neighbour(app, world, client, as_member):
    event = start(world)
    as_member(world.member)
    response = client.post(
        "/api/v1/disaster/checkins",
        json={
            "event_id": event.id,
            "status": "safe_home",
            "client_id": "abcdefgh",
            "member_ids": [world.leader.id],
        },
    )
    assert response.status_code == 403


def test_leader_reports_for_block_members(app, world, client, as_member):
    event = start(world)
    paper = db.session.scalar(
        select(Member.id).where(Member.household_id == world.paper_household.id)
    )
    as_member(world.leader)
    ok = client.post(
        "/api/v1/disaster/checkins",
        json={
            "event_id": event.id,
            "status": "safe_home",
            "client_id": "abcdefgh",
            "member_ids": [paper],
        },
    )
    assert ok.status_code == 201
    refused = client.post(
        "/api/v1/disaster/checkins",
        json={
            "event_id": event.id,
            "status": "safe_home",
            "client_id": "abcdefgi",
            "member_ids": [world.officer.id],
        },
    )
    assert refused.status_code == 403


def test_rollcall_by_block(app, world, client, as_member):
    event = start(world)
    as_member(world.leader)
    data = client.get(f"/api/v1/disaster/events/{event.id}/rollcall").get_json()
    assert data["block_ids"] == [world.block.id]
    assert {h["name"] for h in data["households"]} == {"佐藤家", "鈴木家", "高橋家"}
    assert data["households"][0]["priority"] == "unreported"
    other = client.get(
        f"/api/v1/disaster/events/{event.id}/rollcall?block_id={world.other_block.id}"
    )
    assert other.status_code == 403
    assert client.get("/api/v1/disaster/events/999999/rollcall").status_code == 404


def test_nearby_shelters(app, world, client, as_member):
    official_shelters()
    as_member(world.member)
    data = client.get("/api/v1/shelters/nearby?lat=35.8627&lon=139.6076&hazard=earthquake")
    shelters = data.get_json()["shelters"]
    assert shelters[0]["name"] == "埼玉大学"
    assert set(shelters[0]) >= {"id", "name", "lat", "lon", "distance_m"}
    assert shelters[0]["distance_m"] < shelters[1]["distance_m"]
    bad = client.get("/api/v1/shelters/nearby?lat=135&lon=139")
    assert bad.status_code == 422
    assert client.get("/api/v1/shelters/nearby?lat=35&lon=139&hazard=meteor").status_code == 422


def test_openapi_lists_the_routes(app, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/disaster/events",
        "/api/v1/disaster/events/{event_id}/end",
        "/api/v1/disaster/active",
        "/api/v1/disaster/checkins",
        "/api/v1/disaster/events/{event_id}/rollcall",
        "/api/v1/shelters/nearby",
    ):
        assert path in paths


def test_openapi_requires_the_event_of_a_checkin(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/disaster/checkins"]["post"]
    assert "409" in operation["responses"]
    schema = document["components"]["schemas"]["CheckIn"]
    assert "event_id" in schema["required"]
