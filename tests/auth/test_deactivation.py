"""Deactivating a member ends their devices, login cards and push subscriptions, by any path."""

import pytest
from sqlalchemy import func, select

from jichikai.audit.models import AuditEvent
from jichikai.auth.models import Device, LoginCard
from jichikai.auth.services import (
    issue_card,
    member_for_code,
    member_for_session,
    member_for_token,
    start_device,
)
from jichikai.extensions import db
from jichikai.org.services import set_member_active
from jichikai.push.models import PushDelivery, PushSubscription
from jichikai.push.services import PushMessage, notify

from ..factories import login


def _logged_in_everywhere(member) -> dict:
    """A phone, a printed card and a push subscription with a message waiting."""
    device = start_device(member, "qr")
    _card, token, code = issue_card(member)
    db.session.add(
        PushSubscription(
            association_id=member.association_id,
            member_id=member.id,
            endpoint=f"https://push.example/{member.id}",
            p256dh="k",
            auth="a",
        )
    )
    db.session.flush()
    assert notify([member], PushMessage(title="回覧")) == 1
    db.session.commit()
    return {"session": device.session_id, "token": token, "code": code}


def _nothing_left(member, secrets: dict) -> None:
    assert member_for_session(secrets["session"]) is None
    assert member_for_token(secrets["token"]) is None
    assert member_for_code(secrets["code"]) is None
    for model in (Device, LoginCard):
        alive = select(func.count(model.id)).where(
            model.member_id == member.id, model.revoked_at.is_(None)
        )
        assert db.session.scalar(alive) == 0
    assert db.session.scalar(select(func.count(PushSubscription.id))) == 0
    assert db.session.scalar(select(func.count(PushDelivery.id))) == 0


def _deactivate_on_the_member_page(client, world, member):
    login(client, world.officer)
    response = client.post(f"/admin/members/{member.id}/deactivate")
    assert response.status_code == 302


def _deactivate_through_the_service(client, world, member):
    # What any other caller (a command, an API route, a job) does.
    set_member_active(member, False, by=None)
    db.session.commit()


@pytest.mark.parametrize(
    "deactivate",
    [_deactivate_on_the_member_page, _deactivate_through_the_service],
    ids=["member-page", "service"],
)
def test_deactivation_ends_devices_cards_and_push(client, world, deactivate):
    secrets = _logged_in_everywhere(world.member)
    deactivate(client, world, world.member)

    assert world.member.active is False
    _nothing_left(world.member, secrets)
    ended = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "member.logins_end")
    ).one()
    assert ended.target_id == world.member.id
    assert ended.details == {"devices": 1, "cards": 1}


def test_a_reactivated_member_needs_a_new_card(client, world, as_member):
    secrets = _logged_in_everywhere(world.member)
    as_member(world.officer)
    client.post(f"/admin/members/{world.member.id}/deactivate")
    client.post(f"/admin/members/{world.member.id}/reactivate")

    assert world.member.active is True
    _nothing_left(world.member, secrets)
    assert notify([world.member], PushMessage(title="回覧")) == 0


def test_an_old_phone_stays_logged_out_after_reactivation(client, world, as_member):
    phone = client.application.test_client()
    login(phone, world.member)
    assert phone.get("/me/devices").status_code == 200
    as_member(world.officer)
    client.post(f"/admin/members/{world.member.id}/deactivate")
    client.post(f"/admin/members/{world.member.id}/reactivate")

    assert world.member.active is True
    assert phone.get("/me/devices").status_code in (302, 401)


def test_reactivation_ends_logins_left_by_a_deactivation_from_elsewhere(client, world):
    # A member deactivated before deactivation ended logins (or by a direct change).
    secrets = _logged_in_everywhere(world.member)
    world.member.active = False
    db.session.commit()
    set_member_active(world.member, True, by=world.officer)
    db.session.commit()

    _nothing_left(world.member, secrets)
