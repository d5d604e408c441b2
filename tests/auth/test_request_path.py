"""What every logged-in request pays: one statement loads the device, the member, the
association and the roles; every check still applies (revoked devices, inactive members,
ended roles, CSRF)."""

from sqlalchemy import select

from jichikai.auth.models import Device
from jichikai.auth.services import member_for_session
from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.org.models import RoleAssignment

from ..disaster.helpers import start
from ..notices.test_query_counts import counted


def _device(member) -> Device:
    return db.session.scalars(
        select(Device).where(Device.member_id == member.id).order_by(Device.id.desc())
    ).first()


def test_a_logged_in_read_runs_the_login_and_its_own_query(world, as_member):
    start(world)
    client = as_member(world.member)
    with counted() as statements:
        response = client.get("/api/v1/disaster/active")
    assert response.status_code == 200
    assert response.json["event"]["title"] == "地震がありました"
    assert len(statements) == 2, statements
    assert "device" in statements[0] and "association" in statements[0]
    assert "role_assignment" in statements[0]


def test_the_login_brings_the_association_and_roles_without_more_queries(app, world):
    from jichikai.auth.services import start_device

    device = start_device(world.officer, "test")
    db.session.commit()
    name = world.association.name
    db.session.expunge_all()  # as a new request finds it
    with counted() as statements:
        member = member_for_session(device.session_id)
        assert member.is_officer and not member.is_leader
        assert member.association.name == name
    assert len(statements) == 1, statements


def test_a_revoked_device_is_refused(world, as_member):
    client = as_member(world.member)
    assert client.get("/api/v1/disaster/active").status_code == 200
    _device(world.member).revoked_at = utcnow()
    db.session.commit()
    assert client.get("/api/v1/disaster/active").status_code == 401


def test_an_inactive_member_is_refused(world, as_member):
    client = as_member(world.member)
    assert client.get("/api/v1/disaster/active").status_code == 200
    world.member.active = False  # directly: the device itself is left as it was
    db.session.commit()
    assert _device(world.member).revoked_at is None
    assert client.get("/api/v1/disaster/active").status_code == 401


def test_an_ended_role_no_longer_counts(world, as_member):
    event = {"kind": "earthquake", "title": "訓練", "message": "", "drill": True}
    client = as_member(world.officer)
    role = db.session.scalars(
        select(RoleAssignment).where(RoleAssignment.member_id == world.officer.id)
    ).one()
    role.ended_at = utcnow()
    db.session.commit()
    assert client.post("/api/v1/disaster/events", json=event).status_code == 403


def test_a_logged_in_post_still_needs_the_csrf_token(world, as_member, csrf_enabled):
    event = {"kind": "earthquake", "title": "訓練", "message": "", "drill": True}
    client = as_member(world.officer)
    refused = client.post("/api/v1/disaster/events", json=event)
    assert refused.status_code == 400
    assert "有効期限" in refused.json["message"]
    assert client.get("/api/v1/disaster/active").json["event"] is None
